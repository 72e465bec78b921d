//! Connections of SQLite's kept outside the pool for the busiest reads.
//!
//! sqlx hands a pooled connection back through a task it spawns, which pings
//! the connection (one more round trip to its worker thread) before the
//! next statement may have it: a sign-in's one statement costs three thread
//! hand-offs and a task. A connection kept here costs one hand-off each way.
//! When all are busy a read waits for one (each statement here is a few
//! indexed lookups); a connection that fails is dropped, and the pool takes
//! its share from then on.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyConnection, AnyPool, Connection};
use tokio::sync::Mutex;

/// The readers of one store (none for PostgreSQL, whose server-side
/// connections can go away and are best checked by the pool's ping).
#[derive(Clone, Default)]
pub struct Readers {
    connections: Arc<[Mutex<Option<AnyConnection>>]>,
    /// The reader to wait for when all are busy (round robin).
    next: Arc<AtomicUsize>,
}

impl Readers {
    /// `count` connections to `url`, each set up by `pragmas`.
    pub async fn open(url: &str, count: usize, pragmas: &[String]) -> Result<Readers, sqlx::Error> {
        let mut connections = Vec::with_capacity(count);
        for _ in 0..count {
            let mut connection = AnyConnection::connect(url).await?;
            for pragma in pragmas {
                // Statements the store formats itself, not input.
                sqlx::query(sqlx::AssertSqlSafe(pragma.clone())).execute(&mut connection).await?;
            }
            connections.push(Mutex::new(Some(connection)));
        }
        Ok(Readers { connections: connections.into(), next: Arc::default() })
    }

    /// Runs a read on a free reader, else waits for one (their statements
    /// are short); on the pool when none is left.
    pub async fn fetch_all<'q>(
        &self,
        pool: &AnyPool,
        query: sqlx::query::Query<'q, Any, AnyArguments>,
    ) -> Result<Vec<AnyRow>, sqlx::Error> {
        if self.connections.is_empty() {
            return query.fetch_all(pool).await;
        }
        let free = self.connections.iter().find_map(|reader| reader.try_lock().ok());
        let mut guard = match free {
            Some(guard) => guard,
            None => {
                let next = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
                self.connections[next].lock().await
            }
        };
        let Some(connection) = guard.as_mut() else {
            return query.fetch_all(pool).await;
        };
        let result = query.fetch_all(&mut *connection).await;
        if matches!(result, Err(sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed | sqlx::Error::Protocol(_))) {
            tracing::warn!("a store reader failed; its reads go to the pool");
            *guard = None;
        }
        result
    }

    /// Closes every reader (reads go to the pool afterwards).
    pub async fn close(&self) {
        for reader in self.connections.iter() {
            if let Some(connection) = reader.lock().await.take() {
                let _ = connection.close().await;
            }
        }
    }
}
