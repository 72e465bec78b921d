//! The address book and sharing services (MSNP13+), over HTTP: round trips
//! that change the same lists MSNP8–12 clients see through SYN.

mod common;

use common::{AB, AB_NS as NS, SHARING, TestServer, ab_call as call, between, http_request, rst_tokens, sign_in};

#[tokio::test]
async fn address_book_and_memberships_share_the_lists_with_syn() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    server.user("eve@example.com", "eve-pw", "Eve").await;
    let tokens = rst_tokens(
        &server,
        "alice@example.com",
        "alice-pw",
        &[("http://Passport.NET/tb", None), ("contacts.msn.com", Some("MBI"))],
    )
    .await;
    let ticket = tokens[1].ticket.clone();

    // A new account has its address book already: clients that never call
    // ABAdd (bots, gateways) find its owner and empty memberships.
    let response = call(&server, SHARING, &ticket, &format!("<FindMembership{NS}><serviceFilter><Types><ServiceType>Messenger</ServiceType></Types></serviceFilter></FindMembership>")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let text = response.text();
    assert!(text.contains("<Services><Service><Memberships>"), "{text}");
    assert!(!text.contains("<Member "), "no members yet: {text}");
    let response = call(&server, AB, &ticket, &format!("<ABFindAll{NS}><abId>00000000-0000-0000-0000-000000000000</abId><abView>Full</abView><deltasOnly>false</deltasOnly></ABFindAll>")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let text = response.text();
    let me = between(&text, "<Contact>", "</Contact>");
    assert!(me.contains("<contactType>Me</contactType>"), "{me}");
    assert!(me.contains("<displayName>Alice</displayName>"), "{me}");
    let cid = between(me, "<CID>", "</CID>");
    assert!(cid.parse::<i64>().is_ok_and(|cid| cid > 0), "{me}");
    let response = call(&server, AB, &ticket, &format!("<ABFindContactsPaged{NS}><filterOptions><DeltasOnly>false</DeltasOnly></filterOptions></ABFindContactsPaged>")).await;
    assert_eq!(response.status, 200);
    // ABAdd, which Pidgin and WLM send on their first sign-in, is still answered.
    let response = call(
        &server,
        "//abservice/abservice.asmx",
        &ticket,
        &format!(
            "<ABAdd{NS}><abInfo><ownerEmail>alice@example.com</ownerEmail><fDefault>true</fDefault></abInfo></ABAdd>"
        ),
    )
    .await;
    assert_eq!(response.status, 200);
    assert!(
        response.text().contains("<ABAddResponse xmlns=\"http://www.msn.com/webservices/AddressBook\"><ABAddResult>")
    );

    // Add Bob through the address book; MSNP11 Bob finds Alice on his reverse
    // list, and pending (RL and PL: he has not answered her).
    let add = format!(
        "<ABContactAdd{NS}><abId>00000000-0000-0000-0000-000000000000</abId><contacts><Contact><contactInfo><contactType>LivePending</contactType><passportName>Bob@Example.com</passportName><isMessengerUser>true</isMessengerUser><MessengerMemberInfo><DisplayName>Bobby</DisplayName></MessengerMemberInfo></contactInfo></Contact></contacts></ABContactAdd>"
    );
    let response = call(&server, AB, &ticket, &add).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let bob_guid = between(&response.text(), "<ABContactAddResult><guid>", "</guid>").to_owned();
    assert!(uuid::Uuid::try_parse(&bob_guid).is_ok());
    assert_eq!(
        between(&call(&server, AB, &ticket, &add).await.text(), "<guid>", "</guid>"),
        bob_guid,
        "adding twice is harmless"
    );
    let unknown = add.replace("Bob@Example.com", "nobody@example.com");
    assert!(call(&server, AB, &ticket, &unknown).await.text().contains("InvalidPassportUser"));

    let mut bob = sign_in(&server, "MSNP11", "bob@example.com", "bob-pw", "bob").await;
    bob.send("SYN 1 0 0").await;
    assert!(bob.line().await.ends_with(" 1 0"));
    bob.expect("GTC A").await;
    bob.expect("BLP AL").await;
    bob.expect("PRP MFN Bob").await;
    bob.expect("LST N=alice@example.com F=Alice 24").await;

    // Groups, and the contact in one.
    let response = call(&server, AB, &ticket, &format!("<ABGroupAdd{NS}><abId>00000000-0000-0000-0000-000000000000</abId><groupAddOptions><fRenameOnMsgrConflict>false</fRenameOnMsgrConflict></groupAddOptions><groupInfo><GroupInfo><name>Friends</name><groupType>C8529CE2-6EAD-434d-881F-341E17DB3FF8</groupType><fMessenger>false</fMessenger></GroupInfo></groupInfo></ABGroupAdd>")).await;
    let group = between(&response.text(), "<ABGroupAddResult><guid>", "</guid>").to_owned();
    let response = call(&server, AB, &ticket, &format!("<ABGroupContactAdd{NS}><abId>00000000-0000-0000-0000-000000000000</abId><groupFilter><groupIds><guid>{group}</guid></groupIds></groupFilter><contacts><Contact><contactId>{bob_guid}</contactId></Contact></contacts></ABGroupContactAdd>")).await;
    assert_eq!(between(&response.text(), "<ABGroupContactAddResult><guid>", "</guid>"), bob_guid);
    let response = call(
        &server,
        AB,
        &ticket,
        &format!("<ABGroupAdd{NS}><groupInfo><GroupInfo><name>Friends</name></GroupInfo></groupInfo></ABGroupAdd>"),
    )
    .await;
    assert!(response.text().contains("GroupAlreadyExists"));

    // The whole book, as WLM 2009 and Pidgin read it.
    let response = call(&server, AB, &ticket, &format!("<ABFindContactsPaged{NS}><filterOptions><DeltasOnly>false</DeltasOnly></filterOptions></ABFindContactsPaged>")).await;
    let book = response.text();
    assert!(book.contains(&format!("<Groups><Group><groupId>{group}</groupId>")));
    assert!(book.contains(&format!("<contactId>{bob_guid}</contactId><contactInfo><groupIds><guid>{group}</guid></groupIds><contactType>Regular</contactType><quickName>Bobby</quickName><passportName>bob@example.com</passportName>")));
    assert!(book.contains(
        "<contactType>Me</contactType><quickName>Alice</quickName><passportName>alice@example.com</passportName>"
    ));
    assert!(book.contains("<CircleResult><CircleTicket>"));
    assert!(book.contains("<CacheKey>"));
    let response = call(&server, AB, &ticket, &format!("<ABFindAll{NS}><abId>00000000-0000-0000-0000-000000000000</abId><abView>Full</abView><deltasOnly>false</deltasOnly></ABFindAll>")).await;
    assert!(response.text().contains("<ABFindAllResult><groups><Group>"));

    // Memberships: allow Bob, block Eve; then move Bob to Block as WLM does.
    let member = |role: &str, email: &str| {
        format!(
            "<Membership><MemberRole>{role}</MemberRole><Members><Member xsi:type=\"PassportMember\"><Type>Passport</Type><State>Accepted</State><PassportName>{email}</PassportName></Member></Members></Membership>"
        )
    };
    let response = call(&server, SHARING, &ticket, &format!("<AddMember{NS}><serviceHandle><Id>0</Id><Type>Messenger</Type><ForeignId></ForeignId></serviceHandle><memberships>{}{}</memberships></AddMember>", member("Allow", "bob@example.com"), member("Block", "eve@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let response = call(&server, SHARING, &ticket, &format!("<FindMembership{NS}><serviceFilter><Types><ServiceType>Messenger</ServiceType></Types></serviceFilter></FindMembership>")).await;
    let memberships = response.text();
    let allow = between(&memberships, "<MemberRole>Allow</MemberRole>", "</Membership>");
    assert!(allow.contains("<PassportName>bob@example.com</PassportName>") && !allow.contains("eve@"));
    let block = between(&memberships, "<MemberRole>Block</MemberRole>", "</Membership>");
    assert!(block.contains("<PassportName>eve@example.com</PassportName>"));
    assert!(memberships.contains("<Info><Handle><Id>1</Id><Type>Messenger</Type>"));
    let response = call(
        &server,
        SHARING,
        &ticket,
        &format!("<AddMember{NS}><memberships>{}</memberships></AddMember>", member("Block", "bob@example.com")),
    )
    .await;
    assert_eq!(response.status, 200);
    let response = call(
        &server,
        SHARING,
        &ticket,
        &format!("<DeleteMember{NS}><memberships>{}</memberships></DeleteMember>", member("Block", "eve@example.com")),
    )
    .await;
    assert_eq!(response.status, 200);

    // An MSNP12 session of Alice sees the same lists.
    let mut alice = sign_in(&server, "MSNP12", "alice@example.com", "alice-pw", "alice").await;
    alice.send("SYN 1 0 0").await;
    assert!(alice.line().await.ends_with(" 1 1"));
    alice.expect("GTC A").await;
    alice.expect("BLP AL").await;
    alice.expect("PRP MFN Alice").await;
    alice.expect(&format!("LSG Friends {group}")).await;
    alice.expect(&format!("LST N=bob@example.com F=Bobby C={bob_guid} 5 1 {group}")).await;

    // Deleting through the address book tells Bob.
    let response = call(&server, AB, &ticket, &format!("<ABContactDelete{NS}><contacts><Contact><contactId>{bob_guid}</contactId></Contact></contacts></ABContactDelete>")).await;
    assert_eq!(response.status, 200);
    bob.expect("REM 0 RL N=alice@example.com").await;

    // Wrong tickets, unreadable requests, unknown operations: SOAP faults.
    let response = call(&server, AB, "t=bogus&p=", &format!("<ABFindAll{NS}/>")).await;
    assert!(response.text().contains("q0:BadContextToken"));
    let messenger_ticket =
        rst_tokens(&server, "alice@example.com", "alice-pw", &[("messengerclear.live.com", None)]).await;
    let response = call(&server, AB, &messenger_ticket[0].ticket, &format!("<ABFindAll{NS}/>")).await;
    assert!(response.text().contains("q0:BadContextToken"), "a messenger ticket does not open the address book");
    let response = http_request(server.http(), "POST", AB, &[], b"<soap:Envelope><soap:Body>").await;
    assert_eq!(response.status, 500);
    assert!(response.text().contains("<faultcode>soap:Client</faultcode>"));
    let response = call(&server, AB, &ticket, &format!("<ABFrobnicate{NS}/>")).await;
    assert!(response.text().contains("NotImplemented"));
}

#[tokio::test]
async fn a_change_through_the_address_book_reaches_the_users_sessions_as_not() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    server.user("bob@example.com", "bob-pw", "Bob").await;
    let mut alice = sign_in(&server, "MSNP13", "alice@example.com", "alice-pw", "alice13").await;
    let tokens = rst_tokens(&server, "alice@example.com", "alice-pw", &[("contacts.msn.com", Some("MBI"))]).await;
    let add = format!(
        "<ABContactAdd{NS}><contacts><Contact><contactInfo><passportName>bob@example.com</passportName><isMessengerUser>true</isMessengerUser></contactInfo></Contact></contacts></ABContactAdd>"
    );
    assert_eq!(call(&server, AB, &tokens[0].ticket, &add).await.status, 200);
    let not = alice.frame().await;
    assert_eq!(not.command, "NOT");
    let text = String::from_utf8_lossy(not.payload.as_deref().unwrap_or_default()).into_owned();
    assert!(text.starts_with("<NOTIFICATION id=\"0\" siteid=\"45705\""), "{text}");
    assert!(text.contains("&lt;Service&gt;ABCHInternal&lt;/Service&gt;"));
}

#[tokio::test]
async fn deltas_only_answers_with_what_changed_since_last_change() {
    let server = TestServer::start().await;
    for email in ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"] {
        server.user(email, "pw", "Someone").await;
    }
    let tokens = rst_tokens(&server, "alice@example.com", "pw", &[("contacts.msn.com", Some("MBI"))]).await;
    let ticket = tokens[0].ticket.clone();
    assert_eq!(call(&server, AB, &ticket, &format!("<ABAdd{NS}/>")).await.status, 200);
    let add = |email: &str| {
        format!(
            "<ABContactAdd{NS}><contacts><Contact><contactInfo><passportName>{email}</passportName><isMessengerUser>true</isMessengerUser></contactInfo></Contact></contacts></ABContactAdd>"
        )
    };
    let bob =
        between(&call(&server, AB, &ticket, &add("bob@example.com")).await.text(), "<guid>", "</guid>").to_owned();
    let dave =
        between(&call(&server, AB, &ticket, &add("dave@example.com")).await.text(), "<guid>", "</guid>").to_owned();
    let full =
        call(&server, AB, &ticket, &format!("<ABFindAll{NS}><deltasOnly>false</deltasOnly></ABFindAll>")).await.text();
    let last_change = between(between(&full, "<ab>", "</ab>"), "<lastChange>", "</lastChange>").to_owned();
    assert!(full.contains(&bob) && full.contains(&dave));

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let carol =
        between(&call(&server, AB, &ticket, &add("carol@example.com")).await.text(), "<guid>", "</guid>").to_owned();
    let delete = format!(
        "<ABContactDelete{NS}><contacts><Contact><contactId>{bob}</contactId></Contact></contacts></ABContactDelete>"
    );
    assert_eq!(call(&server, AB, &ticket, &delete).await.status, 200);

    let request = format!(
        "<ABFindAll{NS}><abView>Full</abView><deltasOnly>true</deltasOnly><lastChange>{last_change}</lastChange></ABFindAll>"
    );
    let delta = call(&server, AB, &ticket, &request).await.text();
    assert!(delta.contains(&format!("<contactId>{carol}</contactId>")), "{delta}");
    let removed = between(&delta, &format!("<contactId>{bob}</contactId>"), "</Contact>");
    assert!(removed.contains("<fDeleted>true</fDeleted>"), "{removed}");
    assert!(!delta.contains(&dave), "unchanged contacts are left out");
    // A client with no usable lastChange gets the whole book.
    let stale = format!(
        "<ABFindAll{NS}><deltasOnly>true</deltasOnly><lastChange>0001-01-01T00:00:00.0000000-08:00</lastChange></ABFindAll>"
    );
    let whole = call(&server, AB, &ticket, &stale).await.text();
    assert!(whole.contains(&dave) && whole.contains(&carol) && !whole.contains(&bob));
}
