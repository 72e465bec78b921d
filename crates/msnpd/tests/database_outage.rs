//! A database that stops taking writes: the change is refused with 501, the
//! session carries on, nothing is half-applied, and once the database is back
//! the next change works and survives a restart. SQLite: the file is locked;
//! PostgreSQL: the database refuses connections for a while.

mod common;

use common::{Peer, TestServer, sign_in};
use sqlx::Connection;

/// Alice, Bob and Carol; Alice signed in with Bob on her list (version 1).
async fn alice_with_bob(server: &TestServer) -> Peer {
    for email in ["alice@example.com", "bob@example.com", "carol@example.com"] {
        server.user(email, "pw", "Someone").await;
    }
    let mut alice = sign_in(server, "MSNP9", "alice@example.com", "pw", "alice").await;
    alice.send("ADD 1 FL bob@example.com Bob").await;
    alice.expect("ADD 1 FL 1 bob@example.com Bob").await;
    alice
}

#[tokio::test]
async fn a_locked_database_answers_501_and_recovers_losing_nothing() {
    let mut server = TestServer::start_with(|config| config.database_wait_ms = 300).await;
    let Some(path) = server.config.database.strip_prefix("sqlite://").map(str::to_owned) else {
        eprintln!("SKIPPED on PostgreSQL: see a_postgresql_outage_answers_501_and_recovers");
        return;
    };
    let mut alice = alice_with_bob(&server).await;

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

/// The PostgreSQL pass: the server's database stops taking connections and
/// its sessions are ended by the administrator, as when PostgreSQL restarts.
#[tokio::test]
async fn a_postgresql_outage_answers_501_and_recovers() {
    let mut server = TestServer::start_with(|config| config.database_wait_ms = 1000).await;
    let Some((admin, name)) = server.postgres_admin().map(|(a, n)| (a.to_owned(), n.to_owned())) else {
        eprintln!("SKIPPED: runs on the PostgreSQL pass (MSNP_TEST_POSTGRES)");
        return;
    };
    let mut alice = alice_with_bob(&server).await;

    let mut operator = <sqlx::AnyConnection as Connection>::connect(&admin).await.expect("admin connection");
    let run = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).execute(&mut operator).await.expect("close");
    run(format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        .execute(&mut operator)
        .await
        .expect("end sessions");
    alice.send("ADD 2 FL carol@example.com Carol").await;
    alice.expect("501 2").await;
    alice.send("PNG").await;
    alice.expect("QNG 60").await;

    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).execute(&mut operator).await.expect("reopen");
    alice.send("ADD 3 FL carol@example.com Carol").await;
    alice.expect("ADD 3 FL 2 carol@example.com Carol").await;
    alice.send("OUT").await;
    alice.expect_closed().await;
    drop(operator);

    server.restart().await;
    let mut alice = sign_in(&server, "MSNP9", "alice@example.com", "pw", "alice-again").await;
    alice.send("SYN 1 0").await;
    alice.expect("SYN 1 2 2 1").await;
}
