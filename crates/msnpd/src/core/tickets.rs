//! Passport tickets: bound to an account and to the service they were issued
//! for, expiring, and signed (see `tokens`), so that a ticket issued by one
//! node signs in on any other and no node keeps them in memory.

use std::sync::Arc;
use std::time::Duration;

use super::tokens::{Purpose, Reader, Signer, Writer};
use super::{AccountId, unix_now};
use crate::store::AccountRow;

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

impl TicketScope {
    const ALL: [TicketScope; 4] =
        [TicketScope::Messenger, TicketScope::Contacts, TicketScope::MessengerSecure, TicketScope::Storage];

    fn code(self) -> u8 {
        match self {
            TicketScope::Messenger => 1,
            TicketScope::Contacts => 2,
            TicketScope::MessengerSecure => 3,
            TicketScope::Storage => 4,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Ticket {
    pub account: AccountId,
    pub email: String,
    pub scope: TicketScope,
    /// The proof key issued with an SSO ticket (MBI_KEY), if any.
    pub binary_secret: Option<Vec<u8>>,
    /// Shared by the tickets one sign-in got together (one RST response): a
    /// SOAP call made with its contacts ticket comes from the session that
    /// signed in with its Messenger ticket. Never 0.
    pub grant: u64,
    /// The password it was issued under (see [`Tickets::credential`]): a new
    /// password makes every earlier ticket useless.
    pub credential: u32,
}

/// Bytes of the random part that makes every ticket distinct.
const NONCE: usize = 8;

pub struct Tickets {
    lifetime: Duration,
    signer: Arc<Signer>,
}

impl Tickets {
    pub fn new(lifetime: Duration, signer: Arc<Signer>) -> Tickets {
        Tickets { lifetime, signer }
    }

    /// Issues a ticket of a grant of its own and returns its token and, when
    /// asked for, the proof key that goes with it (derived from the token:
    /// nothing is stored).
    pub fn issue(&self, account: &AccountRow, scope: TicketScope, with_proof_key: bool) -> (String, Option<Vec<u8>>) {
        self.issue_in(new_grant(), account, scope, with_proof_key)
    }

    /// 32 bits that stand for a password hash, kept in the tickets issued
    /// under it. Derived with the service's key: they say nothing of the hash.
    pub fn credential(&self, password_hash: &str) -> u32 {
        let derived = self.signer.derive(Purpose::Credential, password_hash.as_bytes());
        u32::from_be_bytes([derived[0], derived[1], derived[2], derived[3]])
    }

    /// Issues a ticket of `grant` (see [`Ticket::grant`]).
    pub fn issue_in(
        &self,
        grant: u64,
        account: &AccountRow,
        scope: TicketScope,
        with_proof_key: bool,
    ) -> (String, Option<Vec<u8>>) {
        let expires = unix_now().saturating_add(self.lifetime.as_secs() as i64);
        let payload = Writer::default()
            .u8(scope.code())
            .u8(with_proof_key as u8)
            .i64(account.id)
            .i64(expires)
            .u64(grant)
            .u32(self.credential(&account.password_hash))
            .bytes(&rand::random::<[u8; NONCE]>())
            .bytes(account.email.as_bytes())
            .finish();
        let token = self.signer.seal(Purpose::Ticket, &payload);
        let secret = with_proof_key.then(|| self.proof_key(&token));
        (token, secret)
    }

    fn proof_key(&self, token: &str) -> Vec<u8> {
        self.signer.derive(Purpose::ProofKey, token.as_bytes())[..24].to_vec()
    }

    /// The ticket for `token` if this service signed it, it has not expired
    /// and it was issued for `scope`.
    pub fn check(&self, token: &str, scope: TicketScope) -> Option<Ticket> {
        let payload = self.signer.open(Purpose::Ticket, token)?;
        let mut reader = Reader::new(&payload);
        let code = reader.u8()?;
        let issued_for = TicketScope::ALL.into_iter().find(|s| s.code() == code)?;
        let with_proof_key = reader.u8()? == 1;
        let account = reader.i64()?;
        let expires = reader.i64()?;
        let grant = reader.u64()?;
        let credential = reader.u32()?;
        reader.skip(NONCE)?;
        let email = std::str::from_utf8(reader.rest()).ok()?.to_owned();
        if issued_for != scope || expires <= unix_now() {
            return None;
        }
        let binary_secret = with_proof_key.then(|| self.proof_key(token));
        Some(Ticket { account, email, scope, binary_secret, grant, credential })
    }
}

/// A grant id for the tickets of one sign-in: random, never 0.
pub fn new_grant() -> u64 {
    rand::random::<u64>().max(1)
}

/// The `t=` part of a compact ticket `t=TOKEN&p=PROFILE` (or the bare token).
pub fn ticket_token(compact: &str) -> &str {
    let t = compact.strip_prefix("t=").unwrap_or(compact);
    t.split('&').next().unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: AccountId, email: &str) -> AccountRow {
        AccountRow {
            id,
            email: email.into(),
            password_hash: format!("hash of {email}"),
            friendly_name: email.into(),
            created_at: 0,
            legacy_md5: false,
        }
    }

    #[test]
    fn tickets_are_scoped_and_expire() {
        let tickets = Tickets::new(Duration::from_secs(1), Arc::new(Signer::new("0011")));
        let (token, secret) = tickets.issue(&row(7, "a@b.com"), TicketScope::Messenger, false);
        assert!(secret.is_none());
        let ticket = tickets.check(&token, TicketScope::Messenger);
        assert_eq!(ticket.map(|t| (t.account, t.email)), Some((7, "a@b.com".to_owned())));
        assert!(tickets.check(&token, TicketScope::Contacts).is_none(), "another service");
        assert!(tickets.check("nope", TicketScope::Messenger).is_none());
        std::thread::sleep(Duration::from_millis(2100));
        assert!(tickets.check(&token, TicketScope::Messenger).is_none(), "expired");
    }

    #[test]
    fn another_node_with_the_same_key_accepts_a_ticket_and_its_proof_key() {
        let issuer = Tickets::new(Duration::from_secs(60), Arc::new(Signer::new("0011")));
        let other = Tickets::new(Duration::from_secs(60), Arc::new(Signer::new("0011")));
        let (token, secret) = issuer.issue(&row(9, "c@d.com"), TicketScope::Contacts, true);
        let ticket = other.check(&token, TicketScope::Contacts).map(|t| (t.account, t.binary_secret));
        assert_eq!(ticket, Some((9, secret)));
        let stranger = Tickets::new(Duration::from_secs(60), Arc::new(Signer::new("2233")));
        assert!(stranger.check(&token, TicketScope::Contacts).is_none());
    }

    #[test]
    fn tickets_of_one_grant_say_so_and_still_differ() {
        let tickets = Tickets::new(Duration::from_secs(60), Arc::new(Signer::new("0011")));
        let (clear, _) = tickets.issue_in(42, &row(3, "e@f.com"), TicketScope::Messenger, true);
        let (web, _) = tickets.issue_in(42, &row(3, "e@f.com"), TicketScope::Messenger, true);
        let (contacts, _) = tickets.issue_in(42, &row(3, "e@f.com"), TicketScope::Contacts, true);
        assert_ne!(clear, web);
        let grant = |token: &str, scope| tickets.check(token, scope).map(|t| t.grant);
        assert_eq!(grant(&clear, TicketScope::Messenger), Some(42));
        assert_eq!(grant(&contacts, TicketScope::Contacts), Some(42));
        let (alone, _) = tickets.issue(&row(3, "e@f.com"), TicketScope::Contacts, false);
        assert_ne!(grant(&alone, TicketScope::Contacts), Some(42));
    }

    #[test]
    fn a_ticket_keeps_what_stands_for_its_password() {
        let tickets = Tickets::new(Duration::from_secs(60), Arc::new(Signer::new("0011")));
        let alice = row(5, "g@h.com");
        let (token, _) = tickets.issue(&alice, TicketScope::Messenger, false);
        let kept = tickets.check(&token, TicketScope::Messenger).map(|t| t.credential);
        assert_eq!(kept, Some(tickets.credential(&alice.password_hash)));
        assert_ne!(tickets.credential(&alice.password_hash), tickets.credential("another hash"));
    }

    #[test]
    fn compact_tickets_yield_their_token() {
        assert_eq!(ticket_token("t=abc&p=def"), "abc");
        assert_eq!(ticket_token("t=abc&p="), "abc");
        assert_eq!(ticket_token("abc"), "abc");
    }
}
