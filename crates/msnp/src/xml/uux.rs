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

/// Reads `<Data><PSM>…</PSM><CurrentMedia>…</CurrentMedia>…</Data>`; other elements are ignored.
pub fn parse(xml: &str) -> Result<PersonalStatus, XmlError> {
    let mut status = PersonalStatus::default();
    let mut saw_data = false;
    walk(xml, |path, node| {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        match (names.as_slice(), node) {
            (["Data"], Node::Start(_)) => saw_data = true,
            (["Data", "PSM"], Node::Text(text)) => status.message.push_str(text),
            (["Data", "CurrentMedia"], Node::Text(text)) => status.current_media.push_str(text),
            (["Data", "MachineGuid"], Node::Text(text)) => {
                status.machine_guid.get_or_insert_with(String::new).push_str(text.trim());
            }
            _ => {}
        }
    })?;
    if saw_data { Ok(status) } else { Err(XmlError::Missing("Data")) }
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
        assert!(parse("<Other/>").is_err());
    }
}
