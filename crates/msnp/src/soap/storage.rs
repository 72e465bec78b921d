//! The storage service (`SchematizedStore.asmx`): the roaming profile — display
//! name, personal message, display picture — of WLM 8.x/2009.

use crate::text::escape_xml;

const STORAGE_NS: &str = "http://www.msn.com/webservices/storage/w10";

fn envelope(body: &str) -> String {
    let header =
        format!(r#"<AffinityCacheHeader xmlns="{STORAGE_NS}"><CacheKey>msnpd</CacheKey></AffinityCacheHeader>"#);
    super::response_envelope(Some(&header), body)
}

/// `<{operation}Response><{operation}Result>{inner}</…>` or an empty response.
pub fn render_result(operation: &str, inner: Option<&str>) -> String {
    match inner {
        Some(inner) => envelope(&format!(
            r#"<{operation}Response xmlns="{STORAGE_NS}"><{operation}Result>{inner}</{operation}Result></{operation}Response>"#
        )),
        None => envelope(&format!(r#"<{operation}Response xmlns="{STORAGE_NS}" />"#)),
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

pub fn render_profile(profile: &ProfileView<'_>) -> String {
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
    render_result("GetProfile", Some(&inner))
}

/// A storage fault (`ItemDoesNotExist`, `PermissionDenied`…).
pub fn render_fault(code: &str, message: &str) -> String {
    envelope(&format!(
        r#"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{}</faultstring><detail><errorcode xmlns="{STORAGE_NS}">{}</errorcode></detail></soap:Fault>"#,
        escape_xml(message),
        escape_xml(code)
    ))
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
        let xml = render_profile(&view);
        assert!(xml.contains("<DisplayName>A &amp; B</DisplayName>") && !xml.contains("<Photo>"));
        let with = ProfileView { photo: Some(("5!205".into(), "image/png", 3, "http://h/u".into())), ..view };
        assert!(render_profile(&with).contains("<PreAuthURL>http://h/u</PreAuthURL>"));
        assert!(
            render_fault("ItemDoesNotExist", "no").contains(
                "<errorcode xmlns=\"http://www.msn.com/webservices/storage/w10\">ItemDoesNotExist</errorcode>"
            )
        );
    }
}
