//! MSNP13–MSNP18 on the Notification Server, over real sockets: tickets from
//! RST.srf, `USR TWN` (13) and `USR SSO` with the MBI_KEY response computed by
//! our own crypto (15, 18), `ADL`/`RML`/`FQY`, and presence between an MSNP18
//! and an MSNP11 user, each in its own format.

mod common;

use common::{Peer, TestServer, rst_tokens, sign_in};
use msnp::Dialect;
use msnp::auth::challenge::msnp11_challenge_response;
use msnp::auth::mbi;

fn word(line: &str, index: usize) -> String {
    line.split(' ').nth(index).unwrap_or_else(|| panic!("no word {index} in {line}")).to_owned()
}

const MACHINE: &str = "{F26D1F07-95E2-403C-BC18-D4BFED493428}";

/// Signs in with SSO (15+) or TWN (13-14) using a ticket from RST.srf.
async fn sign_in_new(server: &TestServer, dialect: &str, email: &str, password: &str, name: &'static str) -> Peer {
    sign_in_endpoint(server, dialect, email, password, name, MACHINE).await
}

/// As `sign_in_new`, from the endpoint with machine GUID `machine`.
async fn sign_in_endpoint(
    server: &TestServer,
    dialect: &str,
    email: &str,
    password: &str,
    name: &'static str,
    machine: &str,
) -> Peer {
    let (mut peer, proof) = prepare_endpoint(server, dialect, email, password, name, machine).await;
    peer.send(&proof).await;
    finish_endpoint(peer, dialect, email, machine).await
}

/// Everything up to the proof: the `USR 4 … S …` line to send is returned.
async fn prepare_endpoint(
    server: &TestServer,
    dialect: &str,
    email: &str,
    password: &str,
    name: &'static str,
    machine: &str,
) -> (Peer, String) {
    let version = Dialect::from_token(dialect).expect("dialect");
    let tokens = rst_tokens(
        server,
        email,
        password,
        &[("http://Passport.NET/tb", None), ("messengerclear.live.com", Some("MBI_KEY_OLD"))],
    )
    .await;
    assert_eq!(tokens[1].address, "messengerclear.live.com");
    assert_eq!(tokens[1].secret.len(), 24);
    let mut peer = Peer::connect(server.ns(), name).await;
    peer.set_dialect(version);
    peer.send(&format!("VER 1 {dialect} CVR0")).await;
    peer.expect(&format!("VER 1 {dialect}")).await;
    peer.send(&format!("CVR 2 0x0409 winnt 6.1.0 i386 MSNMSGR 14.0.8117.0416 msmsgs {email}")).await;
    assert!(peer.line().await.starts_with("CVR 2 14.0.8117.0416 "));
    let sso = version.version() >= 15;
    peer.send(&format!("USR 3 {} I {email}", if sso { "SSO" } else { "TWN" })).await;
    let gcf = peer.frame().await;
    assert_eq!(gcf.to_string(), format!("GCF 0 {}", gcf.payload.as_ref().map_or(0, |p| p.len())));
    assert!(
        String::from_utf8_lossy(gcf.payload.as_deref().unwrap_or_default())
            .starts_with("<Policies><Policy type=\"SHIELDS\"")
    );
    let offer = peer.line().await;
    let proof = if sso {
        assert!(offer.starts_with("USR 3 SSO S MBI_KEY_OLD "), "{offer}");
        let nonce = word(&offer, 5);
        assert_eq!(nonce.len(), 64);
        let response = mbi::response(&tokens[1].secret, &nonce, rand_iv());
        format!("USR 4 SSO S {} {response} {machine}", tokens[1].ticket)
    } else {
        assert!(offer.starts_with("USR 3 TWN S "), "{offer}");
        format!("USR 4 TWN S {}", tokens[1].ticket)
    };
    (peer, proof)
}

/// After the proof: `USR OK`, the profile and, from MSNP16, the self-`UBX`.
async fn finish_endpoint(mut peer: Peer, dialect: &str, email: &str, machine: &str) -> Peer {
    let version = Dialect::from_token(dialect).expect("dialect");
    peer.expect(&format!("USR 4 OK {email} 1 0")).await;
    peer.expect("SBS 0 null").await;
    let profile = peer.frame().await;
    let text = String::from_utf8_lossy(profile.payload.as_deref().unwrap_or_default()).into_owned();
    assert!(text.contains("ABCHMigrated: 1\r\n"));
    assert_eq!(text.contains("MPOPEnabled: 1\r\n"), version.has_mpop());
    if version.has_mpop() {
        // The self-UBX: this endpoint among the account's endpoints.
        let ubx = peer.frame().await;
        assert_eq!(ubx.command, "UBX");
        let payload = String::from_utf8_lossy(ubx.payload.as_deref().unwrap_or_default()).into_owned();
        assert!(payload.contains(&format!("<EndpointData id=\"{}\">", machine.to_ascii_lowercase())), "{payload}");
    }
    peer
}

fn rand_iv() -> [u8; 8] {
    let value: u64 =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7);
    value.to_le_bytes()
}

/// The status burst after the first CHG: Mail-Data, then a challenge to answer.
/// The self-`UBX` of an MSNP18 user whose endpoints have published nothing but
/// their `CHG`: each endpoint with the capabilities of that `CHG`, no empty
/// element (libpurple reads them as numbers and crashes on an empty one).
async fn own_endpoints(peer: &mut Peer, machine_guid: Option<&str>, endpoints: &[(&str, &str)]) {
    let mut expected = String::from("<Data><PSM></PSM><CurrentMedia></CurrentMedia>");
    if let Some(guid) = machine_guid {
        expected.push_str(&format!("<MachineGuid>{guid}</MachineGuid>"));
    }
    for (guid, caps) in endpoints {
        expected.push_str(&format!("<EndpointData id=\"{guid}\"><Capabilities>{caps}</Capabilities></EndpointData>"));
    }
    for (guid, _) in endpoints {
        expected.push_str(&format!("<PrivateEndpointData id=\"{guid}\"><Idle>false</Idle></PrivateEndpointData>"));
    }
    expected.push_str("</Data>");
    let ubx = peer.frame().await;
    assert_eq!(ubx.command, "UBX");
    assert_eq!(String::from_utf8_lossy(ubx.payload.as_deref().unwrap_or_default()), expected);
}

async fn settle(peer: &mut Peer, trid: u32) {
    let mail = peer.frame().await;
    assert_eq!(mail.params, ["Hotmail", "Hotmail"]);
    let chl = peer.line().await;
    let answer = msnp11_challenge_response(&word(&chl, 2), "PROD0120PW!CCV9@", "C1BX{V4W}Q3*10SM");
    peer.send_payload(&format!("QRY {trid} PROD0120PW!CCV9@"), answer.as_bytes()).await;
    peer.expect(&format!("QRY {trid}")).await;
}

#[tokio::test]
async fn sso_refuses_a_flipped_bit_and_a_ticket_without_its_key() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    let tokens =
        rst_tokens(&server, "alice@example.com", "alice-pw", &[("messengerclear.live.com", Some("MBI_KEY_OLD"))]).await;
    for tamper in [true, false] {
        let mut peer = Peer::connect(server.ns(), "tamper").await;
        peer.send("VER 1 MSNP15 CVR0").await;
        peer.expect("VER 1 MSNP15").await;
        peer.send("CVR 2 0x0409 winnt 6.1.0 i386 MSNMSGR 8.5.1302 msmsgs alice@example.com").await;
        peer.line().await;
        peer.send("USR 3 SSO I alice@example.com").await;
        peer.frame().await; // GCF
        let nonce = word(&peer.line().await, 5);
        let mut blob = mbi::response_blob(&tokens[0].secret, &nonce, [0; 8]);
        if tamper {
            blob[60] ^= 0x10;
            use base64::Engine as _;
            let response = base64::engine::general_purpose::STANDARD.encode(&blob);
            peer.send(&format!("USR 4 SSO S {} {response}", tokens[0].ticket)).await;
        } else {
            peer.send(&format!("USR 4 SSO S {}", tokens[0].ticket)).await;
        }
        peer.expect("911 4").await;
        peer.expect_closed().await;
    }
}

#[tokio::test]
async fn msnp13_signs_in_with_twn_and_an_rst_ticket() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    let mut alice = sign_in_new(&server, "MSNP13", "alice@example.com", "alice-pw", "alice").await;
    alice.send("SYN 5 0 0").await;
    alice.expect("200 5").await;
    alice.send("FQY 6 0").await;
    alice.expect("200 6").await;
    alice.send("BLP 7 BL").await;
    alice.expect("BLP 7 BL").await;
}

async fn new_dialect_transcript(dialect: &str) {
    let version = Dialect::from_token(dialect).expect("dialect");
    let eighteen = version.version() >= 18;
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;

    let mut bob = sign_in(&server, "MSNP11", "bob@example.com", "bob-pw", "bob").await;
    bob.send("CHG 1 NLN 1073741824").await;
    bob.expect("CHG 1 NLN 1073741824").await;
    bob.frame().await; // Mail-Data
    bob.line().await; // CHL
    let mut alice = sign_in_new(&server, dialect, "alice@example.com", "alice-pw", "alice").await;
    if eighteen {
        // A circle ticket the address book did not issue to her is refused.
        alice.send("USR 5 SHA A c2hh").await;
        alice.expect("911 5").await;
    }
    // Sent at every sign-in with the value in force, and echoed.
    alice.send("BLP 6 AL").await;
    alice.expect("BLP 6 AL").await;

    // The initial list: Bob to FL and AL; Bob, online, learns Alice added him.
    alice.send_payload("ADL 7", br#"<ml l="1"><d n="example.com"><c n="bob" l="3" t="1" /></d></ml>"#).await;
    alice.expect("ADL 7 OK").await;
    bob.expect("ADC 0 RL N=alice@example.com F=Alice").await;
    // Bob adds Alice back; MSNP13+ shows that as an ADL from the server.
    bob.send("ADC 2 FL N=alice@example.com F=Alice").await;
    assert!(bob.line().await.starts_with("ADC 2 FL N=alice@example.com F=Alice C="));
    let added = r#"<ml><d n="example.com"><c n="bob" t="1" l="8" f="Bob" /></d></ml>"#;
    alice.expect_payload(&format!("ADL 0 {}", added.len()), added).await;
    // Errors of the grammar and of the networks.
    alice.send_payload("ADL 8", b"<ml></ml>").await;
    alice.expect("240 8").await;
    alice.send_payload("ADL 9", b"<ml><d n=\"example.com\"><c l=\"1\"/></d></ml>").await;
    alice.expect("241 9").await;
    alice.send_payload("ADL 10", br#"<ml><d n="yahoo.com"><c n="bob" l="1" t="32" /></d></ml>"#).await;
    alice.expect("204 10").await;
    let unknown = r#"<ml><d n="example.com"><c n="nobody" t="1" l="1" /></d></ml>"#;
    alice.send_payload("ADL 11", br#"<ml><d n="example.com"><c n="nobody" l="1" t="1" /></d></ml>"#).await;
    alice.expect_payload(&format!("241 11 {}", unknown.len()), unknown).await;
    if version.has_fqy() {
        alice.send_payload("FQY 12", br#"<ml><d n="example.com"><c n="bob" /><c n="nobody" /></d></ml>"#).await;
        // A Messenger account is named without a network (no `t`).
        let known = r#"<ml><d n="example.com"><c n="bob" /></d></ml>"#;
        alice.expect_payload(&format!("FQY 12 {}", known.len()), known).await;
    }

    // Alice comes online: she sees Bob in her dialect, Bob sees her in his.
    let caps = if version.has_extended_caps() { "2789003324:48" } else { "2789003324" };
    alice.send(&format!("CHG 13 NLN {caps} 0")).await;
    alice.expect(&format!("CHG 13 NLN {caps} 0")).await;
    if version.has_mpop() {
        own_endpoints(&mut alice, None, &[("{f26d1f07-95e2-403c-bc18-d4bfed493428}", caps)]).await;
    }
    let bob_handle = match version.version() {
        18 => "1:bob@example.com".to_owned(),
        14..=17 => "bob@example.com 1".to_owned(),
        _ => "bob@example.com".to_owned(),
    };
    let bob_caps = if version.has_extended_caps() { "1073741824:0" } else { "1073741824" };
    // Presence answering a command: ILN with its TrID, a plain NLN in MSNP18;
    // the msnobject word is always there (0: no display picture).
    let answered = |trid: u32, status: &str| {
        if eighteen {
            format!("NLN {status} {bob_handle} Bob {bob_caps} 0")
        } else {
            format!("ILN {trid} {status} {bob_handle} Bob {bob_caps} 0")
        }
    };
    alice.expect(&answered(13, "NLN")).await;
    settle(&mut alice, 14).await;
    bob.expect("NLN NLN alice@example.com Alice 2789003324 0").await;
    bob.send("CHG 3 BSY 1073741824").await;
    bob.expect("CHG 3 BSY 1073741824").await;
    alice.expect(&format!("NLN BSY {bob_handle} Bob {bob_caps} 0")).await;
    // An ADL naming a contact already on the list (libpurple puts contacts
    // there through the address book first) answers with their presence too.
    alice.send_payload("ADL 30", br#"<ml><d n="example.com"><c n="bob" l="1" t="1" /></d></ml>"#).await;
    alice.expect("ADL 30 OK").await;
    alice.expect(&answered(30, "BSY")).await;
    let psm = "<Data><PSM>from 2009</PSM><CurrentMedia></CurrentMedia><MachineGuid>{F26D1F07-95E2-403C-BC18-D4BFED493428}</MachineGuid></Data>";
    alice.send_payload("UUX 15", psm.as_bytes()).await;
    alice.expect("UUX 15 0").await;
    if version.has_mpop() {
        // The new status reaches the user's own endpoints too.
        let own = alice.frame().await;
        assert_eq!(own.to_string(), format!("UBX 1:alice@example.com {}", own.payload.as_ref().map_or(0, |p| p.len())));
        assert!(String::from_utf8_lossy(own.payload.as_deref().unwrap_or_default()).contains("<PSM>from 2009</PSM>"));
    }
    let ubx = "<Data><PSM>from 2009</PSM><CurrentMedia></CurrentMedia></Data>";
    bob.expect_payload(&format!("UBX alice@example.com {}", ubx.len()), ubx).await;

    // A switchboard referral in the new form.
    alice.send("XFR 16 SB").await;
    let xfr = alice.line().await;
    let suffix = if version.version() >= 14 { "U messenger.msn.com 1" } else { "U messenger.msn.com" };
    assert_eq!(xfr, format!("XFR 16 SB {} CKI {} {suffix}", server.sb(), word(&xfr, 5)));

    // Removing Bob: he learns it; Alice removes nothing twice.
    alice.send_payload("RML 17", br#"<ml><d n="example.com"><c n="bob" l="1" t="1" /></d></ml>"#).await;
    alice.expect("RML 17 OK").await;
    bob.expect("REM 0 RL N=alice@example.com").await;
    alice.send_payload("RML 18", br#"<ml><d n="example.com"><c n="bob" l="1" t="1" /></d></ml>"#).await;
    alice.expect("RML 18 OK").await;
    // Alice still allows Bob, who still watches her: she leaves, he sees it.
    alice.send_payload("ADL 19", br#"<ml><d n="example.com"><c n="bob" l="1" t="1" /></d></ml>"#).await;
    alice.expect("ADL 19 OK").await;
    alice.expect(&answered(19, "BSY")).await;
    bob.expect("ADC 0 RL N=alice@example.com F=Alice").await;
    bob.send("OUT").await;
    bob.expect_closed().await;
    let fln = match version.version() {
        18 => "FLN 1:bob@example.com 0:0",
        16..=17 => "FLN bob@example.com 1 0:0",
        14..=15 => "FLN bob@example.com 1",
        _ => "FLN bob@example.com",
    };
    alice.expect(fln).await;
    // A client may not set RL: 241, and the connection is closed.
    alice.send_payload("ADL 20", br#"<ml><d n="example.com"><c n="bob" l="8" t="1" /></d></ml>"#).await;
    alice.expect("241 20").await;
    alice.expect_closed().await;
}

#[tokio::test]
async fn msnp15_transcript() {
    new_dialect_transcript("MSNP15").await;
}

#[tokio::test]
async fn msnp18_transcript() {
    new_dialect_transcript("MSNP18").await;
}

/// MSNP16+: two endpoints of one account are online together; each sees the
/// other in its self-UBX; one signs the other out with UUN; an MSNP15 login
/// still takes the account over.
#[tokio::test]
async fn multiple_points_of_presence() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    const LAPTOP: &str = "{11111111-2222-3333-4444-555555555555}";
    const DESKTOP: &str = "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}";
    let mut laptop = sign_in_endpoint(&server, "MSNP18", "alice@example.com", "alice-pw", "laptop", LAPTOP).await;
    laptop.send_payload("UUX 5", b"<PrivateEndpointData><EpName>Laptop</EpName><Idle>false</Idle><ClientType>1</ClientType><State>NLN</State></PrivateEndpointData>").await;
    laptop.expect("UUX 5 0").await;
    let own = laptop.frame().await;
    assert!(String::from_utf8_lossy(own.payload.as_deref().unwrap_or_default()).contains("<EpName>Laptop</EpName>"));

    let mut desktop = sign_in_endpoint(&server, "MSNP18", "alice@example.com", "alice-pw", "desktop", DESKTOP).await;
    // The laptop stays, and hears of the desktop.
    let update = laptop.frame().await;
    let payload = String::from_utf8_lossy(update.payload.as_deref().unwrap_or_default()).into_owned();
    assert!(payload.contains("<EndpointData id=\"{11111111-2222-3333-4444-555555555555}\">"), "{payload}");
    assert!(payload.contains("<EndpointData id=\"{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}\">"), "{payload}");
    desktop.send_payload("UUX 5", b"<EndpointData><Capabilities>2789003324:48</Capabilities></EndpointData>").await;
    desktop.expect("UUX 5 0").await;
    assert!(
        String::from_utf8_lossy(desktop.frame().await.payload.as_deref().unwrap_or_default())
            .contains("<Capabilities>2789003324:48</Capabilities>")
    );
    laptop.frame().await; // the same update

    // The desktop signs the laptop out.
    desktop.send_payload(&format!("UUN 6 alice@example.com;{LAPTOP} 4"), b"goawyplzthxbye").await;
    desktop.expect("UUN 6 OK").await;
    laptop.expect_payload("UBN alice@example.com;{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee} 4 14", "goawyplzthxbye").await;
    laptop.expect_closed().await;
    let left = desktop.frame().await;
    assert!(!String::from_utf8_lossy(left.payload.as_deref().unwrap_or_default()).contains("11111111"));
    desktop.send_payload("UUN 7 alice@example.com;{00000000-0000-0000-0000-000000000000} 4", b"gtfo").await;
    desktop.expect("217 7").await;
    desktop.send_payload("UUM 8 bob@yahoo.com 32 1", b"hi").await;
    desktop.expect("204 8").await;

    // An MSNP15 login is a single point of presence: it takes over.
    let mut old = sign_in_new(&server, "MSNP15", "alice@example.com", "alice-pw", "wlm85").await;
    desktop.expect("OUT OTH").await;
    desktop.expect_closed().await;
    old.send("PNG").await;
    old.expect("QNG 60").await;
}

/// Endpoints of one account signing in at the same moment (every client
/// reconnecting after a restart) all stay: none replaces another.
#[tokio::test]
async fn endpoints_signing_in_together_all_stay() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    for round in 0..5 {
        let machines: Vec<String> =
            (0..4).map(|i| format!("{{{:08x}-0000-0000-0000-{:012x}}}", round + 1, i + 1)).collect();
        let mut prepared = Vec::new();
        for machine in &machines {
            prepared
                .push(prepare_endpoint(&server, "MSNP18", "alice@example.com", "alice-pw", "endpoint", machine).await);
        }
        for (peer, proof) in &mut prepared {
            peer.send(proof).await;
        }
        let mut peers = Vec::new();
        for ((peer, _), machine) in prepared.into_iter().zip(&machines) {
            peers.push(finish_endpoint(peer, "MSNP18", "alice@example.com", machine).await);
        }
        for peer in &mut peers {
            // Each may first hear of the others (self-UBX); none is told OUT OTH.
            peer.send("PNG").await;
            loop {
                let frame = peer.frame().await;
                assert_ne!(frame.to_string(), "OUT OTH", "round {round}: an endpoint was replaced");
                if frame.command == "QNG" {
                    break;
                }
                assert_eq!(frame.command, "UBX", "round {round}: {frame}");
            }
        }
        drop(peers);
        // Wait for the round's sessions to end before the next one signs in.
        for _ in 0..100 {
            if server.server().context.core.hub.online_count() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// The limits on sessions count every endpoint, and hold where a session
/// becomes signed in: all sessions may have passed `USR … I` first.
#[tokio::test]
async fn session_and_endpoint_limits_hold_at_sign_in() {
    let server = TestServer::start_with(|config| {
        config.max_sessions = 3;
        config.max_endpoints = 2;
    })
    .await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    // Three endpoints of Alice prepared; only two may sign in.
    let mut alice = Vec::new();
    for i in 0..3 {
        let machine = format!("{{aaaaaaaa-0000-0000-0000-{i:012x}}}");
        alice.push((
            prepare_endpoint(&server, "MSNP18", "alice@example.com", "alice-pw", "alice", &machine).await,
            machine,
        ));
    }
    // And two of Bob, prepared before anyone signs in.
    let mut bob = Vec::new();
    for i in 0..2 {
        let machine = format!("{{bbbbbbbb-0000-0000-0000-{i:012x}}}");
        bob.push((prepare_endpoint(&server, "MSNP18", "bob@example.com", "bob-pw", "bob", &machine).await, machine));
    }
    let mut alice = alice.into_iter();
    let mut kept = Vec::new();
    for _ in 0..2 {
        let ((mut peer, proof), machine) = alice.next().expect("endpoint");
        peer.send(&proof).await;
        kept.push(finish_endpoint(peer, "MSNP18", "alice@example.com", &machine).await);
    }
    let ((mut third, proof), _) = alice.next().expect("third endpoint");
    third.send(&proof).await;
    third.expect("714 4").await;
    third.expect_closed().await;
    // Bob's first session is the node's third: it signs in; his second is refused.
    let mut bob = bob.into_iter();
    let ((mut first, proof), machine) = bob.next().expect("bob");
    first.send(&proof).await;
    let _first = finish_endpoint(first, "MSNP18", "bob@example.com", &machine).await;
    let ((mut second, proof), _) = bob.next().expect("bob again");
    second.send(&proof).await;
    second.expect("920 4").await;
    second.expect_closed().await;
    // A session that ends frees its place.
    drop(kept);
    for _ in 0..100 {
        if server.server().context.core.hub.session_count() < 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(server.server().context.core.hub.session_count(), 1);
}

/// Between two MSNP18 users a personal message travels with the sender's
/// endpoints (their capabilities only) and what else its client published.
#[tokio::test]
async fn msnp18_contacts_see_personal_messages_with_endpoints() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    const BOB: &str = "{B0B00000-0000-0000-0000-000000000000}";
    let mut alice = sign_in_new(&server, "MSNP18", "alice@example.com", "alice-pw", "alice").await;
    let mut bob = sign_in_endpoint(&server, "MSNP18", "bob@example.com", "bob-pw", "bob", BOB).await;
    alice.send_payload("ADL 5", br#"<ml><d n="example.com"><c n="bob" l="3" t="1" /></d></ml>"#).await;
    alice.expect("ADL 5 OK").await;
    bob.frame().await; // ADL 0: Alice added him
    bob.send_payload("ADL 5", br#"<ml><d n="example.com"><c n="alice" l="3" t="1" /></d></ml>"#).await;
    bob.expect("ADL 5 OK").await;
    alice.frame().await; // ADL 0: Bob added her
    alice.send("CHG 6 NLN 2789003324:48 0").await;
    alice.expect("CHG 6 NLN 2789003324:48 0").await;
    alice.frame().await; // self-UBX
    settle(&mut alice, 7).await;
    bob.send("CHG 6 NLN 2789003324:48 0").await;
    bob.expect("CHG 6 NLN 2789003324:48 0").await;
    bob.frame().await; // self-UBX
    bob.expect("NLN NLN 1:alice@example.com Alice 2789003324:48 0").await;
    settle(&mut bob, 7).await;
    alice.expect("NLN NLN 1:bob@example.com Bob 2789003324:48 0").await;
    let psm = "<Data><PSM>on the bus</PSM><CurrentMedia></CurrentMedia><MachineGuid>{B0B00000-0000-0000-0000-000000000000}</MachineGuid><DDP></DDP><SignatureSound></SignatureSound><Scene></Scene><ColorScheme>-3</ColorScheme></Data>";
    bob.send_payload("UUX 8", psm.as_bytes()).await;
    bob.expect("UUX 8 0").await;
    let ubx = concat!(
        "<Data><PSM>on the bus</PSM><CurrentMedia></CurrentMedia><MachineGuid>{B0B00000-0000-0000-0000-000000000000}</MachineGuid>",
        "<ColorScheme>-3</ColorScheme><EndpointData id=\"{b0b00000-0000-0000-0000-000000000000}\"><Capabilities>2789003324:48</Capabilities></EndpointData></Data>"
    );
    alice.expect_payload(&format!("UBX 1:bob@example.com {}", ubx.len()), ubx).await;
}

/// Pidgin 2.x's MSN plugin (MSNP18), call for call (shared/reference/clients.md):
/// sign-in FindMembership → (ABAdd, had it been told ABDoesNotExist) → ABFindContactsPaged →
/// ABContactUpdate → USR SHA A → BLP → ADL → PRP → UUX → CHG; adding a buddy
/// ABGroupAdd → ABGroupContactAdd → ADL; accepting one FindMembership →
/// DeleteMember (Pending) → ABContactUpdate.
#[tokio::test]
async fn pidgin_sign_in_add_and_accept_sequences() {
    use common::ab_call;
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    server.user("carol@example.com", "carol-pw", "Carol").await;
    let ns = r#" xmlns="http://www.msn.com/webservices/AddressBook""#;
    let contacts = rst_tokens(&server, "alice@example.com", "alice-pw", &[("contacts.msn.com", Some("MBI"))]).await;
    let ticket = contacts[0].ticket.clone();
    let mut alice = sign_in_new(&server, "MSNP18", "alice@example.com", "alice-pw", "pidgin").await;

    let find = format!(
        "<FindMembership{ns}><serviceFilter><Types><ServiceType>Messenger</ServiceType></Types></serviceFilter></FindMembership>"
    );
    // Every account has an address book; an ABAdd all the same is answered.
    assert_eq!(ab_call(&server, "//abservice/SharingService.asmx", &ticket, &find).await.status, 200);
    assert_eq!(ab_call(&server, "//abservice/abservice.asmx", &ticket, &format!("<ABAdd{ns}><abInfo><name/><ownerPuid>0</ownerPuid><ownerEmail>alice@example.com</ownerEmail><fDefault>true</fDefault></abInfo></ABAdd>")).await.status, 200);
    let paged = ab_call(&server, "//abservice/abservice.asmx", &ticket, &format!("<ABFindContactsPaged{ns}><filterOptions><DeltasOnly>false</DeltasOnly><NotificationsOnly>false</NotificationsOnly></filterOptions></ABFindContactsPaged>")).await.text();
    let circle = {
        let start = paged.find("<CircleTicket>").expect("circle ticket") + "<CircleTicket>".len();
        paged[start..paged[start..].find('<').expect("end") + start].to_owned()
    };
    let update_me = format!(
        "<ABContactUpdate{ns}><contacts><Contact><contactInfo><contactType>Me</contactType><displayName>Alice P</displayName></contactInfo><propertiesChanged>DisplayName</propertiesChanged></Contact></contacts></ABContactUpdate>"
    );
    assert_eq!(ab_call(&server, "//abservice/abservice.asmx", &ticket, &update_me).await.status, 200);
    alice.frame().await; // NOT: the address book changed
    use base64::Engine as _;
    let circle = base64::engine::general_purpose::STANDARD.encode(circle);
    alice.send(&format!("USR 5 SHA A {circle}")).await;
    alice.expect("USR 5 OK alice@example.com 0 0").await;
    alice.send("BLP 6 BL").await;
    alice.expect("BLP 6 BL").await;
    alice.send_payload("ADL 7", br#"<ml l="1"/>"#).await;
    alice.expect("ADL 7 OK").await;
    alice.send("PRP 8 MFN Alice%20P").await;
    alice.expect("PRP 8 MFN Alice%20P").await;
    alice.send_payload("UUX 9", b"<Data><PSM></PSM><CurrentMedia></CurrentMedia><MachineGuid>{F26D1F07-95E2-403C-BC18-D4BFED493428}</MachineGuid></Data>").await;
    alice.expect("UUX 9 0").await;
    alice.frame().await; // self-UBX
    alice.send("CHG 10 NLN 2789003324:48 0").await;
    alice.expect("CHG 10 NLN 2789003324:48 0").await;
    own_endpoints(&mut alice, Some(MACHINE), &[("{f26d1f07-95e2-403c-bc18-d4bfed493428}", "2789003324:48")]).await;
    settle(&mut alice, 11).await;

    // Adding Bob into a new group.
    let group = ab_call(&server, "//abservice/abservice.asmx", &ticket, &format!("<ABGroupAdd{ns}><abId>00000000-0000-0000-0000-000000000000</abId><groupAddOptions><fRenameOnMsgrConflict>false</fRenameOnMsgrConflict></groupAddOptions><groupInfo><GroupInfo><name>Buddies</name><groupType>C8529CE2-6EAD-434d-881F-341E17DB3FF8</groupType><fMessenger>false</fMessenger><annotations><Annotation><Name>MSN.IM.Display</Name><Value>1</Value></Annotation></annotations></GroupInfo></groupInfo></ABGroupAdd>")).await.text();
    let group = {
        let start = group.find("<guid>").expect("group guid") + 6;
        group[start..group[start..].find('<').expect("end") + start].to_owned()
    };
    alice.frame().await; // NOT
    let add = format!(
        "<ABGroupContactAdd{ns}><abId>00000000-0000-0000-0000-000000000000</abId><groupFilter><groupIds><guid>{group}</guid></groupIds></groupFilter><contacts><Contact><contactInfo><passportName>bob@example.com</passportName><isSmtp>false</isSmtp><isMessengerUser>true</isMessengerUser></contactInfo></Contact></contacts><groupContactAddOptions><fGenerateMissingQuickName>true</fGenerateMissingQuickName><EnableAllowListManagement>true</EnableAllowListManagement></groupContactAddOptions></ABGroupContactAdd>"
    );
    let response = ab_call(&server, "//abservice/abservice.asmx", &ticket, &add).await;
    assert!(response.text().contains("<ABGroupContactAddResult><guid>"), "{}", response.text());
    alice.frame().await; // NOT
    alice.send_payload("ADL 12", br#"<ml><d n="example.com"><c n="bob" l="3" t="1" /></d></ml>"#).await;
    alice.expect("ADL 12 OK").await;

    // Carol adds Alice; Alice accepts: Pending, DeleteMember, ABContactUpdate.
    let mut carol = sign_in(&server, "MSNP11", "carol@example.com", "carol-pw", "carol").await;
    carol.send("ADC 1 FL N=alice@example.com F=Alice").await;
    assert!(carol.line().await.starts_with("ADC 1 FL N=alice@example.com F=Alice C="));
    let added = r#"<ml><d n="example.com"><c n="carol" t="1" l="8" f="Carol" /></d></ml>"#;
    alice.expect_payload(&format!("ADL 0 {}", added.len()), added).await;
    let memberships = ab_call(&server, "//abservice/SharingService.asmx", &ticket, &find).await.text();
    let pending = memberships.split("<MemberRole>Pending</MemberRole>").nth(1).expect("pending role");
    let pending = &pending[..pending.find("</Membership>").expect("end")];
    assert!(pending.contains("<PassportName>carol@example.com</PassportName>"), "{pending}");
    let member_id = {
        let start = pending.find("<MembershipId>").expect("id") + "<MembershipId>".len();
        pending[start..pending[start..].find('<').expect("end") + start].to_owned()
    };
    let delete = format!(
        "<DeleteMember{ns}><serviceHandle><Id>0</Id><Type>Messenger</Type><ForeignId></ForeignId></serviceHandle><memberships><Membership><MemberRole>Pending</MemberRole><Members><Member xsi:type=\"PassportMember\"><Type>Passport</Type><MembershipId>{member_id}</MembershipId><State>Accepted</State></Member></Members></Membership></memberships></DeleteMember>"
    );
    assert_eq!(ab_call(&server, "//abservice/SharingService.asmx", &ticket, &delete).await.status, 200);
    // libpurple then moves the member to Reverse: the server keeps that list, and the call succeeds.
    let reverse = format!(
        "<AddMember{ns}><serviceHandle><Id>0</Id><Type>Messenger</Type><ForeignId></ForeignId></serviceHandle><memberships><Membership><MemberRole>Reverse</MemberRole><Members><Member xsi:type=\"PassportMember\"><Type>Passport</Type><State>Accepted</State><PassportName>carol@example.com</PassportName></Member></Members></Membership></memberships></AddMember>"
    );
    let response = ab_call(&server, "//abservice/SharingService.asmx", &ticket, &reverse).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.text().contains("<AddMemberResponse"), "{}", response.text());
    // Removing someone from Reverse is not the client's to do.
    let unreverse = reverse.replace("AddMember", "DeleteMember");
    let response = ab_call(&server, "//abservice/SharingService.asmx", &ticket, &unreverse).await;
    assert_eq!(response.status, 500);
    assert!(response.text().contains(">BadArgument</errorcode>"), "{}", response.text());
    let accept = format!(
        "<AddMember{ns}><memberships><Membership><MemberRole>Allow</MemberRole><Members><Member xsi:type=\"PassportMember\"><Type>Passport</Type><State>Accepted</State><PassportName>carol@example.com</PassportName></Member></Members></Membership></memberships></AddMember>"
    );
    assert_eq!(ab_call(&server, "//abservice/SharingService.asmx", &ticket, &accept).await.status, 200);
    let memberships = ab_call(&server, "//abservice/SharingService.asmx", &ticket, &find).await.text();
    let pending = memberships.split("<MemberRole>Pending</MemberRole>").nth(1).expect("pending role");
    assert!(
        !pending[..pending.find("</Membership>").expect("end")].contains("carol@"),
        "accepted members leave Pending"
    );
}

/// MSNP16+ on the switchboard: each endpoint rings with its own cookie and is a
/// participant (`email;{guid}`); older clients see the account once; calling
/// yourself rings your other endpoints.
#[tokio::test]
async fn switchboard_endpoints() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    const LAPTOP: &str = "{11111111-2222-3333-4444-555555555555}";
    const DESKTOP: &str = "{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}";
    let mut laptop = sign_in_endpoint(&server, "MSNP18", "alice@example.com", "alice-pw", "laptop", LAPTOP).await;
    laptop.send("CHG 5 NLN 2789003324:48 0").await;
    laptop.expect("CHG 5 NLN 2789003324:48 0").await;
    own_endpoints(&mut laptop, None, &[("{11111111-2222-3333-4444-555555555555}", "2789003324:48")]).await;
    settle(&mut laptop, 6).await;
    let mut desktop = sign_in_endpoint(&server, "MSNP18", "alice@example.com", "alice-pw", "desktop", DESKTOP).await;
    laptop.frame().await; // self-UBX: the desktop arrived
    let mut bob = sign_in(&server, "MSNP11", "bob@example.com", "bob-pw", "bob").await;
    bob.send("CHG 1 NLN 0").await;
    bob.expect("CHG 1 NLN 0").await;
    bob.frame().await; // Mail-Data
    bob.line().await; // CHL

    bob.send("XFR 2 SB").await;
    let cookie = word(&bob.line().await, 5);
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("USR 1 bob@example.com {cookie}")).await;
    bob_sb.expect("USR 1 OK bob@example.com Bob").await;
    bob_sb.send("CAL 2 alice@example.com").await;
    let session = word(&bob_sb.line().await, 3);
    let laptop_rng = laptop.line().await;
    let desktop_rng = desktop.line().await;
    assert_ne!(word(&laptop_rng, 4), word(&desktop_rng, 4), "each endpoint has its own cookie");

    let mut laptop_sb = Peer::connect(server.sb(), "laptop-sb").await;
    laptop_sb.send(&format!("ANS 1 alice@example.com;{LAPTOP} {} {session}", word(&laptop_rng, 4))).await;
    laptop_sb.expect("IRO 1 1 1 bob@example.com Bob 0:0").await;
    laptop_sb.expect("ANS 1 OK").await;
    // Bob's switchboard speaks his MSNP11: no capabilities, no endpoints.
    bob_sb.expect("JOI alice@example.com Alice").await;
    let mut desktop_sb = Peer::connect(server.sb(), "desktop-sb").await;
    desktop_sb.send(&format!("ANS 1 alice@example.com;{DESKTOP} {} {session}", word(&desktop_rng, 4))).await;
    desktop_sb.expect("IRO 1 1 3 bob@example.com Bob 0:0").await;
    // An account's endpoints first, then the account itself (as JOI does).
    desktop_sb.expect(&format!("IRO 1 2 3 alice@example.com;{LAPTOP} Alice 2789003324:48")).await;
    desktop_sb.expect("IRO 1 3 3 alice@example.com Alice 2789003324:48").await;
    desktop_sb.expect("ANS 1 OK").await;
    laptop_sb.expect(&format!("JOI alice@example.com;{DESKTOP} Alice 2789003324:48")).await;
    bob_sb.expect_silence().await;

    bob_sb.send_payload("MSG 3 A", b"to both").await;
    bob_sb.expect("ACK 3").await;
    laptop_sb.expect_payload("MSG bob@example.com Bob 7", "to both").await;
    desktop_sb.expect_payload("MSG bob@example.com Bob 7", "to both").await;

    desktop_sb.send("OUT").await;
    desktop_sb.expect_closed().await;
    laptop_sb.expect(&format!("BYE alice@example.com;{DESKTOP}")).await;
    bob_sb.expect_silence().await;

    // Calling yourself rings your other endpoint.
    laptop_sb.send("CAL 2 alice@example.com").await;
    laptop_sb.expect(&format!("CAL 2 RINGING {session}")).await;
    assert!(desktop.line().await.starts_with(&format!("RNG {session} ")));
    laptop_sb.send("OUT").await;
    laptop_sb.expect_closed().await;
    bob_sb.expect("BYE alice@example.com").await;
}
