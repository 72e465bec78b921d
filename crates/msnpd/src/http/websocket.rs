//! MSNP over a WebSocket, for the browser client: `/ws/ns` is a Notification
//! Server session, `/ws/sb` a switchboard session (`?address=host:port` of
//! another node's switchboard is passed on to it over TCP). Each message the
//! browser sends carries MSNP bytes, split anywhere; the server's output goes
//! back in binary messages. The sessions are the ordinary ones: the browser
//! is one more client of the same protocol.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::conn::Connection;
use crate::server::Context;

/// Bytes buffered between the socket and the session, each way.
const PIPE: usize = 64 * 1024;

#[derive(Clone, Copy)]
enum Front {
    Notification,
    Switchboard,
}

pub async fn ns(
    upgrade: WebSocketUpgrade,
    State(ctx): State<Arc<Context>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !origin_allowed(&ctx, &headers) {
        return refuse_origin(&headers);
    }
    open(upgrade, ctx, peer, Front::Notification, None)
}

pub async fn sb(
    upgrade: WebSocketUpgrade,
    State(ctx): State<Arc<Context>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !origin_allowed(&ctx, &headers) {
        return refuse_origin(&headers);
    }
    let elsewhere = query.get("address").and_then(|address| ctx.core.other_node_address(address, false));
    open(upgrade, ctx, peer, Front::Switchboard, elsewhere)
}

/// Whether the page that opens the socket may: no `Origin` (not a browser's
/// script), this service's own origin (the `Host` asked for), or one
/// `websocket_origins` names. Another site's script would otherwise use its
/// visitors' browsers, from their addresses, as its clients.
fn origin_allowed(ctx: &Context, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Ok(origin) = origin.to_str() else { return false };
    let own = headers.get(header::HOST).and_then(|host| host.to_str().ok()).is_some_and(|host| {
        let authority = origin.split_once("://").map(|(_, authority)| authority);
        authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
    });
    own || ctx.config.websocket_origins.iter().any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin))
}

fn refuse_origin(headers: &HeaderMap) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).unwrap_or("?");
    tracing::info!(%origin, "websocket refused: an origin websocket_origins does not name");
    (StatusCode::FORBIDDEN, "this origin may not open a session here").into_response()
}

fn open(
    upgrade: WebSocketUpgrade,
    ctx: Arc<Context>,
    peer: SocketAddr,
    front: Front,
    elsewhere: Option<String>,
) -> Response {
    let Some(pending) = crate::server::admit(&ctx, peer, "websocket") else {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many sessions not signed in").into_response();
    };
    // Frames too: a frame's header announces its length, and without a cap
    // the library reads an announced 16 MiB before refusing the message.
    let limit = ctx.config.max_payload + 4096;
    upgrade.max_message_size(limit).max_frame_size(limit).on_upgrade(move |socket| async move {
        match elsewhere {
            Some(address) => {
                let connected = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    tokio::net::TcpStream::connect(address.as_str()),
                )
                .await;
                drop(pending);
                // The other node counts the connection under the client's address from its first line.
                let line = crate::server::pass_on_line(&ctx, peer.ip());
                let Ok(Ok(mut stream)) = connected else {
                    return tracing::warn!(%address, "websocket: the other node's switchboard is unreachable");
                };
                let _ = stream.set_nodelay(true);
                if stream.write_all(line.as_bytes()).await.is_ok() {
                    bridge(socket, stream).await;
                }
            }
            None => {
                let (session_end, socket_end) = tokio::io::duplex(PIPE);
                let label = match front {
                    Front::Notification => "NS/ws",
                    Front::Switchboard => "SB/ws",
                };
                let (max_payload, trace) = (ctx.config.max_payload, ctx.config.trace_protocol);
                let mut conn = Connection::new(Box::new(session_end), peer, max_payload, trace, label);
                conn.set_pending(pending);
                let session = match front {
                    Front::Notification => tokio::spawn(crate::ns::run(ctx.clone(), conn)),
                    Front::Switchboard => tokio::spawn(crate::sb::run(ctx.clone(), conn)),
                };
                bridge(socket, socket_end).await;
                // The session sees its input end and finishes by itself.
                drop(session);
            }
        }
    })
}

/// Copies the socket's messages into `stream` and what `stream` yields back
/// as binary messages, until either side closes.
async fn bridge(mut socket: WebSocket, stream: impl AsyncRead + AsyncWrite + Unpin) {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut buf = BytesMut::with_capacity(8 * 1024);
    loop {
        tokio::select! {
            message = socket.recv() => {
                let bytes = match message {
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    Some(Ok(Message::Text(text))) => bytes::Bytes::copy_from_slice(text.as_str().as_bytes()),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                };
                if writer.write_all(&bytes).await.is_err() {
                    break;
                }
            }
            read = reader.read_buf(&mut buf) => {
                match read {
                    Ok(n) if n > 0 => {
                        if socket.send(Message::Binary(buf.split().freeze())).await.is_err() {
                            break;
                        }
                    }
                    _ => break,
                }
            }
        }
    }
    let _ = writer.shutdown().await;
    let _ = socket.send(Message::Close(None)).await;
}
