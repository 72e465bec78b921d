//! MSNP21 (Windows Live Messenger 2011/2012, BitlBee 3.5.1) over real sockets:
//! sign-in, presence published with `PUT` and told with `NFY`, messages by
//! `SDG`, and presence shared with an MSNP18 user.

mod common;

use common::{IssuedToken, Peer, TestServer, ab_call, rst_tokens};
use msnp::structured::Structured;

const AB: &str = "/abservice/abservice.asmx";
const NS: &str = r#" xmlns="http://www.msn.com/webservices/AddressBook""#;

/// What BitlBee 3.5.1 asks RST.srf for.
const TOKENS: &[(&str, Option<&str>)] = &[
    ("http://Passport.NET/tb", None),
    ("messengerclear.live.com", Some("MBI_KEY_OLD")),
    ("contacts.msn.com", Some("MBI")),
    ("messengersecure.live.com", Some("MBI_SSL")),
    ("storage.msn.com", Some("MBI_SSL")),
];

/// Signs in as BitlBee does, up to `USR OK` and the profile message.
async fn sign_in_21(server: &TestServer, email: &str, epid: &str, name: &'static str) -> (Peer, Vec<IssuedToken>) {
    let tokens = rst_tokens(server, email, "pw", TOKENS).await;
    let mut peer = Peer::connect(server.ns(), name).await;
    peer.set_dialect(msnp::Dialect::MSNP21);
    peer.send("VER 1 MSNP21 CVR0").await;
    peer.expect("VER 1 MSNP21").await;
    peer.send(&format!(
        "CVR 2 0x0409 mac 10.2.0 ppc macmsgs 3.5.1 macmsgs {email} VmVyc2lvbjogMQ0KWGZyQ291bnQ6IDINCklzR2VvWGZyOiB0cnVlDQo="
    ))
    .await;
    assert!(peer.line().await.starts_with("CVR 2 3.5.1 "));
    peer.send(&format!("USR 3 SSO I {email}")).await;
    assert_eq!(peer.frame().await.command, "GCF");
    let offer = peer.line().await;
    let words: Vec<&str> = offer.split(' ').collect();
    assert_eq!(words[..4], ["USR", "3", "SSO", "S"], "{offer}");
    assert_eq!(words.len(), 6, "{offer}");
    let response = msnp::auth::mbi::response(&tokens[1].secret, words[5], [3; 8]);
    peer.send(&format!("USR 4 SSO S {} {response} {epid}", tokens[1].ticket)).await;
    peer.expect(&format!("USR 4 OK {email} 1 0")).await;
    // No SBS and no UBX in MSNP21: the profile message comes next.
    assert_eq!(peer.frame().await.params, ["Hotmail", "Hotmail"]);
    (peer, tokens)
}

fn user_put(trid: u32, email: &str, epid: &str, status: &str, name: &str, psm: &str) -> (String, Vec<u8>) {
    let body = format!(
        concat!(
            r#"<user><s n="PE"><UserTileLocation></UserTileLocation><FriendlyName>{name}</FriendlyName><PSM>{psm}</PSM>"#,
            r#"<MachineGuid>{epid}</MachineGuid></s><s n="IM"><Status>{status}</Status><CurrentMedia></CurrentMedia></s>"#,
            r#"<sep n="PD"><ClientType>1</ClientType><EpName>box</EpName><Idle>false</Idle><State>{status}</State></sep>"#,
            r#"<sep n="IM"><Capabilities>49152:0</Capabilities></sep></user>"#
        ),
        name = name,
        psm = psm,
        epid = epid,
        status = status
    );
    let payload = format!(
        "Routing: 1.0\r\nTo: 1:{email}\r\nFrom: 1:{email};epid={epid}\r\n\r\nReliability: 1.0\r\n\r\nPublication: 1.0\r\nUri: /user\r\nContent-Type: application/user+xml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    (format!("PUT {trid}"), payload.into_bytes())
}

async fn expect_put_ok(peer: &mut Peer, trid: u32) {
    let ok = peer.frame().await;
    assert_eq!(ok.command, "PUT");
    assert_eq!(ok.params.iter().take(2).collect::<Vec<_>>(), [trid.to_string().as_str(), "OK"]);
    let reply = Structured::parse(ok.payload.as_deref().unwrap_or_default()).expect("a structured reply");
    assert_eq!(reply.reliability.get("Reliability"), Some("1.0"));
}

/// The next `NFY` (skipping what else comes: the challenge), read as its blocks.
async fn nfy(peer: &mut Peer) -> (String, Structured) {
    loop {
        let frame = peer.frame().await;
        if frame.command == "NFY" {
            let parsed = Structured::parse(frame.payload.as_deref().unwrap_or_default()).expect("structured");
            return (frame.params[0].to_owned(), parsed);
        }
        assert!(matches!(frame.command.as_str(), "CHL" | "MSG"), "unexpected {frame:?}");
    }
}

async fn befriend(server: &TestServer, a: &str, b: &str) {
    for (owner, contact) in [(a, b), (b, a)] {
        let ticket = rst_tokens(server, owner, "pw", &[("contacts.msn.com", Some("MBI"))]).await;
        let add = format!(
            "<ABContactAdd{NS}><contacts><Contact><contactInfo><passportName>{contact}</passportName><isMessengerUser>true</isMessengerUser></contactInfo></Contact></contacts><options><EnableAllowListManagement>true</EnableAllowListManagement></options></ABContactAdd>"
        );
        assert_eq!(ab_call(server, AB, &ticket[0].ticket, &add).await.status, 200);
    }
}

#[tokio::test]
async fn presence_by_put_and_nfy_and_messages_by_sdg() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    befriend(&server, "alice@example.com", "bob@example.com").await;
    const ALICE_EP: &str = "{aaaaaaaa-0000-0000-0000-000000000001}";
    const BOB_EP: &str = "{bbbbbbbb-0000-0000-0000-000000000002}";

    let (mut alice, _) = sign_in_21(&server, "alice@example.com", ALICE_EP, "alice").await;
    alice
        .send_payload("ADL 5", br#"<ml l="1"><d n="example.com"><c n="bob" t="1"><s n="IM" l="3" /></c></d></ml>"#)
        .await;
    alice.expect("ADL 5 OK").await;
    let (line, payload) = user_put(6, "alice@example.com", ALICE_EP, "NLN", "Alice &amp; co", "hello");
    alice.send_payload(&line, &payload).await;
    expect_put_ok(&mut alice, 6).await;
    assert!(alice.line().await.starts_with("CHL 0 "), "a challenge after the first status");

    let (mut bob, _) = sign_in_21(&server, "bob@example.com", BOB_EP, "bob").await;
    bob.send_payload("ADL 5", br#"<ml l="1"><d n="example.com"><c n="alice" t="1"><s n="IM" l="3" /></c></d></ml>"#)
        .await;
    bob.expect("ADL 5 OK").await;
    let (line, payload) = user_put(6, "bob@example.com", BOB_EP, "BSY", "Bob", "");
    bob.send_payload(&line, &payload).await;
    expect_put_ok(&mut bob, 6).await;
    // Bob is told of Alice at his first status: one document with all of her.
    let (verb, alice_seen) = nfy(&mut bob).await;
    assert_eq!(verb, "PUT");
    assert_eq!(alice_seen.routing.get("From"), Some("1:alice@example.com"));
    assert_eq!(alice_seen.routing.get("To"), Some("1:bob@example.com"));
    assert_eq!(alice_seen.content.get("Uri"), Some("/user"));
    let body = String::from_utf8(alice_seen.body).expect("text");
    assert!(body.contains(r#"<s n="IM"><Status>NLN</Status>"#), "{body}");
    assert!(body.contains("<FriendlyName>Alice &amp; co</FriendlyName><PSM>hello</PSM>"), "{body}");
    assert!(bob.line().await.starts_with("CHL 0 "));
    // And Alice of Bob, as he comes online.
    let (verb, bob_seen) = nfy(&mut alice).await;
    assert_eq!(verb, "PUT");
    let body = String::from_utf8(bob_seen.body).expect("text");
    assert!(body.contains("<Status>BSY</Status>") && body.contains("<FriendlyName>Bob</FriendlyName>"), "{body}");

    // A message: Bob gets it as SDG 0 with the sender as the server knows her.
    let text = "hi bob";
    let message = format!(
        "Routing: 1.0\r\nTo: 1:bob@example.com\r\nFrom: 1:alice@example.com;epid={ALICE_EP}\r\n\r\nReliability: 1.0\r\n\r\nMessaging: 2.0\r\nMessage-Type: Text\r\nContent-Length: {}\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=0; PF=0\r\n\r\n{text}",
        text.len()
    );
    alice.send_payload("SDG 7", message.as_bytes()).await;
    let got = bob.frame().await;
    assert_eq!((got.command.as_str(), got.params.to_vec()), ("SDG", vec!["0".to_owned()]));
    let got = Structured::parse(got.payload.as_deref().unwrap_or_default()).expect("structured");
    assert_eq!(got.routing.get("From"), Some(format!("1:alice@example.com;epid={ALICE_EP}").as_str()));
    assert_eq!(got.content.get("Message-Type"), Some("Text"));
    assert_eq!(got.body, text.as_bytes());
    alice.expect_silence().await;

    // Malformed or unknown: answered, never relayed.
    alice.send_payload("SDG 8", b"not a structured message").await;
    alice.expect("240 8").await;
    let to = |to: &str| message.replace("To: 1:bob@example.com", to);
    alice.send_payload("SDG 10", to("To: 1:nobody@example.com").as_bytes()).await;
    alice.expect("217 10").await;
    alice.send_payload("SDG 11", to("To: 32:bob@yahoo.com").as_bytes()).await;
    alice.expect("204 11").await;
    alice.send_payload("SDG 12", to("To: bob").as_bytes()).await;
    alice.expect("201 12").await;
    let circle = String::from_utf8(user_put(13, "alice@example.com", ALICE_EP, "NLN", "Alice", "").1)
        .expect("text")
        .replace("Uri: /user", "Uri: /circle");
    alice.send_payload("PUT 13", circle.as_bytes()).await;
    alice.expect("204 13").await;
    let (line, payload) = user_put(9, "alice@example.com", ALICE_EP, "FLN", "Alice", "");
    alice.send_payload(&line, &payload).await;
    alice.expect("201 9").await;
    bob.expect_silence().await;

    // Alice signs out: Bob is told with NFY DEL.
    alice.send("OUT").await;
    alice.expect_closed().await;
    let (verb, gone) = nfy(&mut bob).await;
    assert_eq!(verb, "DEL");
    assert_eq!(gone.routing.get("From"), Some("1:alice@example.com"));
    assert!(String::from_utf8_lossy(&gone.body).contains(r#"<s n="IM">"#));
}

/// An MSNP21 user and an MSNP18 user see each other's presence, each in
/// their own dialect.
#[tokio::test]
async fn msnp21_and_msnp18_see_each_other() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("carol@example.com", "pw", "Carol").await;
    befriend(&server, "alice@example.com", "carol@example.com").await;
    const ALICE_EP: &str = "{aaaaaaaa-0000-0000-0000-000000000001}";
    let carol_tokens = rst_tokens(
        &server,
        "carol@example.com",
        "pw",
        &[("http://Passport.NET/tb", None), ("messengerclear.live.com", Some("MBI_KEY_OLD"))],
    )
    .await;
    let mut carol = common::sso_sign_in(
        &server,
        "carol@example.com",
        &carol_tokens[1],
        "{cccccccc-0000-0000-0000-000000000003}",
        "carol",
    )
    .await;
    carol.send_payload("ADL 5", br#"<ml l="1"><d n="example.com"><c n="alice" l="3" t="1" /></d></ml>"#).await;
    carol.expect("ADL 5 OK").await;
    // MSNP18 has PUT and SDG for circles only: not for a user's document or messages.
    carol.send_payload("PUT 7", b"abc").await;
    carol.expect("240 7").await;
    let user = "Routing: 1.0\r\nTo: 1:carol@example.com\r\nFrom: 1:carol@example.com\r\n\r\nReliability: 1.0\r\n\r\nPublication: 1.0\r\nUri: /user\r\nContent-Type: application/user+xml\r\nContent-Length: 6\r\n\r\n<user/>";
    carol.send_payload("PUT 8", user.as_bytes()).await;
    carol.expect("204 8").await;
    let message = "Routing: 1.0\r\nTo: 1:alice@example.com\r\nFrom: 1:carol@example.com\r\n\r\nReliability: 1.0\r\n\r\nMessaging: 2.0\r\nMessage-Type: Text\r\n\r\nhi";
    carol.send_payload("SDG 8", message.as_bytes()).await;
    carol.expect("204 8").await;
    carol.send("CHG 6 NLN 2789003324:48 0").await;
    carol.expect("CHG 6 NLN 2789003324:48 0").await;

    let (mut alice, _) = sign_in_21(&server, "alice@example.com", ALICE_EP, "alice").await;
    alice
        .send_payload("ADL 5", br#"<ml l="1"><d n="example.com"><c n="carol" t="1"><s n="IM" l="3" /></c></d></ml>"#)
        .await;
    alice.expect("ADL 5 OK").await;
    let (line, payload) = user_put(6, "alice@example.com", ALICE_EP, "AWY", "Alice", "out");
    alice.send_payload(&line, &payload).await;
    expect_put_ok(&mut alice, 6).await;
    let (verb, seen) = nfy(&mut alice).await;
    assert_eq!(verb, "PUT");
    let body = String::from_utf8(seen.body).expect("text");
    assert!(body.contains("<Status>NLN</Status>") && body.contains("<FriendlyName>Carol</FriendlyName>"), "{body}");
    // Carol sees Alice as MSNP18 shows anyone: NLN, then her message in UBX.
    let mut nln = carol.line().await;
    while !nln.starts_with("NLN ") {
        nln = carol.line().await;
    }
    assert!(nln.starts_with("NLN AWY 1:alice@example.com Alice 49152:0"), "{nln}");
    let ubx = carol.frame().await;
    assert_eq!(ubx.command, "UBX");
    assert!(String::from_utf8_lossy(ubx.payload.as_deref().unwrap_or_default()).contains("<PSM>out</PSM>"));
}

fn sdg_text(from: &str, from_epid: &str, to: &str, text: &str) -> String {
    format!(
        "Routing: 1.0\r\nTo: 1:{to}\r\nFrom: 1:{from};epid={from_epid}\r\n\r\nReliability: 1.0\r\n\r\nMessaging: 2.0\r\nMessage-Type: Text\r\nContent-Length: {}\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=0; PF=0\r\n\r\n{text}",
        text.len()
    )
}

/// The next `SDG` a peer gets (skipping presence and challenges), read as blocks.
async fn next_sdg(peer: &mut Peer) -> Structured {
    loop {
        let frame = peer.frame().await;
        if frame.command == "SDG" {
            assert_eq!(frame.params, ["0"]);
            return Structured::parse(frame.payload.as_deref().unwrap_or_default()).expect("structured");
        }
        assert!(matches!(frame.command.as_str(), "CHL" | "MSG" | "NFY"), "unexpected {frame:?}");
    }
}

/// An MSNP21 user and users of switchboards talk both ways: her `SDG` opens
/// a conversation that rings them, and their call brings her in; each side
/// reads the other in its own dialect.
#[tokio::test]
async fn msnp21_talks_with_switchboard_users_both_ways() {
    let server = TestServer::start().await;
    for email in ["alice@example.com", "carol@example.com", "dave@example.com"] {
        server.user(email, "pw", "Someone").await;
    }
    befriend(&server, "alice@example.com", "carol@example.com").await;
    befriend(&server, "alice@example.com", "dave@example.com").await;
    const ALICE_EP: &str = "{aaaaaaaa-0000-0000-0000-000000000001}";
    let (mut alice, _) = sign_in_21(&server, "alice@example.com", ALICE_EP, "alice").await;
    alice.send_payload("ADL 5", br#"<ml l="1"><d n="example.com"><c n="carol" t="1"><s n="IM" l="3" /></c><c n="dave" t="1"><s n="IM" l="3" /></c></d></ml>"#).await;
    alice.expect("ADL 5 OK").await;
    let (line, payload) = user_put(6, "alice@example.com", ALICE_EP, "NLN", "Alice", "");
    alice.send_payload(&line, &payload).await;
    expect_put_ok(&mut alice, 6).await;
    let mut carol = common::sign_in(&server, "MSNP12", "carol@example.com", "pw", "carol").await;
    carol.send("CHG 1 NLN 0").await;
    carol.expect("CHG 1 NLN 0").await;
    let mut dave = common::sign_in(&server, "MSNP12", "dave@example.com", "pw", "dave").await;
    dave.send("CHG 1 NLN 0").await;
    dave.expect("CHG 1 NLN 0").await;

    // Alice writes to Carol: Carol is rung by her, joins, and reads it.
    alice
        .send_payload("SDG 7", sdg_text("alice@example.com", ALICE_EP, "carol@example.com", "hi carol").as_bytes())
        .await;
    let mut rng = carol.line().await;
    while !rng.starts_with("RNG ") {
        rng = carol.line().await;
    }
    let words: Vec<&str> = rng.split(' ').collect();
    assert_eq!(words[5..7], ["alice@example.com", "Alice"], "{rng}");
    let mut carol_sb = Peer::connect(server.sb(), "carol-sb").await;
    carol_sb.send(&format!("ANS 1 carol@example.com {} {}", words[4], words[1])).await;
    carol_sb.expect("IRO 1 1 1 alice@example.com Alice 49152").await;
    carol_sb.expect("ANS 1 OK").await;
    let text = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=0; PF=0\r\n\r\nhi carol";
    carol_sb.expect_payload(&format!("MSG alice@example.com Alice {}", text.len()), text).await;
    // Carol's answer and her typing reach Alice as SDG, from Carol.
    let typing = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: carol@example.com\r\n\r\n\r\n";
    carol_sb.send_payload("MSG 2 U", typing.as_bytes()).await;
    carol_sb.send_payload("MSG 3 A", b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Arial; EF=; CO=0; CS=0; PF=22\r\n\r\nhello alice").await;
    carol_sb.expect("ACK 3").await;
    let typed = next_sdg(&mut alice).await;
    assert_eq!(typed.content.get("Message-Type"), Some("Control/Typing"));
    let answer = next_sdg(&mut alice).await;
    assert_eq!(answer.routing.get("From"), Some("1:carol@example.com"));
    assert_eq!(answer.routing.get("To"), Some("1:alice@example.com"));
    assert_eq!(answer.content.get("Message-Type"), Some("Text"));
    assert_eq!(answer.content.get("X-MMS-IM-Format"), Some("FN=Arial; EF=; CO=0; CS=0; PF=22"));
    assert_eq!(answer.body, b"hello alice");
    // Her next message goes into the same conversation: no second ring.
    alice.send_payload("SDG 8", sdg_text("alice@example.com", ALICE_EP, "carol@example.com", "again").as_bytes()).await;
    let again = text.replace("hi carol", "again");
    carol_sb.expect_payload(&format!("MSG alice@example.com Alice {}", again.len()), &again).await;
    carol.expect_silence().await;

    // Dave calls her from his switchboard: she is in at once, by the bridge.
    dave.send("XFR 2 SB").await;
    let mut xfr = dave.line().await;
    while !xfr.starts_with("XFR 2 SB ") {
        xfr = dave.line().await;
    }
    let cookie = xfr.split(' ').nth(5).expect("cookie").to_owned();
    let mut dave_sb = Peer::connect(server.sb(), "dave-sb").await;
    dave_sb.send(&format!("USR 1 dave@example.com {cookie}")).await;
    dave_sb.expect("USR 1 OK dave@example.com Someone").await;
    dave_sb.send("CAL 2 alice@example.com").await;
    assert!(dave_sb.line().await.starts_with("CAL 2 RINGING "));
    dave_sb.expect("JOI alice@example.com Alice 49152").await;
    dave_sb.send_payload("MSG 3 N", text.replace("hi carol", "from dave").as_bytes()).await;
    let from_dave = next_sdg(&mut alice).await;
    assert_eq!(from_dave.routing.get("From"), Some("1:dave@example.com"));
    assert_eq!(from_dave.body, b"from dave");
    alice
        .send_payload("SDG 9", sdg_text("alice@example.com", ALICE_EP, "dave@example.com", "hi dave").as_bytes())
        .await;
    let to_dave = text.replace("hi carol", "hi dave");
    dave_sb.expect_payload(&format!("MSG alice@example.com Alice {}", to_dave.len()), &to_dave).await;
    // Dave leaves: the bridge leaves too, and the conversation ends.
    dave_sb.send("OUT").await;
    dave_sb.expect_closed().await;
    alice.expect_silence().await;
}

/// One account on two endpoints, MSNP18 and MSNP21: a switchboard user's
/// call rings the MSNP18 one and brings the MSNP21 one in by a bridge; both
/// read what is said, and the MSNP21 one answers into the same conversation.
#[tokio::test]
async fn an_msnp21_and_an_msnp18_endpoint_of_one_account_share_a_conversation() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    befriend(&server, "alice@example.com", "bob@example.com").await;
    const DESKTOP: &str = "{dddddddd-0000-0000-0000-000000000001}";
    const LAPTOP: &str = "{11111111-0000-0000-0000-000000000002}";
    let tokens = rst_tokens(
        &server,
        "alice@example.com",
        "pw",
        &[("http://Passport.NET/tb", None), ("messengerclear.live.com", Some("MBI_KEY_OLD"))],
    )
    .await;
    let mut desktop = common::sso_sign_in(&server, "alice@example.com", &tokens[1], DESKTOP, "desktop").await;
    desktop.send("CHG 5 NLN 2789003324:48 0").await;
    desktop.expect("CHG 5 NLN 2789003324:48 0").await;
    let (mut laptop, _) = sign_in_21(&server, "alice@example.com", LAPTOP, "laptop").await;
    let (line, payload) = user_put(6, "alice@example.com", LAPTOP, "NLN", "Alice", "");
    laptop.send_payload(&line, &payload).await;
    expect_put_ok(&mut laptop, 6).await;
    let mut bob = common::sign_in(&server, "MSNP12", "bob@example.com", "pw", "bob").await;
    bob.send("CHG 1 NLN 0").await;
    bob.expect("CHG 1 NLN 0").await;

    bob.send("XFR 2 SB").await;
    let mut xfr = bob.line().await;
    while !xfr.starts_with("XFR 2 SB ") {
        xfr = bob.line().await;
    }
    let mut bob_sb = Peer::connect(server.sb(), "bob-sb").await;
    bob_sb.send(&format!("USR 1 bob@example.com {}", xfr.split(' ').nth(5).expect("cookie"))).await;
    bob_sb.expect("USR 1 OK bob@example.com Bob").await;
    bob_sb.send("CAL 2 alice@example.com").await;
    let ringing = bob_sb.line().await;
    assert!(ringing.starts_with("CAL 2 RINGING "), "{ringing}");
    // The laptop is in by its bridge at once; the desktop is rung.
    bob_sb.expect("JOI alice@example.com Alice 49152").await;
    let mut rng = desktop.line().await;
    while !rng.starts_with("RNG ") {
        rng = desktop.line().await;
    }
    let words: Vec<&str> = rng.split(' ').collect();
    let mut desktop_sb = Peer::connect(server.sb(), "desktop-sb").await;
    desktop_sb.send(&format!("ANS 1 alice@example.com;{DESKTOP} {} {}", words[4], words[1])).await;
    let mut line = desktop_sb.line().await;
    while line.starts_with("IRO ") {
        line = desktop_sb.line().await;
    }
    assert_eq!(line, "ANS 1 OK");

    let text = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Arial; EF=; CO=0; CS=0; PF=0\r\n\r\nhello both";
    bob_sb.send_payload("MSG 3 N", text.as_bytes()).await;
    desktop_sb.expect_payload(&format!("MSG bob@example.com Bob {}", text.len()), text).await;
    let heard = next_sdg(&mut laptop).await;
    assert_eq!((heard.routing.get("From"), heard.body.as_slice()), (Some("1:bob@example.com"), &b"hello both"[..]));

    // The laptop answers by SDG: into this conversation, seen by Bob and by the desktop.
    laptop
        .send_payload("SDG 7", sdg_text("alice@example.com", LAPTOP, "bob@example.com", "from the laptop").as_bytes())
        .await;
    let answer = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=0; PF=0\r\n\r\nfrom the laptop";
    bob_sb.expect_payload(&format!("MSG alice@example.com Alice {}", answer.len()), answer).await;
    desktop_sb.expect_payload(&format!("MSG alice@example.com Alice {}", answer.len()), answer).await;
    bob.expect_silence().await;
}
