//! A SOAP request read into a flat list of elements and their text, so a
//! service can ask for `ABAuthHeader/TicketToken` or every
//! `Memberships/Membership/Members/Member/PassportName` without caring about
//! namespace prefixes or the shape of the parts it does not use.
//!
//! Each element keeps its own local name (interned: a name used a thousand
//! times is stored once) and the index of its parent, never the path of names
//! above it. What a parse keeps is therefore at most a small multiple of the
//! body whatever its shape: long names nested deep cost their length once.

use std::collections::HashMap;

use super::SoapError;
use crate::xml::{Node, walk};

/// One element: its local name (an index into the envelope's names), its
/// parent, its depth below the document (`Envelope` is 0), and where its
/// attributes and text are kept. Small and fixed in size: a body of many
/// tiny elements (`<e/>` is 4 bytes) must not cost much more than its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Element {
    name: u32,
    parent: u32,
    /// The first of its attributes in `Envelope::attributes`, and how many.
    attributes: u32,
    attribute_count: u16,
    depth: u16,
    /// Its text in `Envelope::texts`, or `NONE`.
    text: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The local name of the first element in `Body` (`ABFindAll`, `AddMember`…).
    pub operation: String,
    elements: Vec<Element>,
    names: Vec<Box<str>>,
    attributes: Vec<(Box<str>, Box<str>)>,
    texts: Vec<String>,
}

/// Most elements a request may hold: no real client sends more than a few hundred.
pub const MAX_ELEMENTS: usize = 20_000;

/// The most heap [`Envelope::parse`] holds at any moment for a body of
/// `body_len` bytes, whatever its shape: checked by a test that measures it
/// and by the `xml` fuzz target on every case.
pub const fn parse_memory_bound(body_len: usize) -> usize {
    10 * body_len + 64 * 1024
}

/// No parent (a root element), no text.
const NONE: u32 = u32::MAX;

impl Envelope {
    pub fn parse(xml: &str) -> Result<Envelope, SoapError> {
        let mut envelope = Envelope {
            operation: String::new(),
            elements: Vec::new(),
            names: Vec::new(),
            attributes: Vec::new(),
            texts: Vec::new(),
        };
        let mut known: HashMap<Box<str>, u32> = HashMap::new();
        let mut open: Vec<u32> = Vec::new();
        let mut too_many = false;
        walk(xml, |path, node| match node {
            Node::Start(attributes) => {
                if too_many || envelope.elements.len() >= MAX_ELEMENTS {
                    too_many = true;
                    return;
                }
                let local = path.last().map(String::as_str).unwrap_or_default();
                let name = match known.get(local) {
                    Some(&name) => name,
                    None => {
                        let name = envelope.names.len() as u32;
                        envelope.names.push(local.into());
                        known.insert(local.into(), name);
                        name
                    }
                };
                let first = envelope.attributes.len() as u32;
                let count = attributes.len().min(usize::from(u16::MAX));
                let kept = attributes.into_iter().take(count);
                envelope.attributes.extend(kept.map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str())));
                open.push(envelope.elements.len() as u32);
                envelope.elements.push(Element {
                    name,
                    parent: open.iter().rev().nth(1).copied().unwrap_or(NONE),
                    attributes: first,
                    attribute_count: count as u16,
                    depth: path.len().saturating_sub(1) as u16,
                    text: NONE,
                });
            }
            Node::Text(text) => {
                let Some(&index) = open.last() else { return };
                let Some(element) = envelope.elements.get_mut(index as usize) else { return };
                if usize::from(element.depth) + 1 != path.len() {
                    return;
                }
                if element.text == NONE {
                    // Texts are read trimmed: leading white space needs no room.
                    if text.trim().is_empty() {
                        return;
                    }
                    element.text = envelope.texts.len() as u32;
                    envelope.texts.push(String::new());
                }
                if let Some(kept) = envelope.texts.get_mut(element.text as usize) {
                    kept.push_str(text);
                }
            }
            Node::End => {
                open.pop();
            }
        })?;
        if too_many {
            return Err(SoapError::TooMany("XML", MAX_ELEMENTS));
        }
        let operation = (0..envelope.elements.len())
            .find(|&i| envelope.elements[i].depth == 2 && envelope.path_ends_with(i, &["Envelope", "Body"], 1))
            .map(|i| envelope.name(i).to_owned())
            .ok_or(SoapError::Missing("Body operation"))?;
        envelope.operation = operation;
        Ok(envelope)
    }

    /// The text of the element at `index`, trimmed.
    fn text_of(&self, index: usize) -> &str {
        self.elements.get(index).and_then(|e| self.texts.get(e.text as usize)).map_or("", |text| text.trim())
    }

    /// The local name of the element at `index`.
    pub fn name(&self, index: usize) -> &str {
        self.elements.get(index).and_then(|e| self.names.get(e.name as usize)).map_or("", |name| name)
    }

    /// Whether the names from the element at `index` up through its ancestors,
    /// skipping `skip` levels first, end with `suffix` (outermost first).
    fn path_ends_with(&self, index: usize, suffix: &[&str], skip: usize) -> bool {
        let mut at = Some(index);
        for _ in 0..skip {
            at = at.and_then(|i| self.parent(i));
        }
        for wanted in suffix.iter().rev() {
            match at {
                Some(i) if self.name(i) == *wanted => at = self.parent(i),
                _ => return false,
            }
        }
        true
    }

    fn parent(&self, index: usize) -> Option<usize> {
        self.elements.get(index).map(|e| e.parent).filter(|&p| p != NONE).map(|p| p as usize)
    }

    /// Whether the element at `index` ends a path with `suffix`.
    fn ends_with(&self, index: usize, suffix: &[&str]) -> bool {
        self.path_ends_with(index, suffix, 0)
    }

    /// The text of the first element whose path ends with `suffix`.
    pub fn text(&self, suffix: &[&str]) -> Option<&str> {
        (0..self.elements.len()).find(|&i| self.ends_with(i, suffix)).map(|i| self.text_of(i))
    }

    /// The texts of every element whose path ends with `suffix`, in order.
    pub fn texts(&self, suffix: &[&str]) -> Vec<&str> {
        (0..self.elements.len()).filter(|&i| self.ends_with(i, suffix)).map(|i| self.text_of(i)).collect()
    }

    /// Every element whose path ends with `suffix`, with its index, to read its children.
    pub fn each(&self, suffix: &[&str]) -> Vec<usize> {
        (0..self.elements.len()).filter(|&i| self.ends_with(i, suffix)).collect()
    }

    /// Indices of the descendants `relative.len()` levels below the element at
    /// `index` whose names are `relative`: they follow it in document order.
    fn descendants<'a>(&'a self, index: usize, relative: &'a [&'a str]) -> impl Iterator<Item = usize> + 'a {
        let base = self.elements.get(index).map_or(u16::MAX, |e| e.depth);
        let wanted = usize::from(base) + relative.len();
        (index + 1..self.elements.len())
            .take_while(move |&i| self.elements[i].depth > base)
            .filter(move |&i| usize::from(self.elements[i].depth) == wanted && self.ends_with(i, relative))
    }

    /// The text of a descendant (by relative path) of the element at `index`.
    pub fn child_text(&self, index: usize, relative: &[&str]) -> Option<&str> {
        self.descendants(index, relative).next().map(|i| self.text_of(i))
    }

    /// The texts of every descendant (by relative path) of the element at `index`.
    pub fn child_texts(&self, index: usize, relative: &[&str]) -> Vec<&str> {
        self.descendants(index, relative).map(|i| self.text_of(i)).collect()
    }

    /// The default namespace (`xmlns`) the operation element declares, if it does.
    pub fn operation_namespace(&self) -> Option<&str> {
        let index = self.each(&["Body", self.operation.as_str()]).into_iter().next()?;
        self.attribute(index, "xmlns")
    }

    /// The value of an attribute (by local name) of the element at `index`.
    pub fn attribute(&self, index: usize, name: &str) -> Option<&str> {
        let element = self.elements.get(index)?;
        let first = element.attributes as usize;
        let attributes = self.attributes.get(first..first + usize::from(element.attribute_count))?;
        attributes.iter().find(|(key, _)| &**key == name).map(|(_, value)| &**value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><ABAuthHeader xmlns="http://www.msn.com/webservices/AddressBook"><ManagedGroupRequest>false</ManagedGroupRequest><TicketToken>t=abc&amp;p=</TicketToken></ABAuthHeader></soap:Header><soap:Body><AddMember xmlns="http://www.msn.com/webservices/AddressBook"><memberships><Membership><MemberRole>Allow</MemberRole><Members><Member xsi:type="PassportMember" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Type>Passport</Type><State>Accepted</State><PassportName>bob@example.com</PassportName></Member></Members></Membership><Membership><MemberRole>Block</MemberRole><Members><Member><PassportName>eve@example.com</PassportName></Member></Members></Membership></memberships></AddMember></soap:Body></soap:Envelope>"#;

    #[test]
    fn reads_operation_header_and_repeated_parts() {
        let envelope = Envelope::parse(REQUEST).expect("parses");
        assert_eq!(envelope.operation, "AddMember");
        assert_eq!(envelope.text(&["ABAuthHeader", "TicketToken"]), Some("t=abc&p="));
        let memberships = envelope.each(&["memberships", "Membership"]);
        assert_eq!(memberships.len(), 2);
        assert_eq!(envelope.child_text(memberships[0], &["MemberRole"]), Some("Allow"));
        assert_eq!(envelope.child_texts(memberships[1], &["Members", "Member", "PassportName"]), ["eve@example.com"]);
        assert_eq!(envelope.texts(&["PassportName"]), ["bob@example.com", "eve@example.com"]);
        let member = envelope.each(&["Member"])[0];
        assert_eq!(envelope.attribute(member, "type"), Some("PassportMember"));
        assert_eq!(envelope.name(member), "Member");
        assert_eq!(envelope.operation_namespace(), Some("http://www.msn.com/webservices/AddressBook"));
    }

    #[test]
    fn refuses_bodies_without_an_operation() {
        assert!(Envelope::parse("<Envelope><Body></Body></Envelope>").is_err());
        assert!(Envelope::parse("<Envelope><Body><X>").is_err());
        assert!(Envelope::parse("not xml at all <").is_err());
    }
}
