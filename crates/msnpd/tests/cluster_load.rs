//! The cluster under load and faults: a bus flooded with messages, and
//! nodes busy handling them, must not take one another for dead while they
//! run; a node that dies gets no client sent to it a second time.
//!
//! Needs `nats-server` on the PATH (see `cluster.rs`).

mod common;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::Peer;
use common::nodes::{Cluster, DEAD_AFTER_MS, sign_in};

/// Sign-outs from a node that does not exist, for accounts no one holds:
/// each node reads and handles every one, and nothing else changes.
fn flood_message(account: u64) -> bytes::Bytes {
    format!(r#"{{"from":1,"message":{{"SignedOut":{{"node":1,"account":{account}}}}}}}"#).into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooded_bus_declares_no_live_node_dead() {
    let Some(cluster) = Cluster::start().await else { return };
    let client = async_nats::connect(cluster.nats.url.as_str()).await.expect("nats");
    // Several death bounds long, as fast as this machine can send.
    let flooding = Duration::from_millis(4 * DEAD_AFTER_MS);
    let started = Instant::now();
    let mut sent: u64 = 0;
    while started.elapsed() < flooding {
        for _ in 0..1000 {
            sent += 1;
            client.publish("msnpd.all", flood_message(sent)).await.expect("published");
        }
        client.flush().await.expect("flushed");
    }
    // What is still queued is handled, then a little longer.
    tokio::time::sleep(Duration::from_millis(2 * DEAD_AFTER_MS)).await;
    let declared: Vec<usize> = cluster.nodes.iter().map(|node| node.declared_dead.load(Ordering::Relaxed)).collect();
    eprintln!("{sent} messages in {flooding:?}; nodes declared dead: {declared:?}");
    assert!(sent > 100_000, "the flood was too thin to show anything: {sent}");
    assert_eq!(declared, vec![0, 0, 0], "a node took a live one for dead");
}

/// Where the dispatch port at `dispatch` sends `email` (MSNP8, `XFR … NS`).
async fn referral(dispatch: SocketAddr, email: &str) -> SocketAddr {
    let mut peer = Peer::connect(dispatch, "dispatch").await;
    peer.send("VER 1 MSNP8 CVR0").await;
    peer.expect("VER 1 MSNP8").await;
    peer.send(&format!("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0.0602 MSMSGS {email}")).await;
    peer.line().await;
    peer.send(&format!("USR 3 TWN I {email}")).await;
    let xfr = peer.line().await;
    let address = xfr.strip_prefix("XFR 3 NS ").and_then(|rest| rest.split(' ').next());
    address.unwrap_or_else(|| panic!("{xfr}")).parse().expect("an address")
}

/// Bob is on B when B dies. Sent back to B at once (B is his node, and not
/// yet missed), he cannot connect and asks dispatch again: the second
/// answer is a live node, where he signs in. No one else is sent to B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_node_gets_a_client_once_at_most() {
    let Some(mut cluster) = Cluster::start().await else { return };
    let (a_dispatch, b_notification) = (cluster.nodes[0].dispatch, cluster.nodes[1].notification);
    let bob = sign_in(&cluster.nodes[1], b_notification, "bob@example.com", "bob", &EMPTY, &[]).await;
    cluster.nodes[1].kill();
    drop(bob);

    let mut referred_to_b = 0;
    for attempt in 0..3 {
        let address = referral(a_dispatch, "bob@example.com").await;
        if address == b_notification {
            referred_to_b += 1;
            assert!(tokio::net::TcpStream::connect(address).await.is_err(), "B is dead");
            continue;
        }
        assert!(attempt <= 1, "signed in on attempt {attempt}");
        let node = cluster.nodes.iter().find(|n| n.notification == address).expect("a node");
        drop(sign_in(node, address, "bob@example.com", "bob-again", &EMPTY, &[]).await);
        break;
    }
    assert!(referred_to_b <= 1, "sent to the dead node {referred_to_b} times");
    // Others are not sent there either, while B is not yet taken for dead.
    for email in ["alice@example.com", "carol@example.com"] {
        assert_ne!(referral(a_dispatch, email).await, b_notification, "{email} sent to the dead node");
    }
}

const EMPTY: [&str; 4] = ["SYN 5 0 0 1", "GTC A", "BLP AL", "LSG 0 Other%20Contacts 0"];

/// Bob (on B) changes his status while the bus is down. Alice (on A) sees
/// him go offline when B is taken for dead; when the bus is back she sees
/// his latest status, and none of the changes from before B was missed,
/// though B's queue still held them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_bus_outage_watchers_see_the_latest_status_only() {
    let Some(mut cluster) = Cluster::start().await else { return };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let mut alice = sign_in(a, a.notification, "alice@example.com", "alice", &EMPTY, &[]).await;
    let mut bob = sign_in(b, b.notification, "bob@example.com", "bob", &EMPTY, &[]).await;
    alice.send("ADD 8 FL bob@example.com Bob").await;
    alice.expect("ADD 8 FL 1 bob@example.com Bob").await;
    alice.expect("ILN 8 NLN bob@example.com Bob 0").await;
    bob.expect("ADD 0 RL 1 alice@example.com Alice").await;

    cluster.nats.stop();
    for (trid, status) in [(20, "LUN"), (21, "IDL"), (22, "BSY")] {
        bob.send(&format!("CHG {trid} {status} 0")).await;
        bob.expect(&format!("CHG {trid} {status} 0")).await;
    }
    alice.expect("FLN bob@example.com").await;
    bob.send("CHG 23 AWY 0").await;
    bob.expect("CHG 23 AWY 0").await;
    cluster.nats.restart();

    // Everything Alice hears of Bob until things settle.
    let mut heard = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut settled = None;
    while Instant::now() < deadline && settled.is_none_or(|at: Instant| at.elapsed() < Duration::from_secs(2)) {
        if let Some(frame) = alice.try_frame_quietly().await {
            heard.push(frame.to_string());
            settled = Some(Instant::now());
        }
    }
    assert!(!heard.is_empty(), "bob never came back for alice");
    let latest = "NLN AWY bob@example.com Bob 0";
    assert!(heard.iter().all(|line| line == latest), "alice heard {heard:?}");
}
