//! Persistence: one SQL path over SQLite (embedded default) and PostgreSQL,
//! through sqlx's `Any` driver with runtime queries. Ids are chosen by the
//! application, so the schema needs no dialect-specific auto-increment.

mod accounts;
mod circles;
mod credential_changes;
mod lists;
mod offline;
mod profiles;
mod readers;
mod schema;
mod secrets;
mod web_sessions;

pub use accounts::AccountRow;
pub use circles::{CircleRow, MemberRow};
pub use lists::{ContactRow, GroupRow, ListChange, ListData, ListSettings, SignInData};
pub use offline::{OfflineMessage, Stored};
pub use profiles::Profile;
pub use web_sessions::WebOwner;

use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, install_default_drivers};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("unsupported database URL {0:?} (use sqlite:// or postgres://)")]
    UnsupportedUrl(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// SQLite: connections outside the pool for the sign-in read.
    readers: readers::Readers,
    is_sqlite: bool,
    /// How long each kind of operation takes (`/metrics`).
    pub timings: crate::metrics::DbTimings,
}

/// Times one operation of the store until dropped.
pub(crate) struct Timed<'a> {
    timings: &'a crate::metrics::DbTimings,
    kind: &'static str,
    started: std::time::Instant,
}

impl Drop for Timed<'_> {
    fn drop(&mut self) {
        let labels = crate::metrics::DbLabels { kind: self.kind };
        self.timings.get_or_create(&labels).observe(self.started.elapsed().as_secs_f64());
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// How the store uses its database.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// How long a statement may wait for the database before it fails.
    pub wait: std::time::Duration,
    /// Connections in the pool; `None`: 8 for SQLite (each is a worker
    /// thread), 16 for PostgreSQL.
    pub connections: Option<u32>,
}

/// Shortest wait for a pooled connection: a pool must survive a burst of logins.
const MIN_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Begins a transaction that writes; see [`Store::write_transaction`].
pub(crate) async fn begin_writing(
    pool: &AnyPool,
    is_sqlite: bool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if is_sqlite { pool.begin_with("BEGIN IMMEDIATE").await } else { pool.begin().await }
}

impl Store {
    /// A transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), waiting out another writer for `busy_timeout`: a
    /// transaction that read first and wrote later would instead fail at once
    /// ("database is locked") whenever another connection or process, a
    /// server starting or a `msnpd user` command, wrote in between.
    pub(crate) async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        begin_writing(&self.pool, self.is_sqlite).await
    }

    /// Connects (creating a SQLite file if needed) and brings the schema up to date.
    /// `wait` bounds how long a statement waits for the database (a locked
    /// SQLite file, a PostgreSQL pool with no free or reachable connection)
    /// before it fails and the client is answered 500/501.
    pub async fn open(url: &str, options: StoreOptions) -> StoreResult<Store> {
        let wait = options.wait;
        install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        if !is_sqlite && !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let url = if is_sqlite && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        };
        let connections = options.connections.unwrap_or(if is_sqlite { 8 } else { 16 }).max(1);
        let mut options = AnyPoolOptions::new().max_connections(connections).acquire_timeout(wait.max(MIN_WAIT));
        if is_sqlite {
            // sqlx pings every connection it hands out: for SQLite a round trip
            // to the connection's worker thread per statement, for a
            // connection to a file that cannot have gone away. (PostgreSQL
            // keeps the ping: a server restart leaves every pooled connection
            // dead, and without it the first statement on each would fail.)
            options = options.test_before_acquire(false);
        }
        if is_sqlite {
            let busy_timeout = format!("PRAGMA busy_timeout={}", wait.as_millis());
            // WAL for concurrent readers; FULL so an acknowledged change survives a crash.
            options = options.after_connect(move |conn, _| {
                let busy_timeout = busy_timeout.clone();
                Box::pin(async move {
                    // The wait first: switching to WAL needs the file to itself,
                    // and another process (a server starting) may hold it.
                    // A number this function formatted, not input.
                    sqlx::query(sqlx::AssertSqlSafe(busy_timeout)).execute(&mut *conn).await?;
                    for pragma in [
                        "PRAGMA journal_mode=WAL",
                        "PRAGMA synchronous=FULL",
                        "PRAGMA foreign_keys=ON",
                        // Each connection keeps its own page cache (2 MB by
                        // default, 16 MB for the pool) while the system's file
                        // cache holds the same pages once: a small one each.
                        "PRAGMA cache_size=-256",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        let mut store =
            Store { pool, is_sqlite, readers: readers::Readers::default(), timings: crate::metrics::db_timings() };
        schema::migrate(&store.pool, store.is_sqlite).await?;
        if let Some(file) = readers::sqlite_file(&url) {
            // One per core: more could not run at once.
            let count = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
            match readers::Readers::open(file, count) {
                Ok(readers) => store.readers = readers,
                Err(error) => tracing::warn!(%error, "no store readers: every read goes to the pool"),
            }
        }
        Ok(store)
    }

    /// Starts timing an operation of kind `kind` (the method's name).
    pub(crate) fn timed(&self, kind: &'static str) -> Timed<'_> {
        Timed { timings: &self.timings, kind, started: std::time::Instant::now() }
    }

    pub fn is_sqlite(&self) -> bool {
        self.is_sqlite
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// How long the address book change log reaches back.
pub const CHANGE_LOG_DAYS: i64 = 30;

/// The forward-list bit: leaving the FL also leaves every group.
pub const FORWARD_LIST_BIT: i32 = 1;
