//! MSNP19+ in the client: the status published with `PUT`, messages sent
//! with `SDG`, and contacts' presence (`NFY`) and messages (`SDG`) read.

use std::collections::BTreeMap;

use msnp::Frame;
use msnp::structured::{Address, Chat, Headers, Structured};

use crate::ClientError;
use crate::ns::{Client, Contact, Event};

impl Client {
    /// `PUT` of the user document with `status`.
    pub(crate) async fn put_status(&self, status: &str) -> Result<(), ClientError> {
        let body = format!(
            r#"<user><s n="IM"><Status>{}</Status><CurrentMedia></CurrentMedia></s><sep n="IM"><Capabilities>0:0</Capabilities></sep></user>"#,
            msnp::text::escape_xml(status)
        );
        let length = body.len().to_string();
        let put = Structured {
            routing: self.routing(&format!("1:{}", self.email)),
            reliability: Headers::of([("Reliability", "1.0")]),
            content: Headers::of([
                ("Publication", "1.0"),
                ("Uri", "/user"),
                ("Content-Type", "application/user+xml"),
                ("Content-Length", &length),
            ]),
            body: body.into_bytes(),
        };
        self.link.call("PUT", &[], Some(put.render().into()), &["PUT"]).await.map(drop)
    }

    /// The routing block of an MSNP19+ payload from this endpoint to `to`.
    pub(crate) fn routing(&self, to: &str) -> Headers {
        let from = match &self.endpoint {
            Some(epid) => format!("1:{};epid={epid}", self.email),
            None => format!("1:{}", self.email),
        };
        Headers::of([("Routing", "1.0"), ("To", to), ("From", &from)])
    }

    /// Sends a text message on the Notification Server (`SDG`, MSNP19+):
    /// the server passes it to every endpoint of `to`, whatever they speak.
    pub async fn send_message(&self, to: &str, text: &str) -> Result<(), ClientError> {
        if !self.config.dialect.has_structured_messages() {
            return Err(ClientError::Protocol(format!("{} has no SDG: use a Conversation", self.config.dialect)));
        }
        let chat = Chat::Text { format: "FN=Segoe%20UI; EF=; CO=0; CS=0; PF=0".into(), text: text.as_bytes().to_vec() };
        let mut message = chat.to_sdg("", &format!("1:{to}"));
        message.routing = self.routing(&format!("1:{to}"));
        let trid = self.link.next_trid();
        self.link.send(&Frame::new("SDG").param(trid).with_payload(message.render())).await
    }
}

/// A contact's presence from `NFY PUT` (or `NFY DEL`: gone), applied to the list.
pub(crate) fn presence(frame: &Frame, gone: bool, contacts: &mut BTreeMap<String, Contact>) -> Option<Event> {
    let nfy = Structured::parse(frame.payload.as_deref().unwrap_or_default()).ok()?;
    let email = nfy.routing.get("From").and_then(Address::parse)?.name;
    if gone {
        if let Some(contact) = contacts.get_mut(&email) {
            contact.status = None;
        }
        return Some(Event::Offline { email });
    }
    let document = msnp::xml::user::parse(std::str::from_utf8(&nfy.body).ok()?).ok()?;
    let status = document.status.unwrap_or_else(|| "NLN".to_owned());
    let contact = contacts.get_mut(&email);
    let known = contact.as_ref().map(|c| c.friendly_name.clone()).unwrap_or_else(|| email.clone());
    let friendly_name = document.friendly_name.unwrap_or(known);
    if let Some(contact) = contact {
        contact.status = Some(status.clone());
        contact.friendly_name = friendly_name.clone();
    }
    Some(Event::Presence { email, status, friendly_name })
}

/// A text message from `SDG` (typing and nudges are not events).
pub(crate) fn message(frame: &Frame) -> Option<Event> {
    let sdg = Structured::parse(frame.payload.as_deref().unwrap_or_default()).ok()?;
    let from = sdg.routing.get("From").and_then(Address::parse)?.name;
    let to = sdg.routing.get("To").and_then(Address::parse);
    let Chat::Text { text, .. } = Chat::from_sdg(&sdg)? else { return None };
    let text = String::from_utf8_lossy(&text).into_owned();
    match to {
        Some(to) if to.network == 9 => {
            let circle = to.name.strip_suffix("@live.com").unwrap_or(&to.name).to_owned();
            Some(Event::CircleMessage { circle, from, text })
        }
        _ => Some(Event::Message { from, text }),
    }
}
