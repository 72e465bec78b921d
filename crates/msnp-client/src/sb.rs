//! A switchboard conversation: opened with `XFR SB` + `CAL`, or joined from
//! an invitation with `ANS`.

use bytes::Bytes;
use msnp::Frame;
use msnp::text::decode_param;
use tokio::sync::mpsc;

use crate::ClientError;
use crate::ns::{Client, Invitation};
use crate::wire::Link;

/// What happens in a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationEvent {
    /// A text message (`text/plain`).
    Message { from: String, friendly_name: String, text: String },
    /// Someone is typing (`text/x-msmsgscontrol`).
    Typing { from: String },
    /// Someone nudged (`text/x-msnmsgr-datacast`, `ID: 1`).
    Nudge { from: String },
    /// Someone joined (`JOI`), or was there when this client joined (`IRO`).
    Joined { email: String },
    /// Someone left (`BYE`).
    Left { email: String },
    /// Anything else, as sent.
    Other(Frame),
}

pub struct Conversation {
    link: Link,
    queue: mpsc::UnboundedReceiver<Frame>,
    /// This client's account, named in typing notices.
    email: String,
}

const TEXT_HEADER: &str = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=1; PF=0\r\n\r\n";

impl Conversation {
    /// Opens a conversation and invites `email`; returns once it rings. Their
    /// arrival is a [`ConversationEvent::Joined`]; a message sent before it
    /// reaches nobody.
    pub async fn open(client: &Client, email: &str) -> Result<Conversation, ClientError> {
        let (address, cookie) = client.switchboard().await?;
        let (link, queue) = Link::connect(&address, &client.config).await?;
        let handle = client.switchboard_handle();
        link.call("USR", &[handle.as_str(), cookie.as_str()], None, &["USR"]).await?;
        link.call("CAL", &[email], None, &["CAL"]).await?;
        Ok(Conversation { link, queue, email: client.email.clone() })
    }

    /// Joins the conversation `invitation` names (`ANS`).
    pub async fn accept(client: &Client, invitation: &Invitation) -> Result<Conversation, ClientError> {
        let (link, queue) = Link::connect(&invitation.address, &client.config).await?;
        let handle = client.switchboard_handle();
        let params = [handle.as_str(), invitation.cookie.as_str(), invitation.session_id.as_str()];
        link.call("ANS", &params, None, &["ANS"]).await?;
        Ok(Conversation { link, queue, email: client.email.clone() })
    }

    /// Sends a text message and waits for the switchboard's `ACK`.
    pub async fn send(&self, text: &str) -> Result<(), ClientError> {
        let payload = Bytes::from(format!("{TEXT_HEADER}{text}"));
        let reply = self.link.call("MSG", &["A"], Some(payload), &["ACK", "NAK"]).await?;
        match reply.command.as_str() {
            "ACK" => Ok(()),
            _ => Err(ClientError::Protocol(format!("message not delivered: {reply}"))),
        }
    }

    /// Tells the others this client is typing (`MSG U` with a
    /// `text/x-msmsgscontrol` payload; the switchboard sends no `ACK`).
    pub async fn typing(&self) -> Result<(), ClientError> {
        let payload = format!(
            "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: {}\r\n\r\n\r\n",
            self.email
        );
        let frame = Frame::new("MSG").param(self.link.next_trid()).param("U").with_payload(Bytes::from(payload));
        self.link.send(&frame).await
    }

    /// Sends a nudge (`MSG N` with a `text/x-msnmsgr-datacast` `ID: 1`, as
    /// WLM does: no `ACK`, a `NAK` only if it could not be delivered).
    pub async fn nudge(&self) -> Result<(), ClientError> {
        let payload = "MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 1\r\n\r\n";
        let frame = Frame::new("MSG").param(self.link.next_trid()).param("N").with_payload(Bytes::from(payload));
        self.link.send(&frame).await
    }

    /// The next event; `None` once the conversation is closed.
    pub async fn next_event(&mut self) -> Option<ConversationEvent> {
        loop {
            let frame = self.queue.recv().await?;
            let params: Vec<&str> = frame.params.iter().collect();
            return Some(match (frame.command.as_str(), params.as_slice()) {
                ("MSG", [from, name, ..]) => message(from, name, frame.payload.as_deref().unwrap_or_default())
                    .unwrap_or(ConversationEvent::Other(frame)),
                // MSNP16+ also names each endpoint (`email;{guid}`); the account's
                // own line follows, and is the one that counts for people.
                ("JOI", [email, ..]) | ("IRO", [_, _, _, email, ..]) | ("BYE", [email, ..]) if email.contains(';') => {
                    continue;
                }
                ("JOI", [email, ..]) | ("IRO", [_, _, _, email, ..]) => {
                    ConversationEvent::Joined { email: plain_email(email) }
                }
                ("BYE", [email, ..]) => ConversationEvent::Left { email: plain_email(email) },
                _ => ConversationEvent::Other(frame),
            });
        }
    }

    /// Leaves the conversation (`OUT`).
    pub async fn leave(self) -> Result<(), ClientError> {
        self.link.send(&Frame::new("OUT")).await
    }
}

/// `email;{guid}` (an MSNP16+ endpoint) as the plain email.
fn plain_email(handle: &str) -> String {
    handle.split(';').next().unwrap_or(handle).to_owned()
}

fn message(from: &str, name: &str, payload: &[u8]) -> Option<ConversationEvent> {
    let text = std::str::from_utf8(payload).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let content_type = head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case("Content-Type").then(|| value.trim().to_ascii_lowercase())
    })?;
    let from = plain_email(from);
    if content_type.starts_with("text/plain") {
        let friendly_name = decode_param(name).unwrap_or_else(|| name.to_owned());
        Some(ConversationEvent::Message { from, friendly_name, text: body.to_owned() })
    } else if content_type.starts_with("text/x-msmsgscontrol") {
        Some(ConversationEvent::Typing { from })
    } else if content_type.starts_with("text/x-msnmsgr-datacast")
        && body.lines().any(|line| line.split_once(':').is_some_and(|(k, v)| k.trim() == "ID" && v.trim() == "1"))
    {
        Some(ConversationEvent::Nudge { from })
    } else {
        None
    }
}
