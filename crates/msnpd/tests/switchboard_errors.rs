//! Switchboard failures: cookies, invitations, limits.

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
