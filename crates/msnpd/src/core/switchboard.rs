//! Conversations (switchboard sessions): cookies that let a user in, the
//! participants, invitations, and relaying messages among them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::cluster::{Message, NodeId, RingOutcome, RingRequest};
use super::hub::Online;
use super::tokens::{Purpose, Reader, Signer, Writer};
pub use super::types::Invitation;
use super::types::{Capabilities, Filter, Notice, Status};
use super::{AccountId, Core, ServiceError, unix_now};

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
/// its cookie was issued (`Online::credential`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupant {
    pub account: AccountId,
    pub credential: u32,
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
        let Occupant { account, credential } = who;
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

    /// Sends a message to everyone else; true when every one of them got it queued.
    pub fn relay(&self, seat: &Seat, payload: Bytes) -> bool {
        self.relay_event(seat, |sender| ConversationEvent::Message { sender, payload })
    }

    /// Relays messages of one sender, in order, as one event per recipient;
    /// `true` when every other participant took them.
    /// `payloads` is left empty, its capacity kept for the next read's.
    pub fn relay_all(&self, seat: &Seat, payloads: &mut Vec<Bytes>) -> bool {
        match payloads.len() {
            0 => true,
            1 => self.relay(seat, payloads.pop().unwrap_or_default()),
            _ => {
                let payloads: Arc<[Bytes]> = payloads.drain(..).collect();
                self.relay_event(seat, |sender| ConversationEvent::Messages { sender, payloads })
            }
        }
    }

    fn relay_event(&self, seat: &Seat, event: impl FnOnce(Arc<Member>) -> ConversationEvent) -> bool {
        let participants = seat.conversation.participants();
        let Some(sender) = participants.iter().find(|p| p.endpoint == seat.endpoint) else {
            return false;
        };
        let event = event(sender.member.clone());
        let mut all = true;
        let mut others = 0;
        for other in participants.iter().filter(|p| p.endpoint != seat.endpoint) {
            others += 1;
            all &= deliver(other, event.clone());
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

fn deliver(participant: &Participant, event: ConversationEvent) -> bool {
    let ok = participant.sender.try_send(event).is_ok();
    if !ok {
        participant.overflowed.store(true, Ordering::Relaxed);
    }
    ok
}

impl Core {
    /// Invites `email` into the seat's conversation: each of their sessions,
    /// on whichever node, rings with a cookie of its own. Inviting yourself
    /// from an endpoint (MSNP16+) rings your other endpoints, if any. Returns
    /// the session id (`CAL … RINGING id`).
    pub async fn invite(
        self: &Arc<Self>,
        seat: &Seat,
        inviter: AccountId,
        email: &str,
    ) -> Result<u64, SwitchboardError> {
        let target = self.store.account_by_email(email).await?.ok_or(SwitchboardError::UnknownUser)?;
        let conversation = &seat.conversation;
        let (inviter_member, present) = {
            let participants = conversation.participants();
            let me = participants
                .iter()
                .find(|p| p.endpoint == seat.endpoint)
                .map(|p| Member::clone(&p.member))
                .ok_or(SwitchboardError::Ended)?;
            let present: Vec<Option<String>> =
                participants.iter().filter(|p| p.account == target.id).map(|p| p.member.machine.clone()).collect();
            (me, present)
        };
        let calling_self = target.id == inviter;
        // An endpoint's own address stands for the account's other endpoints
        // (MSNP16+): clients call it first in every new conversation and wait
        // for RINGING before they call anyone else, so it rings whichever of
        // them are not here yet, and is RINGING even when none is. Without
        // endpoints, the caller is the one already here.
        let bringing_own_endpoints = calling_self && inviter_member.machine.is_some();
        if !present.is_empty() && !bringing_own_endpoints {
            return Err(SwitchboardError::AlreadyPresent);
        }
        if conversation.member_count() >= self.config.max_participants {
            return Err(SwitchboardError::Full);
        }
        if self.member_state(inviter).await.is_some_and(|(_, _, hidden)| hidden) {
            return Err(SwitchboardError::Hidden);
        }
        let request = RingRequest {
            target: target.id,
            inviter,
            inviter_email: inviter_member.email.clone(),
            inviter_name: inviter_member.friendly_name.clone(),
            conversation: conversation.id,
            switchboard_node: self.node,
            switchboard_address: self.config.switchboard_address.clone(),
            present,
        };
        let mut outcomes = vec![self.ring_here(&request)];
        for node in self.directory.nodes_of(target.id) {
            match self.bus.request(node, Message::Ring(request.clone())).await {
                Ok(Message::RingReply(outcome)) => outcomes.push(outcome),
                Ok(_) => tracing::warn!("a node answered a ring with something else"),
                Err(error) => tracing::warn!(%error, "a node did not ring its sessions"),
            }
        }
        let rang = outcomes.iter().any(|o| matches!(o, RingOutcome::Rang | RingOutcome::RangAndStructured));
        let structured = outcomes.iter().any(|o| matches!(o, RingOutcome::Structured | RingOutcome::RangAndStructured));
        if structured && !calling_self {
            // MSNP19+ endpoints (no switchboards) are in by a bridge, beside
            // any older endpoint of the same account that was rung.
            let (friendly_name, caps, _) =
                self.member_state(target.id).await.unwrap_or((target.email.clone(), Capabilities::default(), false));
            let member = Member { email: target.email.clone(), friendly_name, caps, machine: None };
            let bridged = self.open_bridge(conversation.clone(), target.id, member, inviter_member.email.clone());
            if let (Err(error), false) = (bridged, rang) {
                return Err(error);
            }
        }
        if bringing_own_endpoints || rang || structured {
            Ok(conversation.id)
        } else if outcomes.contains(&RingOutcome::AlreadyPresent) {
            Err(SwitchboardError::AlreadyPresent)
        } else {
            Err(SwitchboardError::Unavailable)
        }
    }

    /// Rings the invitee's sessions on this node, each with a cookie for the
    /// switchboard the request names.
    pub(crate) fn ring_here(&self, request: &RingRequest) -> RingOutcome {
        let Some(online) = self.hub.get(request.target) else {
            return RingOutcome::Unavailable;
        };
        let calling_self = request.target == request.inviter;
        let (client_tag, sessions) = {
            let state = online.lock();
            let visible = state.presence.as_ref().is_some_and(|p| p.status != Status::Hidden);
            if !calling_self && (!visible || !state.accepting_messages || !state.lists.allows(request.inviter)) {
                return RingOutcome::Unavailable;
            }
            // Yourself: only your endpoints that are not in the conversation yet.
            let sessions: Vec<u64> = state
                .sessions
                .iter()
                .filter(|link| link.switchboards)
                .filter(|link| !calling_self || (link.endpoint.is_some() && !request.present.contains(&link.endpoint)))
                .map(|link| link.id)
                .collect();
            (state.client_tag, sessions)
        };
        let structured = !calling_self && online.lock().sessions.iter().any(|link| !link.switchboards);
        if sessions.is_empty() {
            return match (calling_self, structured) {
                (true, _) => RingOutcome::AlreadyPresent,
                (false, true) => RingOutcome::Structured,
                (false, false) => RingOutcome::Unavailable,
            };
        }
        for session in sessions {
            let purpose = CookiePurpose::Join(request.conversation);
            let cookie = self.switchboards.issue(&online, purpose, client_tag, request.switchboard_node);
            let invitation = Invitation {
                session_id: request.conversation,
                address: request.switchboard_address.clone(),
                cookie,
                inviter_email: request.inviter_email.clone(),
                inviter_name: request.inviter_name.clone(),
            };
            self.hub.deliver_local(request.target, &Notice::Ring(invitation), &Filter::Session(session));
        }
        if structured { RingOutcome::RangAndStructured } else { RingOutcome::Rang }
    }
}
