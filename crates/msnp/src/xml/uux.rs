//! The `UUX` personal-status payload (MSNP11+) and the `UBX` payload sent to contacts.

use super::{Node, XmlError, walk};
use crate::text::escape_xml;

/// What a user publishes with `UUX`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PersonalStatus {
    /// The personal message (PSM).
    pub message: String,
    /// `\0Music\01\0{0} - {1}\0Title\0Artist\0…`, as the client wrote it.
    pub current_media: String,
    /// The client's machine GUID (MSNP13+), if given.
    pub machine_guid: Option<String>,
    /// What an MSNP18 client publishes beside the message (`DDP`, `SignatureSound`,
    /// `Scene`, `ColorScheme`), passed on as written; empty when not given.
    pub ddp: String,
    pub signature_sound: String,
    pub scene: String,
    pub color_scheme: String,
}

impl PersonalStatus {
    /// The MSNP16+ elements after `CurrentMedia`, in the order clients write them.
    fn extras(&self) -> [(&'static str, &str); 5] {
        [
            ("MachineGuid", self.machine_guid.as_deref().unwrap_or_default()),
            ("DDP", &self.ddp),
            ("SignatureSound", &self.signature_sound),
            ("Scene", &self.scene),
            ("ColorScheme", &self.color_scheme),
        ]
    }
}

/// What an MSNP16+ client says about one of its endpoints (`<PrivateEndpointData>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
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
            (["Data", "DDP"], Node::Text(text)) => status.ddp.push_str(text),
            (["Data", "SignatureSound"], Node::Text(text)) => status.signature_sound.push_str(text),
            (["Data", "Scene"], Node::Text(text)) => status.scene.push_str(text),
            (["Data", "ColorScheme"], Node::Text(text)) => status.color_scheme.push_str(text.trim()),
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EndpointView {
    pub guid: String,
    /// `caps:extcaps`; `None` while the endpoint has told nothing.
    pub capabilities: Option<String>,
    /// Only the user's own endpoints see this.
    pub private: Option<PrivateEndpoint>,
}

/// The MSNP16+ `UBX` payload: the status plus one `EndpointData` per endpoint,
/// and for the user's own endpoints their `PrivateEndpointData`.
///
/// A value not known is left out with its element rather than sent empty:
/// clients read `Capabilities` and `ClientType` as numbers and crash on an
/// empty element (libpurple `parse_user_endpoints`). `PSM` and `CurrentMedia`
/// are text, and stay even when empty, as the original service sent them.
pub fn render_ubx_with_endpoints(status: &PersonalStatus, endpoints: &[EndpointView]) -> String {
    let mut xml = format!(
        "<Data><PSM>{}</PSM><CurrentMedia>{}</CurrentMedia>",
        escape_xml(&status.message),
        escape_xml(&status.current_media)
    );
    for (name, value) in status.extras() {
        element(&mut xml, name, value);
    }
    for endpoint in endpoints {
        xml.push_str(&format!("<EndpointData id=\"{}\">", escape_xml(&endpoint.guid)));
        element(&mut xml, "Capabilities", endpoint.capabilities.as_deref().unwrap_or_default());
        xml.push_str("</EndpointData>");
    }
    for endpoint in endpoints {
        if let Some(private) = &endpoint.private {
            xml.push_str(&format!("<PrivateEndpointData id=\"{}\">", escape_xml(&endpoint.guid)));
            element(&mut xml, "EpName", &private.name);
            xml.push_str(&format!("<Idle>{}</Idle>", private.idle));
            element(&mut xml, "ClientType", &private.client_type);
            element(&mut xml, "State", &private.state);
            xml.push_str("</PrivateEndpointData>");
        }
    }
    xml.push_str("</Data>");
    xml
}

/// `<name>value</name>`, or nothing when the value is empty.
fn element(xml: &mut String, name: &str, value: &str) {
    if !value.is_empty() {
        xml.push_str(&format!("<{name}>{}</{name}>", escape_xml(value)));
    }
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
        let endpoints = [
            EndpointView {
                guid: "{a}".into(),
                capabilities: Some("1:2".into()),
                private: Some(PrivateEndpoint::default()),
            },
            EndpointView { guid: "{b}".into(), capabilities: None, private: None },
        ];
        let ubx = render_ubx_with_endpoints(&PersonalStatus::default(), &endpoints);
        assert_eq!(
            ubx,
            concat!(
                r#"<Data><PSM></PSM><CurrentMedia></CurrentMedia><EndpointData id="{a}"><Capabilities>1:2</Capabilities></EndpointData>"#,
                r#"<EndpointData id="{b}"></EndpointData><PrivateEndpointData id="{a}"><Idle>false</Idle></PrivateEndpointData></Data>"#
            )
        );
        let status = parse("<Data><PSM>p</PSM><CurrentMedia></CurrentMedia><MachineGuid>{g}</MachineGuid><DDP></DDP><Scene>s</Scene><ColorScheme>-3</ColorScheme></Data>")
            .expect("MSNP18 data");
        assert_eq!(
            render_ubx_with_endpoints(&status, &[]),
            "<Data><PSM>p</PSM><CurrentMedia></CurrentMedia><MachineGuid>{g}</MachineGuid><Scene>s</Scene><ColorScheme>-3</ColorScheme></Data>"
        );
        assert!(parse("<Other/>").is_err());
    }
}
