//! A SOAP request read into a flat list of element paths and their text, so
//! a service can ask for `ABAuthHeader/TicketToken` or every
//! `Memberships/Membership/Members/Member/PassportName` without caring about
//! namespace prefixes or the shape of the parts it does not use.

use super::SoapError;
use crate::xml::{Node, walk};

/// One element: its path of local names below `Envelope`, attributes and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub path: Vec<String>,
    pub attributes: Vec<(String, String)>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The local name of the first element in `Body` (`ABFindAll`, `AddMember`…).
    pub operation: String,
    pub elements: Vec<Element>,
}

/// Most elements a request may hold: no real client sends more than a few hundred.
pub const MAX_ELEMENTS: usize = 20_000;

fn ends_with(path: &[String], suffix: &[&str]) -> bool {
    path.len() >= suffix.len() && path[path.len() - suffix.len()..].iter().zip(suffix).all(|(a, b)| a == b)
}

impl Envelope {
    pub fn parse(xml: &str) -> Result<Envelope, SoapError> {
        let mut elements: Vec<Element> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut too_many = false;
        walk(xml, |path, node| match node {
            Node::Start(attributes) => {
                if elements.len() >= MAX_ELEMENTS {
                    too_many = true;
                    return;
                }
                open.push(elements.len());
                elements.push(Element { path: path.to_vec(), attributes: attributes.to_vec(), text: String::new() });
            }
            Node::Text(text) => {
                if let Some(&index) = open.last()
                    && let Some(element) = elements.get_mut(index)
                    && element.path.len() == path.len()
                {
                    element.text.push_str(text);
                }
            }
            Node::End => {
                open.pop();
            }
        })?;
        if too_many {
            return Err(SoapError::Xml(format!("more than {MAX_ELEMENTS} elements")));
        }
        let operation = elements
            .iter()
            .find(|e| e.path.len() == 3 && e.path[0] == "Envelope" && e.path[1] == "Body")
            .map(|e| e.path[2].clone())
            .ok_or(SoapError::Missing("Body operation"))?;
        Ok(Envelope { operation, elements })
    }

    /// The text of the first element whose path ends with `suffix`.
    pub fn text(&self, suffix: &[&str]) -> Option<&str> {
        self.elements.iter().find(|e| ends_with(&e.path, suffix)).map(|e| e.text.trim())
    }

    /// The texts of every element whose path ends with `suffix`, in order.
    pub fn texts(&self, suffix: &[&str]) -> Vec<&str> {
        self.elements.iter().filter(|e| ends_with(&e.path, suffix)).map(|e| e.text.trim()).collect()
    }

    /// Every element whose path ends with `suffix`, with its index, to read its children.
    pub fn each(&self, suffix: &[&str]) -> Vec<usize> {
        (0..self.elements.len()).filter(|&i| ends_with(&self.elements[i].path, suffix)).collect()
    }

    /// The text of a descendant (by relative path) of the element at `index`.
    pub fn child_text(&self, index: usize, relative: &[&str]) -> Option<&str> {
        let base = &self.elements.get(index)?.path;
        self.elements[index + 1..]
            .iter()
            .take_while(|e| e.path.len() > base.len() && e.path[..base.len()] == base[..])
            .find(|e| e.path.len() == base.len() + relative.len() && ends_with(&e.path, relative))
            .map(|e| e.text.trim())
    }

    /// The texts of every descendant (by relative path) of the element at `index`.
    pub fn child_texts(&self, index: usize, relative: &[&str]) -> Vec<&str> {
        let Some(base) = self.elements.get(index).map(|e| &e.path) else { return Vec::new() };
        self.elements[index + 1..]
            .iter()
            .take_while(|e| e.path.len() > base.len() && e.path[..base.len()] == base[..])
            .filter(|e| e.path.len() == base.len() + relative.len() && ends_with(&e.path, relative))
            .map(|e| e.text.trim())
            .collect()
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
        assert!(envelope.elements[member].attributes.iter().any(|(k, v)| k == "type" && v == "PassportMember"));
    }

    #[test]
    fn refuses_bodies_without_an_operation() {
        assert!(Envelope::parse("<Envelope><Body></Body></Envelope>").is_err());
        assert!(Envelope::parse("<Envelope><Body><X>").is_err());
        assert!(Envelope::parse("not xml at all <").is_err());
    }
}
