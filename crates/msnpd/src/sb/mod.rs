//! The Switchboard front: conversations. A connection signs in with a cookie
//! (`USR` to open one, `ANS` to join one), invites (`CAL`), and sends `MSG`s
//! that the core relays to the other participants.

mod join;
mod outlet;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use msnp::text::encode_param;
use msnp::{Dialect, ErrorCode, Frame};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::conn::{Connection, Incoming};
use crate::core::accounts::normalize_email;
use crate::core::switchboard::{ConversationEvent, Member, Seat, SwitchboardError};
use crate::ns::render::caps_text;
use crate::server::{Context, accept_loop};

pub async fn serve(listener: TcpListener, ctx: Arc<Context>, stopped: watch::Receiver<bool>) {
    accept_loop(listener, stopped, "sb", move |stream, peer| {
        crate::server::admit(&ctx, peer, "SB").map(|pending| {
            // The decoder accepts any payload up to the general limit, so that an
            // oversized MSG can be refused with an answer instead of a cut connection.
            let mut conn =
                Connection::shared_tcp(stream, peer, ctx.config.max_payload, ctx.config.trace_protocol, "SB");
            conn.set_pending(pending);
            run(ctx.clone(), conn)
        })
    })
    .await;
}

struct Session {
    ctx: Arc<Context>,
    conn: Connection,
    /// The dialect of the Notification Server session the cookie came from.
    dialect: Dialect,
    account: Option<i64>,
    seat: Option<Seat>,
    closing: bool,
    /// Leaving because the server timed the participant out (`BYE email 1`).
    timed_out: bool,
    strikes: crate::core::limits::Strikes,
    /// The sender of the last message relayed to this client, and its name
    /// as the wire carries it.
    last_sender: outlet::SenderName,
    /// Messages read and allowed but not yet relayed, their answers (trid,
    /// ack kind) and payloads: those of one read go to each recipient as one
    /// event, and are relayed before anything after them is answered. Both
    /// keep their capacity from read to read.
    answers: Vec<(u32, u8)>,
    payloads: Vec<bytes::Bytes>,
    /// The account's message allowance, taken at its first message.
    bucket: Option<crate::core::switchboard::MessageBucket>,
    /// Tokens taken from the allowance for this turn's messages and not yet
    /// used: a run of messages locks the allowance a few times instead of
    /// once each; what is left goes back at the end of the turn.
    tokens: u32,
    /// The time of this turn's messages, read once for all of them.
    read_at: Option<std::time::Instant>,
    /// Where others' messages are written straight to this client between
    /// its turns (TCP only), and how many of its queued events this turn took.
    outlet: Option<Arc<outlet::DirectOutput>>,
    events_taken: usize,
}

/// Runs one switchboard session over `conn` until it ends.
/// Built outside the session's future, which then holds the session once.
pub(crate) fn run(ctx: Arc<Context>, mut conn: Connection) -> impl Future<Output = ()> + Send {
    conn.metrics = Some(ctx.core.metrics.clone());
    conn.fast_messages = true;
    let mut session = Session {
        ctx,
        conn,
        dialect: Dialect::MSNP12,
        account: None,
        seat: None,
        closing: false,
        timed_out: false,
        strikes: Default::default(),
        last_sender: outlet::SenderName::default(),
        answers: Vec::new(),
        payloads: Vec::new(),
        bucket: None,
        tokens: 0,
        read_at: None,
        outlet: None,
        events_taken: 0,
    };
    async move { session.run().await }
}

async fn next_event(seat: &mut Option<Seat>) -> Option<ConversationEvent> {
    match seat {
        Some(seat) => seat.events.recv().await,
        None => std::future::pending().await,
    }
}

enum Wake {
    Read(bool),
    Event(Option<ConversationEvent>),
    /// The session's timer: idle or not signed in in time, unless it fired early.
    Idle,
    /// An unfinished command waited too long for its rest.
    Timeout,
}

/// How much later a deadline may move before the timer is moved with it.
const TIMER_SLACK: Duration = Duration::from_secs(1);

impl Session {
    async fn run(&mut self) {
        let login_timeout = Duration::from_secs(self.ctx.config.switchboard_login_timeout_secs);
        let idle = self.conn.idle_limit(Duration::from_secs(self.ctx.config.idle_timeout_secs));
        // One timer for the session. Moving it costs a trip through the
        // wheel, so a turn moves it only when the deadline comes sooner or
        // later by more than `TIMER_SLACK`; one that fires early is moved on
        // then.
        let mut deadline = self.conn.login_deadline(login_timeout);
        let timer = tokio::time::sleep_until(deadline);
        tokio::pin!(timer);
        // Whether the last wake was the client's or its conversation's doing
        // (and so moves the idle deadline).
        let mut active = true;
        loop {
            while !self.closing {
                let incoming = self.conn.next_buffered();
                if !matches!(incoming, Some(Incoming::Message(_))) {
                    self.relay_batch();
                }
                match incoming {
                    Some(Incoming::Frame(frame)) => self.dispatch(frame).await,
                    Some(Incoming::Message(message)) if self.seat.is_some() => {
                        self.relay(message.trid, message.kind, message.payload)
                    }
                    Some(Incoming::Message(message)) => self.error(ErrorCode::NotLoggedIn, message.trid),
                    Some(Incoming::Malformed(error)) => self.closing |= self.conn.reject(&error),
                    Some(Incoming::PassedOn(frame)) => self.passed_on(frame).await,
                    None => break,
                }
            }
            self.relay_batch();
            self.give_back_tokens();
            // The time this turn's messages were read at, if read, serves the idle deadline too.
            let read_at = self.read_at.take();
            if !self.conn.flush().await || self.closing {
                break;
            }
            // Before signing in the deadline is fixed from the connection's
            // start: commands sent meanwhile do not extend it.
            if active {
                deadline = match self.seat {
                    Some(_) => read_at.map_or_else(tokio::time::Instant::now, tokio::time::Instant::from_std) + idle,
                    None => self.conn.login_deadline(login_timeout),
                };
                let set = timer.deadline();
                if deadline < set || deadline > set + TIMER_SLACK {
                    timer.as_mut().reset(deadline);
                }
            }
            let partial = self.conn.partial_deadline(Duration::from_secs(self.ctx.config.command_timeout_secs));
            if let Some(outlet) = &self.outlet {
                outlet.release(std::mem::take(&mut self.events_taken));
            }
            let wake = {
                let conn = &mut self.conn;
                let seat = &mut self.seat;
                // In a fixed order (no random draw per turn): events left
                // behind by a busy reader are taken after every turn anyway.
                tokio::select! {
                    biased;
                    event = next_event(seat) => Wake::Event(event),
                    more = conn.read_more() => Wake::Read(more),
                    _ = &mut timer => Wake::Idle,
                    _ = crate::conn::until(partial) => Wake::Timeout,
                }
            };
            active = true;
            if let Some(outlet) = &self.outlet {
                let claimed = outlet.claim();
                // Messages written through the outlet kept the conversation active.
                if let Some(at) = claimed.written_at {
                    deadline = deadline.max(tokio::time::Instant::from_std(at) + idle);
                }
                if !claimed.rest.is_empty() {
                    self.conn.send_raw(claimed.rest);
                }
            }
            match wake {
                Wake::Idle if tokio::time::Instant::now() < deadline => {
                    timer.as_mut().reset(deadline);
                    active = false;
                    continue;
                }
                Wake::Read(true) => {}
                Wake::Read(false) | Wake::Event(None) => break,
                Wake::Event(Some(event)) => {
                    self.events_taken += 1;
                    self.on_event(event);
                }
                Wake::Idle | Wake::Timeout => {
                    self.timed_out = true;
                    break;
                }
            }
            self.take_queued_events();
            if self.seat.as_ref().is_some_and(|seat| seat.overflowed.load(Ordering::Relaxed)) {
                self.timed_out = true;
                break;
            }
        }
        // Leave before closing, so a client that sees the close can count on its place being free.
        if let Some(seat) = self.seat.take() {
            self.ctx.core.switchboards.leave(&seat, self.timed_out);
        }
        self.conn.shutdown().await;
    }

    fn error(&mut self, code: ErrorCode, trid: u32) {
        self.conn.send(&Frame::error(code, trid));
    }

    /// Another node's client (see `server::take_passed_on`); a `PXY` that
    /// is not one is answered as any unknown command.
    async fn passed_on(&mut self, frame: Frame) {
        match crate::server::take_passed_on(&self.ctx, &mut self.conn, &frame) {
            crate::server::PassedOn::Taken => {}
            crate::server::PassedOn::NotOurs => self.dispatch(frame).await,
            crate::server::PassedOn::Refused => self.closing = true,
        }
    }

    /// Events already queued join the next write: under load one write
    /// carries many messages instead of one system call each.
    fn take_queued_events(&mut self) {
        for _ in 0..crate::conn::COALESCE_LIMIT {
            if self.closing {
                return;
            }
            let Some(event) = self.seat.as_mut().and_then(|seat| seat.events.try_recv().ok()) else {
                return;
            };
            self.events_taken += 1;
            self.on_event(event);
        }
    }

    async fn dispatch(&mut self, frame: Frame) {
        if frame.command == "OUT" {
            self.closing = true;
            return;
        }
        let Some(trid) = frame.trid() else {
            return self.error(ErrorCode::SyntaxError, 0);
        };
        match frame.command.as_str() {
            "USR" => self.usr(trid, &frame).await,
            "ANS" => self.ans(trid, &frame).await,
            "CAL" | "MSG" if self.seat.is_none() => self.error(ErrorCode::NotLoggedIn, trid),
            "CAL" => self.cal(trid, &frame).await,
            "MSG" => self.msg(trid, &frame),
            _ => self.error(ErrorCode::SyntaxError, trid),
        }
    }

    /// `CAL n email` → `CAL n RINGING session`.
    async fn cal(&mut self, trid: u32, frame: &Frame) {
        let (Some(seat), Some(account)) = (&self.seat, self.account) else {
            return;
        };
        let Some(email) = frame.params.get(1).and_then(normalize_email) else {
            return self.error(ErrorCode::InvalidUsername, trid);
        };
        match self.ctx.core.invite(seat, account, &email).await {
            Ok(session_id) => {
                self.conn.send(&Frame::with_params("CAL", [trid.to_string(), "RINGING".into(), session_id.to_string()]))
            }
            Err(error) => {
                let code = match error {
                    SwitchboardError::UnknownUser => ErrorCode::InvalidUsername,
                    SwitchboardError::Unavailable => ErrorCode::NotAcceptingIms,
                    SwitchboardError::AlreadyPresent => ErrorCode::AlreadyInList,
                    SwitchboardError::Hidden => ErrorCode::NotAllowedWhenHidden,
                    SwitchboardError::Full
                    | SwitchboardError::Ended
                    | SwitchboardError::BadCookie
                    | SwitchboardError::TooManyConversations
                    | SwitchboardError::Overloaded => ErrorCode::SwitchboardFailed,
                    SwitchboardError::Service(error) => {
                        tracing::error!(%error, "CAL failed");
                        ErrorCode::InternalServerError
                    }
                };
                self.error(code, trid);
            }
        }
    }

    /// `MSG n U|N|A|D len` → relayed as `MSG email friendly len`; `ACK`/`NAK` by the ack type.
    fn msg(&mut self, trid: u32, frame: &Frame) {
        let kind = match frame.params.get(1).map(str::as_bytes) {
            Some(&[kind]) if frame.params.len() == 2 => kind,
            _ => return self.error(ErrorCode::InvalidParameter, trid),
        };
        self.relay(trid, kind, frame.payload.clone().unwrap_or_default());
    }

    /// `MSG trid kind` (`U`, `N`, `A`, or `D` in MSNP9+): relays the payload
    /// and answers `ACK`/`NAK` as the kind asks.
    fn relay(&mut self, trid: u32, kind: u8, payload: bytes::Bytes) {
        if self.seat.is_none() {
            return;
        }
        let valid = match kind {
            b'U' | b'N' | b'A' => true,
            b'D' => self.dialect.has_data_messages(),
            _ => false,
        };
        if !valid || payload.len() > self.ctx.config.max_message {
            // Answered in order: what was read before it first.
            self.relay_batch();
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        if let Some(account) = self.account
            && self.tokens == 0
        {
            // The first message of a turn takes one token; a second suggests a run.
            let wanted = if self.read_at.is_some() { 16 } else { 1 };
            let now = *self.read_at.get_or_insert_with(std::time::Instant::now);
            self.tokens = self
                .bucket
                .get_or_insert_with(|| self.ctx.core.switchboards.message_bucket(account))
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take_up_to(now, wanted);
        }
        if self.account.is_some() && self.tokens == 0 {
            self.relay_batch();
            self.error(ErrorCode::UserTooActive, trid);
            if self.strikes.strike(self.ctx.config.abuse_strikes) {
                tracing::info!(peer = %self.conn.peer, "closing SB connection: persistently over its message rate");
                self.closing = true;
            }
            return;
        }
        self.tokens = self.tokens.saturating_sub(1);
        self.answers.push((trid, kind));
        self.payloads.push(payload);
        if self.answers.len() >= crate::conn::COALESCE_LIMIT {
            self.relay_batch();
        }
    }

    /// Returns the tokens this turn took and did not use.
    fn give_back_tokens(&mut self) {
        if let (Some(bucket), tokens @ 1..) = (&self.bucket, std::mem::take(&mut self.tokens)) {
            bucket.lock().unwrap_or_else(|e| e.into_inner()).give_back(tokens);
        }
    }

    /// Relays the messages read so far and answers each as its kind asks
    /// (`ACK`/`NAK`).
    fn relay_batch(&mut self) {
        let (Some(seat), false) = (&self.seat, self.answers.is_empty()) else { return };
        let at = *self.read_at.get_or_insert_with(std::time::Instant::now);
        let delivered = self.ctx.core.switchboards.relay_all(seat, &self.payloads, at);
        self.payloads.clear();
        if delivered {
            self.ctx.core.metrics.messages_relayed.inc_by(self.answers.len() as u64);
        }
        self.conn.reserve(self.answers.len() * "ACK 4294967295\r\n".len());
        for (trid, kind) in self.answers.drain(..) {
            match (kind, delivered) {
                (b'A' | b'D', true) => self.conn.send_reply("ACK", trid),
                (b'A' | b'D' | b'N', false) => self.conn.send_reply("NAK", trid),
                _ => {}
            }
        }
    }

    /// A participant's handle for this client: `email;{guid}` for an
    /// endpoint when asked and the dialect has endpoints, else the email.
    fn handle(&self, member: &Member, endpoint: bool) -> String {
        match &member.machine {
            Some(machine) if endpoint && self.dialect.has_mpop() => format!("{};{machine}", member.email),
            _ => member.email.clone(),
        }
    }

    fn joined(&mut self, handle: String, member: &Member) {
        let mut params = vec![handle, encode_param(&member.friendly_name)];
        if self.dialect.switchboard_has_caps() {
            params.push(caps_text(self.dialect, member.caps));
        }
        self.conn.send(&Frame::with_params("JOI", params));
    }

    fn on_event(&mut self, event: ConversationEvent) {
        match event {
            // MSNP16+ sees each endpoint join, and the account itself with its first endpoint.
            ConversationEvent::Joined { member, first } => {
                let endpoint = self.dialect.has_mpop() && member.machine.is_some();
                if endpoint {
                    let handle = self.handle(&member, true);
                    self.joined(handle, &member);
                }
                if first {
                    self.joined(member.email.clone(), &member);
                }
            }
            ConversationEvent::Left { email, machine, idle, last } => {
                let flag = |mut params: Vec<String>| {
                    if idle {
                        params.push("1".into());
                    }
                    params
                };
                if let Some(machine) = machine.filter(|_| self.dialect.has_mpop()) {
                    self.conn.send(&Frame::with_params("BYE", flag(vec![format!("{email};{machine}")])));
                }
                if last {
                    self.conn.send(&Frame::with_params("BYE", flag(vec![email])));
                }
            }
            ConversationEvent::Message { sender, payload } => self.relayed(sender, std::slice::from_ref(&payload)),
            ConversationEvent::Messages { sender, payloads } => self.relayed(sender, &payloads),
            // The switchboard has no word for it; the original closed the
            // connection of a participant it let go.
            ConversationEvent::Dismissed => self.closing = true,
            // The outlet's rest was taken with the turn (`claim`).
            ConversationEvent::Flush => {}
        }
    }

    /// Writes messages relayed to this client.
    fn relayed(&mut self, sender: Arc<Member>, payloads: &[bytes::Bytes]) {
        let name = self.last_sender.of(&sender);
        let header = "MSG  \r\n".len() + sender.email.len() + name.len() + 6;
        self.conn.reserve(payloads.iter().map(|payload| header + payload.len()).sum());
        for payload in payloads {
            self.conn.send_with_payload(&["MSG", &sender.email, name], payload);
        }
    }
}
