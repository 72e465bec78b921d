//! Invitations into a conversation (`CAL`): the invitee's sessions ring on
//! whichever node they are, each with a cookie of its own; MSNP19+ endpoints
//! come in by a bridge.

use std::sync::Arc;

use super::{CookiePurpose, Member, Seat, SwitchboardError};
use crate::core::cluster::{Message, RingOutcome, RingRequest};
use crate::core::types::{Capabilities, Filter, Invitation, Notice, Status};
use crate::core::{AccountId, Core};

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
