//! WS-Trust `RequestSecurityToken` / `RequestMultipleSecurityTokens` (the
//! Passport RST.srf service of MSNP12+ clients) and its response.

use super::SoapError;
use crate::text::escape_xml;
use crate::xml::{Node, walk};

/// One token asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenRequest {
    /// The request's own id (`RST0`, `RST1`...), if it gave one.
    pub id: Option<String>,
    /// The service address (`messengerclear.live.com`).
    pub address: String,
    /// The `PolicyReference URI`, if any (`MBI_KEY_OLD`).
    pub policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RstRequest {
    pub username: String,
    pub password: String,
    pub tokens: Vec<TokenRequest>,
}

fn ends_with(path: &[String], tail: &[&str]) -> bool {
    path.len() >= tail.len() && path[path.len() - tail.len()..].iter().zip(tail).all(|(a, b)| a == b)
}

/// Most tokens one request may ask for: real clients ask for ten at most, and
/// every token issued is kept until it expires.
pub const MAX_TOKENS: usize = 16;

/// Reads the credentials and the requested tokens, in request order.
pub fn parse_request(xml: &str) -> Result<RstRequest, SoapError> {
    let mut request = RstRequest::default();
    let (mut username, mut password) = (None::<String>, None::<String>);
    let mut too_many = false;
    walk(xml, |path, node| match node {
        Node::Start(_) if ends_with(path, &["RequestSecurityToken"]) && request.tokens.len() >= MAX_TOKENS => {
            too_many = true;
        }
        Node::Start(attributes) if ends_with(path, &["RequestSecurityToken"]) => {
            let id = attributes.iter().find(|(k, _)| k == "Id").map(|(_, v)| v.clone());
            request.tokens.push(TokenRequest { id, ..TokenRequest::default() });
        }
        Node::Start(attributes) if ends_with(path, &["PolicyReference"]) => {
            if let Some(token) = request.tokens.last_mut() {
                token.policy = attributes.iter().find(|(k, _)| k == "URI").map(|(_, v)| v.clone());
            }
        }
        Node::Text(text) if ends_with(path, &["UsernameToken", "Username"]) => {
            username.get_or_insert_with(String::new).push_str(text);
        }
        Node::Text(text) if ends_with(path, &["UsernameToken", "Password"]) => {
            password.get_or_insert_with(String::new).push_str(text);
        }
        Node::Text(text) if ends_with(path, &["EndpointReference", "Address"]) => {
            if let Some(token) = request.tokens.last_mut() {
                token.address.push_str(text.trim());
            }
        }
        _ => {}
    })?;
    if too_many {
        return Err(SoapError::TooMany("RequestSecurityToken", MAX_TOKENS));
    }
    request.username = username.ok_or(SoapError::Missing("Username"))?;
    request.password = password.unwrap_or_default();
    if request.tokens.is_empty() {
        return Err(SoapError::Missing("RequestSecurityToken"));
    }
    Ok(request)
}

/// A token to put in the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub address: String,
    /// `t=…&p=…` for compact tokens; the opaque blob for the legacy Passport.NET/tb token.
    pub ticket: String,
    /// The base64 proof key, where one is issued.
    pub binary_secret: Option<String>,
}

/// The master token's address: it gets a legacy (encrypted-data) token.
pub const PASSPORT_TB: &str = "http://Passport.NET/tb";

/// The `RequestSecurityTokenResponseCollection`. Token ids are numbered by
/// request position (`Compact1` for the second token asked for), and nothing,
/// not even whitespace, separates the responses: libpurple walks siblings.
pub fn render_response(tokens: &[IssuedToken], puid: u64, created: &str, expires: &str) -> String {
    let mut body = String::with_capacity(1024 + tokens.len() * 1024);
    body.push_str(concat!(
        r#"<?xml version="1.0" encoding="utf-8" ?>"#,
        r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">"#,
        r#"<S:Header><psf:pp xmlns:psf="http://schemas.microsoft.com/Passport/SoapServices/SOAPFault">"#,
        r#"<psf:serverVersion>1</psf:serverVersion>"#,
    ));
    body.push_str(&format!("<psf:PUID>{puid:016X}</psf:PUID>"));
    body.push_str(concat!(
        r#"<psf:authstate>0x48803</psf:authstate><psf:reqstatus>0x0</psf:reqstatus>"#,
        r#"<psf:serverInfo Path="Live1" RollingUpgradeState="ExclusiveNew" LocVersion="0">msnpd</psf:serverInfo>"#,
        r#"<psf:cookies/><psf:response/></psf:pp></S:Header><S:Body>"#,
        r#"<wst:RequestSecurityTokenResponseCollection xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" "#,
        r#"xmlns:wst="http://schemas.xmlsoap.org/ws/2004/04/trust" "#,
        r#"xmlns:wsse="http://schemas.xmlsoap.org/ws/2003/06/secext" "#,
        r#"xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" "#,
        r#"xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" "#,
        r#"xmlns:wsp="http://schemas.xmlsoap.org/ws/2002/12/policy" "#,
        r#"xmlns:psf="http://schemas.microsoft.com/Passport/SoapServices/SOAPFault">"#,
    ));
    for (index, token) in tokens.iter().enumerate() {
        let legacy = token.address == PASSPORT_TB;
        let address = escape_xml(&token.address);
        let ticket = escape_xml(&token.ticket);
        body.push_str("<wst:RequestSecurityTokenResponse><wst:TokenType>");
        body.push_str(if legacy { "urn:passport:legacy" } else { "urn:passport:compact" });
        body.push_str(r#"</wst:TokenType><wsp:AppliesTo xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/03/addressing"><wsa:EndpointReference><wsa:Address>"#);
        body.push_str(&address);
        body.push_str("</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>");
        body.push_str(&format!(
            "<wst:LifeTime><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wst:LifeTime>"
        ));
        if legacy {
            body.push_str(&format!(
                concat!(
                    r#"<wst:RequestedSecurityToken><EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#" Id="BinaryDAToken{i}" Type="http://www.w3.org/2001/04/xmlenc#Element">"#,
                    r#"<EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#tripledes-cbc"></EncryptionMethod>"#,
                    r#"<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:KeyName>http://Passport.NET/STS</ds:KeyName></ds:KeyInfo>"#,
                    r#"<CipherData><CipherValue>{ticket}</CipherValue></CipherData></EncryptedData></wst:RequestedSecurityToken>"#,
                    r#"<wst:RequestedTokenReference><wsse:KeyIdentifier ValueType="urn:passport"></wsse:KeyIdentifier>"#,
                    r##"<wsse:Reference URI="#BinaryDAToken{i}"></wsse:Reference></wst:RequestedTokenReference>"##,
                ),
                i = index,
                ticket = ticket
            ));
        } else {
            body.push_str(&format!(
                concat!(
                    r#"<wst:RequestedSecurityToken><wsse:BinarySecurityToken Id="Compact{i}">{ticket}</wsse:BinarySecurityToken></wst:RequestedSecurityToken>"#,
                    r#"<wst:RequestedTokenReference><wsse:KeyIdentifier ValueType="urn:passport:compact"></wsse:KeyIdentifier>"#,
                    r##"<wsse:Reference URI="#Compact{i}"></wsse:Reference></wst:RequestedTokenReference>"##,
                ),
                i = index,
                ticket = ticket
            ));
        }
        if let Some(secret) = &token.binary_secret {
            body.push_str("<wst:RequestedProofToken><wst:BinarySecret>");
            body.push_str(&escape_xml(secret));
            body.push_str("</wst:BinarySecret></wst:RequestedProofToken>");
        }
        body.push_str("</wst:RequestSecurityTokenResponse>");
    }
    body.push_str("</wst:RequestSecurityTokenResponseCollection></S:Body></S:Envelope>");
    body
}

/// The request a client sends to RST.srf for `tokens`, as WLM 2009 and
/// Pidgin word it.
pub fn render_request(username: &str, password: &str, tokens: &[TokenRequest]) -> String {
    let mut body = String::with_capacity(2048 + tokens.len() * 512);
    body.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsse="http://schemas.xmlsoap.org/ws/2003/06/secext" "#,
        r#"xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" xmlns:wsp="http://schemas.xmlsoap.org/ws/2002/12/policy" "#,
        r#"xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" "#,
        r#"xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/03/addressing" xmlns:wssc="http://schemas.xmlsoap.org/ws/2004/04/sc" "#,
        r#"xmlns:wst="http://schemas.xmlsoap.org/ws/2004/04/trust"><Header>"#,
        r#"<ps:AuthInfo xmlns:ps="http://schemas.microsoft.com/Passport/SoapServices/PPCRL" Id="PPAuthInfo">"#,
        r#"<ps:HostingApp>{7108E71A-9926-4FCB-BCC9-9A9D3F32E423}</ps:HostingApp><ps:BinaryVersion>4</ps:BinaryVersion>"#,
        r#"<ps:UIVersion>1</ps:UIVersion><ps:Cookies></ps:Cookies><ps:RequestParams>AQAAAAIAAABsYwQAAAAxMDMz</ps:RequestParams></ps:AuthInfo>"#,
        r#"<wsse:Security><wsse:UsernameToken Id="user"><wsse:Username>"#,
    ));
    body.push_str(&escape_xml(username));
    body.push_str("</wsse:Username><wsse:Password>");
    body.push_str(&escape_xml(password));
    body.push_str(concat!(
        "</wsse:Password></wsse:UsernameToken></wsse:Security></Header><Body>",
        r#"<ps:RequestMultipleSecurityTokens xmlns:ps="http://schemas.microsoft.com/Passport/SoapServices/PPCRL" Id="RSTS">"#,
    ));
    for (index, token) in tokens.iter().enumerate() {
        let id = token.id.clone().unwrap_or_else(|| format!("RST{index}"));
        body.push_str(&format!(
            concat!(
                r#"<wst:RequestSecurityToken Id="{id}"><wst:RequestType>http://schemas.xmlsoap.org/ws/2004/04/security/trust/Issue</wst:RequestType>"#,
                r#"<wsp:AppliesTo><wsa:EndpointReference><wsa:Address>{address}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>"#,
            ),
            id = escape_xml(&id),
            address = escape_xml(&token.address)
        ));
        if let Some(policy) = &token.policy {
            body.push_str(&format!(r#"<wsse:PolicyReference URI="{}"></wsse:PolicyReference>"#, escape_xml(policy)));
        }
        body.push_str("</wst:RequestSecurityToken>");
    }
    body.push_str("</ps:RequestMultipleSecurityTokens></Body></Envelope>");
    body
}

/// The tokens of an RST.srf response, in order; a fault (wrong credentials)
/// is `SoapError::Fault` with its `faultcode`.
pub fn parse_response(xml: &str) -> Result<Vec<IssuedToken>, SoapError> {
    let envelope = super::envelope::Envelope::parse(xml)?;
    if envelope.operation == "Fault" {
        let code = envelope.text(&["Fault", "faultcode"]).unwrap_or("Fault");
        return Err(SoapError::Fault(code.to_owned()));
    }
    let tokens = envelope
        .each(&["RequestSecurityTokenResponse"])
        .into_iter()
        .filter_map(|index| {
            let text = |relative: &[&str]| envelope.child_text(index, relative).map(str::to_owned);
            let address = text(&["AppliesTo", "EndpointReference", "Address"])?;
            let ticket = text(&["RequestedSecurityToken", "BinarySecurityToken"])
                .or_else(|| text(&["RequestedSecurityToken", "EncryptedData", "CipherData", "CipherValue"]))?;
            let binary_secret = text(&["RequestedProofToken", "BinarySecret"]);
            Some(IssuedToken { address, ticket, binary_secret })
        })
        .collect::<Vec<_>>();
    if tokens.is_empty() {
        return Err(SoapError::Missing("RequestSecurityTokenResponse"));
    }
    Ok(tokens)
}

/// The SOAP fault for wrong credentials.
pub fn render_failed_authentication() -> String {
    concat!(
        r#"<?xml version="1.0" encoding="utf-8" ?>"#,
        r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsse="http://schemas.xmlsoap.org/ws/2003/06/secext" xmlns:psf="http://schemas.microsoft.com/Passport/SoapServices/SOAPFault">"#,
        r#"<S:Header><psf:pp><psf:serverVersion>1</psf:serverVersion><psf:authstate>0x80048800</psf:authstate>"#,
        r#"<psf:reqstatus>0x80048821</psf:reqstatus></psf:pp></S:Header>"#,
        r#"<S:Body><S:Fault><faultcode>wsse:FailedAuthentication</faultcode>"#,
        r#"<faultstring>Authentication Failure</faultstring></S:Fault></S:Body></S:Envelope>"#,
    )
    .to_owned()
}

/// The SOAP fault for a request that cannot be read.
pub fn render_bad_request(reason: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8" ?>"#,
            r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">"#,
            r#"<S:Body><S:Fault><faultcode>S:Client</faultcode><faultstring>{}</faultstring></S:Fault></S:Body></S:Envelope>"#,
        ),
        escape_xml(reason)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsse="http://schemas.xmlsoap.org/ws/2003/06/secext" xmlns:wst="http://schemas.xmlsoap.org/ws/2004/04/trust" xmlns:wsp="http://schemas.xmlsoap.org/ws/2002/12/policy" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/03/addressing" xmlns:ps="http://schemas.microsoft.com/Passport/SoapServices/PPCRL">
<Header><wsse:Security><wsse:UsernameToken Id="user"><wsse:Username>alice@example.com</wsse:Username><wsse:Password>p&amp;ss</wsse:Password></wsse:UsernameToken></wsse:Security></Header>
<Body><ps:RequestMultipleSecurityTokens Id="RSTS">
<wst:RequestSecurityToken Id="RST0"><wst:RequestType>http://schemas.xmlsoap.org/ws/2004/04/security/trust/Issue</wst:RequestType><wsp:AppliesTo><wsa:EndpointReference><wsa:Address>http://Passport.NET/tb</wsa:Address></wsa:EndpointReference></wsp:AppliesTo></wst:RequestSecurityToken>
<wst:RequestSecurityToken Id="RST1"><wst:RequestType>http://schemas.xmlsoap.org/ws/2004/04/security/trust/Issue</wst:RequestType><wsp:AppliesTo><wsa:EndpointReference><wsa:Address>messengerclear.live.com</wsa:Address></wsa:EndpointReference></wsp:AppliesTo><wsse:PolicyReference URI="MBI_KEY_OLD"></wsse:PolicyReference></wst:RequestSecurityToken>
</ps:RequestMultipleSecurityTokens></Body></Envelope>"#;

    #[test]
    fn a_rendered_request_reads_back_and_a_response_parses() {
        let asked = [
            TokenRequest { id: None, address: PASSPORT_TB.into(), policy: None },
            TokenRequest { id: None, address: "messengerclear.live.com".into(), policy: Some("MBI_KEY_OLD".into()) },
        ];
        let request = parse_request(&render_request("a<b@example.com", "p&ss", &asked)).expect("parses");
        assert_eq!((request.username.as_str(), request.password.as_str()), ("a<b@example.com", "p&ss"));
        assert_eq!(request.tokens[1].policy.as_deref(), Some("MBI_KEY_OLD"));
        assert_eq!(request.tokens[1].id.as_deref(), Some("RST1"));
        let issued = vec![
            IssuedToken { address: PASSPORT_TB.into(), ticket: "blob".into(), binary_secret: Some("c2VjcmV0".into()) },
            IssuedToken { address: "messengerclear.live.com".into(), ticket: "t=abc&p=".into(), binary_secret: None },
        ];
        let xml = render_response(&issued, 1, "2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z");
        assert_eq!(parse_response(&xml), Ok(issued));
        assert_eq!(
            parse_response(&render_failed_authentication()),
            Err(SoapError::Fault("wsse:FailedAuthentication".into()))
        );
    }

    #[test]
    fn reads_credentials_and_tokens_in_order() {
        let request = parse_request(REQUEST).expect("parses");
        assert_eq!(request.username, "alice@example.com");
        assert_eq!(request.password, "p&ss");
        assert_eq!(request.tokens.len(), 2);
        assert_eq!(request.tokens[0].address, PASSPORT_TB);
        assert_eq!(request.tokens[1].id.as_deref(), Some("RST1"));
        assert_eq!(request.tokens[1].policy.as_deref(), Some("MBI_KEY_OLD"));
    }

    #[test]
    fn any_prefix_is_accepted_and_bad_xml_refused() {
        let renamed = REQUEST.replace("wsse:", "x:").replace("xmlns:wsse", "xmlns:x");
        assert_eq!(parse_request(&renamed).expect("parses").username, "alice@example.com");
        assert!(matches!(parse_request("<a><b></a>"), Err(SoapError::Xml(_))));
        assert_eq!(parse_request("<Envelope/>"), Err(SoapError::Missing("Username")));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse_request(&deep), Err(SoapError::TooDeep(crate::xml::MAX_DEPTH)));
    }

    #[test]
    fn response_numbers_tokens_by_position_without_whitespace() {
        let tokens = [
            IssuedToken { address: PASSPORT_TB.into(), ticket: "blob".into(), binary_secret: Some("c2VjcmV0".into()) },
            IssuedToken {
                address: "messengerclear.live.com".into(),
                ticket: "t=abc&p=".into(),
                binary_secret: Some("a2V5".into()),
            },
        ];
        let xml = render_response(&tokens, 1, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
        assert!(xml.contains(r#"<wsse:BinarySecurityToken Id="Compact1">t=abc&amp;p=</wsse:BinarySecurityToken>"#));
        assert!(xml.contains("<CipherValue>blob</CipherValue>"));
        assert!(xml.contains("</wst:RequestSecurityTokenResponse><wst:RequestSecurityTokenResponse>"));
        assert!(xml.contains("<wsa:Address>messengerclear.live.com</wsa:Address>"));
        assert!(xml.contains("<wst:BinarySecret>a2V5</wst:BinarySecret>"));
        assert!(!xml.contains('\n'));
    }
}
