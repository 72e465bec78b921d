//! SOAP payloads of the Passport and MSNP13+ web services.

pub mod abch;
pub mod circles;
pub mod envelope;
pub mod oim;
pub mod rst;
pub mod storage;

pub use crate::xml::XmlError as SoapError;

/// A SOAP 1.1 response envelope as the Messenger services wrote it: the XML
/// declaration, the `soap`/`xsi`/`xsd` namespaces, an optional header and the body.
pub(crate) fn response_envelope(header: Option<&str>, body: &str) -> String {
    let header = header.map(|header| format!("<soap:Header>{header}</soap:Header>")).unwrap_or_default();
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?>"#,
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">"#,
            r#"{header}<soap:Body>{body}</soap:Body></soap:Envelope>"#
        ),
        header = header,
        body = body
    )
}
