//! `CHG` (status), `UUX` (personal message), and the initial presence burst.

use bytes::Bytes;
use msnp::xml::uux;
use msnp::{ErrorCode, Frame};

use super::Session;
use super::render::{caps_text, parse_caps, presence_params, status_code};
use crate::core::presence::{Capabilities, Presence};
use crate::core::types::ContactView;

impl Session {
    /// `CHG n STATUS [caps [msnobj]]` → echoed; the first one also brings the
    /// contacts' presence (ILN), their personal messages, and a challenge.
    pub(super) async fn chg(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let Some(status) = frame.params.get(1).and_then(super::render::parse_status) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let caps = match frame.params.get(2) {
            Some(text) if self.dialect.presence_has_caps() => match parse_caps(text) {
                Some(caps) => caps,
                None => return self.error(ErrorCode::InvalidParameter, trid),
            },
            _ => Capabilities::default(),
        };
        let msnobj = frame.params.get(3).filter(|m| self.dialect.presence_has_msnobj() && *m != "0").map(str::to_owned);
        if frame.params.len() > 4 {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        let mut echo = Frame::new("CHG").param(trid).param(status_code(status));
        if self.dialect.presence_has_caps() {
            // The capabilities as the client wrote them (`…:00` stays `…:00`).
            echo = match frame.params.get(2) {
                Some(written) => echo.param(written),
                None => echo.param(caps_text(self.dialect, caps)),
            };
            if let Some(raw) = frame.params.get(3).filter(|_| self.dialect.presence_has_msnobj()) {
                echo = echo.param(raw);
            }
        }
        self.send(echo);
        if self.dialect.has_mpop()
            && let Some(inbox) = &self.inbox
            && self.ctx.core.set_endpoint_status_caps(&me, inbox.id, caps)
        {
            self.own_endpoints();
        }
        let hidden = |p: &Presence| p.status == crate::core::presence::Status::Hidden;
        let was_visible = me.lock().presence.as_ref().is_some_and(|p| !hidden(p));
        let first = self.ctx.core.set_presence(&me, Presence { status, caps, msnobj }).await;
        if self.circles.is_some() {
            let hiding = status == crate::core::presence::Status::Hidden;
            self.circle_presence_changed(hiding, !was_visible);
        }
        if let Some(contacts) = first {
            self.announce_presence(trid, &contacts);
            if self.dialect.has_uux() {
                // The offline messages waiting (`text/x-msmsgsinitialmdatanotification`),
                // as the sign-in loaded them if it did.
                let loaded = self.inbox.as_mut().and_then(|inbox| inbox.offline.take());
                let mail_data = match loaded {
                    Some(messages) => crate::core::offline::mail_data_of(&messages),
                    None => match self.ctx.core.mail_data(me.id).await {
                        Ok(data) => data,
                        Err(error) => {
                            tracing::error!(%error, "offline messages unavailable");
                            msnp::xml::maildata::render(&[])
                        }
                    },
                };
                let body = format!(
                    "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinitialmdatanotification; charset=UTF-8\r\n\r\nMail-Data: {mail_data}\r\n"
                );
                self.send(Frame::with_params("MSG", ["Hotmail", "Hotmail"]).with_payload(body));
            }
            self.send_challenge();
        }
    }

    /// Contacts' presence volunteered in answer to command `trid` (the first
    /// `CHG`, `ADD`/`ADC`/`ADL`): `ILN` or, in MSNP18, `NLN`; then, in MSNP11+,
    /// the personal message of each that has one.
    pub(super) fn announce_presence(&mut self, trid: u32, contacts: &[ContactView]) {
        if self.dialect.has_structured_messages() {
            return self.announce_structured(contacts);
        }
        for view in contacts.iter().map(|c| &c.presence) {
            if self.dialect.initial_presence_is_iln() {
                let mut params = vec![trid.to_string()];
                params.extend(presence_params(self.dialect, view));
                self.send(Frame::with_params("ILN", params));
            } else {
                self.send(Frame::with_params("NLN", presence_params(self.dialect, view)));
            }
        }
        if !self.dialect.has_uux() {
            return;
        }
        for notice in contacts.iter().filter_map(|c| c.personal_message.clone()) {
            self.on_notice(notice);
        }
    }

    /// `UUX n len` + `<Data>…</Data>` → `UUX n 0`; contacts get `UBX`.
    pub(super) fn uux(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let payload = frame.payload.clone().unwrap_or_default();
        let Ok(text) = std::str::from_utf8(&payload) else {
            return self.error(ErrorCode::InvalidXml, trid);
        };
        let session = self.inbox.as_ref().map_or(0, |inbox| inbox.id);
        match uux::parse_payload(text) {
            Ok(uux::UuxPayload::Status(status)) => {
                self.send(Frame::with_params("UUX", [trid.to_string()]).with_payload(Bytes::new()));
                self.ctx.core.set_personal_message(&me, status);
                if self.dialect.has_mpop() {
                    self.ctx.core.set_endpoint(&me, session, None, None);
                }
            }
            // Endpoint data (MSNP16+) describes this endpoint to the user's other endpoints.
            Ok(uux::UuxPayload::Endpoint { capabilities }) if self.dialect.has_mpop() => {
                self.send(Frame::with_params("UUX", [trid.to_string()]).with_payload(Bytes::new()));
                self.ctx.core.set_endpoint(&me, session, Some(capabilities), None);
            }
            Ok(uux::UuxPayload::PrivateEndpoint(private)) if self.dialect.has_mpop() => {
                self.send(Frame::with_params("UUX", [trid.to_string()]).with_payload(Bytes::new()));
                self.ctx.core.set_endpoint(&me, session, None, Some(private));
            }
            Ok(_) | Err(_) => self.error(ErrorCode::InvalidXml, trid),
        }
    }
}
