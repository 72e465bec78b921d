//! Three msnpd processes, one database and one nats-server: users on
//! different nodes add each other, see presence, converse in a switchboard
//! on a third node; a node killed with SIGKILL takes its users offline for
//! the others within the heartbeat bound, and they sign in again through
//! dispatch onto a live node with their lists intact.
//!
//! Needs `nats-server` on the PATH. Without it the test says so and passes,
//! unless `MSNP_REQUIRE_NATS` is set (CI sets it).

mod common;

use std::time::{Duration, Instant};

use common::Peer;
use common::nodes::{Cluster, DEAD_AFTER_MS, HEARTBEAT_MS, Node, sign_in};
use common::web::{Browser, field};

fn word(line: &str, index: usize) -> String {
    line.split(' ').nth(index).unwrap_or_else(|| panic!("no word {index} in {line}")).to_owned()
}

const EMPTY: [&str; 4] = ["SYN 5 0 0 1", "GTC A", "BLP AL", "LSG 0 Other%20Contacts 0"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_one_service() {
    let Some(mut cluster) = Cluster::start().await else { return };
    let mut nodes = cluster.nodes.drain(..);
    let (a, mut b, c) = (nodes.next().expect("A"), nodes.next().expect("B"), nodes.next().expect("C"));

    // Alice on A, Bob on B, each taken directly by its node.
    let mut alice = sign_in(&a, a.notification, "alice@example.com", "alice", &EMPTY, &[]).await;
    let mut bob = sign_in(&b, b.notification, "bob@example.com", "bob", &EMPTY, &[]).await;
    alice.send("ADD 8 FL bob@example.com Bob").await;
    alice.expect("ADD 8 FL 1 bob@example.com Bob").await;
    alice.expect("ILN 8 NLN bob@example.com Bob 0").await;
    bob.expect("ADD 0 RL 1 alice@example.com Alice").await;
    bob.send("ADD 8 FL alice@example.com Alice").await;
    bob.expect("ADD 8 FL 2 alice@example.com Alice").await;
    bob.expect("ILN 8 NLN alice@example.com Alice 0").await;
    alice.expect("ADD 0 RL 2 bob@example.com Bob").await;
    bob.send("CHG 9 BSY 0").await;
    bob.expect("CHG 9 BSY 0").await;
    alice.expect("NLN BSY bob@example.com Bob 0").await;
    alice.send("REA 9 alice@example.com Alice%20A").await;
    alice.expect("REA 9 2 alice@example.com Alice%20A").await;
    bob.expect("NLN NLN alice@example.com Alice%20A 0").await;

    // The conversation goes to the least loaded node: C, which holds no one.
    tokio::time::sleep(Duration::from_millis(2 * HEARTBEAT_MS)).await;
    alice.send("XFR 10 SB").await;
    let xfr = alice.line().await;
    let cookie = word(&xfr, 5);
    assert_eq!(xfr, format!("XFR 10 SB {} CKI {cookie}", c.sb));
    let mut alice_sb = Peer::connect(c.sb, "alice-sb").await;
    alice_sb.send(&format!("USR 1 alice@example.com {cookie}")).await;
    alice_sb.expect("USR 1 OK alice@example.com Alice%20A").await;
    alice_sb.send("CAL 2 bob@example.com").await;
    let ringing = alice_sb.line().await;
    let session = word(&ringing, 3);
    assert_eq!(ringing, format!("CAL 2 RINGING {session}"));
    let rng = bob.line().await;
    let bob_cookie = word(&rng, 4);
    assert_eq!(rng, format!("RNG {session} {} CKI {bob_cookie} alice@example.com Alice%20A", c.sb));
    let mut bob_sb = Peer::connect(c.sb, "bob-sb").await;
    bob_sb.send(&format!("ANS 1 bob@example.com {bob_cookie} {session}")).await;
    bob_sb.expect("IRO 1 1 1 alice@example.com Alice%20A").await;
    bob_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI bob@example.com Bob").await;

    // Carol signs in on C itself, with a ticket from A's Passport, and joins:
    // three participants, three nodes.
    let mut carol = sign_in(&a, c.notification, "carol@example.com", "carol", &EMPTY, &[]).await;
    alice_sb.send("CAL 3 carol@example.com").await;
    alice_sb.expect(&format!("CAL 3 RINGING {session}")).await;
    let rng = carol.line().await;
    let carol_cookie = word(&rng, 4);
    assert_eq!(rng, format!("RNG {session} {} CKI {carol_cookie} alice@example.com Alice%20A", c.sb));
    let mut carol_sb = Peer::connect(c.sb, "carol-sb").await;
    carol_sb.send(&format!("ANS 1 carol@example.com {carol_cookie} {session}")).await;
    carol_sb.expect("IRO 1 1 2 alice@example.com Alice%20A").await;
    carol_sb.expect("IRO 1 2 2 bob@example.com Bob").await;
    carol_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI carol@example.com Carol").await;
    bob_sb.expect("JOI carol@example.com Carol").await;
    let text = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello from B";
    bob_sb.send_payload("MSG 2 A", text.as_bytes()).await;
    bob_sb.expect("ACK 2").await;
    alice_sb.expect_payload(&format!("MSG bob@example.com Bob {}", text.len()), text).await;
    carol_sb.expect_payload(&format!("MSG bob@example.com Bob {}", text.len()), text).await;
    let text = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello from A";
    alice_sb.send_payload("MSG 4 A", text.as_bytes()).await;
    alice_sb.expect("ACK 4").await;
    bob_sb.expect_payload(&format!("MSG alice@example.com Alice%20A {}", text.len()), text).await;
    carol_sb.expect_payload(&format!("MSG alice@example.com Alice%20A {}", text.len()), text).await;

    // B dies without a word: Bob goes offline for Alice within the bound.
    let killed = Instant::now();
    b.kill();
    alice.expect("FLN bob@example.com").await;
    let took = killed.elapsed();
    let bound = Duration::from_millis(DEAD_AFTER_MS + HEARTBEAT_MS);
    assert!(took <= bound + Duration::from_millis(500), "FLN after {took:?}, bound {bound:?}");
    drop(bob);

    // C drains: no one new goes there.
    c.drain();
    tokio::time::sleep(Duration::from_millis(3 * HEARTBEAT_MS)).await;

    // Bob comes back through C's dispatch port: referred to the one live
    // node not draining (C would name itself on a tie), his lists as he left
    // them, and Alice sees him.
    let mut dispatch = Peer::connect(c.dispatch, "bob-dispatch").await;
    dispatch.send("VER 1 MSNP8 CVR0").await;
    dispatch.expect("VER 1 MSNP8").await;
    dispatch.send("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0.0602 MSMSGS bob@example.com").await;
    dispatch.line().await;
    dispatch.send("USR 3 TWN I bob@example.com").await;
    let referral = dispatch.line().await;
    assert_eq!(referral, format!("XFR 3 NS {} 0 {}", a.notification, c.dispatch));
    let lists = ["SYN 5 2 1 1", "GTC A", "BLP AL", "LSG 0 Other%20Contacts 0", "LST alice@example.com Alice 9 0"];
    let online = ["ILN 6 NLN alice@example.com Alice%20A 0"];
    let _bob = sign_in(&a, a.notification, "bob@example.com", "bob-again", &lists, &online).await;
    alice.expect("NLN NLN bob@example.com Bob 0").await;
    drop(carol);
}

const LAPTOP: &str = "{11111111-2222-3333-4444-555555555555}";
const DESKTOP: &str = "{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}";

/// An MSNP18 endpoint signed in with SSO on `node`, its self-`UBX` read.
async fn endpoint(node: &Node, email: &str, name: &'static str, machine: &str) -> (Peer, String) {
    let tokens = common::rst_tokens_at(
        node.http,
        email,
        "pw",
        &[("http://Passport.NET/tb", None), ("messengerclear.live.com", Some("MBI_KEY_OLD"))],
    )
    .await;
    let mut peer = Peer::connect(node.notification, name).await;
    peer.set_dialect(msnp::Dialect::from_token("MSNP18").expect("dialect"));
    peer.send("VER 1 MSNP18 CVR0").await;
    peer.expect("VER 1 MSNP18").await;
    peer.send(&format!("CVR 2 0x0409 winnt 6.1.0 i386 MSNMSGR 14.0.8117.0416 msmsgs {email}")).await;
    peer.line().await;
    peer.send(&format!("USR 3 SSO I {email}")).await;
    assert_eq!(peer.frame().await.command, "GCF");
    let offer = peer.line().await;
    let nonce = word(&offer, 5);
    let response = msnp::auth::mbi::response(&tokens[1].secret, &nonce, [3; 8]);
    peer.send(&format!("USR 4 SSO S {} {response} {machine}", tokens[1].ticket)).await;
    peer.expect(&format!("USR 4 OK {email} 1 0")).await;
    peer.expect("SBS 0 null").await;
    assert_eq!(peer.frame().await.command, "MSG");
    let own = own_ubx(&mut peer).await;
    (peer, own)
}

async fn own_ubx(peer: &mut Peer) -> String {
    let ubx = peer.frame().await;
    assert_eq!(ubx.command, "UBX", "{ubx}");
    String::from_utf8_lossy(ubx.payload.as_deref().unwrap_or_default()).into_owned()
}

/// One account's MSNP16+ endpoints on two nodes see each other; a message
/// to one endpoint crosses to its node; an MSNP8 sign-in on a third node
/// takes over from both (`OUT OTH`, wherever they are).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_on_different_nodes() {
    let Some(cluster) = Cluster::start().await else { return };
    let [a, b, c] = &cluster.nodes[..] else { panic!("three nodes") };
    let (mut laptop, own) = endpoint(a, "alice@example.com", "laptop", LAPTOP).await;
    assert!(own.contains(&format!("<EndpointData id=\"{LAPTOP}\">")), "{own}");
    let (mut desktop, own) = endpoint(c, "alice@example.com", "desktop", DESKTOP).await;
    // Each sees both: the desktop at once, the laptop when C's claim arrives.
    for ubx in [own, own_ubx(&mut laptop).await] {
        assert!(ubx.contains(&format!("<EndpointData id=\"{LAPTOP}\">")), "{ubx}");
        assert!(ubx.contains(&format!("<EndpointData id=\"{DESKTOP}\">")), "{ubx}");
    }
    desktop.send_payload(&format!("UUN 6 alice@example.com;{LAPTOP} 2"), b"<Data/>").await;
    desktop.expect("UUN 6 OK").await;
    laptop.expect_payload(&format!("UBN alice@example.com;{DESKTOP} 2 7"), "<Data/>").await;

    // A single-session client signs in on B: both endpoints end.
    let mut old = sign_in(b, b.notification, "alice@example.com", "msnp8", &EMPTY, &[]).await;
    laptop.expect("OUT OTH").await;
    desktop.expect("OUT OTH").await;
    // And another on C ends that one.
    let _older = sign_in(c, c.notification, "alice@example.com", "msnp8-again", &EMPTY, &[]).await;
    old.expect("OUT OTH").await;
    old.expect_closed().await;
}

/// The bus goes away for longer than the death bound: each node takes the
/// other's users for gone. When it returns the nodes meet again and show
/// each other's users as they are.
/// A gateway (HTTP polling) client reaches a switchboard and a Notification
/// Server on other nodes through the node it talks to, as the original
/// gateway passed a session on to the server it named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_reaches_other_nodes() {
    let Some(cluster) = Cluster::start().await else { return };
    let [a, b, c] = &cluster.nodes[..] else { panic!("three nodes") };
    let gateway = |node: &Node, query: String, body: String| {
        let http = node.http;
        async move {
            let path = format!("/gateway/gateway.dll?{query}");
            let response = common::http_request(
                http,
                "POST",
                &path,
                &[("Content-Type", "application/x-msn-messenger")],
                body.as_bytes(),
            )
            .await;
            assert_eq!(response.status, 200, "{path}");
            let header = response.header("X-MSN-Messenger").expect("X-MSN-Messenger").to_owned();
            let session = header.split("; ").find_map(|f| f.strip_prefix("SessionID=")).map(str::to_owned);
            (session, response.text())
        }
    };

    // A Notification Server session opened on A for B's address is B's.
    let (_, text) =
        gateway(a, format!("Action=open&Server=NS&IP={}", b.notification.ip()), "VER 1 MSNP8 CVR0\r\n".into()).await;
    assert_eq!(text, "VER 1 MSNP8\r\n");

    // Alice (TCP, on A) opens a conversation: it lands on C. Bob (TCP, on B)
    // answers its ring through B's gateway.
    let (_alice, _bob, mut alice_sb, session, bob_cookie) = alice_rings_bob_on_c(a, b, c).await;
    let query = format!("Action=open&Server=SB&IP={}", c.sb.ip());
    let (id, text) = gateway(b, query, format!("ANS 1 bob@example.com {bob_cookie} {session}\r\n")).await;
    assert_eq!(text, "IRO 1 1 1 alice@example.com Alice\r\nANS 1 OK\r\n");
    alice_sb.expect("JOI bob@example.com Bob").await;
    alice_sb.send_payload("MSG 3 A", b"through two nodes").await;
    alice_sb.expect("ACK 3").await;
    let id = id.expect("a gateway session");
    let mut polled = String::new();
    for _ in 0..50 {
        let (_, text) = gateway(b, format!("Action=poll&SessionID={id}"), String::new()).await;
        polled.push_str(&text);
        if !polled.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(polled, "MSG alice@example.com Alice 17\r\nthrough two nodes");
}

/// Alice signs in on A, Bob on B; Alice opens a conversation, which lands
/// on C (the least loaded), and calls Bob: her NS and SB sessions, Bob's NS
/// session, the session id and Bob's cookie.
async fn alice_rings_bob_on_c(a: &Node, b: &Node, c: &Node) -> (Peer, Peer, Peer, String, String) {
    let mut alice = sign_in(a, a.notification, "alice@example.com", "alice", &EMPTY, &[]).await;
    let mut bob = sign_in(b, b.notification, "bob@example.com", "bob", &EMPTY, &[]).await;
    tokio::time::sleep(Duration::from_millis(2 * HEARTBEAT_MS)).await;
    alice.send("XFR 8 SB").await;
    let xfr = alice.line().await;
    let cookie = word(&xfr, 5);
    assert_eq!(xfr, format!("XFR 8 SB {} CKI {cookie}", c.sb));
    let mut alice_sb = Peer::connect(c.sb, "alice-sb").await;
    alice_sb.send(&format!("USR 1 alice@example.com {cookie}")).await;
    alice_sb.expect("USR 1 OK alice@example.com Alice").await;
    alice_sb.send("CAL 2 bob@example.com").await;
    let session = word(&alice_sb.line().await, 3);
    let bob_cookie = word(&bob.line().await, 4);
    (alice, bob, alice_sb, session, bob_cookie)
}

/// A new password set on B's account page takes Alice (signed in on A) out
/// of the conversation on C: every node hears of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_ends_conversations_on_other_nodes() {
    let Some(cluster) = Cluster::start().await else { return };
    let [a, b, c] = &cluster.nodes[..] else { panic!("three nodes") };
    let (mut alice, _bob, mut alice_sb, session, bob_cookie) = alice_rings_bob_on_c(a, b, c).await;
    let mut bob_sb = Peer::connect(c.sb, "bob-sb").await;
    bob_sb.send(&format!("ANS 1 bob@example.com {bob_cookie} {session}")).await;
    bob_sb.expect("IRO 1 1 1 alice@example.com Alice").await;
    bob_sb.expect("ANS 1 OK").await;
    alice_sb.expect("JOI bob@example.com Bob").await;

    let mut browser = Browser::default();
    let csrf = field(&browser.get_at(b.http, "/account").await.text(), "csrf");
    let signin = [("csrf", csrf.as_str()), ("email", "alice@example.com"), ("password", "pw")];
    assert_eq!(browser.post_at(b.http, "/account/signin", &signin).await.status, 303);
    let csrf = field(&browser.get_at(b.http, "/account").await.text(), "csrf");
    let change = [("csrf", csrf.as_str()), ("current", "pw"), ("password", "new-pw-1"), ("confirm", "new-pw-1")];
    assert_eq!(browser.post_at(b.http, "/account/password", &change).await.status, 200);

    alice.expect("OUT").await;
    alice_sb.expect_closed().await;
    bob_sb.expect("BYE alice@example.com").await;
}

/// A circle whose members are on different nodes: Alice (on A) creates it
/// on C's address book service and invites Bob (on B), who accepts on B's;
/// each is told the circle is there on their own node, joins its
/// conversation, sees the other arrive, and Bob's message reaches Alice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_circle_across_nodes() {
    use common::{AB, AB_NS, SHARING, ab_call_at, between, rst_tokens_at, sso_sign_in_at};
    let Some(cluster) = Cluster::start().await else { return };
    let [a, b, c] = &cluster.nodes[..] else { panic!("three nodes") };
    let wanted = [("messengerclear.live.com", Some("MBI_KEY_OLD")), ("contacts.msn.com", Some("MBI"))];
    let online = |node: &Node, email: &'static str, epid: &'static str| {
        let (http, ns) = (node.http, node.notification);
        async move {
            let tokens = rst_tokens_at(http, email, "pw", &wanted).await;
            let mut peer = sso_sign_in_at(ns, email, &tokens[0], epid, "peer").await;
            peer.send("CHG 5 NLN 2789003324:48 0").await;
            peer.expect("CHG 5 NLN 2789003324:48 0").await;
            while peer.frame().await.command != "CHL" {}
            (peer, tokens[1].ticket.clone())
        }
    };
    let (mut alice, alice_ticket) = online(a, "alice@example.com", "{00000000-0000-0000-0000-00000000000A}").await;
    let (mut bob, bob_ticket) = online(b, "bob@example.com", "{00000000-0000-0000-0000-00000000000B}").await;
    /// The next frame that is not an address book notice.
    async fn next(peer: &mut Peer) -> msnp::Frame {
        loop {
            let frame = peer.frame().await;
            if frame.command != "NOT" {
                return frame;
            }
        }
    }

    let create =
        format!("<CreateCircle{AB_NS}><properties><DisplayName>Team</DisplayName></properties></CreateCircle>");
    let created = ab_call_at(c.http, SHARING, &alice_ticket, &create).await.text();
    let ab_id = between(&created, "<Id>", "</Id>").to_owned();
    let address = format!("{ab_id}@live.com");
    assert_eq!(next(&mut alice).await.to_string(), format!("NLN NLN 1:alice@example.com;via=9:{address} Team 0:0"));
    let invite = format!(
        "<CreateContact{AB_NS}><abHandle><ABId>{ab_id}</ABId></abHandle><contactHandle><Email>bob@example.com</Email></contactHandle></CreateContact>"
    );
    assert_eq!(ab_call_at(c.http, AB, &alice_ticket, &invite).await.status, 200);
    let accept =
        format!("<ManageWLConnection{AB_NS}><contactId>{ab_id}</contactId><action>1</action></ManageWLConnection>");
    assert_eq!(ab_call_at(b.http, AB, &bob_ticket, &accept).await.status, 200);
    assert_eq!(next(&mut bob).await.to_string(), format!("NLN NLN 1:bob@example.com;via=9:{address} Team 0:0"));

    let join = |email: &str| {
        let roster = format!("<circle><roster><id>IM</id><user><id>1:{email}</id></user></roster></circle>");
        format!(
            "Routing: 1.0\r\nTo: 9:{address};path=IM\r\nFrom: 1:{email}\r\n\r\nReliability: 1.0\r\n\r\nPublication: 1.0\r\nUri: /circle\r\nContent-Type: application/circles+xml\r\nContent-Length: {}\r\n\r\n{roster}",
            roster.len()
        )
    };
    let put = join("alice@example.com");
    alice.send_payload(&format!("PUT 20 {}", put.len()), put.as_bytes()).await;
    assert!(next(&mut alice).await.to_string().starts_with("PUT 20 OK "));
    let put = join("bob@example.com");
    bob.send_payload(&format!("PUT 21 {}", put.len()), put.as_bytes()).await;
    assert!(next(&mut bob).await.to_string().starts_with("PUT 21 OK "));
    assert_eq!(next(&mut alice).await.command, "NFY");
    alice.expect(&format!("NLN NLN 1:bob@example.com;via=9:{address} Bob 2789003324:48 0")).await;
    assert_eq!(next(&mut bob).await.command, "NFY");
    bob.expect(&format!("NLN NLN 1:alice@example.com;via=9:{address} Alice 2789003324:48 0")).await;

    let sdg = format!(
        "Routing: 1.0\r\nTo: 9:{address};path=IM\r\nFrom: 1:bob@example.com\r\n\r\nReliability: 1.0\r\n\r\nMessaging: 1.0\r\nContent-Type: Text/plain; charset=UTF-8\r\nMessage-Type: Text\r\n\r\nhello from B"
    );
    bob.send_payload(&format!("SDG 22 {}", sdg.len()), sdg.as_bytes()).await;
    let relayed = next(&mut alice).await;
    assert_eq!(relayed.command, "SDG", "{relayed}");
    let text = String::from_utf8_lossy(relayed.payload.as_deref().unwrap_or_default()).into_owned();
    assert!(
        text.ends_with("\r\n\r\nhello from B")
            && text.contains("From: 1:bob@example.com;epid={00000000-0000-0000-0000-00000000000b}"),
        "{text}"
    );
}
