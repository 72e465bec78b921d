//! Connections to the SQLite file for the busiest read, run in the calling
//! thread.
//!
//! Every statement through sqlx goes to the connection's worker thread and
//! back: two thread wake-ups, a task, and rows decoded into sqlx's `Any`
//! values. A sign-in's one statement (a few indexed lookups, every page of
//! them in the cache) takes less time in SQLite than that hand-off, so the
//! store keeps a few connections of its own (the same SQLite library, through
//! `rusqlite`) and runs it where it is asked for. In WAL mode a reader does not
//! wait for writers; these connections do not wait at all (`busy_timeout` 0):
//! when the file is busy, all readers are taken (another thread's), or a
//! reader fails, the read goes through sqlx's pool as any other statement.

use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

/// The readers of one store (none for PostgreSQL, or for SQLite opened
/// without a file).
#[derive(Clone, Default)]
pub struct Readers {
    connections: Arc<[Mutex<Option<Connection>>]>,
}

impl Readers {
    /// `count` read-only connections to the SQLite file at `path`.
    pub fn open(path: &str, count: usize) -> rusqlite::Result<Readers> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut connections = Vec::with_capacity(count);
        for _ in 0..count {
            let connection = Connection::open_with_flags(path, flags)?;
            // A small page cache each: the system's file cache holds the pages once.
            connection.pragma_update(None, "cache_size", -64)?;
            connection.busy_timeout(std::time::Duration::ZERO)?;
            connections.push(Mutex::new(Some(connection)));
        }
        Ok(Readers { connections: connections.into() })
    }

    /// Runs `statement` with `id` as its one parameter on a free reader and
    /// maps each row; `None` when no reader could (the caller asks the pool).
    pub fn query<T>(
        &self,
        statement: &str,
        id: i64,
        mut map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Option<Vec<T>> {
        let mut guard = self.connections.iter().find_map(|reader| reader.try_lock().ok())?;
        let connection = guard.as_mut()?;
        let result = connection.prepare_cached(statement).and_then(|mut prepared| {
            let rows = prepared.query_map([id], |row| map(row))?;
            rows.collect::<rusqlite::Result<Vec<T>>>()
        });
        match result {
            Ok(rows) => Some(rows),
            Err(rusqlite::Error::SqliteFailure(error, _)) if error.code == rusqlite::ErrorCode::DatabaseBusy => None,
            Err(error) => {
                tracing::warn!(%error, "a store reader failed; its reads go to the pool");
                *guard = None;
                None
            }
        }
    }
}

/// The file a `sqlite:` URL names, if it names one (not an in-memory database).
pub fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_url() {
        assert_eq!(sqlite_file("sqlite://msnpd.db"), Some("msnpd.db"));
        assert_eq!(sqlite_file("sqlite:///var/lib/msnpd/msnpd.db?mode=rwc"), Some("/var/lib/msnpd/msnpd.db"));
        assert_eq!(sqlite_file("sqlite:msnpd.db"), Some("msnpd.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/msnpd"), None);
    }

    #[test]
    fn reads_in_this_thread_and_declines_what_it_cannot() {
        let dir = std::env::temp_dir().join(format!("msnpd-readers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("r.db");
        let writer = Connection::open(&path).expect("open");
        writer.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER, v TEXT); INSERT INTO t VALUES (1, 'a'), (1, 'b'), (2, 'c');").expect("schema");
        let readers = Readers::open(path.to_str().expect("utf-8"), 1).expect("readers");
        let read = |id| readers.query("SELECT v FROM t WHERE id = $1 ORDER BY v", id, |row| row.get::<_, String>(0));
        assert_eq!(read(1), Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(read(3), Some(vec![]));
        // A statement that cannot run leaves the read to the pool, and the reader with it.
        assert_eq!(readers.query("SELECT nothing FROM nowhere", 1, |row| row.get::<_, i64>(0)), None);
        assert_eq!(read(1), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
