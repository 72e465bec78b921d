//! What strangers may cost the server's memory, measured on the server
//! process: a WebSocket frame whose header announces more than any MSNP
//! message may hold is refused at its header; a burst of password checks
//! holds no more than the hashing threads' memory, and keeps nothing more.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::nodes::Node;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sockets at once, and what each announces and then sends.
const SOCKETS: usize = 10;
const ANNOUNCED: u64 = 16 * 1024 * 1024;
const SENT: usize = 15 * 1024 * 1024;

/// A WebSocket to `/ws/ns` over a bare socket (the frames are written by hand).
async fn upgraded(http: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(http).await.expect("connects");
    let request = format!(
        "GET /ws/ns HTTP/1.1\r\nHost: {http}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("request sent");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(common::PATIENCE, stream.read(&mut byte)).await.expect("an answer").expect("read");
        assert_eq!(n, 1, "closed during the upgrade");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    stream
}

/// Announces a binary frame of `ANNOUNCED` bytes and sends up to `SENT` of
/// them, in pieces, until the server stops taking them. The socket is kept
/// open: the memory is measured while every sender still waits.
async fn flood(http: SocketAddr) -> (TcpStream, usize) {
    let mut stream = upgraded(http).await;
    let mut header = vec![0x82, 0x80 | 127];
    header.extend_from_slice(&ANNOUNCED.to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    stream.write_all(&header).await.expect("header sent");
    let piece = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < SENT {
        match tokio::time::timeout(Duration::from_secs(2), stream.write_all(&piece)).await {
            Ok(Ok(())) => sent += piece.len(),
            // Closed by the server, or no longer read: either way it stopped taking bytes.
            _ => break,
        }
    }
    (stream, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_announced_beyond_the_message_limit_is_refused_at_its_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("msnpd.db").display());
    let node = Node::start_with("127.0.0.1", &database, None, &[]);
    // A first socket warms the HTTP side up, so what follows is the frames' cost.
    drop(upgraded(node.http).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = node.rss_kib();

    let floods: Vec<_> = (0..SOCKETS).map(|_| tokio::spawn(flood(node.http))).collect();
    let mut held = Vec::new();
    for flood in floods {
        held.push(flood.await.expect("flood ran"));
    }
    // Whatever the server took in has been read by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let grown = node.rss_kib().saturating_sub(before);

    // Without a frame cap the server holds what it read of every frame: ~150 MiB here.
    assert!(grown < 24 * 1024, "RSS grew by {grown} KiB for {SOCKETS} refused frames");

    // And each socket was closed: its header was enough to refuse the frame.
    for (stream, sent) in &mut held {
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(common::PATIENCE, stream.read_to_end(&mut rest)).await;
        assert!(matches!(closed, Ok(Ok(_)) | Ok(Err(_))), "still open after {sent} bytes");
    }
}

/// Argon2 memory per hash at the default parameters (19 MiB), in KiB.
const HASH_KIB: u64 = 19 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_password_checks_keeps_no_more_than_the_hashing_threads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("msnpd.db").display());
    // The default Argon2 parameters; failures allowed enough not to stop the burst.
    let node = Node::start_with("127.0.0.1", &database, None, &[("MSNPD_LOGIN_FAILURES_PER_ADDRESS", "1000")]);
    let login = |n: usize| {
        let http = node.http;
        async move {
            let authorization = format!("Passport1.4 sign-in=nobody{n}%40example.com,pwd=guess{n}");
            common::http_get(http, "/login2.srf", &[("Authorization", &authorization)]).await.status
        }
    };
    assert_eq!(login(0).await, 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = node.rss_kib();

    let burst: Vec<_> = (1..=40).map(|n| tokio::spawn(login(n))).collect();
    for attempt in burst {
        assert_eq!(attempt.await.expect("ran"), 401);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let grown = node.rss_kib().saturating_sub(before);
    // One hash's memory per hashing thread (one per core) and some slack;
    // each attempt allocating its own left ~580 MiB behind.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let bound = threads * HASH_KIB + 32 * 1024;
    assert!(grown < bound, "RSS grew by {grown} KiB after 40 password checks (bound {bound} KiB)");
}
