//! Connections that have not signed in are bounded per client address and in
//! all, whatever door they use: the Notification Server, the well-known
//! port, the switchboard, or sessions of the HTTP gateway.

mod common;

use std::time::Duration;

use common::{Peer, TestServer, http_request, sign_in};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Whether the server closes this fresh connection without a word.
async fn refused(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(tokio::time::timeout(Duration::from_secs(2), stream.read(&mut byte)).await, Ok(Ok(0)))
}

async fn gateway_open(server: &TestServer) -> u16 {
    http_request(server.http(), "POST", "/gateway/gateway.dll?Action=open&Server=NS&IP=127.0.0.1", &[], b"")
        .await
        .status
}

#[tokio::test]
async fn unauthenticated_connections_are_bounded_per_address_whatever_the_door() {
    let server = TestServer::start_with(|config| config.max_pending_per_address = 4).await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    // Four held open, not signed in, through four doors.
    let _ns = TcpStream::connect(server.ns()).await.expect("ns");
    let _dispatch = TcpStream::connect(server.dispatch()).await.expect("dispatch");
    let _sb = TcpStream::connect(server.sb()).await.expect("sb");
    assert_eq!(gateway_open(&server).await, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A fifth is refused at every door.
    for address in [server.ns(), server.dispatch(), server.sb()] {
        let mut extra = TcpStream::connect(address).await.expect("connect");
        assert!(refused(&mut extra).await, "{address} took a fifth");
    }
    assert_eq!(gateway_open(&server).await, 503);
    // A connection that signs in no longer counts: the place it held is free.
    drop(_ns);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut alice = sign_in(&server, "MSNP8", "alice@example.com", "alice-pw", "alice").await;
    let mut another = Peer::connect(server.ns(), "another").await;
    another.send("VER 1 MSNP8").await;
    another.expect("VER 1 MSNP8").await;
    alice.send("PNG").await;
    alice.expect("QNG").await;
}

#[tokio::test]
async fn unauthenticated_connections_are_bounded_in_all() {
    let server = TestServer::start_with(|config| config.max_pending = 3).await;
    let _held: Vec<TcpStream> = {
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(TcpStream::connect(server.ns()).await.expect("ns"));
        }
        held
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(server.ns()).await.expect("connect");
    assert!(refused(&mut extra).await);
}
