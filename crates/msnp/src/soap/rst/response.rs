//! What the Passport token services answer. `RST.srf` and `RST2.srf` issue
//! the same tokens but speak different versions of SOAP and WS-Trust; each
//! client reads only its own, so the difference is a [`TrustDialect`] and
//! nothing else.

use super::{IssuedToken, PASSPORT_TB};
use crate::text::escape_xml;

/// Which token service a request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustDialect {
    /// `RST.srf`: SOAP 1.1, WS-Trust 2004/04, `wst:LifeTime` (Pidgin, msn-pecan, WLM 8.x).
    Rst,
    /// `RST2.srf`: SOAP 1.2, WS-Trust 2005/02, WS-Addressing 2005/08, `wst:Lifetime`,
    /// the sign-in's security header and its credential properties (WLM 2009, MSNPSharp,
    /// whose proxy is generated from the service's WSDL and finds nothing in any other form).
    Rst2,
}

/// The namespaces and names one dialect writes.
struct Names {
    soap: &'static str,
    trust: &'static str,
    secext: &'static str,
    policy: &'static str,
    addressing: &'static str,
    lifetime: &'static str,
    content_type: &'static str,
}

const UTILITY: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const PSF: &str = "http://schemas.microsoft.com/Passport/SoapServices/SOAPFault";

impl TrustDialect {
    const fn names(self) -> Names {
        match self {
            TrustDialect::Rst => Names {
                soap: "http://schemas.xmlsoap.org/soap/envelope/",
                trust: "http://schemas.xmlsoap.org/ws/2004/04/trust",
                secext: "http://schemas.xmlsoap.org/ws/2003/06/secext",
                policy: "http://schemas.xmlsoap.org/ws/2002/12/policy",
                addressing: "http://schemas.xmlsoap.org/ws/2004/03/addressing",
                lifetime: "LifeTime",
                content_type: "text/xml; charset=utf-8",
            },
            TrustDialect::Rst2 => Names {
                soap: "http://www.w3.org/2003/05/soap-envelope",
                trust: "http://schemas.xmlsoap.org/ws/2005/02/trust",
                secext: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
                policy: "http://schemas.xmlsoap.org/ws/2004/09/policy",
                addressing: "http://www.w3.org/2005/08/addressing",
                lifetime: "Lifetime",
                content_type: "application/soap+xml; charset=utf-8",
            },
        }
    }

    /// The `Content-Type` of this dialect's answers.
    pub const fn content_type(self) -> &'static str {
        self.names().content_type
    }
}

/// Who signed in, and the tokens' lifetime (RFC 3339, whole seconds).
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    pub puid: u64,
    /// The account's CID, written in hex as the credential property clients read.
    pub cid: u64,
    pub email: &'a str,
    pub created: &'a str,
    pub expires: &'a str,
}

/// The `RequestSecurityTokenResponseCollection`. Token ids are numbered by
/// request position (`Compact1` for the second token asked for), and nothing,
/// not even whitespace, separates the responses: libpurple walks siblings.
pub fn render_response(dialect: TrustDialect, tokens: &[IssuedToken], grant: &Grant) -> String {
    let n = dialect.names();
    let Grant { puid, cid, created, expires, .. } = *grant;
    let mut body = String::with_capacity(2048 + tokens.len() * 1024);
    body.push_str(&format!(r#"<?xml version="1.0" encoding="utf-8" ?><S:Envelope xmlns:S="{}""#, n.soap));
    if dialect == TrustDialect::Rst2 {
        body.push_str(&format!(r#" xmlns:wsse="{}" xmlns:wsu="{UTILITY}" xmlns:wsa="{}""#, n.secext, n.addressing));
    }
    body.push_str("><S:Header>");
    if dialect == TrustDialect::Rst2 {
        body.push_str(concat!(
            r#"<wsa:Action wsu:Id="Action" S:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/02/trust/RSTR/Issue</wsa:Action>"#,
            r#"<wsa:To wsu:Id="To" S:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>"#,
        ));
        body.push_str(&format!(
            concat!(
                r#"<wsse:Security S:mustUnderstand="1"><wsu:Timestamp wsu:Id="TS">"#,
                r#"<wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp></wsse:Security>"#,
            ),
            created = created,
            expires = expires
        ));
    }
    body.push_str(&format!(
        r#"<psf:pp xmlns:psf="{PSF}"><psf:serverVersion>1</psf:serverVersion><psf:PUID>{puid:016X}</psf:PUID>"#
    ));
    body.push_str(concat!(
        r#"<psf:authstate>0x48803</psf:authstate><psf:reqstatus>0x0</psf:reqstatus>"#,
        r#"<psf:serverInfo Path="Live1" RollingUpgradeState="ExclusiveNew" LocVersion="0">msnpd</psf:serverInfo>"#,
        r#"<psf:cookies/>"#,
    ));
    if dialect == TrustDialect::Rst2 {
        // WLM 2009 and MSNPSharp take the owner's CID from here.
        body.push_str(&format!(
            concat!(
                r#"<psf:credProperties><psf:credProperty Name="MainBrandID">MSFT</psf:credProperty>"#,
                r#"<psf:credProperty Name="CID">{cid:016x}</psf:credProperty>"#,
                r#"<psf:credProperty Name="AuthMembername">{email}</psf:credProperty></psf:credProperties>"#,
                r#"<psf:extProperties><psf:extProperty Name="CID">{cid:016x}</psf:extProperty></psf:extProperties>"#,
            ),
            cid = cid,
            email = escape_xml(grant.email)
        ));
    }
    body.push_str("<psf:response/></psf:pp></S:Header><S:Body>");
    body.push_str(&format!(
        concat!(
            r#"<wst:RequestSecurityTokenResponseCollection xmlns:S="{soap}" xmlns:wst="{trust}" xmlns:wsse="{secext}" "#,
            r#"xmlns:wsu="{utility}" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" xmlns:wsp="{policy}" xmlns:psf="{psf}">"#,
        ),
        soap = n.soap,
        trust = n.trust,
        secext = n.secext,
        utility = UTILITY,
        policy = n.policy,
        psf = PSF
    ));
    for (index, token) in tokens.iter().enumerate() {
        render_token(&mut body, dialect, &n, index, token, created, expires);
    }
    body.push_str("</wst:RequestSecurityTokenResponseCollection></S:Body></S:Envelope>");
    body
}

fn render_token(
    body: &mut String,
    dialect: TrustDialect,
    n: &Names,
    index: usize,
    token: &IssuedToken,
    created: &str,
    expires: &str,
) {
    let legacy = token.address == PASSPORT_TB;
    let id = if legacy { format!("BinaryDAToken{index}") } else { format!("Compact{index}") };
    body.push_str("<wst:RequestSecurityTokenResponse><wst:TokenType>");
    body.push_str(if legacy { "urn:passport:legacy" } else { "urn:passport:compact" });
    body.push_str(&format!(
        concat!(
            r#"</wst:TokenType><wsp:AppliesTo xmlns:wsa="{addressing}"><wsa:EndpointReference><wsa:Address>{address}</wsa:Address>"#,
            r#"</wsa:EndpointReference></wsp:AppliesTo><wst:{lifetime}><wsu:Created>{created}</wsu:Created>"#,
            r#"<wsu:Expires>{expires}</wsu:Expires></wst:{lifetime}><wst:RequestedSecurityToken>"#,
        ),
        addressing = n.addressing,
        address = escape_xml(&token.address),
        lifetime = n.lifetime,
        created = created,
        expires = expires
    ));
    let ticket = escape_xml(&token.ticket);
    if legacy {
        body.push_str(&format!(
            concat!(
                r#"<EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#" Id="{id}" Type="http://www.w3.org/2001/04/xmlenc#Element">"#,
                r#"<EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#tripledes-cbc"></EncryptionMethod>"#,
                r#"<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:KeyName>http://Passport.NET/STS</ds:KeyName></ds:KeyInfo>"#,
                r#"<CipherData><CipherValue>{ticket}</CipherValue></CipherData></EncryptedData>"#,
            ),
            id = id,
            ticket = ticket
        ));
    } else {
        body.push_str(&format!(r#"<wsse:BinarySecurityToken Id="{id}">{ticket}</wsse:BinarySecurityToken>"#));
    }
    body.push_str("</wst:RequestedSecurityToken>");
    let value_type = if legacy { "urn:passport" } else { "urn:passport:compact" };
    match dialect {
        TrustDialect::Rst => body.push_str(&format!(
            concat!(
                r#"<wst:RequestedTokenReference><wsse:KeyIdentifier ValueType="{value_type}"></wsse:KeyIdentifier>"#,
                r##"<wsse:Reference URI="#{id}"></wsse:Reference></wst:RequestedTokenReference>"##,
            ),
            value_type = value_type,
            id = id
        )),
        // WS-Trust 2005/02 names the reference twice and has no RequestedTokenReference.
        TrustDialect::Rst2 => {
            for kind in ["Attached", "Unattached"] {
                body.push_str(&format!(
                    concat!(
                        r#"<wst:Requested{kind}Reference><wsse:SecurityTokenReference>"#,
                        r##"<wsse:Reference URI="#{id}"></wsse:Reference></wsse:SecurityTokenReference></wst:Requested{kind}Reference>"##,
                    ),
                    kind = kind,
                    id = id
                ));
            }
        }
    }
    if let Some(secret) = &token.binary_secret {
        body.push_str("<wst:RequestedProofToken><wst:BinarySecret>");
        body.push_str(&escape_xml(secret));
        body.push_str("</wst:BinarySecret></wst:RequestedProofToken>");
    }
    body.push_str("</wst:RequestSecurityTokenResponse>");
}

/// The Passport status of a failed sign-in (`psf:reqstatus`): wrong e-mail
/// address or password.
pub const FAILED_AUTHENTICATION: &str = "0x80048821";

/// The fault for wrong credentials, with the Passport header clients read the
/// status from.
pub fn render_failed_authentication(dialect: TrustDialect) -> String {
    let header = format!(
        concat!(
            r#"<S:Header><psf:pp xmlns:psf="{psf}"><psf:serverVersion>1</psf:serverVersion><psf:authstate>0x80048800</psf:authstate>"#,
            r#"<psf:reqstatus>{status}</psf:reqstatus></psf:pp></S:Header>"#,
        ),
        psf = PSF,
        status = FAILED_AUTHENTICATION
    );
    render_fault(dialect, &header, "wsse:FailedAuthentication", "Authentication Failure", true)
}

/// The fault for a request that cannot be read.
pub fn render_bad_request(dialect: TrustDialect, reason: &str) -> String {
    render_fault(dialect, "", "S:Client", reason, false)
}

/// A fault in the dialect's form: SOAP 1.1 `faultcode`/`faultstring`, or SOAP
/// 1.2 `Code/Value` (`S:Sender`) with the WS-Trust code as its `Subcode`.
fn render_fault(dialect: TrustDialect, header: &str, code: &str, reason: &str, trust_code: bool) -> String {
    let n = dialect.names();
    let reason = escape_xml(reason);
    let fault = match dialect {
        TrustDialect::Rst => {
            format!("<S:Fault><faultcode>{code}</faultcode><faultstring>{reason}</faultstring></S:Fault>")
        }
        TrustDialect::Rst2 => {
            let subcode = if trust_code {
                format!("<S:Subcode><S:Value>{}</S:Value></S:Subcode>", code.replacen("wsse:", "wst:", 1))
            } else {
                String::new()
            };
            format!(
                concat!(
                    r#"<S:Fault><S:Code><S:Value>S:Sender</S:Value>{subcode}</S:Code>"#,
                    r#"<S:Reason><S:Text xml:lang="en-US">{reason}</S:Text></S:Reason></S:Fault>"#,
                ),
                subcode = subcode,
                reason = reason
            )
        }
    };
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8" ?><S:Envelope xmlns:S="{soap}" xmlns:wsse="{secext}" xmlns:wst="{trust}">"#,
            r#"{header}<S:Body>{fault}</S:Body></S:Envelope>"#,
        ),
        soap = n.soap,
        secext = n.secext,
        trust = n.trust,
        header = header,
        fault = fault
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant<'static> {
        Grant {
            puid: 0x2A,
            cid: 0x2A,
            email: "a&b@example.com",
            created: "2026-01-01T00:00:00Z",
            expires: "2026-01-02T00:00:00Z",
        }
    }

    fn tokens() -> Vec<IssuedToken> {
        vec![
            IssuedToken { address: PASSPORT_TB.into(), ticket: "blob".into(), binary_secret: Some("c2VjcmV0".into()) },
            IssuedToken {
                address: "messengerclear.live.com".into(),
                ticket: "t=abc&p=".into(),
                binary_secret: Some("a2V5".into()),
            },
        ]
    }

    #[test]
    fn rst_numbers_tokens_by_position_without_whitespace() {
        let xml = render_response(TrustDialect::Rst, &tokens(), &grant());
        assert!(xml.contains(r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header>"#));
        assert!(xml.contains(r#"xmlns:wst="http://schemas.xmlsoap.org/ws/2004/04/trust""#));
        assert!(xml.contains(r#"<wsse:BinarySecurityToken Id="Compact1">t=abc&amp;p=</wsse:BinarySecurityToken>"#));
        assert!(xml.contains(r##"<wsse:Reference URI="#Compact1"></wsse:Reference></wst:RequestedTokenReference>"##));
        assert!(xml.contains("<wst:LifeTime><wsu:Created>2026-01-01T00:00:00Z</wsu:Created>"));
        assert!(xml.contains(r#"Id="BinaryDAToken0""#));
        assert!(xml.contains("<CipherValue>blob</CipherValue>"));
        assert!(xml.contains("</wst:RequestSecurityTokenResponse><wst:RequestSecurityTokenResponse>"));
        assert!(xml.contains("<psf:PUID>000000000000002A</psf:PUID>"));
        assert!(!xml.contains("credProperties") && !xml.contains("wsa:Action") && !xml.contains('\n'));
    }

    #[test]
    fn rst2_speaks_soap_12_and_ws_trust_2005() {
        let xml = render_response(TrustDialect::Rst2, &tokens(), &grant());
        for wanted in [
            r#"<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope""#,
            r#"xmlns:wst="http://schemas.xmlsoap.org/ws/2005/02/trust""#,
            r#"xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd""#,
            r#"xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy""#,
            r#"<wsp:AppliesTo xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:EndpointReference><wsa:Address>messengerclear.live.com</wsa:Address>"#,
            "<wst:Lifetime><wsu:Created>2026-01-01T00:00:00Z</wsu:Created><wsu:Expires>2026-01-02T00:00:00Z</wsu:Expires></wst:Lifetime>",
            r#"<wsse:BinarySecurityToken Id="Compact1">t=abc&amp;p=</wsse:BinarySecurityToken>"#,
            r##"<wst:RequestedAttachedReference><wsse:SecurityTokenReference><wsse:Reference URI="#Compact1">"##,
            "<wst:RequestedProofToken><wst:BinarySecret>a2V5</wst:BinarySecret></wst:RequestedProofToken>",
            r#"<psf:credProperty Name="CID">000000000000002a</psf:credProperty>"#,
            r#"<psf:credProperty Name="AuthMembername">a&amp;b@example.com</psf:credProperty>"#,
            "<wsu:Timestamp wsu:Id=\"TS\"><wsu:Created>2026-01-01T00:00:00Z</wsu:Created>",
            ">http://schemas.xmlsoap.org/ws/2005/02/trust/RSTR/Issue</wsa:Action>",
        ] {
            assert!(xml.contains(wanted), "missing {wanted} in {xml}");
        }
        assert!(!xml.contains("LifeTime") && !xml.contains("2004/04") && !xml.contains("RequestedTokenReference"));
        // The client side of this crate reads it back.
        assert_eq!(super::super::parse_response(&xml), Ok(tokens()));
    }

    #[test]
    fn faults_take_each_dialects_form() {
        let old = render_failed_authentication(TrustDialect::Rst);
        assert!(old.contains("<S:Fault><faultcode>wsse:FailedAuthentication</faultcode><faultstring>Authentication Failure</faultstring></S:Fault>"));
        let new = render_failed_authentication(TrustDialect::Rst2);
        assert!(new.contains(concat!(
            "<S:Fault><S:Code><S:Value>S:Sender</S:Value><S:Subcode><S:Value>wst:FailedAuthentication</S:Value></S:Subcode></S:Code>",
            r#"<S:Reason><S:Text xml:lang="en-US">Authentication Failure</S:Text></S:Reason></S:Fault>"#
        )));
        for xml in [&old, &new] {
            assert!(xml.contains("<psf:reqstatus>0x80048821</psf:reqstatus>"));
        }
        assert!(new.contains(r#"xmlns:S="http://www.w3.org/2003/05/soap-envelope""#));
        let bad = render_bad_request(TrustDialect::Rst2, "a <b>");
        assert!(bad.contains(
            r#"<S:Value>S:Sender</S:Value></S:Code><S:Reason><S:Text xml:lang="en-US">a &lt;b&gt;</S:Text>"#
        ));
        assert!(
            render_bad_request(TrustDialect::Rst, "x")
                .contains("<faultcode>S:Client</faultcode><faultstring>x</faultstring>")
        );
    }
}
