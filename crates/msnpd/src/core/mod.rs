//! The protocol-neutral service: accounts, tickets, contact lists and privacy,
//! presence, conversations. It knows no dialect and no line format: the fronts
//! (`ns`, `sb`, `http`) translate between it and the wire.

pub mod accounts;
pub mod bridge;
pub mod circles;
pub mod cluster;
pub mod config;
pub mod contact_list;
pub mod delivery;
pub mod dispatch;
pub mod hub;
pub mod limits;
pub mod lists;
pub mod offline;
pub mod outlet;
pub mod passwords;
pub mod presence;
pub mod revocation;
pub mod sessions;
pub mod switchboard;
pub mod tickets;
pub mod tokens;
pub mod types;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::store::{Store, StoreError};

pub use config::CoreConfig;

/// An account's id; also its Passport PUID (MemberIdHigh/Low).
pub type AccountId = i64;

/// A failure of the service that is not the client's fault.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the account was deleted")]
    AccountGone,
    #[error("the ticket was issued under an earlier password")]
    CredentialChanged,
}

/// The whole service state shared by every front.
pub struct Core {
    pub config: CoreConfig,
    pub store: Store,
    pub tickets: tickets::Tickets,
    pub hub: hub::Hub,
    pub switchboards: switchboard::Switchboards,
    /// MSNP19+ accounts in switchboard conversations this node holds.
    pub bridges: bridge::Bridges,
    pub login_guard: limits::LoginGuard,
    /// Connections not signed in yet, per address and in all.
    pub admission: Arc<limits::Admission>,
    /// The key of the decoy MD5 salts, read from the store on first use.
    decoy_salt_key: tokio::sync::OnceCell<String>,
    /// The password hashing threads: one per core, each reusing its Argon2
    /// memory (19 MiB by default), so a burst of logins holds no more than
    /// that set and leaves nothing behind.
    hashing: passwords::Hashing,
    /// Signs what the service hands out and takes back (tickets, cookies, web sessions).
    pub signer: Arc<tokens::Signer>,
    /// The figures `/metrics` shows.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// This node among the others, and how it reaches them.
    pub node: cluster::NodeId,
    pub bus: Arc<dyn cluster::Bus>,
    pub directory: cluster::directory::Directory,
    /// Set while the node is drained: dispatch sends no one here.
    pub draining: std::sync::atomic::AtomicBool,
    /// Clients this node's dispatch referred to itself since its last
    /// heartbeat (they count as sessions until they arrive).
    pub referred_here: std::sync::atomic::AtomicUsize,
}

/// The key every node signs tickets and cookies with, kept in the database.
pub async fn token_signer(store: &Store) -> Result<Arc<tokens::Signer>, StoreError> {
    Ok(Arc::new(tokens::Signer::new(&store.server_secret("token-key").await?)))
}

impl Core {
    /// A node on its own.
    pub fn alone(config: CoreConfig, store: Store, signer: Arc<tokens::Signer>) -> Arc<Core> {
        Core::new(config, store, signer, rand::random(), Arc::new(cluster::LocalBus))
    }

    /// A node that reaches the others over `bus`.
    pub fn new(
        config: CoreConfig,
        store: Store,
        signer: Arc<tokens::Signer>,
        node: cluster::NodeId,
        bus: Arc<dyn cluster::Bus>,
    ) -> Arc<Core> {
        let metrics = Arc::new(crate::metrics::Metrics::new(store.timings.clone()));
        Arc::new(Core {
            tickets: tickets::Tickets::new(config.ticket_lifetime, signer.clone()),
            signer: signer.clone(),
            switchboards: switchboard::Switchboards::new(
                config.cookie_lifetime,
                config.sb_message_rate,
                config.max_conversations_per_user,
                config.max_conversations,
                signer,
                node,
            ),
            bridges: Default::default(),
            hub: hub::Hub::new(node),
            metrics,
            directory: cluster::directory::Directory::new(config.heartbeat, config.node_dead_after, bus.liveness()),
            node,
            bus,
            draining: Default::default(),
            referred_here: Default::default(),
            login_guard: limits::LoginGuard::new(config.login_guard.0, config.login_guard.1, config.login_guard.2),
            decoy_salt_key: tokio::sync::OnceCell::new(),
            hashing: passwords::Hashing::start(std::thread::available_parallelism().map_or(2, |n| n.get())),
            admission: Arc::new(limits::Admission::new(config.max_pending_per_address, config.max_pending)),
            config,
            store,
        })
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Microseconds since the Unix epoch (list timestamps).
pub fn unix_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

/// A random token of 128 bits, hex-encoded (tickets, cookies, nonces).
pub fn random_token() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}
