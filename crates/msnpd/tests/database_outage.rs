//! A database that stops taking writes: the change is refused with 501, the
//! session carries on, nothing is half-applied, and once the database is back
//! the next change works and survives a restart.

mod common;

use common::{TestServer, sign_in};
use sqlx::Connection;

#[tokio::test]
async fn a_locked_database_answers_501_and_recovers_losing_nothing() {
    let mut server = TestServer::start_with(|config| config.database_wait_ms = 300).await;
    let Some(path) = server.config.database.strip_prefix("sqlite://").map(str::to_owned) else {
        // Locking a shared PostgreSQL cluster from a test would stall the other tests.
        eprintln!("SKIPPED on PostgreSQL: the outage is simulated by locking the SQLite file");
        return;
    };
    for email in ["alice@example.com", "bob@example.com", "carol@example.com"] {
        server.user(email, "pw", "Someone").await;
    }
    let mut alice = sign_in(&server, "MSNP9", "alice@example.com", "pw", "alice").await;
    alice.send("ADD 1 FL bob@example.com Bob").await;
    alice.expect("ADD 1 FL 1 bob@example.com Bob").await;

    // Another process holds the write lock: every write the server tries times out.
    let mut locker = sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{path}")).await.expect("open");
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut locker).await.expect("lock");
    alice.send("ADD 2 FL carol@example.com Carol").await;
    alice.expect("501 2").await;
    alice.send("PNG").await;
    alice.expect("QNG 60").await;

    sqlx::query("ROLLBACK").execute(&mut locker).await.expect("unlock");
    // The refused change left no trace: the list version goes on from 1.
    alice.send("ADD 3 FL carol@example.com Carol").await;
    alice.expect("ADD 3 FL 2 carol@example.com Carol").await;
    alice.send("OUT").await;
    alice.expect_closed().await;

    server.restart().await;
    let mut alice = sign_in(&server, "MSNP9", "alice@example.com", "pw", "alice-again").await;
    alice.send("SYN 1 0").await;
    alice.expect("SYN 1 2 2 1").await;
    let lines = [alice.line().await, alice.line().await, alice.line().await, alice.line().await, alice.line().await];
    let contacts: Vec<&String> = lines.iter().filter(|line| line.starts_with("LST ")).collect();
    assert_eq!(contacts, ["LST bob@example.com Bob 1 0", "LST carol@example.com Carol 1 0"], "{lines:?}");
}
