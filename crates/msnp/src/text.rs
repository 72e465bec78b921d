//! Text inside command lines: friendly names, group names and other free text
//! travel URL-encoded, so they never contain spaces or line ends.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but letters, digits and `@ . - _ ~ ! * ' ( )` is escaped, and so
/// is every non-ASCII byte: what MSN clients sent and accept.
const PARAM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'@')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// URL-encodes text for use as one parameter.
pub fn encode_param(text: &str) -> String {
    utf8_percent_encode(text, PARAM).to_string()
}

/// Decodes a URL-encoded parameter; `None` when the bytes are not UTF-8.
pub fn decode_param(param: &str) -> Option<String> {
    percent_decode_str(param).decode_utf8().ok().map(|text| text.into_owned())
}

/// Escapes text for XML element content or attribute values.
pub fn escape_xml(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip() {
        for text in ["Alice", "Alice A", "100% sure", "émile ☃", "a\r\nb", "tab\there", ""] {
            let encoded = encode_param(text);
            assert!(!encoded.contains([' ', '\r', '\n', '\t']), "{encoded}");
            assert_eq!(decode_param(&encoded).as_deref(), Some(text));
        }
        assert_eq!(encode_param("Other Contacts"), "Other%20Contacts");
        assert_eq!(encode_param("a@b.com"), "a@b.com");
        assert_eq!(decode_param("%ff"), None);
    }
}
