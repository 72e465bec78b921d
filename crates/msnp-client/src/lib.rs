//! msnp-client: the client side of MSNP.
//!
//! So far this holds the offline helpers the `msnp` command exposes (challenge
//! answers, the MD5 login hash). The async client (login, lists, presence,
//! switchboard) is not built yet: it is issue 6.

use msnp::auth::challenge::{self, product_by_id};
use msnp::auth::md5_login_response;
use msnp::dialect::{ChallengeAlgorithm, Dialect};

/// A request the client cannot answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientError {
    #[error("unknown product id {0:?}; give its key with --product-key")]
    UnknownProduct(String),
    #[error("{0} has no challenge (CHL/QRY begins with MSNP6)")]
    NoChallenge(Dialect),
}

/// The `QRY` payload answering `challenge` for a client of `product_id` speaking `dialect`.
pub fn answer_challenge(
    dialect: Dialect,
    challenge: &str,
    product_id: &str,
    product_key: Option<&str>,
) -> Result<String, ClientError> {
    let algorithm: ChallengeAlgorithm = dialect.challenge().ok_or(ClientError::NoChallenge(dialect))?;
    let key = match product_key {
        Some(key) => key,
        None => product_by_id(product_id)
            .map(|p| p.key)
            .ok_or_else(|| ClientError::UnknownProduct(product_id.to_owned()))?,
    };
    Ok(challenge::challenge_response(algorithm, challenge, product_id, key))
}

/// The MSNP2–7 `USR MD5 S` answer.
pub fn md5_login(salt: &str, password: &str) -> String {
    md5_login_response(salt, password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_by_dialect() {
        assert_eq!(
            answer_challenge(Dialect::MSNP11, "22210219642164014968", "PROD0090YUAUV{2B", None),
            Ok("85ecb0db8f32113df79ce0892b9a102c".to_owned())
        );
        assert_eq!(
            answer_challenge(Dialect::MSNP5, "1", "PROD0090YUAUV{2B", None),
            Err(ClientError::NoChallenge(Dialect::MSNP5))
        );
        assert!(matches!(answer_challenge(Dialect::MSNP11, "1", "PRODX", None), Err(ClientError::UnknownProduct(_))));
    }
}
