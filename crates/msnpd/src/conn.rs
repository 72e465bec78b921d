//! A client connection as the fronts see it: one small input buffer, the MSNP
//! decoder, and the replies of one batch of commands written together.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use msnp::codec::{DecodeError, Decoder, Direction, Limits};
use msnp::{Dialect, ErrorCode, Frame};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Longest a write of one batch of answers may take before the client counts as gone.
const WRITE_LIMIT: Duration = Duration::from_secs(30);

/// At most this many queued notices or events are written together, so one
/// busy conversation cannot hold a session's answers back for long.
pub const COALESCE_LIMIT: usize = 64;

/// Most input bytes one read takes: several commands per system call under
/// load. The chunk lives on the stack only while a read completes, so an
/// idle connection holds no input buffer at all.
const READ_CHUNK: usize = 8 * 1024;

/// A byte stream a session runs over: a TCP socket, or the HTTP gateway's pipe.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + Sync {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Transport for T {}

/// A frame as the protocol trace shows it: tickets, password hashes and
/// switchboard cookies are masked, so a trace log can be shared.
struct Redacted<'a> {
    frame: &'a Frame,
    from_client: bool,
}

impl Redacted<'_> {
    fn is_secret(&self, index: usize) -> bool {
        let params = &self.frame.params;
        let follows_cki = index > 0 && params[index - 1] == *"CKI";
        if !self.from_client {
            return follows_cki;
        }
        match self.frame.command.as_str() {
            // NS: `USR trid TWN|SSO|MD5|SHA I|S|A credential...`; SB: `USR trid email cookie`.
            "USR" => index >= 2 && !(index == 2 && params[2].len() == 1) && params.get(2).is_none_or(|p| p != "I"),
            "ANS" => index == 2,
            "PXY" => index >= 1,
            _ => follows_cki,
        }
    }
}

impl std::fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.frame.command)?;
        for (index, param) in self.frame.params.iter().enumerate() {
            if self.is_secret(index) { f.write_str(" ***")? } else { write!(f, " {param}")? }
        }
        if let Some(payload) = &self.frame.payload {
            write!(f, " {}", payload.len())?;
        }
        Ok(())
    }
}

thread_local! {
    /// Output buffers written and cleared, for the next connection with
    /// something to write: a busy connection needs one each turn, and a
    /// fresh allocation per turn showed in the relay's profile.
    static SPARE_OUTPUT: std::cell::RefCell<Vec<BytesMut>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many spare output buffers a thread keeps, and the largest kept.
const SPARE_OUTPUTS: usize = 32;
const SPARE_OUTPUT_SIZE: usize = 16 * 1024;

/// A TCP socket whose writing half is shared with a switchboard outlet
/// (`sb::outlet`), which writes into it from other tasks between this
/// connection's turns. Reads go through tokio's own reading half (which
/// takes a short read as the end of what is there, saving a system call).
struct SharedTcp {
    read: OwnedReadHalf,
    write: Arc<OwnedWriteHalf>,
}

impl AsyncRead for SharedTcp {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for SharedTcp {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let socket: &TcpStream = self.write.as_ref().as_ref();
        loop {
            std::task::ready!(socket.poll_write_ready(cx))?;
            match socket.try_write(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                result => return Poll::Ready(result),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(socket2::SockRef::from(self.write.as_ref().as_ref()).shutdown(std::net::Shutdown::Write))
    }
}

pub struct Connection {
    stream: Box<dyn Transport>,
    /// The TCP socket under `stream`, when it is one.
    tcp: Option<Arc<OwnedWriteHalf>>,
    input: BytesMut,
    decoder: Decoder,
    output: BytesMut,
    pub peer: SocketAddr,
    trace: bool,
    label: &'static str,
    /// Over the HTTP gateway the client polls instead of sending PNG; the
    /// gateway expires idle sessions itself.
    pub idle_exempt: bool,
    /// Since when an unfinished command has been waiting for its rest.
    partial_since: Option<tokio::time::Instant>,
    /// When the connection began: the login deadline counts from here.
    opened: tokio::time::Instant,
    /// Counts the connection among those not signed in, until it signs in.
    pending: Option<crate::core::limits::Pending>,
    /// Where the error codes sent are counted (`/metrics`).
    pub metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
    /// Takes well-formed `MSG`s without building frames (the switchboard's).
    pub fast_messages: bool,
    /// No frame has been read yet from this TCP connection: a `PXY` may come
    /// first (another node passing the connection on).
    may_be_passed_on: bool,
}

/// Sleeps until `deadline`, or forever without one.
pub async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// What reading produced.
pub enum Incoming {
    Frame(Frame),
    /// A client's `MSG`, taken without a frame (see `fast_messages`).
    Message(msnp::codec::ClientMessage),
    /// A frame that could not be decoded; `fatal` ones end the connection.
    Malformed(DecodeError),
    /// `PXY 0 token` as a TCP connection's first command: another node
    /// passes its client's connection on (see `server::take_passed_on`).
    PassedOn(Frame),
}

impl Connection {
    pub fn new(
        stream: Box<dyn Transport>,
        peer: SocketAddr,
        max_payload: usize,
        trace: bool,
        label: &'static str,
    ) -> Connection {
        Connection {
            stream,
            tcp: None,
            input: BytesMut::new(),
            decoder: Decoder::new(Direction::ClientToServer, Limits { max_payload, ..Limits::default() }),
            output: BytesMut::new(),
            peer,
            trace,
            label,
            idle_exempt: false,
            metrics: None,
            fast_messages: false,
            partial_since: None,
            opened: tokio::time::Instant::now(),
            pending: None,
            may_be_passed_on: false,
        }
    }

    /// A connection over TCP, with Nagle's delay off: MSNP is all small writes.
    pub fn tcp(
        stream: TcpStream,
        peer: SocketAddr,
        max_payload: usize,
        trace: bool,
        label: &'static str,
    ) -> Connection {
        let _ = stream.set_nodelay(true);
        let mut conn = Connection::new(Box::new(stream), peer, max_payload, trace, label);
        conn.may_be_passed_on = true;
        conn
    }

    /// A connection over TCP whose socket an outlet may write into between
    /// its turns (`shared_socket`); the switchboard's.
    pub fn shared_tcp(
        stream: TcpStream,
        peer: SocketAddr,
        max_payload: usize,
        trace: bool,
        label: &'static str,
    ) -> Connection {
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let write = Arc::new(write);
        let mut conn =
            Connection::new(Box::new(SharedTcp { read, write: write.clone() }), peer, max_payload, trace, label);
        conn.tcp = Some(write);
        conn.may_be_passed_on = true;
        conn
    }

    /// The TCP socket, for an outlet that writes into it between turns; none
    /// over other transports or with the protocol trace on (it shows what
    /// the connection writes).
    pub fn shared_socket(&self) -> Option<Arc<OwnedWriteHalf>> {
        self.tcp.clone().filter(|_| !self.trace)
    }

    /// Queues bytes already encoded (what an outlet left unwritten).
    pub fn send_raw(&mut self, bytes: BytesMut) {
        if self.output.is_empty() {
            self.output = bytes;
        } else {
            self.output.extend_from_slice(&bytes);
        }
    }

    /// Counts the connection among those not signed in.
    pub fn set_pending(&mut self, pending: crate::core::limits::Pending) {
        self.pending = Some(pending);
    }

    /// The connection is another node's client's, from `client`: counted
    /// under that address from now on.
    pub fn passed_on(&mut self, client: std::net::IpAddr, pending: crate::core::limits::Pending) {
        self.peer = SocketAddr::new(client, 0);
        self.pending = Some(pending);
    }

    /// The connection has signed in: it no longer counts as pending.
    pub fn signed_in(&mut self) {
        self.pending = None;
    }

    /// When a connection that has not signed in must have: `limit` after it
    /// opened, however much it sends meanwhile.
    pub fn login_deadline(&self, limit: Duration) -> tokio::time::Instant {
        self.opened + limit
    }

    /// How long the session may wait for input before it counts as idle.
    pub fn idle_limit(&self, configured: Duration) -> Duration {
        // About 136 years: never, in practice.
        if self.idle_exempt { Duration::from_secs(u64::from(u32::MAX)) } else { configured }
    }

    pub fn set_dialect(&mut self, dialect: Dialect) {
        self.decoder.set_dialect(dialect);
    }

    /// The next decoded frame already buffered, without reading.
    pub fn next_buffered(&mut self) -> Option<Incoming> {
        // The trace shows frames: with it on, messages take the frame path.
        if self.fast_messages
            && !self.trace
            && let Some(message) = self.decoder.decode_message(&mut self.input)
        {
            self.may_be_passed_on = false;
            return Some(Incoming::Message(message));
        }
        match self.decoder.decode(&mut self.input) {
            Ok(Some(frame)) => {
                if self.trace {
                    tracing::info!(target: "msnpd::wire", peer = %self.peer, "{} C: {}", self.label, Redacted { frame: &frame, from_client: true });
                }
                if std::mem::take(&mut self.may_be_passed_on) && frame.command == "PXY" {
                    return Some(Incoming::PassedOn(frame));
                }
                Some(Incoming::Frame(frame))
            }
            Ok(None) => {
                // Bytes of an unfinished command are waiting: start its clock.
                if self.input.is_empty() && !self.decoder.is_mid_frame() {
                    self.partial_since = None;
                } else if self.partial_since.is_none() {
                    self.partial_since = Some(tokio::time::Instant::now());
                }
                None
            }
            Err(error) => {
                self.may_be_passed_on = false;
                Some(Incoming::Malformed(error))
            }
        }
    }

    /// When an unfinished command must be complete (slow senders are cut off).
    pub fn partial_deadline(&self, limit: Duration) -> Option<tokio::time::Instant> {
        self.partial_since.map(|since| since + limit)
    }

    /// Reads more bytes; `false` when the peer closed the connection.
    pub async fn read_more(&mut self) -> bool {
        let (stream, input) = (&mut self.stream, &mut self.input);
        std::future::poll_fn(|cx| {
            let mut chunk = [std::mem::MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut read = tokio::io::ReadBuf::uninit(&mut chunk);
            match std::pin::Pin::new(&mut **stream).poll_read(cx, &mut read) {
                std::task::Poll::Ready(Ok(())) => {
                    input.extend_from_slice(read.filled());
                    std::task::Poll::Ready(!read.filled().is_empty())
                }
                std::task::Poll::Ready(Err(_)) => std::task::Poll::Ready(false),
                std::task::Poll::Pending => std::task::Poll::Pending,
            }
        })
        .await
    }

    /// The output buffer, a spare one of the thread's if it has none.
    fn output(&mut self) -> &mut BytesMut {
        if self.output.capacity() == 0
            && let Some(spare) = SPARE_OUTPUT.with_borrow_mut(Vec::pop)
        {
            self.output = spare;
        }
        &mut self.output
    }

    /// Queues a frame for the next flush.
    pub fn send(&mut self, frame: &Frame) {
        if self.trace {
            tracing::info!(target: "msnpd::wire", peer = %self.peer, "{} S: {}", self.label, Redacted { frame, from_client: false });
        }
        frame.encode(self.output());
        if let Some(metrics) = &self.metrics
            && frame.command.len() == 3
            && let Ok(code) = frame.command.parse::<u16>()
        {
            metrics.error_sent(code);
        }
    }

    /// Queues `words… len CRLF payload` (a relayed `MSG`) without building a
    /// frame, unless the trace needs one.
    pub fn send_with_payload(&mut self, words: &[&str], payload: &bytes::Bytes) {
        match words.split_first() {
            Some((command, params)) if self.trace => {
                self.send(&Frame::with_params(*command, params.iter().copied()).with_payload(payload.clone()))
            }
            _ => msnp::codec::encode_with_payload(self.output(), words, payload),
        }
    }

    /// Makes room for `bytes` more output at once: a run of messages grows
    /// the buffer once instead of doubling it message by message.
    pub fn reserve(&mut self, bytes: usize) {
        self.output().reserve(bytes);
    }

    /// Queues `command trid` (`ACK`, `NAK`) without building a frame, unless
    /// the trace needs one.
    pub fn send_reply(&mut self, command: &'static str, trid: u32) {
        if self.trace {
            self.send(&Frame::with_params(command, [trid.to_string()]));
        } else {
            msnp::codec::encode_reply(self.output(), command, trid);
        }
    }

    pub fn send_error(&mut self, code: ErrorCode, trid: Option<u32>) {
        self.send(&Frame::error(code, trid.unwrap_or(0)));
    }

    /// Answers a frame that could not be decoded; `true` when the connection must close.
    pub fn reject(&mut self, error: &DecodeError) -> bool {
        if let Some(code) = error.reply_code() {
            self.send_error(code, error.trid());
        }
        if error.is_fatal() {
            tracing::info!(peer = %self.peer, %error, "{}: closing connection", self.label);
        }
        error.is_fatal()
    }

    /// Writes everything queued; `false` if the peer is gone.
    pub async fn flush(&mut self) -> bool {
        if self.output.is_empty() {
            return true;
        }
        // A client that does not read is cut off rather than buffered for;
        // the timer starts only when the socket cannot take it all at once
        // (the usual case needs no clock read and no timer).
        let mut write = std::pin::pin!(self.stream.write_all(&self.output));
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx))).await;
        let ok = match first {
            std::task::Poll::Ready(result) => result.is_ok(),
            std::task::Poll::Pending => matches!(tokio::time::timeout(WRITE_LIMIT, write).await, Ok(Ok(()))),
        };
        // Between batches a connection holds no buffers: most sessions are idle
        // most of the time. The thread keeps a few for the next busy one.
        let mut written = std::mem::take(&mut self.output);
        if written.capacity() <= SPARE_OUTPUT_SIZE {
            written.clear();
            SPARE_OUTPUT.with_borrow_mut(|spare| {
                if spare.len() < SPARE_OUTPUTS {
                    spare.push(written);
                }
            });
        }
        if self.input.is_empty() {
            self.input = BytesMut::new();
        }
        ok
    }

    pub async fn shutdown(&mut self) {
        let _ = self.flush().await;
        let _ = self.stream.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traced(line: &str, from_client: bool) -> String {
        let frame = Frame::with_params(line.split(' ').next().unwrap_or_default(), line.split(' ').skip(1));
        Redacted { frame: &frame, from_client }.to_string()
    }

    #[test]
    fn trace_masks_credentials_and_cookies() {
        assert_eq!(traced("USR 3 TWN I alice@example.com", true), "USR 3 TWN I alice@example.com");
        assert_eq!(traced("USR 4 TWN S t=abc&p=def", true), "USR 4 TWN S ***");
        assert_eq!(traced("USR 4 SSO S t=abc response guid", true), "USR 4 SSO S *** *** ***");
        assert_eq!(traced("USR 2 MD5 S 0123abcd", true), "USR 2 MD5 S ***");
        assert_eq!(traced("USR 1 bob@example.com 1234.5678", true), "USR 1 bob@example.com ***");
        assert_eq!(traced("ANS 1 bob@example.com 1234.5678 99", true), "ANS 1 bob@example.com *** 99");
        assert_eq!(traced("XFR 5 SB 127.0.0.1:1864 CKI 1234.5678", false), "XFR 5 SB 127.0.0.1:1864 CKI ***");
        assert_eq!(traced("USR 4 OK alice@example.com 1 0", false), "USR 4 OK alice@example.com 1 0");
    }
}
