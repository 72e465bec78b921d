//! Tokens the service hands out and takes back on any node: Passport tickets
//! and switchboard cookies. Each carries what it grants, signed with a key all
//! nodes read from the database, so no node keeps them and any node can check
//! them: the database is the only coordination.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the signature kept in a token: 128 bits.
const TAG: usize = 16;

/// What a token is for; signed with it, so one kind never passes for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Purpose {
    Ticket = 1,
    Cookie = 2,
    ProofKey = 3,
    /// A signed-in account page (web).
    AccountPage = 4,
    /// The CSRF token of a web form, derived from its cookie.
    Csrf = 5,
    /// A signed-in operator's dashboard.
    AdminPage = 6,
    /// A connection one node passes on to another, naming its client.
    PassedOn = 7,
    /// What a ticket keeps of the password it was issued under.
    Credential = 8,
    /// The circle ticket of an address book (`USR SHA A`).
    CircleTicket = 9,
}

pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    /// A signer keyed with `secret` (the hex text of the shared `token-key`).
    pub fn new(secret: &str) -> Signer {
        Signer { key: hex::decode(secret).unwrap_or_else(|_| secret.as_bytes().to_vec()) }
    }

    fn mac(&self, purpose: Purpose, payload: &[u8]) -> HmacSha256 {
        // Any key length is accepted by HMAC.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(&[purpose as u8]);
        mac.update(payload);
        mac
    }

    /// `payload` and its signature, as text safe in MSNP words, URLs and XML.
    pub fn seal(&self, purpose: Purpose, payload: &[u8]) -> String {
        let tag = self.mac(purpose, payload).finalize().into_bytes();
        let mut bytes = Vec::with_capacity(payload.len() + TAG);
        bytes.extend_from_slice(payload);
        bytes.extend_from_slice(&tag[..TAG]);
        B64.encode(bytes)
    }

    /// The payload of a token this service sealed for `purpose`, or `None`.
    pub fn open(&self, purpose: Purpose, token: &str) -> Option<Vec<u8>> {
        // Bounded before decoding: a token is never long.
        if token.len() > 1024 {
            return None;
        }
        let mut bytes = B64.decode(token).ok()?;
        let split = bytes.len().checked_sub(TAG)?;
        let tag = bytes.split_off(split);
        self.mac(purpose, &bytes).verify_truncated_left(&tag).ok()?;
        Some(bytes)
    }

    /// A value derived from the key and `data` that only the service can make.
    pub fn derive(&self, purpose: Purpose, data: &[u8]) -> [u8; 32] {
        self.mac(purpose, data).finalize().into_bytes().into()
    }
}

/// Builds a token's payload field by field.
#[derive(Default)]
pub struct Writer(Vec<u8>);

impl Writer {
    pub fn u8(mut self, value: u8) -> Writer {
        self.0.push(value);
        self
    }

    pub fn u32(mut self, value: u32) -> Writer {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn u64(mut self, value: u64) -> Writer {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn i64(self, value: i64) -> Writer {
        self.u64(value as u64)
    }

    pub fn bytes(mut self, value: &[u8]) -> Writer {
        self.0.extend_from_slice(value);
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Reads a payload in the order it was written.
pub struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader(bytes)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.take(4).and_then(|b| b.try_into().ok()).map(u32::from_be_bytes)
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.take(8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes)
    }

    pub fn i64(&mut self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }

    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    /// What is left.
    pub fn rest(self) -> &'a [u8] {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_only_unchanged_with_the_same_key_and_purpose() {
        let signer = Signer::new("00112233");
        let token = signer.seal(Purpose::Ticket, b"alice");
        assert_eq!(signer.open(Purpose::Ticket, &token).as_deref(), Some(&b"alice"[..]));
        assert_eq!(Signer::new("00112233").open(Purpose::Ticket, &token).as_deref(), Some(&b"alice"[..]));
        assert!(signer.open(Purpose::Cookie, &token).is_none(), "a ticket is no cookie");
        assert!(Signer::new("44556677").open(Purpose::Ticket, &token).is_none(), "another key");
        let mut bytes = B64.decode(&token).unwrap_or_default();
        bytes[0] ^= 1;
        assert!(signer.open(Purpose::Ticket, &B64.encode(&bytes)).is_none(), "a changed payload");
        assert!(signer.open(Purpose::Ticket, "short").is_none());
        assert!(signer.open(Purpose::Ticket, "!!").is_none());
    }
}
