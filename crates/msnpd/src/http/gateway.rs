//! The HTTP polling gateway (`/gateway/gateway.dll`): MSNP over HTTP for
//! clients behind proxies. Each gateway session runs the ordinary Notification
//! Server or Switchboard session over an in-memory pipe instead of a socket, so
//! no protocol code exists twice. A request's body goes into the pipe; the
//! answer carries what the session wrote by the time it has read all of it.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, watch};

use crate::conn::Connection;
use crate::server::Context;

/// Longest a request waits for the session to work through its body.
const PROCESSING_LIMIT: Duration = Duration::from_secs(5);

/// Which server a gateway session speaks to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Server {
    /// The well-known server (`IP=messenger.hotmail.com`): it refers the
    /// client to the Notification Server, which it then opens a session to.
    Dispatch,
    Notification,
    Switchboard,
    /// A server of another node (`host:port`): the bytes go there over TCP,
    /// as the original gateway passed them on to the server named.
    Elsewhere(String),
}

fn other_node(ctx: &Context, ip: Option<&str>, notification: bool) -> Option<String> {
    ctx.core.other_node_address(ip?, notification)
}

/// How long a request to another node's server waits for its first answer
/// bytes, and then for the answer to go quiet: that server's session cannot
/// say when it has read the body.
const ELSEWHERE_FIRST: Duration = Duration::from_millis(500);
const ELSEWHERE_QUIET: Duration = Duration::from_millis(20);

/// The session's end of the pipe: reads request bodies, collects output.
struct Pipe {
    input: mpsc::UnboundedReceiver<Bytes>,
    pending: Bytes,
    consumed: u64,
    /// The number of bodies fully taken in whenever the session waits for more.
    progress: watch::Sender<u64>,
    output: Arc<Mutex<BytesMut>>,
    limit: usize,
}

fn lock(output: &Mutex<BytesMut>) -> MutexGuard<'_, BytesMut> {
    output.lock().unwrap_or_else(|e| e.into_inner())
}

impl AsyncRead for Pipe {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(buf.remaining());
                let chunk = self.pending.split_to(n);
                buf.put_slice(&chunk);
                return Poll::Ready(Ok(()));
            }
            match self.input.poll_recv(cx) {
                Poll::Ready(Some(body)) => {
                    self.consumed += 1;
                    self.pending = body;
                }
                // The gateway session is gone: end of stream.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    // Everything sent so far has been read and answered.
                    let consumed = self.consumed;
                    self.progress.send_replace(consumed);
                    return Poll::Pending;
                }
            }
        }
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(self: Pin<&mut Self>, _: &mut TaskContext<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let mut output = lock(&self.output);
        if output.len() + data.len() > self.limit {
            // The client stopped polling: cut it off rather than buffer without bound.
            return Poll::Ready(Err(io::Error::other("gateway output not collected")));
        }
        output.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The gateway's end of one session.
struct GatewaySession {
    owner: IpAddr,
    input: mpsc::UnboundedSender<Bytes>,
    sent: AtomicU64,
    progress: watch::Receiver<u64>,
    output: Arc<Mutex<BytesMut>>,
    busy: AtomicBool,
    last_seen: Mutex<Instant>,
    /// The server is another node's, reached over TCP.
    elsewhere: bool,
}

/// All gateway sessions, by id.
#[derive(Default)]
pub struct Gateway {
    sessions: Mutex<HashMap<String, Arc<GatewaySession>>>,
}

impl Gateway {
    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Arc<GatewaySession>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn session_count(&self) -> usize {
        self.sessions().len()
    }

    /// Ends sessions that have not been used for `idle`; their servers see the
    /// connection close (and sign the user out).
    pub fn expire(&self, idle: Duration) {
        let now = Instant::now();
        self.sessions().retain(|_, session| {
            let last = *session.last_seen.lock().unwrap_or_else(|e| e.into_inner());
            now.duration_since(last) < idle
        });
    }
}

/// Expires idle gateway sessions until the server stops.
pub async fn sweep(ctx: Arc<Context>, mut stopped: watch::Receiver<bool>) {
    let idle = Duration::from_secs(ctx.config.gateway_idle_secs);
    let period = (idle / 4).max(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => ctx.gateway.expire(idle),
            _ = crate::server::until_stopped(&mut stopped) => break,
        }
    }
}

/// Opens a gateway session: one more connection not signed in, counted as a
/// TCP connection would be.
fn open(
    ctx: &Arc<Context>,
    server: Server,
    client: IpAddr,
    pending: crate::core::limits::Pending,
) -> (String, Arc<GatewaySession>) {
    let (input_tx, input_rx) = mpsc::unbounded_channel();
    let (progress_tx, progress_rx) = watch::channel(0);
    let output = Arc::new(Mutex::new(BytesMut::new()));
    let pipe = Pipe {
        input: input_rx,
        pending: Bytes::new(),
        consumed: 0,
        progress: progress_tx,
        output: output.clone(),
        limit: ctx.config.gateway_max_output,
    };
    let label = match server {
        Server::Dispatch => "DS/gw",
        Server::Notification => "NS/gw",
        Server::Switchboard => "SB/gw",
        Server::Elsewhere(ref address) => {
            let line = crate::server::pass_on_line(ctx, client);
            tokio::spawn(pass_on(pipe, address.clone(), line, pending));
            return register(ctx, client, input_tx, progress_rx, output, true);
        }
    };
    // The port is 0 over the gateway: the profile reports `ClientPort: 0`.
    let mut conn = Connection::new(
        Box::new(pipe),
        SocketAddr::new(client, 0),
        ctx.config.max_payload,
        ctx.config.trace_protocol,
        label,
    );
    conn.idle_exempt = true;
    conn.set_pending(pending);
    match server {
        Server::Dispatch => tokio::spawn(crate::ns::run_as(ctx.clone(), conn, crate::ns::Role::Dispatch)),
        Server::Notification => tokio::spawn(crate::ns::run(ctx.clone(), conn)),
        Server::Switchboard | Server::Elsewhere(_) => tokio::spawn(crate::sb::run(ctx.clone(), conn)),
    };
    register(ctx, client, input_tx, progress_rx, output, false)
}

fn register(
    ctx: &Context,
    client: IpAddr,
    input: mpsc::UnboundedSender<Bytes>,
    progress: watch::Receiver<u64>,
    output: Arc<Mutex<BytesMut>>,
    elsewhere: bool,
) -> (String, Arc<GatewaySession>) {
    let session = Arc::new(GatewaySession {
        owner: client,
        input,
        sent: AtomicU64::new(0),
        progress,
        output,
        busy: AtomicBool::new(false),
        last_seen: Mutex::new(Instant::now()),
        elsewhere,
    });
    let id = crate::core::random_token();
    ctx.gateway.sessions().insert(id.clone(), session.clone());
    (id, session)
}

/// Passes a gateway session's bytes to another node's server and back. The
/// connection counts as not signed in here until it is open; the other node
/// counts it from then on, under the client's address that `line` names.
async fn pass_on(mut pipe: Pipe, address: String, line: String, pending: crate::core::limits::Pending) {
    let connected =
        tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(address.as_str())).await;
    drop(pending);
    let mut stream = match connected {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return tracing::warn!(%address, %error, "gateway: the other node's server is unreachable"),
        Err(_) => return tracing::warn!(%address, "gateway: the other node's server did not answer"),
    };
    let _ = stream.set_nodelay(true);
    if tokio::io::AsyncWriteExt::write_all(&mut stream, line.as_bytes()).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut pipe, &mut stream).await;
}

fn refuse(reason: &'static str) -> Response {
    (StatusCode::BAD_REQUEST, reason).into_response()
}

/// `POST /gateway/gateway.dll?Action=open&Server=NS|SB&IP=…`,
/// `?SessionID=…` (send) and `?Action=poll&SessionID=…` (receive).
pub async fn handle(
    State(ctx): State<Arc<Context>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let action = query.get("Action").map(String::as_str);
    let (id, session) = match (action, query.get("SessionID")) {
        (Some("open"), _) => {
            // `IP` names the host the client wants: the Notification Server's
            // (`public_host`, as an `XFR … NS` gave it) or, for anything else
            // (the well-known name it was set up with), the dispatch server.
            // Another node's address (in a cluster) is reached through this one.
            let ip = query.get("IP").map(String::as_str);
            let host = ip.map(|ip| ip.rsplit_once(':').map_or(ip, |(host, _)| host));
            let server = match query.get("Server").map(String::as_str) {
                Some("NS") if host.is_some_and(|host| host != ctx.public_host) => match other_node(&ctx, ip, true) {
                    Some(address) => Server::Elsewhere(address),
                    None => Server::Dispatch,
                },
                Some("NS") => Server::Notification,
                Some("SB") if host.is_some_and(|host| host != ctx.public_host) => match other_node(&ctx, ip, false) {
                    Some(address) => Server::Elsewhere(address),
                    None => Server::Switchboard,
                },
                Some("SB") => Server::Switchboard,
                _ => return refuse("Server must be NS or SB"),
            };
            let Some(pending) = crate::server::admit(&ctx, peer, "gateway") else {
                return (StatusCode::SERVICE_UNAVAILABLE, "too many sessions not signed in").into_response();
            };
            open(&ctx, server, peer.ip(), pending)
        }
        (None | Some("poll"), Some(id)) => {
            let found = ctx.gateway.sessions().get(id).cloned();
            match found {
                // Another client's session is as unknown as a made-up one.
                Some(session) if session.owner == peer.ip() => (id.clone(), session),
                _ => return refuse("no such session"),
            }
        }
        _ => return refuse("unknown action"),
    };
    // One request that writes at a time, so that bodies reach the session in
    // order; a poll (no body) may come while one is in flight, as MSNP21
    // clients (BitlBee) send their writes beside a waiting poll.
    let writing = !body.is_empty();
    if writing && session.busy.swap(true, Ordering::AcqRel) {
        return refuse("one write at a time");
    }
    *session.last_seen.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    let open = deliver(&session, body).await;
    let data = lock(&session.output).split().freeze();
    if writing {
        session.busy.store(false, Ordering::Release);
    }
    let mut response = (StatusCode::OK, data).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-msn-messenger"));
    let state = if open {
        format!("SessionID={id}; GW-IP={}", ctx.public_host)
    } else {
        ctx.gateway.sessions().remove(&id);
        "Session=close".to_owned()
    };
    if let Ok(value) = HeaderValue::from_str(&state) {
        headers.insert("X-MSN-Messenger", value);
    }
    response
}

/// Hands a body to the session and waits until it has read and answered all
/// of it. Returns whether the session is still open.
async fn deliver(session: &GatewaySession, body: Bytes) -> bool {
    let mut progress = session.progress.clone();
    if body.is_empty() {
        return progress.has_changed().is_ok();
    }
    let wanted = session.sent.fetch_add(1, Ordering::AcqRel) + 1;
    if session.input.send(body).is_err() {
        return false;
    }
    let open = match tokio::time::timeout(PROCESSING_LIMIT, progress.wait_for(|consumed| *consumed >= wanted)).await {
        Ok(Ok(_)) => true,
        // The session ended while (or before) reading it.
        Ok(Err(_)) => false,
        // Still busy: what it wrote so far goes back now, the rest with the next poll.
        Err(_) => true,
    };
    if open && session.elsewhere {
        wait_for_answer(session).await;
    }
    open
}

/// For another node's server: until answer bytes came and then stopped
/// coming for a moment, or `ELSEWHERE_FIRST` passed without any.
async fn wait_for_answer(session: &GatewaySession) {
    let started = Instant::now();
    let mut seen = 0;
    loop {
        tokio::time::sleep(ELSEWHERE_QUIET).await;
        let now = lock(&session.output).len();
        if (now > 0 && now == seen) || (now == 0 && started.elapsed() >= ELSEWHERE_FIRST) {
            return;
        }
        seen = now;
    }
}
