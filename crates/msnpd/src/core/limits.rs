//! Rate limits: token buckets for commands and messages, and a guard against
//! password guessing that slows attackers without locking owners out for good.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    burst: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(per_second: f64, burst: f64) -> TokenBucket {
        TokenBucket { burst, per_second, tokens: burst, last: Instant::now() }
    }

    /// Takes a token if there is one.
    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    /// Takes a token if there is one at `now` (a time read once for several).
    pub fn take_at(&mut self, now: Instant) -> bool {
        self.take_up_to(now, 1) == 1
    }

    /// Takes as many of `wanted` tokens as there are at `now`; how many.
    pub fn take_up_to(&mut self, now: Instant, wanted: u32) -> u32 {
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        // `tokens` is within 0..=burst; the cast saturates either way.
        let taken = (self.tokens.floor() as u32).min(wanted);
        self.tokens -= f64::from(taken);
        taken
    }

    /// Returns tokens taken and not used.
    pub fn give_back(&mut self, tokens: u32) {
        self.tokens = (self.tokens + f64::from(tokens)).min(self.burst);
    }
}

/// Counts rejections; past `limit` the offender is cut off.
#[derive(Debug, Clone, Default)]
pub struct Strikes {
    count: u32,
}

impl Strikes {
    /// Records one; `true` when the limit is reached.
    pub fn strike(&mut self, limit: u32) -> bool {
        self.count += 1;
        self.count >= limit
    }
}

/// Failed logins per account and per client address within a window. Once a
/// key has `limit` failures in the window, attempts are refused without
/// checking the password until the window has passed: guessing is slow, and
/// the owner is locked out for one window at most.
///
/// An attempt is reserved before the password is checked and counts against
/// the limit while it is checked, so a burst of parallel guesses gets no more
/// checks than the limit allows.
/// A token bucket per client address: how often one address may do a thing
/// (create an account). The map is cleared when it grows past `MAX_TRACKED`
/// addresses, so it stays bounded whatever the number of addresses.
pub struct PerAddress {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, TokenBucket>>,
}

impl PerAddress {
    const MAX_TRACKED: usize = 100_000;

    pub fn new(rate: f64, burst: f64) -> PerAddress {
        PerAddress { rate, burst, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one from `address`'s bucket if it has one.
    pub fn allow(&self, address: IpAddr) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= Self::MAX_TRACKED {
            buckets.clear();
        }
        buckets.entry(address).or_insert_with(|| TokenBucket::new(self.rate, self.burst)).take()
    }
}

pub struct LoginGuard {
    window: Duration,
    per_account: u32,
    per_address: u32,
    keys: Mutex<HashMap<String, Tally>>,
}

/// One key's failures in the current window, and attempts being checked.
#[derive(Debug, Clone, Copy)]
struct Tally {
    since: Instant,
    failures: u32,
    pending: u32,
}

/// A reserved login attempt. Say how it ended with [`LoginAttempt::failed`]
/// or [`LoginAttempt::succeeded`]; dropped unsaid (an error of the service,
/// not the client's), it frees its place without counting as a failure.
pub struct LoginAttempt<'a> {
    guard: &'a LoginGuard,
    keys: Vec<String>,
    failed: bool,
}

impl LoginGuard {
    pub fn new(window: Duration, per_account: u32, per_address: u32) -> LoginGuard {
        LoginGuard { window, per_account, per_address, keys: Mutex::new(HashMap::new()) }
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tally>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves an attempt for `email` from `address`, or `None` when the
    /// account or the address has as many failures and attempts in progress
    /// as it may have in the window.
    pub fn reserve(&self, email: &str, address: Option<IpAddr>) -> Option<LoginAttempt<'_>> {
        let mut wanted = vec![(format!("account:{}", email.to_ascii_lowercase()), self.per_account)];
        if let Some(address) = address {
            wanted.push((format!("address:{address}"), self.per_address));
        }
        let mut keys = self.keys();
        if keys.len() > 100_000 {
            keys.retain(|_, tally| tally.pending > 0 || tally.since.elapsed() < self.window);
        }
        let now = Instant::now();
        for (key, limit) in &wanted {
            let tally = keys.entry(key.clone()).or_insert(Tally { since: now, failures: 0, pending: 0 });
            if tally.since.elapsed() >= self.window {
                tally.since = now;
                tally.failures = 0;
            }
            if tally.failures + tally.pending >= *limit {
                return None;
            }
        }
        for (key, _) in &wanted {
            if let Some(tally) = keys.get_mut(key) {
                tally.pending += 1;
            }
        }
        Some(LoginAttempt { guard: self, keys: wanted.into_iter().map(|(key, _)| key).collect(), failed: false })
    }
}

impl LoginAttempt<'_> {
    /// The password was wrong (or the account unknown): one failure for each key.
    pub fn failed(mut self) {
        self.failed = true;
    }

    /// The password was right.
    pub fn succeeded(self) {}
}

impl Drop for LoginAttempt<'_> {
    fn drop(&mut self) {
        let mut keys = self.guard.keys();
        for key in &self.keys {
            if let Some(tally) = keys.get_mut(key) {
                tally.pending = tally.pending.saturating_sub(1);
                if self.failed {
                    tally.failures += 1;
                }
                // Nothing to remember: a key kept for every account that
                // ever signed in would hold a string per sign-in, scattered
                // over the heap (which then cannot go back after a burst).
                if tally.pending == 0 && tally.failures == 0 {
                    keys.remove(key);
                }
            }
        }
    }
}

/// Connections that have not signed in yet, per client address and in all,
/// whatever door they came through (the Notification Server, the well-known
/// port, the switchboard, or a session of the HTTP gateway): what clients
/// who never sign in can hold is bounded.
pub struct Admission {
    per_address: u32,
    total: u32,
    state: Mutex<(HashMap<IpAddr, u32>, u32)>,
}

/// One connection counted as not signed in; dropping it uncounts it.
pub struct Pending {
    admission: std::sync::Arc<Admission>,
    address: IpAddr,
}

impl Admission {
    pub fn new(per_address: u32, total: u32) -> Admission {
        Admission { per_address, total, state: Mutex::new((HashMap::new(), 0)) }
    }

    /// Counts a new connection from `address`, or `None` when the address or
    /// the node already has as many as it may.
    pub fn admit(self: &std::sync::Arc<Self>, address: IpAddr) -> Option<Pending> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (by_address, total) = &mut *state;
        let mine = by_address.get(&address).copied().unwrap_or(0);
        if mine >= self.per_address || *total >= self.total {
            return None;
        }
        by_address.insert(address, mine + 1);
        *total += 1;
        Some(Pending { admission: self.clone(), address })
    }

    /// Connections not signed in, from `address` and in all.
    pub fn counts(&self, address: IpAddr) -> (u32, u32) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (state.0.get(&address).copied().unwrap_or(0), state.1)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let mut state = self.admission.state.lock().unwrap_or_else(|e| e.into_inner());
        let (by_address, total) = &mut *state;
        *total = total.saturating_sub(1);
        if let Some(count) = by_address.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                by_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_allow_a_burst_then_the_rate() {
        let mut bucket = TokenBucket::new(0.0, 3.0);
        assert!(bucket.take() && bucket.take() && bucket.take());
        assert!(!bucket.take());
        let mut fast = TokenBucket::new(1000.0, 1.0);
        assert!(fast.take());
        std::thread::sleep(Duration::from_millis(5));
        assert!(fast.take());
    }

    #[test]
    fn tokens_taken_in_runs_are_the_same_tokens() {
        let mut bucket = TokenBucket::new(0.0, 5.0);
        let now = Instant::now();
        assert_eq!(bucket.take_up_to(now, 1), 1);
        assert_eq!(bucket.take_up_to(now, 16), 4);
        assert_eq!(bucket.take_up_to(now, 16), 0);
        bucket.give_back(3);
        assert_eq!(bucket.take_up_to(now, 16), 3);
        bucket.give_back(100);
        assert_eq!(bucket.take_up_to(now, 16), 5, "never more than the burst");
    }

    #[test]
    fn login_guard_forgets_keys_with_nothing_to_remember() {
        let guard = LoginGuard::new(Duration::from_secs(60), 3, 5);
        let address = Some(IpAddr::from([127, 0, 0, 1]));
        if let Some(attempt) = guard.reserve("a@example.com", address) {
            attempt.succeeded();
        }
        assert!(guard.keys().is_empty());
        if let Some(attempt) = guard.reserve("b@example.com", address) {
            attempt.failed();
        }
        let attempt = guard.reserve("c@example.com", address);
        assert_eq!(guard.keys().len(), 3, "b's failure, the address's, c's attempt in progress");
        drop(attempt);
        assert_eq!(guard.keys().len(), 2);
    }

    #[test]
    fn login_guard_blocks_for_a_window_only() {
        let guard = LoginGuard::new(Duration::from_millis(50), 2, 10);
        let address = Some("127.0.0.9".parse().expect("ip"));
        guard.reserve("a@b.c", address).expect("first").failed();
        guard.reserve("A@B.C", address).expect("second").failed();
        assert!(guard.reserve("a@b.c", address).is_none());
        assert!(guard.reserve("a@b.c", None).is_none(), "the account is held from any address");
        assert!(guard.reserve("other@b.c", address).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(guard.reserve("a@b.c", address).is_some());
        let mut strikes = Strikes::default();
        assert!(!strikes.strike(2) && strikes.strike(2));
    }

    #[test]
    fn admission_counts_per_address_and_in_all() {
        let admission = std::sync::Arc::new(Admission::new(2, 3));
        let a: IpAddr = "127.0.0.2".parse().expect("ip");
        let b: IpAddr = "127.0.0.3".parse().expect("ip");
        let first = admission.admit(a).expect("first");
        let _second = admission.admit(a).expect("second");
        assert!(admission.admit(a).is_none(), "two from one address");
        let _third = admission.admit(b).expect("another address");
        assert!(admission.admit(b).is_none(), "three in all");
        drop(first);
        assert!(admission.admit(a).is_some());
        assert_eq!(admission.counts(a), (1, 2));
    }

    #[test]
    fn attempts_in_progress_count_against_the_limit() {
        let guard = LoginGuard::new(Duration::from_secs(60), 3, 5);
        let address = Some("127.0.0.9".parse().expect("ip"));
        let held: Vec<_> = (0..3).map(|_| guard.reserve("a@b.c", address).expect("a place")).collect();
        assert!(guard.reserve("a@b.c", address).is_none(), "three checks already running");
        // Two more accounts from the address fill its five places.
        let others: Vec<_> = ["x@b.c", "y@b.c"].iter().map(|e| guard.reserve(e, address).expect("place")).collect();
        assert!(guard.reserve("z@b.c", address).is_none(), "the address has five in progress");
        drop(others);
        // A success or an error frees the place; a failure keeps it, as a failure.
        let mut held = held.into_iter();
        held.next().expect("one").succeeded();
        drop(held.next());
        held.next().expect("three").failed();
        assert!(guard.reserve("a@b.c", address).is_some());
    }
}
