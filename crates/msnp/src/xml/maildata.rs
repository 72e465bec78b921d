//! The `Mail-Data` document of the initial and OIM notifications (MSNP11+):
//! message counts and one `<M>` per stored offline message.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::text::escape_xml;

/// One offline message as `Mail-Data` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OimEntry {
    pub id: String,
    pub sender_email: String,
    pub sender_name: String,
    /// `2008-03-03T12:34:56.789Z`.
    pub received: String,
    pub size: usize,
}

/// `<MD><E>…</E><Q>…</Q><M>…</M>…</MD>`.
pub fn render(messages: &[OimEntry]) -> String {
    let mut xml =
        String::from("<MD><E><I>0</I><IU>0</IU><O>0</O><OU>0</OU></E><Q><QTM>409600</QTM><QNM>204800</QNM></Q>");
    for message in messages {
        xml.push_str(&format!(
            "<M><T>11</T><S>6</S><RT>{}</RT><RS>0</RS><SZ>{}</SZ><E>{}</E><I>{}</I><F>00000000-0000-0000-0000-000000000009</F><N>=?utf-8?B?{}?=</N></M>",
            escape_xml(&message.received),
            message.size,
            escape_xml(&message.sender_email),
            escape_xml(&message.id),
            BASE64.encode(message.sender_name.as_bytes())
        ));
    }
    xml.push_str("</MD>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_with_messages() {
        assert_eq!(
            render(&[]),
            "<MD><E><I>0</I><IU>0</IU><O>0</O><OU>0</OU></E><Q><QTM>409600</QTM><QNM>204800</QNM></Q></MD>"
        );
        let one = render(&[OimEntry {
            id: "ID1".into(),
            sender_email: "a@b.c".into(),
            sender_name: "Añ".into(),
            received: "2026-01-01T00:00:00.000Z".into(),
            size: 300,
        }]);
        assert!(one.contains(
            "<M><T>11</T><S>6</S><RT>2026-01-01T00:00:00.000Z</RT><RS>0</RS><SZ>300</SZ><E>a@b.c</E><I>ID1</I>"
        ));
        assert!(one.contains("<N>=?utf-8?B?QcOx?=</N></M></MD>"));
    }
}
