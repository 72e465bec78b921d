//! What the service's parts tell each other and the fronts: statuses, the
//! presence a contact sees, invitations and the notices a session receives.
//! Plain data, serialisable so that a node can hand it to another.

use msnp::xml::uux::{EndpointView, PersonalStatus};
use serde::{Deserialize, Serialize};

/// A user's status as others may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Online,
    Busy,
    Idle,
    BeRightBack,
    Away,
    OnThePhone,
    OutToLunch,
    /// Appear offline: everyone else sees the user as signed out.
    Hidden,
}

/// Client capability flags: `caps` and, from MSNP16, the extended `caps:ext`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Capabilities {
    pub flags: u32,
    pub extended: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub status: Status,
    pub caps: Capabilities,
    /// The MSNObject (display picture descriptor), as the client sent it (URL-encoded).
    pub msnobj: Option<String>,
}

/// One user's presence as a contact sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPresence {
    pub email: String,
    pub friendly_name: String,
    pub presence: Presence,
}

/// An invitation as the invitee's Notification Server session shows it (RNG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub session_id: u64,
    pub address: String,
    pub cookie: String,
    pub inviter_email: String,
    pub inviter_name: String,
}

/// Something a session must tell its client, in its own dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    /// A contact is online or changed status or name (NLN).
    Presence(ContactPresence),
    /// A contact went offline, or now hides from this user (FLN).
    Offline { email: String },
    /// A contact set or cleared a phone property (BPR); an empty value clears it.
    Phone { email: String, name: String, value: String },
    /// A contact's personal message (UBX), with the endpoints MSNP16+ shows
    /// beside it (their capabilities, nothing private).
    PersonalMessage { email: String, status: PersonalStatus, endpoints: Vec<EndpointView> },
    /// Someone put this user on their forward list (RL add).
    AddedBy { email: String, friendly_name: String },
    /// Someone took this user off their forward list (RL remove).
    RemovedBy { email: String },
    /// An invitation to a switchboard conversation (RNG).
    Ring(Invitation),
    /// The server is shutting down: this session must end (OUT SSD).
    ServerShutdown,
    /// The account signed in elsewhere: this session must end (OUT OTH).
    SignedInElsewhere,
    /// The account was deleted: this session must end (`OUT`).
    AccountDeleted,
    /// The account's password changed: this session, signed in with the old
    /// one, must end (`OUT`).
    PasswordChanged,
    /// The account's address book changed through the SOAP services (MSNP13+ `NOT`).
    AddressBookChanged,
    /// An offline message arrived: the new `Mail-Data` document.
    OfflineMessages { mail_data: String },
    /// The account's own endpoints changed (MSNP16+ self-UBX).
    OwnEndpoints,
    /// An MSNP19+ message (`SDG`): its structured payload, the sender's
    /// address already written by the server.
    Sdg { payload: bytes::Bytes },
    /// A `UUN` from another user or endpoint, to pass on as `UBN`.
    Ubn { from: String, kind: String, payload: bytes::Bytes },
    /// What happened in a circle the recipient is in.
    Circle { circle: i64, event: CircleEvent },
}

/// What happens in a circle, told to its members' sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CircleEvent {
    /// The recipient now takes part in the circle (created it, or accepted
    /// an invitation): its client is told the circle is there, as after `ADL`.
    Joined { name: String, members: Vec<i64> },
    /// The recipient is no longer in the circle (left, removed, deleted).
    Removed,
    /// Someone accepted an invitation: a member to tell from now on.
    Member { account: i64 },
    /// A member is in the circle's conversation, with this presence.
    /// `answer`: the member's session, which just came, to be told in turn of
    /// each one already there.
    Here { account: i64, presence: ContactPresence, answer: Option<u64> },
    /// A member left the conversation (signed out, hid, or left the circle).
    Gone { account: i64, email: String },
    /// A message to the circle: its `SDG` payload, the sender's address
    /// written by the server.
    Message { payload: bytes::Bytes },
}

/// A contact as a viewer may see them: presence and, if set, personal message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub presence: ContactPresence,
    /// The `Notice::PersonalMessage` that shows it.
    pub personal_message: Option<Notice>,
}

/// Which sessions of a recipient a notice is for, decided where the
/// recipient is signed in (their state lives there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Filter {
    /// Every session.
    Anyone,
    /// Only if the recipient has `contact` on their forward list and, with
    /// `with_status`, has set a status since signing in (the first status
    /// change tells them everything at once).
    Watching { contact: i64, with_status: bool },
    /// The session of one endpoint (machine GUID, braces and case ignored).
    Endpoint(String),
    /// One session by id.
    Session(u64),
    /// Every session but those signed in with a ticket of this grant: a
    /// change made by one endpoint is news only to the others.
    OtherThanGrant(u64),
    /// Every session but this one (the sender's other endpoints).
    OtherThanSession(u64),
    /// Every session, if the recipient lets this account reach them (not
    /// blocked, allowed or by default) and does not appear offline.
    Allowing(i64),
}
