//! Answers that need no server: challenge responses and the MD5 login hash.

use msnp::auth::challenge::{self, product_by_id};
use msnp::auth::md5_login_response;
use msnp::dialect::{ChallengeAlgorithm, Dialect};

use crate::ClientError;

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
            answer_challenge(Dialect::MSNP11, "22210219642164014968", "PROD0090YUAUV{2B", None).ok().as_deref(),
            Some("85ecb0db8f32113df79ce0892b9a102c")
        );
        assert!(matches!(
            answer_challenge(Dialect::MSNP5, "1", "PROD0090YUAUV{2B", None),
            Err(ClientError::NoChallenge(Dialect::MSNP5))
        ));
        assert!(matches!(answer_challenge(Dialect::MSNP11, "1", "PRODX", None), Err(ClientError::UnknownProduct(_))));
    }
}
