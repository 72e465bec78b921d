//! Who is online: per account, its sessions (each a channel of notices to its
//! front), its presence and its contact list, loaded at sign-in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use msnp::xml::uux::{EndpointView, PersonalStatus, PrivateEndpoint};
use tokio::sync::mpsc;

use super::lists::ContactList;
use super::presence::{ContactPresence, Presence};
use super::switchboard::Invitation;
use super::{AccountId, Core, ServiceError};

/// Notices queued per session before it counts as not keeping up.
pub const NOTICE_QUEUE: usize = 1024;

/// Something a session must tell its client, in its own dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The account's address book changed through the SOAP services (MSNP13+ `NOT`).
    AddressBookChanged,
    /// An offline message arrived: the new `Mail-Data` document.
    OfflineMessages { mail_data: String },
    /// The account's own endpoints changed (MSNP16+ self-UBX).
    OwnEndpoints,
    /// A `UUN` from another user or endpoint, to pass on as `UBN`.
    Ubn { from: String, kind: String, payload: bytes::Bytes },
}

/// One front session's end of the notice channel.
pub struct SessionLink {
    pub id: u64,
    sender: mpsc::Sender<Box<Notice>>,
    /// Set when the queue overflowed: the session must close.
    overflowed: Arc<AtomicBool>,
    /// The endpoint (machine GUID) of an MSNP16+ session.
    pub endpoint: Option<String>,
    /// The session accepts other endpoints of its account beside it (MSNP16+).
    pub mpop: bool,
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
    /// Counts this session among the signed-in ones while it lives.
    _counted: Counted,
}

/// One signed-in session in the hub's count, however the session ends
/// (signed out, replaced elsewhere, connection lost).
struct Counted(Arc<AtomicUsize>);

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

    /// The personal message as contacts receive it, if one was set.
    pub fn personal_message_notice(&self, email: &str) -> Option<Notice> {
        let status = self.personal_message.clone()?;
        Some(Notice::PersonalMessage { email: email.to_owned(), status, endpoints: self.endpoints(false) })
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
    state: Mutex<OnlineState>,
    /// Serialises list changes of this account across the database write.
    pub list_writes: tokio::sync::Mutex<()>,
}

impl Online {
    /// The state; never held across an await.
    pub fn lock(&self) -> MutexGuard<'_, OnlineState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Default)]
pub struct Hub {
    accounts: Mutex<HashMap<AccountId, Arc<Online>>>,
    next_session: AtomicU64,
    /// Signed-in sessions (every endpoint counts), for `max_sessions`.
    sessions: Arc<AtomicUsize>,
}

impl Hub {
    fn accounts(&self) -> MutexGuard<'_, HashMap<AccountId, Arc<Online>>> {
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

    /// Queues a notice for one session of an account.
    pub fn notify_session(&self, id: AccountId, session: u64, notice: Notice) {
        if let Some(online) = self.get(id) {
            let state = online.lock();
            if let Some(link) = state.sessions.iter().find(|link| link.id == session) {
                send(link, notice);
            }
        }
    }

    /// Queues a notice for every session of an account, if it is online.
    pub fn notify(&self, id: AccountId, notice: Notice) {
        if let Some(online) = self.get(id) {
            let state = online.lock();
            for link in &state.sessions {
                send(link, notice.clone());
            }
        }
    }
}

fn send(link: &SessionLink, notice: Notice) {
    if link.sender.try_send(Box::new(notice)).is_err() {
        link.overflowed.store(true, Ordering::Relaxed);
        tracing::warn!(session = link.id, "session does not keep up with its notices; closing it");
    }
}

/// Whether a new endpoint joined its account's other endpoints.
enum Joined {
    Yes(Arc<Online>),
    No(SessionLink),
}

impl Core {
    /// Signs a session in. A session that allows several points of presence
    /// (MSNP16+, `mpop`) joins the account's other such sessions if its endpoint
    /// is new; otherwise the other sessions end (`OUT OTH`) and the account
    /// starts afresh from the store. Refused when the node holds
    /// `max_sessions` sessions, or the account `max_endpoints` endpoints.
    pub async fn sign_in(
        &self,
        account: AccountId,
        client_tag: u8,
        endpoint: Option<String>,
        mpop: bool,
    ) -> Result<(Arc<Online>, SessionInbox), SignInError> {
        // Counted from here: parallel sign-ins cannot together pass the limit.
        let counted = Counted(self.hub.sessions.clone());
        if counted.0.fetch_add(1, Ordering::AcqRel) >= self.config.max_sessions {
            return Err(SignInError::Full);
        }
        let (sender, receiver) = mpsc::channel(NOTICE_QUEUE);
        let id = self.hub.next_session.fetch_add(1, Ordering::Relaxed) + 1;
        let overflowed = Arc::new(AtomicBool::new(false));
        let link = SessionLink {
            id,
            sender,
            overflowed: overflowed.clone(),
            endpoint: endpoint.clone(),
            mpop,
            capabilities: None,
            status_caps: None,
            private: None,
        };
        let inbox = SessionInbox { id, receiver, overflowed, _counted: counted };
        let link = match self.join_endpoints(account, link)? {
            Joined::Yes(existing) => return Ok((existing, inbox)),
            Joined::No(link) => link,
        };
        let loaded = self.store.account_with_lists(account).await.map_err(ServiceError::from)?;
        let (row, lists) = loaded.ok_or(ServiceError::AccountGone)?;
        // Another endpoint of the account may have signed in during the load:
        // join it rather than replace it.
        let link = match self.join_endpoints(account, link)? {
            Joined::Yes(existing) => return Ok((existing, inbox)),
            Joined::No(link) => link,
        };
        let online = Arc::new(Online {
            id: account,
            email: row.email.clone(),
            state: Mutex::new(OnlineState {
                friendly_name: row.friendly_name,
                presence: None,
                personal_message: None,
                accepting_messages: true,
                client_tag,
                lists: ContactList::from(lists),
                sessions: vec![link],
            }),
            list_writes: tokio::sync::Mutex::new(()),
        });
        let previous = self.hub.accounts().insert(account, online.clone());
        if let Some(previous) = previous {
            let was_visible = {
                let state = previous.lock();
                for link in &state.sessions {
                    send(link, Notice::SignedInElsewhere);
                }
                state.presence.as_ref().is_some_and(|p| p.status != super::presence::Status::Hidden)
            };
            // Until the new session sets a status, the account is offline to its contacts.
            if was_visible {
                for watcher in self.allowed_watchers(&previous) {
                    self.hub.notify(watcher, Notice::Offline { email: previous.email.clone() });
                }
            }
        }
        Ok((online, inbox))
    }

    /// Adds an endpoint to its account when the account is online, every
    /// session of it allows several endpoints, and this endpoint is new.
    /// Checked and done under the hub's lock, so two endpoints signing in at
    /// once both stay.
    fn join_endpoints(&self, account: AccountId, link: SessionLink) -> Result<Joined, SignInError> {
        if !link.mpop {
            return Ok(Joined::No(link));
        }
        let accounts = self.hub.accounts();
        let Some(existing) = accounts.get(&account).cloned() else {
            return Ok(Joined::No(link));
        };
        let mut state = existing.lock();
        let all_mpop = state.sessions.iter().all(|s| s.mpop);
        let new_endpoint = state.sessions.iter().all(|s| s.endpoint.is_some() && s.endpoint != link.endpoint);
        if !(all_mpop && new_endpoint && !state.sessions.is_empty()) {
            return Ok(Joined::No(link));
        }
        if state.sessions.len() >= self.config.max_endpoints {
            return Err(SignInError::TooManyEndpoints);
        }
        // The others hear of the new endpoint; it sends its own list after USR OK.
        for session in &state.sessions {
            send(session, Notice::OwnEndpoints);
        }
        state.sessions.push(link);
        drop(state);
        Ok(Joined::Yes(existing))
    }

    /// Records what an endpoint published about itself (`UUX` in MSNP16+) and
    /// shows it to the account's endpoints.
    pub fn set_endpoint(
        &self,
        me: &Arc<Online>,
        session: u64,
        capabilities: Option<String>,
        private: Option<PrivateEndpoint>,
    ) {
        let mut state = me.lock();
        if let Some(link) = state.sessions.iter_mut().find(|link| link.id == session) {
            if let Some(capabilities) = capabilities {
                link.capabilities = Some(capabilities);
            }
            if let Some(private) = private {
                link.private = Some(private);
            }
        }
        for link in &state.sessions {
            send(link, Notice::OwnEndpoints);
        }
    }

    /// Records the capabilities an endpoint's `CHG` gave. When they changed,
    /// its other endpoints hear of it and `true` says the caller should show
    /// its own client the new list.
    pub fn set_endpoint_status_caps(
        &self,
        me: &Arc<Online>,
        session: u64,
        caps: super::presence::Capabilities,
    ) -> bool {
        let mut state = me.lock();
        let Some(link) = state.sessions.iter_mut().find(|link| link.id == session) else {
            return false;
        };
        if link.status_caps.replace(caps) == Some(caps) {
            return false;
        }
        for link in state.sessions.iter().filter(|link| link.id != session) {
            send(link, Notice::OwnEndpoints);
        }
        true
    }

    /// The session of an account's endpoint, by machine GUID (braces and case ignored).
    pub fn endpoint_session(&self, account: AccountId, guid: &str) -> Option<u64> {
        let normal = |g: &str| g.trim_matches(|c| c == '{' || c == '}').to_ascii_lowercase();
        let online = self.hub.get(account)?;
        let state = online.lock();
        state
            .sessions
            .iter()
            .find(|link| link.endpoint.as_deref().map(normal) == Some(normal(guid)))
            .map(|link| link.id)
    }

    /// The account as the core acts on it: its online state when signed in, or
    /// a detached copy loaded from the store (changes are written through
    /// either way; a detached copy is dropped afterwards).
    pub async fn acting_as(&self, account: AccountId) -> Result<Arc<Online>, ServiceError> {
        if let Some(online) = self.hub.get(account) {
            return Ok(online);
        }
        let (row, lists) = self.store.account_with_lists(account).await?.ok_or(ServiceError::AccountGone)?;
        let lists = ContactList::from(lists);
        Ok(Arc::new(Online {
            id: account,
            email: row.email,
            state: Mutex::new(OnlineState {
                friendly_name: row.friendly_name,
                presence: None,
                personal_message: None,
                accepting_messages: true,
                client_tag: 0,
                lists,
                sessions: Vec::new(),
            }),
            list_writes: tokio::sync::Mutex::new(()),
        }))
    }

    /// Ends a session; when it was the account's current one, the account goes
    /// offline and its watchers are told.
    pub fn sign_out(&self, me: &Arc<Online>, session: u64) {
        let current = {
            let mut accounts = self.hub.accounts();
            match accounts.get(&me.id) {
                Some(entry) if Arc::ptr_eq(entry, me) => {
                    let mut state = me.lock();
                    state.sessions.retain(|link| link.id != session);
                    if state.sessions.is_empty() {
                        accounts.remove(&me.id);
                        true
                    } else {
                        // The other endpoints see this one go.
                        for link in &state.sessions {
                            send(link, Notice::OwnEndpoints);
                        }
                        false
                    }
                }
                _ => false,
            }
        };
        if current {
            let was_visible = me.lock().presence.as_ref().is_some_and(|p| p.status != super::presence::Status::Hidden);
            if was_visible {
                for watcher in self.allowed_watchers(me) {
                    self.hub.notify(watcher, Notice::Offline { email: me.email.clone() });
                }
            }
        }
    }
}
