//! XML payloads: a small event walk shared by the SOAP and presence parsers.
//! Parsing goes by local element names, so any namespace prefix a client
//! chooses is accepted.

pub mod maildata;
pub mod ml;
pub mod user;
pub mod uux;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// An XML payload that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("malformed XML: {0}")]
    Xml(String),
    #[error("missing element {0}")]
    Missing(&'static str),
    #[error("XML nested deeper than {0} elements")]
    TooDeep(usize),
    /// More of one element than a request may hold.
    #[error("more than {1} {0} elements")]
    TooMany(&'static str, usize),
    /// A SOAP response that is a fault, with its `faultcode`.
    #[error("SOAP fault {0}")]
    Fault(String),
}

/// Deepest element nesting accepted in a payload.
pub const MAX_DEPTH: usize = 32;

/// Walks a document and calls `visit` with the path of local names (outermost
/// first), the element's attributes for start tags, and text content.
pub(crate) fn walk(xml: &str, mut visit: impl FnMut(&[String], Node<'_>)) -> Result<(), XmlError> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| XmlError::Xml(e.to_string()))? {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                path.push(name);
                if path.len() > MAX_DEPTH {
                    return Err(XmlError::TooDeep(MAX_DEPTH));
                }
                let attributes = attributes(&start)?;
                visit(&path, Node::Start(attributes));
            }
            Event::Empty(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                path.push(name);
                let attributes = attributes(&start)?;
                visit(&path, Node::Start(attributes));
                visit(&path, Node::End);
                path.pop();
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|e| XmlError::Xml(e.to_string()))?;
                visit(&path, Node::Text(&text));
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(|e| XmlError::Xml(e.to_string()))? {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = reference.decode().map_err(|e| XmlError::Xml(e.to_string()))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError::Xml(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                visit(&path, Node::Text(&resolved));
            }
            Event::CData(data) => {
                let text = String::from_utf8_lossy(&data).into_owned();
                visit(&path, Node::Text(&text));
            }
            Event::End(_) => {
                visit(&path, Node::End);
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if path.is_empty() { Ok(()) } else { Err(XmlError::Xml("unclosed element".into())) }
}

fn attributes(start: &quick_xml::events::BytesStart<'_>) -> Result<Vec<(String, String)>, XmlError> {
    start
        .attributes()
        .map(|attribute| {
            let attribute = attribute.map_err(|e| XmlError::Xml(e.to_string()))?;
            let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
            let value = attribute.unescape_value().map_err(|e| XmlError::Xml(e.to_string()))?.into_owned();
            Ok((key, value))
        })
        .collect()
}

/// One step of [`walk`].
pub(crate) enum Node<'a> {
    /// A start tag and its attributes (local names, unescaped values).
    Start(Vec<(String, String)>),
    Text(&'a str),
    End,
}
