//! WS-Trust `RequestSecurityToken` / `RequestMultipleSecurityTokens` (the
//! Passport RST.srf service of MSNP12+ clients) and its response.

mod response;

pub use response::{
    FAILED_AUTHENTICATION, Grant, TrustDialect, render_bad_request, render_failed_authentication, render_response,
};

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
/// is `SoapError::Fault` with its code (SOAP 1.1 `faultcode`, or the SOAP 1.2
/// `Subcode` where there is one).
pub fn parse_response(xml: &str) -> Result<Vec<IssuedToken>, SoapError> {
    let envelope = super::envelope::Envelope::parse(xml)?;
    if envelope.operation == "Fault" {
        let code = envelope
            .text(&["Fault", "faultcode"])
            .or_else(|| envelope.text(&["Fault", "Code", "Subcode", "Value"]))
            .or_else(|| envelope.text(&["Fault", "Code", "Value"]))
            .unwrap_or("Fault");
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
        let grant = Grant {
            puid: 1,
            cid: 1,
            email: "a@example.com",
            created: "2026-11-25T00:00:00Z",
            expires: "2026-11-26T00:00:00Z",
        };
        for (dialect, fault) in
            [(TrustDialect::Rst, "wsse:FailedAuthentication"), (TrustDialect::Rst2, "wst:FailedAuthentication")]
        {
            assert_eq!(parse_response(&render_response(dialect, &issued, &grant)), Ok(issued.clone()));
            assert_eq!(parse_response(&render_failed_authentication(dialect)), Err(SoapError::Fault(fault.into())));
        }
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
}
