//! MSNP over WebSockets (`/ws/ns`, `/ws/sb`): a browser-like client signs
//! in through Passport and chats with a TCP client, line for line.

mod common;

use common::{Peer, TestServer, sign_in};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket client that reads whole lines (and payloads by length).
struct Browser {
    socket: Socket,
    buffer: Vec<u8>,
}

impl Browser {
    async fn connect(server: &TestServer, path: &str) -> Browser {
        let url = format!("ws://{}{path}", server.http());
        let (socket, response) = tokio_tungstenite::connect_async(url).await.expect("websocket");
        assert_eq!(response.status(), 101);
        Browser { socket, buffer: Vec::new() }
    }

    async fn send(&mut self, text: &str) {
        self.socket.send(Message::text(text)).await.expect("sent");
    }

    /// The next `\r\n`-terminated line, and `payload` bytes after it.
    async fn read(&mut self, payload: usize) -> String {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n")
                && self.buffer.len() >= end + 2 + payload
            {
                let taken: Vec<u8> = self.buffer.drain(..end + 2 + payload).collect();
                return String::from_utf8_lossy(&taken).into_owned();
            }
            self.more().await;
        }
    }

    /// The next `n` bytes.
    async fn bytes(&mut self, n: usize) -> Vec<u8> {
        while self.buffer.len() < n {
            self.more().await;
        }
        self.buffer.drain(..n).collect()
    }

    async fn more(&mut self) {
        {
            let message = tokio::time::timeout(common::PATIENCE, self.socket.next())
                .await
                .expect("an answer in time")
                .expect("the socket open")
                .expect("a message");
            match message {
                Message::Binary(bytes) => self.buffer.extend_from_slice(&bytes),
                Message::Text(text) => self.buffer.extend_from_slice(text.as_bytes()),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    async fn expect(&mut self, line: &str) {
        assert_eq!(self.read(0).await, format!("{line}\r\n"));
    }
}

#[tokio::test]
async fn a_browser_signs_in_and_chats_over_websockets() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let mut bob = sign_in(&server, "MSNP12", "bob@example.com", "pw", "bob").await;

    // Several commands in one message, one command split over two.
    let mut alice = Browser::connect(&server, "/ws/ns").await;
    alice.send("VER 1 MSNP12 CVR0\r\nCVR 2 0x0409 web 1 js MSNPWEB 1.0 msnpweb alice@example.com\r\nUSR 3 TWN").await;
    alice.send(" I alice@example.com\r\n").await;
    alice.expect("VER 1 MSNP12").await;
    assert!(alice.read(0).await.starts_with("CVR 2 1.0 1.0 1.0 "));
    assert!(alice.read(0).await.starts_with("USR 3 TWN S "));
    let ticket = server.ticket("alice@example.com", "pw").await;
    alice.send(&format!("USR 4 TWN S {ticket}\r\n")).await;
    alice.expect("USR 4 OK alice@example.com 1 0").await;
    alice.expect("SBS 0 null").await;
    let profile = alice.read(0).await;
    let length: usize = profile.trim_end().rsplit(' ').next().and_then(|n| n.parse().ok()).expect("length");
    assert!(String::from_utf8_lossy(&alice.bytes(length).await).contains("MSPAuth"));

    alice.send("ADC 5 FL N=bob@example.com F=Bob\r\n").await;
    assert!(alice.read(0).await.starts_with("ADC 5 FL N=bob@example.com F=Bob C="));
    assert!(bob.line().await.starts_with("ADC 0 RL N=alice@example.com F=Alice"));
    alice.send("CHG 6 NLN 0\r\n").await;
    alice.expect("CHG 6 NLN 0").await;

    // Bob invites Alice; her browser answers on /ws/sb.
    bob.send("CHG 2 NLN 0").await;
    bob.expect("CHG 2 NLN 0").await;
    bob.send("XFR 3 SB").await;
    let mut xfr = bob.line().await;
    while !xfr.starts_with("XFR 3 SB") {
        xfr = bob.line().await;
    }
    let cookie = xfr.split(' ').nth(5).expect("cookie").to_owned();
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("USR 1 bob@example.com {cookie}")).await;
    bob_sb.expect("USR 1 OK bob@example.com Bob").await;
    bob_sb.send("CAL 2 alice@example.com").await;
    let session = bob_sb.line().await.split(' ').nth(3).expect("session").to_owned();
    let rng = loop {
        let line = alice.read(0).await;
        if line.starts_with("RNG ") {
            break line;
        }
    };
    let words: Vec<&str> = rng.trim_end().split(' ').collect();
    assert_eq!(words[..4], ["RNG", session.as_str(), &server.sb().to_string(), "CKI"]);
    let mut alice_sb = Browser::connect(&server, "/ws/sb").await;
    alice_sb.send(&format!("ANS 1 alice@example.com {} {session}\r\n", words[4])).await;
    alice_sb.expect("IRO 1 1 1 bob@example.com Bob 0").await;
    alice_sb.expect("ANS 1 OK").await;
    bob_sb.expect("JOI alice@example.com Alice 0").await;
    bob_sb.send_payload("MSG 3 A", b"hello browser").await;
    bob_sb.expect("ACK 3").await;
    assert_eq!(alice_sb.read(13).await, "MSG bob@example.com Bob 13\r\nhello browser");
    alice_sb.send("MSG 2 A 9\r\nhello bob").await;
    alice_sb.expect("ACK 2").await;
    bob_sb.expect_payload("MSG alice@example.com Alice 9", "hello bob").await;

    // Closing the socket ends the session.
    drop(alice_sb);
    bob_sb.expect("BYE alice@example.com").await;
}

/// Another site's script may not open sessions from its visitors' browsers:
/// a WebSocket upgrade whose `Origin` is neither this service's nor one
/// `websocket_origins` names is refused; clients without `Origin` may.
#[tokio::test]
async fn websockets_open_only_from_allowed_origins() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let server =
        TestServer::start_with(|config| config.websocket_origins = vec!["https://chat.example.org".into()]).await;
    let status = |origin: Option<String>| {
        let url = format!("ws://{}/ws/ns", server.http());
        async move {
            let mut request = url.into_client_request().expect("request");
            if let Some(origin) = origin {
                request.headers_mut().insert("Origin", origin.parse().expect("header"));
            }
            match tokio_tungstenite::connect_async(request).await {
                Ok((_, response)) => response.status().as_u16(),
                Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
                Err(error) => panic!("{error}"),
            }
        }
    };
    assert_eq!(status(None).await, 101);
    assert_eq!(status(Some(format!("http://{}", server.http()))).await, 101, "this service's own pages");
    assert_eq!(status(Some("https://chat.example.org".into())).await, 101, "a named origin");
    assert_eq!(status(Some("https://evil.example".into())).await, 403);
    assert_eq!(status(Some("null".into())).await, 403);
}
