//! Configured list limits answer with their seed codes.

mod common;

use common::{Peer, TestServer, sign_in};

#[tokio::test]
async fn full_lists_and_too_many_groups() {
    let server = TestServer::start_with(|config| {
        config.max_list_entries = 1;
        config.max_groups = 2;
    })
    .await;
    for email in ["alice@example.com", "bob@example.com", "carol@example.com"] {
        server.user(email, "pw", "Someone").await;
    }
    let mut alice = sign_in(&server, "MSNP8", "alice@example.com", "pw", "alice").await;
    alice.send("ADD 1 FL bob@example.com Bob").await;
    alice.expect("ADD 1 FL 1 bob@example.com Bob").await;
    alice.send("ADD 2 FL carol@example.com Carol").await;
    alice.expect("210 2").await;
    // Each list has its own limit.
    alice.send("ADD 3 AL carol@example.com Carol").await;
    alice.expect("ADD 3 AL 2 carol@example.com Carol").await;
    // Group 0 counts: one more group fits, a second does not.
    alice.send("ADG 4 One 0").await;
    alice.expect("ADG 4 3 One 1 0").await;
    alice.send("ADG 5 Two 0").await;
    alice.expect("223 5").await;
    // A challenge answer nobody asked for is out of order.
    alice.send_payload("QRY 6 msmsgs@msnmsgr.com", b"0123456789abcdef0123456789abcdef").await;
    alice.expect("715 6").await;
}

/// Adding yourself is answered (and you appear on your own reverse list), and
/// the server keeps serving: it once held the same account's lock twice.
#[tokio::test]
async fn adding_yourself_is_answered_and_nothing_hangs() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    let mut alice = sign_in(&server, "MSNP12", "alice@example.com", "pw", "alice").await;
    alice.send("ADC 1 FL N=alice@example.com F=alice@example.com").await;
    let added = alice.line().await;
    assert!(added.starts_with("ADC 1 FL N=alice@example.com F=alice@example.com C="), "{added}");
    alice.expect("ADC 0 RL N=alice@example.com F=Alice").await;
    alice.send("PNG").await;
    alice.expect("QNG 60").await;
    // Another login still works.
    let _again = sign_in(&server, "MSNP12", "alice@example.com", "pw", "alice-2").await;
}

/// Two users adding each other at the same moment, many times over: each
/// change takes both accounts' state, and neither may wait on the other.
#[tokio::test]
async fn mutual_adds_at_once_do_not_deadlock() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let alice = sign_in(&server, "MSNP12", "alice@example.com", "pw", "alice").await;
    let bob = sign_in(&server, "MSNP12", "bob@example.com", "pw", "bob").await;
    let churn = |mut peer: Peer, other: &'static str| async move {
        for round in 0..30u32 {
            let trid = round * 2 + 1;
            peer.send(&format!("ADC {trid} FL N={other} F={other}")).await;
            peer.send(&format!("REM {} FL {other}", trid + 1)).await;
        }
        // Every command answered (done or refused), notices from the other side in between.
        let mut answered = 0;
        while answered < 60 {
            let frame = peer.frame().await;
            let reply = matches!(frame.command.as_str(), "ADC" | "REM") || frame.error_code().is_some();
            let trid = frame.params.first().and_then(|t| t.parse::<u32>().ok()).unwrap_or(0);
            if reply && (1..=60).contains(&trid) {
                answered += 1;
            }
        }
        peer
    };
    let both = tokio::join!(churn(alice, "bob@example.com"), churn(bob, "alice@example.com"));
    let (mut alice, _bob) = both;
    alice.send("PNG").await;
    loop {
        if alice.line().await == "QNG 60" {
            break;
        }
    }
}
