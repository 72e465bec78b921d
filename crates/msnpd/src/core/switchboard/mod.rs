//! Conversations (switchboard sessions): cookies that let a user in, the
//! participants, invitations, and relaying messages among them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

mod invite;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::cluster::NodeId;
use super::hub::Online;
use super::outlet::{Outlet, Written};
use super::tokens::{Purpose, Reader, Signer, Writer};
use super::types::Capabilities;
pub use super::types::Invitation;
use super::{AccountId, ServiceError, unix_now};

/// Events queued per participant before it counts as not keeping up.
pub const EVENT_QUEUE: usize = 1024;

/// How many messages an account may still send (see `Switchboards::message_bucket`).
pub type MessageBucket = Arc<Mutex<crate::core::limits::TokenBucket>>;

/// What a participant's front must tell its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationEvent {
    /// `first` when no other endpoint of the same account was there.
    Joined { member: Member, first: bool },
    /// `idle` when the server timed the participant out; `last` when no other
    /// endpoint of the same account remains.
    Left { email: String, machine: Option<String>, idle: bool, last: bool },
    /// Shared by every recipient: no copy of the sender or the text per message.
    Message { sender: Arc<Member>, payload: Bytes },
    /// Several messages of one sender, read together: one event for the
    /// run (a client with ten messages in flight sends ten per read).
    Messages { sender: Arc<Member>, payloads: Arc<[Bytes]> },
    /// The account's credential is gone (a new password, the account
    /// deleted): this participant must leave.
    Dismissed,
    /// The participant's outlet holds the rest of a write it began.
    Flush,
}

/// A participant as the others see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub email: String,
    pub friendly_name: String,
    pub caps: Capabilities,
    /// The endpoint's machine GUID (MSNP16+ `email;{guid}`), if it gave one.
    pub machine: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SwitchboardError {
    #[error("no such user")]
    UnknownUser,
    #[error("the user is offline or not accepting messages from you")]
    Unavailable,
    #[error("already in the conversation")]
    AlreadyPresent,
    #[error("the conversation is full")]
    Full,
    #[error("not allowed while appearing offline")]
    Hidden,
    #[error("bad or expired cookie")]
    BadCookie,
    #[error("the conversation has ended")]
    Ended,
    #[error("too many open conversations")]
    TooManyConversations,
    #[error("this node holds as many conversations as it may")]
    Overloaded,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for SwitchboardError {
    fn from(error: crate::store::StoreError) -> SwitchboardError {
        SwitchboardError::Service(error.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CookiePurpose {
    Create,
    Join(u64),
}

/// Bytes of the random part of a cookie: two cookies never look alike.
const COOKIE_NONCE: usize = 4;

struct Participant {
    endpoint: u64,
    account: AccountId,
    /// What stood for the account's password when it came in (the cookie's).
    credential: u32,
    member: Arc<Member>,
    sender: mpsc::Sender<ConversationEvent>,
    overflowed: Arc<AtomicBool>,
    outlet: Option<Arc<dyn Outlet>>,
}

pub struct Conversation {
    pub id: u64,
    participants: Mutex<Vec<Participant>>,
}

impl Conversation {
    fn participants(&self) -> MutexGuard<'_, Vec<Participant>> {
        self.participants.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn member_count(&self) -> usize {
        self.participants().len()
    }
}

/// Who takes a seat: the account, and what stood for its password when
/// its cookie was issued (`Online::credential`), and its front's way
/// straight to the client, if it has one.
#[derive(Clone)]
pub struct Occupant {
    pub account: AccountId,
    pub credential: u32,
    pub outlet: Option<Arc<dyn Outlet>>,
}

/// A participant's end: its events and the handle it acts through.
pub struct Seat {
    pub conversation: Arc<Conversation>,
    pub endpoint: u64,
    pub events: mpsc::Receiver<ConversationEvent>,
    pub overflowed: Arc<AtomicBool>,
    /// The others already there when this participant arrived (IRO).
    pub roster: Vec<Member>,
}

/// What a redeemed cookie grants, with the tag of the session it was issued for.
pub enum Admission {
    Create { client_tag: u8 },
    Join { conversation: Arc<Conversation>, client_tag: u8 },
}

pub struct Switchboards {
    lifetime: Duration,
    /// Messages per second an account may send, and its burst.
    message_rate: (f64, f64),
    message_buckets: Mutex<HashMap<AccountId, MessageBucket>>,
    /// Cookies are signed (any node may issue one for this node's
    /// switchboard); this node remembers the ones spent until they expire.
    signer: Arc<Signer>,
    node: NodeId,
    spent: Mutex<HashMap<String, u32>>,
    conversations: Mutex<HashMap<u64, Arc<Conversation>>>,
    /// Seats each account holds, all conversations and endpoints together.
    seats: Mutex<HashMap<AccountId, usize>>,
    max_seats: usize,
    /// Most conversations this node holds at once.
    max_conversations: usize,
    next_id: AtomicU64,
}

impl Switchboards {
    pub fn new(
        lifetime: Duration,
        message_rate: (f64, f64),
        max_seats: usize,
        max_conversations: usize,
        signer: Arc<Signer>,
        node: NodeId,
    ) -> Switchboards {
        Switchboards {
            lifetime,
            message_rate,
            message_buckets: Mutex::new(HashMap::new()),
            signer,
            node,
            spent: Mutex::new(HashMap::new()),
            conversations: Mutex::new(HashMap::new()),
            seats: Mutex::new(HashMap::new()),
            max_seats,
            max_conversations,
            next_id: AtomicU64::new(rand::random::<u32>() as u64),
        }
    }

    fn conversations(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conversation>>> {
        self.conversations.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A cookie for the switchboard of `node`: account, what stood for its
    /// password when it was issued (`Online::credential`), purpose, the tag
    /// of the session it was issued for (see `OnlineState::client_tag`), expiry.
    fn issue(&self, to: &Online, purpose: CookiePurpose, client_tag: u8, node: NodeId) -> String {
        let expires = unix_now().saturating_add(self.lifetime.as_secs() as i64).clamp(0, u32::MAX as i64) as u32;
        let (kind, conversation) = match purpose {
            CookiePurpose::Create => (0, 0),
            CookiePurpose::Join(id) => (1, id),
        };
        let payload = Writer::default()
            .u8(kind)
            .u8(client_tag)
            .i64(to.id)
            .u32(to.credential)
            .u64(conversation)
            .u32(node)
            .u32(expires)
            .bytes(&rand::random::<[u8; COOKIE_NONCE]>())
            .finish();
        self.signer.seal(Purpose::Cookie, &payload)
    }

    /// A cookie for `XFR … SB`: lets `account` open a new conversation on
    /// the switchboard of `node`.
    pub fn issue_create_cookie(&self, to: &Online, client_tag: u8, node: NodeId) -> String {
        self.issue(to, CookiePurpose::Create, client_tag, node)
    }

    /// Spends a cookie: valid once, on the node it names, for its account
    /// under the password it has now (`credential`), before it expires; a
    /// join cookie also only for its session id.
    pub fn redeem(
        &self,
        cookie: &str,
        account: AccountId,
        credential: u32,
        session_id: Option<u64>,
    ) -> Result<Admission, SwitchboardError> {
        let payload = self.signer.open(Purpose::Cookie, cookie).ok_or(SwitchboardError::BadCookie)?;
        let mut reader = Reader::new(&payload);
        let mut read = || {
            let head = (reader.u8()?, reader.u8()?, reader.i64()?, reader.u32()?);
            Some((head, reader.u64()?, reader.u32()?, reader.u32()?))
        };
        let ((kind, client_tag, owner, issued_under), conversation, node, expires) =
            read().ok_or(SwitchboardError::BadCookie)?;
        let now = unix_now();
        if node != self.node || i64::from(expires) <= now {
            return Err(SwitchboardError::BadCookie);
        }
        // Spent by any attempt, the failed ones too: single use means single use.
        {
            let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
            if spent.len() > 1024 && spent.len().is_power_of_two() {
                spent.retain(|_, until| i64::from(*until) > now);
            }
            if spent.insert(cookie.to_owned(), expires).is_some() {
                return Err(SwitchboardError::BadCookie);
            }
        }
        if owner != account || issued_under != credential {
            return Err(SwitchboardError::BadCookie);
        }
        match (kind, session_id) {
            (0, None) => Ok(Admission::Create { client_tag }),
            (1, Some(asked)) if conversation == asked => self
                .conversations()
                .get(&conversation)
                .cloned()
                .map(|conversation| Admission::Join { conversation, client_tag })
                .ok_or(SwitchboardError::Ended),
            _ => Err(SwitchboardError::BadCookie),
        }
    }

    fn seats(&self) -> MutexGuard<'_, HashMap<AccountId, usize>> {
        self.seats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this node may open one more conversation.
    pub fn accepting_conversations(&self) -> bool {
        self.conversations().len() < self.max_conversations
    }

    /// Whether `account` may take one more seat: open or join one more conversation.
    pub fn may_take_seat(&self, account: AccountId) -> bool {
        self.seats().get(&account).copied().unwrap_or(0) < self.max_seats
    }

    /// Counts a seat for `account`, unless it already holds the most allowed.
    fn reserve_seat(&self, account: AccountId) -> Result<(), SwitchboardError> {
        let mut seats = self.seats();
        let held = seats.entry(account).or_insert(0);
        if *held >= self.max_seats {
            return Err(SwitchboardError::TooManyConversations);
        }
        *held += 1;
        Ok(())
    }

    fn release_seat(&self, account: AccountId) {
        let mut seats = self.seats();
        if let Some(held) = seats.get_mut(&account) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                seats.remove(&account);
            }
        }
    }

    fn seat(&self, conversation: Arc<Conversation>, who: Occupant, member: Member, roster: Vec<Member>) -> Seat {
        let Occupant { account, credential, outlet } = who;
        let (sender, events) = mpsc::channel(EVENT_QUEUE);
        let overflowed = Arc::new(AtomicBool::new(false));
        let endpoint = self.next_id.fetch_add(1, Ordering::Relaxed);
        conversation.participants().push(Participant {
            endpoint,
            account,
            credential,
            member: Arc::new(member),
            sender,
            overflowed: overflowed.clone(),
            outlet,
        });
        Seat { conversation, endpoint, events, overflowed, roster }
    }

    /// Opens a conversation with its creator as the only participant.
    pub fn create(&self, who: Occupant, member: Member) -> Result<Seat, SwitchboardError> {
        if !self.accepting_conversations() {
            return Err(SwitchboardError::Overloaded);
        }
        self.reserve_seat(who.account)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conversation = Arc::new(Conversation { id, participants: Mutex::new(Vec::new()) });
        self.conversations().insert(id, conversation.clone());
        Ok(self.seat(conversation, who, member, Vec::new()))
    }

    /// Joins an invitee; the others see them arrive.
    pub fn join(
        &self,
        conversation: Arc<Conversation>,
        who: Occupant,
        member: Member,
    ) -> Result<Seat, SwitchboardError> {
        let account = who.account;
        let roster: Vec<Member> = {
            let participants = conversation.participants();
            if participants.is_empty() {
                return Err(SwitchboardError::Ended);
            }
            // Each endpoint of an account may be there once (MPOP), an account without endpoints once.
            if participants.iter().any(|p| p.account == account && p.member.machine == member.machine) {
                return Err(SwitchboardError::AlreadyPresent);
            }
            self.reserve_seat(account)?;
            let first = participants.iter().all(|p| p.account != account);
            for other in participants.iter() {
                deliver(other, ConversationEvent::Joined { member: member.clone(), first });
            }
            participants.iter().map(|p| Member::clone(&p.member)).collect()
        };
        Ok(self.seat(conversation, who, member, roster))
    }

    /// Sends a message to everyone else; true when every one of them took it.
    pub fn relay(&self, seat: &Seat, payload: Bytes) -> bool {
        self.relay_all(seat, std::slice::from_ref(&payload), std::time::Instant::now())
    }

    /// Relays messages of one sender, read at `at`, in order: written
    /// straight to a participant's client when its outlet can, else as one
    /// event per recipient; `true` when every other participant took them.
    pub fn relay_all(&self, seat: &Seat, payloads: &[Bytes], at: std::time::Instant) -> bool {
        if payloads.is_empty() {
            return true;
        }
        // The conversation stays locked while its messages are written, so
        // that each participant gets every sender's in one order.
        let participants = seat.conversation.participants();
        let Some(sender) = participants.iter().find(|p| p.endpoint == seat.endpoint) else {
            return false;
        };
        let mut event = None;
        let mut all = true;
        let mut others = 0;
        for other in participants.iter().filter(|p| p.endpoint != seat.endpoint) {
            others += 1;
            let written = other.outlet.as_ref().map_or(Written::Not, |o| o.write_now(&sender.member, payloads, at));
            all &= match written {
                Written::All => true,
                Written::Part => queue(other, ConversationEvent::Flush),
                Written::Not => {
                    let event = event.get_or_insert_with(|| match payloads {
                        [payload] => {
                            ConversationEvent::Message { sender: sender.member.clone(), payload: payload.clone() }
                        }
                        _ => ConversationEvent::Messages {
                            sender: sender.member.clone(),
                            payloads: payloads.iter().cloned().collect(),
                        },
                    });
                    deliver(other, event.clone())
                }
            };
        }
        all && others > 0
    }

    /// Leaves; the others see `BYE`, and the last one out ends the conversation.
    pub fn leave(&self, seat: &Seat, idle: bool) {
        let empty = {
            let mut participants = seat.conversation.participants();
            let Some(index) = participants.iter().position(|p| p.endpoint == seat.endpoint) else {
                return;
            };
            let gone = participants.remove(index);
            self.release_seat(gone.account);
            let last = participants.iter().all(|p| p.account != gone.account);
            for other in participants.iter() {
                let event = ConversationEvent::Left {
                    email: gone.member.email.clone(),
                    machine: gone.member.machine.clone(),
                    idle,
                    last,
                };
                deliver(other, event);
            }
            participants.is_empty()
        };
        if empty {
            self.conversations().remove(&seat.conversation.id);
        }
    }

    /// Tells every participant of `account` in this node's conversations
    /// that came in under another credential than `current` (`None`: the
    /// account is gone) to leave; they do, and the others see `BYE`.
    pub fn dismiss(&self, account: AccountId, current: Option<u32>) {
        let conversations: Vec<Arc<Conversation>> = self.conversations().values().cloned().collect();
        for conversation in conversations {
            let participants = conversation.participants();
            for participant in participants.iter().filter(|p| p.account == account && Some(p.credential) != current) {
                deliver(participant, ConversationEvent::Dismissed);
            }
        }
    }

    /// The message allowance of `account`, shared by all its conversations
    /// here: a participant takes it once and draws on it without the map's lock.
    pub fn message_bucket(&self, account: AccountId) -> MessageBucket {
        let mut buckets = self.message_buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            // Those who still hold theirs keep it; the rest start afresh.
            buckets.retain(|_, bucket| Arc::strong_count(bucket) > 1);
        }
        let (rate, burst) = self.message_rate;
        buckets
            .entry(account)
            .or_insert_with(|| Arc::new(Mutex::new(crate::core::limits::TokenBucket::new(rate, burst))))
            .clone()
    }

    /// Gives back the room of conversations and senders gone.
    pub fn shrink(&self) {
        self.conversations().shrink_to_fit();
        self.message_buckets.lock().unwrap_or_else(|e| e.into_inner()).shrink_to_fit();
        self.seats.lock().unwrap_or_else(|e| e.into_inner()).shrink_to_fit();
        self.spent.lock().unwrap_or_else(|e| e.into_inner()).shrink_to_fit();
    }

    pub fn conversation_count(&self) -> usize {
        self.conversations().len()
    }
}

/// Queues an event for a participant; its outlet writes nothing until the
/// participant's task has written it. (Should the queue be full, the hold
/// stays: the participant is overflowed and about to leave.)
fn deliver(participant: &Participant, event: ConversationEvent) -> bool {
    if let Some(outlet) = &participant.outlet {
        outlet.hold();
    }
    queue(participant, event)
}

/// Queues an event the outlet already holds for.
fn queue(participant: &Participant, event: ConversationEvent) -> bool {
    let ok = participant.sender.try_send(event).is_ok();
    if !ok {
        participant.overflowed.store(true, Ordering::Relaxed);
    }
    ok
}
