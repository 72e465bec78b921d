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
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
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
pub struct LoginGuard {
    window: Duration,
    per_account: u32,
    per_address: u32,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginGuard {
    pub fn new(window: Duration, per_account: u32, per_address: u32) -> LoginGuard {
        LoginGuard { window, per_account, per_address, failures: Mutex::new(HashMap::new()) }
    }

    fn over(&self, key: &str, limit: u32) -> bool {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.get(key).is_some_and(|(since, count)| since.elapsed() < self.window && *count >= limit)
    }

    /// Whether an attempt for `email` from `address` may be checked at all.
    pub fn allowed(&self, email: &str, address: Option<IpAddr>) -> bool {
        let account = format!("account:{}", email.to_ascii_lowercase());
        let by_address = address.map(|a| format!("address:{a}"));
        !self.over(&account, self.per_account) && !by_address.is_some_and(|key| self.over(&key, self.per_address))
    }

    /// Records a failed attempt.
    pub fn failed(&self, email: &str, address: Option<IpAddr>) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if failures.len() > 100_000 {
            failures.retain(|_, (since, _)| since.elapsed() < self.window);
        }
        let keys = [Some(format!("account:{}", email.to_ascii_lowercase())), address.map(|a| format!("address:{a}"))];
        for key in keys.into_iter().flatten() {
            let entry = failures.entry(key).or_insert((now, 0));
            if entry.0.elapsed() >= self.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
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
    fn login_guard_blocks_for_a_window_only() {
        let guard = LoginGuard::new(Duration::from_millis(50), 2, 10);
        let address = Some("127.0.0.9".parse().expect("ip"));
        assert!(guard.allowed("a@b.c", address));
        guard.failed("a@b.c", address);
        guard.failed("A@B.C", address);
        assert!(!guard.allowed("a@b.c", address));
        assert!(!guard.allowed("a@b.c", None), "the account is held from any address");
        assert!(guard.allowed("other@b.c", address));
        std::thread::sleep(Duration::from_millis(60));
        assert!(guard.allowed("a@b.c", address));
        let mut strikes = Strikes::default();
        assert!(!strikes.strike(2) && strikes.strike(2));
    }
}
