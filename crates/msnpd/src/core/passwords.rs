//! Argon2id passwords, hashed by a fixed set of threads (one per core), each
//! keeping the memory of its last hash for the next one. A burst of logins
//! or sign-ups then costs at most that set's memory (19 MiB per thread at
//! the default parameters), not a fresh allocation per attempt that the
//! allocator keeps after the burst.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{mpsc, oneshot};

use super::accounts::AccountError;

/// Largest Argon2 memory a stored hash may ask for (256 MiB): a hash made
/// elsewhere with more is refused rather than allocated.
const MAX_MEMORY_KIB: u32 = 256 * 1024;

/// Attempts waiting for a hashing thread; beyond, callers wait to queue.
const QUEUE: usize = 1024;

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The hashing threads. Dropped, they finish their queue and end.
pub struct Hashing {
    jobs: mpsc::Sender<Job>,
}

impl Hashing {
    pub fn start(threads: usize) -> Hashing {
        let (jobs, queue) = mpsc::channel::<Job>(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("msnpd-hash-{index}")).spawn(move || {
                let mut memory = Vec::new();
                loop {
                    // One thread waits on the queue at a time; the others on the lock.
                    let job = queue.lock().unwrap_or_else(|e| e.into_inner()).blocking_recv();
                    match job {
                        Some(job) => job(&mut memory),
                        None => return,
                    }
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "a password hashing thread could not start");
            }
        }
        Hashing { jobs }
    }

    /// Runs `work` on a hashing thread with that thread's memory; `None`
    /// if no thread took it.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = reply.send(work(memory));
        });
        self.jobs.send(job).await.ok()?;
        answer.await.ok()
    }
}

/// `memory` holding at least `params`' blocks (grown once, then reused).
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    &mut memory[..needed]
}

fn hash_error(error: impl std::fmt::Display) -> AccountError {
    AccountError::Hash(error.to_string())
}

/// An Argon2id PHC string for `password` with `(memory KiB, iterations,
/// lanes)`, hashed in `memory`.
pub fn hash_password(password: &str, params: (u32, u32, u32), memory: &mut Vec<Block>) -> Result<String, AccountError> {
    if password.is_empty() {
        return Err(AccountError::EmptyPassword);
    }
    let (memory_kib, iterations, lanes) = params;
    let params = Params::new(memory_kib, iterations, lanes, None).map_err(hash_error)?;
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(hash_error)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let hash = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        argon2
            .hash_password_into_with_memory(password.as_bytes(), &salt_bytes, out, blocks(memory, &params))
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(hash_error)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(hash_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches a stored PHC string (its own parameters
/// apply), hashed in `memory`.
pub fn verify_password(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(phc) = PasswordHash::new(stored) else { return false };
    let (Some(expected), Some(salt)) = (phc.hash, phc.salt) else { return false };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm) else { return false };
    let version = phc.version.map_or(Ok(Version::V0x13), Version::try_from);
    let (Ok(version), Ok(params)) = (version, Params::try_from(&phc)) else { return false };
    if params.m_cost() > MAX_MEMORY_KIB {
        tracing::warn!(memory_kib = params.m_cost(), "a stored password hash asks for too much memory");
        return false;
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let computed = Output::init_with(expected.len(), |out| {
        argon2
            .hash_password_into_with_memory(password.as_bytes(), salt, out, blocks(memory, &params))
            .map_err(|_| argon2::password_hash::Error::Crypto)
    });
    // `Output` compares in constant time.
    computed.is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let mut memory = Vec::new();
        let hash = hash_password("secret", (64, 1, 1), &mut memory).expect("hashes");
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(verify_password("secret", &hash, &mut memory));
        assert!(!verify_password("Secret", &hash, &mut memory));
        assert!(!verify_password("secret", "garbage", &mut memory));
        assert!(hash_password("", (64, 1, 1), &mut memory).is_err());
        assert_eq!(memory.len(), 64, "the memory of the hash is kept");
    }

    /// Hashes made by the `argon2` crate's own hasher (all stored so far)
    /// verify, and those made here verify there.
    #[test]
    fn hashes_are_the_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let params = Params::new(128, 2, 1, None).expect("params");
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"sixteen byte salt").expect("salt");
        let theirs = argon2.hash_password(b"pw-1", &salt).expect("hash").to_string();
        let mut memory = Vec::new();
        assert!(verify_password("pw-1", &theirs, &mut memory));
        assert!(!verify_password("pw-2", &theirs, &mut memory));
        let ours = hash_password("pw-3", (128, 2, 1), &mut memory).expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC");
        assert!(Argon2::default().verify_password(b"pw-3", &parsed).is_ok());
    }

    #[tokio::test]
    async fn the_threads_take_turns_with_their_memory() {
        let hashing = Hashing::start(2);
        let hashes: Vec<_> =
            (0..6).map(|n| hashing.run(move |memory| hash_password(&format!("pw{n}"), (64, 1, 1), memory))).collect();
        for (n, hash) in futures_util::future::join_all(hashes).await.into_iter().enumerate() {
            let hash = hash.expect("a thread took it").expect("hashed");
            let ok = hashing.run(move |memory| verify_password(&format!("pw{n}"), &hash, memory)).await;
            assert_eq!(ok, Some(true));
        }
    }
}
