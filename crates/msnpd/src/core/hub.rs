//! Who is online: per account, its sessions (each a channel of notices to its
//! front), its presence and its contact list, loaded at sign-in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use msnp::xml::uux::{EndpointView, PersonalStatus, PrivateEndpoint};
use tokio::sync::mpsc;

use super::contact_list::ContactList;
pub use super::types::Notice;
use super::types::{ContactPresence, Filter, Presence};
use super::{AccountId, ServiceError};

/// Notices queued per session before it counts as not keeping up.
pub const NOTICE_QUEUE: usize = 1024;

/// One front session's end of the notice channel.
pub struct SessionLink {
    pub id: u64,
    pub(super) sender: mpsc::Sender<Box<Notice>>,
    /// Set when the queue overflowed: the session must close.
    pub(super) overflowed: Arc<AtomicBool>,
    /// Counts the notices dropped so (`/metrics`).
    pub(super) dropped: prometheus_client::metrics::counter::Counter,
    /// What the operator's dashboard says of the session: dialect and client.
    pub client: Box<str>,
    /// When it signed in (seconds since the epoch).
    pub since: i64,
    /// The endpoint (machine GUID) of an MSNP16+ session.
    pub endpoint: Option<String>,
    /// The grant of the Passport ticket it signed in with (see `Ticket::grant`;
    /// never 0), or 0 without one.
    pub grant: u64,
    /// The session accepts other endpoints of its account beside it (MSNP16+).
    pub mpop: bool,
    /// The session joins switchboards when rung (MSNP2–18; MSNP19+ has none).
    pub switchboards: bool,
    /// What the endpoint published with `UUX <EndpointData>`.
    pub capabilities: Option<String>,
    /// The capabilities of its last `CHG`, shown until it publishes its own.
    pub status_caps: Option<super::presence::Capabilities>,
    /// What it published with `UUX <PrivateEndpointData>`.
    pub private: Option<PrivateEndpoint>,
}

/// The receiving end, held by the session.
pub struct SessionInbox {
    pub id: u64,
    /// Boxed: the channel allocates its first block of slots up front, and
    /// an idle session should not pay for 32 full-sized notices.
    pub receiver: mpsc::Receiver<Box<Notice>>,
    pub overflowed: Arc<AtomicBool>,
    /// The offline messages waiting when the session signed in, when the
    /// sign-in loaded them (the first status change shows them).
    pub offline: Option<Vec<crate::store::OfflineMessage>>,
    /// Counts this session among the signed-in ones while it lives.
    pub(super) _counted: Counted,
}

/// One signed-in session in the hub's count, however the session ends
/// (signed out, replaced elsewhere, connection lost).
pub(super) struct Counted(pub(super) Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why a session could not sign in.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the node holds max_sessions sessions")]
    Full,
    #[error("the account has max_endpoints endpoints signed in")]
    TooManyEndpoints,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// The mutable state of an online account.
pub struct OnlineState {
    pub friendly_name: String,
    /// `None` until the first status change after sign-in.
    pub presence: Option<Presence>,
    pub personal_message: Option<PersonalStatus>,
    /// `IMS OFF` turns invitations to conversations away.
    pub accepting_messages: bool,
    /// An opaque tag the front that signed the account in chose (its dialect),
    /// carried into the switchboard cookies issued for it.
    pub client_tag: u8,
    pub lists: ContactList,
    pub sessions: Vec<SessionLink>,
}

impl OnlineState {
    /// The endpoints of the account as `UBX` lists them; `private` for its own sessions.
    pub fn endpoints(&self, private: bool) -> Vec<EndpointView> {
        self.sessions
            .iter()
            .filter_map(|link| {
                Some(EndpointView {
                    guid: link.endpoint.clone()?,
                    capabilities: link
                        .capabilities
                        .clone()
                        .or_else(|| link.status_caps.map(|caps| format!("{}:{}", caps.flags, caps.extended))),
                    private: private.then(|| link.private.clone().unwrap_or_default()),
                })
            })
            .collect()
    }

    /// The user as contacts see them, once a status is set.
    pub fn view(&self, email: &str) -> Option<ContactPresence> {
        self.presence.as_ref().map(|presence| ContactPresence {
            email: email.to_owned(),
            friendly_name: self.friendly_name.clone(),
            presence: presence.clone(),
        })
    }
}

pub struct Online {
    pub id: AccountId,
    pub email: String,
    /// When the account signed in on this node (µs since the epoch): of two
    /// nodes holding it, the later sign-in wins.
    pub signed_in_at: i64,
    /// What stands for its password as it was loaded (see
    /// `Tickets::credential`): tickets issued under another are refused.
    pub credential: u32,
    pub(super) state: Mutex<OnlineState>,
    /// Serialises list changes of this account across the database write.
    pub list_writes: tokio::sync::Mutex<()>,
}

impl Online {
    /// The state; never held across an await.
    pub fn lock(&self) -> MutexGuard<'_, OnlineState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Hub {
    accounts: Mutex<HashMap<AccountId, Arc<Online>>>,
    pub(super) next_session: AtomicU64,
    /// Signed-in sessions (every endpoint counts), for `max_sessions`.
    pub(super) sessions: Arc<AtomicUsize>,
}

impl Hub {
    /// Session ids start from the node's id, so they differ across nodes.
    pub fn new(node: super::cluster::NodeId) -> Hub {
        Hub {
            accounts: Mutex::default(),
            next_session: AtomicU64::new(u64::from(node) << 32),
            sessions: Arc::default(),
        }
    }

    /// Every account signed in on this node.
    pub fn all(&self) -> Vec<Arc<Online>> {
        self.accounts().values().cloned().collect()
    }

    /// Queues `notice` for the sessions of a local account that `filter` picks.
    pub fn deliver_local(&self, id: AccountId, notice: &Notice, filter: &Filter) {
        let Some(online) = self.get(id) else { return };
        let state = online.lock();
        let normal = |g: &str| g.trim_matches(|c| c == '{' || c == '}').to_ascii_lowercase();
        match filter {
            Filter::Anyone => {}
            Filter::Watching { contact, with_status } => {
                if (*with_status && state.presence.is_none()) || !state.lists.is_on_forward_list(*contact) {
                    return;
                }
            }
            Filter::Endpoint(guid) => {
                let wanted = normal(guid);
                for link in
                    state.sessions.iter().filter(|l| l.endpoint.as_deref().map(normal).as_ref() == Some(&wanted))
                {
                    send(link, notice.clone());
                }
                return;
            }
            Filter::Session(session) => {
                for link in state.sessions.iter().filter(|l| l.id == *session) {
                    send(link, notice.clone());
                }
                return;
            }
            Filter::OtherThanSession(session) => {
                for link in state.sessions.iter().filter(|l| l.id != *session) {
                    send(link, notice.clone());
                }
                return;
            }
            Filter::Allowing(sender) => {
                let visible = state.presence.as_ref().is_some_and(|p| p.status != super::types::Status::Hidden);
                if !visible || !state.lists.allows(*sender) {
                    return;
                }
            }
            Filter::OtherThanGrant(grant) => {
                for link in state.sessions.iter().filter(|l| l.grant != *grant) {
                    send(link, notice.clone());
                }
                return;
            }
        }
        for link in &state.sessions {
            send(link, notice.clone());
        }
    }

    pub(super) fn accounts(&self) -> MutexGuard<'_, HashMap<AccountId, Arc<Online>>> {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, id: AccountId) -> Option<Arc<Online>> {
        self.accounts().get(&id).cloned()
    }

    /// The online account with this email.
    pub fn get_by_email(&self, email: &str) -> Option<AccountId> {
        self.accounts().values().find(|online| online.email == email).map(|online| online.id)
    }

    pub fn online_count(&self) -> usize {
        self.accounts().len()
    }

    /// Gives back the room of accounts gone: a map keeps the capacity of
    /// its busiest moment (see `server::return_memory`).
    pub fn shrink(&self) {
        self.accounts().shrink_to_fit();
    }

    /// Sessions signed in now, every endpoint of every account.
    pub fn session_count(&self) -> usize {
        self.sessions.load(Ordering::Acquire)
    }

    /// Queues a notice for every session of every account online.
    pub fn notify_everyone(&self, notice: Notice) {
        let everyone: Vec<Arc<Online>> = self.accounts().values().cloned().collect();
        for online in everyone {
            let state = online.lock();
            for link in &state.sessions {
                send(link, notice.clone());
            }
        }
    }
}

pub(crate) fn send(link: &SessionLink, notice: Notice) {
    if link.sender.try_send(Box::new(notice)).is_err() {
        link.dropped.inc();
        link.overflowed.store(true, Ordering::Relaxed);
        tracing::warn!(session = link.id, "session does not keep up with its notices; closing it");
    }
}
