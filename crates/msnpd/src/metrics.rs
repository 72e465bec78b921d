//! What an operator measures, in the Prometheus text format at `/metrics`:
//! sessions by dialect and client, sign-ins and failed ones, messages
//! relayed, error codes sent, notices dropped, database time per operation,
//! HTTP requests by service and status. Counters only grow: rates are
//! Prometheus's `rate()`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SessionLabels {
    pub dialect: String,
    pub client: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    pub code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DbLabels {
    pub kind: &'static str,
}

/// Seconds each kind of database operation took.
pub type DbTimings = Family<DbLabels, Histogram, fn() -> Histogram>;

/// 50 µs to about 1.6 s, doubling.
pub fn db_timings() -> DbTimings {
    Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.000_05, 2.0, 16)))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub service: &'static str,
    pub status: u16,
}

/// Client labels in use at once; beyond them sessions count as `other`, so
/// a client that makes up versions cannot grow the figures without bound. A
/// label's place is free again once its last session ends.
const MAX_CLIENTS: usize = 64;

/// The client names (`CVR`'s sixth word) that get a label of their own, as
/// each client spells it: MSN Messenger 1–6 and Windows Messenger, MSN
/// Messenger 7 and Windows Live Messenger (and the libraries that pass for
/// them), Messenger for Mac (and BitlBee), this service's browser client.
/// Any other name counts as `other`: names are the client's to make up.
const KNOWN_CLIENTS: [&str; 4] = ["MSMSGS", "MSNMSGR", "macmsgs", "MSNPWEB"];

pub struct Metrics {
    registry: Registry,
    pub sessions: Family<SessionLabels, Gauge>,
    pub sign_ins: Counter,
    pub failed_sign_ins: Counter,
    pub messages_relayed: Counter,
    pub errors_sent: Family<CodeLabel, Counter>,
    pub notices_dropped: Counter,
    /// Bus messages dropped so far (read from the bus at each scrape).
    pub bus_dropped: Gauge,
    pub http_requests: Family<HttpLabels, Counter>,
    /// Client labels in use, with their live sessions.
    clients: Arc<Mutex<HashMap<String, usize>>>,
    /// Error codes sent, for the dashboard (the same counts as `errors_sent`).
    errors: Mutex<std::collections::BTreeMap<u16, u64>>,
    /// The last hour, a sample every `SAMPLE_EVERY`.
    history: Mutex<std::collections::VecDeque<Sample>>,
}

/// How often the dashboard's history takes a sample, and how many it keeps.
pub const SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
const SAMPLES: usize = 360;

/// The figures at one moment (counters as totals so far).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub at: i64,
    pub sessions: usize,
    pub sign_ins: u64,
    pub failed_sign_ins: u64,
    pub messages: u64,
}

impl Metrics {
    /// The figures, with the store's timings among them.
    pub fn new(db: DbTimings) -> Metrics {
        let mut registry = Registry::with_prefix("msnpd");
        let metrics = Metrics {
            sessions: Family::default(),
            sign_ins: Counter::default(),
            failed_sign_ins: Counter::default(),
            messages_relayed: Counter::default(),
            errors_sent: Family::default(),
            notices_dropped: Counter::default(),
            bus_dropped: Gauge::default(),
            http_requests: Family::default(),
            clients: Arc::default(),
            errors: Mutex::default(),
            history: Mutex::default(),
            registry: Registry::default(),
        };
        registry.register(
            "sessions",
            "Sessions signed in on this node, by dialect and client",
            metrics.sessions.clone(),
        );
        registry.register("sign_ins", "Successful Notification Server sign-ins", metrics.sign_ins.clone());
        registry.register(
            "failed_sign_ins",
            "Sign-ins refused: a wrong password (Passport or MD5), ticket or proof",
            metrics.failed_sign_ins.clone(),
        );
        registry.register("messages_relayed", "Switchboard messages relayed", metrics.messages_relayed.clone());
        registry.register("errors_sent", "MSNP error codes sent to clients, by code", metrics.errors_sent.clone());
        registry.register(
            "notices_dropped",
            "Notices not delivered: a session that did not keep up, or a full bus",
            metrics.notices_dropped.clone(),
        );
        registry.register(
            "bus_messages_dropped",
            "Messages to other nodes dropped because the bus could not take them",
            metrics.bus_dropped.clone(),
        );
        registry.register("http_requests", "HTTP requests by service and status", metrics.http_requests.clone());
        registry.register("database_seconds", "Time of each kind of database operation", db);
        Metrics { registry, ..metrics }
    }

    /// The text a Prometheus scrape reads.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }

    /// Counts a session by dialect and client (from `CVR`) while the guard lives.
    pub fn session(&self, dialect: String, client: Option<(&str, &str)>) -> SessionGauge {
        let mut live = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let client = client_label(&mut live, client);
        let labels = SessionLabels { dialect, client };
        let gauge = self.sessions.get_or_create(&labels).clone();
        gauge.inc();
        SessionGauge { gauge, labels, family: self.sessions.clone(), clients: self.clients.clone() }
    }

    pub fn error_sent(&self, code: u16) {
        self.errors_sent.get_or_create(&CodeLabel { code }).inc();
        *self.errors.lock().unwrap_or_else(|e| e.into_inner()).entry(code).or_insert(0) += 1;
    }

    /// Each error code sent and how often.
    pub fn errors(&self) -> Vec<(u16, u64)> {
        self.errors.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(c, n)| (*c, *n)).collect()
    }

    /// Takes a sample of the figures now, with `sessions` signed in.
    pub fn sample(&self, sessions: usize) {
        let sample = Sample {
            at: crate::core::unix_now(),
            sessions,
            sign_ins: self.sign_ins.get(),
            failed_sign_ins: self.failed_sign_ins.get(),
            messages: self.messages_relayed.get(),
        };
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        if history.len() >= SAMPLES {
            history.pop_front();
        }
        history.push_back(sample);
    }

    /// The samples of the last hour, oldest first.
    pub fn history(&self) -> Vec<Sample> {
        self.history.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect()
    }
}

/// One session in the `sessions` gauge until dropped.
/// `NAME MAJOR.MINOR` for a known client name while fewer than
/// `MAX_CLIENTS` labels are in use (counted in `live`); else `other`;
/// `unknown` without `CVR`.
fn client_label(live: &mut HashMap<String, usize>, client: Option<(&str, &str)>) -> String {
    let Some((name, version)) = client else {
        return "unknown".into();
    };
    let Some(name) = KNOWN_CLIENTS.iter().find(|known| known.eq_ignore_ascii_case(name)) else {
        return "other".into();
    };
    // MAJOR.MINOR: the digits and the dot before the second dot, at most 8,
    // written straight into the label (this runs once per sign-in).
    let mut label = String::with_capacity(name.len() + 9);
    label.push_str(name);
    label.push(' ');
    let (mut kept, mut dots) = (0, 0);
    for c in version.chars() {
        if c == '.' {
            dots += 1;
            if dots == 2 {
                break;
            }
        }
        if (c.is_ascii_digit() || c == '.') && kept < 8 {
            label.push(c);
            kept += 1;
        }
    }
    let room = live.len() < MAX_CLIENTS;
    match live.get_mut(&label) {
        Some(count) => *count += 1,
        None if room => {
            live.insert(label.clone(), 1);
        }
        None => return "other".into(),
    }
    label
}

/// One session counted in `msnpd_sessions` until dropped.
pub struct SessionGauge {
    gauge: Gauge,
    labels: SessionLabels,
    family: Family<SessionLabels, Gauge>,
    clients: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for SessionGauge {
    fn drop(&mut self) {
        // Under the lock `session` takes: no session joins the label meanwhile.
        let mut live = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if self.gauge.dec() <= 1 {
            self.family.remove(&self.labels);
        }
        if let Some(count) = live.get_mut(&self.labels.client) {
            *count -= 1;
            if *count == 0 {
                live.remove(&self.labels.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_labels_are_bounded_and_freed() {
        let metrics = Metrics::new(db_timings());
        let label = |client| metrics.session("MSNP18".into(), Some(client)).labels.client.clone();
        assert_eq!(label(("made-up", "1.0")), "other");
        assert_eq!(label(("msnmsgr", "14.0.8117.0416")), "MSNMSGR 14.0");
        // Only digits of MAJOR.MINOR, at most eight characters of them.
        assert_eq!(label(("MSNMSGR", "1a2.3b4.5")), "MSNMSGR 12.34");
        assert_eq!(label(("MSNMSGR", "123456789.1")), "MSNMSGR 12345678");
        let first = metrics.session("MSNP8".into(), Some(("MSNMSGR", "7.0.0777")));
        // Made-up versions of a known name take the free places while their sessions live.
        let held: Vec<SessionGauge> =
            (0..100).map(|n| metrics.session("MSNP8".into(), Some(("MSNMSGR", &format!("{n}.9"))))).collect();
        assert_eq!(held.iter().filter(|s| s.labels.client != "other").count(), MAX_CLIENTS - 1);
        assert_eq!(label(("MSNMSGR", "8.5.1302")), "other");
        assert_eq!(label(("MSNMSGR", "7.0.0777")), "MSNMSGR 7.0", "a label in use is shared");
        let text = metrics.render();
        assert!(text.contains("msnpd_sessions{dialect=\"MSNP8\",client=\"MSNMSGR 7.0\"} 1"), "{text}");
        drop(first);
        assert!(!metrics.render().contains("client=\"MSNMSGR 7.0\""), "a series of no session goes");
        // Once they end, real clients have their labels again.
        drop(held);
        assert_eq!(label(("MSNMSGR", "8.5.1302")), "MSNMSGR 8.5");
    }
}
