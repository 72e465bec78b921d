//! Circles on the Notification Server (MSNP18+, as WLM 2009 and MSNPSharp
//! 3.2.1 speak them). A client names each circle it is in with an `ADL` of
//! network 9 (`<d n="live.com"><c n="<ab id>" t="9"/>`) and is answered with
//! the circle's presence: `NLN NLN 1:me;via=9:<circle> <name> 0:0`. It then
//! joins the circle's conversation with `PUT` (`Uri: /circle`); each member
//! already there and the newcomer see one another in `NFY PUT` (the roster)
//! and `NLN …;via=9:<circle>` (their presence), and `FLN`/`NFY DEL` when one
//! leaves. `SDG` to the circle reaches every member in the conversation, on
//! any node, and is kept for no one (circles had no offline history).
//! Everything travels as `Notice::Circle` through the core's delivery, so
//! members on other nodes take part alike.

use std::collections::HashMap;

use bytes::Bytes;
use msnp::structured::{Address, Headers, Structured};
use msnp::text::encode_param;
use msnp::xml::ml::MlContact;
use msnp::{ErrorCode, Frame};

use super::Session;
use super::render::caps_text;
use crate::core::AccountId;
use crate::core::circles::{self, CircleError, CircleId, CircleView};
use crate::core::presence::Status;
use crate::core::types::{CircleEvent, ContactPresence, Filter, Notice};

/// Network 9: circles.
pub(super) const CIRCLE: u8 = 9;

/// A circle this session takes part in.
#[derive(Debug)]
pub(super) struct Circle {
    name: String,
    /// Those who accepted, this user included: who hears of it.
    members: Vec<AccountId>,
    /// In the conversation (`PUT` done).
    joined: bool,
    /// The members shown in it, as last shown: a member's arrival and its
    /// answer to this session's own can cross, and each is shown once.
    shown: HashMap<AccountId, ContactPresence>,
}

pub(super) type Circles = HashMap<CircleId, Circle>;

/// Most circles one session takes part in: what an account may be in
/// (`max_circles`) is checked where circles are joined; this bounds a
/// session's memory whatever the settings.
const MOST_CIRCLES: usize = 1_000;

/// Why a circle named by a client cannot be used: 208 for an address that
/// is no circle's, 205 for a circle this user is not in (the same answer as
/// for one that does not exist, so that no one learns of others' circles).
fn circle_error(error: &CircleError) -> ErrorCode {
    match error {
        CircleError::Service(_) => ErrorCode::DatabaseServer,
        _ => ErrorCode::InvalidUser,
    }
}

impl Session {
    /// The circle entries of an `ADL` (network 9), each checked: the circles
    /// to take part in, or the error to answer.
    pub(super) async fn circles_named(&mut self, entries: &[MlContact]) -> Result<Vec<CircleView>, ErrorCode> {
        let Some(me) = self.me() else { return Err(ErrorCode::NotLoggedIn) };
        // Each is looked up: no more than an account may be in.
        if entries.len() > self.ctx.core.config.max_circles {
            return Err(ErrorCode::InvalidXmlItem);
        }
        let mut named = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(circle) = circles::parse_ab_id(&entry.address) else { return Err(ErrorCode::InvalidUsername) };
            // Blocking a circle (its BL) is leaving its conversation.
            if entry.lists & 4 != 0 {
                self.leave_circle(circle);
                continue;
            }
            match self.ctx.core.circle(circle, me.id).await {
                Ok(view) if view.member(me.id).is_some_and(|m| m.state() == circles::State::Accepted) => {
                    named.push(view)
                }
                Ok(_) => return Err(ErrorCode::InvalidUser),
                Err(error) => return Err(circle_error(&error)),
            }
        }
        Ok(named)
    }

    /// Takes part in `circle` (the user is in it): records its members and
    /// tells the client the circle is there, which makes it join.
    pub(super) fn take_part(&mut self, circle: CircleId, name: String, members: Vec<AccountId>) {
        let circles = self.circles.get_or_insert_with(Box::default);
        let full = circles.len() >= MOST_CIRCLES;
        match circles.get_mut(&circle) {
            // Named again: the members may be new; a client not in its
            // conversation yet is told again (it may not have known the
            // circle when it was first told).
            Some(known) => {
                known.members = members;
                if known.joined {
                    return;
                }
            }
            None if full => return,
            None => {
                circles.insert(circle, Circle { name: name.clone(), members, joined: false, shown: HashMap::new() });
            }
        }
        self.send_circle_presence(circle, &name);
    }

    /// The circles this session takes part in but whose conversation it has
    /// not joined, announced again. MSNPSharp presents its circle ticket
    /// (`USR SHA A`) each time it has read its address book, so a circle it
    /// was told of before it knew it (accepted a moment ago) is known by then.
    pub(super) fn remind_circles(&mut self) {
        let waiting: Vec<(CircleId, String)> = self
            .circles
            .iter()
            .flat_map(|circles| circles.iter())
            .filter(|(_, c)| !c.joined)
            .map(|(id, c)| (*id, c.name.clone()))
            .collect();
        for (circle, name) in waiting {
            self.send_circle_presence(circle, &name);
        }
    }

    /// Leaves `circle`'s conversation, if in it: the others see this user go.
    pub(super) fn leave_circle(&mut self, circle: CircleId) {
        let Some(left) = self.circles.as_mut().and_then(|circles| circles.remove(&circle)) else { return };
        // Only someone the others were shown (joined, and not hidden) is seen to go.
        if left.joined && self.shown() {
            self.tell_circle(circle, &left.members, CircleEvent::Gone { account: self.account(), email: self.email() });
        }
    }

    /// Leaves every circle's conversation (the session ends).
    pub(super) fn leave_circles(&mut self) {
        let joined: Vec<CircleId> = self.circles.iter().flat_map(|c| c.keys().copied()).collect();
        for circle in joined {
            self.leave_circle(circle);
        }
    }

    /// `PUT n len` with `Uri: /circle` to `9:<circle>`: joins its conversation.
    pub(super) fn put_circle(&mut self, trid: u32, to: &Address) {
        let Some(circle) = circles::parse_ab_id(&to.name) else { return self.error(ErrorCode::InvalidUsername, trid) };
        let Some(entry) = self.circles.as_mut().and_then(|circles| circles.get_mut(&circle)) else {
            return self.error(ErrorCode::InvalidUser, trid);
        };
        let members = entry.members.clone();
        entry.joined = true;
        let reply = Structured {
            routing: Headers::of([
                ("Routing", "1.0"),
                ("To", &format!("9:{}", circles::address(circle))),
                ("From", &self.own_address(true)),
            ]),
            reliability: Headers::of([("Reliability", "1.0")]),
            ..Structured::default()
        };
        self.send(Frame::with_params("PUT", [trid.to_string(), "OK".into()]).with_payload(reply.render()));
        self.announce_in_circle(circle, &members, true);
    }

    /// This user as the circle's members see it: `Here` with its presence,
    /// or nothing while it has no status or hides.
    fn here(&self, answer: Option<u64>) -> Option<CircleEvent> {
        let me = self.me()?;
        let state = me.lock();
        let presence = state.presence.clone().filter(|p| p.status != Status::Hidden)?;
        let here = ContactPresence { email: me.email.clone(), friendly_name: state.friendly_name.clone(), presence };
        Some(CircleEvent::Here { account: me.id, presence: here, answer })
    }

    /// This user's presence to the members of `circle` (none while hidden).
    fn announce_in_circle(&mut self, circle: CircleId, members: &[AccountId], answer: bool) {
        let answer = if answer { self.inbox.as_ref().map(|inbox| inbox.id) } else { None };
        if let Some(here) = self.here(answer) {
            self.tell_circle(circle, members, here);
        }
    }

    /// The circle's presence line for this user: `NLN NLN 1:me;via=9:<circle> <name> 0:0`.
    fn send_circle_presence(&mut self, circle: CircleId, name: &str) {
        let handle = format!("1:{};via=9:{}", self.email(), circles::address(circle));
        self.send(Frame::with_params("NLN", ["NLN".to_owned(), handle, encode_param(name), "0:0".into()]));
    }

    /// The user's status changed: the circles' conversations it is in hear it
    /// (and, if it was not shown there before, tell it who is there).
    pub(super) fn circle_presence_changed(&mut self, hidden: bool, appearing: bool) {
        let joined: Vec<(CircleId, Vec<AccountId>)> = self
            .circles
            .iter()
            .flat_map(|circles| circles.iter())
            .filter(|(_, c)| c.joined)
            .map(|(id, c)| (*id, c.members.clone()))
            .collect();
        for (circle, members) in joined {
            if hidden {
                self.tell_circle(circle, &members, CircleEvent::Gone { account: self.account(), email: self.email() });
            } else {
                self.announce_in_circle(circle, &members, appearing);
            }
        }
    }

    /// `SDG n len` to `9:<circle>`: the message goes to every member in the
    /// conversation but this session, the sender's address as the server has it.
    pub(super) fn sdg_circle(&mut self, trid: u32, mut message: Structured, to: &Address) {
        let Some(circle) = circles::parse_ab_id(&to.name) else { return self.error(ErrorCode::InvalidUsername, trid) };
        let members = match self.circles.as_ref().and_then(|circles| circles.get(&circle)) {
            Some(entry) if entry.joined => entry.members.clone(),
            _ => return self.error(ErrorCode::InvalidUser, trid),
        };
        let hidden = self.me().and_then(|me| me.lock().presence.as_ref().map(|p| p.status == Status::Hidden));
        if hidden != Some(false) {
            return self.error(ErrorCode::NotAllowedWhenHidden, trid);
        }
        let from = self.own_address(true);
        for (name, value) in message.routing.0.iter_mut() {
            if name.eq_ignore_ascii_case("From") {
                *value = from.clone();
            }
        }
        let payload = Bytes::from(message.render());
        let Some(session) = self.inbox.as_ref().map(|inbox| inbox.id) else { return };
        let notice = Notice::Circle { circle, event: CircleEvent::Message { payload } };
        self.ctx.core.deliver(&members, notice, Filter::OtherThanSession(session));
    }

    fn tell_circle(&self, circle: CircleId, members: &[AccountId], event: CircleEvent) {
        let Some(session) = self.inbox.as_ref().map(|inbox| inbox.id) else { return };
        self.ctx.core.deliver(members, Notice::Circle { circle, event }, Filter::OtherThanSession(session));
    }

    /// Whether the others see this user: a status set, and not hidden.
    fn shown(&self) -> bool {
        self.online.as_ref().is_some_and(|me| me.lock().presence.as_ref().is_some_and(|p| p.status != Status::Hidden))
    }

    fn account(&self) -> AccountId {
        self.online.as_ref().map_or(0, |me| me.id)
    }

    fn email(&self) -> String {
        self.online.as_ref().map(|me| me.email.clone()).unwrap_or_default()
    }

    /// Renders what happened in a circle, if this session takes part in it.
    pub(super) fn on_circle(&mut self, circle: CircleId, event: CircleEvent) {
        match event {
            CircleEvent::Joined { name, members } => return self.take_part(circle, name, members),
            CircleEvent::Member { account } => {
                if let Some(entry) = self.circles.as_mut().and_then(|circles| circles.get_mut(&circle))
                    && !entry.members.contains(&account)
                {
                    entry.members.push(account);
                }
                return;
            }
            CircleEvent::Removed => {
                if self.circles.as_ref().is_some_and(|c| c.contains_key(&circle)) {
                    self.leave_circle(circle);
                    let handle = format!("1:{};via=9:{}", self.email(), circles::address(circle));
                    self.send(Frame::with_params("FLN", [handle, "0:0".into()]));
                }
                return;
            }
            _ => {}
        }
        let address = circles::address(circle);
        let Some(entry) = self.circles.as_mut().and_then(|circles| circles.get_mut(&circle)).filter(|c| c.joined)
        else {
            return;
        };
        match event {
            CircleEvent::Here { account, presence, answer } => {
                // Someone who accepted since this session read the members.
                if !entry.members.contains(&account) {
                    entry.members.push(account);
                }
                let before = entry.shown.insert(account, presence.clone());
                if before.is_none() {
                    self.circle_roster(&address, &presence.email, false);
                }
                if before.as_ref() != Some(&presence) {
                    let caps = caps_text(self.dialect, presence.presence.caps);
                    let msnobj = presence.presence.msnobj.clone().unwrap_or_else(|| "0".into());
                    let handle = format!("1:{};via=9:{address}", presence.email);
                    let status = super::render::status_code(presence.presence.status).to_owned();
                    let name = encode_param(&presence.friendly_name);
                    self.send(Frame::with_params("NLN", [status, handle, name, caps, msnobj]));
                }
                if let Some(session) = answer
                    && let Some(event) = self.here(None)
                {
                    self.ctx.core.deliver(&[account], Notice::Circle { circle, event }, Filter::Session(session));
                }
            }
            CircleEvent::Gone { account, email } => {
                if entry.shown.remove(&account).is_none() {
                    return;
                }
                self.circle_roster(&address, &email, true);
                self.send(Frame::with_params("FLN", [format!("1:{email};via=9:{address}"), "0:0".into()]));
            }
            CircleEvent::Message { payload } => self.send(Frame::with_params("SDG", ["0"]).with_payload(payload)),
            CircleEvent::Joined { .. } | CircleEvent::Removed | CircleEvent::Member { .. } => {}
        }
    }

    /// `NFY PUT` (someone in the conversation) or `NFY DEL` (gone) of the
    /// circle's roster.
    fn circle_roster(&mut self, address: &str, email: &str, gone: bool) {
        let own = self.own_address(false);
        let routing = Headers::of([("Routing", "1.0"), ("To", own.as_str()), ("From", &format!("9:{address}"))]);
        let reliability = Headers::of([("Reliability", "1.0")]);
        let document = if gone {
            let uri = format!("/circle/roster(IM)/user(1:{email})");
            Structured {
                routing,
                reliability,
                content: Headers::of([("Notification", "1.0"), ("NotifNum", "0"), ("Uri", &uri)]),
                body: Vec::new(),
            }
        } else {
            let body = format!("<circle><roster><id>IM</id><user><id>1:{email}</id></user></roster></circle>");
            Structured {
                routing,
                reliability,
                content: Headers::of([
                    ("Notification", "1.0"),
                    ("NotifNum", "0"),
                    ("Uri", "/circle"),
                    ("NotifType", "Partial"),
                    ("Content-Type", "application/circles+xml"),
                    ("Content-Length", &body.len().to_string()),
                ]),
                body: body.into_bytes(),
            }
        };
        let verb = if gone { "DEL" } else { "PUT" };
        self.send(Frame::with_params("NFY", [verb]).with_payload(document.render()));
    }
}
