//! Passport tickets: random, bound to an account and to the service they were
//! issued for, expiring. Kept in memory: a restart signs everyone out anyway.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{AccountId, random_token};

/// What a ticket may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketScope {
    /// Notification Server login (`USR TWN S` / `USR SSO S`).
    Messenger,
    /// The address book and sharing services (contacts.msn.com).
    Contacts,
    /// Sending offline messages (messengersecure.live.com).
    MessengerSecure,
    /// The storage service: roaming profile and display picture (storage.live.com).
    Storage,
}

#[derive(Debug, Clone)]
pub struct Ticket {
    pub account: AccountId,
    pub email: String,
    pub scope: TicketScope,
    /// The proof key issued with an SSO ticket (MBI_KEY), if any.
    pub binary_secret: Option<Vec<u8>>,
    expires: Instant,
}

pub struct Tickets {
    lifetime: Duration,
    /// Live tickets kept per account at most; issuing another drops its oldest.
    per_account: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    tickets: HashMap<String, Ticket>,
    /// Each account's tokens, oldest first.
    issued: HashMap<AccountId, VecDeque<String>>,
}

impl Tickets {
    pub fn new(lifetime: Duration, per_account: usize) -> Tickets {
        Tickets { lifetime, per_account: per_account.max(1), inner: Mutex::new(Inner::default()) }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Issues a ticket and returns its token. An account holds at most
    /// `per_account` live tickets: beyond that its oldest one stops working,
    /// so no one account can fill the server's memory with tickets.
    pub fn issue(&self, account: AccountId, email: &str, scope: TicketScope, binary_secret: Option<Vec<u8>>) -> String {
        let token = random_token();
        let now = Instant::now();
        let mut inner = self.inner();
        let Inner { tickets, issued } = &mut *inner;
        // Expired tickets are dropped as new ones are issued, so the maps stay bounded.
        if tickets.len() > 1024 && tickets.len().is_power_of_two() {
            tickets.retain(|_, ticket| ticket.expires > now);
            issued.retain(|_, tokens| {
                tokens.retain(|token| tickets.contains_key(token));
                !tokens.is_empty()
            });
        }
        let mine = issued.entry(account).or_default();
        mine.retain(|token| tickets.get(token).is_some_and(|ticket| ticket.expires > now));
        while mine.len() >= self.per_account {
            if let Some(oldest) = mine.pop_front() {
                tickets.remove(&oldest);
            }
        }
        mine.push_back(token.clone());
        tickets.insert(
            token.clone(),
            Ticket { account, email: email.to_owned(), scope, binary_secret, expires: now + self.lifetime },
        );
        token
    }

    /// The ticket for `token` if it exists, has not expired and was issued for `scope`.
    pub fn check(&self, token: &str, scope: TicketScope) -> Option<Ticket> {
        let inner = self.inner();
        inner.tickets.get(token).filter(|ticket| ticket.scope == scope && ticket.expires > Instant::now()).cloned()
    }
}

/// The `t=` part of a compact ticket `t=TOKEN&p=PROFILE` (or the bare token).
pub fn ticket_token(compact: &str) -> &str {
    let t = compact.strip_prefix("t=").unwrap_or(compact);
    t.split('&').next().unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_scoped_and_expire() {
        let tickets = Tickets::new(Duration::from_millis(50), 8);
        let token = tickets.issue(7, "a@b.com", TicketScope::Messenger, None);
        assert_eq!(token.len(), 32);
        assert_eq!(tickets.check(&token, TicketScope::Messenger).map(|t| t.account), Some(7));
        assert!(tickets.check("nope", TicketScope::Messenger).is_none());
        std::thread::sleep(Duration::from_millis(60));
        assert!(tickets.check(&token, TicketScope::Messenger).is_none());
    }

    #[test]
    fn an_account_holds_a_bounded_number_of_tickets() {
        let tickets = Tickets::new(Duration::from_secs(60), 3);
        let first: Vec<String> = (0..3).map(|_| tickets.issue(7, "a@b.com", TicketScope::Contacts, None)).collect();
        let other = tickets.issue(8, "c@d.com", TicketScope::Contacts, None);
        assert!(first.iter().all(|token| tickets.check(token, TicketScope::Contacts).is_some()));
        let newest = tickets.issue(7, "a@b.com", TicketScope::Messenger, None);
        assert!(tickets.check(&first[0], TicketScope::Contacts).is_none(), "the oldest gave way");
        assert!(tickets.check(&first[1], TicketScope::Contacts).is_some());
        assert!(tickets.check(&newest, TicketScope::Messenger).is_some());
        assert!(tickets.check(&other, TicketScope::Contacts).is_some(), "another account's are untouched");
        assert_eq!(tickets.inner().tickets.len(), 4);
    }

    #[test]
    fn compact_tickets_yield_their_token() {
        assert_eq!(ticket_token("t=abc&p=def"), "abc");
        assert_eq!(ticket_token("t=abc&p="), "abc");
        assert_eq!(ticket_token("abc"), "abc");
    }
}
