//! Windows Live Messenger 2009 as its libraries (MSNPSharp) speak to the
//! service: RST2.srf, the services' redirectors, Pending memberships, calling
//! one's own account on a switchboard, and address-book notices that go to
//! the account's other endpoints only.

mod common;

use common::{
    IssuedToken, Peer, TestServer, ab_call, http_request, rst_tokens, rst2_request, sso_sign_in, tokens_from,
};

const AB: &str = "/abservice/abservice.asmx";
const SHARING: &str = "/abservice/SharingService.asmx";
const NS: &str = r#" xmlns="http://www.msn.com/webservices/AddressBook""#;
const DESKTOP: &str = "{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}";
const LAPTOP: &str = "{11111111-2222-3333-4444-555555555555}";

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("{open} in {text}")) + open.len();
    let end = text[start..].find(close).unwrap_or_else(|| panic!("{close} in {text}")) + start;
    &text[start..end]
}

fn word(line: &str, index: usize) -> String {
    line.split(' ').nth(index).unwrap_or_else(|| panic!("no word {index} in {line}")).to_owned()
}

/// What WLM 2009 asks RST2.srf for, in its order.
const WLM_TOKENS: &[(&str, Option<&str>)] = &[
    ("http://Passport.NET/tb", None),
    ("messengerclear.live.com", Some("MBI_KEY_OLD")),
    ("contacts.msn.com", Some("MBI")),
    ("storage.msn.com", Some("MBI")),
];

async fn rst2_tokens(server: &TestServer, email: &str, password: &str) -> Vec<IssuedToken> {
    tokens_from(server.http(), "/RST2.srf", &rst2_request(email, password, WLM_TOKENS)).await
}

/// The members of one role in a FindMembership answer.
fn role<'a>(memberships: &'a str, name: &str) -> &'a str {
    let open = format!("<MemberRole>{name}</MemberRole>");
    between(memberships, &open, "</Membership>")
}

async fn memberships(server: &TestServer, ticket: &str) -> String {
    let find = format!(
        "<FindMembership{NS}><serviceFilter><Types><ServiceType>Messenger</ServiceType></Types></serviceFilter></FindMembership>"
    );
    let response = ab_call(server, SHARING, ticket, &find).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.text()
}

fn membership(request: &str, role: &str, email: &str) -> String {
    format!(
        "<{request}{NS}><serviceHandle><Id>0</Id><Type>Messenger</Type><ForeignId></ForeignId></serviceHandle><memberships><Membership><MemberRole>{role}</MemberRole><Members><Member xsi:type=\"PassportMember\"><Type>Passport</Type><State>Accepted</State><PassportName>{email}</PassportName></Member></Members></Membership></memberships></{request}>"
    )
}

fn contact_add(email: &str) -> String {
    format!(
        "<ABContactAdd{NS}><abId>00000000-0000-0000-0000-000000000000</abId><contacts><Contact><contactInfo><contactType>LivePending</contactType><passportName>{email}</passportName><isMessengerUser>true</isMessengerUser></contactInfo></Contact></contacts><options><EnableAllowListManagement>true</EnableAllowListManagement></options></ABContactAdd>"
    )
}

#[tokio::test]
async fn rst2_answers_in_soap_12_and_ws_trust_2005_and_its_tickets_sign_in() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    let body = rst2_request("alice@example.com", "alice-pw", WLM_TOKENS);
    let response = http_request(server.http(), "POST", "//RST2.srf", &[], body.as_bytes()).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("Content-Type"), Some("application/soap+xml; charset=utf-8"));
    let xml = response.text();
    let puid = between(&xml, "<psf:PUID>", "</psf:PUID>").to_owned();
    assert_eq!(puid.len(), 16);
    for wanted in [
        r#"<?xml version="1.0" encoding="utf-8" ?><S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope""#,
        r#"<wsa:Action wsu:Id="Action" S:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/02/trust/RSTR/Issue</wsa:Action>"#,
        r#"<psf:credProperty Name="AuthMembername">alice@example.com</psf:credProperty>"#,
        &format!(r#"<psf:credProperty Name="CID">{}</psf:credProperty>"#, puid.to_ascii_lowercase()),
        r#"<wst:RequestSecurityTokenResponseCollection xmlns:S="http://www.w3.org/2003/05/soap-envelope" xmlns:wst="http://schemas.xmlsoap.org/ws/2005/02/trust""#,
        r#"xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy""#,
        r#"<wsp:AppliesTo xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:EndpointReference><wsa:Address>messengerclear.live.com</wsa:Address>"#,
        "<wst:TokenType>urn:passport:legacy</wst:TokenType>",
        r#"<wsse:BinarySecurityToken Id="Compact1">t="#,
        r#"<wsse:BinarySecurityToken Id="Compact2">t="#,
        r##"<wst:RequestedAttachedReference><wsse:SecurityTokenReference><wsse:Reference URI="#Compact1"></wsse:Reference>"##,
        "</wst:RequestSecurityTokenResponse><wst:RequestSecurityTokenResponse>",
    ] {
        assert!(xml.contains(wanted), "missing {wanted} in {xml}");
    }
    let lifetime = between(&xml, "<wst:Lifetime>", "</wst:Lifetime>");
    assert!(lifetime.starts_with("<wsu:Created>") && lifetime.contains("Z</wsu:Expires>"), "{lifetime}");
    assert!(!xml.contains("LifeTime") && !xml.contains("ws/2004/04/trust") && !xml.contains('\n'));

    // Its messengerclear ticket and proof key sign in, as from RST.srf.
    let tokens = rst2_tokens(&server, "alice@example.com", "alice-pw").await;
    assert_eq!(
        tokens.iter().map(|t| t.address.as_str()).collect::<Vec<_>>(),
        WLM_TOKENS.iter().map(|t| t.0).collect::<Vec<_>>()
    );
    let mut alice = sso_sign_in(&server, "alice@example.com", &tokens[1], DESKTOP, "alice").await;
    alice.send("PNG").await;
    alice.expect("QNG 60").await;
}

/// MSNPSharp first calls each method at a redirector host to learn where to
/// call it and its cache key, then calls again there: the redirector says
/// where with 301 and does not make the call.
#[tokio::test]
async fn redirectors_send_clients_on_without_making_the_call() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    let tokens = rst2_tokens(&server, "alice@example.com", "alice-pw").await;
    let contacts = &tokens[2].ticket;
    let request = common::ab_envelope(contacts, "ContactSave", &contact_add("bob@example.com"));
    let headers = [("Host", "byrdr.omega.contacts.msn.com"), ("Content-Type", "text/xml; charset=utf-8")];
    let response = http_request(server.http(), "POST", AB, &headers, request.as_bytes()).await;
    assert_eq!(response.status, 301, "{}", response.text());
    assert_eq!(response.header("Location"), Some("https://contacts.msn.com/abservice/abservice.asmx"));
    let text = response.text();
    assert!(text.contains("<CacheKey>msnpd</CacheKey>"), "{text}");
    assert!(text.contains("<PreferredHostName>contacts.msn.com</PreferredHostName>"));
    assert!(text.contains(">Redirect</errorcode>"));
    assert!(!memberships(&server, contacts).await.contains("bob@"), "the redirector made no call");

    // At the host it was sent to, the call is made, once.
    let response = ab_call(&server, AB, contacts, &contact_add("bob@example.com")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let book = ab_call(
        &server,
        AB,
        contacts,
        &format!("<ABFindContactsPaged{NS}><filterOptions><DeltasOnly>false</DeltasOnly></filterOptions></ABFindContactsPaged>"),
    )
    .await
    .text();
    assert_eq!(book.matches("<passportName>bob@example.com</passportName>").count(), 1);

    // The storage service's redirector, by any port and case.
    let headers = [("Host", "TKRDR.storage.msn.com:443")];
    let response =
        http_request(server.http(), "POST", "/storageservice/SchematizedStore.asmx", &headers, b"<x/>").await;
    assert_eq!(response.status, 301);
    assert_eq!(response.header("Location"), Some("https://storage.msn.com/storageservice/SchematizedStore.asmx"));
    // Any other name is served as before.
    let headers = [("Host", "contacts.msn.com")];
    assert_eq!(http_request(server.http(), "POST", SHARING, &headers, b"<x/>").await.status, 500);
}

/// Someone who added the user is Pending, and only Pending, until the user
/// answers: allowing, blocking, or moving them to Reverse (in either order
/// with deleting Pending). Then they are Reverse. Removing the user from
/// their list takes them out of both.
#[tokio::test]
async fn a_request_is_pending_until_answered() {
    let server = TestServer::start().await;
    for email in ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"] {
        server.user(email, "pw", "Someone").await;
    }
    let bob = rst2_tokens(&server, "bob@example.com", "pw").await[2].ticket.clone();
    for adder in ["alice@example.com", "carol@example.com", "dave@example.com"] {
        let ticket = rst_tokens(&server, adder, "pw", &[("contacts.msn.com", Some("MBI"))]).await;
        assert_eq!(ab_call(&server, AB, &ticket[0].ticket, &contact_add("bob@example.com")).await.status, 200);
    }
    let seen = memberships(&server, &bob).await;
    for adder in ["alice@", "carol@", "dave@"] {
        assert!(role(&seen, "Pending").contains(adder), "{seen}");
        assert!(!role(&seen, "Reverse").contains(adder), "Pending, not also Reverse: {seen}");
    }

    // Alice: answered the WLM 2009 way (DeleteMember Pending, then AddMember
    // Reverse and Allow); Carol: Reverse before Pending; Dave: blocked only.
    for (request, role, email) in [
        ("DeleteMember", "Pending", "alice@example.com"),
        ("AddMember", "Reverse", "alice@example.com"),
        ("AddMember", "Allow", "alice@example.com"),
        ("AddMember", "Reverse", "carol@example.com"),
        ("DeleteMember", "Pending", "carol@example.com"),
        ("AddMember", "Block", "dave@example.com"),
    ] {
        let response = ab_call(&server, SHARING, &bob, &membership(request, role, email)).await;
        assert_eq!(response.status, 200, "{request} {role} {email}: {}", response.text());
    }
    let seen = memberships(&server, &bob).await;
    for adder in ["alice@", "carol@", "dave@"] {
        assert!(!role(&seen, "Pending").contains(adder), "{seen}");
        assert!(role(&seen, "Reverse").contains(adder), "{seen}");
    }
    assert!(role(&seen, "Allow").contains("alice@") && role(&seen, "Block").contains("dave@"));
    // A Pending member cannot be made by a client; nor Reverse taken away.
    for (request, role) in [("AddMember", "Pending"), ("DeleteMember", "Reverse")] {
        let response = ab_call(&server, SHARING, &bob, &membership(request, role, "alice@example.com")).await;
        assert!(response.text().contains(">BadArgument</errorcode>"), "{request} {role}");
    }

    // Carol takes Bob off her list: she is neither Reverse nor Pending any more.
    let carol = rst_tokens(&server, "carol@example.com", "pw", &[("contacts.msn.com", Some("MBI"))]).await;
    let book = ab_call(
        &server,
        AB,
        &carol[0].ticket,
        &format!("<ABFindContactsPaged{NS}><filterOptions><DeltasOnly>false</DeltasOnly></filterOptions></ABFindContactsPaged>"),
    )
    .await
    .text();
    let bob_entry = book.split("<Contact>").find(|c| c.contains("bob@example.com")).expect("Bob in Carol's book");
    let bob_contact = between(bob_entry, "<contactId>", "</contactId>").to_owned();
    let delete = format!(
        "<ABContactDelete{NS}><contacts><Contact><contactId>{bob_contact}</contactId></Contact></contacts></ABContactDelete>"
    );
    assert_eq!(ab_call(&server, AB, &carol[0].ticket, &delete).await.status, 200);
    let seen = memberships(&server, &bob).await;
    assert!(!seen.contains("carol@"), "{seen}");

    // Adding someone who already allowed you asks them nothing.
    let bob_adds = ab_call(&server, AB, &bob, &contact_add("alice@example.com")).await;
    assert_eq!(bob_adds.status, 200);
    let alice = rst_tokens(&server, "alice@example.com", "pw", &[("contacts.msn.com", Some("MBI"))]).await;
    let seen = memberships(&server, &alice[0].ticket).await;
    assert!(role(&seen, "Reverse").contains("bob@") && !role(&seen, "Pending").contains("bob@"), "{seen}");
}

/// Opens a switchboard for a signed-in MSNP18 endpoint.
async fn open_switchboard(server: &TestServer, ns: &mut Peer, trid: u32, handle: &str, name: &'static str) -> Peer {
    ns.send(&format!("XFR {trid} SB")).await;
    let mut xfr = ns.line().await;
    while !xfr.starts_with(&format!("XFR {trid} SB ")) {
        xfr = ns.line().await; // presence of contacts meanwhile
    }
    let mut sb = Peer::connect(server.sb(), name).await;
    sb.send(&format!("USR 1 {handle} {}", word(&xfr, 5))).await;
    let ok = sb.line().await;
    assert!(ok.starts_with(&format!("USR 1 OK {handle} ")), "{ok}");
    sb
}

async fn online(peer: &mut Peer, trid: u32) {
    peer.send(&format!("CHG {trid} NLN 2789003324:48 0")).await;
    peer.expect(&format!("CHG {trid} NLN 2789003324:48 0")).await;
    // Own endpoints, contacts, Mail-Data and a challenge, last, follow.
    while peer.frame().await.command != "CHL" {}
}

/// WLM 2009 calls its own account first in every conversation to bring in
/// its other endpoints, and calls no one else before `CAL … RINGING`. Alone,
/// it rings no one and is still answered RINGING; a contact already in the
/// conversation is still 215.
#[tokio::test]
async fn calling_your_own_account_rings_your_other_endpoints_or_no_one() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    for (adder, added) in [("alice@example.com", "bob@example.com"), ("bob@example.com", "alice@example.com")] {
        let ticket = rst_tokens(&server, adder, "pw", &[("contacts.msn.com", Some("MBI"))]).await;
        assert_eq!(ab_call(&server, AB, &ticket[0].ticket, &contact_add(added)).await.status, 200);
    }
    let alice_tokens = rst2_tokens(&server, "alice@example.com", "pw").await;
    let mut alice = sso_sign_in(&server, "alice@example.com", &alice_tokens[1], DESKTOP, "alice").await;
    online(&mut alice, 5).await;
    let bob_tokens = rst2_tokens(&server, "bob@example.com", "pw").await;
    let mut bob = sso_sign_in(&server, "bob@example.com", &bob_tokens[1], LAPTOP, "bob").await;
    online(&mut bob, 5).await;
    let handle = format!("alice@example.com;{DESKTOP}");
    let mut sb = open_switchboard(&server, &mut alice, 10, &handle, "alice-sb").await;

    sb.send("CAL 2 alice@example.com").await;
    let ringing = sb.line().await;
    assert!(ringing.starts_with("CAL 2 RINGING "), "{ringing}");
    let session = word(&ringing, 3);
    alice.expect_silence().await;
    sb.send("CAL 3 bob@example.com").await;
    sb.expect(&format!("CAL 3 RINGING {session}")).await;
    let mut rng = bob.line().await;
    while !rng.starts_with("RNG ") {
        rng = bob.line().await;
    }
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("ANS 1 bob@example.com;{LAPTOP} {} {session}", word(&rng, 4))).await;
    bob_sb.expect(&format!("IRO 1 1 2 alice@example.com;{DESKTOP} Alice 2789003324:48")).await;
    bob_sb.expect("IRO 1 2 2 alice@example.com Alice 2789003324:48").await;
    bob_sb.expect("ANS 1 OK").await;
    sb.expect(&format!("JOI bob@example.com;{LAPTOP} Bob 2789003324:48")).await;
    sb.expect("JOI bob@example.com Bob 2789003324:48").await;
    sb.send("CAL 4 bob@example.com").await;
    sb.expect("215 4").await;
    sb.send("CAL 5 alice@example.com").await;
    sb.expect(&format!("CAL 5 RINGING {session}")).await;
    bob_sb.expect_silence().await;
}

/// An address-book change is news to the account's other endpoints (`NOT`),
/// not to the one that made it: that one signed in with the same Passport
/// grant as the contacts ticket of the call.
#[tokio::test]
async fn address_book_notices_go_to_the_other_endpoints_only() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let desktop_tokens = rst2_tokens(&server, "alice@example.com", "pw").await;
    let mut desktop = sso_sign_in(&server, "alice@example.com", &desktop_tokens[1], DESKTOP, "desktop").await;
    let laptop_tokens = rst2_tokens(&server, "alice@example.com", "pw").await;
    let mut laptop = sso_sign_in(&server, "alice@example.com", &laptop_tokens[1], LAPTOP, "laptop").await;
    desktop.frame().await; // self-UBX: the laptop arrived

    let response = ab_call(&server, AB, &desktop_tokens[2].ticket, &contact_add("bob@example.com")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let not = laptop.frame().await;
    assert_eq!(not.command, "NOT");
    assert!(String::from_utf8_lossy(not.payload.as_deref().unwrap_or_default()).contains("ABCHInternal"));
    desktop.send("PNG").await;
    desktop.expect("QNG 60").await;

    // And the other way round.
    let response =
        ab_call(&server, SHARING, &laptop_tokens[2].ticket, &membership("AddMember", "Block", "bob@example.com")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(desktop.frame().await.command, "NOT");
    laptop.send("PNG").await;
    laptop.expect("QNG 60").await;
}
