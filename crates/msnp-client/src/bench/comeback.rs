//! Held sessions that come back as a real client does when the server drops
//! them: sign in again through the address the client was set up with
//! (dispatch), with the ticket it has, until it is in. What this measures is
//! what a node's death costs its users: how long until they are back, and how
//! many attempts failed on the way (a referral to the dead node is one).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use msnp_client::{Client, ClientError};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Target;

/// Attempts one client makes before it gives up.
const MOST_ATTEMPTS: usize = 20;

/// The pause after a failed attempt (real clients wait longer; a short pause
/// makes every referral to a dead node show up in the count).
const RETRY_PAUSE: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Tally {
    /// From the drop to signed in again, per return.
    back: Vec<Duration>,
    failed_attempts: usize,
    /// The most attempts one return took (or has taken so far).
    most_attempts: usize,
    /// The most refused connections one return met: a referral to a node
    /// that is gone is one.
    most_refused: usize,
    gave_up: usize,
    /// Failed attempts by cause.
    causes: BTreeMap<String, usize>,
}

/// Sessions held by tasks that sign each one in again when it drops.
pub struct Holding {
    tasks: JoinSet<()>,
    tally: Arc<Mutex<Tally>>,
}

impl Holding {
    /// Holds `clients`; at most `concurrency` of them sign in again at once.
    pub fn start(target: Arc<Target>, clients: Vec<Client>, concurrency: usize) -> Holding {
        let tally = Arc::new(Mutex::new(Tally::default()));
        let gate = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for client in clients {
            tasks.spawn(hold(target.clone(), client, gate.clone(), tally.clone()));
        }
        Holding { tasks, tally }
    }

    /// Ends the sessions (the connections close) and reports what happened.
    pub fn finish(mut self) -> serde_json::Value {
        self.tasks.abort_all();
        let tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        let back_ms: Vec<u64> = tally.back.iter().map(|d| d.as_millis() as u64).collect();
        json!({"came_back": back_ms.len(), "back_ms": back_ms, "failed_attempts": tally.failed_attempts,
            "most_attempts": tally.most_attempts, "most_refused": tally.most_refused, "gave_up": tally.gave_up, "causes": tally.causes})
    }
}

async fn hold(target: Arc<Target>, mut client: Client, gate: Arc<Semaphore>, tally: Arc<Mutex<Tally>>) {
    let email = client.email().to_owned();
    let ticket = client.ticket().map(str::to_owned);
    loop {
        // Events are read and dropped; the stream ends when the connection does.
        while client.next_event().await.is_some() {}
        let dropped = Instant::now();
        let (mut attempts, mut refused) = (0, 0);
        client = loop {
            if attempts == MOST_ATTEMPTS {
                lock(&tally).gave_up += 1;
                return;
            }
            attempts += 1;
            let result = {
                let _turn = gate.acquire().await;
                let config = target.config.clone();
                let attempt = async {
                    match &ticket {
                        Some(ticket) => Client::login_with_ticket(config, &email, ticket).await,
                        None => Client::login(config, &email, &target.password).await,
                    }
                };
                tokio::time::timeout(target.config.timeout, attempt).await
            };
            let failure = match result {
                Ok(Ok(client)) => break client,
                Ok(Err(error)) => cause(&error),
                Err(_) => "no answer in time".into(),
            };
            refused += usize::from(failure == REFUSED);
            {
                let mut tally = lock(&tally);
                tally.failed_attempts += 1;
                tally.most_attempts = tally.most_attempts.max(attempts);
                tally.most_refused = tally.most_refused.max(refused);
                *tally.causes.entry(failure).or_default() += 1;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        };
        let mut tally = lock(&tally);
        tally.back.push(dropped.elapsed());
        tally.most_attempts = tally.most_attempts.max(attempts);
    }
}

fn lock(tally: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(|e| e.into_inner())
}

const REFUSED: &str = "connection refused";

/// A short name for why an attempt failed: a refused connection after a
/// referral is the case this counts above all.
fn cause(error: &ClientError) -> String {
    match error {
        ClientError::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => REFUSED.into(),
        ClientError::Io(io) => format!("network: {:?}", io.kind()),
        ClientError::Server(code) => format!("error {}", code.code()),
        ClientError::Closed => "closed".into(),
        other => other.to_string(),
    }
}

/// Sums the workers' reports.
pub fn merge(reports: &[serde_json::Value]) -> serde_json::Value {
    let mut back = Vec::new();
    let mut causes: BTreeMap<String, u64> = BTreeMap::new();
    let (mut failed, mut most, mut most_refused, mut gave_up) = (0, 0, 0, 0);
    for report in reports {
        back.extend(report["back_ms"].as_array().into_iter().flatten().filter_map(|v| v.as_u64()));
        failed += report["failed_attempts"].as_u64().unwrap_or(0);
        most = most.max(report["most_attempts"].as_u64().unwrap_or(0));
        most_refused = most_refused.max(report["most_refused"].as_u64().unwrap_or(0));
        gave_up += report["gave_up"].as_u64().unwrap_or(0);
        for (cause, count) in report["causes"].as_object().into_iter().flatten() {
            *causes.entry(cause.clone()).or_default() += count.as_u64().unwrap_or(0);
        }
    }
    let came_back = back.len();
    let back = super::percentiles(back.into_iter().map(Duration::from_millis).collect());
    json!({"came_back": came_back, "back": back, "failed_attempts": failed, "most_attempts": most,
        "most_refused": most_refused, "gave_up": gave_up, "causes": causes})
}

/// The merged report in words.
pub fn describe(merged: &serde_json::Value) -> String {
    let ms = |key: &str| merged["back"][key].as_f64().unwrap_or(0.0) / 1000.0;
    format!(
        "came back after a drop: {} sessions (p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms); {} attempts failed {} (most attempts by one session: {}, most refused: {}); {} gave up",
        merged["came_back"],
        ms("p50_us"),
        ms("p99_us"),
        ms("max_us"),
        merged["failed_attempts"],
        merged["causes"],
        merged["most_attempts"],
        merged["most_refused"],
        merged["gave_up"]
    )
}
