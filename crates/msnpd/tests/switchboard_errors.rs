//! Switchboard failures (cookies, invitations, limits) and the order of what it relays.

mod common;

use common::{Peer, TestServer, sign_in};

async fn online(server: &TestServer, email: &str, name: &'static str) -> Peer {
    let mut peer = sign_in(server, "MSNP8", email, "pw", name).await;
    peer.send("CHG 50 NLN 0").await;
    peer.expect("CHG 50 NLN 0").await;
    assert!(peer.line().await.starts_with("CHL 0 "));
    peer
}

async fn open(server: &TestServer, ns: &mut Peer, email: &str, name: &'static str) -> Peer {
    ns.send("XFR 60 SB").await;
    let cookie = ns.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut sb = Peer::connect(server.sb(), name).await;
    sb.send(&format!("USR 1 {email} {cookie}")).await;
    assert!(sb.line().await.starts_with("USR 1 OK"));
    sb
}

/// Answers the `RNG` waiting on `ns` with `ANS 1` on a new switchboard connection.
async fn answer(server: &TestServer, ns: &mut Peer, email: &str, name: &'static str) -> Peer {
    let rng = ns.line().await;
    let words: Vec<&str> = rng.split(' ').collect();
    let mut sb = Peer::connect(server.sb(), name).await;
    sb.send(&format!("ANS 1 {email} {} {}", words[4], words[1])).await;
    sb
}

#[tokio::test]
async fn cookies_are_single_use_and_bound_to_their_account() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let mut alice = online(&server, "alice@example.com", "alice").await;
    alice.send("XFR 1 SB").await;
    let cookie = alice.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut thief = Peer::connect(server.sb(), "thief").await;
    thief.send(&format!("USR 1 bob@example.com {cookie}")).await;
    thief.expect("911 1").await;
    thief.expect_closed().await;
    // The failed attempt spent the cookie: single use means single use.
    let mut late = Peer::connect(server.sb(), "late").await;
    late.send(&format!("USR 1 alice@example.com {cookie}")).await;
    late.expect("911 1").await;
    let mut nobody = Peer::connect(server.sb(), "nobody").await;
    nobody.send("USR 1 nobody@example.com 1234").await;
    nobody.expect("911 1").await;
    let mut early = Peer::connect(server.sb(), "early").await;
    early.send("CAL 1 alice@example.com").await;
    early.expect("302 1").await;
    early.send("ANS 2 alice@example.com nothing 5").await;
    early.expect("911 2").await;
    early.expect_closed().await;
}

#[tokio::test]
async fn invitations_respect_privacy_and_limits() {
    let server = TestServer::start_with(|config| config.max_participants = 2).await;
    for email in ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"] {
        server.user(email, "pw", "Someone").await;
    }
    let mut alice = online(&server, "alice@example.com", "alice").await;
    let mut bob = online(&server, "bob@example.com", "bob").await;
    let mut carol = online(&server, "carol@example.com", "carol").await;
    // Carol blocks Alice: Alice's CAL is refused as if Carol were away.
    carol.send("ADD 1 BL alice@example.com Alice").await;
    carol.expect("ADD 1 BL 1 alice@example.com Alice").await;
    let mut sb = open(&server, &mut alice, "alice@example.com", "alice-sb").await;
    sb.send("CAL 2 carol@example.com").await;
    sb.expect("217 2").await;
    sb.send("CAL 3 dave@example.com").await;
    sb.expect("217 3").await;
    sb.send("CAL 4 alice@example.com").await;
    sb.expect("215 4").await;
    sb.send("CAL 5 not-an-email").await;
    sb.expect("208 5").await;
    sb.send("CAL 6 bob@example.com").await;
    assert!(sb.line().await.starts_with("CAL 6 RINGING "));
    let mut bob_sb = answer(&server, &mut bob, "bob@example.com", "bob-sb").await;
    bob_sb.expect("IRO 1 1 1 alice@example.com Someone").await;
    bob_sb.expect("ANS 1 OK").await;
    sb.expect("JOI bob@example.com Someone").await;
    // Two is the configured limit: the switchboard cannot take a third.
    carol.send("REM 7 BL alice@example.com").await;
    carol.expect("REM 7 BL 2 alice@example.com").await;
    sb.send("CAL 8 carol@example.com").await;
    sb.expect("280 8").await;
    // Unknown SB commands get 200; a message without a length is a syntax error.
    sb.send("FOO 9").await;
    sb.expect("200 9").await;
    sb.send("MSG 10 A").await;
    sb.expect("200 10").await;
    // Leaving by closing the socket is a BYE too.
    drop(bob_sb);
    sb.expect("BYE bob@example.com").await;
}

#[tokio::test]
async fn unauthenticated_switchboard_connections_time_out() {
    let server = TestServer::start_with(|config| config.switchboard_login_timeout_secs = 1).await;
    let mut peer = Peer::connect(server.sb(), "silent").await;
    peer.expect_closed().await;
}

/// An account is in at most `max_conversations_per_user` conversations:
/// beyond, XFR, USR and ANS answer 714, and leaving one frees its place.
#[tokio::test]
async fn conversations_per_user_are_limited_with_714() {
    let server = TestServer::start_with(|config| config.max_conversations_per_user = 1).await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let mut alice = online(&server, "alice@example.com", "alice").await;
    let mut bob = online(&server, "bob@example.com", "bob").await;
    alice.send("XFR 1 SB").await;
    let early_cookie = alice.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut first = open(&server, &mut alice, "alice@example.com", "alice-sb").await;
    alice.send("XFR 2 SB").await;
    alice.expect("714 2").await;
    // A cookie taken before the limit was reached does not get around it.
    let mut second = Peer::connect(server.sb(), "alice-sb2").await;
    second.send(&format!("USR 1 alice@example.com {early_cookie}")).await;
    second.expect("714 1").await;
    second.expect_closed().await;
    // Invited while full: Alice's ANS is refused the same way.
    let mut bob_sb = open(&server, &mut bob, "bob@example.com", "bob-sb").await;
    bob_sb.send("CAL 2 alice@example.com").await;
    assert!(bob_sb.line().await.starts_with("CAL 2 RINGING "));
    let ring = alice.line().await;
    let words: Vec<&str> = ring.split(' ').collect();
    assert_eq!(words[0], "RNG", "{ring}");
    let mut answer = Peer::connect(server.sb(), "alice-ans").await;
    answer.send(&format!("ANS 1 alice@example.com {} {}", words[4], words[1])).await;
    answer.expect("714 1").await;
    answer.expect_closed().await;
    // Leaving the first conversation frees the place.
    first.send("OUT").await;
    first.expect_closed().await;
    alice.send("XFR 3 SB").await;
    assert!(alice.line().await.starts_with("XFR 3 SB "));
}

/// The node holds at most `max_conversations` conversations: beyond, XFR SB
/// and a creating USR answer 712 (session overload); an ended one frees room.
#[tokio::test]
async fn conversations_per_node_are_limited_with_712() {
    let server = TestServer::start_with(|config| config.max_conversations = 1).await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let mut alice = online(&server, "alice@example.com", "alice").await;
    let mut bob = online(&server, "bob@example.com", "bob").await;
    bob.send("XFR 1 SB").await;
    let early_cookie = bob.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut first = open(&server, &mut alice, "alice@example.com", "alice-sb").await;
    bob.send("XFR 2 SB").await;
    bob.expect("712 2").await;
    // A cookie taken while there was room does not get around it.
    let mut late = Peer::connect(server.sb(), "bob-sb").await;
    late.send(&format!("USR 1 bob@example.com {early_cookie}")).await;
    late.expect("712 1").await;
    late.expect_closed().await;
    // Joining an existing conversation takes no new one.
    first.send("CAL 2 bob@example.com").await;
    assert!(first.line().await.starts_with("CAL 2 RINGING "));
    let ring = bob.line().await;
    let words: Vec<&str> = ring.split(' ').collect();
    let mut answer = Peer::connect(server.sb(), "bob-ans").await;
    answer.send(&format!("ANS 1 bob@example.com {} {}", words[4], words[1])).await;
    assert!(answer.line().await.starts_with("IRO 1 1 1 alice@example.com"));
    answer.expect("ANS 1 OK").await;
    first.expect("JOI bob@example.com Bob").await;
    first.send("OUT").await;
    first.expect_closed().await;
    answer.expect("BYE alice@example.com").await;
    answer.send("OUT").await;
    answer.expect_closed().await;
    bob.send("XFR 3 SB").await;
    assert!(bob.line().await.starts_with("XFR 3 SB "));
}

/// Messages that arrive in one read are relayed together: every one reaches
/// the other side in order, each is answered in order, and a bad one in the
/// middle is refused in its place without holding back those around it.
#[tokio::test]
async fn a_run_of_messages_is_relayed_and_answered_in_order() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let mut alice = online(&server, "alice@example.com", "alice").await;
    let mut bob = online(&server, "bob@example.com", "bob").await;
    let mut alice_sb = open(&server, &mut alice, "alice@example.com", "alice-sb").await;
    alice_sb.send("CAL 2 bob@example.com").await;
    assert!(alice_sb.line().await.starts_with("CAL 2 RINGING "));
    let mut bob_sb = answer(&server, &mut bob, "bob@example.com", "bob-sb").await;
    bob_sb.expect("IRO 1 1 1 alice@example.com Alice").await;
    bob_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI bob@example.com Bob").await;

    let text = |n: u32| format!("MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nmessage {n}");
    let mut run = Vec::new();
    for trid in 10..20u32 {
        let (kind, body) = match trid {
            14 => ("Z", "x".to_owned()),
            16 => ("U", text(trid)),
            _ => ("A", text(trid)),
        };
        run.extend_from_slice(format!("MSG {trid} {kind} {}\r\n{body}", body.len()).as_bytes());
    }
    alice_sb.send_raw(&run).await;
    for trid in 10..20u32 {
        match trid {
            14 => alice_sb.expect("201 14").await,
            16 => {}
            _ => alice_sb.expect(&format!("ACK {trid}")).await,
        }
    }
    for trid in (10..20u32).filter(|trid| *trid != 14) {
        let body = text(trid);
        bob_sb.expect_payload(&format!("MSG alice@example.com Alice {}", body.len()), &body).await;
    }
    alice_sb.expect_silence().await;
    bob_sb.expect_silence().await;
}

/// Alice and Bob in a conversation, Carol signed in: their Notification
/// Server connections stay open as long as this does.
struct Talking {
    ns: (Peer, Peer),
    alice_sb: Peer,
    bob_sb: Peer,
    carol: Peer,
}

async fn alice_and_bob_talking(server: &TestServer) -> Talking {
    for (email, name) in [("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol")] {
        server.user(&format!("{email}@example.com"), "pw", name).await;
    }
    let mut alice = online(server, "alice@example.com", "alice").await;
    let mut bob = online(server, "bob@example.com", "bob").await;
    let carol = online(server, "carol@example.com", "carol").await;
    let mut alice_sb = open(server, &mut alice, "alice@example.com", "alice-sb").await;
    alice_sb.send("CAL 2 bob@example.com").await;
    assert!(alice_sb.line().await.starts_with("CAL 2 RINGING "));
    let mut bob_sb = answer(server, &mut bob, "bob@example.com", "bob-sb").await;
    bob_sb.expect("IRO 1 1 1 alice@example.com Alice").await;
    bob_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI bob@example.com Bob").await;
    Talking { ns: (alice, bob), alice_sb, bob_sb, carol }
}

/// Alice calls Carol in (`CAL trid`); Carol's switchboard connection, past `ANS OK`.
async fn carol_joins(server: &TestServer, alice_sb: &mut Peer, carol: &mut Peer, trid: u32) -> Peer {
    alice_sb.send(&format!("CAL {trid} carol@example.com")).await;
    assert!(alice_sb.line().await.starts_with(&format!("CAL {trid} RINGING ")));
    let mut carol_sb = answer(server, carol, "carol@example.com", "carol-sb").await;
    carol_sb.expect("IRO 1 1 2 alice@example.com Alice").await;
    carol_sb.expect("IRO 1 2 2 bob@example.com Bob").await;
    carol_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI carol@example.com Carol").await;
    carol_sb
}

/// `MIME` text of `n` padded to `size` bytes, told apart by its number.
fn numbered(n: u32, size: usize) -> String {
    let mut text = format!("MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nmessage {n} ");
    while text.len() < size {
        text.push(char::from(b'a' + (text.len() % 26) as u8));
    }
    text
}

/// A participant that stops reading gets every message whole and in order
/// once it reads again, with the roster change that came between them in
/// its place: what could not be written into its socket at once waits, and
/// nothing written later passes it.
#[tokio::test]
async fn a_participant_that_reads_late_gets_everything_in_order() {
    let server = TestServer::start_with(|config| config.max_message = 60_000).await;
    let Talking { ns: _ns, mut alice_sb, mut bob_sb, mut carol } = alice_and_bob_talking(&server).await;

    // Bob reads nothing now: 7.5 MB is more than his socket and the
    // server's side of it hold.
    const BIG: u32 = 150;
    for n in 1..=BIG {
        alice_sb.send_payload("MSG 3 U", numbered(n, 50_000).as_bytes()).await;
    }
    alice_sb.send_payload("MSG 4 A", numbered(0, 100).as_bytes()).await;
    alice_sb.expect("ACK 4").await;
    let mut carol_sb = carol_joins(&server, &mut alice_sb, &mut carol, 5).await;
    for n in BIG + 1..=BIG + 10 {
        alice_sb.send_payload("MSG 6 U", numbered(n, 200).as_bytes()).await;
    }
    for n in BIG + 1..=BIG + 10 {
        let body = numbered(n, 200);
        carol_sb.expect_payload(&format!("MSG alice@example.com Alice {}", body.len()), &body).await;
    }

    for n in 1..=BIG {
        let body = numbered(n, 50_000);
        bob_sb.expect_payload(&format!("MSG alice@example.com Alice {}", body.len()), &body).await;
    }
    let body = numbered(0, 100);
    bob_sb.expect_payload(&format!("MSG alice@example.com Alice {}", body.len()), &body).await;
    bob_sb.expect("JOI carol@example.com Carol").await;
    for n in BIG + 1..=BIG + 10 {
        let body = numbered(n, 200);
        bob_sb.expect_payload(&format!("MSG alice@example.com Alice {}", body.len()), &body).await;
    }
    bob_sb.expect_silence().await;
    carol_sb.expect_silence().await;
}

/// Two participants write to a third at once, on a server with two worker
/// threads: each one's messages arrive whole and in the order sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_two_senders_at_once_arrive_whole_and_in_order() {
    let server = TestServer::start_with(|config| config.max_message = 60_000).await;
    let Talking { ns: _ns, mut alice_sb, mut bob_sb, mut carol } = alice_and_bob_talking(&server).await;
    let carol_sb = carol_joins(&server, &mut alice_sb, &mut carol, 3).await;
    bob_sb.expect("JOI carol@example.com Carol").await;

    const EACH: u32 = 400;
    // Sizes that vary, so that writes are cut at every kind of place.
    let size = |n: u32| 100 + (n as usize * 7919) % 30_000;
    let mut senders = Vec::new();
    for (peer, from) in [(alice_sb, 0), (carol_sb, 10_000)] {
        // Each sender reads the other's messages while it writes its own.
        let (frames, mut write) = peer.split(EACH as usize);
        let sent = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for n in from..from + EACH {
                let body = numbered(n, size(n));
                let mut bytes = format!("MSG 4 U {}\r\n", body.len()).into_bytes();
                bytes.extend_from_slice(body.as_bytes());
                write.write_all(&bytes).await.expect("send");
            }
            write
        });
        senders.push((frames, sent, from));
    }
    let (mut from_alice, mut from_carol) = (0, 10_000);
    for _ in 0..2 * EACH {
        let frame = bob_sb.frame().await;
        let (email, next) = match frame.params.first() {
            Some("alice@example.com") => ("alice@example.com", &mut from_alice),
            Some("carol@example.com") => ("carol@example.com", &mut from_carol),
            _ => panic!("bob-sb: unexpected {frame}"),
        };
        assert_eq!(frame.command, "MSG", "{frame}");
        let body = numbered(*next, size(*next));
        assert_eq!(frame.payload.as_deref(), Some(body.as_bytes()), "{email}'s message {next}");
        *next += 1;
    }
    // Each also got the other's messages, in order.
    for (frames, sent, from) in senders {
        let other = if from == 0 { 10_000 } else { 0 };
        let frames = frames.await.expect("reads");
        for (n, frame) in (other..other + EACH).zip(&frames) {
            assert_eq!(frame.payload.as_deref(), Some(numbered(n, size(n)).as_bytes()), "{frame}");
        }
        drop(sent.await.expect("sends"));
    }
    // Nothing else came: next are the senders leaving as their connections close.
    bob_sb.expect("BYE alice@example.com").await;
    bob_sb.expect("BYE carol@example.com").await;
}
