//! MSNP13+ lists: `ADL`, `RML` and `FQY` with `<ml>` payloads. The address
//! book (SOAP) and these commands change the same lists in the core; an `ADL`
//! of a contact not yet on a list puts it there, so a client that skips the
//! SOAP call still gets what it asked for.

use msnp::xml::ml::{self, MlContact, MlError};
use msnp::{ErrorCode, Frame};

use super::Session;
use super::circles::CIRCLE;
use crate::core::lists::{List, ListError};

/// Network ids an `<ml>` may name: Messenger (1) and phone numbers (4);
/// circles (9) in MSNP18+.
const MESSENGER: u8 = 1;
const PHONE: u8 = 4;

impl Session {
    /// The `<ml>` of a payload command, or the error already answered.
    fn membership_payload(&mut self, trid: u32, frame: &Frame) -> Option<ml::MembershipList> {
        let text = frame.payload.as_deref().and_then(|p| std::str::from_utf8(p).ok());
        match text.map(ml::parse) {
            Some(Ok(list)) => Some(list),
            Some(Err(MlError::Empty)) => {
                self.error(ErrorCode::InvalidXml, trid);
                None
            }
            Some(Err(MlError::Invalid(_))) | None => {
                self.error(ErrorCode::InvalidXmlItem, trid);
                None
            }
        }
    }

    /// Refuses contacts on other networks (there is no federation here) and
    /// list bits a client may not set; `false` when the command was answered.
    fn check_memberships(&mut self, trid: u32, list: &ml::MembershipList) -> bool {
        let circles = self.dialect.has_circles();
        if list.contacts.iter().any(|c| !(matches!(c.network, 0 | MESSENGER | PHONE) || circles && c.network == CIRCLE))
        {
            self.error(ErrorCode::UnroutableUser, trid);
            return false;
        }
        if list.contacts.iter().any(|c| c.lists & !7 != 0) {
            // RL and PL belong to the server: a client setting them is broken.
            self.error(ErrorCode::InvalidXmlItem, trid);
            self.closing = true;
            return false;
        }
        true
    }

    /// `ADL n len` + `<ml>` → `ADL n OK`, or `241 n len` naming the unknown contacts.
    pub(super) async fn adl(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let Some(mut list) = self.membership_payload(trid, frame) else { return };
        if !self.check_memberships(trid, &list) {
            return;
        }
        let (circles, contacts) = list.contacts.into_iter().partition(|c| c.network == CIRCLE);
        list.contacts = contacts;
        let circles: Vec<MlContact> = circles;
        let circles = match self.circles_named(&circles).await {
            Ok(circles) => circles,
            Err(code) => return self.error(code, trid),
        };
        let mut unknown: Vec<MlContact> = Vec::new();
        // Forward-list contacts this ADL names, new or not: a client that put
        // them on the list through SOAP first still learns their presence here.
        let mut watched = Vec::new();
        for contact in list.contacts.iter().filter(|c| c.network != PHONE) {
            for wanted in [List::Forward, List::Allow, List::Block] {
                if contact.lists & wanted.bit() as u8 == 0 {
                    continue;
                }
                let present = me.lock().lists.by_email(&contact.address).is_some_and(|c| c.is_on(wanted));
                let added = if present {
                    Ok(())
                } else {
                    self.ctx.core.add_to_list(&me, wanted, &contact.address, &contact.address, None).await.map(|_| ())
                };
                match added {
                    Ok(()) | Err(ListError::AlreadyInList) => {}
                    Err(ListError::UnknownUser) => {
                        unknown.push(MlContact {
                            lists: contact.lists,
                            network: MESSENGER,
                            friendly_name: None,
                            ..contact.clone()
                        });
                        break;
                    }
                    Err(error) => return self.list_error(trid, error),
                }
                if wanted == List::Forward {
                    watched.extend(me.lock().lists.by_email(&contact.address).map(|c| c.id));
                }
            }
        }
        if unknown.is_empty() {
            self.send(Frame::with_params("ADL", [trid.to_string(), "OK".into()]));
        } else {
            self.send(Frame::with_params("241", [trid.to_string()]).with_payload(ml::render(&unknown)));
        }
        for view in circles {
            self.take_part(view.circle.id, view.circle.name.clone(), view.accepted());
        }
        // Before the first status change the CHG burst tells it all.
        if me.lock().presence.is_some() {
            watched.sort_unstable();
            watched.dedup();
            let online = self.ctx.core.contact_views(me.id, &watched).await;
            self.announce_presence(trid, &online);
        }
    }

    /// `RML n len` + `<ml>` → `RML n OK`.
    pub(super) async fn rml(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let Some(list) = self.membership_payload(trid, frame) else { return };
        if !self.check_memberships(trid, &list) {
            return;
        }
        for contact in list.contacts.iter().filter(|c| c.network == CIRCLE) {
            match crate::core::circles::parse_ab_id(&contact.address) {
                Some(circle) => self.leave_circle(circle),
                None => return self.error(ErrorCode::InvalidUsername, trid),
            }
        }
        for contact in list.contacts.iter().filter(|c| !matches!(c.network, PHONE | CIRCLE)) {
            let Some(id) = me.lock().lists.by_email(&contact.address).map(|c| c.id) else { continue };
            for wanted in [List::Forward, List::Allow, List::Block] {
                if contact.lists & wanted.bit() as u8 == 0 {
                    continue;
                }
                match self.ctx.core.remove_from_list(&me, wanted, id, None).await {
                    Ok(_) | Err(ListError::NotOnList) => {}
                    Err(error) => return self.list_error(trid, error),
                }
            }
        }
        self.send(Frame::with_params("RML", [trid.to_string(), "OK".into()]));
    }

    /// `FQY n len` + `<ml>` (MSNP14+): which other network each address is on,
    /// for adding it there. Only Messenger accounts of this server are known,
    /// and they are named without a network: MSNPSharp adds any address that
    /// comes back with one a second time (it reads no `t` as "Messenger
    /// only"), and libpurple reads no `t` as Messenger.
    pub(super) async fn fqy(&mut self, trid: u32, frame: &Frame) {
        let Some(list) = self.membership_payload(trid, frame) else { return };
        let mut known = Vec::new();
        for contact in &list.contacts {
            if let Ok(Some(_)) = self.ctx.core.store.account_by_email(&contact.address).await {
                known.push(MlContact { address: contact.address.clone(), lists: 0, network: 0, friendly_name: None });
            }
        }
        if known.is_empty() {
            return self.error(ErrorCode::InvalidUsername, trid);
        }
        self.send(Frame::with_params("FQY", [trid.to_string()]).with_payload(ml::render(&known)));
    }
}
