//! The whole-session check, shared by the `session` fuzz target and the
//! replay test in `crates/msnpd/tests/fuzz_session_replay.rs`.
//!
//! An in-process Notification Server (fresh in-memory database each case) runs
//! two sessions over in-memory pipes: a witness, signed in and idle, and the
//! fuzzed client. The first input byte picks the dialect (its low bits) and
//! whether the harness signs the client in first (high bit clear) or hands the
//! raw bytes to a fresh connection (high bit set). The rest is what the client
//! sends. The check fails (panics) when:
//! - the session task panics;
//! - the session does not end once its client has closed the connection;
//! - afterwards the witness no longer answers `PNG` (a deadlock, a poisoned
//!   lock, a session killed by someone else's input), or the fuzzed account
//!   can no longer sign in.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::BytesMut;
use msnp::codec::{Decoder, Direction, Limits};
use msnp::{Dialect, Frame};
use msnpd::config::Config;
use msnpd::core::tickets::TicketScope;
use msnpd::server::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

const FUZZED: &str = "fuzz@example.com";
const WITNESS: &str = "witness@example.com";
const PASSWORD: &str = "fuzz-password";
const MACHINE_GUID: &str = "{F52973B6-C926-4BAD-9BA8-7C1E840E4AB0}";
/// How long any awaited answer may take before the case counts as hung.
const PATIENCE: Duration = Duration::from_secs(10);
/// In-memory pipe capacity each way.
const PIPE: usize = 64 * 1024;

/// Runs one case; panics on a finding.
pub fn check_session(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    // The dialects the Notification Server speaks (a selector picks one).
    let dialects: Vec<Dialect> = Dialect::all().filter(|d| msnpd::ns::SUPPORTED.contains(d)).collect();
    let dialect = dialects[usize::from(selector & 0x7f) % dialects.len()];
    let signed_in = selector & 0x80 == 0;
    runtime().block_on(run_case(dialect, signed_in, input));
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime"))
}

/// A database of its own for each case, gone when its last connection closes.
fn memory_database() -> String {
    static CASES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let case = CASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("sqlite:file:msnpd-fuzz-{case}?mode=memory&cache=shared")
}

fn config() -> Config {
    Config {
        database: memory_database(),
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        // A fuzz case is one client sending as fast as it can; rate limits would
        // answer 800 to nearly everything and hide the handlers behind them.
        ns_command_burst: 1_000_000.0,
        sb_message_burst: 1_000_000.0,
        ..Config::default()
    }
}

async fn run_case(dialect: Dialect, signed_in: bool, input: &[u8]) {
    let ctx = Context::detached(config()).await.expect("an in-memory service");
    for email in [FUZZED, WITNESS] {
        let account = ctx.core.create_account(email, PASSWORD, None).await.expect("account");
        ctx.core.set_legacy_md5(account.id, Some(PASSWORD)).await.expect("MD5 secret");
    }
    let (mut witness, witness_task) = connect(&ctx, 1);
    sign_in(&ctx, &mut witness, dialect, WITNESS).await;
    let mut witness = witness.drain();

    let (mut fuzzed, fuzzed_task) = connect(&ctx, 2);
    if signed_in {
        sign_in(&ctx, &mut fuzzed, dialect, FUZZED).await;
    }
    let (reader, mut writer) = tokio::io::split(fuzzed.stream);
    let discard = tokio::spawn(discard_all(reader));
    // The server may stop reading (OUT, a fatal frame): a failed write is fine.
    let _ = writer.write_all(input).await;
    let _ = writer.shutdown().await;
    drop(writer);
    match tokio::time::timeout(PATIENCE, fuzzed_task).await {
        Err(_) => panic!("the session did not end after its client closed the connection"),
        Ok(Err(error)) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Ok(_) => {}
    }
    discard.abort();

    witness_still_answers(&mut witness).await;
    let (mut again, again_task) = connect(&ctx, 3);
    sign_in(&ctx, &mut again, dialect, FUZZED).await;
    drop(again);
    let _ = witness.writer.shutdown().await;
    for task in [witness_task, again_task] {
        if let Ok(Err(error)) = tokio::time::timeout(PATIENCE, task).await
            && error.is_panic()
        {
            std::panic::resume_unwind(error.into_panic());
        }
    }
    ctx.core.store.close().await;
}

/// The client end of an in-memory connection, with the session task serving it.
struct Client {
    stream: DuplexStream,
    input: BytesMut,
    decoder: Decoder,
}

struct Drained {
    writer: tokio::io::WriteHalf<DuplexStream>,
    commands: mpsc::UnboundedReceiver<String>,
}

impl Client {
    async fn send(&mut self, line: &str) {
        let sent = self.stream.write_all(format!("{line}\r\n").as_bytes()).await;
        sent.expect("the server reads during login");
    }

    async fn frame(&mut self) -> Frame {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.input).expect("the server sends valid frames") {
                return frame;
            }
            let read = tokio::time::timeout(PATIENCE, self.stream.read_buf(&mut self.input)).await;
            let read = read.expect("the server answers in time").expect("the pipe reads");
            assert!(read > 0, "the server closed the connection during login");
        }
    }

    /// Frames up to the first whose command is `USR`.
    async fn usr(&mut self) -> Frame {
        loop {
            let frame = self.frame().await;
            match frame.command.as_str() {
                "USR" => return frame,
                command if command.bytes().all(|b| b.is_ascii_digit()) => panic!("sign-in refused: {frame}"),
                _ => {}
            }
        }
    }

    /// Keeps reading everything the server sends, passing the commands on.
    fn drain(self) -> Drained {
        let Client { stream, mut input, mut decoder } = self;
        let (mut reader, writer) = tokio::io::split(stream);
        let (sender, commands) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                while let Ok(Some(frame)) = decoder.decode(&mut input) {
                    let _ = sender.send(frame.command.to_string());
                }
                match reader.read_buf(&mut input).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        });
        Drained { writer, commands }
    }
}

fn connect(ctx: &Arc<Context>, host: u8) -> (Client, tokio::task::JoinHandle<()>) {
    let (client, server) = tokio::io::duplex(PIPE);
    let peer = SocketAddr::from(([127, 0, 0, host], 40000));
    let task = tokio::spawn(msnpd::ns::serve_transport(ctx.clone(), Box::new(server), peer));
    let decoder = Decoder::new(Direction::ServerToClient, Limits::default());
    (Client { stream: client, input: BytesMut::new(), decoder }, task)
}

/// Signs `email` in the way `dialect` does: MD5 (2–7), TWN (8–14) or SSO (15+),
/// with tickets issued as the Passport service would.
async fn sign_in(ctx: &Context, client: &mut Client, dialect: Dialect, email: &str) {
    let version = dialect.version();
    client.decoder.set_dialect(dialect);
    client.send(&format!("VER 1 MSNP{version} CVR0")).await;
    client.send(&format!("CVR 2 0x0409 winnt 6.1.0 i386 MSNMSGR 14.0.8117.0416 msmsgs {email}")).await;
    let account = ctx.core.store.account_by_email(email).await.expect("store").expect("account");
    let ok = if version <= 7 {
        client.send(&format!("USR 3 MD5 I {email}")).await;
        let offer = client.usr().await;
        let salt = offer.params.last().expect("a salt");
        client.send(&format!("USR 4 MD5 S {}", msnp::auth::md5_login_response(salt, PASSWORD))).await;
        client.usr().await
    } else if version <= 14 {
        client.send(&format!("USR 3 TWN I {email}")).await;
        client.usr().await;
        let (ticket, _) = ctx.core.tickets.issue(&account, TicketScope::Messenger, false);
        client.send(&format!("USR 4 TWN S t={ticket}&p=")).await;
        client.usr().await
    } else {
        client.send(&format!("USR 3 SSO I {email}")).await;
        let offer = client.usr().await;
        let nonce = offer.params.last().expect("a nonce");
        let (ticket, secret) = ctx.core.tickets.issue(&account, TicketScope::Messenger, true);
        let response = msnp::auth::mbi::response(&secret.unwrap_or_default(), nonce, [1; 8]);
        client.send(&format!("USR 4 SSO S t={ticket}&p= {response} {MACHINE_GUID}")).await;
        client.usr().await
    };
    assert_eq!(ok.params.get(1), Some("OK"), "sign-in failed: {ok}");
}

async fn discard_all(mut reader: tokio::io::ReadHalf<DuplexStream>) {
    let mut sink = vec![0; 8192];
    while matches!(reader.read(&mut sink).await, Ok(n) if n > 0) {}
}

async fn witness_still_answers(witness: &mut Drained) {
    witness.writer.write_all(b"PNG\r\n").await.expect("the witness session is still open");
    let answered = tokio::time::timeout(PATIENCE, async {
        while let Some(command) = witness.commands.recv().await {
            if command == "QNG" {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(answered, Ok(true), "the witness session stopped answering after the fuzzed session");
}
