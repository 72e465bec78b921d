//! Limits of the HTTP listener that hold whatever the clients do: how many
//! requests are handled at once, and whom a request counts as from.

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, http_get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// With every place taken (a request whose body is still arriving holds one),
/// the next request waits and is then refused with 503; once the place is
/// free again, requests are served.
#[tokio::test]
async fn requests_beyond_the_limit_wait_then_get_503() {
    let server = TestServer::start_with(|config| config.max_http_requests = 1).await;
    let mut slow = TcpStream::connect(server.http()).await.expect("connect");
    let body = "<soap:Envelope><soap:Body><ABFindAll/></soap:Body></soap:Envelope>";
    let head = format!(
        "POST /abservice/abservice.asmx HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.expect("head");
    slow.write_all(&body.as_bytes()[..10]).await.expect("part of the body");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let mut waiting = TcpStream::connect(server.http()).await.expect("connect");
    waiting.write_all(b"GET /rdr/pprdr.asp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.expect("request");
    let mut refused = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), waiting.read_to_end(&mut refused))
        .await
        .expect("an answer in time")
        .expect("read");
    assert!(String::from_utf8_lossy(&refused).starts_with("HTTP/1.1 503"), "{}", String::from_utf8_lossy(&refused));
    assert!(started.elapsed() >= Duration::from_secs(4), "it waited for a place first");

    slow.write_all(&body.as_bytes()[10..]).await.expect("rest of the body");
    let mut answer = Vec::new();
    slow.read_to_end(&mut answer).await.expect("answer");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 500"), "a fault: no ticket");
    assert_eq!(http_get(server.http(), "/rdr/pprdr.asp", &[]).await.status, 200);
}

/// A body trickled in byte by byte is cut off at the body deadline with 408.
#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_gets_408() {
    let server = TestServer::start_with(|config| config.http_body_timeout_secs = 1).await;
    let mut slow = TcpStream::connect(server.http()).await.expect("connect");
    slow.write_all(b"POST /RST.srf HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n").await.expect("head");
    let started = Instant::now();
    let trickle = async {
        for _ in 0..20 {
            if slow.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(1500), trickle).await;
    let mut answer = vec![0; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut answer))
        .await
        .expect("an answer in time")
        .expect("read");
    assert!(
        String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer[..n])
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    // A body that does arrive is served as before.
    assert_eq!(http_get(server.http(), "/rdr/pprdr.asp", &[]).await.status, 200);
}

/// Behind a reverse proxy named in `trusted_proxies`, a request counts as
/// from the client its `X-Forwarded-For` names (here: `/metrics`, which
/// answers only 127.0.0.1); from anyone else the header means nothing.
#[tokio::test]
async fn a_trusted_proxy_names_the_client() {
    let status = |server: &TestServer, forwarded: &'static str| {
        let http = server.http();
        async move { http_get(http, "/metrics", &[("X-Forwarded-For", forwarded)]).await.status }
    };
    let proxied = TestServer::start_with(|config| config.trusted_proxies = vec!["127.0.0.1".into()]).await;
    assert_eq!(status(&proxied, "10.1.2.3").await, 403);
    assert_eq!(status(&proxied, "127.0.0.1, 10.1.2.3").await, 403, "the nearest untrusted entry");
    assert_eq!(status(&proxied, "10.1.2.3, 127.0.0.1").await, 403, "trusted entries are skipped");
    assert_eq!(status(&proxied, "127.0.0.1").await, 200);
    let direct = TestServer::start().await;
    assert_eq!(status(&direct, "10.1.2.3").await, 200, "not from a trusted proxy: the header is ignored");
}
