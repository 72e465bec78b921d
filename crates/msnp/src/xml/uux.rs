//! The `UUX` personal-status payload (MSNP11+) and the `UBX` payload sent to contacts.

use super::{Node, XmlError, walk};
use crate::text::escape_xml;

/// What a user publishes with `UUX`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonalStatus {
    /// The personal message (PSM).
    pub message: String,
    /// `\0Music\01\0{0} - {1}\0Title\0Artist\0…`, as the client wrote it.
    pub current_media: String,
    /// The client's machine GUID (MSNP13+), if given.
    pub machine_guid: Option<String>,
}

/// What an MSNP16+ client says about one of its endpoints (`<PrivateEndpointData>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivateEndpoint {
    pub name: String,
    pub idle: bool,
    pub client_type: String,
    pub state: String,
}

/// The three payloads `UUX` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UuxPayload {
    /// `<Data>`: personal message and current media.
    Status(PersonalStatus),
    /// `<EndpointData>` (MSNP16+): the endpoint's `caps:extcaps`.
    Endpoint { capabilities: String },
    /// `<PrivateEndpointData>` (MSNP16+): what the user's own endpoints see of it.
    PrivateEndpoint(PrivateEndpoint),
}

/// Reads a `UUX` payload; elements not listed above are ignored.
pub fn parse_payload(xml: &str) -> Result<UuxPayload, XmlError> {
    let mut status = PersonalStatus::default();
    let mut private = PrivateEndpoint::default();
    let mut capabilities = String::new();
    let mut root: Option<String> = None;
    walk(xml, |path, node| {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        match (names.as_slice(), node) {
            ([first], Node::Start(_)) => root = Some((*first).to_owned()),
            (["Data", "PSM"], Node::Text(text)) => status.message.push_str(text),
            (["Data", "CurrentMedia"], Node::Text(text)) => status.current_media.push_str(text),
            (["Data", "MachineGuid"], Node::Text(text)) => {
                status.machine_guid.get_or_insert_with(String::new).push_str(text.trim());
            }
            (["EndpointData", "Capabilities"], Node::Text(text)) => capabilities.push_str(text.trim()),
            (["PrivateEndpointData", "EpName"], Node::Text(text)) => private.name.push_str(text),
            (["PrivateEndpointData", "Idle"], Node::Text(text)) => private.idle = text.trim() == "true",
            (["PrivateEndpointData", "ClientType"], Node::Text(text)) => private.client_type.push_str(text.trim()),
            (["PrivateEndpointData", "State"], Node::Text(text)) => private.state.push_str(text.trim()),
            _ => {}
        }
    })?;
    match root.as_deref() {
        Some("Data") => Ok(UuxPayload::Status(status)),
        Some("EndpointData") => Ok(UuxPayload::Endpoint { capabilities }),
        Some("PrivateEndpointData") => Ok(UuxPayload::PrivateEndpoint(private)),
        _ => Err(XmlError::Missing("Data")),
    }
}

/// Reads `<Data><PSM>…</PSM><CurrentMedia>…</CurrentMedia>…</Data>`.
pub fn parse(xml: &str) -> Result<PersonalStatus, XmlError> {
    match parse_payload(xml)? {
        UuxPayload::Status(status) => Ok(status),
        _ => Err(XmlError::Missing("Data")),
    }
}

/// One endpoint of a user as `UBX` lists it (MSNP16+).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointView {
    pub guid: String,
    pub capabilities: String,
    /// Only the user's own endpoints see this.
    pub private: Option<PrivateEndpoint>,
}

/// The MSNP16+ `UBX` payload: the status plus one `EndpointData` per endpoint,
/// and for the user's own endpoints their `PrivateEndpointData`.
pub fn render_ubx_with_endpoints(status: &PersonalStatus, endpoints: &[EndpointView]) -> String {
    let mut xml = format!(
        "<Data><PSM>{}</PSM><CurrentMedia>{}</CurrentMedia><MachineGuid></MachineGuid><DDP></DDP><SignatureSound></SignatureSound><Scene></Scene><ColorScheme></ColorScheme>",
        escape_xml(&status.message),
        escape_xml(&status.current_media)
    );
    for endpoint in endpoints {
        xml.push_str(&format!(
            "<EndpointData id=\"{}\"><Capabilities>{}</Capabilities></EndpointData>",
            escape_xml(&endpoint.guid),
            escape_xml(&endpoint.capabilities)
        ));
    }
    for endpoint in endpoints {
        if let Some(private) = &endpoint.private {
            xml.push_str(&format!(
                "<PrivateEndpointData id=\"{}\"><EpName>{}</EpName><Idle>{}</Idle><ClientType>{}</ClientType><State>{}</State></PrivateEndpointData>",
                escape_xml(&endpoint.guid),
                escape_xml(&private.name),
                private.idle,
                escape_xml(&private.client_type),
                escape_xml(&private.state)
            ));
        }
    }
    xml.push_str("</Data>");
    xml
}

/// The `UBX` payload contacts receive (MSNP11–12 form).
pub fn render_ubx(status: &PersonalStatus) -> String {
    format!(
        "<Data><PSM>{}</PSM><CurrentMedia>{}</CurrentMedia></Data>",
        escape_xml(&status.message),
        escape_xml(&status.current_media)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_renders() {
        let status =
            parse("<Data><PSM>hi &amp; bye</PSM><CurrentMedia></CurrentMedia><MachineGuid>{1-2}</MachineGuid></Data>")
                .expect("parses");
        assert_eq!(status.message, "hi & bye");
        assert_eq!(status.machine_guid.as_deref(), Some("{1-2}"));
        assert_eq!(render_ubx(&status), "<Data><PSM>hi &amp; bye</PSM><CurrentMedia></CurrentMedia></Data>");
        assert_eq!(parse("<Data><PSM>x</PSM><CurrentMedia/></Data>").expect("empty media").current_media, "");
        assert!(parse("<Data><PSM>").is_err());
        assert_eq!(
            parse_payload("<EndpointData><Capabilities>2789003324:48</Capabilities></EndpointData>"),
            Ok(UuxPayload::Endpoint { capabilities: "2789003324:48".into() })
        );
        let private = parse_payload(
            "<PrivateEndpointData><EpName>My PC</EpName><Idle>false</Idle><ClientType>1</ClientType><State>NLN</State></PrivateEndpointData>",
        );
        assert_eq!(
            private,
            Ok(UuxPayload::PrivateEndpoint(PrivateEndpoint {
                name: "My PC".into(),
                idle: false,
                client_type: "1".into(),
                state: "NLN".into()
            }))
        );
        let endpoints = [EndpointView {
            guid: "{a}".into(),
            capabilities: "1:2".into(),
            private: Some(PrivateEndpoint::default()),
        }];
        let ubx = render_ubx_with_endpoints(&PersonalStatus::default(), &endpoints);
        assert!(ubx.contains(r#"<EndpointData id="{a}"><Capabilities>1:2</Capabilities></EndpointData><PrivateEndpointData id="{a}"><EpName></EpName>"#));
        assert!(parse("<Other/>").is_err());
    }
}
