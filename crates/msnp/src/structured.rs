//! The payloads of MSNP19+ `PUT`, `DEL`, `NFY` and `SDG`: blocks of header
//! lines separated by an empty line — routing (`To`, `From`), reliability,
//! then the content's own headers (`Publication`, `Notification` or
//! `Messaging`) — and the body after them.

use std::fmt::Write as _;

/// Headers of one block, in order, names as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// The first value of a header, its name matched without case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// Builds headers from pairs.
    pub fn of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Headers {
        Headers(pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }

    fn write(&self, out: &mut String) {
        for (name, value) in &self.0 {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        out.push_str("\r\n");
    }
}

/// A structured payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Structured {
    pub routing: Headers,
    pub reliability: Headers,
    pub content: Headers,
    pub body: Vec<u8>,
}

/// Why a payload is not a structured one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StructuredError {
    #[error("the payload is not text")]
    NotText,
    #[error("a header line without a colon")]
    BadHeader,
    #[error("no routing and reliability blocks")]
    MissingBlock,
}

fn headers(block: &str) -> Result<Headers, StructuredError> {
    let mut headers = Vec::new();
    for line in block.split("\r\n").filter(|line| !line.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(StructuredError::BadHeader)?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(Headers(headers))
}

impl Structured {
    /// Reads the header blocks and the body. The body is whatever follows the
    /// third block, bytes unchanged (`Content-Length` is not trusted); a
    /// payload may end after the reliability block (`PUT n OK`).
    pub fn parse(payload: &[u8]) -> Result<Structured, StructuredError> {
        let mut rest = payload;
        let mut blocks = Vec::with_capacity(3);
        while blocks.len() < 3 && !rest.is_empty() {
            let end = rest.windows(4).position(|w| w == b"\r\n\r\n").ok_or(StructuredError::MissingBlock)?;
            let text = std::str::from_utf8(&rest[..end]).map_err(|_| StructuredError::NotText)?;
            blocks.push(headers(text)?);
            rest = &rest[end + 4..];
        }
        if blocks.len() < 2 {
            return Err(StructuredError::MissingBlock);
        }
        let mut blocks = blocks.into_iter();
        let (routing, reliability) = (blocks.next().unwrap_or_default(), blocks.next().unwrap_or_default());
        let content = blocks.next().unwrap_or_default();
        Ok(Structured { routing, reliability, content, body: rest.to_vec() })
    }

    /// The payload bytes.
    pub fn render(&self) -> Vec<u8> {
        let mut text = String::with_capacity(256 + self.body.len());
        self.routing.write(&mut text);
        self.reliability.write(&mut text);
        // `PUT n OK` ends after the reliability block.
        if !self.content.0.is_empty() || !self.body.is_empty() {
            self.content.write(&mut text);
        }
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// An address in a routing header: `1:alice@example.com;epid={guid}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The network id (1 Messenger, 9 circle, 10 group chat…).
    pub network: u8,
    pub name: String,
    /// The endpoint, braces kept, if one is named.
    pub epid: Option<String>,
}

impl Address {
    /// Reads `network:name[;key=value…]`.
    pub fn parse(text: &str) -> Option<Address> {
        let mut parts = text.trim().split(';');
        let (network, name) = parts.next()?.split_once(':')?;
        let network = network.parse().ok()?;
        let epid =
            parts.filter_map(|p| p.split_once('=')).find(|(k, _)| k.eq_ignore_ascii_case("epid")).map(|(_, v)| v);
        (!name.is_empty()).then(|| Address { network, name: name.to_owned(), epid: epid.map(str::to_owned) })
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.network, self.name)?;
        if let Some(epid) = &self.epid {
            write!(f, ";epid={epid}")?;
        }
        Ok(())
    }
}

/// The `X-MMS-IM-Format` of a message that came without one.
const PLAIN_FORMAT: &str = "FN=Segoe%20UI; EF=; CO=0; CS=0; PF=0";

/// What kind of message a switchboard `MSG` or an `SDG` is, as far as the
/// other side can show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chat {
    /// Text, with its font (`X-MMS-IM-Format`).
    Text {
        format: String,
        text: Vec<u8>,
    },
    Typing,
    Nudge,
}

impl Chat {
    /// Reads a switchboard `MSG` payload (MIME headers, a blank line, the body).
    pub fn from_msg(payload: &[u8]) -> Option<Chat> {
        let end = payload.windows(4).position(|w| w == b"\r\n\r\n")?;
        let headers = headers(std::str::from_utf8(&payload[..end]).ok()?).ok()?;
        let body = &payload[end + 4..];
        let content_type = headers.get("Content-Type")?.split(';').next()?.trim().to_ascii_lowercase();
        match content_type.as_str() {
            "text/plain" => Some(Chat::Text {
                format: headers.get("X-MMS-IM-Format").unwrap_or(PLAIN_FORMAT).to_owned(),
                text: body.to_vec(),
            }),
            "text/x-msmsgscontrol" => Some(Chat::Typing),
            "text/x-msnmsgr-datacast" if body.starts_with(b"ID: 1\r\n") => Some(Chat::Nudge),
            _ => None,
        }
    }

    /// The switchboard `MSG` payload for it; `typing` names who types.
    pub fn to_msg(&self, typing: &str) -> Vec<u8> {
        match self {
            Chat::Text { format, text } => {
                let mut msg = format!(
                    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: {format}\r\n\r\n"
                )
                .into_bytes();
                msg.extend_from_slice(text);
                msg
            }
            Chat::Typing => {
                format!("MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: {typing}\r\n\r\n\r\n")
                    .into_bytes()
            }
            Chat::Nudge => b"MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 1\r\n\r\n".to_vec(),
        }
    }

    /// Reads the content of an `SDG` (`Message-Type` and body).
    pub fn from_sdg(message: &Structured) -> Option<Chat> {
        match message.content.get("Message-Type")? {
            "Text" => Some(Chat::Text {
                format: message.content.get("X-MMS-IM-Format").unwrap_or(PLAIN_FORMAT).to_owned(),
                text: message.body.clone(),
            }),
            "Control/Typing" => Some(Chat::Typing),
            "Nudge" => Some(Chat::Nudge),
            _ => None,
        }
    }

    /// The `SDG` carrying it from `from` to `to` (`1:email` addresses).
    pub fn to_sdg(&self, from: &str, to: &str) -> Structured {
        let (kind, body, format): (&str, &[u8], Option<&str>) = match self {
            Chat::Text { format, text } => ("Text", text, Some(format)),
            Chat::Typing => ("Control/Typing", b"", None),
            Chat::Nudge => ("Nudge", b"\r\n", None),
        };
        let length = body.len().to_string();
        let mut content = vec![("Messaging", "2.0"), ("Message-Type", kind), ("Content-Length", &length)];
        content.push(("Content-Type", "text/plain; charset=UTF-8"));
        if let Some(format) = format {
            content.push(("X-MMS-IM-Format", format));
        }
        Structured {
            routing: Headers::of([("Routing", "1.0"), ("To", to), ("From", from)]),
            reliability: Headers::of([("Reliability", "1.0")]),
            content: Headers::of(content),
            body: body.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDG: &str = "Routing: 1.0\r\nTo: 1:bob@example.com\r\nFrom: 1:alice@example.com;epid={aaaa}\r\n\r\nReliability: 1.0\r\n\r\nMessaging: 2.0\r\nMessage-Type: Text\r\nContent-Length: 5\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello";

    #[test]
    fn reads_blocks_and_body_and_writes_them_back() {
        let message = Structured::parse(SDG.as_bytes()).expect("parses");
        assert_eq!(message.routing.get("to"), Some("1:bob@example.com"));
        assert_eq!(message.reliability.get("Reliability"), Some("1.0"));
        assert_eq!(message.content.get("Message-Type"), Some("Text"));
        assert_eq!(message.body, b"hello");
        assert_eq!(message.render(), SDG.as_bytes());
        let from = Address::parse(message.routing.get("From").expect("from")).expect("address");
        assert_eq!(from, Address { network: 1, name: "alice@example.com".into(), epid: Some("{aaaa}".into()) });
        assert_eq!(from.to_string(), "1:alice@example.com;epid={aaaa}");
    }

    #[test]
    fn chats_cross_between_msg_and_sdg() {
        let msg = b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Arial; EF=; CO=0; CS=0; PF=22\r\n\r\nhi there";
        let chat = Chat::from_msg(msg).expect("text");
        let sdg = chat.to_sdg("1:alice@example.com", "1:bob@example.com");
        assert_eq!(sdg.content.get("Message-Type"), Some("Text"));
        assert_eq!(sdg.content.get("X-MMS-IM-Format"), Some("FN=Arial; EF=; CO=0; CS=0; PF=22"));
        assert_eq!(sdg.content.get("Content-Length"), Some("8"));
        assert_eq!(sdg.body, b"hi there");
        let back = Structured::parse(&sdg.render()).expect("parses");
        assert_eq!(Chat::from_sdg(&back).map(|c| c.to_msg("x")), Some(msg.to_vec()));
        let typing =
            b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: bob@example.com\r\n\r\n\r\n";
        assert_eq!(Chat::from_msg(typing), Some(Chat::Typing));
        assert_eq!(Chat::Typing.to_msg("bob@example.com"), typing);
        let nudge = Chat::Nudge.to_msg("");
        assert_eq!(Chat::from_msg(&nudge), Some(Chat::Nudge));
        assert_eq!(Chat::from_sdg(&Chat::Nudge.to_sdg("1:a@b.c", "1:d@e.f")), Some(Chat::Nudge));
        // What the other side cannot show is not passed on.
        assert_eq!(Chat::from_msg(b"MIME-Version: 1.0\r\nContent-Type: application/x-msnmsgrp2p\r\n\r\nxx"), None);
        assert_eq!(Chat::from_msg(b"no headers"), None);
    }

    #[test]
    fn refuses_what_is_not_one() {
        assert_eq!(Structured::parse(b"Routing: 1.0\r\n\r\n"), Err(StructuredError::MissingBlock));
        assert_eq!(Structured::parse(b"garbage\r\n\r\nx\r\n\r\ny\r\n\r\n"), Err(StructuredError::BadHeader));
        assert_eq!(Structured::parse(b"A: \xff\r\n\r\nB: 1\r\n\r\nC: 1\r\n\r\n"), Err(StructuredError::NotText));
        assert_eq!(Address::parse("alice@example.com"), None);
        assert_eq!(Address::parse("x:alice@example.com"), None);
        assert_eq!(Address::parse("1:"), None);
        let empty_body = Structured::parse(b"A: 1\r\n\r\nB: 1\r\n\r\nC: 1\r\n\r\n").expect("parses");
        assert!(empty_body.body.is_empty());
        let two =
            Structured::parse(b"Routing: 1.0\r\nTo: 1:a@b.c\r\n\r\nReliability: 1.0\r\n\r\n").expect("two blocks");
        assert!(two.content.0.is_empty() && two.body.is_empty());
        assert_eq!(two.render(), b"Routing: 1.0\r\nTo: 1:a@b.c\r\n\r\nReliability: 1.0\r\n\r\n");
    }
}
