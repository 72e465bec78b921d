//! Rate limits and capacity: 800 on the Notification Server, 713 on the
//! switchboard, disconnection for persistent abuse, a login guard that does
//! not lock the owner out for good, and 920 when the server is full.

mod common;

use common::{Peer, TestServer, http_get, sign_in};
use msnp::auth::md5_login_response;

#[tokio::test]
async fn commands_over_the_rate_get_800_and_abuse_is_cut_off() {
    let server = TestServer::start_with(|config| {
        config.ns_command_rate = 0.001;
        config.ns_command_burst = 3.0;
        config.abuse_strikes = 2;
    })
    .await;
    let mut peer = Peer::connect(server.ns(), "flood").await;
    peer.send_raw(b"VER 1 MSNP8 CVR0\r\nPNG\r\nPNG\r\nPNG\r\nPNG\r\n").await;
    peer.expect("VER 1 MSNP8").await;
    peer.expect("QNG").await;
    peer.expect("QNG").await;
    peer.expect("800 0").await;
    peer.expect("800 0").await;
    peer.expect_closed().await;
}

#[tokio::test]
async fn messages_over_the_rate_get_713() {
    let server = TestServer::start_with(|config| {
        config.sb_message_rate = 0.001;
        config.sb_message_burst = 2.0;
        config.abuse_strikes = 2;
    })
    .await;
    server.user("alice@example.com", "pw", "Alice").await;
    let mut alice = sign_in(&server, "MSNP8", "alice@example.com", "pw", "alice").await;
    alice.send("CHG 1 NLN 0").await;
    alice.expect("CHG 1 NLN 0").await;
    alice.line().await; // CHL
    alice.send("XFR 2 SB").await;
    let cookie = alice.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut sb = Peer::connect(server.sb(), "alice-sb").await;
    sb.send(&format!("USR 1 alice@example.com {cookie}")).await;
    sb.expect("USR 1 OK alice@example.com Alice").await;
    for trid in 2..=3 {
        sb.send_payload(&format!("MSG {trid} U"), b"x").await;
    }
    sb.send_payload("MSG 4 N", b"x").await;
    sb.expect("713 4").await;
    sb.send_payload("MSG 5 N", b"x").await;
    sb.expect("713 5").await;
    sb.expect_closed().await;
}

#[tokio::test]
async fn failed_logins_hold_the_account_for_one_window() {
    let server = TestServer::start_with(|config| {
        config.login_failures_per_account = 2;
        config.login_failure_window_secs = 1;
    })
    .await;
    server.user("alice@example.com", "right", "Alice").await;
    let attempt = |password: &'static str| {
        let http = server.http();
        async move {
            let authorization = format!("Passport1.4 sign-in=alice%40example.com,pwd={password}");
            http_get(http, "/login2.srf", &[("Authorization", &authorization)]).await.status
        }
    };
    assert_eq!(attempt("wrong").await, 401);
    assert_eq!(attempt("wrong").await, 401);
    assert_eq!(attempt("right").await, 401, "held: not even checked");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(attempt("right").await, 200, "the window passed");
}

/// The old MD5 login checks a password as well: it counts failures and is
/// held like Passport, so MSNP2-7 is no way around the guard.
#[tokio::test]
async fn failed_md5_logins_hold_the_account_too() {
    let server = TestServer::start_with(|config| config.login_failures_per_account = 2).await;
    server.user_md5("old@example.com", "right", "Old").await;
    for (attempt, password) in ["wrong", "wrong", "right"].into_iter().enumerate() {
        let mut peer = Peer::connect(server.ns(), "old").await;
        peer.send("VER 1 MSNP5").await;
        peer.expect("VER 1 MSNP5").await;
        peer.send("USR 2 MD5 I old@example.com").await;
        let salt_line = peer.line().await;
        let salt = salt_line.strip_prefix("USR 2 MD5 S ").unwrap_or_else(|| panic!("attempt {attempt}: {salt_line}"));
        peer.send(&format!("USR 3 MD5 S {}", md5_login_response(salt, password))).await;
        peer.expect("911 3").await;
        peer.expect_closed().await;
    }
}

#[tokio::test]
async fn a_full_server_answers_920() {
    let server = TestServer::start_with(|config| config.max_sessions = 1).await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let _alice = sign_in(&server, "MSNP8", "alice@example.com", "pw", "alice").await;
    let mut bob = Peer::connect(server.ns(), "bob").await;
    bob.send("VER 1 MSNP8").await;
    bob.expect("VER 1 MSNP8").await;
    bob.send("USR 2 TWN I bob@example.com").await;
    bob.expect("920 2").await;
    bob.expect_closed().await;
}

/// Guesses sent all at once are checked no more often than the limit allows:
/// an attempt counts from the moment it is let through, not once its costly
/// check is over. Here 30 wrong passwords arrive together and the right one
/// comes while they are being checked: no more than 10 may be checked, so the
/// account is already held and the right one is refused too.
#[tokio::test]
async fn parallel_guesses_are_counted_before_they_are_checked() {
    let server = TestServer::start_with(|config| {
        // Checks slow enough (tens of milliseconds) to overlap.
        config.argon2_memory_kib = 32 * 1024;
        config.argon2_iterations = 3;
        config.login_failures_per_account = 10;
        config.login_failures_per_address = 1000;
    })
    .await;
    server.user("alice@example.com", "right-pw", "Alice").await;
    let login = |password: &'static str| {
        let http = server.http();
        async move {
            let header = format!("Passport1.4 sign-in=alice%40example.com,pwd={password}");
            http_get(http, "/login2.srf", &[("Authorization", header.as_str())]).await.status
        }
    };
    let guesses: Vec<_> = (0..30).map(|_| tokio::spawn(login("wrong-pw"))).collect();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let right = login("right-pw").await;
    for guess in guesses {
        assert_eq!(guess.await.expect("joined"), 401);
    }
    assert_eq!(right, 401, "the account was held while the guesses were checked");
}
