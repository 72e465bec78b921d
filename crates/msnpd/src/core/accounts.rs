//! Accounts: email rules, Argon2id passwords, creation and lookup.

use super::passwords::{hash_password, verify_password};
use super::{AccountId, Core, ServiceError, unix_now};
use crate::store::{AccountRow, StoreError};

/// Why an account could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0:?} is not a valid email address")]
    InvalidEmail(String),
    #[error("{0} already has an account")]
    Exists(String),
    #[error("no account {0}")]
    NotFound(String),
    #[error("the password is empty")]
    EmptyPassword,
    #[error("could not hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> AccountError {
        AccountError::Service(error.into())
    }
}

/// The canonical (lowercase) form of an email address, if it is one.
/// Rules: `local@domain`, ASCII, at most 129 bytes, a dotted domain.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_ascii_lowercase();
    if email.len() > 129 || !email.is_ascii() {
        return None;
    }
    let (local, domain) = email.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.');
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    (local_ok && domain_ok).then_some(email)
}

/// Characters a name shown to others may not hold: control characters, and
/// the invisible ones that reorder or hide text (bidirectional overrides,
/// embeddings and isolates; zero-width space, word joiner, byte order
/// mark), with which one name can pass for another. Zero-width joiners and
/// non-joiners stay: scripts and emoji need them.
fn hides_or_reorders(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// Whether `name` may be shown to others as a friendly name: not empty,
/// within `max_encoded` bytes as the protocol carries it (URL-encoded), and
/// none of the characters [`hides_or_reorders`] refuses.
pub fn friendly_name_ok(name: &str, max_encoded: usize) -> bool {
    !name.is_empty() && msnp::text::encode_param(name).len() <= max_encoded && !name.chars().any(hides_or_reorders)
}

/// A positive random id; it doubles as the 64-bit Passport PUID.
fn new_account_id() -> AccountId {
    (rand::random::<u64>() >> 2) as i64 + 1
}

impl Core {
    pub async fn create_account(
        &self,
        email: &str,
        password: &str,
        nickname: Option<&str>,
    ) -> Result<AccountRow, AccountError> {
        let email = normalize_email(email).ok_or_else(|| AccountError::InvalidEmail(email.to_owned()))?;
        let password_hash = self.new_hash(password).await?;
        let row = AccountRow {
            id: new_account_id(),
            friendly_name: nickname.map_or_else(|| email.clone(), str::to_owned),
            password_hash,
            email,
            created_at: unix_now(),
            legacy_md5: false,
        };
        match self.store.create_account(&row).await {
            Ok(()) => Ok(row),
            Err(StoreError::Duplicate(email)) => Err(AccountError::Exists(email)),
            Err(error) => Err(error.into()),
        }
    }

    /// The account if `password` is right. Verification runs on a blocking
    /// thread: Argon2 is deliberately slow.
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
        address: Option<std::net::IpAddr>,
    ) -> Result<Option<AccountRow>, ServiceError> {
        let Some(email) = normalize_email(email) else {
            return Ok(None);
        };
        // The attempt is reserved before the costly check: parallel guesses
        // count while they are checked, not after.
        let Some(attempt) = self.login_guard.reserve(&email, address) else {
            tracing::warn!(%email, ?address, "login refused unchecked: too many failures in the window");
            return Ok(None);
        };
        let found = self.check_password(&email, password).await?;
        match &found {
            Some(account) => {
                attempt.succeeded();
                if account.legacy_md5 {
                    self.resalt_legacy_md5(account.id, password).await?;
                }
            }
            None => attempt.failed(),
        }
        Ok(found)
    }

    async fn check_password(&self, email: &str, password: &str) -> Result<Option<AccountRow>, ServiceError> {
        let email = email.to_owned();
        let account = self.store.account_by_email(&email).await?;
        let password = password.to_owned();
        let Some(account) = account else {
            // Spend the same effort on unknown accounts so timing tells nothing.
            let params = self.config.argon2_params;
            let _ = self.hashing.run(move |memory| hash_password(&password, params, memory)).await;
            return Ok(None);
        };
        let stored = account.password_hash.clone();
        let ok = self.hashing.run(move |memory| verify_password(&password, &stored, memory)).await.unwrap_or(false);
        Ok(ok.then_some(account))
    }

    /// A new hash of `password` with the configured parameters.
    async fn new_hash(&self, password: &str) -> Result<String, AccountError> {
        let (password, params) = (password.to_owned(), self.config.argon2_params);
        let hashed = self.hashing.run(move |memory| hash_password(&password, params, memory)).await;
        hashed.unwrap_or_else(|| Err(AccountError::Hash("the hashing thread failed".into())))
    }

    /// Changes the password. The MD5 credential of MSNP2-7 is replaced when
    /// `legacy_md5` is set and dropped otherwise, so no old password keeps working.
    pub async fn set_password(&self, email: &str, password: &str, legacy_md5: bool) -> Result<(), AccountError> {
        let email = normalize_email(email).ok_or_else(|| AccountError::InvalidEmail(email.to_owned()))?;
        let account =
            self.store.account_by_email(&email).await?.ok_or_else(|| AccountError::NotFound(email.clone()))?;
        let hash = self.new_hash(password).await?;
        self.store.set_password_hash(account.id, &hash).await?;
        self.set_legacy_md5(account.id, legacy_md5.then_some(password)).await?;
        // Whoever signed in with the old password is signed out: its tickets
        // no longer pass (they keep what stood for it), its Messenger
        // sessions and conversations end wherever they are, its web pages
        // are signed out.
        self.store.end_account_web_sessions(account.id).await?;
        self.revoke(account.id).await?;
        Ok(())
    }

    /// Stores (or with `None` removes) the MD5 credential for `password`.
    pub async fn set_legacy_md5(&self, account: AccountId, password: Option<&str>) -> Result<(), AccountError> {
        match password {
            Some(password) => {
                // The salt the server sends this account in every `USR MD5 S`.
                let salt = format!("{}.{}", rand::random::<u32>(), rand::random::<u32>());
                let hash = msnp::auth::md5_login_response(&salt, password);
                self.store.set_legacy_md5(account, Some((&salt, &hash))).await?;
            }
            None => self.store.set_legacy_md5(account, None).await?,
        }
        Ok(())
    }

    /// A login that carried the password gives an account's MSNP2–7 MD5
    /// secret a new salt: an `USR MD5 S` answer captured before stops working,
    /// while clients that know the password compute the new one unawares.
    async fn resalt_legacy_md5(&self, account: AccountId, password: &str) -> Result<(), ServiceError> {
        let salt = format!("{}.{}", rand::random::<u32>(), rand::random::<u32>());
        let hash = msnp::auth::md5_login_response(&salt, password);
        self.store.set_legacy_md5(account, Some((&salt, &hash))).await?;
        Ok(())
    }

    /// The salt `USR MD5 I` answers for an address with no usable MD5 secret
    /// (no such account, or no secret): derived from the address and a key of
    /// the service, so it is the same every time, as a real account's salt
    /// is, and written the same way. Asking twice tells nothing.
    pub async fn decoy_md5_salt(&self, email: &str) -> Result<String, ServiceError> {
        use sha2::Digest as _;
        let key = self.decoy_salt_key.get_or_try_init(|| self.store.server_secret("md5-decoy-salt")).await?;
        let digest = sha2::Sha256::new().chain_update(key.as_bytes()).chain_update([0]).chain_update(email).finalize();
        let word = |at: usize| u32::from_le_bytes([digest[at], digest[at + 1], digest[at + 2], digest[at + 3]]);
        Ok(format!("{}.{}", word(0), word(4)))
    }

    pub async fn delete_account(&self, email: &str) -> Result<(), AccountError> {
        let email = normalize_email(email).ok_or_else(|| AccountError::InvalidEmail(email.to_owned()))?;
        let account =
            self.store.account_by_email(&email).await?.ok_or_else(|| AccountError::NotFound(email.clone()))?;
        self.store.delete_account(account.id).await?;
        // Its sessions and conversations, wherever they are, end: nothing of it is left to act on.
        self.revoke(account.id).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_hide_or_reorder_text_are_refused() {
        assert!(friendly_name_ok("Alice (away) 🌸", 387));
        assert!(friendly_name_ok("👩\u{200D}💻 שלום", 387), "joiners and right-to-left text");
        for bad in ["", "evil\u{202E}gnp.exe", "a\u{2066}b", "zero\u{200B}width", "bom\u{FEFF}", "tab\there"] {
            assert!(!friendly_name_ok(bad, 387), "{bad:?}");
        }
        assert!(!friendly_name_ok(&"x".repeat(388), 387));
    }

    #[test]
    fn emails_are_validated_and_lowercased() {
        assert_eq!(normalize_email(" Alice@Example.COM "), Some("alice@example.com".into()));
        assert_eq!(normalize_email("a.b+c@mail.example.org"), Some("a.b+c@mail.example.org".into()));
        for bad in [
            "",
            "alice",
            "a@b",
            "@example.com",
            "a@.com",
            "a b@example.com",
            "a@exa mple.com",
            "é@example.com",
            ".a@example.com",
            "a@-x.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
