//! What a credential opened ends with it: a new password or a deleted
//! account takes its seats out of conversations (the others see `BYE`),
//! makes cookies issued before useless, and does so also when the change
//! comes from the `msnpd user` command, which no running node hears.

mod common;

use std::process::Command;

use common::{Peer, TestServer, sign_in};

async fn online(server: &TestServer, email: &str, password: &str, name: &'static str) -> Peer {
    let mut peer = sign_in(server, "MSNP8", email, password, name).await;
    peer.send("CHG 50 NLN 0").await;
    peer.expect("CHG 50 NLN 0").await;
    assert!(peer.line().await.starts_with("CHL 0 "));
    peer
}

fn word(line: &str, index: usize) -> String {
    line.split(' ').nth(index).unwrap_or_else(|| panic!("no word {index} in {line}")).to_owned()
}

async fn cookie(ns: &mut Peer, trid: u32) -> String {
    ns.send(&format!("XFR {trid} SB")).await;
    word(&ns.line().await, 5)
}

/// Alice (password `password`) and Bob signed in, in one conversation:
/// Alice's NS and SB sessions, Bob's SB session.
async fn alice_and_bob_talking(server: &TestServer, password: &str) -> (Peer, Peer, Peer) {
    server.user("alice@example.com", password, "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    let mut alice = online(server, "alice@example.com", password, "alice").await;
    let mut bob = online(server, "bob@example.com", "bob-pw", "bob").await;
    let cookie = cookie(&mut alice, 60).await;
    let mut alice_sb = Peer::connect(server.sb(), "alice-sb").await;
    alice_sb.send(&format!("USR 1 alice@example.com {cookie}")).await;
    assert!(alice_sb.line().await.starts_with("USR 1 OK"));
    alice_sb.send("CAL 2 bob@example.com").await;
    let session = word(&alice_sb.line().await, 3);
    let rng = bob.line().await;
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("ANS 1 bob@example.com {} {session}", word(&rng, 4))).await;
    bob_sb.expect("IRO 1 1 1 alice@example.com Alice").await;
    bob_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI bob@example.com Bob").await;
    (alice, alice_sb, bob_sb)
}

#[tokio::test]
async fn a_new_password_takes_the_old_one_out_of_its_conversations() {
    let server = TestServer::start().await;
    let (mut alice, mut alice_sb, mut bob_sb) = alice_and_bob_talking(&server, "alice-pw-1").await;
    let unused = cookie(&mut alice, 61).await;

    server.server().context.core.set_password("alice@example.com", "alice-pw-2", false).await.expect("changed");
    alice.expect("OUT").await;
    alice.expect_closed().await;
    alice_sb.expect_closed().await;
    bob_sb.expect("BYE alice@example.com").await;
    // A cookie issued before the change opens nothing after it.
    let mut late = Peer::connect(server.sb(), "late").await;
    late.send(&format!("USR 1 alice@example.com {unused}")).await;
    late.expect("911 1").await;
    late.expect_closed().await;
    // Under the new password all is as before.
    let mut alice = online(&server, "alice@example.com", "alice-pw-2", "alice-again").await;
    let fresh = cookie(&mut alice, 62).await;
    let mut sb = Peer::connect(server.sb(), "alice-sb-again").await;
    sb.send(&format!("USR 1 alice@example.com {fresh}")).await;
    assert!(sb.line().await.starts_with("USR 1 OK"));
}

#[tokio::test]
async fn a_deleted_account_leaves_its_conversations() {
    let server = TestServer::start().await;
    let (mut alice, mut alice_sb, mut bob_sb) = alice_and_bob_talking(&server, "alice-pw").await;

    server.server().context.core.delete_account("alice@example.com").await.expect("deleted");
    alice.expect("OUT").await;
    alice_sb.expect_closed().await;
    bob_sb.expect("BYE alice@example.com").await;
}

/// `msnpd user passwd` runs in a process of its own, beside the server,
/// on the same database: the server finds the change within seconds.
#[tokio::test]
async fn the_user_command_ends_what_the_old_password_opened() {
    let server = TestServer::start().await;
    let (mut alice, mut alice_sb, mut bob_sb) = alice_and_bob_talking(&server, "alice-pw-1").await;

    let output = Command::new(env!("CARGO_BIN_EXE_msnpd"))
        .args(["user", "passwd", "alice@example.com", "--password", "alice-pw-2"])
        .current_dir(server.dir.path())
        .env("MSNPD_DATABASE", &server.config.database)
        .envs([("MSNPD_ARGON2_MEMORY_KIB", "64"), ("MSNPD_ARGON2_ITERATIONS", "1")])
        .output()
        .expect("msnpd runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    alice.expect("OUT").await;
    alice_sb.expect_closed().await;
    bob_sb.expect("BYE alice@example.com").await;
    drop(online(&server, "alice@example.com", "alice-pw-2", "alice-again").await);
}

/// Signing in with the new password at once, before the server has looked
/// at the change, ends the old session rather than being refused beside it.
#[tokio::test]
async fn the_new_password_signs_in_before_the_server_looks() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw-1", "Alice").await;
    let mut old = online(&server, "alice@example.com", "alice-pw-1", "alice").await;
    // Changed the way the command does: in the database, the server not told.
    let store = &server.server().context.core.store;
    let other = msnpd::core::Core::alone(
        server.config.core(String::new(), String::new()),
        store.clone(),
        msnpd::core::token_signer(store).await.expect("keys"),
    );
    other.set_password("alice@example.com", "alice-pw-2", false).await.expect("changed");

    let _new = online(&server, "alice@example.com", "alice-pw-2", "alice-new").await;
    old.expect("OUT").await;
}
