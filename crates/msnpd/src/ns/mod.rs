//! The Notification Server front: login, contact lists, presence, and
//! invitations to conversations, in each dialect's line format.
//!
//! One task per connection reads a batch of commands, answers them, writes the
//! answers together, and between batches relays the notices the core queues
//! for the session.

mod circles;
mod groups;
mod lists;
mod login;
mod membership;
mod presence;
pub(crate) mod render;
mod session;
mod settings;
mod structured;

use std::sync::Arc;
use std::time::Duration;

use msnp::dialect::{ListCommands, ListSync};
use msnp::{Dialect, ErrorCode, Frame};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::conn::{Connection, Incoming};
use crate::core::hub::{Notice, Online, SessionInbox};
use crate::server::{Context, accept_loop};

/// The dialects the Notification Server speaks.
pub const SUPPORTED: std::ops::RangeInclusive<Dialect> = Dialect::MSNP2..=Dialect::MSNP21;

/// What a listener of the Notification Server front is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The well-known port: `VER`, `CVR` and `INF` as usual, then the first
    /// `USR` is answered with `XFR … NS` naming the Notification Server the
    /// client should sign in on, as the original dispatch server did.
    Dispatch,
    /// Sessions sign in and live here.
    Notification,
}

pub async fn serve(listener: TcpListener, ctx: Arc<Context>, stopped: watch::Receiver<bool>, role: Role) {
    let (name, label) = match role {
        Role::Dispatch => ("dispatch", "DS"),
        Role::Notification => ("ns", "NS"),
    };
    accept_loop(listener, stopped, name, move |stream, peer| {
        // Admitted and set up before the task starts, so that the task holds
        // the session alone: an idle session is mostly its task's memory.
        crate::server::admit(&ctx, peer, label).map(|pending| {
            let mut conn = Connection::tcp(stream, peer, ctx.config.max_payload, ctx.config.trace_protocol, label);
            conn.set_pending(pending);
            run_as(ctx.clone(), conn, role)
        })
    })
    .await;
}

/// Runs one Notification Server session over any byte stream (an in-memory
/// pipe, say) until the client closes it or the session ends.
pub async fn serve_transport(ctx: Arc<Context>, stream: Box<dyn crate::conn::Transport>, peer: std::net::SocketAddr) {
    let conn = Connection::new(stream, peer, ctx.config.max_payload, ctx.config.trace_protocol, "NS");
    run(ctx, conn).await
}

/// What the second `USR` of a login must prove.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Proof {
    /// TWN: a Passport ticket.
    Ticket,
    /// SSO: a ticket and the MBI_KEY response to this nonce.
    SsoTicket { nonce: String },
    /// MD5 (MSNP2-7): the account's MD5(salt || password).
    Md5 { account: i64, hash: String },
    /// MD5 for an account that cannot log in so; refused for `reason`.
    Md5Unusable { reason: &'static str },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Login {
    /// Waiting for `VER`.
    Start,
    /// `VER` done; `CVR` and `USR … I` may follow.
    Negotiated,
    /// `USR … I email` done; waiting for the ticket.
    Authenticating {
        email: String,
        proof: Proof,
    },
    LoggedIn,
}

pub(crate) struct Session {
    ctx: Arc<Context>,
    role: Role,
    conn: Connection,
    dialect: Dialect,
    /// The client offered `CVR0` and so owes a `CVR` before `USR`.
    owes_cvr: bool,
    login: Login,
    online: Option<Arc<Online>>,
    inbox: Option<SessionInbox>,
    /// The machine GUID an MSNP16+ client signed in with (its endpoint).
    machine_guid: Option<String>,
    /// Commands this connection may still send now (800 beyond).
    commands: crate::core::limits::TokenBucket,
    strikes: crate::core::limits::Strikes,
    /// The challenge sent with `CHL` and not answered yet.
    challenge: Option<(String, tokio::time::Instant)>,
    closing: bool,
    /// The client's name and version from `CVR`, for `/metrics`.
    client: Option<(String, String)>,
    /// Counts the session in `/metrics` while it is signed in.
    counted: Option<crate::metrics::SessionGauge>,
    /// MSNP19+: what it has been told of each contact (`NFY PUT` carries all).
    views: Option<Box<structured::Views>>,
    /// MSNP18+: the circles it takes part in.
    circles: Option<Box<circles::Circles>>,
    /// MSNP19+: the referrals the client says it followed (`CVR`'s `XfrCount`).
    xfr_count: u8,
}

/// Runs one Notification Server session over `conn` until it ends.
pub(crate) async fn run(ctx: Arc<Context>, conn: Connection) {
    run_as(ctx, conn, Role::Notification).await
}

/// The session's future holds the session once: built here, outside it
/// (an async fn would keep its arguments beside the session built from them).
pub(crate) fn run_as(ctx: Arc<Context>, mut conn: Connection, role: Role) -> impl Future<Output = ()> + Send {
    conn.metrics = Some(ctx.core.metrics.clone());
    let commands = crate::core::limits::TokenBucket::new(ctx.config.ns_command_rate, ctx.config.ns_command_burst);
    let mut session = Session {
        ctx,
        role,
        conn,
        dialect: *SUPPORTED.end(),
        owes_cvr: false,
        login: Login::Start,
        online: None,
        inbox: None,
        machine_guid: None,
        commands,
        strikes: Default::default(),
        challenge: None,
        closing: false,
        client: None,
        counted: None,
        views: None,
        circles: None,
        xfr_count: 0,
    };
    async move { session.run().await }
}

enum Wake {
    Read(bool),
    Notice(Option<Box<Notice>>),
    Idle,
    ChallengeExpired,
    LoginExpired,
}

async fn next_notice(inbox: &mut Option<SessionInbox>) -> Option<Box<Notice>> {
    match inbox {
        Some(inbox) => inbox.receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// A command's answer that waits (for the store, another node…).
type Waiting<'a> = std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

impl Session {
    async fn run(&mut self) {
        let idle = self.conn.idle_limit(Duration::from_secs(self.ctx.config.idle_timeout_secs));
        let challenge_limit = self.ctx.config.challenge_timeout_secs;
        let login_due = self.conn.login_deadline(Duration::from_secs(self.ctx.config.ns_login_timeout_secs));
        loop {
            while !self.closing {
                let frame = match self.conn.next_buffered() {
                    Some(Incoming::Frame(frame)) => frame,
                    Some(Incoming::Message(message)) => message.into_frame(),
                    Some(Incoming::Malformed(error)) => {
                        self.closing |= self.conn.reject(&error);
                        continue;
                    }
                    // Another node's client; a `PXY` that is not one is answered as any unknown command.
                    Some(Incoming::PassedOn(frame)) => {
                        match crate::server::take_passed_on(&self.ctx, &mut self.conn, &frame) {
                            crate::server::PassedOn::Taken => continue,
                            crate::server::PassedOn::NotOurs => frame,
                            crate::server::PassedOn::Refused => {
                                self.closing = true;
                                continue;
                            }
                        }
                    }
                    None => break,
                };
                if let Some(waiting) = self.dispatch(frame) {
                    waiting.await
                }
            }
            if !self.conn.flush().await || self.closing {
                break;
            }
            // One timer for the three deadlines: an idle session's task stays small.
            let partial = self.conn.partial_deadline(Duration::from_secs(self.ctx.config.command_timeout_secs));
            let challenge_due = match &self.challenge {
                Some((_, sent)) if challenge_limit > 0 => Some(*sent + Duration::from_secs(challenge_limit)),
                _ => None,
            };
            let idle_due = tokio::time::Instant::now() + idle;
            let login_pending = (self.login != Login::LoggedIn).then_some(login_due);
            let deadline = [partial, challenge_due, login_pending].into_iter().flatten().fold(idle_due, std::cmp::min);
            let wake = {
                let conn = &mut self.conn;
                let inbox = &mut self.inbox;
                tokio::select! {
                    more = conn.read_more() => Wake::Read(more),
                    notice = next_notice(inbox) => Wake::Notice(notice),
                    _ = tokio::time::sleep_until(deadline) => match (login_pending, challenge_due) {
                        (Some(due), _) if due <= deadline => Wake::LoginExpired,
                        (_, Some(due)) if due <= deadline => Wake::ChallengeExpired,
                        _ => Wake::Idle,
                    },
                }
            };
            match wake {
                Wake::Read(true) => {}
                Wake::Read(false) | Wake::Notice(None) => break,
                Wake::Notice(Some(notice)) => self.on_notice(*notice),
                Wake::Idle => {
                    tracing::info!(peer = %self.conn.peer, "closing idle NS connection");
                    break;
                }
                Wake::LoginExpired => {
                    tracing::info!(peer = %self.conn.peer, "closing NS connection: not signed in within ns_login_timeout_secs");
                    break;
                }
                Wake::ChallengeExpired => {
                    tracing::info!(peer = %self.conn.peer, "closing NS connection: challenge unanswered");
                    self.conn.send(&Frame::new("OUT"));
                    self.closing = true;
                }
            }
            self.take_queued_notices();
            if self.inbox.as_ref().is_some_and(|inbox| inbox.overflowed.load(std::sync::atomic::Ordering::Relaxed)) {
                break;
            }
        }
        self.conn.shutdown().await;
        self.leave_circles();
        if let (Some(online), Some(inbox)) = (self.online.take(), self.inbox.take()) {
            self.ctx.core.sign_out(&online, inbox.id);
        }
    }

    /// Notices already queued join the next write (see the switchboard's
    /// `take_queued_events`).
    fn take_queued_notices(&mut self) {
        for _ in 0..crate::conn::COALESCE_LIMIT {
            if self.closing {
                return;
            }
            let Some(notice) =
                self.inbox.as_mut().and_then(|inbox| inbox.receiver.try_recv().ok()).map(|notice| *notice)
            else {
                return;
            };
            self.on_notice(notice);
        }
    }

    /// Sends `code` for the command with this TrID (0 when it had none).
    fn error(&mut self, code: ErrorCode, trid: u32) {
        self.conn.send(&Frame::error(code, trid));
    }

    fn send(&mut self, frame: Frame) {
        self.conn.send(&frame);
    }

    /// Answers a command: at once when its handler does not wait, else in
    /// a boxed future (the waiting handlers' futures are large, and an idle
    /// session would otherwise carry room for the largest one; most
    /// commands of a login wait for nothing and allocate no future).
    fn dispatch(&mut self, frame: Frame) -> Option<Waiting<'_>> {
        self.answer(frame).map(|(trid, frame)| self.answer_waiting(trid, frame))
    }

    /// Answers what needs no waiting; returns the command otherwise.
    fn answer(&mut self, frame: Frame) -> Option<(u32, Frame)> {
        if !self.commands.take() {
            self.error(ErrorCode::RateLimited, frame.trid().unwrap_or(0));
            if self.strikes.strike(self.ctx.config.abuse_strikes) {
                tracing::info!(peer = %self.conn.peer, "closing NS connection: persistently over its command rate");
                self.closing = true;
            }
            return None;
        }
        // Commands without a TrID.
        match frame.command.as_str() {
            "OUT" => {
                self.closing = true;
                return None;
            }
            "PNG" => {
                self.png();
                return None;
            }
            _ => {}
        }
        let Some(trid) = frame.trid() else {
            // Nothing to tie an answer to: say so with TrID 0.
            self.error(ErrorCode::SyntaxError, 0);
            return None;
        };
        let logged_in = self.login == Login::LoggedIn;
        match frame.command.as_str() {
            "VER" => self.ver(trid, &frame),
            // Nothing but VER makes sense before the dialect is known.
            _ if self.login == Login::Start => self.error(ErrorCode::NotExpected, trid),
            "CVR" => self.cvr(trid, &frame),
            "USR" => return Some((trid, frame)),
            "INF" if self.dialect.has_inf() => self.inf(trid),
            command if !self.command_exists(command) => self.error(ErrorCode::SyntaxError, trid),
            _ if !logged_in => self.error(ErrorCode::NotLoggedIn, trid),
            "UUX" => self.uux(trid, &frame),
            "XFR" => self.xfr(trid, &frame),
            "QRY" => self.qry(trid, &frame),
            "GCF" => self.gcf(trid, &frame),
            "UUN" => self.uun(trid, &frame),
            "UUM" => self.error(ErrorCode::UnroutableUser, trid),
            "IMS" => self.ims(trid, &frame),
            "SND" | "SDC" => self.invite_by_email(trid, &frame),
            "URL" => self.url(trid, &frame),
            "SYN" | "ADD" | "ADC" | "REM" | "ADG" | "RMG" | "REG" | "BLP" | "GTC" | "PRP" | "REA" | "SBP" | "CHG"
            | "ADL" | "RML" | "FQY" | "PUT" | "SDG" => return Some((trid, frame)),
            _ => self.error(ErrorCode::SyntaxError, trid),
        }
        None
    }

    /// The commands whose handlers wait (for the store, another node…).
    /// Each handler in a box of its own size: one future type for all would
    /// be as large as the largest (≈ 2.9 KB), and a login's `SYN` and `CHG`
    /// would each take a block too large for the allocator's thread cache.
    fn answer_waiting(&mut self, trid: u32, frame: Frame) -> Waiting<'_> {
        macro_rules! boxed {
            ($handler:ident) => {
                Box::pin(async move { self.$handler(trid, &frame).await })
            };
        }
        match frame.command.as_str() {
            "USR" => boxed!(usr),
            "SYN" => boxed!(syn),
            "ADD" => boxed!(add),
            "ADC" => boxed!(adc),
            "REM" => boxed!(rem),
            "ADG" => boxed!(adg),
            "RMG" => boxed!(rmg),
            "REG" => boxed!(reg),
            "BLP" => boxed!(blp),
            "GTC" => boxed!(gtc),
            "PRP" => boxed!(prp),
            "REA" => boxed!(rea),
            "SBP" => boxed!(sbp),
            "CHG" => boxed!(chg),
            "ADL" => boxed!(adl),
            "RML" => boxed!(rml),
            "FQY" => boxed!(fqy),
            "PUT" => boxed!(put),
            "SDG" => boxed!(sdg),
            _ => {
                self.error(ErrorCode::SyntaxError, trid);
                Box::pin(std::future::ready(()))
            }
        }
    }

    /// Whether the negotiated dialect has this command (else: 200).
    fn command_exists(&self, command: &str) -> bool {
        let d = self.dialect;
        match command {
            "BLP" | "CHG" | "XFR" | "URL" => true,
            "SYN" | "GTC" => d.list_sync() != ListSync::AddressBook,
            "REM" => d.list_commands() != ListCommands::AdlRml,
            "ADL" | "RML" => d.list_commands() == ListCommands::AdlRml,
            "FQY" | "UUM" => d.has_fqy(),
            "UUN" => d.has_uun(),
            "ADD" => d.has_list_versions(),
            "ADG" | "RMG" | "REG" => d.has_groups(),
            "REA" => d.renames_with_rea(),
            "PRP" => d.has_phone_properties(),
            "ADC" | "SBP" => !d.has_list_versions(),
            "QRY" => d.challenge().is_some(),
            "UUX" => d.has_uux(),
            "PUT" | "SDG" => d.has_structured_messages() || d.has_circles(),
            "GCF" => d.gcf_form().is_some(),
            "IMS" => d.has_ims(),
            "SND" => d.has_snd(),
            "SDC" => d.has_sdc(),
            _ => false,
        }
    }

    fn me(&self) -> Option<Arc<Online>> {
        self.online.clone()
    }
}
