//! The storage service (`SchematizedStore.asmx`): the roaming profile — display
//! name, personal message, display picture — of WLM 8.x/2009.

use crate::text::escape_xml;

/// The service's two schemas: the same operations and elements in different
/// namespaces, answered in the one the request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// `storage/w10`: WLM 8.x, Pidgin, WLM 2011/2012 (BitlBee).
    W10,
    /// `storage/2008`: WLM 2009 (MSNPSharp's proxy is generated from its WSDL).
    V2008,
}

impl Schema {
    pub const fn namespace(self) -> &'static str {
        match self {
            Schema::W10 => "http://www.msn.com/webservices/storage/w10",
            Schema::V2008 => "http://www.msn.com/webservices/storage/2008",
        }
    }

    /// The schema of a request whose operation is in `namespace` (w10 when unknown).
    pub fn of(namespace: Option<&str>) -> Schema {
        match namespace {
            Some(ns) if ns == Schema::V2008.namespace() => Schema::V2008,
            _ => Schema::W10,
        }
    }
}

fn envelope(schema: Schema, body: &str) -> String {
    let header = format!(
        r#"<AffinityCacheHeader xmlns="{}"><CacheKey>msnpd</CacheKey></AffinityCacheHeader>"#,
        schema.namespace()
    );
    super::response_envelope(Some(&header), body)
}

/// `<{operation}Response><{operation}Result>{inner}</…>` or an empty response.
pub fn render_result(schema: Schema, operation: &str, inner: Option<&str>) -> String {
    let ns = schema.namespace();
    match inner {
        Some(inner) => envelope(
            schema,
            &format!(
                r#"<{operation}Response xmlns="{ns}"><{operation}Result>{inner}</{operation}Result></{operation}Response>"#
            ),
        ),
        None => envelope(schema, &format!(r#"<{operation}Response xmlns="{ns}" />"#)),
    }
}

/// The profile as `GetProfile` returns it.
pub struct ProfileView<'a> {
    pub cid: i64,
    pub display_name: &'a str,
    pub personal_message: &'a str,
    pub modified: &'a str,
    /// (resource id, MIME type, size, download URL) of the display picture.
    pub photo: Option<(String, &'a str, usize, String)>,
}

pub fn render_profile(schema: Schema, profile: &ProfileView<'_>) -> String {
    let photo = match &profile.photo {
        Some((id, mime, size, url)) => format!(
            concat!(
                "<Photo><ItemType>Photo</ItemType><ResourceID>{id}</ResourceID><DateModified>{modified}</DateModified><Name>UserTile</Name>",
                r#"<DocumentStreams><DocumentStream xsi:type="PhotoStream"><DocumentStreamName>UserTileStatic</DocumentStreamName>"#,
                "<MimeType>{mime}</MimeType><DataSize>{size}</DataSize><PreAuthURL>{url}</PreAuthURL><PreAuthURLPartner>{url}</PreAuthURLPartner>",
                "<DocumentStreamType>UserTileStatic</DocumentStreamType></DocumentStream></DocumentStreams></Photo>"
            ),
            id = escape_xml(id),
            modified = profile.modified,
            mime = escape_xml(mime),
            size = size,
            url = escape_xml(url)
        ),
        None => String::new(),
    };
    let inner = format!(
        concat!(
            "<ResourceID>{cid}!106</ResourceID><DateModified>{modified}</DateModified><ExpressionProfile>",
            "<ResourceID>{cid}!118</ResourceID><DateModified>{modified}</DateModified>{photo}<Flags>0</Flags>",
            "<PersonalStatus>{psm}</PersonalStatus><PersonalStatusLastModified>{modified}</PersonalStatusLastModified>",
            "<DisplayName>{name}</DisplayName><DisplayNameLastModified>{modified}</DisplayNameLastModified>",
            "<RoleDefinitionName>ExpressionProfileDefault</RoleDefinitionName></ExpressionProfile>"
        ),
        cid = profile.cid,
        modified = profile.modified,
        photo = photo,
        psm = escape_xml(profile.personal_message),
        name = escape_xml(profile.display_name)
    );
    render_result(schema, "GetProfile", Some(&inner))
}

/// A storage fault (`ItemDoesNotExist`, `PermissionDenied`…).
pub fn render_fault(schema: Schema, code: &str, message: &str) -> String {
    envelope(
        schema,
        &format!(
            r#"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{}</faultstring><detail><errorcode xmlns="{}">{}</errorcode></detail></soap:Fault>"#,
            escape_xml(message),
            schema.namespace(),
            escape_xml(code)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_with_and_without_a_photo() {
        let view = ProfileView {
            cid: 5,
            display_name: "A & B",
            personal_message: "hi",
            modified: "2026-01-01T00:00:00Z",
            photo: None,
        };
        let xml = render_profile(Schema::W10, &view);
        assert!(xml.contains("<DisplayName>A &amp; B</DisplayName>") && !xml.contains("<Photo>"));
        assert!(xml.contains(r#"<GetProfileResponse xmlns="http://www.msn.com/webservices/storage/w10">"#));
        let with = ProfileView { photo: Some(("5!205".into(), "image/png", 3, "http://h/u".into())), ..view };
        let xml = render_profile(Schema::V2008, &with);
        assert!(xml.contains("<PreAuthURL>http://h/u</PreAuthURL>"));
        assert!(xml.contains(r#"<GetProfileResponse xmlns="http://www.msn.com/webservices/storage/2008">"#));
        assert!(!xml.contains("w10"));
        assert!(
            render_fault(Schema::W10, "ItemDoesNotExist", "no").contains(
                "<errorcode xmlns=\"http://www.msn.com/webservices/storage/w10\">ItemDoesNotExist</errorcode>"
            )
        );
        assert_eq!(Schema::of(Some("http://www.msn.com/webservices/storage/2008")), Schema::V2008);
        assert_eq!(Schema::of(None), Schema::W10);
    }
}
