//! MSNP19+ (Windows Live Messenger 2011/2012): the user publishes status,
//! name and personal message as one document (`PUT`, `Uri: /user`), is told
//! of contacts with `NFY PUT`/`NFY DEL`, and sends messages with `SDG` on the
//! Notification Server itself. All of it goes through the same presence and
//! delivery paths as `CHG`, `UUX` and the switchboard, so that a WLM 2012 user
//! and an older one see each other alike.

use std::collections::HashMap;

use bytes::Bytes;
use msnp::structured::{Address, Chat, Headers, Structured};
use msnp::xml::user::{self, UserView};
use msnp::xml::uux::{EndpointView, PersonalStatus};
use msnp::{ErrorCode, Frame};

use super::Session;
use super::render::{caps_text, parse_caps, parse_status, status_code};
use crate::core::presence::Presence;
use crate::core::switchboard::SwitchboardError;
use crate::core::types::{ContactPresence, ContactView, Filter, Notice};

/// What an MSNP19+ session has been told of one contact: each `NFY PUT`
/// carries all of it, since a client takes a document without a status for
/// "available".
#[derive(Debug, Default)]
pub(super) struct Seen {
    presence: Option<ContactPresence>,
    message: Option<PersonalStatus>,
    endpoints: Vec<EndpointView>,
}

/// The contacts an MSNP19+ session has been told of, by email.
pub(super) type Views = HashMap<String, Seen>;

impl Session {
    /// This session's address in routing headers: `1:email;epid={guid}`.
    pub(super) fn own_address(&self, with_epid: bool) -> String {
        let email = self.online.as_ref().map(|me| me.email.as_str()).unwrap_or_default();
        match (&self.machine_guid, with_epid) {
            (Some(epid), true) => format!("1:{email};epid={epid}"),
            _ => format!("1:{email}"),
        }
    }

    /// `PUT n len` + the user document → `PUT n OK len`. The status goes where
    /// `CHG` takes it (the first one brings the contacts' presence and a
    /// challenge), the name where `PRP MFN` does, the message where `UUX` does.
    pub(super) async fn put(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let payload = frame.payload.clone().unwrap_or_default();
        let Ok(put) = Structured::parse(&payload) else {
            return self.error(ErrorCode::InvalidXml, trid);
        };
        let to = put.routing.get("To").and_then(Address::parse);
        if let Some(to) = to.filter(|to| to.network == super::circles::CIRCLE)
            && put.content.get("Uri") == Some("/circle")
            && self.dialect.has_circles()
        {
            return self.put_circle(trid, &to);
        }
        if put.content.get("Uri") != Some("/user") || !self.dialect.has_structured_messages() {
            // Group chats (`/circle` to network 10) are not served here.
            return self.error(ErrorCode::UnroutableUser, trid);
        }
        let Some(document) = std::str::from_utf8(&put.body).ok().and_then(|text| user::parse(text).ok()) else {
            return self.error(ErrorCode::InvalidXml, trid);
        };
        // An unknown status is refused, never passed on: clients crash on one.
        let status = match document.status.as_deref().map(parse_status) {
            Some(Some(status)) => Some(status),
            Some(None) => return self.error(ErrorCode::InvalidParameter, trid),
            None => None,
        };
        let caps = match document.capabilities.as_deref().map(parse_caps) {
            Some(Some(caps)) => Some(caps),
            Some(None) => return self.error(ErrorCode::InvalidParameter, trid),
            None => None,
        };
        if let Some(name) = document.friendly_name.as_deref().filter(|n| !n.is_empty()) {
            if !crate::core::accounts::friendly_name_ok(name, self.ctx.core.config.max_friendly_name) {
                return self.error(ErrorCode::InvalidFriendlyName, trid);
            }
            if *name != me.lock().friendly_name
                && let Err(error) = self.ctx.core.set_friendly_name(&me, name).await
            {
                tracing::error!(%error, "renaming failed");
                return self.error(ErrorCode::DatabaseServer, trid);
            }
        }
        let reply = Structured {
            routing: Headers::of([
                ("Routing", "1.0"),
                ("To", &self.own_address(true)),
                ("From", &self.own_address(false)),
            ]),
            reliability: Headers::of([("Reliability", "1.0")]),
            ..Structured::default()
        };
        self.send(Frame::with_params("PUT", [trid.to_string(), "OK".into()]).with_payload(reply.render()));
        if document.personal_message.is_some() || document.current_media.is_some() {
            let message = PersonalStatus {
                message: document.personal_message.unwrap_or_default(),
                current_media: document.current_media.unwrap_or_default(),
                machine_guid: document.machine_guid,
                ..PersonalStatus::default()
            };
            self.ctx.core.set_personal_message(&me, message);
        }
        let current = me.lock().presence.clone();
        let Some(status) = status.or(current.as_ref().map(|p| p.status)) else { return };
        let caps = caps.or(current.as_ref().map(|p| p.caps)).unwrap_or_default();
        // Kept as `CHG` sends it (URL-encoded); the document has it as text.
        let msnobj =
            document.user_tile.map(|tile| msnp::text::encode_param(&tile)).or_else(|| current.and_then(|p| p.msnobj));
        if let Some(contacts) = self.ctx.core.set_presence(&me, Presence { status, caps, msnobj }).await {
            self.announce_presence(trid, &contacts);
            self.send_challenge();
        }
    }

    /// `SDG n len`: a message to a contact (`To: 1:email`), passed to each of
    /// their MSNP19+ endpoints as `SDG 0 len` (to older ones through a
    /// switchboard conversation, see `core::bridge`), and to the sender's other
    /// endpoints.
    pub(super) async fn sdg(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let payload = frame.payload.clone().unwrap_or_default();
        let Ok(message) = Structured::parse(&payload) else {
            return self.error(ErrorCode::InvalidXml, trid);
        };
        let Some(to) = message.routing.get("To").and_then(Address::parse) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        if to.network == super::circles::CIRCLE && self.dialect.has_circles() {
            return self.sdg_circle(trid, message, &to);
        }
        if to.network != 1 || !self.dialect.has_structured_messages() {
            return self.error(ErrorCode::UnroutableUser, trid);
        }
        let Some(email) = crate::core::accounts::normalize_email(&to.name) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        // The sender as the server has it, whatever the client wrote.
        let mut relayed = message;
        relayed.routing = Headers(
            relayed
                .routing
                .0
                .into_iter()
                .map(
                    |(name, value)| {
                        if name.eq_ignore_ascii_case("From") { (name, self.own_address(true)) } else { (name, value) }
                    },
                )
                .collect(),
        );
        let notice = Notice::Sdg { payload: Bytes::from(relayed.render()) };
        if email != me.email {
            let Some(target) = self.ctx.core.online_by_email(&email) else {
                return self.error(ErrorCode::NotAcceptingIms, trid);
            };
            let (structured, switchboard) = self.ctx.core.reach(target).await;
            if structured {
                self.ctx.core.deliver(&[target], notice.clone(), Filter::Allowing(me.id));
            }
            // Older endpoints of the account (alone, or beside MSNP19+ ones) through a switchboard.
            if switchboard && let Some(chat) = Chat::from_sdg(&relayed) {
                let sent = self.ctx.core.send_by_switchboard(me.id, &me.email, &email, chat).await;
                if let (Err(error), false) = (sent, structured) {
                    return self.error(bridge_error(error), trid);
                }
            }
        }
        if let Some(inbox) = &self.inbox {
            self.ctx.core.deliver(&[me.id], notice, Filter::OtherThanSession(inbox.id));
        }
    }

    /// Contacts' presence volunteered for a command (the first `PUT`, an
    /// `ADL`): one `NFY PUT` each, with their personal message.
    pub(super) fn announce_structured(&mut self, contacts: &[ContactView]) {
        for contact in contacts {
            if let Some(Notice::PersonalMessage { email, status, endpoints }) = contact.personal_message.clone() {
                let seen = self.views.get_or_insert_with(Box::default).entry(email).or_default();
                seen.message = Some(status);
                seen.endpoints = endpoints;
            }
            self.notify(Notice::Presence(contact.presence.clone()));
        }
    }

    /// A contact's presence, message or departure, told as `NFY PUT`/`NFY DEL`.
    pub(super) fn notify(&mut self, notice: Notice) {
        let email = match &notice {
            Notice::Presence(presence) => presence.email.clone(),
            Notice::PersonalMessage { email, .. } | Notice::Offline { email } => email.clone(),
            _ => return,
        };
        let views = self.views.get_or_insert_with(Box::default);
        let body = match notice {
            Notice::Offline { .. } => {
                views.remove(&email);
                None
            }
            Notice::Presence(presence) => {
                views.entry(email.clone()).or_default().presence = Some(presence);
                views.get(&email).map(render_view)
            }
            Notice::PersonalMessage { status, endpoints, .. } => {
                let seen = views.entry(email.clone()).or_default();
                seen.message = Some(status);
                seen.endpoints = endpoints;
                // Nothing to show of someone not online yet: their presence will carry it.
                Some(render_view(seen))
            }
            _ => return,
        };
        let offline = body.is_none();
        let body = match body {
            Some(body) if body.is_empty() => return,
            Some(body) => body,
            None => user::OFFLINE.to_owned(),
        };
        let document = Structured {
            routing: Headers::of([
                ("Routing", "1.0"),
                ("To", &self.own_address(false)),
                ("From", &format!("1:{email}")),
            ]),
            reliability: Headers::of([("Reliability", "1.0")]),
            content: Headers::of([
                ("Notification", "1.0"),
                ("NotifNum", "0"),
                ("Uri", "/user"),
                ("NotifType", if offline { "Full" } else { "Partial" }),
                ("Content-Type", "application/user+xml"),
                ("Content-Length", &body.len().to_string()),
            ]),
            body: body.into_bytes(),
        };
        let verb = if offline { "DEL" } else { "PUT" };
        self.send(Frame::with_params("NFY", [verb]).with_payload(document.render()));
    }
}

/// The code for a message that could not go into a switchboard conversation.
fn bridge_error(error: SwitchboardError) -> ErrorCode {
    match error {
        SwitchboardError::UnknownUser => ErrorCode::InvalidUsername,
        SwitchboardError::Unavailable | SwitchboardError::AlreadyPresent => ErrorCode::NotAcceptingIms,
        SwitchboardError::Hidden => ErrorCode::NotAllowedWhenHidden,
        SwitchboardError::TooManyConversations => ErrorCode::TooManySessions,
        SwitchboardError::Full
        | SwitchboardError::Ended
        | SwitchboardError::BadCookie
        | SwitchboardError::Overloaded => ErrorCode::SwitchboardFailed,
        SwitchboardError::Service(error) => {
            tracing::error!(%error, "a bridged message failed");
            ErrorCode::InternalServerError
        }
    }
}

/// The `NFY PUT` body for what a session has seen of a contact.
fn render_view(seen: &Seen) -> String {
    let Some(presence) = &seen.presence else { return String::new() };
    let message = seen.message.clone().unwrap_or_default();
    let caps = caps_text(msnp::Dialect::MSNP21, presence.presence.caps);
    let tile = presence.presence.msnobj.as_deref().and_then(msnp::text::decode_param).unwrap_or_default();
    let mut endpoints: Vec<(&str, &str)> =
        seen.endpoints.iter().map(|e| (e.guid.as_str(), e.capabilities.as_deref().unwrap_or(caps.as_str()))).collect();
    if endpoints.is_empty() {
        endpoints.push(("{00000000-0000-0000-0000-000000000000}", &caps));
    }
    user::render(&UserView {
        status: status_code(presence.presence.status),
        current_media: &message.current_media,
        friendly_name: &presence.friendly_name,
        personal_message: &message.message,
        user_tile: &tile,
        endpoints,
    })
}
