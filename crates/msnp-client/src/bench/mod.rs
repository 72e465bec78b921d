//! `msnp bench`: load scenarios over standard MSNP (Passport login, XFR,
//! CAL/ANS, MSG with ACK), so they run against any MSNP server. Accounts are
//! `PREFIX<n>@example.com` (`msnpd user add-many` creates them). Each scenario
//! stops by itself after a bounded count and time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Subcommand;
use msnp::dialect::ListSync;
use msnp_client::{Client, ClientConfig, ClientError, Conversation, ConversationEvent, Event};
use serde_json::json;
use tokio::task::JoinSet;

mod comeback;
mod relay;
mod spread;
mod wire;

#[derive(Subcommand)]
pub enum Scenario {
    /// Log in COUNT accounts, hold them idle, and report the server's memory
    /// per session. Beyond 9,000 sessions the load spreads over several
    /// processes (see --processes).
    Connections(spread::ConnectionsArgs),
    /// Log in COUNT accounts as fast as possible through the full path
    /// (Passport with the password, then the NS); then, with --ticket-rounds,
    /// log each in again that many times with the ticket it got (the NS path
    /// alone: VER, CVR, USR, SYN, CHG), each session closing once signed in.
    Logins {
        #[arg(long)]
        count: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 0)]
        ticket_rounds: usize,
    },
    /// One account with WATCHERS online watchers changes status ROUNDS times:
    /// the time until each watcher has the NLN/BSY.
    Presence {
        #[arg(long, default_value_t = 1000)]
        watchers: usize,
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// A steady load with abusers mixed in, against the server's normal rate
    /// limits: PAIRS conversations send RATE messages/s each while ABUSERS
    /// flood (and are refused and cut off, and come back). Reports, every
    /// INTERVAL seconds, what the well-behaved got through and the server's RSS.
    Soak {
        #[arg(long, default_value_t = 10)]
        pairs: usize,
        /// Messages per second per well-behaved sender (under the server's limit).
        #[arg(long, default_value_t = 5)]
        rate: u32,
        #[arg(long, default_value_t = 4)]
        abusers: usize,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        #[arg(long, default_value_t = 5)]
        interval: u64,
        #[arg(long)]
        server_pid: Option<u32>,
    },
    /// PAIRS two-party conversations sending 100-byte messages, each waiting for ACK.
    Relay {
        #[arg(long, default_value_t = 20)]
        pairs: usize,
        /// Messages each sender keeps in flight.
        #[arg(long, default_value_t = 1)]
        in_flight: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
}

pub struct Target {
    pub config: ClientConfig,
    pub prefix: String,
    pub password: String,
    pub json: bool,
}

impl Target {
    fn email(&self, index: usize) -> String {
        format!("{}{index}@example.com", self.prefix)
    }

    async fn login(&self, index: usize) -> Result<Client, ClientError> {
        Client::login(self.config.clone(), &self.email(index), &self.password).await
    }
}

pub async fn run(target: Target, scenario: Scenario) -> Result<(), String> {
    let target = Arc::new(target);
    match scenario {
        Scenario::Connections(args) => spread::connections(target, args).await?,
        Scenario::Logins { count, concurrency, ticket_rounds } => {
            let started = Instant::now();
            let (clients, latencies) = login_all(&target, count, concurrency).await?;
            let rate = count as f64 / started.elapsed().as_secs_f64();
            let p = percentiles(latencies);
            let tickets: Option<Vec<String>> =
                clients.iter().map(|client| client.ticket().map(str::to_owned)).collect();
            drop(clients);
            let mut text = format!("{count} logins with password, {rate:.0}/s; login latency {}", describe(&p));
            let mut object = json!({"scenario": "logins", "logins": count, "per_second": rate, "latency": p});
            if ticket_rounds > 0 {
                let tickets = Arc::new(tickets.ok_or("MSNP2-7 sign in with MD5: there are no tickets to reuse")?);
                let total = count * ticket_rounds;
                let started = Instant::now();
                let latencies = ticket_logins(&target, &tickets, ticket_rounds, concurrency).await?;
                let rate = total as f64 / started.elapsed().as_secs_f64();
                let p = percentiles(latencies);
                text.push_str(&format!("\n{total} logins with a ticket, {rate:.0}/s; login latency {}", describe(&p)));
                object["with_ticket"] = json!({"logins": total, "per_second": rate, "latency": p});
            }
            report(&target, text, object);
        }
        Scenario::Presence { watchers, rounds, concurrency } => {
            // Account 0 is watched; 1..=watchers add it to their lists.
            let (subject, rest) = {
                let (mut clients, _) = login_all(&target, watchers + 1, concurrency).await?;
                let rest = clients.split_off(1);
                (clients.pop().ok_or("no subject")?, rest)
            };
            let subject_email = target.email(0);
            let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
            let mut listeners = JoinSet::new();
            for mut watcher in rest {
                // Already on the list from an earlier run: that is what this run needs.
                match watcher.add_contact(&subject_email).await {
                    Ok(_) | Err(ClientError::Server(msnp::ErrorCode::AlreadyInList)) => {}
                    Err(error) => return Err(error.to_string()),
                }
                let (seen_tx, subject_email) = (seen_tx.clone(), subject_email.clone());
                listeners.spawn(async move {
                    while let Some(event) = watcher.next_event().await {
                        if let Event::Presence { email, status, .. } = event
                            && email == subject_email
                            && seen_tx.send((status, Instant::now())).is_err()
                        {
                            return;
                        }
                    }
                });
            }
            drop(seen_tx);
            let mut last_arrivals = Vec::new();
            let mut all_arrivals = Vec::new();
            for round in 0..rounds {
                let status = if round % 2 == 0 { "BSY" } else { "NLN" };
                let changed = Instant::now();
                subject.set_status(status).await.map_err(|e| e.to_string())?;
                let mut arrived = 0;
                while arrived < watchers {
                    let wait = target.config.timeout;
                    match tokio::time::timeout(wait, seen.recv()).await {
                        Ok(Some((seen_status, at))) if seen_status == status => {
                            arrived += 1;
                            all_arrivals.push(at - changed);
                            if arrived == watchers {
                                last_arrivals.push(at - changed);
                            }
                        }
                        Ok(Some(_)) => {}
                        _ => return Err(format!("round {round}: {arrived} of {watchers} watchers saw {status}")),
                    }
                }
            }
            let (last, each) = (percentiles(last_arrivals), percentiles(all_arrivals));
            let text = format!(
                "{watchers} watchers, {rounds} changes: last watcher {}; each watcher {}",
                describe(&last),
                describe(&each)
            );
            report(
                &target,
                text,
                json!({"scenario": "presence", "watchers": watchers, "rounds": rounds,
                "last_watcher": last, "each_watcher": each}),
            );
            listeners.abort_all();
        }
        Scenario::Soak { pairs, rate, abusers, seconds, interval, server_pid } => {
            soak(&target, Soak { pairs, rate, abusers, seconds, interval, server_pid }).await?;
        }
        Scenario::Relay { pairs, in_flight, seconds } => {
            relay::run(&target, relay::Plan { pairs, in_flight, seconds }).await?;
        }
    }
    Ok(())
}

struct Soak {
    pairs: usize,
    rate: u32,
    abusers: usize,
    seconds: u64,
    interval: u64,
    server_pid: Option<u32>,
}

#[derive(Default)]
struct SoakCounts {
    delivered: std::sync::atomic::AtomicU64,
    failed: std::sync::atomic::AtomicU64,
    refused_abuse: std::sync::atomic::AtomicU64,
    abuser_reconnects: std::sync::atomic::AtomicU64,
}

/// Accounts: 0..2*pairs the well-behaved pairs, then one sink that never
/// answers, then the abusers.
async fn soak(target: &Arc<Target>, plan: Soak) -> Result<(), String> {
    use std::sync::atomic::Ordering::Relaxed;
    let counts = Arc::new(SoakCounts::default());
    let deadline = Instant::now() + Duration::from_secs(plan.seconds);
    let mut conversations = Vec::new();
    let mut drains = Vec::new();
    for pair in 0..plan.pairs {
        let (chat, drain) = open_pair(target, pair).await.map_err(|e| format!("pair {pair}: {e}"))?;
        conversations.push(chat);
        drains.push(drain);
    }
    let sink_index = 2 * plan.pairs;
    let sink = target.login(sink_index).await.map_err(|e| e.to_string())?;
    let mut tasks = JoinSet::new();
    for chat in conversations {
        let counts = counts.clone();
        let period = Duration::from_secs_f64(1.0 / f64::from(plan.rate.max(1)));
        tasks.spawn(async move {
            let mut ticker = tokio::time::interval(period);
            while Instant::now() < deadline {
                ticker.tick().await;
                let counter = if chat.send("steady").await.is_ok() { &counts.delivered } else { &counts.failed };
                counter.fetch_add(1, Relaxed);
            }
        });
    }
    for abuser in 0..plan.abusers {
        let (target, counts) = (target.clone(), counts.clone());
        let sink_email = target.email(sink_index);
        tasks.spawn(async move {
            while Instant::now() < deadline {
                // Log in, flood until cut off, come back.
                let pause = Duration::from_millis(100);
                let Ok(client) = target.login(sink_index + 1 + abuser).await else {
                    tokio::time::sleep(pause).await;
                    continue;
                };
                let Ok(chat) = Conversation::open(&client, &sink_email).await else {
                    tokio::time::sleep(pause).await;
                    continue;
                };
                while Instant::now() < deadline {
                    match chat.send("flood").await {
                        Err(ClientError::Server(_)) => {
                            counts.refused_abuse.fetch_add(1, Relaxed);
                        }
                        // NAK: the sink never joins, so nobody receives; keep flooding.
                        Err(ClientError::Protocol(_)) | Ok(()) => {}
                        Err(_) => break,
                    }
                }
                counts.abuser_reconnects.fetch_add(1, Relaxed);
            }
        });
    }
    let started = Instant::now();
    let mut rss = Vec::new();
    let mut last_delivered = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(plan.interval)).await;
        let delivered = counts.delivered.load(Relaxed);
        let now_rss = plan.server_pid.and_then(rss_kib);
        rss.extend(now_rss);
        let text = format!(
            "t={:>3}s well-behaved delivered {:>6} (+{}), failed {}; abusers refused {}, cut off {}; server RSS {} KiB",
            started.elapsed().as_secs(),
            delivered,
            delivered - last_delivered,
            counts.failed.load(Relaxed),
            counts.refused_abuse.load(Relaxed),
            counts.abuser_reconnects.load(Relaxed),
            now_rss.map_or("?".into(), |v| v.to_string()),
        );
        report(
            target,
            text,
            json!({"scenario": "soak", "t": started.elapsed().as_secs(), "delivered": delivered,
            "failed": counts.failed.load(Relaxed), "abuse_refused": counts.refused_abuse.load(Relaxed),
            "abusers_cut_off": counts.abuser_reconnects.load(Relaxed), "rss_kib": now_rss}),
        );
        last_delivered = delivered;
    }
    tasks.abort_all();
    drop((sink, drains));
    let expected = plan.pairs as u64 * u64::from(plan.rate) * plan.seconds;
    let delivered = counts.delivered.load(Relaxed);
    let text = format!(
        "well-behaved: {delivered} of about {expected} messages delivered, {} failed; RSS first {} KiB, last {} KiB",
        counts.failed.load(Relaxed),
        rss.first().map_or("?".into(), |v| v.to_string()),
        rss.last().map_or("?".into(), |v| v.to_string()),
    );
    report(
        target,
        text,
        json!({"scenario": "soak", "delivered": delivered, "expected_about": expected,
        "failed": counts.failed.load(Relaxed), "rss_first_kib": rss.first(), "rss_last_kib": rss.last()}),
    );
    Ok(())
}

/// Logs in accounts 0..count, `concurrency` at a time; the clients (in account
/// order) and each login's time.
/// Accounts 0..count signed in with their passwords, at most `concurrency` at once.
async fn login_all(
    target: &Arc<Target>,
    count: usize,
    concurrency: usize,
) -> Result<(Vec<Client>, Vec<Duration>), String> {
    login_many(count, concurrency, |index| {
        let target = target.clone();
        async move { target.login(index).await.map_err(|e| format!("{}: {e}", target.email(index))) }
    })
    .await
}

/// Each account signed in `rounds` more times with its ticket and signed out
/// again: the latency of each sign-in. An account is never signed in twice at
/// once (a second session would end the first), so each of the `concurrency`
/// workers owns its share of the accounts.
async fn ticket_logins(
    target: &Arc<Target>,
    tickets: &Arc<Vec<String>>,
    rounds: usize,
    concurrency: usize,
) -> Result<Vec<Duration>, String> {
    let workers = concurrency.clamp(1, tickets.len().max(1));
    // MSNP8-12 sign in over a bare connection: the client library's tasks
    // and channels per session would cost the generator more than the login
    // costs the server.
    let dialect = target.config.dialect;
    let bare = dialect.requires_cvr() && matches!(dialect.list_sync(), ListSync::Bitmask | ListSync::Guid);
    let mut running = JoinSet::new();
    for worker in 0..workers {
        let (target, tickets) = (target.clone(), tickets.clone());
        running.spawn(async move {
            let mut latencies = Vec::new();
            for _ in 0..rounds {
                for account in (worker..tickets.len()).step_by(workers) {
                    let email = target.email(account);
                    let started = Instant::now();
                    if bare {
                        let mut wire = ticket_login(&target, &email, &tickets[account])
                            .await
                            .map_err(|e| format!("{email}: {e}"))?;
                        latencies.push(started.elapsed());
                        let _ = wire.send("OUT\r\n").await;
                    } else {
                        let client = Client::login_with_ticket(target.config.clone(), &email, &tickets[account])
                            .await
                            .map_err(|e| format!("{email}: {e}"))?;
                        latencies.push(started.elapsed());
                        let _ = client.sign_out().await;
                    }
                }
            }
            Ok::<_, String>(latencies)
        });
    }
    let mut all = Vec::new();
    while let Some(done) = running.join_next().await {
        all.extend(done.map_err(|e| e.to_string())??);
    }
    Ok(all)
}

/// Signs in with a ticket as the client library does in MSNP8-12 (`VER`,
/// `CVR`, `USR TWN I`, `USR TWN S`, `SYN` and its `LST`s, `CHG`), on a bare
/// connection.
async fn ticket_login(target: &Target, email: &str, ticket: &str) -> Result<wire::Wire, String> {
    let (config, timeout) = (&target.config, target.config.timeout);
    let version = config.dialect.to_string();
    let mut server = config.server.clone();
    // At most one referral (`XFR NS`), as with the client library.
    let mut wire = None;
    for _ in 0..2 {
        let mut link = wire::Wire::connect(&server).await?;
        link.send(&format!("VER 1 {version} CVR0\r\n")).await?;
        let reply = link.expect("VER", 1, timeout).await?;
        if reply.split(' ').nth(2) != Some(version.as_str()) {
            return Err(format!("the server does not speak {version}: {reply}"));
        }
        link.send(&format!("CVR 2 0x0409 winnt 6.1.0 i386 MSNMSGR 14.0.8117.0416 msmsgs {email}\r\n")).await?;
        link.expect("CVR", 2, timeout).await?;
        link.send(&format!("USR 3 TWN I {email}\r\n")).await?;
        let reply = link.reply(3, timeout).await?;
        match reply.split(' ').next() {
            Some("USR") => {
                wire = Some(link);
                break;
            }
            Some("XFR") => server = reply.split(' ').nth(3).ok_or(format!("bad {reply}"))?.to_owned(),
            _ => return Err(format!("USR: {reply}")),
        }
    }
    let mut wire = wire.ok_or("referred more than once")?;
    wire.send(&format!("USR 4 TWN S {ticket}\r\n")).await?;
    wire.expect("USR", 4, timeout).await?;
    let sync = if config.dialect.list_sync() == ListSync::Guid { "SYN 5 0 0\r\n" } else { "SYN 5 0\r\n" };
    wire.send(sync).await?;
    let reply = wire.expect("SYN", 5, timeout).await?;
    // `SYN trid version… contacts groups`: every contact comes as an `LST`.
    let contacts: usize = reply.split(' ').rev().nth(1).and_then(|n| n.parse().ok()).ok_or(format!("bad {reply}"))?;
    let mut listed = 0;
    while listed < contacts {
        listed += usize::from(wire.line(timeout).await?.starts_with("LST "));
    }
    wire.send(&format!("CHG 6 {} 0\r\n", config.initial_status)).await?;
    wire.expect("CHG", 6, timeout).await?;
    Ok(wire)
}

/// Runs `login(0..count)`, at most `concurrency` at once: the clients in
/// index order, and each one's latency.
async fn login_many<F, Fut>(count: usize, concurrency: usize, login: F) -> Result<(Vec<Client>, Vec<Duration>), String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Client, String>> + Send + 'static,
{
    let mut clients = Vec::with_capacity(count);
    let mut latencies = Vec::with_capacity(count);
    let mut running = JoinSet::new();
    let mut next = 0;
    while clients.len() < count {
        while next < count && running.len() < concurrency.max(1) {
            let attempt = login(next);
            let index = next;
            running.spawn(async move {
                let started = Instant::now();
                attempt.await.map(|client| (index, client, started.elapsed()))
            });
            next += 1;
        }
        match running.join_next().await {
            Some(Ok(Ok((index, client, took)))) => {
                clients.push((index, client));
                latencies.push(took);
            }
            Some(Ok(Err(error))) => return Err(error),
            Some(Err(error)) => return Err(error.to_string()),
            None => break,
        }
    }
    clients.sort_unstable_by_key(|(index, _)| *index);
    Ok((clients.into_iter().map(|(_, client)| client).collect(), latencies))
}

/// Accounts 2n and 2n+1 in one conversation; returns the sender's side and a
/// task that reads (and drops) everything the receiver gets.
async fn open_pair(target: &Target, pair: usize) -> Result<(Conversation, tokio::task::JoinHandle<()>), ClientError> {
    let sender = target.login(2 * pair).await?;
    let mut receiver = target.login(2 * pair + 1).await?;
    let mut chat = Conversation::open(&sender, &target.email(2 * pair + 1)).await?;
    let invitation = loop {
        match tokio::time::timeout(target.config.timeout, receiver.next_event()).await {
            Ok(Some(Event::Invited(invitation))) => break invitation,
            Ok(Some(_)) => {}
            _ => return Err(ClientError::Timeout("RNG")),
        }
    };
    let mut incoming = Conversation::accept(&receiver, &invitation).await?;
    loop {
        match tokio::time::timeout(target.config.timeout, chat.next_event()).await {
            Ok(Some(ConversationEvent::Joined { .. })) => break,
            Ok(Some(_)) => {}
            _ => return Err(ClientError::Timeout("JOI")),
        }
    }
    let drain = tokio::spawn(async move {
        // The sessions live as long as the drain: both clients are moved in.
        let _sessions = (sender, receiver);
        while incoming.next_event().await.is_some() {}
    });
    Ok((chat, drain))
}

#[derive(serde::Serialize)]
struct Percentiles {
    count: usize,
    p50_us: u128,
    p99_us: u128,
    p999_us: u128,
    max_us: u128,
}

fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| {
        if samples.is_empty() {
            return 0;
        }
        let index = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[index].as_micros()
    };
    Percentiles {
        count: samples.len(),
        p50_us: at(0.50),
        p99_us: at(0.99),
        p999_us: at(0.999),
        max_us: samples.last().map_or(0, Duration::as_micros),
    }
}

fn describe(p: &Percentiles) -> String {
    let ms = |us: u128| us as f64 / 1000.0;
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms ({} samples)",
        ms(p.p50_us),
        ms(p.p99_us),
        ms(p.p999_us),
        ms(p.max_us),
        p.count
    )
}

fn report(target: &Target, text: String, object: serde_json::Value) {
    if target.json {
        println!("{object}");
    } else {
        println!("{text}");
    }
}

/// The summed RSS of the server's processes, if every one can be read.
fn rss_total(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|pid| rss_kib(*pid)).sum()
}

/// A process's resident memory in KiB, from /proc (Linux).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
