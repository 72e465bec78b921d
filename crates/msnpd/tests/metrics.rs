//! `/metrics`: the counters match what the test did, and only the addresses
//! `metrics_allow` names may read them.

mod common;

use common::{Peer, TestServer, http_get, http_request, sign_in, sign_in_as};

fn line<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
}

#[tokio::test]
async fn metrics_count_what_happened() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let mut alice = sign_in(&server, "MSNP8", "alice@example.com", "pw", "alice").await;
    let mut bob = sign_in(&server, "MSNP8", "bob@example.com", "pw", "bob").await;
    // One failed Passport sign-in and one error code.
    let bad = "Passport1.4 sign-in=alice%40example.com,pwd=wrong";
    assert_eq!(http_get(server.http(), "/login2.srf", &[("Authorization", bad)]).await.status, 401);
    alice.send("ADD 5 FL nobody@example.com Nobody").await;
    alice.expect("205 5").await;
    // One message relayed.
    for peer in [&mut alice, &mut bob] {
        peer.send("CHG 6 NLN 0").await;
        peer.expect("CHG 6 NLN 0").await;
        peer.line().await; // CHL
    }
    alice.send("XFR 7 SB").await;
    let cookie = alice.line().await.split(' ').nth(5).expect("cookie").to_owned();
    let mut alice_sb = Peer::connect(server.sb(), "alice-sb").await;
    alice_sb.send(&format!("USR 1 alice@example.com {cookie}")).await;
    alice_sb.expect("USR 1 OK alice@example.com Alice").await;
    alice_sb.send("CAL 2 bob@example.com").await;
    let session = alice_sb.line().await.split(' ').nth(3).expect("session").to_owned();
    let rng = bob.line().await;
    let bob_cookie = rng.split(' ').nth(4).expect("cookie").to_owned();
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("ANS 1 bob@example.com {bob_cookie} {session}")).await;
    bob_sb.expect("IRO 1 1 1 alice@example.com Alice").await;
    bob_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI bob@example.com Bob").await;
    alice_sb.send_payload("MSG 3 A", b"hi").await;
    alice_sb.expect("ACK 3").await;

    let response = http_get(server.http(), "/metrics", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = response.text();
    assert_eq!(line(&text, "msnpd_sign_ins_total"), Some("msnpd_sign_ins_total 2"), "{text}");
    assert_eq!(line(&text, "msnpd_failed_sign_ins_total"), Some("msnpd_failed_sign_ins_total 1"));
    assert_eq!(line(&text, "msnpd_messages_relayed_total"), Some("msnpd_messages_relayed_total 1"));
    assert_eq!(line(&text, "msnpd_notices_dropped_total"), Some("msnpd_notices_dropped_total 0"));
    let sessions = "msnpd_sessions{dialect=\"MSNP8\",client=\"MSNMSGR 7.0\"}";
    assert_eq!(line(&text, sessions), Some(format!("{sessions} 2").as_str()), "{text}");
    let errors = "msnpd_errors_sent_total{code=\"205\"}";
    assert_eq!(line(&text, errors), Some(format!("{errors} 1").as_str()), "{text}");
    // Each sign-in: the Nexus and login2.srf; then the one refused.
    let passport = "msnpd_http_requests_total{service=\"passport\",status=\"200\"}";
    assert_eq!(line(&text, passport), Some(format!("{passport} 4").as_str()), "{text}");
    let refused = "msnpd_http_requests_total{service=\"passport\",status=\"401\"}";
    assert_eq!(line(&text, refused), Some(format!("{refused} 1").as_str()), "{text}");
    // Each sign-in loads the account, its lists and its offline messages in one statement.
    let loads = "msnpd_database_seconds_count{kind=\"sign_in_data\"}";
    assert_eq!(line(&text, loads), Some(format!("{loads} 2").as_str()), "{text}");

    // Bob leaves: his session no longer counts.
    bob.send("OUT").await;
    bob.expect_closed().await;
    let mut counted = String::new();
    for _ in 0..50 {
        let text = http_get(server.http(), "/metrics", &[]).await.text();
        counted = line(&text, sessions).unwrap_or_default().to_owned();
        if counted.ends_with(" 1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(counted, format!("{sessions} 1"));
}

#[tokio::test]
async fn metrics_are_only_for_the_allowed_addresses() {
    let server = TestServer::start_with(|config| config.metrics_allow = vec!["127.0.0.9".into()]).await;
    let response = http_request(server.http(), "GET", "/metrics", &[], b"").await;
    assert_eq!(response.status, 403);
    assert!(!response.text().contains("msnpd_"));
}

/// Client labels cannot be used up: made-up names count as `other`, and the
/// places that made-up versions of a real name take are free again once
/// their sessions end.
#[tokio::test]
async fn made_up_clients_do_not_crowd_out_real_ones() {
    let server = TestServer::start().await;
    server.user("mallory@example.com", "pw", "Mallory").await;
    server.user("alice@example.com", "pw", "Alice").await;
    for n in 0..70 {
        let (name, version) =
            if n % 2 == 0 { (format!("Made{n}"), "1.0".to_owned()) } else { ("MSNMSGR".into(), format!("{n}.1")) };
        let mut mallory = sign_in_as(&server, "MSNP8", (&name, &version), "mallory@example.com", "pw", "mallory").await;
        mallory.send("OUT").await;
        mallory.expect_closed().await;
    }
    let _alice = sign_in_as(&server, "MSNP8", ("MSNMSGR", "8.5.1302"), "alice@example.com", "pw", "alice").await;
    let text = http_get(server.http(), "/metrics", &[]).await.text();
    assert_eq!(
        line(&text, "msnpd_sessions{dialect=\"MSNP8\",client=\"MSNMSGR 8.5\"}"),
        Some("msnpd_sessions{dialect=\"MSNP8\",client=\"MSNMSGR 8.5\"} 1"),
        "{text}"
    );
    assert!(!text.contains("Made"), "{text}");
}
