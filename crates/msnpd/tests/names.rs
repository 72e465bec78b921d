//! Friendly names are shown to others: every way of setting one (MSNP `REA`
//! and `PRP MFN`, the address book's Me contact, the account page) keeps to
//! the same length and refuses characters that hide or reorder text.

mod common;

use common::web::{Browser, field};
use common::{TestServer, ab_call, rst_tokens, sign_in};

/// U+202E RIGHT-TO-LEFT OVERRIDE, URL-encoded: "evil" U+202E "gnp.exe" shows as "evilexe.png".
const OVERRIDE: &str = "evil%E2%80%AEgnp.exe";

async fn friendly_name(server: &TestServer, email: &str) -> String {
    let row = server.server().context.core.store.account_by_email(email).await.expect("store");
    row.expect("account").friendly_name
}

#[tokio::test]
async fn names_that_reorder_text_are_refused_everywhere() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw-1", "Alice").await;

    let mut msnp8 = sign_in(&server, "MSNP8", "alice@example.com", "alice-pw-1", "alice8").await;
    msnp8.send(&format!("REA 5 alice@example.com {OVERRIDE}")).await;
    msnp8.expect("209 5").await;
    msnp8.send("REA 6 alice@example.com zero%E2%80%8Bwidth").await;
    msnp8.expect("209 6").await;
    msnp8.send("OUT").await;

    let mut msnp12 = sign_in(&server, "MSNP12", "alice@example.com", "alice-pw-1", "alice12").await;
    msnp12.send(&format!("PRP 5 MFN {OVERRIDE}")).await;
    msnp12.expect("209 5").await;
    // Scripts that need joiners are names like any other.
    msnp12.send("PRP 6 MFN %F0%9F%91%A9%E2%80%8D%F0%9F%92%BB").await;
    msnp12.expect("PRP 6 MFN %F0%9F%91%A9%E2%80%8D%F0%9F%92%BB").await;

    let tokens = rst_tokens(&server, "alice@example.com", "alice-pw-1", &[("contacts.msn.com", Some("MBI"))]).await;
    for name in ["evil\u{202E}gnp.exe".to_owned(), "x".repeat(2000)] {
        let update = format!(
            "<ABContactUpdate xmlns=\"http://www.msn.com/webservices/AddressBook\"><abId>00000000-0000-0000-0000-000000000000</abId>\
             <contacts><Contact><contactInfo><contactType>Me</contactType><displayName>{name}</displayName></contactInfo>\
             <propertiesChanged>DisplayName</propertiesChanged></Contact></contacts></ABContactUpdate>"
        );
        let refused = ab_call(&server, "/abservice/abservice.asmx", &tokens[0].ticket, &update).await;
        assert!(refused.text().contains("BadArgument"), "{}", refused.text());
    }
    assert_eq!(friendly_name(&server, "alice@example.com").await, "👩\u{200D}💻");

    let mut browser = Browser::default();
    let csrf = field(&browser.get(&server, "/account").await.text(), "csrf");
    let signin = [("csrf", csrf.as_str()), ("email", "alice@example.com"), ("password", "alice-pw-1")];
    assert_eq!(browser.post(&server, "/account/signin", &signin).await.status, 303);
    let csrf = field(&browser.get(&server, "/account").await.text(), "csrf");
    let renamed =
        browser.post(&server, "/account/name", &[("csrf", csrf.as_str()), ("name", "evil\u{202E}gnp.exe")]).await;
    assert_eq!(renamed.status, 400);
    assert_eq!(friendly_name(&server, "alice@example.com").await, "👩\u{200D}💻");
}
