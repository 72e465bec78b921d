//! Connections one node passes on to another (a browser's `/ws/sb?address=`,
//! a gateway session opened for another node's server) are counted by that
//! node under the client's address, not the passing node's: a stranger on
//! node A fills only their own allowance on node B, and everyone else on A
//! still reaches B's switchboard. A `PXY` line not made by a node of the
//! service is answered as any unknown command.
//!
//! Needs `nats-server` on the PATH (see `cluster.rs`).

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::nodes::Cluster;
use common::{Peer, connect_from, http_request_from};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// What a node allows one address that has not signed in, here.
const ALLOWANCE: usize = 8;

fn address(ip: &str) -> IpAddr {
    ip.parse().expect("an address")
}

/// A browser at `source` opening a switchboard socket on `http` for the
/// switchboard at `sb` (another node's).
async fn browser(source: IpAddr, http: SocketAddr, sb: SocketAddr) -> Socket {
    let stream = connect_from(source, http).await;
    let url = format!("ws://{http}/ws/sb?address={sb}");
    let (socket, response) = tokio_tungstenite::client_async(url, stream).await.expect("websocket");
    assert_eq!(response.status(), 101);
    socket
}

/// Sends a `USR` with a made-up cookie; the answer (`911 1` from a
/// switchboard that took the connection), or `None` once it is closed.
async fn try_switchboard(socket: &mut Socket) -> Option<String> {
    if socket.send(Message::text("USR 1 bob@example.com 12345.67890\r\n")).await.is_err() {
        return None;
    }
    loop {
        match tokio::time::timeout(common::PATIENCE, socket.next()).await.expect("an answer or a close") {
            Some(Ok(Message::Binary(bytes))) => return Some(String::from_utf8_lossy(&bytes).into_owned()),
            Some(Ok(Message::Text(text))) => return Some(text.as_str().to_owned()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_on_one_node_cannot_keep_others_out_of_another() {
    let allowance = ALLOWANCE.to_string();
    let Some(cluster) = Cluster::start_with(&[("MSNPD_MAX_PENDING_PER_ADDRESS", &allowance)]).await else {
        return;
    };
    let [a, b, _] = &cluster.nodes[..] else { panic!("three nodes") };

    // A stranger at 127.0.0.5 opens half again its allowance of sockets on A for B's switchboard.
    let stranger = address("127.0.0.5");
    let mut sockets = Vec::new();
    for _ in 0..ALLOWANCE + ALLOWANCE / 2 {
        sockets.push(browser(stranger, a.http, b.sb).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Someone else on A (127.0.0.6) still reaches B's switchboard, by WebSocket and by the gateway.
    let mut other = browser(address("127.0.0.6"), a.http, b.sb).await;
    assert_eq!(try_switchboard(&mut other).await.as_deref(), Some("911 1\r\n"));
    let response = http_request_from(
        Some(address("127.0.0.6")),
        a.http,
        "POST",
        &format!("/gateway/gateway.dll?Action=open&Server=SB&IP={}", b.sb),
        &[("Content-Type", "application/x-msn-messenger")],
        b"USR 1 bob@example.com 12345.67890\r\n",
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "911 1\r\n");

    // B took as many of the stranger's as it allows one address, and no more.
    let mut answered = 0;
    for socket in &mut sockets {
        if let Some(answer) = try_switchboard(socket).await {
            assert_eq!(answer, "911 1\r\n");
            answered += 1;
        }
    }
    assert_eq!(answered, ALLOWANCE, "the stranger's sockets B took");

    // A `PXY` from anyone but a node is an unknown command, and names no one.
    let mut forger = Peer::connect(b.sb, "forger").await;
    forger.send("PXY 0 bm90LWEtdG9rZW4").await;
    forger.expect("200 0").await;
    for (command, name) in [("PXY", "forger-ns"), ("ZZZ", "unknown-ns")] {
        // Before `VER` the Notification Server answers anything else with 715.
        let mut peer = Peer::connect(b.notification, name).await;
        peer.send(&format!("{command} 0 bm90LWEtdG9rZW4")).await;
        peer.expect("715 0").await;
    }
}
