//! Telling accounts what happened, wherever they are signed in: the accounts
//! on this node hear it at once, each other node that holds some of them gets
//! one message for all of its own. Also what this node does with what the
//! others tell it, and its heartbeat.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::cluster::directory::{Departed, Facet};
use super::cluster::{Claim, Incoming, Message, NodeId, NodeInfo, Route, claims_in_parts};
use super::hub::Online;
use msnp::xml::uux::EndpointView;

use super::types::{Capabilities, ContactView, Filter, Notice, Status};
use super::{AccountId, Core, unix_micros};

impl Core {
    /// This node as its heartbeat describes it.
    pub fn node_info(&self) -> NodeInfo {
        NodeInfo {
            id: self.node,
            notification_address: self.config.notification_address.clone(),
            switchboard_address: self.config.switchboard_address.clone(),
            sessions: self.hub.session_count(),
            conversations: self.switchboards.conversation_count(),
            draining: self.draining.load(std::sync::atomic::Ordering::Relaxed),
            capacity: self.config.max_sessions,
        }
    }

    /// Tells `notice` to each of `to` that passes `filter`, on every node
    /// that holds them.
    pub fn deliver(&self, to: &[AccountId], notice: Notice, filter: Filter) {
        for &account in to {
            self.hub.deliver_local(account, &notice, &filter);
        }
        for (node, accounts) in self.directory.by_node(to) {
            let message =
                Message::Deliver { to: accounts, notice: notice.clone(), filter: filter.clone(), at: unix_micros() };
            self.bus.publish(Route::Node(node), message);
        }
    }

    /// Tells one account, every session of it wherever it is.
    pub fn tell(&self, account: AccountId, notice: Notice) {
        self.deliver(&[account], notice, Filter::Anyone);
    }

    /// The account with this email if it is signed in here or on another node.
    pub fn online_by_email(&self, email: &str) -> Option<AccountId> {
        self.hub.get_by_email(email).or_else(|| self.directory.account_by_email(email))
    }

    /// `who` as `viewer` may see them, if `who` is signed in here, not
    /// hidden, and allows `viewer`.
    pub fn local_view(&self, who: AccountId, viewer: AccountId) -> Option<ContactView> {
        let other = self.hub.get(who)?;
        let state = other.lock();
        if !state.lists.allows(viewer) {
            return None;
        }
        let presence = state.view(&other.email).filter(|v| v.presence.status != Status::Hidden)?;
        drop(state);
        Some(ContactView { presence, personal_message: self.personal_message_notice(&other) })
    }

    /// How each of `ids` signed in anywhere looks to `viewer`: this node's at
    /// once, the others' with one request per node, all at the same time. A
    /// node that does not answer in time leaves its accounts out.
    pub async fn contact_views(&self, viewer: AccountId, ids: &[AccountId]) -> Vec<ContactView> {
        let mut views: Vec<ContactView> = ids.iter().filter_map(|&id| self.local_view(id, viewer)).collect();
        let mut asked = tokio::task::JoinSet::new();
        for (node, of) in self.directory.by_node(ids) {
            asked.spawn(self.bus.request(node, Message::Views { viewer, of }));
        }
        let mut seen: HashSet<String> = views.iter().map(|v| v.presence.email.clone()).collect();
        while let Some(answer) = asked.join_next().await {
            match answer {
                Ok(Ok(Message::ViewsReply(remote))) => {
                    // An account on two nodes (MPOP) is shown once.
                    views.extend(remote.into_iter().filter(|v| seen.insert(v.presence.email.clone())));
                }
                Ok(Ok(_)) => tracing::warn!("a node answered a presence request with something else"),
                Ok(Err(error)) => tracing::warn!(%error, "a node's presences are left out"),
                Err(error) => tracing::warn!(%error, "presence request task failed"),
            }
        }
        views
    }

    /// An account's friendly name, capabilities and whether it appears
    /// offline, from whichever node holds it.
    pub async fn member_state(&self, account: AccountId) -> Option<(String, Capabilities, bool)> {
        if let Some(online) = self.hub.get(account) {
            return Some(member_of(&online));
        }
        for node in self.directory.nodes_of(account) {
            if let Ok(Message::MemberReply(Some(state))) = self.bus.request(node, Message::Member { account }).await {
                return Some(state);
            }
        }
        None
    }

    /// Tells the other nodes the account signed in here, or that its
    /// endpoints here changed.
    pub(crate) fn announce_sign_in(&self, online: &Online) {
        if self.bus.alone() {
            return;
        }
        self.bus.publish(Route::All, Message::SignedIn(self.claim_of(online)));
    }

    fn claim_of(&self, online: &Online) -> Claim {
        let (mpop, endpoints) = {
            let state = online.lock();
            (state.sessions.iter().all(|s| s.mpop), state.endpoints(true))
        };
        Claim {
            account: online.id,
            email: online.email.clone(),
            node: self.node,
            stamp: online.signed_in_at,
            mpop,
            endpoints,
        }
    }

    /// Every endpoint of the account, on this node and the others.
    pub fn endpoints(&self, me: &Online, private: bool) -> Vec<EndpointView> {
        let mut endpoints = me.lock().endpoints(private);
        for claim in self.directory.claims_of(me.id) {
            endpoints.extend(claim.endpoints.into_iter().map(|mut e| {
                if !private {
                    e.private = None;
                }
                e
            }));
        }
        endpoints
    }

    /// The personal message as contacts receive it, if one was set, with
    /// the account's endpoints wherever they are.
    pub fn personal_message_notice(&self, me: &Online) -> Option<Notice> {
        let status = me.lock().personal_message.clone()?;
        Some(Notice::PersonalMessage { email: me.email.clone(), status, endpoints: self.endpoints(me, false) })
    }

    /// An account signed in here with endpoints elsewhere: its sessions here
    /// show their endpoints again.
    fn endpoints_changed_elsewhere(&self, account: AccountId) {
        if let Some(local) = self.hub.get(account)
            && local.lock().sessions.iter().all(|s| s.mpop)
        {
            self.hub.deliver_local(account, &Notice::OwnEndpoints, &Filter::Anyone);
        }
    }

    /// Tells the other nodes this node holds no session of the account now.
    pub(crate) fn announce_sign_out(&self, account: AccountId) {
        if self.bus.alone() {
            return;
        }
        self.bus.publish(Route::All, Message::SignedOut { node: self.node, account });
    }

    /// Whether another node holds a session of the account.
    pub fn online_elsewhere(&self, account: AccountId) -> bool {
        !self.directory.nodes_of(account).is_empty()
    }

    /// Answers what other nodes send until the bus closes; beats this
    /// node's heart and looks for nodes gone silent meanwhile, in a task of
    /// its own so that a long queue of messages delays neither.
    pub async fn serve_bus(self: Arc<Self>, mut incoming: mpsc::Receiver<Incoming>) {
        let (_alive, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(self.clone().beat(stopped));
        while let Some(Incoming { from, message, reply }) = incoming.recv().await {
            if let Message::Revoked { account } = message {
                let core = self.clone();
                tokio::spawn(async move { core.end_stale(account).await });
                continue;
            }
            if let Some(answer) = self.on_message(from, message)
                && let Some(reply) = reply
            {
                reply(answer);
            }
        }
    }

    /// Every heartbeat interval: tells the others this node lives, and
    /// forgets nodes not heard for `node_dead_after`. Not when this node
    /// itself was held up: if its timer fired late, the others' heartbeats
    /// may be waiting unread, and silence proves nothing until it has run
    /// on time for a whole interval.
    async fn beat(self: Arc<Self>, mut stopped: tokio::sync::oneshot::Receiver<()>) {
        let period = self.config.heartbeat;
        let mut heartbeat = tokio::time::interval(period);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_tick = tokio::time::Instant::now();
        let mut held_up_at: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = heartbeat.tick() => {}
                _ = &mut stopped => return,
            }
            let now = tokio::time::Instant::now();
            if now.duration_since(last_tick) > period + period / 2 {
                held_up_at = Some(now);
            }
            last_tick = now;
            self.referred_here.store(0, std::sync::atomic::Ordering::Relaxed);
            self.bus.beat(self.node_info());
            if held_up_at.is_some_and(|at| now.duration_since(at) <= period) {
                continue;
            }
            for departed in self.directory.reap() {
                tracing::warn!(node = format!("{:08x}", departed.node), "node not heard from: its sessions are gone");
                self.on_departed(departed);
            }
        }
    }

    /// Tells the other nodes this one stops.
    pub fn announce_leaving(&self) {
        self.bus.publish(Route::All, Message::Leaving(self.node));
    }

    fn on_message(&self, from: NodeId, message: Message) -> Option<Message> {
        match message {
            Message::Heartbeat(info) => {
                if self.directory.heard(info) {
                    tracing::info!(node = format!("{from:08x}"), "node joined");
                    let claims = self.hub.all().iter().map(|online| self.claim_of(online)).collect();
                    for part in claims_in_parts(self.node, claims) {
                        self.bus.publish(Route::Node(from), part);
                    }
                }
                None
            }
            Message::Leaving(node) => {
                let departed = self.directory.remove(node);
                self.on_departed(departed);
                None
            }
            Message::Claims { node, claims, part } => {
                let theirs: HashSet<AccountId> = claims.iter().map(|c| c.account).collect();
                if part == 0 {
                    self.directory.replace_claims(node, claims);
                } else {
                    self.directory.add_claims(node, claims);
                }
                self.show_presence_to(node, &theirs);
                None
            }
            Message::SignedIn(claim) => {
                self.directory.claim(claim.clone());
                self.on_claim_elsewhere(&claim);
                self.endpoints_changed_elsewhere(claim.account);
                None
            }
            Message::SignedOut { node, account } => {
                self.directory.unclaim(node, account);
                self.endpoints_changed_elsewhere(account);
                None
            }
            Message::Doubt { node } => {
                self.directory.doubt(node);
                None
            }
            // Looked up in the store, off this loop (see `serve_bus`).
            Message::Revoked { .. } => None,
            Message::Deliver { to, notice, filter, at } => {
                // A contact's presence or personal message older than what
                // its watchers here were last told (a queue flushed after an
                // outage, say) is news no more.
                if let Filter::Watching { contact, with_status: true } = filter
                    && let Some(facet) = Facet::of(&notice)
                    && !self.directory.fresh(contact, facet, at)
                {
                    return None;
                }
                for account in to {
                    self.hub.deliver_local(account, &notice, &filter);
                }
                None
            }
            Message::ListChanged { owner, changes, serial } => {
                self.apply_here(&changes, owner, serial);
                None
            }
            Message::Views { viewer, of } => {
                Some(Message::ViewsReply(of.into_iter().filter_map(|id| self.local_view(id, viewer)).collect()))
            }
            Message::Ring(request) => Some(Message::RingReply(self.ring_here(&request))),
            Message::Member { account } => Some(Message::MemberReply(self.hub.get(account).map(|o| member_of(&o)))),
            Message::BridgeSend { account, peer, message } => Some(self.bridge_send_here(account, &peer, message)),
            Message::Reach { account } => {
                let (structured, switchboard) = self.reach_here(account);
                Some(Message::ReachReply(structured, switchboard))
            }
            Message::ViewsReply(_)
            | Message::RingReply(_)
            | Message::MemberReply(_)
            | Message::BridgeSent(_)
            | Message::ReachReply(..) => None,
        }
    }

    /// Shows this node's users, as they are now, to their watchers among
    /// `accounts` on `node`: a node that joined, or came back after the bus
    /// parted it from this one (its users saw this node's go offline).
    fn show_presence_to(&self, node: NodeId, accounts: &HashSet<AccountId>) {
        if accounts.is_empty() {
            return;
        }
        for online in self.hub.all() {
            let (view, watchers) = {
                let state = online.lock();
                let Some(view) = state.view(&online.email).filter(|v| v.presence.status != Status::Hidden) else {
                    continue;
                };
                let watchers: Vec<AccountId> =
                    state.lists.watchers().filter(|id| accounts.contains(id) && state.lists.allows(*id)).collect();
                (view, watchers)
            };
            if watchers.is_empty() {
                continue;
            }
            let filter = Filter::Watching { contact: online.id, with_status: true };
            let mut notices = vec![Notice::Presence(view)];
            notices.extend(self.personal_message_notice(&online));
            for notice in notices {
                let message =
                    Message::Deliver { to: watchers.clone(), notice, filter: filter.clone(), at: unix_micros() };
                self.bus.publish(Route::Node(node), message);
            }
        }
    }

    /// Another node signed the account in. Endpoints that allow each other
    /// (MSNP16+) stay side by side; otherwise the later sign-in wins and the
    /// earlier session ends with `OUT OTH`, wherever it is.
    fn on_claim_elsewhere(&self, claim: &Claim) {
        let Some(local) = self.hub.get(claim.account) else {
            return;
        };
        let here = self.claim_of(&local);
        if here.mpop && claim.mpop {
            return;
        }
        if (claim.stamp, claim.node) > (here.stamp, here.node) {
            self.replaced_elsewhere(&local);
        }
    }

    /// The other nodes' accounts that went with a node: their watchers here
    /// see them go offline.
    fn on_departed(&self, departed: Departed) {
        if departed.gone.is_empty() {
            return;
        }
        let gone: std::collections::HashMap<AccountId, &str> =
            departed.gone.iter().map(|c| (c.account, c.email.as_str())).collect();
        // Offline as of now: what the node said of them before is older.
        let now = unix_micros();
        for account in gone.keys() {
            self.directory.fresh(*account, Facet::Presence, now);
        }
        for online in self.hub.all() {
            let emails: Vec<String> = {
                let state = online.lock();
                if state.presence.is_none() {
                    continue;
                }
                state.lists.forward_ids().filter_map(|id| gone.get(&id).map(|e| (*e).to_owned())).collect()
            };
            for email in emails {
                self.hub.deliver_local(online.id, &Notice::Offline { email }, &Filter::Anyone);
            }
        }
    }
}

/// Name, capabilities and whether hidden, as a switchboard shows a participant.
fn member_of(online: &Online) -> (String, Capabilities, bool) {
    let state = online.lock();
    let caps = state.presence.as_ref().map(|p| p.caps).unwrap_or_default();
    let hidden = state.presence.as_ref().is_some_and(|p| p.status == Status::Hidden);
    (state.friendly_name.clone(), caps, hidden)
}
