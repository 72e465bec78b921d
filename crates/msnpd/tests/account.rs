//! The account pages: sign up (CSRF, rules, a limit per address), sign in,
//! change the name and the password, delete; and sign-up turned off.

mod common;

use common::web::{Browser, field};
use common::{TestServer, http_get, sign_in};

async fn passport_status(server: &TestServer, email: &str, password: &str) -> u16 {
    let authorization = format!(
        "Passport1.4 sign-in={},pwd={}",
        email.replace('@', "%40"),
        percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC)
    );
    http_get(server.http(), "/login2.srf", &[("Authorization", &authorization)]).await.status
}

#[tokio::test]
async fn sign_up_manage_and_delete_an_account() {
    let server = TestServer::start().await;
    let mut browser = Browser::default();
    let page = browser.get(&server, "/account/signup").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    for id in ["email", "name", "password", "confirm"] {
        assert!(html.contains(&format!("<label for=\"{id}\">")), "a label for {id}");
        assert!(html.contains(&format!("id=\"{id}\"")));
    }
    let csrf = field(&html, "csrf");

    // Without the token, or from a browser without the cookie: refused.
    let wrong =
        [("csrf", "0000"), ("email", "carol@example.com"), ("password", "carol-pw-1"), ("confirm", "carol-pw-1")];
    assert_eq!(browser.post(&server, "/account/signup", &wrong).await.status, 403);
    let mut stranger = Browser::default();
    let stolen = [("csrf", csrf.as_str()), ("email", "carol@example.com"), ("password", "x"), ("confirm", "x")];
    assert_eq!(stranger.post(&server, "/account/signup", &stolen).await.status, 403);

    let short = [("csrf", csrf.as_str()), ("email", "carol@example.com"), ("password", "short"), ("confirm", "short")];
    let refused = browser.post(&server, "/account/signup", &short).await;
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("8 to 128 characters"));
    assert!(!refused.text().contains("value=\"short\""), "a password is never shown again");

    let good = [
        ("csrf", csrf.as_str()),
        ("email", "Carol@Example.com"),
        ("name", "Carol C"),
        ("password", "carol-pw-1"),
        ("confirm", "carol-pw-1"),
    ];
    let created = browser.post(&server, "/account/signup", &good).await;
    assert_eq!(created.status, 303, "{}", created.text());
    assert_eq!(created.header("Location"), Some("/account"));
    let mut carol = sign_in(&server, "MSNP8", "carol@example.com", "carol-pw-1", "carol").await;
    carol.send("OUT").await;
    let again = browser.post(&server, "/account/signup", &good).await;
    assert_eq!(again.status, 409);

    // The account page, signed in by the sign-up.
    let account = browser.get(&server, "/account").await;
    assert_eq!(account.status, 200);
    let html = account.text();
    assert!(html.contains("Signed in as <strong>carol@example.com</strong>"), "{html}");
    let csrf = field(&html, "csrf");
    let renamed = browser.post(&server, "/account/name", &[("csrf", csrf.as_str()), ("name", "Carol <3")]).await;
    assert_eq!(renamed.status, 200);
    assert!(renamed.text().contains("value=\"Carol &lt;3\""), "escaped: {}", renamed.text());

    let change =
        [("csrf", csrf.as_str()), ("current", "wrong-pw"), ("password", "carol-pw-2"), ("confirm", "carol-pw-2")];
    assert_eq!(browser.post(&server, "/account/password", &change).await.status, 401);
    let change =
        [("csrf", csrf.as_str()), ("current", "carol-pw-1"), ("password", "carol-pw-2"), ("confirm", "carol-pw-2")];
    let changed = browser.post(&server, "/account/password", &change).await;
    assert_eq!(changed.status, 200);
    // The page goes on under a new session (every one of the old password ended).
    let csrf = field(&changed.text(), "csrf");
    assert_eq!(passport_status(&server, "carol@example.com", "carol-pw-1").await, 401);
    assert_eq!(passport_status(&server, "carol@example.com", "carol-pw-2").await, 200);

    // Signed out, the page asks to sign in; signing in shows the account again.
    assert_eq!(browser.post(&server, "/account/signout", &[("csrf", csrf.as_str())]).await.status, 303);
    let form = browser.get(&server, "/account").await.text();
    assert!(form.contains("action=\"/account/signin\""));
    let csrf = field(&form, "csrf");
    let signin = [("csrf", csrf.as_str()), ("email", "carol@example.com"), ("password", "carol-pw-2")];
    assert_eq!(browser.post(&server, "/account/signin", &signin).await.status, 303);
    let html = browser.get(&server, "/account").await.text();
    let csrf = field(&html, "csrf");
    // Signed in while the account is deleted: the session ends.
    let mut carol = sign_in(&server, "MSNP8", "carol@example.com", "carol-pw-2", "carol-again").await;
    let deleted = browser.post(&server, "/account/delete", &[("csrf", csrf.as_str()), ("current", "carol-pw-2")]).await;
    carol.expect("OUT").await;
    carol.expect_closed().await;
    assert_eq!(deleted.status, 200);
    assert!(deleted.text().contains("deleted"));
    assert_eq!(passport_status(&server, "carol@example.com", "carol-pw-2").await, 401);
    assert!(server.server().context.core.store.account_by_email("carol@example.com").await.expect("store").is_none());
}

#[tokio::test]
async fn sign_ups_per_address_are_limited_and_can_be_turned_off() {
    let server = TestServer::start().await;
    let mut browser = Browser::default();
    let csrf = field(&browser.get(&server, "/account/signup").await.text(), "csrf");
    for n in 0..4 {
        let email = format!("user{n}@example.com");
        let fields =
            [("csrf", csrf.as_str()), ("email", &email), ("password", "long-enough"), ("confirm", "long-enough")];
        let status = browser.post(&server, "/account/signup", &fields).await.status;
        assert_eq!(status, if n < 3 { 303 } else { 429 }, "sign-up {n}");
    }

    let closed = TestServer::start_with(|config| config.registration = false).await;
    let page = http_get(closed.http(), "/account/signup", &[]).await;
    assert_eq!(page.status, 404);
    assert!(page.text().contains("Sign-up is off"));
    assert!(!http_get(closed.http(), "/account", &[]).await.text().contains("/account/signup"));
}

/// The browser client is served from the binary, with a policy that keeps
/// its scripts and connections to this origin.
#[tokio::test]
async fn the_browser_client_is_served_embedded() {
    let server = TestServer::start().await;
    let index = http_get(server.http(), "/messenger/", &[]).await;
    assert_eq!(index.status, 200);
    assert_eq!(index.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert!(index.header("Content-Security-Policy").is_some_and(|p| p.starts_with("default-src 'self'")));
    let html = index.text();
    assert!(html.contains("<script src=\"app.js\"></script>"));
    for id in ["signin-email", "signin-password", "add-email", "message", "status", "psm", "invite"] {
        assert!(html.contains(&format!("<label for=\"{id}\"")), "a label for {id}");
    }
    // Installable: a manifest naming the start page and an icon, both served.
    assert!(html.contains("<link rel=\"manifest\" href=\"manifest.webmanifest\">"));
    let manifest = http_get(server.http(), "/messenger/manifest.webmanifest", &[]).await;
    assert_eq!(manifest.header("Content-Type"), Some("application/manifest+json"));
    assert!(manifest.text().contains("\"start_url\": \"/messenger/\"") && manifest.text().contains("icon.svg"));
    let icon = http_get(server.http(), "/messenger/icon.svg", &[]).await;
    assert_eq!((icon.status, icon.header("Content-Type")), (200, Some("image/svg+xml")));
    let script = http_get(server.http(), "/messenger/app.js", &[]).await;
    assert_eq!(script.header("Content-Type"), Some("text/javascript; charset=utf-8"));
    assert!(script.text().contains("/ws/ns"));
    assert_eq!(http_get(server.http(), "/messenger", &[]).await.status, 308);
}

/// The dashboard: off without an operator password; behind it, the figures,
/// who is online with dialect and client, and the error codes sent with the
/// seed's description.
#[tokio::test]
async fn the_dashboard_needs_the_operators_password() {
    let off = TestServer::start().await;
    let page = http_get(off.http(), "/admin", &[]).await;
    assert_eq!(page.status, 404);
    assert!(page.text().contains("--admin-password-file"));

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("operator");
    std::fs::write(&file, "op-secret-1\n").expect("password file");
    let path = file.display().to_string();
    let server = TestServer::start_with(move |config| config.admin_password_file = Some(path)).await;
    server.user("alice@example.com", "pw", "Alice").await;
    let mut alice = sign_in(&server, "MSNP8", "alice@example.com", "pw", "alice").await;
    alice.send("ADD 5 FL nobody@example.com Nobody").await;
    alice.expect("205 5").await;

    let mut browser = Browser::default();
    let form = browser.get(&server, "/admin").await.text();
    assert!(form.contains("<label for=\"password\">Operator password</label>"));
    let csrf = field(&form, "csrf");
    let wrong = browser.post(&server, "/admin/signin", &[("csrf", csrf.as_str()), ("password", "guess")]).await;
    assert_eq!(wrong.status, 401);
    let right = browser.post(&server, "/admin/signin", &[("csrf", csrf.as_str()), ("password", "op-secret-1")]).await;
    assert_eq!(right.status, 303);
    let dashboard = browser.get(&server, "/admin").await;
    assert_eq!(dashboard.status, 200);
    let html = dashboard.text();
    assert!(html.contains("<dd id=\"sessions\">1</dd>"), "{html}");
    assert!(html.contains("<td>alice@example.com</td><td>MSNP8 · MSNMSGR 7.0.0777</td>"), "{html}");
    let meaning = msnp::ErrorCode::from_code(205).expect("205 in the seed").description();
    assert!(html.contains(&format!("<td>205</td><td>1</td><td>{}</td>", msnp::text::escape_xml(meaning))), "{html}");
    assert!(html.contains("<svg"), "charts");
    // Without the operator's cookie the dashboard is not shown.
    assert!(!http_get(server.http(), "/admin", &[]).await.text().contains("alice@example.com"));
}
