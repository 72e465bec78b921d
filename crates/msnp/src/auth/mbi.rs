//! The SSO `MBI_KEY` response (MSNP15+): the client proves it holds the
//! BinarySecret issued with its messengerclear.live.com ticket by sending an
//! HMAC-SHA1 of the server's nonce and its 3DES-CBC encryption, under keys
//! derived from that secret. See MSNP.md §2.8.

use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD as BASE64};
use cbc::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
use des::TdesEde3;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;
type TdesCbcEncryptor = cbc::Encryptor<TdesEde3>;

/// Header words: header size, CBC mode, CALG_3DES, CALG_SHA1, IV, hash and cipher lengths.
const HEADER_LEN: usize = 28;
const IV_LEN: usize = 8;
const HASH_LEN: usize = 20;
const CRYPT_MODE_CBC: u32 = 1;
const CALG_3DES: u32 = 0x6603;
const CALG_SHA1: u32 = 0x8004;

/// Base64 as Windows and Ruby decode it: unused trailing bits are ignored
/// (the published test secrets `BBB…B=` have them set).
pub const LENIENT_BASE64: GeneralPurpose =
    GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));

const HASH_MAGIC: &[u8] = b"WS-SecureConversationSESSION KEY HASH";
const ENCRYPTION_MAGIC: &[u8] = b"WS-SecureConversationSESSION KEY ENCRYPTION";

/// Why an MBI response was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MbiError {
    #[error("the response is not base64")]
    NotBase64,
    #[error("the response is too short or its lengths disagree")]
    BadLength,
    #[error("the response header is not the MBI one")]
    BadHeader,
    #[error("the HMAC of the nonce does not match")]
    BadHash,
    #[error("the encrypted nonce does not match")]
    BadCipher,
}

fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> [u8; 20] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha1 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The WS-SecureConversation key derivation: 24 bytes from the secret and a magic string.
pub fn derive_key(secret: &[u8], magic: &[u8]) -> [u8; 24] {
    let h1 = hmac_sha1(secret, &[magic]);
    let h2 = hmac_sha1(secret, &[&h1, magic]);
    let h3 = hmac_sha1(secret, &[&h1]);
    let h4 = hmac_sha1(secret, &[&h3, magic]);
    let mut key = [0u8; 24];
    key[..20].copy_from_slice(&h2);
    key[20..].copy_from_slice(&h4[..4]);
    key
}

fn encrypt_nonce(secret: &[u8], iv: &[u8; IV_LEN], nonce: &[u8]) -> Vec<u8> {
    let key = derive_key(secret, ENCRYPTION_MAGIC);
    TdesCbcEncryptor::new(&key.into(), &(*iv).into()).encrypt_padded_vec::<Pkcs7>(nonce)
}

/// The raw response blob (128 bytes for the usual 64-character nonce).
pub fn response_blob(secret: &[u8], nonce: &str, iv: [u8; IV_LEN]) -> Vec<u8> {
    let hash = hmac_sha1(&derive_key(secret, HASH_MAGIC), &[nonce.as_bytes()]);
    let cipher = encrypt_nonce(secret, &iv, nonce.as_bytes());
    let mut blob = Vec::with_capacity(HEADER_LEN + IV_LEN + HASH_LEN + cipher.len());
    for word in
        [HEADER_LEN as u32, CRYPT_MODE_CBC, CALG_3DES, CALG_SHA1, IV_LEN as u32, HASH_LEN as u32, cipher.len() as u32]
    {
        blob.extend_from_slice(&word.to_le_bytes());
    }
    blob.extend_from_slice(&iv);
    blob.extend_from_slice(&hash);
    blob.extend_from_slice(&cipher);
    blob
}

/// The base64 response a client sends in `USR n SSO S t=… <response>`.
pub fn response(secret: &[u8], nonce: &str, iv: [u8; IV_LEN]) -> String {
    BASE64.encode(response_blob(secret, nonce, iv))
}

/// Checks a client's response against the secret issued with its ticket and the nonce sent to it.
pub fn verify(secret: &[u8], nonce: &str, response: &str) -> Result<(), MbiError> {
    let blob = LENIENT_BASE64.decode(response.trim()).map_err(|_| MbiError::NotBase64)?;
    if blob.len() < HEADER_LEN + IV_LEN + HASH_LEN {
        return Err(MbiError::BadLength);
    }
    let word = |i: usize| u32::from_le_bytes([blob[4 * i], blob[4 * i + 1], blob[4 * i + 2], blob[4 * i + 3]]);
    let expected = [HEADER_LEN as u32, CRYPT_MODE_CBC, CALG_3DES, CALG_SHA1, IV_LEN as u32, HASH_LEN as u32];
    if (0..6).any(|i| word(i) != expected[i]) {
        return Err(MbiError::BadHeader);
    }
    let cipher_len = word(6) as usize;
    let body = &blob[HEADER_LEN..];
    if body.len() != IV_LEN + HASH_LEN + cipher_len {
        return Err(MbiError::BadLength);
    }
    let (iv, rest) = body.split_at(IV_LEN);
    let (hash, cipher) = rest.split_at(HASH_LEN);

    let expected_hash = hmac_sha1(&derive_key(secret, HASH_MAGIC), &[nonce.as_bytes()]);
    if !super::constant_time_eq(hash, &expected_hash) {
        return Err(MbiError::BadHash);
    }
    let mut iv_bytes = [0u8; IV_LEN];
    iv_bytes.copy_from_slice(iv);
    let expected_cipher = encrypt_nonce(secret, &iv_bytes, nonce.as_bytes());
    if !super::constant_time_eq(cipher, &expected_cipher) {
        return Err(MbiError::BadCipher);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from manastech/em-msn spec/msn/nexus_spec.rb, restated and
    // re-verified in MSNP.md §2.8. The secrets decode to 23 bytes.
    const VECTORS: [(&str, &str, &str); 2] = [
        (
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "HAAAAAEAAAADZgAABIAAAAgAAAAUAAAASAAAAAAAAAAAAAAA7XgT5ohvaZdoXdrWUUcMF2G8OK2JohyYcK5l5MJSitab33scxJeK/RQXcUr0L+R2ZA9CEAzn0izmUzSMp2LZdxSbHtnuxCmptgtoScHp9E26HjQVkA9YJxgK/HM=",
        ),
        (
            "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=",
            "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=",
            "HAAAAAEAAAADZgAABIAAAAgAAAAUAAAASAAAAAAAAAAAAAAAywfWRZVnRRZTqPkW6HBIrOmPuYiFbzcpvYmP2QzhpH+VdKwtqUTt/gdbDqlMZvR1o7ve9ex44otMOxYtnNYIQ+lfoj+PKcsHT+T7GA1hfMsTVbGqoYYe3B5/WW0=",
        ),
    ];

    #[test]
    fn em_msn_known_answers() {
        for (nonce, secret, expected) in VECTORS {
            let secret = LENIENT_BASE64.decode(secret).expect("vector secret");
            assert_eq!(nonce.len(), 64);
            assert_eq!(response(&secret, nonce, [0; 8]), expected);
            assert_eq!(response_blob(&secret, nonce, [0; 8]).len(), 128);
            assert_eq!(verify(&secret, nonce, expected), Ok(()));
        }
    }

    #[test]
    fn any_flipped_bit_is_refused() {
        let (nonce, secret, good) = VECTORS[0];
        let secret = LENIENT_BASE64.decode(secret).expect("vector secret");
        let blob = BASE64.decode(good).expect("vector blob");
        for byte in 0..blob.len() {
            for bit in 0..8 {
                let mut bad = blob.clone();
                bad[byte] ^= 1 << bit;
                assert!(
                    verify(&secret, nonce, &BASE64.encode(&bad)).is_err(),
                    "flip of byte {byte} bit {bit} accepted"
                );
            }
        }
    }

    #[test]
    fn wrong_secret_nonce_or_shape_is_refused() {
        let (nonce, secret, good) = VECTORS[0];
        let secret = LENIENT_BASE64.decode(secret).expect("vector secret");
        assert_eq!(verify(b"other secret", nonce, good), Err(MbiError::BadHash));
        assert_eq!(verify(&secret, &nonce.replace('A', "C"), good), Err(MbiError::BadHash));
        assert_eq!(verify(&secret, nonce, "not base64!"), Err(MbiError::NotBase64));
        assert_eq!(verify(&secret, nonce, "HAAAAA=="), Err(MbiError::BadLength));
        let truncated = &BASE64.decode(good).expect("blob")[..100];
        assert_eq!(verify(&secret, nonce, &BASE64.encode(truncated)), Err(MbiError::BadLength));
    }

    #[test]
    fn a_real_24_byte_secret_round_trips() {
        let secret = [7u8; 24];
        let nonce = "8CLhG/xfgYZ7TyRQ/jIAWyDmd/w4R4GF2yKLS6tYrnjzi4cFag/Nr+hxsfg5zlCf";
        let sent = response(&secret, nonce, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(sent.starts_with("HAAAAAEAAAADZgAABIAAAAgAAAAUAAAASAAAA"));
        assert_eq!(verify(&secret, nonce, &sent), Ok(()));
    }
}
