//! Sessions that must end when their credential does: a signed-out page's
//! cookie, the pages and Messenger sessions of an account whose password
//! changed, the tickets issued before, a deleted account's ticket; the
//! operator's dashboard (sign-out, a new operator password, guesses counted
//! per address); the pages' headers; sign-up forms refused before counting.

mod common;

use std::net::IpAddr;

use common::web::{Browser, field};
use common::{Peer, TestServer, ab_call, http_get, rst_tokens, sign_in};

const CONTACTS: &str = "contacts.msn.com";
const FIND_ALL: &str = "<ABFindAll xmlns=\"http://www.msn.com/webservices/AddressBook\"><abId>00000000-0000-0000-0000-000000000000</abId><abView>Full</abView><deltasOnly>false</deltasOnly></ABFindAll>";

/// Up to the ticket: `USR 3 TWN S {ticket}` is the caller's to send.
async fn asks_for_a_ticket(server: &TestServer, name: &'static str) -> Peer {
    let mut peer = Peer::connect(server.ns(), name).await;
    peer.send("VER 1 MSNP8 CVR0").await;
    peer.expect("VER 1 MSNP8").await;
    peer.send("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0777 msmsgs alice@example.com").await;
    peer.line().await;
    peer.send("USR 3 TWN I alice@example.com").await;
    assert!(peer.line().await.starts_with("USR 3 TWN S "));
    peer
}

fn address(ip: &str) -> IpAddr {
    ip.parse().expect("an address")
}

/// A browser signed in to `email`'s account page.
async fn signed_in(server: &TestServer, email: &str, password: &str) -> Browser {
    let mut browser = Browser::default();
    let csrf = field(&browser.get(server, "/account").await.text(), "csrf");
    let signin = [("csrf", csrf.as_str()), ("email", email), ("password", password)];
    assert_eq!(browser.post(server, "/account/signin", &signin).await.status, 303);
    assert!(browser.get(server, "/account").await.text().contains("Signed in as"));
    browser
}

fn is_signed_in(page: &common::HttpResponse) -> bool {
    page.text().contains("Signed in as")
}

#[tokio::test]
async fn a_signed_out_cookie_signs_in_no_more() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw-1", "Alice").await;
    let mut browser = signed_in(&server, "alice@example.com", "alice-pw-1").await;
    let csrf = field(&browser.get(&server, "/account").await.text(), "csrf");
    // A copy of the cookie, taken before signing out.
    let mut copy = Browser { cookies: browser.cookies.clone(), source: None };
    assert_eq!(browser.post(&server, "/account/signout", &[("csrf", csrf.as_str())]).await.status, 303);
    assert!(!is_signed_in(&copy.get(&server, "/account").await));
    let renamed = copy.post(&server, "/account/name", &[("csrf", csrf.as_str()), ("name", "Mallory")]).await;
    assert_eq!(renamed.status, 303, "sent back to sign in");
    let alice = server.server().context.core.store.account_by_email("alice@example.com").await.expect("store");
    assert_eq!(alice.expect("alice").friendly_name, "Alice");
}

#[tokio::test]
async fn a_new_password_ends_every_session_of_the_old_one() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw-1", "Alice").await;
    let mut here = signed_in(&server, "alice@example.com", "alice-pw-1").await;
    let mut elsewhere = signed_in(&server, "alice@example.com", "alice-pw-1").await;
    let mut messenger = sign_in(&server, "MSNP8", "alice@example.com", "alice-pw-1", "alice").await;
    let old_ticket = server.ticket("alice@example.com", "alice-pw-1").await;
    let tokens = rst_tokens(&server, "alice@example.com", "alice-pw-1", &[(CONTACTS, Some("MBI"))]).await;
    assert_eq!(ab_call(&server, "/abservice/abservice.asmx", &tokens[0].ticket, FIND_ALL).await.status, 200);

    let csrf = field(&here.get(&server, "/account").await.text(), "csrf");
    let change =
        [("csrf", csrf.as_str()), ("current", "alice-pw-1"), ("password", "alice-pw-2"), ("confirm", "alice-pw-2")];
    let changed = here.post(&server, "/account/password", &change).await;
    assert_eq!(changed.status, 200);

    // The page that changed it goes on; every other one is signed out.
    assert!(is_signed_in(&here.get(&server, "/account").await));
    assert!(!is_signed_in(&elsewhere.get(&server, "/account").await));
    // The Messenger session signed in with the old password ends.
    messenger.expect("OUT").await;
    messenger.expect_closed().await;
    // Tickets issued under the old password sign in nowhere.
    let mut late = asks_for_a_ticket(&server, "late").await;
    late.send(&format!("USR 4 TWN S {old_ticket}")).await;
    late.expect("911 4").await;
    let refused = ab_call(&server, "/abservice/abservice.asmx", &tokens[0].ticket, FIND_ALL).await;
    assert!(refused.text().contains("q0:BadContextToken"), "{}", refused.text());
    // The new password works.
    drop(sign_in(&server, "MSNP8", "alice@example.com", "alice-pw-2", "alice-new").await);
}

#[tokio::test]
async fn a_deleted_accounts_ticket_is_a_bad_ticket() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw-1", "Alice").await;
    let ticket = server.ticket("alice@example.com", "alice-pw-1").await;
    let tokens = rst_tokens(&server, "alice@example.com", "alice-pw-1", &[(CONTACTS, Some("MBI"))]).await;
    server.server().context.core.delete_account("alice@example.com").await.expect("deleted");

    let mut peer = asks_for_a_ticket(&server, "ghost").await;
    peer.send(&format!("USR 4 TWN S {ticket}")).await;
    peer.expect("911 4").await;
    let refused = ab_call(&server, "/abservice/abservice.asmx", &tokens[0].ticket, FIND_ALL).await;
    assert!(refused.text().contains("q0:BadContextToken"), "{}", refused.text());
}

/// A server with the dashboard on; the password file's path.
async fn with_dashboard(password: &str) -> (TestServer, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("operator");
    std::fs::write(&file, format!("{password}\n")).expect("password file");
    let path = file.display().to_string();
    let server = TestServer::start_with(move |config| config.admin_password_file = Some(path)).await;
    (server, file, dir)
}

async fn operator_signs_in(server: &TestServer, browser: &mut Browser, password: &str) -> u16 {
    let csrf = field(&browser.get(server, "/admin").await.text(), "csrf");
    browser.post(server, "/admin/signin", &[("csrf", csrf.as_str()), ("password", password)]).await.status
}

fn on_dashboard(page: &common::HttpResponse) -> bool {
    page.text().contains("id=\"sessions\"")
}

#[tokio::test]
async fn the_dashboard_signs_out_and_follows_the_operator_password() {
    let (server, file, _dir) = with_dashboard("operator-secret-one").await;
    let mut operator = Browser::default();
    assert_eq!(operator_signs_in(&server, &mut operator, "operator-secret-one").await, 303);
    let page = operator.get(&server, "/admin").await;
    assert!(on_dashboard(&page));
    let csrf = field(&page.text(), "csrf");
    let mut copy = Browser { cookies: operator.cookies.clone(), source: None };
    assert_eq!(operator.post(&server, "/admin/signout", &[("csrf", csrf.as_str())]).await.status, 303);
    assert!(!on_dashboard(&operator.get(&server, "/admin").await));
    assert!(!on_dashboard(&copy.get(&server, "/admin").await), "a copy of the cookie ends with it");

    // A new password in the file: sessions made under the old one end, at once.
    let mut operator = Browser::default();
    assert_eq!(operator_signs_in(&server, &mut operator, "operator-secret-one").await, 303);
    assert!(on_dashboard(&operator.get(&server, "/admin").await));
    std::fs::write(&file, "operator-secret-two\n").expect("new password");
    assert!(!on_dashboard(&operator.get(&server, "/admin").await));
    assert_eq!(operator_signs_in(&server, &mut operator, "operator-secret-one").await, 401);
    assert_eq!(operator_signs_in(&server, &mut operator, "operator-secret-two").await, 303);
    assert!(on_dashboard(&operator.get(&server, "/admin").await));
}

#[tokio::test]
async fn guesses_from_one_address_do_not_lock_the_operator_out() {
    let (server, _file, _dir) = with_dashboard("operator-secret-one").await;
    let mut guesser = Browser { cookies: Vec::new(), source: Some(address("127.0.0.5")) };
    let mut statuses = Vec::new();
    for n in 0..12 {
        statuses.push(operator_signs_in(&server, &mut guesser, &format!("guess-{n}")).await);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let mut operator = Browser { cookies: Vec::new(), source: Some(address("127.0.0.6")) };
    assert_eq!(operator_signs_in(&server, &mut operator, "operator-secret-one").await, 303);
    assert!(on_dashboard(&operator.get(&server, "/admin").await));
}

#[tokio::test]
async fn the_pages_stay_out_of_frames_and_caches() {
    let (server, _file, _dir) = with_dashboard("operator-secret-one").await;
    for path in ["/account", "/account/signup", "/admin"] {
        let page = http_get(server.http(), path, &[]).await;
        assert_eq!(page.status, 200, "{path}");
        let policy = page.header("Content-Security-Policy").unwrap_or_else(|| panic!("{path}: no policy"));
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("default-src 'none'"), "{policy}");
        assert_eq!(page.header("X-Frame-Options"), Some("DENY"), "{path}");
        assert_eq!(page.header("Cache-Control"), Some("no-store"), "{path}");
        // Over plain HTTP, without an HTTPS listener: no Secure flag, no HSTS.
        assert!(page.header("Strict-Transport-Security").is_none());
    }
}

#[tokio::test]
async fn refused_sign_up_forms_do_not_use_up_the_allowance() {
    let server = TestServer::start().await;
    let mut browser = Browser::default();
    let csrf = field(&browser.get(&server, "/account/signup").await.text(), "csrf");
    for n in 0..5 {
        let email = format!("typo{n}@example.com");
        let fields =
            [("csrf", csrf.as_str()), ("email", &email), ("password", "long-enough"), ("confirm", "long-enuogh")];
        assert_eq!(browser.post(&server, "/account/signup", &fields).await.status, 400);
    }
    for n in 0..3 {
        let email = format!("user{n}@example.com");
        let fields =
            [("csrf", csrf.as_str()), ("email", &email), ("password", "long-enough"), ("confirm", "long-enough")];
        assert_eq!(browser.post(&server, "/account/signup", &fields).await.status, 303, "sign-up {n}");
    }
}
