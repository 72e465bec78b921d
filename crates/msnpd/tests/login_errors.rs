//! Every way a Notification Server login can go wrong gets its seed code (or a
//! documented close), over a real socket.

mod common;

use common::{Peer, TestServer, sign_in};

async fn negotiated(server: &TestServer, name: &'static str) -> Peer {
    let mut peer = Peer::connect(server.ns(), name).await;
    peer.send("VER 1 MSNP11 CVR0").await;
    peer.expect("VER 1 MSNP11").await;
    peer
}

#[tokio::test]
async fn version_negotiation() {
    let server = TestServer::start().await;
    let mut peer = Peer::connect(server.ns(), "new").await;
    peer.send("VER 1 MSNP22 MSNP1 CVR0").await;
    peer.expect("VER 1 0").await;
    peer.expect_closed().await;
    let mut peer = Peer::connect(server.ns(), "junk").await;
    peer.send("VER 1 HELLO").await;
    peer.expect("VER 1 0").await;
    peer.expect_closed().await;
    let mut peer = Peer::connect(server.ns(), "mixed").await;
    peer.send("VER 7 MSNP22 MSNP9 MSNP8 CVR0").await;
    peer.expect("VER 7 MSNP9").await;
    peer.send("VER 8 MSNP9").await;
    peer.expect("715 8").await;
}

#[tokio::test]
async fn out_of_order_and_malformed_login_commands() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    let mut peer = Peer::connect(server.ns(), "early").await;
    peer.send("USR 1 TWN I alice@example.com").await;
    peer.expect("715 1").await;
    peer.send("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0777 msmsgs alice@example.com").await;
    peer.expect("715 2").await;
    peer.send("SYN 3 0 0").await;
    peer.expect("715 3").await;

    let mut peer = negotiated(&server, "no-cvr").await;
    peer.send("USR 2 TWN I alice@example.com").await;
    peer.expect("715 2").await;
    peer.send("CVR 3 0x0409 winnt").await;
    peer.expect("201 3").await;
    peer.send("CVR 4 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0777 msmsgs alice@example.com").await;
    assert!(peer.line().await.starts_with("CVR 4 7.0.0777 "));
    peer.send("SYN 5 0 0").await;
    peer.expect("302 5").await;
    peer.send("CHG 6 NLN 0").await;
    peer.expect("302 6").await;
    peer.send("USR 7 TWN S t=whatever&p=").await;
    peer.expect("715 7").await;
    peer.send("USR 8 MD5 I alice@example.com").await;
    peer.expect("201 8").await;
    peer.send("USR 9 TWN I not-an-email").await;
    peer.expect("201 9").await;
    peer.send("USR 10 TWN").await;
    peer.expect("201 10").await;
    peer.send("NOPE 11").await;
    peer.expect("200 11").await;
    peer.send("USR").await;
    peer.expect("200 0").await;
    peer.send("USR x TWN I alice@example.com").await;
    peer.expect("200 0").await;
}

#[tokio::test]
async fn bad_tickets_are_refused_with_911_and_a_close() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    for ticket in ["t=bogusbogusbogusbogus&p=", "", "t=&p="] {
        let mut peer = negotiated(&server, "bogus").await;
        peer.send("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0777 msmsgs alice@example.com").await;
        peer.line().await;
        peer.send("USR 3 TWN I alice@example.com").await;
        peer.line().await;
        if ticket.is_empty() {
            peer.send("USR 4 TWN S").await;
            peer.expect("201 4").await;
            continue;
        }
        peer.send(&format!("USR 4 TWN S {ticket}")).await;
        peer.expect("911 4").await;
        peer.expect_closed().await;
    }
    // Bob's valid ticket does not sign Alice in.
    let bobs = server.ticket("bob@example.com", "bob-pw").await;
    let mut peer = negotiated(&server, "stolen").await;
    peer.send("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0777 msmsgs alice@example.com").await;
    peer.line().await;
    peer.send("USR 3 TWN I alice@example.com").await;
    peer.line().await;
    peer.send(&format!("USR 4 TWN S {bobs}")).await;
    peer.expect("911 4").await;
    peer.expect_closed().await;
}

#[tokio::test]
async fn limits_close_the_connection() {
    let server = TestServer::start().await;
    let mut peer = Peer::connect(server.ns(), "long").await;
    peer.send_raw(&vec![b'A'; 2000]).await;
    peer.expect_closed().await;
    let mut peer = negotiated(&server, "payload").await;
    peer.send("QRY 2 PROD0090YUAUV{2B 9999999").await;
    peer.expect("201 2").await;
    peer.expect_closed().await;
    let mut peer = Peer::connect(server.ns(), "utf8").await;
    peer.send_raw(b"VER 1 MSNP8 \xff\r\n").await;
    peer.expect("201 1").await;
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let server = TestServer::start_with(|config| config.idle_timeout_secs = 1).await;
    let mut peer = negotiated(&server, "idle").await;
    peer.expect_closed().await;
}

#[tokio::test]
async fn hidden_users_look_offline_and_cannot_open_conversations() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    let mut alice = sign_in(&server, "MSNP8", "alice@example.com", "alice-pw", "alice").await;
    let mut bob = sign_in(&server, "MSNP8", "bob@example.com", "bob-pw", "bob").await;
    bob.send("ADD 1 FL alice@example.com Alice").await;
    bob.expect("ADD 1 FL 1 alice@example.com Alice").await;
    alice.expect("ADD 0 RL 1 bob@example.com Bob").await;
    bob.send("CHG 2 NLN 0").await;
    bob.expect("CHG 2 NLN 0").await;
    assert!(bob.line().await.starts_with("CHL 0 "));
    alice.send("CHG 2 HDN 0").await;
    alice.expect("CHG 2 HDN 0").await;
    assert!(alice.line().await.starts_with("CHL 0 "));
    bob.expect_silence().await;
    alice.send("XFR 3 SB").await;
    alice.expect("913 3").await;
    alice.send("CHG 4 NLN 0").await;
    alice.expect("CHG 4 NLN 0").await;
    bob.expect("NLN NLN alice@example.com Alice 0").await;
    alice.send("CHG 5 HDN 0").await;
    alice.expect("CHG 5 HDN 0").await;
    bob.expect("FLN alice@example.com").await;
    // Bob cannot reach a hidden Alice; a hidden Alice cannot call out.
    bob.send("XFR 3 SB").await;
    let cookie = bob.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut sb = Peer::connect(server.sb(), "bob-sb").await;
    sb.send(&format!("USR 1 bob@example.com {cookie}")).await;
    sb.expect("USR 1 OK bob@example.com Bob").await;
    sb.send("CAL 2 alice@example.com").await;
    sb.expect("217 2").await;
    alice.send("CHG 6 NLN 0").await;
    alice.expect("CHG 6 NLN 0").await;
    bob.expect("NLN NLN alice@example.com Alice 0").await;
    alice.send("XFR 7 SB").await;
    let cookie = alice.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut alice_sb = Peer::connect(server.sb(), "alice-sb").await;
    alice_sb.send(&format!("USR 1 alice@example.com {cookie}")).await;
    alice_sb.expect("USR 1 OK alice@example.com Alice").await;
    alice.send("CHG 8 HDN 0").await;
    alice.expect("CHG 8 HDN 0").await;
    bob.expect("FLN alice@example.com").await;
    alice_sb.send("CAL 2 bob@example.com").await;
    alice_sb.expect("913 2").await;
}

#[tokio::test]
async fn a_dropped_connection_is_a_sign_out() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    let mut alice = sign_in(&server, "MSNP11", "alice@example.com", "alice-pw", "alice").await;
    let mut bob = sign_in(&server, "MSNP11", "bob@example.com", "bob-pw", "bob").await;
    bob.send("ADC 1 FL N=alice@example.com F=Alice").await;
    assert!(bob.line().await.starts_with("ADC 1 FL N=alice@example.com F=Alice C="));
    alice.expect("ADC 0 RL N=bob@example.com F=Bob").await;
    bob.send("CHG 2 NLN 0").await;
    bob.expect("CHG 2 NLN 0").await;
    bob.frame().await; // Mail-Data
    bob.frame().await; // CHL
    alice.send("CHG 2 NLN 0").await;
    alice.expect("CHG 2 NLN 0").await;
    bob.expect("NLN NLN alice@example.com Alice 0 0").await;
    // msnp11-sdk may just close the socket: contacts see the user leave.
    drop(alice);
    bob.expect("FLN alice@example.com").await;
}

#[tokio::test]
async fn shutdown_says_out_ssd_and_refuses_new_logins_with_604() {
    let mut server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    let mut alice = sign_in(&server, "MSNP11", "alice@example.com", "alice-pw", "alice").await;
    let mut late = negotiated(&server, "late").await;
    late.send("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0777 msmsgs alice@example.com").await;
    late.line().await;
    let running = server.server.take().expect("running");
    let stopping = tokio::spawn(running.shutdown());
    alice.expect("OUT SSD").await;
    alice.expect_closed().await;
    late.send("USR 3 TWN I alice@example.com").await;
    late.expect("604 3").await;
    late.expect_closed().await;
    tokio::time::timeout(std::time::Duration::from_secs(10), stopping).await.expect("bounded").expect("shut down");
}

#[tokio::test]
async fn a_command_trickled_byte_by_byte_is_cut_off() {
    let server = TestServer::start_with(|config| config.command_timeout_secs = 1).await;
    let mut peer = Peer::connect(server.ns(), "slowloris").await;
    let started = std::time::Instant::now();
    for byte in b"VER 1 MSNP8 MSNP9".iter() {
        if !peer.try_send_raw(&[*byte]).await {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    peer.expect_closed().await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

/// A connection that never signs in is closed at the login deadline, however
/// busy it keeps itself meanwhile: on the Notification Server, the well-known
/// port and the switchboard alike.
#[tokio::test]
async fn the_login_deadline_holds_whatever_is_sent_meanwhile() {
    let server = TestServer::start_with(|config| {
        config.ns_login_timeout_secs = 1;
        config.switchboard_login_timeout_secs = 1;
    })
    .await;
    for (address, name) in [(server.ns(), "ns"), (server.dispatch(), "dispatch"), (server.sb(), "sb")] {
        let mut peer = Peer::connect(address, name).await;
        let started = std::time::Instant::now();
        let mut closed = false;
        for _ in 0..40 {
            if !peer.try_send_raw(b"PNG\r\n\r\n").await {
                closed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        if !closed {
            peer.expect_closed().await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed < std::time::Duration::from_secs(3), "{name}: still open after {elapsed:?}");
    }
}
