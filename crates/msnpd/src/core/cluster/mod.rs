//! Several nodes, one service. What a node must tell another (presence for
//! watchers signed in elsewhere, notices, invitations, who signed in where)
//! travels over one [`Bus`]: in-process when the node is alone (nothing to
//! send: every account is here), NATS when there are several. Each node
//! keeps a [`directory::Directory`] of the others and of the accounts they
//! hold, learnt from the bus, so a notice for many accounts costs one
//! message per node that holds some of them.

pub mod directory;
pub mod nats;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::AccountId;
use super::types::{Capabilities, ContactView, Filter, Notice};
use crate::store::ListChange;

/// A node's id: random at every start, so a restarted node is a new one and
/// nothing of its previous life is confused with it.
pub type NodeId = u32;

/// What a node says of itself in every heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub id: NodeId,
    /// `host:port` of its Notification Server sessions, as clients reach them.
    pub notification_address: String,
    /// `host:port` of its switchboard, as clients reach it.
    pub switchboard_address: String,
    pub sessions: usize,
    pub conversations: usize,
    /// A draining node takes no new sessions or conversations.
    pub draining: bool,
    /// The most sessions it takes (`max_sessions`, lowered to what its open
    /// files allow); 0 from a node that does not say.
    #[serde(default)]
    pub capacity: usize,
}

/// An account signed in on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub account: AccountId,
    pub email: String,
    pub node: NodeId,
    /// When it signed in (µs since the epoch): of two single-session claims
    /// the later one wins and the other node signs its session out (`OUT OTH`).
    pub stamp: i64,
    /// The session allows other endpoints beside it (MSNP16+).
    pub mpop: bool,
    /// Its MSNP16+ endpoints as the account's own endpoints see them (the
    /// account's endpoints on other nodes list them too).
    pub endpoints: Vec<msnp::xml::uux::EndpointView>,
}

/// An invitation to a conversation for an account signed in on another node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RingRequest {
    pub target: AccountId,
    pub inviter: AccountId,
    pub inviter_email: String,
    pub inviter_name: String,
    pub conversation: u64,
    /// The node holding the conversation, and its switchboard's address.
    pub switchboard_node: NodeId,
    pub switchboard_address: String,
    /// The invitee's endpoints already in the conversation (calling yourself).
    pub present: Vec<Option<String>>,
}

/// Why a ring was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RingOutcome {
    Rang,
    Unavailable,
    AlreadyPresent,
    /// Signed in, but only in MSNP19+: reached through a bridge.
    Structured,
    /// Rang, and signed in with MSNP19+ too (endpoints of both kinds).
    RangAndStructured,
}

/// Claims per `Claims` message: a node's claims in one message outgrow what
/// the bus carries (NATS takes 1 MiB by default; a claim is ≈ 110 bytes
/// without endpoints, a few hundred with them), and a refused message
/// would leave the other node blind to every account here.
pub const CLAIMS_PER_MESSAGE: usize = 500;

/// A node's claims as the messages that carry them: at least one, so that
/// a node holding no one still replaces what the receiver knew of it.
pub fn claims_in_parts(node: NodeId, mut claims: Vec<Claim>) -> Vec<Message> {
    let mut parts = Vec::with_capacity(claims.len().div_ceil(CLAIMS_PER_MESSAGE).max(1));
    loop {
        let rest = claims.split_off(claims.len().min(CLAIMS_PER_MESSAGE));
        parts.push(Message::Claims { node, claims, part: parts.len() as u32 });
        if rest.is_empty() {
            return parts;
        }
        claims = rest;
    }
}

/// Everything one node tells another.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Message {
    /// Sent by every node every heartbeat interval, to all.
    Heartbeat(NodeInfo),
    /// The node stops: its accounts are gone now.
    Leaving(NodeId),
    /// Every account a node holds, sent to a node heard for the first time,
    /// in parts (see [`claims_in_parts`]): part 0 replaces what the receiver
    /// knew of the node, later parts add to it.
    Claims {
        node: NodeId,
        claims: Vec<Claim>,
        #[serde(default)]
        part: u32,
    },
    SignedIn(Claim),
    /// The account has no session left on `node`.
    SignedOut {
        node: NodeId,
        account: AccountId,
    },
    /// A client came back from `node` without signing in there: do not
    /// refer anyone there until it is heard from again.
    Doubt {
        node: NodeId,
    },
    /// The account's credential changed: what the old one opened ends.
    Revoked {
        account: AccountId,
    },
    /// A notice for accounts signed in on the receiving node, and when it
    /// was sent (µs since the epoch): what a contact's watchers are told of
    /// it converges on the latest, even when older news arrives later.
    Deliver {
        to: Vec<AccountId>,
        notice: Notice,
        filter: Filter,
        at: i64,
    },
    /// Changes another account made to `owner`'s lists (RL), already stored.
    /// With the owner's list serial after them when it is known.
    ListChanged {
        owner: AccountId,
        changes: Vec<ListChange>,
        serial: Option<i64>,
    },
    /// Request: how `of` (signed in on the receiving node) look to `viewer`.
    Views {
        viewer: AccountId,
        of: Vec<AccountId>,
    },
    ViewsReply(Vec<ContactView>),
    /// Request: ring `target`'s sessions for a conversation.
    Ring(RingRequest),
    RingReply(RingOutcome),
    /// Request: an account's friendly name and capabilities, for a switchboard.
    Member {
        account: AccountId,
    },
    MemberReply(Option<(String, Capabilities, bool)>),
    /// Request: a switchboard message from MSNP19+ `account` to `peer`, for
    /// the bridge between them if the receiving node holds it.
    BridgeSend {
        account: AccountId,
        peer: String,
        message: bytes::Bytes,
    },
    BridgeSent(bool),
    /// Request: whether the account's sessions there are MSNP19+, and older.
    Reach {
        account: AccountId,
    },
    ReachReply(bool, bool),
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Node(NodeId),
    All,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("no other node is reachable over this bus")]
    Alone,
    #[error("the node did not answer in time")]
    Timeout,
    #[error("bus: {0}")]
    Transport(String),
}

pub type Reply = Pin<Box<dyn Future<Output = Result<Message, BusError>> + Send>>;

/// When each other node was last heard, by any message. The bus notes it
/// the moment a message arrives, however far behind this node's handling
/// of messages is: a node that is sending is alive, even when what it sends
/// waits in a queue here.
#[derive(Default)]
pub struct Liveness {
    heard: Mutex<HashMap<NodeId, Instant>>,
}

impl Liveness {
    pub fn heard(&self, node: NodeId) {
        self.heard.lock().unwrap_or_else(|e| e.into_inner()).insert(node, Instant::now());
    }

    pub fn last(&self, node: NodeId) -> Option<Instant> {
        self.heard.lock().unwrap_or_else(|e| e.into_inner()).get(&node).copied()
    }

    pub fn forget(&self, node: NodeId) {
        self.heard.lock().unwrap_or_else(|e| e.into_inner()).remove(&node);
    }
}

/// How nodes reach each other.
pub trait Bus: Send + Sync {
    /// Hands a message over for `route`, never waiting: a bus that cannot
    /// keep up drops it and counts it (`dropped`).
    fn publish(&self, route: Route, message: Message);
    /// Asks one node and waits (bounded) for its answer.
    fn request(&self, node: NodeId, message: Message) -> Reply;
    /// Sends this node's heartbeat to all, on a way of its own: a flood of
    /// other messages does not hold it back.
    fn beat(&self, info: NodeInfo);
    /// When each other node was last heard.
    fn liveness(&self) -> Arc<Liveness>;
    /// Messages dropped because the bus could not take them.
    fn dropped(&self) -> u64;
    /// There is no other node to tell: callers may skip building messages.
    fn alone(&self) -> bool {
        false
    }
}

/// A message that arrived, with the way to answer it if it was a request.
pub struct Incoming {
    pub from: NodeId,
    pub message: Message,
    pub reply: Option<Box<dyn FnOnce(Message) + Send>>,
}

/// The bus of a node on its own: there is no one to tell.
pub struct LocalBus;

impl Bus for LocalBus {
    fn publish(&self, _route: Route, _message: Message) {}

    fn beat(&self, _info: NodeInfo) {}

    fn liveness(&self) -> Arc<Liveness> {
        Arc::default()
    }

    fn request(&self, _node: NodeId, _message: Message) -> Reply {
        Box::pin(async { Err(BusError::Alone) })
    }

    fn dropped(&self) -> u64 {
        0
    }

    fn alone(&self) -> bool {
        true
    }
}
