//! The well-known port answers as the original dispatch server did: the first
//! `USR` gets `XFR … NS` in the dialect's form, and the client signs in on
//! the Notification Server it names, starting again from `VER`.

mod common;

use common::{Peer, TestServer};

/// `VER`, then `CVR` when given, then the first `USR` on the dispatch port:
/// the referral line, after which the dispatch closes the connection.
async fn referral(server: &TestServer, ver: &str, cvr: Option<&str>, usr: &str) -> String {
    let mut peer = Peer::connect(server.dispatch(), "dispatch").await;
    peer.send(ver).await;
    let dialect = ver.split(' ').nth(2).expect("dialect");
    peer.expect(&format!("VER 1 {dialect}")).await;
    if let Some(cvr) = cvr {
        peer.send(cvr).await;
        assert!(peer.line().await.starts_with("CVR 2 "));
    }
    peer.send(usr).await;
    let xfr = peer.line().await;
    peer.expect_closed().await;
    xfr
}

#[tokio::test]
async fn the_first_usr_is_referred_in_each_dialects_form() {
    let server = TestServer::start().await;
    let (ns, ds) = (server.ns(), server.dispatch());
    // A 2003 client offering CVR0 in MSNP2 and never sending CVR.
    let xfr = referral(&server, "VER 1 MSNP2 CVR0", None, "USR 2 MD5 I alice@example.com").await;
    assert_eq!(xfr, format!("XFR 2 NS {ns} 0 {ds}"));
    let cvr = "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0208 MSMSGS alice@example.com";
    let xfr = referral(&server, "VER 1 MSNP7 MSNP6 CVR0", Some(cvr), "USR 3 MD5 I alice@example.com").await;
    assert_eq!(xfr, format!("XFR 3 NS {ns} 0 {ds}"));
    let xfr = referral(&server, "VER 1 MSNP8 CVR0", Some(cvr), "USR 3 TWN I alice@example.com").await;
    assert_eq!(xfr, format!("XFR 3 NS {ns} 0 {ds}"));
    // msn-pecan offers MSNP12 without CVR0 and sends CVR all the same.
    let xfr = referral(&server, "VER 1 MSNP12", Some(cvr), "USR 3 TWN I alice@example.com").await;
    assert_eq!(xfr, format!("XFR 3 NS {ns} 0 {ds}"));
    let xfr = referral(&server, "VER 1 MSNP13 CVR0", Some(cvr), "USR 3 TWN I alice@example.com").await;
    assert_eq!(xfr, format!("XFR 3 NS {ns} U D"));
    let xfr = referral(&server, "VER 1 MSNP18 MSNP17 CVR0", Some(cvr), "USR 3 SSO I alice@example.com").await;
    assert_eq!(xfr, format!("XFR 3 NS {ns} U D"));
    // WLM 2011: its CVR's base64 block (`Version: 1`, `XfrCount: 1`) comes back counted up.
    let cvr = "CVR 2 0x0409 winnt 6.1.0 i386 MSNMSGR 15.4.3502.0922 MSNMSGR alice@example.com VmVyc2lvbjogMQ0KWGZyQ291bnQ6IDENCg==";
    let xfr =
        referral(&server, "VER 1 MSNP21 MSNP20 MSNP19 MSNP18 CVR0", Some(cvr), "USR 3 SSO I alice@example.com").await;
    assert_eq!(xfr, format!("XFR 3 NS {ns} U D VmVyc2lvbjogMQ0KWGZyQ291bnQ6IDINCg=="));
}

#[tokio::test]
async fn the_dispatch_answers_everything_else_as_before_sign_in() {
    let server = TestServer::start().await;
    let mut peer = Peer::connect(server.dispatch(), "dispatch").await;
    peer.send("SYN 1 0").await;
    peer.expect("715 1").await;
    peer.send("VER 2 MSNP8 CVR0").await;
    peer.expect("VER 2 MSNP8").await;
    // MSNP8 owes the CVR it offered.
    peer.send("USR 3 TWN I alice@example.com").await;
    peer.expect("715 3").await;
    peer.send("SYN 4 0").await;
    peer.expect("302 4").await;
    // A scheme of another dialect is refused before any referral.
    peer.send("CVR 5 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0208 MSMSGS alice@example.com").await;
    assert!(peer.line().await.starts_with("CVR 5 6.2.0208 "));
    peer.send("USR 6 MD5 I alice@example.com").await;
    peer.expect("201 6").await;
    peer.send("PNG").await;
    peer.expect("QNG").await;
    peer.send("USR 7 TWN I not-an-email").await;
    peer.expect("201 7").await;
    peer.send("USR 8 TWN I alice@example.com").await;
    assert_eq!(peer.line().await, format!("XFR 8 NS {} 0 {}", server.ns(), server.dispatch()));
    peer.expect_closed().await;
}

/// The whole of an MSNP2 client's first sign-in: dispatch, then MD5 on the
/// Notification Server, with `CVR0` offered and no `CVR` sent on either.
#[tokio::test]
async fn an_msnp2_client_signs_in_through_the_dispatch_without_cvr() {
    let server = TestServer::start().await;
    server.user_md5("alice@example.com", "alice-pw", "Alice").await;
    let xfr = referral(&server, "VER 1 MSNP2 CVR0", None, "USR 2 MD5 I alice@example.com").await;
    let address = xfr.split(' ').nth(3).expect("address");
    let mut peer = Peer::connect(address.parse().expect("host:port"), "alice").await;
    peer.send("VER 1 MSNP2 CVR0").await;
    peer.expect("VER 1 MSNP2").await;
    peer.send("USR 2 MD5 I alice@example.com").await;
    let salt_line = peer.line().await;
    assert!(salt_line.starts_with("USR 2 MD5 S "), "{salt_line}");
    let salt = salt_line.rsplit(' ').next().expect("salt");
    peer.send(&format!("USR 3 MD5 S {}", msnp::auth::md5_login_response(salt, "alice-pw"))).await;
    peer.expect("USR 3 OK alice@example.com Alice").await;
}

/// A `CVR` is informational: one client writes a TAB between its last two words.
#[tokio::test]
async fn a_cvr_with_a_tab_is_answered() {
    let server = TestServer::start().await;
    let mut peer = Peer::connect(server.ns(), "tabbed").await;
    peer.send("VER 1 MSNP8 CVR0").await;
    peer.expect("VER 1 MSNP8").await;
    peer.send("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0208 MSMSGS\talice@example.com").await;
    let base = format!("http://{}/", server.http());
    peer.expect(&format!("CVR 2 6.2.0208 6.2.0208 6.2.0208 {base} {base}")).await;
    peer.send("USR 3 TWN I alice@example.com").await;
    assert!(peer.line().await.starts_with("USR 3 TWN S "));
    // Elsewhere a control character in the line is still refused.
    peer.send("CHG 4 NLN\t0").await;
    peer.expect("201 4").await;
}
