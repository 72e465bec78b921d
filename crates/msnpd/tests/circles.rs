//! Circles on the address book and sharing services, over HTTP, as WLM 2009
//! and MSNPSharp 3.2.1 call them: create, the circle in each member's own
//! book and its own book, invite, accept (with the empty contact id
//! MSNPSharp sends), decline, leave, remove, delete; the circle ticket
//! presented with `USR SHA A`; and the faults for those not in the circle.

mod common;

use common::{AB, AB_NS as NS, SHARING, TestServer, ab_call as call, between, rst_tokens, sso_sign_in};

async fn contacts_ticket(server: &TestServer, email: &str) -> String {
    let tokens = rst_tokens(server, email, "pw", &[("contacts.msn.com", Some("MBI"))]).await;
    tokens[0].ticket.clone()
}

/// `ABFindContactsPaged` of the user's own book (or, with `since`, what changed).
fn own_book(since: Option<&str>) -> String {
    let filter = match since {
        Some(since) => format!("<DeltasOnly>true</DeltasOnly><LastChanged>{since}</LastChanged>"),
        None => "<DeltasOnly>false</DeltasOnly>".into(),
    };
    format!(
        "<ABFindContactsPaged{NS}><abView>MessengerClient8</abView><extendedContent>AB AllGroups CircleResult</extendedContent><filterOptions>{filter}<ContactFilter><IncludeHiddenContacts>true</IncludeHiddenContacts></ContactFilter></filterOptions></ABFindContactsPaged>"
    )
}

fn circle_book(ab_id: &str) -> String {
    format!(
        "<ABFindContactsPaged{NS}><abView>MessengerClient8</abView><extendedContent>AB</extendedContent><abHandle><ABId>{ab_id}</ABId><Puid>0</Puid><Cid>0</Cid></abHandle></ABFindContactsPaged>"
    )
}

fn handle(ab_id: &str) -> String {
    format!("<abHandle><ABId>{ab_id}</ABId><Puid>0</Puid><Cid>0</Cid></abHandle>")
}

/// The `<errorcode>` of a fault, or the status and body when it is none.
async fn errorcode(server: &TestServer, path: &str, ticket: &str, body: &str) -> String {
    let response = call(server, path, ticket, body).await;
    assert_eq!(response.status, 500, "{}", response.text());
    between(&response.text(), "<errorcode xmlns=\"http://www.msn.com/webservices/AddressBook\">", "<").to_owned()
}

#[tokio::test]
async fn a_circle_from_creation_to_deletion() {
    let server = TestServer::start().await;
    for (email, nick) in [("alice@example.com", "Alice"), ("bob@example.com", "Bob"), ("carol@example.com", "Carol")] {
        server.user(email, "pw", nick).await;
    }
    let (alice, bob, carol) = (
        contacts_ticket(&server, "alice@example.com").await,
        contacts_ticket(&server, "bob@example.com").await,
        contacts_ticket(&server, "carol@example.com").await,
    );
    let before = between(&call(&server, AB, &bob, &own_book(None)).await.text(), "<Ab>", "</Ab>").to_owned();
    let bob_since = between(&before, "<lastChange>", "<").to_owned();

    // Alice creates "Team": the answer is its address book id, on network 9's form.
    let create = format!(
        "<CreateCircle{NS}><properties><Domain>1</Domain><HostedDomain>live.com</HostedDomain><Type>2</Type><MembershipAccess>0</MembershipAccess><IsPresenceEnabled>true</IsPresenceEnabled><RequestMembershipOption>2</RequestMembershipOption><DisplayName>Team &amp; Co</DisplayName></properties><callerInfo><PublicDisplayName>Alice</PublicDisplayName></callerInfo></CreateCircle>"
    );
    let created = call(&server, SHARING, &alice, &create).await;
    assert_eq!(created.status, 200, "{}", created.text());
    let ab_id = between(&created.text(), "<CreateCircleResult><Id>", "</Id>").to_owned();
    assert!(ab_id.starts_with("00000000-0000-0000-0009-") && ab_id.len() == 36, "{ab_id}");

    // Her own book lists it: its inverse info (admin, accepted), its hidden
    // contact, and a circle ticket.
    let book = call(&server, AB, &alice, &own_book(None)).await.text();
    let circles = between(&book, "<CircleResult><Circles>", "</Circles>");
    assert!(circles.contains(&format!("<Handle><Id>{ab_id}</Id></Handle>")), "{circles}");
    assert!(circles.contains("<DisplayName>Team &amp; Co</DisplayName>"), "{circles}");
    assert!(circles.contains("<Role>Admin</Role><State>Accepted</State>"), "{circles}");
    assert!(circles.contains("<Deleted>false</Deleted>"), "{circles}");
    assert!(book.contains(&format!("<contactId>{ab_id}</contactId>")), "{book}");
    assert!(book.contains("<contactType>Circle</contactType>"), "{book}");
    assert!(!between(&book, "<CircleTicket>", "</CircleTicket>").is_empty());

    // The circle's own book: the circle as Me, Alice its admin.
    let own = call(&server, AB, &alice, &circle_book(&ab_id)).await.text();
    assert!(own.contains("<AddressBookType>Group</AddressBookType>"), "{own}");
    assert!(own.contains(&format!("<abId>{ab_id}</abId><abInfo><name>Team &amp; Co</name>")), "{own}");
    assert!(own.contains(&format!("<contactType>Me</contactType><quickName>Team &amp; Co</quickName><passportName>{ab_id}@live.com</passportName>")), "{own}");
    assert!(own.contains("<passportName>alice@example.com</passportName>"), "{own}");
    assert!(own.contains("<RelationshipState>3</RelationshipState><RelationshipRole>1</RelationshipRole>"), "{own}");

    // Carol, not in it, cannot read it, nor invite to it.
    assert_eq!(errorcode(&server, AB, &carol, &circle_book(&ab_id)).await, "ABDoesNotExist");
    let invite = |email: &str| {
        format!(
            "<CreateContact{NS}>{}<contactHandle><Email>{email}</Email><Puid>0</Puid><Cid>0</Cid><CircleId>00000000-0000-0000-0000-000000000000</CircleId></contactHandle></CreateContact>",
            handle(&ab_id)
        )
    };
    assert_eq!(errorcode(&server, AB, &carol, &invite("bob@example.com")).await, "ABDoesNotExist");
    assert_eq!(errorcode(&server, AB, &alice, &invite("nobody@example.com")).await, "InvalidPassportUser");

    // Alice invites Bob (CreateContact, then ManageWLConnection on the circle's book).
    let invited = call(&server, AB, &alice, &invite("bob@example.com")).await;
    assert_eq!(invited.status, 200, "{}", invited.text());
    let invited = invited.text();
    let bob_member = between(&invited, "<CreateContactResult><contactId>", "</contactId>").to_owned();
    assert!(
        invited.contains("<RelationshipState>1</RelationshipState><RelationshipRole>3</RelationshipRole>"),
        "{invited}"
    );
    assert_eq!(errorcode(&server, AB, &alice, &invite("bob@example.com")).await, "ContactAlreadyExists");
    let connect = format!(
        "<ManageWLConnection{NS}>{}<contactId>{bob_member}</contactId><connection>true</connection><presence>false</presence><action>1</action><relationshipType>5</relationshipType><relationshipRole>3</relationshipRole></ManageWLConnection>",
        handle(&ab_id)
    );
    let connected = call(&server, AB, &alice, &connect).await;
    assert_eq!(connected.status, 200, "{}", connected.text());
    assert!(connected.text().contains(&format!("<ManageWLConnectionResult><contactId>{bob_member}</contactId>")));

    // Bob's book, since he last read it, has the invitation: pending, for him to answer.
    let delta = call(&server, AB, &bob, &own_book(Some(&bob_since))).await.text();
    let circles = between(&delta, "<CircleResult><Circles>", "</Circles>");
    assert!(circles.contains("<Role>StatePendingOutbound</Role><State>WaitingResponse</State>"), "{circles}");
    let after = between(between(&delta, "<Ab>", "</Ab>"), "<lastChange>", "<").to_owned();
    assert!(after > bob_since, "{after} after {bob_since}");
    // He may read the circle's book (WLM shows who invited him), not invite.
    assert!(
        call(&server, AB, &bob, &circle_book(&ab_id))
            .await
            .text()
            .contains("<passportName>bob@example.com</passportName>")
    );
    assert_eq!(errorcode(&server, AB, &bob, &invite("carol@example.com")).await, "AccessDenied");

    // He accepts as MSNPSharp 3.2.1 does: no book, an all-zero contact id.
    let answer = |action: u8, contact: &str| {
        format!(
            "<ManageWLConnection{NS}><contactId>{contact}</contactId><connection>true</connection><presence>false</presence><action>{action}</action><relationshipType>5</relationshipType><relationshipRole>0</relationshipRole></ManageWLConnection>"
        )
    };
    let accepted = call(&server, AB, &bob, &answer(1, "00000000-0000-0000-0000-000000000000")).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert!(accepted.text().contains("<contactType>Circle</contactType>"), "{}", accepted.text());
    let book = call(&server, AB, &bob, &own_book(None)).await.text();
    assert!(book.contains("<Role>Member</Role><State>Accepted</State>"), "{book}");
    assert_eq!(
        errorcode(&server, AB, &bob, &answer(1, "00000000-0000-0000-0000-000000000000")).await,
        "ContactDoesNotExist"
    );

    // Carol, invited, declines, naming the circle by its hidden contact.
    assert_eq!(call(&server, AB, &alice, &invite("carol@example.com")).await.status, 200);
    assert_eq!(call(&server, AB, &carol, &answer(2, &ab_id)).await.status, 200);
    assert!(!call(&server, AB, &carol, &own_book(None)).await.text().contains("<Circles>"));
    assert_eq!(errorcode(&server, AB, &carol, &circle_book(&ab_id)).await, "ABDoesNotExist");
    let members = call(&server, AB, &alice, &circle_book(&ab_id)).await.text();
    assert!(members.contains("bob@example.com") && !members.contains("carol@example.com"), "{members}");

    // Bob leaves (BreakConnection of his own contact in the circle's book);
    // his next delta tells him it is gone.
    let since = between(between(&book, "<Ab>", "</Ab>"), "<lastChange>", "<").to_owned();
    let leave = |contact: &str| {
        format!(
            "<BreakConnection{NS}>{}<contactId>{contact}</contactId><deleteContact>true</deleteContact><blockContact>false</blockContact></BreakConnection>",
            handle(&ab_id)
        )
    };
    assert_eq!(call(&server, AB, &bob, &leave(&bob_member)).await.status, 200);
    let delta = call(&server, AB, &bob, &own_book(Some(&since))).await.text();
    let gone = between(&delta, "<Circles>", "</Circles>");
    assert!(gone.contains("<State>Rejected</State>") && gone.contains("<Deleted>true</Deleted>"), "{delta}");
    assert!(!call(&server, AB, &alice, &circle_book(&ab_id)).await.text().contains("bob@example.com"));

    // Invited again and removed by Alice; then Alice leaves, which deletes it.
    assert_eq!(call(&server, AB, &alice, &invite("bob@example.com")).await.status, 200);
    assert_eq!(call(&server, AB, &bob, &answer(1, &ab_id)).await.status, 200);
    assert_eq!(errorcode(&server, AB, &bob, &leave(&bob_member.replace("-0009-", "-0008-"))).await, "ABDoesNotExist");
    assert_eq!(call(&server, AB, &alice, &leave(&bob_member)).await.status, 200);
    assert!(!call(&server, AB, &bob, &own_book(None)).await.text().contains("<Circles>"));
    let alice_member = own
        .split("<Contact><contactId>")
        .skip(1)
        .find(|contact| contact.contains("<passportName>alice@example.com</passportName>"))
        .and_then(|contact| contact.split("</contactId>").next())
        .expect("alice's own contact in the circle")
        .to_owned();
    let before = call(&server, AB, &alice, &own_book(None)).await.text();
    let since = between(between(&before, "<Ab>", "</Ab>"), "<lastChange>", "<").to_owned();
    assert_eq!(call(&server, AB, &alice, &leave(&alice_member)).await.status, 200);
    assert!(!call(&server, AB, &alice, &own_book(None)).await.text().contains("<Circles>"));
    // Her delta says it is gone, in its state too (not a circle to fetch).
    let delta = call(&server, AB, &alice, &own_book(Some(&since))).await.text();
    let gone = between(&delta, "<Circles>", "</Circles>");
    assert!(
        gone.contains("<Role>Admin</Role><State>Left</State>") && gone.contains("<Deleted>true</Deleted>"),
        "{gone}"
    );
    assert_eq!(errorcode(&server, AB, &alice, &circle_book(&ab_id)).await, "ABDoesNotExist");
}

#[tokio::test]
async fn the_circle_ticket_signs_in_to_circles_on_the_notification_server() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pw", "Alice").await;
    server.user("bob@example.com", "pw", "Bob").await;
    let tokens = |email: &'static str| {
        let server = &server;
        async move {
            rst_tokens(
                server,
                email,
                "pw",
                &[("messengerclear.live.com", Some("MBI_KEY_OLD")), ("contacts.msn.com", Some("MBI"))],
            )
            .await
        }
    };
    let (alice_tokens, bob_tokens) = (tokens("alice@example.com").await, tokens("bob@example.com").await);
    let alices = call(&server, AB, &alice_tokens[1].ticket, &own_book(None)).await.text();
    let bobs = call(&server, AB, &bob_tokens[1].ticket, &own_book(None)).await.text();
    use base64::Engine as _;
    let encode = |book: &str| base64::engine::general_purpose::STANDARD.encode(between(book, "<CircleTicket>", "<"));
    let mut alice =
        sso_sign_in(&server, "alice@example.com", &alice_tokens[0], "{F26D1F07-95E2-403C-BC18-D4BFED493428}", "alice")
            .await;
    // Bob's ticket is not hers; nor is a ticket sent as it is, not in base64.
    alice.send(&format!("USR 10 SHA A {}", encode(&bobs))).await;
    alice.expect("911 10").await;
    alice.send(&format!("USR 11 SHA A {}", between(&alices, "<CircleTicket>", "<"))).await;
    alice.expect("911 11").await;
    alice.send(&format!("USR 12 SHA A {}", encode(&alices))).await;
    alice.expect("USR 12 OK alice@example.com 0 0").await;
}

#[tokio::test]
async fn circles_and_their_members_are_bounded() {
    let server = TestServer::start_with(|config| {
        config.max_circles = 1;
        config.max_circle_members = 2;
    })
    .await;
    for email in ["alice@example.com", "bob@example.com", "carol@example.com"] {
        server.user(email, "pw", "Someone").await;
    }
    let (alice, carol) =
        (contacts_ticket(&server, "alice@example.com").await, contacts_ticket(&server, "carol@example.com").await);
    let create = |name: &str| {
        format!(
            "<CreateCircle{NS}><properties><Domain>1</Domain><HostedDomain>live.com</HostedDomain><Type>2</Type><DisplayName>{name}</DisplayName></properties></CreateCircle>"
        )
    };
    assert_eq!(errorcode(&server, SHARING, &alice, &create("  ")).await, "BadArgument");
    let created = call(&server, SHARING, &alice, &create("One")).await.text();
    let ab_id = between(&created, "<Id>", "</Id>").to_owned();
    assert_eq!(errorcode(&server, SHARING, &alice, &create("Two")).await, "QuotaLimitReached");
    let invite = |email: &str| {
        format!(
            "<CreateContact{NS}>{}<contactHandle><Email>{email}</Email></contactHandle></CreateContact>",
            handle(&ab_id)
        )
    };
    // Carol is in a circle of her own: one is all she may be in.
    assert_eq!(call(&server, SHARING, &carol, &create("Carol's")).await.status, 200);
    assert_eq!(errorcode(&server, AB, &alice, &invite("carol@example.com")).await, "QuotaLimitReached");
    assert_eq!(call(&server, AB, &alice, &invite("bob@example.com")).await.status, 200);
    // Two members, the one invited counted: the circle is full.
    assert_eq!(errorcode(&server, AB, &alice, &invite("carol@example.com")).await, "QuotaLimitReached");
    let unknown = "00000000-0000-0000-0009-0000000000ff";
    assert_eq!(errorcode(&server, AB, &alice, &circle_book(unknown)).await, "ABDoesNotExist");
    assert_eq!(errorcode(&server, AB, &alice, &circle_book("00000000-0000-0000-0009-zz")).await, "ABDoesNotExist");
}

const ALICE_EPID: &str = "{F26D1F07-95E2-403C-BC18-D4BFED493428}";
const BOB_EPID: &str = "{0B5B1A4E-7A4B-4C47-9D15-3A4C1D2E3F40}";

/// An MSNP18 endpoint signed in and online (`CHG NLN`), what the first status
/// change brings read.
async fn online(server: &TestServer, email: &'static str, epid: &str) -> (common::Peer, String) {
    let tokens = rst_tokens(
        server,
        email,
        "pw",
        &[("messengerclear.live.com", Some("MBI_KEY_OLD")), ("contacts.msn.com", Some("MBI"))],
    )
    .await;
    let mut peer = sso_sign_in(server, email, &tokens[0], epid, "peer").await;
    peer.send("CHG 5 NLN 2789003324:48 0").await;
    peer.expect("CHG 5 NLN 2789003324:48 0").await;
    while peer.frame().await.command != "CHL" {}
    (peer, tokens[1].ticket.clone())
}

/// Reads past address book notices (`NOT`) to the next other frame.
async fn after_notices(peer: &mut common::Peer) -> msnp::Frame {
    loop {
        let frame = peer.frame().await;
        if frame.command != "NOT" {
            return frame;
        }
    }
}

fn circle_payload(to: &str, from: &str, content: &str) -> String {
    format!(
        "Routing: 1.0\r\nTo: {to}\r\nFrom: {from}\r\n\r\nReliability: 1.0\r\nStream: 0\r\nSegment: 0\r\n\r\n{content}"
    )
}

fn join(address: &str, email: &str, epid: &str) -> String {
    let roster = format!("<circle><roster><id>IM</id><user><id>1:{email}</id></user></roster></circle>");
    circle_payload(
        &format!("9:{address};path=IM"),
        &format!("1:{email};epid={}", epid.to_ascii_lowercase()),
        &format!(
            "Publication: 1.0\r\nUri: /circle\r\nContent-Type: application/circles+xml\r\nContent-Length: {}\r\n\r\n{roster}",
            roster.len()
        ),
    )
}

fn roster(to: &str, address: &str, email: &str) -> String {
    let body = format!("<circle><roster><id>IM</id><user><id>1:{email}</id></user></roster></circle>");
    format!(
        "Routing: 1.0\r\nTo: 1:{to}\r\nFrom: 9:{address}\r\n\r\nReliability: 1.0\r\n\r\nNotification: 1.0\r\nNotifNum: 0\r\nUri: /circle\r\nNotifType: Partial\r\nContent-Type: application/circles+xml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn departure(to: &str, address: &str, email: &str) -> String {
    format!(
        "Routing: 1.0\r\nTo: 1:{to}\r\nFrom: 9:{address}\r\n\r\nReliability: 1.0\r\n\r\nNotification: 1.0\r\nNotifNum: 0\r\nUri: /circle/roster(IM)/user(1:{email})\r\n\r\n"
    )
}

/// Alice creates a circle and is told it is there; she joins its
/// conversation; Bob accepts her invitation, is told, joins, and each sees
/// the other in it; a message from Bob reaches Alice alone; Bob hiding and
/// signing out take him out of it; signed in again he names the circle with
/// ADL and is told it is there. Those not in it are refused.
#[tokio::test]
async fn a_circle_conversation_on_the_notification_server() {
    let server = TestServer::start().await;
    for (email, nick) in [("alice@example.com", "Alice"), ("bob@example.com", "Bob"), ("carol@example.com", "Carol")] {
        server.user(email, "pw", nick).await;
    }
    let (mut alice, alice_ticket) = online(&server, "alice@example.com", ALICE_EPID).await;
    let (mut bob, bob_ticket) = online(&server, "bob@example.com", BOB_EPID).await;

    let create = format!(
        "<CreateCircle{NS}><properties><Domain>1</Domain><HostedDomain>live.com</HostedDomain><Type>2</Type><DisplayName>Team</DisplayName></properties></CreateCircle>"
    );
    let created = call(&server, SHARING, &alice_ticket, &create).await.text();
    let ab_id = between(&created, "<Id>", "</Id>").to_owned();
    let address = format!("{ab_id}@live.com");
    assert_eq!(
        after_notices(&mut alice).await.to_string(),
        format!("NLN NLN 1:alice@example.com;via=9:{address} Team 0:0")
    );

    let put = join(&address, "alice@example.com", ALICE_EPID);
    alice.send_payload(&format!("PUT 20 {}", put.len()), put.as_bytes()).await;
    let reply = format!(
        "Routing: 1.0\r\nTo: 9:{address}\r\nFrom: 1:alice@example.com;epid={}\r\n\r\nReliability: 1.0\r\n\r\n",
        ALICE_EPID.to_ascii_lowercase()
    );
    alice.expect_payload(&format!("PUT 20 OK {}", reply.len()), &reply).await;

    let invite = format!(
        "<CreateContact{NS}><abHandle><ABId>{ab_id}</ABId></abHandle><contactHandle><Email>bob@example.com</Email></contactHandle></CreateContact>"
    );
    assert_eq!(call(&server, AB, &alice_ticket, &invite).await.status, 200);
    let accept = format!(
        "<ManageWLConnection{NS}><contactId>{ab_id}</contactId><connection>true</connection><presence>false</presence><action>1</action><relationshipType>5</relationshipType><relationshipRole>0</relationshipRole></ManageWLConnection>"
    );
    assert_eq!(call(&server, AB, &bob_ticket, &accept).await.status, 200);
    assert_eq!(
        after_notices(&mut bob).await.to_string(),
        format!("NLN NLN 1:bob@example.com;via=9:{address} Team 0:0")
    );

    // Told before his client knew the circle, he is told again when it
    // presents its circle ticket (after reading its address book).
    let book = call(&server, AB, &bob_ticket, &own_book(None)).await.text();
    use base64::Engine as _;
    let ticket = base64::engine::general_purpose::STANDARD.encode(between(&book, "<CircleTicket>", "<"));
    bob.send(&format!("USR 25 SHA A {ticket}")).await;
    bob.expect("USR 25 OK bob@example.com 0 0").await;
    bob.expect(&format!("NLN NLN 1:bob@example.com;via=9:{address} Team 0:0")).await;
    let put = join(&address, "bob@example.com", BOB_EPID);
    bob.send_payload(&format!("PUT 21 {}", put.len()), put.as_bytes()).await;
    assert!(bob.line().await.starts_with("PUT 21 OK "));
    // Each sees the other arrive: the roster, then the presence via the circle.
    let to_alice = roster("alice@example.com", &address, "bob@example.com");
    let frame = after_notices(&mut alice).await;
    assert_eq!(frame.to_string(), format!("NFY PUT {}", to_alice.len()));
    assert_eq!(String::from_utf8_lossy(frame.payload.as_deref().unwrap_or_default()), to_alice);
    alice.expect(&format!("NLN NLN 1:bob@example.com;via=9:{address} Bob 2789003324:48 0")).await;
    bob.expect_payload(
        &format!("NFY PUT {}", roster("bob@example.com", &address, "alice@example.com").len()),
        &roster("bob@example.com", &address, "alice@example.com"),
    )
    .await;
    bob.expect(&format!("NLN NLN 1:alice@example.com;via=9:{address} Alice 2789003324:48 0")).await;

    // Bob writes to the circle: Alice gets it, his address as the server has it.
    let text = "Messaging: 1.0\r\nContent-Length: 2\r\nContent-Type: Text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\nMessage-Type: Text\r\nMIME-Version: 1.0\r\n\r\nhi";
    let sdg = circle_payload(&format!("9:{address};path=IM"), "1:bob@example.com;epid={forged}", text);
    bob.send_payload(&format!("SDG 22 {}", sdg.len()), sdg.as_bytes()).await;
    let relayed = circle_payload(
        &format!("9:{address};path=IM"),
        &format!("1:bob@example.com;epid={}", BOB_EPID.to_ascii_lowercase()),
        text,
    );
    alice.expect_payload(&format!("SDG 0 {}", relayed.len()), &relayed).await;
    bob.expect_silence().await;

    // Carol is in no circle: she may neither name it nor write to it.
    let (mut carol, _) = online(&server, "carol@example.com", "{00000000-0000-0000-0000-00000000000C}").await;
    let adl = format!(r#"<ml l="1"><d n="live.com"><c n="{ab_id}" l="3" t="9"/></d></ml>"#);
    carol.send_payload(&format!("ADL 30 {}", adl.len()), adl.as_bytes()).await;
    carol.expect("205 30").await;
    let bad = r#"<ml><d n="live.com"><c n="not-a-circle" l="3" t="9"/></d></ml>"#;
    carol.send_payload(&format!("ADL 31 {}", bad.len()), bad.as_bytes()).await;
    carol.expect("208 31").await;
    carol.send_payload(&format!("SDG 32 {}", sdg.len()), sdg.as_bytes()).await;
    carol.expect("205 32").await;
    let many: String = (1..=31).map(|n| format!(r#"<c n="00000000-0000-0000-0009-{n:012x}" l="3" t="9"/>"#)).collect();
    let many = format!(r#"<ml><d n="live.com">{many}</d></ml>"#);
    carol.send_payload(&format!("ADL 33 {}", many.len()), many.as_bytes()).await;
    carol.expect("241 33").await;
    alice.expect_silence().await;

    // Bob hides: he leaves the conversation, and may not write meanwhile.
    bob.send("CHG 23 HDN 2789003324:48 0").await;
    bob.expect("CHG 23 HDN 2789003324:48 0").await;
    alice
        .expect_payload(
            &format!("NFY DEL {}", departure("alice@example.com", &address, "bob@example.com").len()),
            &departure("alice@example.com", &address, "bob@example.com"),
        )
        .await;
    alice.expect(&format!("FLN 1:bob@example.com;via=9:{address} 0:0")).await;
    bob.send_payload(&format!("SDG 24 {}", sdg.len()), sdg.as_bytes()).await;
    bob.expect("913 24").await;
    drop(bob);
    // Signed out while hidden: nothing more to tell.
    alice.expect_silence().await;

    // Signed in again, Bob names the circle in his initial ADL.
    let tokens =
        rst_tokens(&server, "bob@example.com", "pw", &[("messengerclear.live.com", Some("MBI_KEY_OLD"))]).await;
    let mut bob = sso_sign_in(&server, "bob@example.com", &tokens[0], BOB_EPID, "bob").await;
    bob.send_payload(&format!("ADL 40 {}", adl.len()), adl.as_bytes()).await;
    bob.expect("ADL 40 OK").await;
    bob.expect(&format!("NLN NLN 1:bob@example.com;via=9:{address} Team 0:0")).await;
    let put = join(&address, "bob@example.com", BOB_EPID);
    bob.send_payload(&format!("PUT 41 {}", put.len()), put.as_bytes()).await;
    assert!(bob.line().await.starts_with("PUT 41 OK "));
    // Not online yet (no status): no one hears of him until his CHG.
    alice.expect_silence().await;
    bob.send("CHG 42 NLN 2789003324:48 0").await;
    bob.expect("CHG 42 NLN 2789003324:48 0").await;
    let frame = alice.frame().await;
    assert_eq!(frame.command, "NFY", "{frame}");
    alice.expect(&format!("NLN NLN 1:bob@example.com;via=9:{address} Bob 2789003324:48 0")).await;
    drop(bob);
    let frame = alice.frame().await;
    assert_eq!(
        frame.to_string(),
        format!("NFY DEL {}", departure("alice@example.com", &address, "bob@example.com").len())
    );
    alice.expect(&format!("FLN 1:bob@example.com;via=9:{address} 0:0")).await;
}
