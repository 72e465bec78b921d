//! Passport and the SOAP services as clients call them: RST.srf and
//! RST2.srf token requests, the address book, an SSO sign-in.

use std::net::SocketAddr;

use super::{HttpResponse, Peer, TestServer, http_request};

/// A WS-Trust `RequestMultipleSecurityTokens` body as Pidgin and WLM send it.
pub fn rst_request(email: &str, password: &str, addresses: &[(&str, Option<&str>)]) -> String {
    let mut tokens = String::new();
    for (index, (address, policy)) in addresses.iter().enumerate() {
        let policy =
            policy.map(|p| format!(r#"<wsse:PolicyReference URI="{p}"></wsse:PolicyReference>"#)).unwrap_or_default();
        tokens.push_str(&format!(
            r#"<wst:RequestSecurityToken Id="RST{index}"><wst:RequestType>http://schemas.xmlsoap.org/ws/2004/04/security/trust/Issue</wst:RequestType><wsp:AppliesTo><wsa:EndpointReference><wsa:Address>{address}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>{policy}</wst:RequestSecurityToken>"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsse="http://schemas.xmlsoap.org/ws/2003/06/secext" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" xmlns:wsp="http://schemas.xmlsoap.org/ws/2002/12/policy" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/03/addressing" xmlns:wssc="http://schemas.xmlsoap.org/ws/2004/04/sc" xmlns:wst="http://schemas.xmlsoap.org/ws/2004/04/trust"><Header><ps:AuthInfo xmlns:ps="http://schemas.microsoft.com/Passport/SoapServices/PPCRL" Id="PPAuthInfo"><ps:HostingApp>{{7108E71A-9926-4FCB-BCC9-9A9D3F32E423}}</ps:HostingApp><ps:BinaryVersion>4</ps:BinaryVersion></ps:AuthInfo><wsse:Security><wsse:UsernameToken Id="user"><wsse:Username>{email}</wsse:Username><wsse:Password>{password}</wsse:Password></wsse:UsernameToken></wsse:Security></Header><Body><ps:RequestMultipleSecurityTokens xmlns:ps="http://schemas.microsoft.com/Passport/SoapServices/PPCRL" Id="RSTS">{tokens}</ps:RequestMultipleSecurityTokens></Body></Envelope>"#
    )
}

/// A token from an RST response: the address, the `t=…&p=` ticket, the proof key.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub address: String,
    pub ticket: String,
    pub secret: Vec<u8>,
}

/// Asks RST.srf for tokens and reads them back, in order.
pub async fn rst_tokens(
    server: &TestServer,
    email: &str,
    password: &str,
    addresses: &[(&str, Option<&str>)],
) -> Vec<IssuedToken> {
    rst_tokens_at(server.http(), email, password, addresses).await
}

/// As `rst_tokens`, from the HTTP listener at `http`.
pub async fn rst_tokens_at(
    http: SocketAddr,
    email: &str,
    password: &str,
    addresses: &[(&str, Option<&str>)],
) -> Vec<IssuedToken> {
    tokens_from(http, "/RST.srf", &rst_request(email, password, addresses)).await
}

/// Posts a token request to `path` (RST.srf or RST2.srf) and reads the
/// tokens back, in order.
pub async fn tokens_from(http: SocketAddr, path: &str, body: &str) -> Vec<IssuedToken> {
    use base64::Engine as _;
    let response = http_request(http, "POST", path, &[("Content-Type", "text/xml")], body.as_bytes()).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let xml = response.text();
    let between = |text: &str, open: &str, close: &str| -> Option<String> {
        let start = text.find(open)? + open.len();
        let end = text[start..].find(close)? + start;
        Some(text[start..end].to_owned())
    };
    xml.split("<wst:RequestSecurityTokenResponse>")
        .skip(1)
        .map(|part| IssuedToken {
            address: between(part, "<wsa:Address>", "</wsa:Address>").expect("address"),
            ticket: between(part, "\">", "</wsse:BinarySecurityToken>")
                .or_else(|| between(part, "<CipherValue>", "</CipherValue>"))
                .expect("token")
                .rsplit('>')
                .next()
                .unwrap_or_default()
                .replace("&amp;", "&"),
            secret: base64::engine::general_purpose::STANDARD
                .decode(between(part, "<wst:BinarySecret>", "</wst:BinarySecret>").expect("secret"))
                .expect("base64 secret"),
        })
        .collect()
}

/// An address book or sharing request as WLM and Pidgin send it.
pub fn ab_envelope(ticket: &str, scenario: &str, body: &str) -> String {
    let ticket = ticket.replace('&', "&amp;");
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            r#"<soap:Header><ABApplicationHeader xmlns="http://www.msn.com/webservices/AddressBook"><ApplicationId>CFE80F9D-180F-4399-82AB-413F33A1FA11</ApplicationId>"#,
            r#"<IsMigration>false</IsMigration><PartnerScenario>{scenario}</PartnerScenario></ABApplicationHeader>"#,
            r#"<ABAuthHeader xmlns="http://www.msn.com/webservices/AddressBook"><ManagedGroupRequest>false</ManagedGroupRequest><TicketToken>{ticket}</TicketToken></ABAuthHeader></soap:Header>"#,
            r#"<soap:Body>{body}</soap:Body></soap:Envelope>"#
        ),
        scenario = scenario,
        ticket = ticket,
        body = body
    )
}

/// Posts an address book or sharing request.
pub async fn ab_call(server: &TestServer, path: &str, ticket: &str, body: &str) -> HttpResponse {
    ab_call_at(server.http(), path, ticket, body).await
}

/// [`ab_call`] to the HTTP listener at `http` (a cluster's node).
pub async fn ab_call_at(http: SocketAddr, path: &str, ticket: &str, body: &str) -> HttpResponse {
    let request = ab_envelope(ticket, "Initial", body);
    http_request(http, "POST", path, &[("Content-Type", "text/xml; charset=utf-8")], request.as_bytes()).await
}

/// The `RequestMultipleSecurityTokens` WLM 2009 and MSNPSharp post to
/// RST2.srf: SOAP 1.2, WS-Trust 2005/02, WS-Addressing 2005/08.
pub fn rst2_request(email: &str, password: &str, addresses: &[(&str, Option<&str>)]) -> String {
    let mut tokens = String::new();
    for (index, (address, policy)) in addresses.iter().enumerate() {
        let policy = policy.map(|p| format!(r#"<wsp:PolicyReference URI="{p}" />"#)).unwrap_or_default();
        tokens.push_str(&format!(
            r#"<wst:RequestSecurityToken Id="RST{index}"><wst:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</wst:RequestType><wsp:AppliesTo><wsa:EndpointReference><wsa:Address>{address}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>{policy}</wst:RequestSecurityToken>"#
        ));
    }
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing" "#,
            r#"xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" "#,
            r#"xmlns:wst="http://schemas.xmlsoap.org/ws/2005/02/trust" xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy" xmlns:ps="http://schemas.microsoft.com/Passport/SoapServices/PPCRL">"#,
            r#"<soap:Header><wsa:Action soap:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue</wsa:Action>"#,
            r#"<wsa:To soap:mustUnderstand="1">HTTPS://login.live.com:443//RST2.srf</wsa:To><wsa:MessageID>1</wsa:MessageID>"#,
            r#"<ps:AuthInfo Id="PPAuthInfo"><ps:HostingApp>{{7108E71A-9926-4FCB-BCC9-9A9D3F32E423}}</ps:HostingApp><ps:BinaryVersion>5</ps:BinaryVersion></ps:AuthInfo>"#,
            r#"<wsse:Security><wsse:UsernameToken wsu:Id="user"><wsse:Username>{email}</wsse:Username><wsse:Password>{password}</wsse:Password></wsse:UsernameToken></wsse:Security></soap:Header>"#,
            r#"<soap:Body><ps:RequestMultipleSecurityTokens Id="RSTS">{tokens}</ps:RequestMultipleSecurityTokens></soap:Body></soap:Envelope>"#
        ),
        email = email,
        password = password,
        tokens = tokens
    )
}

/// Signs an MSNP18 endpoint in with `USR SSO` (MBI_KEY) and the
/// messengerclear.live.com token given; reads up to its self-`UBX`.
pub async fn sso_sign_in(
    server: &TestServer,
    email: &str,
    clear: &IssuedToken,
    machine: &str,
    name: &'static str,
) -> Peer {
    sso_sign_in_at(server.ns(), email, clear, machine, name).await
}

/// [`sso_sign_in`] on the Notification Server at `ns` (a cluster's node).
pub async fn sso_sign_in_at(
    ns: std::net::SocketAddr,
    email: &str,
    clear: &IssuedToken,
    machine: &str,
    name: &'static str,
) -> Peer {
    let mut peer = Peer::connect(ns, name).await;
    peer.set_dialect(msnp::Dialect::from_token("MSNP18").expect("dialect"));
    peer.send("VER 1 MSNP18 CVR0").await;
    peer.expect("VER 1 MSNP18").await;
    peer.send(&format!("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 14.0.8064.0206 msmsgs {email}")).await;
    assert!(peer.line().await.starts_with("CVR 2 "));
    peer.send(&format!("USR 3 SSO I {email}")).await;
    assert_eq!(peer.frame().await.command, "GCF");
    let offer = peer.line().await;
    let nonce = offer.rsplit(' ').next().expect("nonce").to_owned();
    let response = msnp::auth::mbi::response(&clear.secret, &nonce, [7; 8]);
    peer.send(&format!("USR 4 SSO S {} {response} {machine}", clear.ticket)).await;
    peer.expect(&format!("USR 4 OK {email} 1 0")).await;
    peer.expect("SBS 0 null").await;
    assert_eq!(peer.frame().await.params, ["Hotmail", "Hotmail"]);
    assert_eq!(peer.frame().await.command, "UBX");
    peer
}

/// The address book and sharing services' paths, and their namespace as an
/// attribute to put in a request's operation element.
pub const AB: &str = "/abservice/abservice.asmx";
pub const SHARING: &str = "/abservice/SharingService.asmx";
pub const AB_NS: &str = r#" xmlns="http://www.msn.com/webservices/AddressBook""#;

/// The text between the first `open` and the `close` after it.
pub fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("{open} in {text}")) + open.len();
    let end = text[start..].find(close).expect("close") + start;
    &text[start..end]
}
