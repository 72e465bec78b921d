//! Response header names as the original service spelled them.
//!
//! Clients match some names byte for byte (`PassportURLs`, `X-MSN-Messenger`),
//! and HTTP/1 title case turns those into `Passporturls` and `X-Msn-Messenger`.
//! hyper writes a response's header names from a private extension holding
//! their original spellings, which it fills only by parsing a message on a
//! connection that preserves header case. So the spellings are recorded once,
//! by letting hyper parse a request that carries them, and that extension is
//! then attached to every response; names not in it are title-cased.

use axum::http::{Extensions, Request, Response};
use hyper::body::Incoming;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Every header name this service sends whose spelling is not plain title case.
pub const NAMES: [&str; 4] = ["PassportURLs", "Authentication-Info", "WWW-Authenticate", "X-MSN-Messenger"];

/// An extension map that makes hyper write `NAMES` as spelled there.
pub async fn recorded() -> std::io::Result<Extensions> {
    let (mut client, server) = tokio::io::duplex(4096);
    let (found, recorded) = tokio::sync::oneshot::channel();
    let found = std::sync::Mutex::new(Some(found));
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        if let Some(found) = found.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = found.send(request.extensions().clone());
        }
        async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .preserve_header_case(true)
        .serve_connection(hyper_util::rt::TokioIo::new(server), service);
    let mut request = String::from("GET / HTTP/1.1\r\nHost: spelling\r\nConnection: close\r\n");
    for name in NAMES {
        request.push_str(&format!("{name}: 1\r\n"));
    }
    request.push_str("\r\n");
    let exchange = async {
        client.write_all(request.as_bytes()).await?;
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await?;
        Ok::<_, std::io::Error>(())
    };
    let (served, exchanged) = tokio::join!(connection, exchange);
    exchanged?;
    served.map_err(std::io::Error::other)?;
    recorded.await.map_err(|_| std::io::Error::other("the request never reached the service"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spellings reach the wire through a connection that title-cases the rest.
    #[tokio::test]
    async fn responses_carry_the_recorded_spellings() {
        let spellings = recorded().await.expect("recorded");
        let (mut client, server) = tokio::io::duplex(4096);
        let service = hyper::service::service_fn(move |_: Request<Incoming>| {
            let mut response = Response::new(String::new());
            for name in NAMES {
                response.headers_mut().insert(name, axum::http::HeaderValue::from_static("v"));
            }
            response.headers_mut().insert("content-type", axum::http::HeaderValue::from_static("text/plain"));
            response.extensions_mut().extend(spellings.clone());
            async { Ok::<_, std::convert::Infallible>(response) }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .title_case_headers(true)
            .serve_connection(hyper_util::rt::TokioIo::new(server), service);
        let exchange = async {
            client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.expect("write");
            let mut reply = Vec::new();
            client.read_to_end(&mut reply).await.expect("read");
            String::from_utf8(reply).expect("utf-8")
        };
        let (_, reply) = tokio::join!(connection, exchange);
        for name in NAMES {
            assert!(reply.contains(&format!("\r\n{name}: v\r\n")), "{name} in {reply}");
        }
        assert!(reply.contains("\r\nContent-Type: text/plain\r\n"), "{reply}");
    }
}
