//! Passport tickets: random, bound to an account and to the service they were
//! issued for, expiring. Kept in memory: a restart signs everyone out anyway.

use std::collections::HashMap;
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
    tickets: Mutex<HashMap<String, Ticket>>,
}

impl Tickets {
    pub fn new(lifetime: Duration) -> Tickets {
        Tickets { lifetime, tickets: Mutex::new(HashMap::new()) }
    }

    /// Issues a ticket and returns its token.
    pub fn issue(&self, account: AccountId, email: &str, scope: TicketScope, binary_secret: Option<Vec<u8>>) -> String {
        let token = random_token();
        let now = Instant::now();
        let mut tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        // Expired tickets are dropped as new ones are issued, so the map stays bounded.
        if tickets.len() > 1024 && tickets.len().is_power_of_two() {
            tickets.retain(|_, ticket| ticket.expires > now);
        }
        tickets.insert(
            token.clone(),
            Ticket { account, email: email.to_owned(), scope, binary_secret, expires: now + self.lifetime },
        );
        token
    }

    /// The ticket for `token` if it exists, has not expired and was issued for `scope`.
    pub fn check(&self, token: &str, scope: TicketScope) -> Option<Ticket> {
        let tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        tickets.get(token).filter(|ticket| ticket.scope == scope && ticket.expires > Instant::now()).cloned()
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
        let tickets = Tickets::new(Duration::from_millis(50));
        let token = tickets.issue(7, "a@b.com", TicketScope::Messenger, None);
        assert_eq!(token.len(), 32);
        assert_eq!(tickets.check(&token, TicketScope::Messenger).map(|t| t.account), Some(7));
        assert!(tickets.check("nope", TicketScope::Messenger).is_none());
        std::thread::sleep(Duration::from_millis(60));
        assert!(tickets.check(&token, TicketScope::Messenger).is_none());
    }

    #[test]
    fn compact_tickets_yield_their_token() {
        assert_eq!(ticket_token("t=abc&p=def"), "abc");
        assert_eq!(ticket_token("t=abc&p="), "abc");
        assert_eq!(ticket_token("abc"), "abc");
    }
}
