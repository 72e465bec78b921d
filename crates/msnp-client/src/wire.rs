//! One MSNP connection seen from the client: a reader task that hands each
//! reply to the call waiting for its TrID, and every other frame to a queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use msnp::Frame;
use msnp::codec::{Decoder, Direction, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot};

use crate::{ClientConfig, ClientError};

type Waiters = Arc<Mutex<HashMap<u32, (&'static [&'static str], oneshot::Sender<Frame>)>>>;

/// Most bytes one write takes from the queue.
const WRITE_BATCH: usize = 64 * 1024;

pub(crate) struct Link {
    /// Frames for the writer task, which writes whatever has queued up in one
    /// system call: a busy client sends many frames per write.
    outgoing: mpsc::UnboundedSender<Bytes>,
    waiters: Waiters,
    next_trid: AtomicU32,
    pub(crate) timeout: Duration,
}

/// A TCP connection to `address`, from `local` when given.
async fn open(address: &str, local: Option<std::net::IpAddr>) -> std::io::Result<TcpStream> {
    let Some(local) = local else {
        return TcpStream::connect(address).await;
    };
    let mut failure = None;
    for remote in tokio::net::lookup_host(address).await? {
        let socket = if remote.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        port_at_connect(&socket);
        socket.bind(std::net::SocketAddr::new(local, 0))?;
        match socket.connect(remote).await {
            Ok(stream) => return Ok(stream),
            Err(error) => failure = Some(error),
        }
    }
    Err(failure.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, format!("{address}: no address"))))
}

/// Leaves the choice of the local port to `connect` (Linux's
/// `IP_BIND_ADDRESS_NO_PORT`): a port bound first must be free for every
/// destination, and with thousands of a load generator's connections on one
/// source address the kernel spends its time searching for one.
#[cfg(target_os = "linux")]
fn port_at_connect(socket: &tokio::net::TcpSocket) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // Safety: a valid socket descriptor, and a pointer to an int that lives
    // through the call, with its size.
    #[allow(unsafe_code)]
    let _ = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

#[cfg(not(target_os = "linux"))]
fn port_at_connect(_socket: &tokio::net::TcpSocket) {}

impl Link {
    /// Connects; frames no call waits for arrive on the returned queue, which
    /// ends when the server closes the connection.
    pub(crate) async fn connect(
        address: &str,
        config: &ClientConfig,
    ) -> Result<(Link, mpsc::UnboundedReceiver<Frame>), ClientError> {
        let (dialect, timeout) = (config.dialect, config.timeout);
        let stream = tokio::time::timeout(timeout, open(address, config.local_address))
            .await
            .map_err(|_| ClientError::Timeout("connect"))??;
        stream.set_nodelay(true)?;
        let (mut reader, writer) = stream.into_split();
        let waiters: Waiters = Arc::default();
        let (unsolicited, queue) = mpsc::unbounded_channel();
        let mut decoder = Decoder::new(Direction::ServerToClient, Limits::default());
        decoder.set_dialect(dialect);
        let routes = waiters.clone();
        let (outgoing, queued) = mpsc::unbounded_channel();
        tokio::spawn(write_queued(writer, queued, timeout, waiters.clone()));
        tokio::spawn(async move {
            let mut buf = BytesMut::with_capacity(4096);
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(frame)) => {
                        let frame = match take_waiter(&routes, &frame) {
                            Some(waiter) => {
                                let _ = waiter.send(frame);
                                continue;
                            }
                            None => frame,
                        };
                        if unsolicited.send(frame).is_err() {
                            return;
                        }
                    }
                    Ok(None) => match reader.read_buf(&mut buf).await {
                        Ok(n) if n > 0 => {}
                        _ => break,
                    },
                    Err(error) if error.is_fatal() => break,
                    Err(_) => {}
                }
            }
            // Closed: every waiting call learns it at once.
            routes.lock().unwrap_or_else(|e| e.into_inner()).clear();
        });
        let link = Link { outgoing, waiters, next_trid: AtomicU32::new(1), timeout };
        Ok((link, queue))
    }

    pub(crate) fn next_trid(&self) -> u32 {
        self.next_trid.fetch_add(1, Ordering::Relaxed)
    }

    /// Queues a frame; it is written soon, with whatever else is queued.
    /// `Closed` once the connection can no longer be written.
    pub(crate) async fn send(&self, frame: &Frame) -> Result<(), ClientError> {
        self.outgoing.send(frame.to_bytes()).map_err(|_| ClientError::Closed)
    }

    /// Sends `command trid params… [payload]` and waits for the reply with that
    /// TrID: one of `replies`, or an error code (returned as the error).
    pub(crate) async fn call(
        &self,
        command: &'static str,
        params: &[&str],
        payload: Option<Bytes>,
        replies: &'static [&'static str],
    ) -> Result<Frame, ClientError> {
        let trid = self.next_trid();
        let (waiter, reply) = oneshot::channel();
        self.waiters.lock().unwrap_or_else(|e| e.into_inner()).insert(trid, (replies, waiter));
        let mut frame = Frame::new(command).param(trid);
        for param in params {
            frame = frame.param(param);
        }
        if let Some(payload) = payload {
            frame = frame.with_payload(payload);
        }
        let sent = self.send(&frame).await;
        let answer = match sent {
            Ok(()) => tokio::time::timeout(self.timeout, reply).await,
            Err(error) => {
                self.waiters.lock().unwrap_or_else(|e| e.into_inner()).remove(&trid);
                return Err(error);
            }
        };
        self.waiters.lock().unwrap_or_else(|e| e.into_inner()).remove(&trid);
        let frame = answer.map_err(|_| ClientError::Timeout(command))?.map_err(|_| ClientError::Closed)?;
        match ClientError::from_reply(&frame.command) {
            Some(error) => Err(error),
            None => Ok(frame),
        }
    }
}

/// Writes queued frames, each write taking all that has queued up (to
/// `WRITE_BATCH`), until the link is dropped (then what is queued still goes
/// out) or a write fails or stalls (then waiting calls learn it at once).
async fn write_queued(
    mut writer: OwnedWriteHalf,
    mut queued: mpsc::UnboundedReceiver<Bytes>,
    timeout: Duration,
    waiters: Waiters,
) {
    let mut batch = BytesMut::new();
    while let Some(first) = queued.recv().await {
        batch.extend_from_slice(&first);
        while batch.len() < WRITE_BATCH {
            match queued.try_recv() {
                Ok(more) => batch.extend_from_slice(&more),
                Err(_) => break,
            }
        }
        if !matches!(tokio::time::timeout(timeout, writer.write_all(&batch)).await, Ok(Ok(()))) {
            queued.close();
            waiters.lock().unwrap_or_else(|e| e.into_inner()).clear();
            return;
        }
        batch.clear();
    }
    let _ = writer.shutdown().await;
}

/// The call waiting for `frame`, if it is a reply (its TrID and an expected
/// command, or an error code) rather than news.
fn take_waiter(waiters: &Waiters, frame: &Frame) -> Option<oneshot::Sender<Frame>> {
    let trid: u32 = frame.params.first()?.parse().ok()?;
    let mut waiters = waiters.lock().unwrap_or_else(|e| e.into_inner());
    let (replies, _) = waiters.get(&trid)?;
    let is_error = frame.command.bytes().all(|b| b.is_ascii_digit());
    if !is_error && !replies.contains(&frame.command.as_str()) {
        return None;
    }
    waiters.remove(&trid).map(|(_, waiter)| waiter)
}
