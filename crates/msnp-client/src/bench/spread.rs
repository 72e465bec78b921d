//! The connections scenario, spread over several load-generator processes
//! when one would run out of open files: each worker process signs in its
//! share of the accounts from its own source address (127.0.0.2–9), says so
//! on stdout, and holds its sessions until its stdin closes.

use std::net::IpAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::{Target, comeback, describe, login_many, percentiles, report, rss_total};

/// Sessions one worker process holds at most: a process may open 20,000
/// files here, and each session is one.
const SESSIONS_PER_PROCESS: usize = 9_000;

/// How long a worker may take to sign in its share.
const WORKER_LOGIN_LIMIT: Duration = Duration::from_secs(600);

#[derive(clap::Args, Clone)]
pub struct ConnectionsArgs {
    #[arg(long)]
    count: usize,
    /// Logins at once (shared among the processes).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// The server's process id, to read its memory (RSS) from /proc; given
    /// once per node when the server is several processes (their RSS is summed).
    #[arg(long = "server-pid")]
    server_pids: Vec<u32>,
    /// Seconds to hold the sessions before measuring.
    #[arg(long, default_value_t = 2)]
    hold: u64,
    /// Load-generator processes; 0 picks one per 9,000 sessions.
    #[arg(long, default_value_t = 0)]
    processes: usize,
    /// Sessions the server drops sign in again through the address given
    /// (as real clients do), and the report says how long that took and how
    /// many attempts failed: run it and stop or kill a node meanwhile.
    #[arg(long)]
    come_back: bool,
    /// Set by the parent: this process is a worker whose share starts at this account.
    #[arg(long, hide = true)]
    worker_first: Option<usize>,
    /// Set by the parent: the address a worker's connections leave from.
    #[arg(long, hide = true)]
    source: Option<IpAddr>,
}

pub async fn connections(target: Arc<Target>, args: ConnectionsArgs) -> Result<(), String> {
    if let Some(first) = args.worker_first {
        return worker(target, &args, first).await;
    }
    let processes = if args.processes == 0 { args.count.div_ceil(SESSIONS_PER_PROCESS) } else { args.processes };
    if processes <= 1 && !args.come_back {
        return in_process(target, &args).await;
    }
    spread(target, &args, processes).await
}

/// How long the server gets to settle after the warm-up.
const SETTLE: Duration = Duration::from_secs(1);

/// How long the server gets to hand memory back after the sessions closed
/// (msnpd looks every 5 s).
const AFTER_CLOSE: Duration = Duration::from_secs(6);

/// Signs in and out as many accounts as log in at once, so that what a first
/// burst of logins costs the server once (code paged in, database
/// connections and threads started) is not counted per session. Returns the
/// server's RSS before it.
async fn warm_up(target: &Arc<Target>, args: &ConnectionsArgs) -> Result<Option<u64>, String> {
    let fresh = rss_total(&args.server_pids);
    let (clients, _) = login_many(args.concurrency.min(args.count), args.concurrency, |index| {
        let target = target.clone();
        async move { target.login(index).await.map_err(|e| format!("{}: {e}", target.email(index))) }
    })
    .await?;
    sign_out(clients).await;
    tokio::time::sleep(SETTLE).await;
    Ok(fresh)
}

/// Signs every client out (`OUT`: the server closes the connection).
async fn sign_out(clients: Vec<msnp_client::Client>) {
    for client in clients {
        let _ = client.sign_out().await;
    }
}

async fn in_process(target: Arc<Target>, args: &ConnectionsArgs) -> Result<(), String> {
    let fresh = warm_up(&target, args).await?;
    let before = rss_total(&args.server_pids);
    let started = Instant::now();
    let (clients, latencies) = login_many(args.count, args.concurrency, |index| {
        let target = target.clone();
        async move { target.login(index).await.map_err(|e| format!("{}: {e}", target.email(index))) }
    })
    .await?;
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(args.hold)).await;
    let after = rss_total(&args.server_pids);
    sign_out(clients).await;
    tokio::time::sleep(AFTER_CLOSE).await;
    let rss = Rss { fresh, before, after, closed: rss_total(&args.server_pids) };
    let login = percentiles(latencies);
    let text = format!("{}; login latency {}", summary(args.count, 1, elapsed, &rss), describe(&login));
    report(&target, text, result(args.count, 1, elapsed, &rss, json!(login)));
    Ok(())
}

/// A worker: sign in accounts `first..first + count`, report, hold until stdin closes.
async fn worker(target: Arc<Target>, args: &ConnectionsArgs, first: usize) -> Result<(), String> {
    let mut config = target.config.clone();
    config.local_address = args.source;
    let target =
        Arc::new(Target { config, prefix: target.prefix.clone(), password: target.password.clone(), json: true });
    let (clients, latencies) = login_many(args.count, args.concurrency, |index| {
        let target = target.clone();
        async move { target.login(first + index).await.map_err(|e| format!("{}: {e}", target.email(first + index))) }
    })
    .await?;
    println!("{}", json!({"ready": clients.len(), "login": percentiles(latencies)}));
    // The sessions stay open until the parent closes stdin, once it has measured.
    let until_measured = async {
        let mut rest = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut rest).await;
    };
    if args.come_back {
        let holding = comeback::Holding::start(target.clone(), clients, args.concurrency);
        until_measured.await;
        println!("{}", holding.finish());
    } else {
        until_measured.await;
        drop(clients);
    }
    Ok(())
}

struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<BufReader<ChildStdout>>,
}

/// A worker's next line of JSON on stdout.
async fn read_report(worker: &mut Worker, index: usize, limit: Duration) -> Result<serde_json::Value, String> {
    let stdout = worker.stdout.as_mut().ok_or("a worker without stdout")?;
    let mut line = String::new();
    match tokio::time::timeout(limit, stdout.read_line(&mut line)).await {
        Ok(Ok(n)) if n > 0 => serde_json::from_str(&line).map_err(|e| format!("worker {index}: {e}")),
        _ => Err(format!("worker {index} did not report (see its error above)")),
    }
}

async fn spread(target: Arc<Target>, args: &ConnectionsArgs, processes: usize) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the msnp executable: {e}"))?;
    let loopback_v4 = target.config.server.rsplit_once(':').is_some_and(|(host, _)| {
        host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback()) || host == "localhost"
    });
    let fresh = warm_up(&target, args).await?;
    let before = rss_total(&args.server_pids);
    let started = Instant::now();
    let mut workers = Vec::with_capacity(processes);
    let mut first = 0;
    for index in 0..processes {
        let share = args.count / processes + usize::from(index < args.count % processes);
        let config = &target.config;
        let mut command = Command::new(&exe);
        command
            .args(["--json", "bench", "--server", &config.server, "--nexus", &config.nexus])
            .args(["--dialect", &config.dialect.to_string(), "--timeout", &config.timeout.as_secs().to_string()])
            .args(["--prefix", &target.prefix, "--password", &target.password, "connections"])
            .args(["--count", &share.to_string(), "--worker-first", &first.to_string()])
            .args(["--concurrency", &(args.concurrency / processes).max(1).to_string()]);
        if args.come_back {
            command.arg("--come-back");
        }
        if loopback_v4 {
            // 127.0.0.2-9: a source address each, so no one address runs out of ports.
            command.args(["--source", &format!("127.0.0.{}", 2 + index % 8)]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start a worker: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().map(BufReader::new);
        workers.push(Worker { child, stdin, stdout });
        first += share;
    }
    let mut reports = Vec::with_capacity(processes);
    for (index, worker) in workers.iter_mut().enumerate() {
        reports.push(read_report(worker, index, WORKER_LOGIN_LIMIT).await?);
    }
    let elapsed = started.elapsed();
    // For scripts that break things while the sessions are held.
    eprintln!("{} sessions signed in in {:.1} s; holding them {} s", args.count, elapsed.as_secs_f64(), args.hold);
    tokio::time::sleep(Duration::from_secs(args.hold)).await;
    let after = rss_total(&args.server_pids);
    for worker in &mut workers {
        worker.stdin = None;
    }
    let mut returns = Vec::new();
    if args.come_back {
        for (index, worker) in workers.iter_mut().enumerate() {
            returns.push(read_report(worker, index, Duration::from_secs(30)).await?);
        }
    }
    for worker in &mut workers {
        if tokio::time::timeout(Duration::from_secs(30), worker.child.wait()).await.is_err() {
            let _ = worker.child.kill().await;
        }
    }
    tokio::time::sleep(AFTER_CLOSE).await;
    let rss = Rss { fresh, before, after, closed: rss_total(&args.server_pids) };
    let mut text = summary(args.count, processes, elapsed, &rss);
    for (index, ready) in reports.iter().enumerate() {
        let p99_ms = ready["login"]["p99_us"].as_f64().unwrap_or(0.0) / 1000.0;
        text.push_str(&format!("\n  worker {index}: {} sessions, login p99 {p99_ms:.2} ms", ready["ready"]));
    }
    let mut object = result(args.count, processes, elapsed, &rss, json!(reports));
    if args.come_back {
        let merged = comeback::merge(&returns);
        text.push_str(&format!("\n{}", comeback::describe(&merged)));
        object["came_back"] = merged;
    }
    report(&target, text, object);
    Ok(())
}

/// The server's RSS in KiB: at the start, after the warm-up, with the
/// sessions held, and after they closed.
struct Rss {
    fresh: Option<u64>,
    before: Option<u64>,
    after: Option<u64>,
    closed: Option<u64>,
}

impl Rss {
    fn per_session(&self, count: usize) -> Option<f64> {
        Some((self.after?.saturating_sub(self.before?) as f64 * 1024.0) / count.max(1) as f64)
    }
}

fn summary(count: usize, processes: usize, elapsed: Duration, rss: &Rss) -> String {
    let shown = |kib: Option<u64>| kib.map_or("?".into(), |v| v.to_string());
    format!(
        "{count} sessions from {processes} process(es) logged in in {:.1} s; server RSS {} at start, {} warmed up -> {} KiB held, {} after they closed; {} bytes per idle session",
        elapsed.as_secs_f64(),
        shown(rss.fresh),
        shown(rss.before),
        shown(rss.after),
        shown(rss.closed),
        rss.per_session(count).map_or("?".into(), |v| format!("{v:.0}")),
    )
}

fn result(count: usize, processes: usize, elapsed: Duration, rss: &Rss, login: serde_json::Value) -> serde_json::Value {
    json!({"scenario": "connections", "sessions": count, "processes": processes,
        "login_seconds": elapsed.as_secs_f64(), "rss_start_kib": rss.fresh, "rss_before_kib": rss.before,
        "rss_after_kib": rss.after, "rss_closed_kib": rss.closed,
        "bytes_per_session": rss.per_session(count), "login": login})
}
