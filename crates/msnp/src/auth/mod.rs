//! Authentication and challenge crypto: the MSNP2–7 MD5 login, the CHL/QRY
//! challenge answers, and the SSO MBI_KEY response blob.

pub mod challenge;
pub mod mbi;

use md5::{Digest, Md5};

/// The MSNP2–7 `USR MD5 S` response: lowercase hex of MD5(salt ‖ password).
pub fn md5_login_response(salt: &str, password: &str) -> String {
    let mut hasher = Md5::new();
    hasher.update(salt.as_bytes());
    hasher.update(password.as_bytes());
    hex::encode(hasher.finalize())
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_login_known_answer() {
        // RFC 1321 test suite value MD5("abc"), split into salt and password.
        assert_eq!(md5_login_response("a", "bc"), "900150983cd24fb0d6963f7d28e17f72");
        // msnp-wiki's MD5 challenge example, which hashes the same way (MSNP.md §3).
        assert_eq!(md5_login_response("12345678901234567890", "Q1P7W2E4J9R8U3S5"), "8ba1bb9d6dbf624fee31a2053af5fdd0");
    }
}
