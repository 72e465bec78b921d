//! Signing sessions in and out: one account's sessions and endpoints on this
//! node, replacing an older session (`OUT OTH`) here or on another node, and
//! what each endpoint publishes about itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use msnp::xml::uux::PrivateEndpoint;
use tokio::sync::mpsc;

use super::contact_list::ContactList;
use super::hub::{Counted, NOTICE_QUEUE, Notice, Online, OnlineState, SessionInbox, SessionLink, SignInError, send};
use super::tickets::{Ticket, TicketScope};
use super::types::{Capabilities, Status};
use super::{AccountId, Core, ServiceError, unix_micros};
use crate::store::SignInData;

/// Whether a new endpoint joined its account's other endpoints.
enum Joined {
    Yes(Arc<Online>),
    No(SessionLink),
}

/// How a session signs in.
pub struct SignIn<'a> {
    /// An opaque tag of the front (its dialect), carried into cookies.
    pub client_tag: u8,
    /// The dialect and client, as the dashboard shows them.
    pub client: &'a str,
    /// The MSNP16+ endpoint (machine GUID).
    pub endpoint: Option<String>,
    /// Several points of presence allowed (MSNP16+).
    pub mpop: bool,
    /// The grant of the tickets it signed in with (0: none).
    pub grant: u64,
    /// What its ticket kept of the password (none for MSNP2–7 MD5 logins,
    /// which checked the password itself).
    pub credential: Option<u32>,
}

impl Core {
    /// Waits a moment for the account's sessions here that `stale` condemns
    /// to end; false if they are still there.
    async fn stale_sessions_gone(&self, account: AccountId, stale: impl Fn(u32) -> bool) -> bool {
        for _ in 0..20 {
            if !self.hub.get(account).is_some_and(|online| stale(online.credential)) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    }

    /// Signs a session in. A session that allows several points of presence
    /// (MSNP16+, `mpop`) joins the account's other such sessions if its endpoint
    /// is new; otherwise the other sessions end (`OUT OTH`) and the account
    /// starts afresh from the store. Refused when the node holds
    /// `max_sessions` sessions, or the account `max_endpoints` endpoints.
    pub async fn sign_in(
        &self,
        account: AccountId,
        how: SignIn<'_>,
    ) -> Result<(Arc<Online>, SessionInbox), SignInError> {
        let SignIn { client_tag, client, endpoint, mpop, grant, credential } = how;
        // A ticket from before a password change: refused, also beside an
        // endpoint that signed in with the new one.
        let stale = |current: u32| credential.is_some_and(|credential| credential != current);
        if self.hub.get(account).is_some_and(|online| stale(online.credential)) {
            // Either this ticket is old, or the sessions here are and have
            // not been ended yet (a change this node has not looked at).
            let current = self.current_credential(account).await?;
            if current != credential {
                return Err(ServiceError::CredentialChanged.into());
            }
            self.end_stale_here(account, current);
            if !self.stale_sessions_gone(account, stale).await {
                return Err(ServiceError::CredentialChanged.into());
            }
        }
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
            dropped: self.metrics.notices_dropped.clone(),
            client: client.into(),
            since: super::unix_now(),
            endpoint: endpoint.clone(),
            grant,
            mpop,
            switchboards: !msnp::Dialect::new(client_tag).is_some_and(|d| d.has_structured_messages()),
            capabilities: None,
            status_caps: None,
            private: None,
        };
        let mut inbox = SessionInbox { id, receiver, overflowed, offline: None, _counted: counted };
        let link = match self.join_endpoints(account, link)? {
            Joined::Yes(existing) => {
                self.announce_sign_in(&existing);
                return Ok((existing, inbox));
            }
            Joined::No(link) => link,
        };
        let loaded = self.store.sign_in_data(account).await.map_err(ServiceError::from)?;
        let SignInData { account: row, lists, offline } = loaded.ok_or(ServiceError::AccountGone)?;
        let current = self.tickets.credential(&row.password_hash);
        if stale(current) {
            return Err(ServiceError::CredentialChanged.into());
        }
        inbox.offline = Some(offline);
        // Another endpoint of the account may have signed in during the load:
        // join it rather than replace it.
        let link = match self.join_endpoints(account, link)? {
            Joined::Yes(existing) => {
                self.announce_sign_in(&existing);
                return Ok((existing, inbox));
            }
            Joined::No(link) => link,
        };
        let online = Arc::new(Online {
            id: account,
            email: row.email.clone(),
            signed_in_at: unix_micros(),
            credential: current,
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
        self.announce_sign_in(&online);
        if let Some(previous) = previous {
            self.end_replaced(&previous);
        }
        Ok((online, inbox))
    }

    /// The sessions of a replaced sign-in end (`OUT OTH`); until the new one
    /// sets a status, the account is offline to its contacts.
    fn end_replaced(&self, previous: &Arc<Online>) {
        let was_visible = {
            let state = previous.lock();
            for link in &state.sessions {
                send(link, Notice::SignedInElsewhere);
            }
            state.presence.as_ref().is_some_and(|p| p.status != Status::Hidden)
        };
        if was_visible {
            self.tell_watchers(previous, Notice::Offline { email: previous.email.clone() });
        }
    }

    /// The account signed in later on another node: its sessions here end.
    pub(crate) fn replaced_elsewhere(&self, local: &Arc<Online>) {
        let removed = {
            let mut accounts = self.hub.accounts();
            match accounts.get(&local.id) {
                Some(entry) if Arc::ptr_eq(entry, local) => accounts.remove(&local.id).is_some(),
                _ => false,
            }
        };
        if removed {
            self.end_replaced(local);
            self.announce_sign_out(local.id);
        }
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
        {
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
        self.announce_sign_in(me);
    }

    /// Records the capabilities an endpoint's `CHG` gave. When they changed,
    /// its other endpoints hear of it and `true` says the caller should show
    /// its own client the new list.
    pub fn set_endpoint_status_caps(&self, me: &Arc<Online>, session: u64, caps: Capabilities) -> bool {
        {
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
        }
        self.announce_sign_in(me);
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

    /// The ticket `token` is, if this service issued it for `scope`, it has
    /// not expired, its account still exists and its password has not
    /// changed since.
    pub async fn check_ticket(&self, token: &str, scope: TicketScope) -> Result<Option<Ticket>, ServiceError> {
        let Some(ticket) = self.tickets.check(token, scope) else { return Ok(None) };
        let current = match self.hub.get(ticket.account) {
            Some(online) => online.credential,
            None => match self.current_credential(ticket.account).await? {
                Some(current) => current,
                None => return Ok(None),
            },
        };
        Ok((current == ticket.credential).then_some(ticket))
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
            credential: self.tickets.credential(&row.password_hash),
            email: row.email,
            signed_in_at: 0,
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

    /// Ends a session; when it was the account's last on this node, the
    /// other nodes hear it, and when no node holds the account any more its
    /// watchers see it go offline.
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
                _ => return,
            }
        };
        if !current {
            // Its endpoints elsewhere see this one go too.
            self.announce_sign_in(me);
        } else {
            self.announce_sign_out(me.id);
            let was_visible = me.lock().presence.as_ref().is_some_and(|p| p.status != Status::Hidden);
            if was_visible && !self.online_elsewhere(me.id) {
                self.tell_watchers(me, Notice::Offline { email: me.email.clone() });
            }
        }
    }
}
