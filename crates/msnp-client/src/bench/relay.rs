//! The relay scenario: PAIRS two-party conversations, each sender keeping K
//! messages in flight and sending the next one for each `ACK`.
//!
//! The conversations open through the client library (`XFR SB`, `USR`,
//! `CAL`, `RNG`, `ANS`, `JOI`). The messages then go over the two switchboard
//! sockets directly: written from one prepared payload and read without
//! building a frame per message, so that the generator, which shares the
//! machine with the server, costs less than the relay it measures.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Buf;
use msnp_client::{Client, Event};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::wire::{Wire, next_frame};
use super::{Target, describe, percentiles, report};

/// What a message carries: a plain-text header and 100 characters.
const TEXT_HEADER: &str = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=1; PF=0\r\n\r\n";

pub struct Plan {
    pub pairs: usize,
    pub in_flight: usize,
    pub seconds: u64,
}

/// A conversation ready to carry messages, and the two sessions it needs.
struct Pair {
    sender: Wire,
    receiver: Wire,
    _sessions: (Client, Client),
}

async fn open_pair(target: &Target, pair: usize) -> Result<Pair, String> {
    let timeout = target.config.timeout;
    let sender = target.login(2 * pair).await.map_err(|e| e.to_string())?;
    let mut receiver = target.login(2 * pair + 1).await.map_err(|e| e.to_string())?;
    let invitee = target.email(2 * pair + 1);
    let (address, cookie) = sender.switchboard().await.map_err(|e| e.to_string())?;
    let mut out = Wire::connect(&address).await?;
    out.send(&format!("USR 1 {} {cookie}\r\n", sender.switchboard_handle())).await?;
    out.expect("USR", 1, timeout).await?;
    out.send(&format!("CAL 2 {invitee}\r\n")).await?;
    out.expect("CAL", 2, timeout).await?;
    let invitation = loop {
        match tokio::time::timeout(timeout, receiver.next_event()).await {
            Ok(Some(Event::Invited(invitation))) => break invitation,
            Ok(Some(_)) => {}
            _ => return Err("no RNG".into()),
        }
    };
    let mut incoming = Wire::connect(&invitation.address).await?;
    let handle = receiver.switchboard_handle();
    incoming.send(&format!("ANS 1 {handle} {} {}\r\n", invitation.cookie, invitation.session_id)).await?;
    incoming.expect("ANS", 1, timeout).await?;
    loop {
        let line = out.line(timeout).await?;
        let joined = line.strip_prefix("JOI ").and_then(|rest| rest.split([' ', ';']).next());
        if joined == Some(invitee.as_str()) {
            break;
        }
    }
    Ok(Pair { sender: out, receiver: incoming, _sessions: (sender, receiver) })
}

/// What one sender got through: messages acknowledged and each one's time
/// from its write to the read of its `ACK`.
struct Sent {
    acked: u64,
    latencies: Vec<Duration>,
}

/// Keeps `in_flight` messages on the wire until `deadline`, then waits for
/// the last `ACK`s. Every message a read acknowledges is replaced, and the
/// replacements go out in one write.
async fn send_until(mut wire: Wire, in_flight: usize, deadline: Instant, timeout: Duration) -> Result<Sent, String> {
    let payload = format!("{TEXT_HEADER}{}", "x".repeat(100));
    let mut out = Vec::with_capacity(in_flight * (payload.len() + 32));
    let mut pending: VecDeque<(u32, Instant)> = VecDeque::with_capacity(in_flight);
    let mut next_trid = 3u32;
    let mut sent = Sent { acked: 0, latencies: Vec::with_capacity(1 << 16) };
    let mut queue = |out: &mut Vec<u8>, pending: &mut VecDeque<(u32, Instant)>, now: Instant| {
        out.extend_from_slice(b"MSG ");
        msnp::codec::put_decimal(out, u64::from(next_trid));
        out.extend_from_slice(b" A ");
        msnp::codec::put_decimal(out, payload.len() as u64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(payload.as_bytes());
        pending.push_back((next_trid, now));
        next_trid += 1;
    };
    let now = Instant::now();
    for _ in 0..in_flight {
        queue(&mut out, &mut pending, now);
    }
    wire.stream.write_all(&out).await.map_err(|e| e.to_string())?;
    let mut watchdog = Watchdog::new(timeout);
    while !pending.is_empty() {
        match watchdog.read(&mut wire).await {
            Some(Ok(0)) => return Err("the switchboard closed the sender's connection".into()),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.to_string()),
            None => return Err("no ACK in time".into()),
        }
        let now = Instant::now();
        out.clear();
        while let Some((end, length)) = next_frame(&wire.buf)? {
            let line = &wire.buf[..end];
            if let Some(trid) = line.strip_prefix(b"ACK ") {
                let trid = parse_u32(trid).ok_or("bad ACK")?;
                let at = pending.iter().position(|(t, _)| *t == trid).ok_or("ACK of no message")?;
                if let Some((_, written)) = pending.remove(at) {
                    sent.latencies.push(now - written);
                }
                sent.acked += 1;
                if now < deadline {
                    queue(&mut out, &mut pending, now);
                }
            } else if line.starts_with(b"NAK ") || line.first().is_some_and(u8::is_ascii_digit) {
                return Err(format!("message refused: {}", String::from_utf8_lossy(line)));
            }
            wire.buf.advance(end + 2 + length);
        }
        if !out.is_empty() {
            wire.stream.write_all(&out).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(sent)
}

fn parse_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let mut value = 0u64;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(digit - b'0');
    }
    u32::try_from(value).ok()
}

/// Fails a connection that makes no progress for a while without a timer
/// per read (a timer armed and cleared per read cost the generator more than
/// parsing its messages): one sleep, moved on only when it fires after
/// progress, so a silent connection fails after one to two `timeout`s.
struct Watchdog {
    sleep: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
    reads: u64,
    reads_when_armed: u64,
}

impl Watchdog {
    fn new(timeout: Duration) -> Watchdog {
        Watchdog { sleep: Box::pin(tokio::time::sleep(timeout)), timeout, reads: 0, reads_when_armed: 0 }
    }

    /// One read into the wire's buffer; `None` when the connection fell silent.
    async fn read(&mut self, wire: &mut Wire) -> Option<std::io::Result<usize>> {
        loop {
            tokio::select! {
                biased;
                read = wire.stream.read_buf(&mut wire.buf) => {
                    self.reads += 1;
                    return Some(read);
                }
                () = self.sleep.as_mut() => {
                    if self.reads == self.reads_when_armed {
                        return None;
                    }
                    self.reads_when_armed = self.reads;
                    self.sleep.as_mut().reset(tokio::time::Instant::now() + self.timeout);
                }
            }
        }
    }
}

/// Counts the messages relayed to the receiver until it has as many as the
/// sender got acknowledged (known once the sender is done).
async fn receive(mut wire: Wire, expected: oneshot::Receiver<u64>, timeout: Duration) -> Result<u64, String> {
    let payload_len = TEXT_HEADER.len() + 100;
    let mut received = 0u64;
    let mut expected = std::pin::pin!(expected);
    let mut total: Option<u64> = None;
    let mut watchdog = Watchdog::new(timeout);
    loop {
        if total.is_some_and(|total| received >= total) {
            return Ok(received);
        }
        tokio::select! {
            biased;
            read = watchdog.read(&mut wire) => match read {
                Some(Ok(0)) => return Err("the switchboard closed the receiver's connection".into()),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.to_string()),
                None => return Err(format!("{received} messages relayed, then none for {timeout:?}")),
            },
            count = &mut expected, if total.is_none() => {
                total = Some(count.unwrap_or(0));
                continue;
            }
        }
        while let Some((end, length)) = next_frame(&wire.buf)? {
            if wire.buf.starts_with(b"MSG ") {
                if length != payload_len {
                    return Err(format!("a message of {length} bytes arrived; {payload_len} were sent"));
                }
                received += 1;
            }
            wire.buf.advance(end + 2 + length);
        }
    }
}

pub async fn run(target: &Arc<Target>, plan: Plan) -> Result<(), String> {
    let Plan { pairs, in_flight, seconds } = plan;
    if in_flight == 0 {
        return Err("--in-flight must be at least 1".into());
    }
    let timeout = target.config.timeout;
    let mut opened = Vec::with_capacity(pairs);
    for pair in 0..pairs {
        opened.push(open_pair(target, pair).await.map_err(|e| format!("pair {pair}: {e}"))?);
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut senders = JoinSet::new();
    let mut receivers = JoinSet::new();
    let mut sessions = Vec::with_capacity(pairs);
    for Pair { sender, receiver, _sessions } in opened {
        let (told, expected) = oneshot::channel();
        senders.spawn(async move {
            let sent = send_until(sender, in_flight, deadline, timeout).await;
            let _ = told.send(sent.as_ref().map(|s| s.acked).unwrap_or(0));
            sent
        });
        receivers.spawn(receive(receiver, expected, timeout));
        sessions.push(_sessions);
    }
    let (mut acked, mut latencies) = (0u64, Vec::new());
    while let Some(result) = senders.join_next().await {
        let sent = result.map_err(|e| e.to_string())??;
        acked += sent.acked;
        latencies.extend(sent.latencies);
    }
    let elapsed = started.elapsed();
    let mut relayed = 0u64;
    while let Some(result) = receivers.join_next().await {
        relayed += result.map_err(|e| e.to_string())??;
    }
    if relayed != acked {
        return Err(format!("{acked} messages acknowledged but {relayed} relayed"));
    }
    drop(sessions);
    let rate = acked as f64 / elapsed.as_secs_f64();
    let p = percentiles(latencies);
    let text = format!("{pairs} pairs, {in_flight} in flight: {rate:.0} msgs/s; ACK latency {}", describe(&p));
    report(
        target,
        text,
        json!({"scenario": "relay", "pairs": pairs, "in_flight": in_flight,
        "messages_per_second": rate, "ack_latency": p}),
    );
    Ok(())
}
