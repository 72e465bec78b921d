//! Conversations between a user who speaks MSNP19+ (messages by `SDG` on
//! the Notification Server, no switchboards) and one who speaks MSNP2–18
//! (switchboards). The MSNP19+ account sits in an ordinary switchboard
//! conversation as a participant of its own, a bridge: what the others say
//! there reaches the account's sessions as `SDG`, and what it sends by `SDG`
//! is said there. A WLM 2012 user and a WLM 2009 or Pidgin user so meet in one
//! conversation, each in their own dialect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use msnp::structured::Chat;
use tokio::sync::mpsc;

use super::cluster::Message;
use super::switchboard::{Conversation, ConversationEvent, Member, Occupant, Seat, SwitchboardError};
use super::types::{Filter, Notice};
use super::{AccountId, Core};

/// Messages waiting for a bridge to take them.
const OUTBOX: usize = 64;

/// A bridge with nothing said either way for this long leaves, as an idle
/// switchboard session would (its default `idle_timeout_secs`).
const IDLE: Duration = Duration::from_secs(300);

/// One bridge this node holds: whose it is, whom it talks to, and where
/// what the account sends goes in.
struct Bridge {
    account: AccountId,
    peer: String,
    outbox: mpsc::Sender<Bytes>,
}

/// The bridges this node holds, by conversation.
#[derive(Default)]
pub struct Bridges {
    open: Mutex<HashMap<u64, Bridge>>,
}

impl Bridges {
    fn open(&self) -> MutexGuard<'_, HashMap<u64, Bridge>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a switchboard message from `account` to its bridge with `peer`
    /// on this node; false when there is none (or it has stopped).
    pub(crate) fn send(&self, account: AccountId, peer: &str, message: Bytes) -> bool {
        let outbox = self.open().values().find(|b| b.account == account && b.peer == peer).map(|b| b.outbox.clone());
        outbox.is_some_and(|outbox| outbox.try_send(message).is_ok())
    }

    pub fn count(&self) -> usize {
        self.open().len()
    }
}

impl Core {
    /// `account`, rung for `conversation` but signed in only with MSNP19+,
    /// joins it as a bridge; `peer` is who called.
    pub(crate) fn open_bridge(
        self: &Arc<Self>,
        conversation: Arc<Conversation>,
        account: AccountId,
        member: Member,
        peer: String,
    ) -> Result<(), SwitchboardError> {
        let email = member.email.clone();
        let seat = self.switchboards.join(conversation, self.occupant(account)?, member)?;
        self.spawn_bridge(seat, account, email, peer, Vec::new());
        Ok(())
    }

    /// A bridge sits for the account's sessions on this node, under their credential.
    fn occupant(&self, account: AccountId) -> Result<Occupant, SwitchboardError> {
        let online = self.hub.get(account).ok_or(SwitchboardError::Unavailable)?;
        Ok(Occupant { account, credential: online.credential, outlet: None })
    }

    /// A message (`chat`) from MSNP19+ `account` to `peer`, who has no MSNP19+
    /// session: said in the conversation bridging them, on this node or
    /// another; without one, in a new conversation here, the peer rung.
    pub async fn send_by_switchboard(
        self: &Arc<Self>,
        account: AccountId,
        email: &str,
        peer: &str,
        chat: Chat,
    ) -> Result<(), SwitchboardError> {
        let message = Bytes::from(chat.to_msg(email));
        if self.bridges.send(account, peer, message.clone()) {
            return Ok(());
        }
        for node in self.directory.peers().into_iter().map(|p| p.id) {
            let request = Message::BridgeSend { account, peer: peer.to_owned(), message: message.clone() };
            if let Ok(Message::BridgeSent(true)) = self.bus.request(node, request).await {
                return Ok(());
            }
        }
        // Typing alone opens no conversation.
        if chat == Chat::Typing {
            return Ok(());
        }
        let (friendly_name, caps, _) =
            self.member_state(account).await.unwrap_or((email.to_owned(), Default::default(), false));
        let member = Member { email: email.to_owned(), friendly_name, caps, machine: None };
        let seat = self.switchboards.create(self.occupant(account)?, member)?;
        if let Err(error) = self.invite(&seat, account, peer).await {
            self.switchboards.leave(&seat, false);
            return Err(error);
        }
        self.spawn_bridge(seat, account, email.to_owned(), peer.to_owned(), vec![message]);
        Ok(())
    }

    fn spawn_bridge(self: &Arc<Self>, seat: Seat, account: AccountId, email: String, peer: String, queued: Vec<Bytes>) {
        let (outbox, inbox) = mpsc::channel(OUTBOX);
        self.bridges.open().insert(seat.conversation.id, Bridge { account, peer, outbox });
        let core = self.clone();
        tokio::spawn(async move { core.run_bridge(seat, account, format!("1:{email}"), inbox, queued).await });
    }

    /// Until everyone else has left, or nothing happened for [`IDLE`].
    async fn run_bridge(
        self: Arc<Self>,
        mut seat: Seat,
        account: AccountId,
        own: String,
        mut inbox: mpsc::Receiver<Bytes>,
        mut queued: Vec<Bytes>,
    ) {
        let mut others: usize = {
            let mut accounts: Vec<&str> = seat.roster.iter().map(|m| m.email.as_str()).collect();
            accounts.sort_unstable();
            accounts.dedup();
            accounts.len()
        };
        loop {
            if others > 0 {
                for message in queued.drain(..) {
                    self.switchboards.relay(&seat, message);
                }
            }
            tokio::select! {
                event = seat.events.recv() => match event {
                    Some(ConversationEvent::Joined { first, .. }) => others += usize::from(first),
                    Some(ConversationEvent::Left { last, .. }) => {
                        others = others.saturating_sub(usize::from(last));
                        if others == 0 {
                            break;
                        }
                    }
                    Some(ConversationEvent::Message { sender, payload }) => {
                        if !self.pass_to_endpoints(account, &sender.email, &own, std::slice::from_ref(&payload)) {
                            break;
                        }
                    }
                    Some(ConversationEvent::Messages { sender, payloads }) => {
                        if !self.pass_to_endpoints(account, &sender.email, &own, &payloads) {
                            break;
                        }
                    }
                    // A bridge has no outlet: nothing of it waits to be written.
                    Some(ConversationEvent::Flush) => {}
                    Some(ConversationEvent::Dismissed) | None => break,
                },
                message = inbox.recv() => match message {
                    Some(message) if others > 0 => {
                        self.switchboards.relay(&seat, message);
                    }
                    Some(message) => queued.push(message),
                    None => break,
                },
                _ = tokio::time::sleep(IDLE) => break,
            }
        }
        self.bridges.open().remove(&seat.conversation.id);
        self.switchboards.leave(&seat, false);
    }

    /// Passes switchboard messages on to the account's MSNP21 endpoints as
    /// `SDG`s; `false` when it is signed out everywhere (no one to tell; the
    /// others see the account leave).
    fn pass_to_endpoints(&self, account: AccountId, sender: &str, own: &str, payloads: &[Bytes]) -> bool {
        if self.hub.get(account).is_none() && self.directory.nodes_of(account).is_empty() {
            return false;
        }
        for payload in payloads {
            if let Some(chat) = Chat::from_msg(payload) {
                let sdg = chat.to_sdg(&format!("1:{sender}"), own);
                self.deliver(&[account], Notice::Sdg { payload: Bytes::from(sdg.render()) }, Filter::Anyone);
            }
        }
        true
    }

    /// Whether `account`'s sessions, wherever they are, take messages by
    /// `SDG` (MSNP19+) and by switchboard (older).
    pub async fn reach(&self, account: AccountId) -> (bool, bool) {
        let mut reach = self.reach_here(account);
        for node in self.directory.nodes_of(account) {
            if let Ok(Message::ReachReply(structured, switchboard)) =
                self.bus.request(node, Message::Reach { account }).await
            {
                reach = (reach.0 || structured, reach.1 || switchboard);
            }
        }
        reach
    }

    pub(crate) fn reach_here(&self, account: AccountId) -> (bool, bool) {
        let Some(online) = self.hub.get(account) else { return (false, false) };
        let state = online.lock();
        (state.sessions.iter().any(|l| !l.switchboards), state.sessions.iter().any(|l| l.switchboards))
    }

    /// The answer to another node's `BridgeSend`.
    pub(crate) fn bridge_send_here(&self, account: AccountId, peer: &str, message: Bytes) -> Message {
        Message::BridgeSent(self.bridges.send(account, peer, message))
    }
}
