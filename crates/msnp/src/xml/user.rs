//! The `<user>` document of MSNP19+ presence: what a client publishes with
//! `PUT` (`Uri: /user`) and what its contacts are told with `NFY PUT`. Its
//! `<s n="…">` elements hold the user's services (`IM`: status and current
//! media; `PE`: name, personal message, picture), its `<sep n="…">`
//! elements what one endpoint says of itself.

use super::{Node, XmlError, walk};
use crate::text::escape_xml;

/// What a `PUT` of the user document says; `None` where it says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDocument {
    /// `<s n="IM"><Status>`: NLN, BSY, AWY, …
    pub status: Option<String>,
    pub current_media: Option<String>,
    /// `<s n="PE">`
    pub friendly_name: Option<String>,
    pub personal_message: Option<String>,
    /// The display picture's MSNObject (`UserTileLocation`).
    pub user_tile: Option<String>,
    pub machine_guid: Option<String>,
    /// `<sep n="IM"><Capabilities>` (`caps:extcaps`).
    pub capabilities: Option<String>,
    /// `<sep n="PD">`: the endpoint's name and whether it is idle.
    pub endpoint_name: Option<String>,
    pub idle: Option<bool>,
}

/// Reads a user document. Elements it does not know are ignored; an `<s>` or
/// `<sep>` without its `n` is refused, as the clients that read them would.
pub fn parse(xml: &str) -> Result<UserDocument, XmlError> {
    let mut document = UserDocument::default();
    let mut service: Option<(bool, String)> = None;
    let mut unnamed = false;
    let mut root = None;
    walk(xml, |path, node| {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        match (names.as_slice(), node) {
            ([first], Node::Start(_)) => root = Some((*first).to_owned()),
            (["user", kind @ ("s" | "sep")], Node::Start(attributes)) => {
                match attributes.into_iter().find(|(k, _)| k == "n") {
                    Some((_, name)) => service = Some((*kind == "sep", name)),
                    None => unnamed = true,
                }
            }
            (["user", "s" | "sep"], Node::End) => service = None,
            (["user", "s" | "sep", element], Node::Text(text)) => {
                let append = |field: &mut Option<String>| field.get_or_insert_with(String::new).push_str(text);
                match (service.as_ref().map(|(endpoint, name)| (*endpoint, name.as_str())), *element) {
                    (Some((false, "IM")), "Status") => append(&mut document.status),
                    (Some((false, "IM")), "CurrentMedia") => append(&mut document.current_media),
                    (Some((false, "PE")), "FriendlyName") => append(&mut document.friendly_name),
                    (Some((false, "PE")), "PSM") => append(&mut document.personal_message),
                    (Some((false, "PE")), "UserTileLocation") => append(&mut document.user_tile),
                    (Some((false, "PE")), "MachineGuid") => append(&mut document.machine_guid),
                    (Some((true, "IM")), "Capabilities") => append(&mut document.capabilities),
                    (Some((true, "PD")), "EpName") => append(&mut document.endpoint_name),
                    (Some((true, "PD")), "Idle") => document.idle = Some(text.trim() == "true"),
                    _ => {}
                }
            }
            _ => {}
        }
    })?;
    if root.as_deref() != Some("user") {
        return Err(XmlError::Missing("user"));
    }
    if unnamed {
        return Err(XmlError::Missing("n"));
    }
    for value in [&mut document.status, &mut document.capabilities, &mut document.machine_guid].into_iter().flatten() {
        *value = value.trim().to_owned();
    }
    Ok(document)
}

/// What a contact is shown of a user in `NFY PUT`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserView<'a> {
    pub status: &'a str,
    pub current_media: &'a str,
    pub friendly_name: &'a str,
    pub personal_message: &'a str,
    pub user_tile: &'a str,
    /// Each endpoint of the user with its `caps:extcaps`.
    pub endpoints: Vec<(&'a str, &'a str)>,
}

/// The `NFY PUT` body: the `IM` and `PE` services, and each endpoint's
/// capabilities, as the original service wrote them.
pub fn render(view: &UserView<'_>) -> String {
    let mut xml = format!(
        concat!(
            r#"<user><s n="IM"><Status>{status}</Status><CurrentMedia>{media}</CurrentMedia></s>"#,
            r#"<s n="PE"><UserTileLocation>{tile}</UserTileLocation><FriendlyName>{name}</FriendlyName><PSM>{psm}</PSM></s>"#,
        ),
        status = escape_xml(view.status),
        media = escape_xml(view.current_media),
        tile = escape_xml(view.user_tile),
        name = escape_xml(view.friendly_name),
        psm = escape_xml(view.personal_message),
    );
    for (epid, capabilities) in &view.endpoints {
        xml.push_str(&format!(
            r#"<sep n="IM" epid="{}"><Capabilities>{}</Capabilities></sep>"#,
            escape_xml(epid),
            escape_xml(capabilities)
        ));
    }
    xml.push_str("</user>");
    xml
}

/// The `NFY DEL` body: the user's IM service is gone (signed out).
pub const OFFLINE: &str = r#"<user><s n="IM"><Status>FLN</Status></s></user>"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// What BitlBee 3.5.1 publishes (msn.h, MSN_PUT_USER_BODY).
    const BITLBEE: &str = concat!(
        r#"<user><s n="PE"><UserTileLocation></UserTileLocation><FriendlyName>Bob &amp; co</FriendlyName><PSM>busy</PSM><DDP></DDP>"#,
        r#"<Scene></Scene><ASN></ASN><ColorScheme>-3</ColorScheme><BDG></BDG><RUM></RUM><RUL></RUL><RLT>0</RLT>"#,
        r#"<RID></RID><SUL></SUL><MachineGuid>{F00D}</MachineGuid></s>"#,
        r#"<s n="IM"><Status>BSY</Status><CurrentMedia></CurrentMedia></s>"#,
        r#"<sep n="PD"><ClientType>1</ClientType><EpName>box</EpName><Idle>false</Idle><State>BSY</State></sep>"#,
        r#"<sep n="PE"><VER>BitlBee:3.5.1</VER><TYP>1</TYP><Capabilities>0:0</Capabilities></sep>"#,
        r#"<sep n="IM"><Capabilities>49152:0</Capabilities></sep></user>"#
    );

    #[test]
    fn reads_what_clients_publish() {
        let document = parse(BITLBEE).expect("parses");
        assert_eq!(document.status.as_deref(), Some("BSY"));
        assert_eq!(document.friendly_name.as_deref(), Some("Bob & co"));
        assert_eq!(document.personal_message.as_deref(), Some("busy"));
        assert_eq!(document.machine_guid.as_deref(), Some("{F00D}"));
        assert_eq!(document.capabilities.as_deref(), Some("49152:0"), "the IM endpoint's, not PE's");
        assert_eq!((document.endpoint_name.as_deref(), document.idle), (Some("box"), Some(false)));
        assert_eq!(document.user_tile, None, "empty is not set");
        let status_only = parse(r#"<user><s n="IM"><Status>AWY</Status></s></user>"#).expect("parses");
        assert_eq!(status_only, UserDocument { status: Some("AWY".into()), ..UserDocument::default() });
    }

    #[test]
    fn refuses_what_is_not_a_user_document() {
        assert_eq!(parse("<Data><PSM>x</PSM></Data>"), Err(XmlError::Missing("user")));
        assert_eq!(parse(r#"<user><s><Status>NLN</Status></s></user>"#), Err(XmlError::Missing("n")));
        assert!(matches!(parse("<user><s n=\"IM\">"), Err(XmlError::Xml(_))));
    }

    #[test]
    fn renders_the_notification_body() {
        let view = UserView {
            status: "NLN",
            friendly_name: "A <b>",
            personal_message: "hi",
            endpoints: vec![("{aaaa}", "2789003324:48")],
            ..UserView::default()
        };
        assert_eq!(
            render(&view),
            concat!(
                r#"<user><s n="IM"><Status>NLN</Status><CurrentMedia></CurrentMedia></s><s n="PE"><UserTileLocation></UserTileLocation>"#,
                r#"<FriendlyName>A &lt;b&gt;</FriendlyName><PSM>hi</PSM></s><sep n="IM" epid="{aaaa}"><Capabilities>2789003324:48</Capabilities></sep></user>"#
            )
        );
        let back = parse(&render(&view)).expect("reads back");
        assert_eq!(back.friendly_name.as_deref(), Some("A <b>"));
        assert!(parse(OFFLINE).is_ok());
    }
}
