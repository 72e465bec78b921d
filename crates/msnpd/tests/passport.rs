//! Passport over HTTP: the Nexus, login2.srf, and RST.srf, byte for byte
//! where real clients are strict (shared/reference/clients.md).

mod common;

use common::{TestServer, http_get, http_request, rst_request};

#[tokio::test]
async fn nexus_names_only_the_login_url_with_its_scheme() {
    let server = TestServer::start().await;
    let response = http_get(server.http(), "/rdr/pprdr.asp", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("PassportURLs"), Some(format!("DALogin=http://{}/login2.srf", server.http()).as_str()));
}

#[tokio::test]
async fn login_answers_from_pp_last_or_401() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "pa ss,word", "Alice").await;
    let good = "Passport1.4 OrgVerb=GET,OrgURL=http%3A%2F%2Fmessenger%2Emsn%2Ecom,sign-in=alice%40example.com,pwd=pa%20ss%2Cword,lc=1033";
    let response = http_get(server.http(), "/login2.srf", &[("Authorization", good)]).await;
    assert_eq!(response.status, 200);
    let info = response.header("Authentication-Info").expect("Authentication-Info");
    assert!(info.starts_with("Passport1.4 da-status=success,"), "{info}");
    let ticket = info.split("from-PP='").nth(1).expect("from-PP");
    assert!(ticket.starts_with("t=") && ticket.ends_with("&p='"), "from-PP is last: {info}");
    // A signed token: letters, digits, `-` and `_` only, nothing to escape anywhere.
    let token = &ticket[2..ticket.len() - "&p='".len()];
    assert!(token.len() > 32 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");

    for bad in [
        "Passport1.4 sign-in=alice%40example.com,pwd=wrong",
        "Passport1.4 sign-in=nobody%40example.com,pwd=pa%20ss%2Cword",
        "Passport1.4 sign-in=alice%40example.com",
        "Basic YWxpY2U6cHc=",
    ] {
        let response = http_get(server.http(), "/login2.srf", &[("Authorization", bad)]).await;
        assert_eq!(response.status, 401, "{bad}");
        assert!(
            response.header("WWW-Authenticate").expect("WWW-Authenticate").starts_with("Passport1.4 da-status=failed,")
        );
        assert!(response.header("Authentication-Info").is_none());
    }
    let response = http_get(server.http(), "/login2.srf", &[]).await;
    assert_eq!(response.status, 401);
}

#[tokio::test]
async fn rst_issues_tokens_in_request_order_for_msn_pecan_and_pidgin() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "secret", "Alice").await;
    let body = rst_request(
        "alice@example.com",
        "secret",
        &[
            ("http://Passport.NET/tb", None),
            ("messenger.msn.com", Some("?id=507")),
            ("messengersecure.live.com", Some("MBI_SSL")),
        ],
    );
    // Pidgin asks for //RST.srf.
    let response =
        http_request(server.http(), "POST", "//RST.srf", &[("Content-Type", "text/xml")], body.as_bytes()).await;
    assert_eq!(response.status, 200);
    // msn-pecan matches this exact spelling.
    assert!(response.raw_head.contains("\r\nContent-Length: "), "{}", response.raw_head);
    let xml = response.text();
    assert!(xml.len() < 8 * 1024, "msn-pecan reads at most 8 KB: {}", xml.len());
    assert!(!xml.contains("</wst:RequestSecurityTokenResponse> <") && !xml.contains('\n'));
    let first = xml.find("<wsa:Address>http://Passport.NET/tb</wsa:Address>").expect("tb");
    let second = xml.find("<wsa:Address>messenger.msn.com</wsa:Address>").expect("messenger");
    let third = xml.find("<wsa:Address>messengersecure.live.com</wsa:Address>").expect("secure");
    assert!(first < second && second < third);
    assert!(xml.contains(r#"Id="BinaryDAToken0""#));
    let compact1 = xml.split(r#"<wsse:BinarySecurityToken Id="Compact1">"#).nth(1).expect("Compact1");
    let ticket = compact1.split('<').next().expect("ticket");
    assert!(ticket.starts_with("t=") && ticket.ends_with("&amp;p="), "{ticket}");
    assert!(xml.contains(r#"<wsse:BinarySecurityToken Id="Compact2">"#));
    assert_eq!(xml.matches("<wsu:Expires>").count(), 3);
    assert_eq!(xml.matches("<wst:BinarySecret>").count(), 3);

    // The messenger.msn.com ticket signs in to the Notification Server (msn-pecan, MSNP12).
    let ticket = ticket.replace("&amp;", "&");
    let mut peer = common::Peer::connect(server.ns(), "pecan").await;
    peer.send("VER 1 MSNP12").await;
    peer.expect("VER 1 MSNP12").await;
    peer.send("USR 2 TWN I alice@example.com").await;
    assert!(peer.line().await.starts_with("USR 2 TWN S "));
    peer.send(&format!("USR 3 TWN S {ticket}")).await;
    peer.expect("USR 3 OK alice@example.com 1 0").await;
}

#[tokio::test]
async fn rst_refuses_bad_credentials_and_bad_xml_with_soap_faults() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "secret", "Alice").await;
    let body = rst_request("alice@example.com", "wrong", &[("messengerclear.live.com", Some("MBI_KEY_OLD"))]);
    let response = http_request(server.http(), "POST", "/RST.srf", &[], body.as_bytes()).await;
    let xml = response.text();
    assert!(xml.contains("<faultcode>wsse:FailedAuthentication</faultcode>"), "{xml}");
    assert!(xml.contains("<faultstring>"));
    assert!(!xml.contains("BinarySecurityToken"));
    assert_eq!(response.status, 500);
    assert_eq!(response.header("Content-Type"), Some("text/xml; charset=utf-8"));
    let response = http_request(server.http(), "POST", "/RST.srf", &[], b"<Envelope><Body>").await;
    assert_eq!(response.status, 400);
    assert!(response.text().contains("<S:Fault><faultcode>S:Client</faultcode>"));
    // RST2.srf answers in SOAP 1.2: Code/Value, the WS-Trust 2005/02 subcode,
    // and the Passport header WLM 2009 reads the status from.
    let response = http_request(server.http(), "POST", "/RST2.srf", &[], body.as_bytes()).await;
    assert_eq!(response.status, 500);
    assert_eq!(response.header("Content-Type"), Some("application/soap+xml; charset=utf-8"));
    let xml = response.text();
    assert!(xml.contains(r#"<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope""#), "{xml}");
    assert!(xml.contains(concat!(
        "<S:Fault><S:Code><S:Value>S:Sender</S:Value><S:Subcode><S:Value>wst:FailedAuthentication</S:Value></S:Subcode></S:Code>",
        r#"<S:Reason><S:Text xml:lang="en-US">Authentication Failure</S:Text></S:Reason></S:Fault>"#
    )));
    assert!(xml.contains("<psf:reqstatus>0x80048821</psf:reqstatus>"));
    let response = http_request(server.http(), "POST", "/RST2.srf", &[], b"<Envelope><Body>").await;
    assert_eq!(response.status, 400);
    assert!(response.text().contains("<S:Fault><S:Code><S:Value>S:Sender</S:Value></S:Code>"));
    let response = http_get(server.http(), "/nothing-here", &[]).await;
    assert_eq!(response.status, 404);
    // What URL INBOX and friends point at.
    let response = http_get(server.http(), "/", &[]).await;
    assert_eq!(response.status, 200);
    assert!(response.text().contains("no web mail"));
}

/// One request asks for at most 16 tokens (real clients ask for ten at most).
/// Tickets are signed, not kept: however many an account gets, the server
/// holds nothing for them, each keeps working, and one changed in a single
/// character works for no one.
#[tokio::test]
async fn tokens_per_request_are_bounded_and_tickets_are_signed() {
    let server = TestServer::start().await;
    server.user("alice@example.com", "secret", "Alice").await;
    let many: Vec<(&str, Option<&str>)> = vec![("contacts.msn.com", Some("MBI")); 2400];
    let response = http_request(
        server.http(),
        "POST",
        "/RST.srf",
        &[],
        common::rst_request("alice@example.com", "secret", &many).as_bytes(),
    )
    .await;
    assert_eq!(response.status, 400);
    assert!(response.text().contains("more than 16 RequestSecurityToken"), "{}", response.text());

    let sixteen = vec![("contacts.msn.com", Some("MBI")); 16];
    let first = common::rst_tokens(&server, "alice@example.com", "secret", &sixteen).await;
    assert_eq!(first.len(), 16);
    let find = r#"<FindMembership xmlns="http://www.msn.com/webservices/AddressBook"></FindMembership>"#;
    let path = "/abservice/SharingService.asmx";
    assert_eq!(common::ab_call(&server, path, &first[0].ticket, find).await.status, 200);
    let second = common::rst_tokens(&server, "alice@example.com", "secret", &sixteen).await;
    for token in first.iter().chain(&second) {
        assert_eq!(common::ab_call(&server, path, &token.ticket, find).await.status, 200);
    }
    // `t=` + token: change one character of the token.
    let ticket = &second[0].ticket;
    let position = 4;
    let changed = if ticket.as_bytes()[position] == b'A' { "B" } else { "A" };
    let forged = format!("{}{changed}{}", &ticket[..position], &ticket[position + 1..]);
    assert_ne!(common::ab_call(&server, path, &forged, find).await.status, 200, "{forged}");
}

/// A client that reached the Nexus through a TLS front (the plain listener
/// asked for `nexus.passport.com`, or told `X-Forwarded-Proto: https`) gets
/// `DALogin` without a scheme, naming the host it used: it prepends `https://`
/// and comes back through the same front. Asked by the plain listener's own
/// address, the Nexus writes `http://` out.
#[tokio::test]
async fn nexus_behind_a_tls_front_names_the_host_without_a_scheme() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start().await;
    let own = server.http();
    let ask = |headers: String| async move {
        let mut stream = tokio::net::TcpStream::connect(own).await.expect("connect");
        let request = format!("GET /rdr/pprdr.asp HTTP/1.1\r\n{headers}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer.lines().find_map(|line| line.strip_prefix("PassportURLs: ")).map(str::to_owned)
    };
    assert_eq!(
        ask("Host: nexus.passport.com\r\n".into()).await.as_deref(),
        Some("DALogin=nexus.passport.com/login2.srf")
    );
    assert_eq!(
        ask(format!("Host: {own}\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: login.example.org\r\n"))
            .await
            .as_deref(),
        Some("DALogin=login.example.org/login2.srf")
    );
    assert_eq!(ask(format!("Host: {own}\r\n")).await, Some(format!("DALogin=http://{own}/login2.srf")));
    // Nothing but a plain host is repeated back.
    assert_eq!(ask("Host: evil.example,x=1\r\n".into()).await, Some(format!("DALogin=http://{own}/login2.srf")));
}
