//! The HTTP polling gateway: the same Notification Server and Switchboard
//! sessions over HTTP requests, for an old (MSNP2) and a new (MSNP11) dialect,
//! next to users on TCP; sessions are private to their client and expire.

mod common;

use std::net::SocketAddr;

use common::{HttpResponse, Peer, TestServer, http_request, sign_in};
use msnp::auth::md5_login_response;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PATH: &str = "/gateway/gateway.dll";

/// One gateway session as a client sees it: the id from the last answer.
struct Gateway {
    http: SocketAddr,
    session: String,
}

fn session_of(response: &HttpResponse) -> String {
    let header = response.header("X-MSN-Messenger").expect("X-MSN-Messenger header");
    let id = header.split("; ").find_map(|field| field.strip_prefix("SessionID=")).expect("SessionID");
    id.to_owned()
}

impl Gateway {
    async fn open(server: &TestServer, which: &str, body: &str) -> (Gateway, String) {
        let path = format!("{PATH}?Action=open&Server={which}&IP=127.0.0.1");
        let response = http_request(
            server.http(),
            "POST",
            &path,
            &[("Content-Type", "application/x-msn-messenger")],
            body.as_bytes(),
        )
        .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("Content-Type"), Some("application/x-msn-messenger"));
        let header = response.header("X-MSN-Messenger").expect("header").to_owned();
        let session = session_of(&response);
        assert_eq!(header, format!("SessionID={session}; GW-IP=127.0.0.1"));
        (Gateway { http: server.http(), session }, response.text())
    }

    async fn send(&mut self, body: &str) -> String {
        let response = self.request(&format!("{PATH}?SessionID={}", self.session), body).await;
        assert_eq!(response.status, 200);
        response.text()
    }

    async fn poll(&mut self) -> String {
        let response = self.request(&format!("{PATH}?Action=poll&SessionID={}", self.session), "").await;
        assert_eq!(response.status, 200);
        response.text()
    }

    async fn request(&mut self, path: &str, body: &str) -> HttpResponse {
        let response =
            http_request(self.http, "POST", path, &[("Content-Type", "application/x-msn-messenger")], body.as_bytes())
                .await;
        if response.status == 200 && response.header("X-MSN-Messenger").is_some_and(|h| h.contains("SessionID=")) {
            self.session = session_of(&response);
        }
        response
    }

    /// Polls until something arrives (notices come between requests).
    async fn poll_until_some(&mut self) -> String {
        for _ in 0..50 {
            let text = self.poll().await;
            if !text.is_empty() {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("nothing arrived through the gateway");
    }
}

#[tokio::test]
async fn msnp2_over_the_gateway_chats_with_msnp11_over_tcp() {
    let server = TestServer::start().await;
    server.user_md5("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;

    let (mut alice, text) = Gateway::open(&server, "NS", "VER 1 MSNP2\r\n").await;
    assert_eq!(text, "VER 1 MSNP2\r\n");
    assert_eq!(alice.send("INF 2\r\n").await, "INF 2 MD5\r\n");
    let salt_line = alice.send("USR 3 MD5 I alice@example.com\r\n").await;
    let salt = salt_line.trim_end().rsplit(' ').next().expect("salt").to_owned();
    let login = alice.send(&format!("USR 4 MD5 S {}\r\n", md5_login_response(&salt, "alice-pw"))).await;
    assert!(login.starts_with("USR 4 OK alice@example.com Alice\r\nMSG Hotmail Hotmail "), "{login}");
    assert!(!login.contains("ClientPort"), "MSNP2 has no client address in its profile");
    assert_eq!(alice.poll().await, "");
    // Two commands in one request, answered together.
    let text = alice.send("ADD 5 FL bob@example.com Bob\r\nADD 6 AL bob@example.com Bob\r\n").await;
    assert_eq!(text, "ADD 5 FL 1 bob@example.com Bob\r\nADD 6 AL 2 bob@example.com Bob\r\n");
    assert_eq!(alice.send("CHG 7 NLN\r\n").await, "CHG 7 NLN\r\n");

    let mut bob = sign_in(&server, "MSNP11", "bob@example.com", "bob-pw", "bob").await;
    bob.send("ADC 1 FL N=alice@example.com F=Alice").await;
    assert!(bob.line().await.starts_with("ADC 1 FL N=alice@example.com F=Alice C="));
    bob.expect("ILN 1 NLN alice@example.com Alice 0 0").await;
    assert_eq!(alice.poll_until_some().await, "ADD 0 RL 3 bob@example.com Bob\r\n");
    bob.send("CHG 2 NLN 1073741824").await;
    bob.expect("CHG 2 NLN 1073741824").await;
    bob.expect("ILN 2 NLN alice@example.com Alice 0 0").await;
    bob.frame().await; // Mail-Data
    bob.frame().await; // CHL
    assert_eq!(alice.poll_until_some().await, "NLN NLN bob@example.com Bob\r\n");

    // Bob invites Alice; she answers through a switchboard gateway session.
    bob.send("XFR 3 SB").await;
    let cookie = bob.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("USR 1 bob@example.com {cookie}")).await;
    bob_sb.expect("USR 1 OK bob@example.com Bob").await;
    bob_sb.send("CAL 2 alice@example.com").await;
    let session = bob_sb.line().await.split(' ').nth(3).expect("session").to_owned();
    let rng = alice.poll_until_some().await;
    let words: Vec<&str> = rng.trim_end().split(' ').collect();
    assert_eq!(words[..4], ["RNG", session.as_str(), &server.sb().to_string(), "CKI"]);
    let (mut alice_sb, text) =
        Gateway::open(&server, "SB", &format!("ANS 1 alice@example.com {} {session}\r\n", words[4])).await;
    assert_eq!(text, "IRO 1 1 1 bob@example.com Bob\r\nANS 1 OK\r\n");
    bob_sb.expect("JOI alice@example.com Alice").await;
    bob_sb.send_payload("MSG 3 A", b"hello over http").await;
    bob_sb.expect("ACK 3").await;
    assert_eq!(alice_sb.poll_until_some().await, "MSG bob@example.com Bob 15\r\nhello over http");
    assert_eq!(alice_sb.send("MSG 2 A 6\r\nhi bob").await, "ACK 2\r\n");
    bob_sb.expect_payload("MSG alice@example.com Alice 6", "hi bob").await;
    // OUT ends the session: the answer says so, and the id is no longer valid.
    let closing = alice_sb.request(&format!("{PATH}?SessionID={}", alice_sb.session), "OUT\r\n").await;
    assert_eq!(closing.header("X-MSN-Messenger"), Some("Session=close"));
    bob_sb.expect("BYE alice@example.com").await;
    let gone = alice_sb.request(&format!("{PATH}?Action=poll&SessionID={}", alice_sb.session), "").await;
    assert_eq!(gone.status, 400);
}

#[tokio::test]
async fn msnp11_over_the_gateway_signs_in_with_passport() {
    let server = TestServer::start().await;
    server.user("carol@example.com", "carol-pw", "Carol").await;
    let (mut carol, text) = Gateway::open(
        &server,
        "NS",
        "VER 1 MSNP11 CVR0\r\nCVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0777 msmsgs carol@example.com\r\n",
    )
    .await;
    assert_eq!(
        text,
        format!("VER 1 MSNP11\r\nCVR 2 7.0.0777 7.0.0777 7.0.0777 http://{0}/ http://{0}/\r\n", server.http())
    );
    assert!(carol.send("USR 3 TWN I carol@example.com\r\n").await.starts_with("USR 3 TWN S lc=1033"));
    let ticket = server.ticket("carol@example.com", "carol-pw").await;
    let login = carol.send(&format!("USR 4 TWN S {ticket}\r\n")).await;
    assert!(login.starts_with("USR 4 OK carol@example.com 1 0\r\nSBS 0 null\r\nMSG Hotmail Hotmail "), "{login}");
    assert!(login.contains("\r\nClientPort: 0\r\n"), "{login}");
    assert_eq!(carol.poll().await, "");
    assert_eq!(carol.send("PNG\r\n").await, "QNG 60\r\n");
    assert_eq!(carol.send("BOGUS 5\r\n").await, "200 5\r\n");
}

#[tokio::test]
async fn sessions_belong_to_their_client_and_expire() {
    let server = TestServer::start_with(|config| config.gateway_idle_secs = 1).await;
    server.user("dave@example.com", "dave-pw", "Dave").await;
    server.user("erin@example.com", "erin-pw", "Erin").await;
    let (dave, _) = Gateway::open(&server, "NS", "VER 1 MSNP8 CVR0\r\n").await;

    // The same id from another address (127.0.0.2) is refused, and leaks nothing.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.2:0".parse().expect("address")).expect("bind 127.0.0.2");
    let mut stream = socket.connect(server.http()).await.expect("connect");
    let request = format!(
        "POST {PATH}?Action=poll&SessionID={} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        dave.session
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(!answer.contains("X-Msn-Messenger") && !answer.contains("SessionID"));

    for path in [
        format!("{PATH}?Action=poll&SessionID=made-up"),
        format!("{PATH}?Action=open&Server=XX"),
        format!("{PATH}?Action=dance"),
        PATH.to_owned(),
    ] {
        let response = http_request(server.http(), "POST", &path, &[], b"").await;
        assert_eq!(response.status, 400, "{path}");
    }

    // Erin, over TCP, watches Dave; Dave stops polling and is signed out.
    let mut erin = sign_in(&server, "MSNP8", "erin@example.com", "erin-pw", "erin").await;
    let (mut dave2, _) = Gateway::open(&server, "NS", "VER 1 MSNP8 CVR0\r\nCVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0208 MSMSGS dave@example.com\r\nUSR 3 TWN I dave@example.com\r\n").await;
    let ticket = server.ticket("dave@example.com", "dave-pw").await;
    assert!(
        dave2.send(&format!("USR 4 TWN S {ticket}\r\n")).await.starts_with("USR 4 OK dave@example.com Dave 1 0\r\n")
    );
    assert_eq!(
        dave2.send("ADD 5 AL erin@example.com Erin\r\nCHG 6 NLN 0\r\n").await.lines().take(2).collect::<Vec<_>>(),
        ["ADD 5 AL 1 erin@example.com Erin", "CHG 6 NLN 0"]
    );
    erin.send("ADD 1 FL dave@example.com Dave").await;
    erin.expect("ADD 1 FL 1 dave@example.com Dave").await;
    erin.expect("ILN 1 NLN dave@example.com Dave 0").await;
    erin.send("CHG 2 NLN 0").await;
    erin.expect("CHG 2 NLN 0").await;
    erin.expect("ILN 2 NLN dave@example.com Dave 0").await;
    erin.line().await; // CHL
    erin.expect("FLN dave@example.com").await;
    let gone = dave2.request(&format!("{PATH}?Action=poll&SessionID={}", dave2.session), "").await;
    assert_eq!(gone.status, 400);
}

/// A client set up with the well-known name opens its first gateway session
/// to it: that is the dispatch server, which refers it to the Notification
/// Server; the client then opens a session naming that host.
#[tokio::test]
async fn the_well_known_name_over_the_gateway_refers_the_client() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    let body = "VER 1 MSNP8 CVR0\r\nCVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0208 MSMSGS alice@example.com\r\nUSR 3 TWN I alice@example.com\r\n";
    let response = http_request(
        server.http(),
        "POST",
        &format!("{PATH}?Action=open&Server=NS&IP=messenger.hotmail.com"),
        &[("Content-Type", "application/x-msn-messenger")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(response.status, 200);
    let text = response.text();
    let referral = text.lines().last().expect("a referral");
    assert_eq!(referral, format!("XFR 3 NS {} 0 {}", server.ns(), server.dispatch()));
    assert_eq!(response.header("X-MSN-Messenger"), Some("Session=close"));
    // The host it names is the Notification Server's: a session there signs in.
    let host = referral.split(' ').nth(3).and_then(|a| a.split(':').next()).expect("host");
    let response = http_request(
        server.http(),
        "POST",
        &format!("{PATH}?Action=open&Server=NS&IP={host}"),
        &[("Content-Type", "application/x-msn-messenger")],
        body.as_bytes(),
    )
    .await;
    assert!(response.text().contains("USR 3 TWN S lc=1033,"), "{}", response.text());
}

/// MSNP21 clients (BitlBee) send a write while a poll waits: polls are never
/// refused for a request in flight; writes stay one at a time.
#[tokio::test]
async fn polls_may_come_beside_a_write() {
    let server = TestServer::start().await;
    let (gateway, opened) = Gateway::open(&server, "NS", "VER 1 MSNP21 CVR0\r\n").await;
    assert_eq!(opened, "VER 1 MSNP21\r\n");
    let http = gateway.http;
    let poll = format!("{PATH}?Action=poll&Lifespan=60&SessionID={}", gateway.session);
    let write = format!("{PATH}?SessionID={}", gateway.session);
    let mut requests = Vec::new();
    for index in 0..12 {
        let (path, body) = if index == 6 { (write.clone(), b"PNG\r\n".to_vec()) } else { (poll.clone(), Vec::new()) };
        requests.push(tokio::spawn(async move { http_request(http, "POST", &path, &[], &body).await }));
    }
    let mut answered = String::new();
    for request in requests {
        let response = request.await.expect("request");
        assert_eq!(response.status, 200, "{}", response.text());
        answered.push_str(&response.text());
    }
    assert_eq!(answered, "QNG 60\r\n");
}
