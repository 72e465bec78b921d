//! The `<ml>` membership lists of `ADL`, `RML` and `FQY` (MSNP13+):
//! `<ml l="1"><d n="example.com"><c n="alice" l="3" t="1"/></d><t><c n="tel:+1555" l="3"/></t></ml>`.

use std::fmt::Write as _;

use super::{Node, walk};
use crate::text::escape_xml;

/// One contact of an `<ml>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlContact {
    /// `local@domain`, or `tel:+…` for a phone contact.
    pub address: String,
    /// List bits (FL 1, AL 2, BL 4, RL 8, PL 16); 0 where not given (FQY).
    pub lists: u8,
    /// Network id (1 Messenger, 4 phone, 32 Yahoo…); 0 where not given.
    pub network: u8,
    /// The friendly name (`f`), in server-sent lists.
    pub friendly_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MembershipList {
    /// `l="1"`: the initial list sent at sign-in.
    pub initial: bool,
    pub contacts: Vec<MlContact>,
}

/// Why an `<ml>` was refused; each maps to an MSNP error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MlError {
    /// No contact at all, or a domain without contacts (240).
    #[error("empty membership list or domain")]
    Empty,
    /// Not the `<ml>` grammar: bad XML, unknown elements, bad attributes (241).
    #[error("invalid membership list: {0}")]
    Invalid(String),
}

fn number(text: &str, what: &str) -> Result<u8, MlError> {
    text.parse().map_err(|_| MlError::Invalid(format!("{what}={text:?}")))
}

/// `tel:` and a dialable number: digits with `+`, `-` or `.`, never an `@`,
/// so a phone contact can never pass for an email address.
fn is_phone_address(address: &str) -> bool {
    address.strip_prefix("tel:").is_some_and(|number| {
        (1..=32).contains(&number.len())
            && number.bytes().any(|b| b.is_ascii_digit())
            && number.bytes().all(|b| b.is_ascii_digit() || b"+-.".contains(&b))
    })
}

/// Reads an `<ml>`; addresses are lowercased.
pub fn parse(xml: &str) -> Result<MembershipList, MlError> {
    let mut list = MembershipList::default();
    let mut error: Option<MlError> = None;
    let mut domain: Option<(String, usize)> = None;
    let mut saw_root = false;
    let result = walk(xml, |path, node| {
        if error.is_some() {
            return;
        }
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        let attribute = |attributes: &[(String, String)], key: &str| {
            attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        };
        match (names.as_slice(), node) {
            (["ml"], Node::Start(attributes)) => {
                saw_root = true;
                list.initial = attribute(&attributes, "l").as_deref() == Some("1");
            }
            (["ml", "d"], Node::Start(attributes)) => match attribute(&attributes, "n") {
                Some(name) if !name.is_empty() && !name.contains('@') => {
                    domain = Some((name.to_ascii_lowercase(), list.contacts.len()));
                }
                _ => error = Some(MlError::Invalid("domain without a name".into())),
            },
            (["ml", "d"], Node::End) => {
                if let Some((_, first)) = domain.take()
                    && first == list.contacts.len()
                {
                    error = Some(MlError::Empty);
                }
            }
            (["ml", "d", "c"], Node::Start(attributes)) => {
                let Some((domain, _)) = &domain else { return };
                let contact = (|| {
                    let local = attribute(&attributes, "n").filter(|n| !n.is_empty() && !n.contains('@'));
                    let local = local.ok_or_else(|| MlError::Invalid("contact without a name".into()))?;
                    Ok(MlContact {
                        address: format!("{}@{domain}", local.to_ascii_lowercase()),
                        lists: attribute(&attributes, "l").map(|l| number(&l, "l")).transpose()?.unwrap_or(0),
                        network: attribute(&attributes, "t").map(|t| number(&t, "t")).transpose()?.unwrap_or(0),
                        friendly_name: attribute(&attributes, "f"),
                    })
                })();
                match contact {
                    Ok(contact) => list.contacts.push(contact),
                    Err(e) => error = Some(e),
                }
            }
            // MSNP19+ names the lists per service of the contact: `<c n=… t="1"><s n="IM" l="3"/></c>`.
            (["ml", "d", "c", "s"], Node::Start(attributes)) => {
                let lists = attribute(&attributes, "l").map(|l| number(&l, "l")).transpose();
                match (lists, list.contacts.last_mut()) {
                    (Ok(lists), Some(contact)) => contact.lists |= lists.unwrap_or(0),
                    (Err(e), _) => error = Some(e),
                    (Ok(_), None) => {}
                }
            }
            (["ml", "d", "c", "s"], Node::End) => {}
            (["ml", "t"], Node::Start(_)) | (["ml", "t"], Node::End) | (["ml", "t", "c"], Node::End) => {}
            (["ml", "t", "c"], Node::Start(attributes)) => match attribute(&attributes, "n") {
                Some(number) if is_phone_address(&number) => list.contacts.push(MlContact {
                    address: number,
                    lists: attribute(&attributes, "l").and_then(|l| l.parse().ok()).unwrap_or(0),
                    network: 4,
                    friendly_name: None,
                }),
                _ => error = Some(MlError::Invalid("phone contact without tel: name".into())),
            },
            ([_, ..], Node::Text(text)) if text.trim().is_empty() => {}
            (["ml"], Node::End) | (["ml", "d", "c"], Node::End) => {}
            (_, Node::Start(_)) | (_, Node::Text(_)) => {
                error = Some(MlError::Invalid(format!("unexpected content in {}", path.join("/"))));
            }
            _ => {}
        }
    });
    if let Err(e) = result {
        return Err(MlError::Invalid(e.to_string()));
    }
    if let Some(error) = error {
        return Err(error);
    }
    if !saw_root {
        return Err(MlError::Invalid("no <ml> element".into()));
    }
    // An empty initial list is how a client with no contacts says it is ready
    // (libpurple sends `<ml l="1"/>`); any other empty list is an error.
    if list.contacts.is_empty() && !list.initial {
        return Err(MlError::Empty);
    }
    Ok(list)
}

/// Writes an `<ml>`, grouping contacts by domain in their order; no whitespace.
pub fn render(contacts: &[MlContact]) -> String {
    render_list("<ml>", contacts)
}

/// As [`render`], marked `l="1"`: the whole list a client sends at sign-in.
pub fn render_initial(contacts: &[MlContact]) -> String {
    render_list("<ml l=\"1\">", contacts)
}

fn render_list(opening: &str, contacts: &[MlContact]) -> String {
    let mut xml = String::from(opening);
    let mut index = 0;
    while index < contacts.len() {
        let Some((_, domain)) = contacts[index].address.split_once('@') else {
            index += 1;
            continue;
        };
        let _ = write!(xml, "<d n=\"{}\">", escape_xml(domain));
        while index < contacts.len() && contacts[index].address.split_once('@').map(|(_, d)| d) == Some(domain) {
            let contact = &contacts[index];
            let local = contact.address.split_once('@').map_or("", |(l, _)| l);
            let _ = write!(xml, "<c n=\"{}\"", escape_xml(local));
            if contact.network != 0 {
                let _ = write!(xml, " t=\"{}\"", contact.network);
            }
            if contact.lists != 0 {
                let _ = write!(xml, " l=\"{}\"", contact.lists);
            }
            if let Some(name) = &contact.friendly_name {
                let _ = write!(xml, " f=\"{}\"", escape_xml(name));
            }
            xml.push_str(" />");
            index += 1;
        }
        xml.push_str("</d>");
    }
    xml.push_str("</ml>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_initial_list_with_phones() {
        let list = parse(r#"<ml l="1"><d n="Example.com"><c n="Friend" l="3" t="1" /><c n="other" l="1" t="32"/></d><t><c n="tel:+15551111222" l="3" /></t></ml>"#)
            .expect("parses");
        assert!(list.initial);
        assert_eq!(list.contacts.len(), 3);
        assert_eq!(
            list.contacts[0],
            MlContact { address: "friend@example.com".into(), lists: 3, network: 1, friendly_name: None }
        );
        assert_eq!(list.contacts[1].network, 32);
        assert_eq!(list.contacts[2].address, "tel:+15551111222");
        // MSNP19+ (BitlBee 3.5.1): the lists on the contact's IM service.
        let list = parse(r#"<ml><d n="example.com"><c n="bob" t="1"><s n="IM" l="3" /></c></d></ml>"#).expect("parses");
        assert_eq!(
            list.contacts,
            [MlContact { address: "bob@example.com".into(), lists: 3, network: 1, friendly_name: None }]
        );
        assert!(parse(r#"<ml><d n="example.com"><c n="bob" t="1"><s n="IM" l="x" /></c></d></ml>"#).is_err());
    }

    #[test]
    fn refuses_what_the_grammar_does_not_allow() {
        assert_eq!(parse("<ml></ml>"), Err(MlError::Empty));
        assert_eq!(parse(r#"<ml l="1"/>"#).map(|l| (l.initial, l.contacts.len())), Ok((true, 0)));
        assert_eq!(parse(r#"<ml><d n="example.com"></d></ml>"#), Err(MlError::Empty));
        for bad in [
            "<ml><d>",
            "<foo/>",
            r#"<ml><d n="example.com"><c l="1" t="1"/></d></ml>"#,
            r#"<ml><d n="example.com"><c n="a" l="x" t="1"/></d></ml>"#,
            r#"<ml><d n="example.com"><x/></d></ml>"#,
            r#"<ml><d n="a@b"><c n="a" l="1" t="1"/></d></ml>"#,
            r#"<ml><d n="example.com"><c n="a@b" l="1" t="1"/></d></ml>"#,
            r#"<ml><t><c n="tel:+1@example.com" l="1"/></t></ml>"#,
            r#"<ml><t><c n="tel:" l="1"/></t></ml>"#,
        ] {
            assert!(matches!(parse(bad), Err(MlError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn renders_by_domain_without_whitespace() {
        let contacts = [
            MlContact { address: "fan@host.com".into(), lists: 8, network: 1, friendly_name: Some("Fan & Co".into()) },
            MlContact { address: "two@host.com".into(), lists: 8, network: 1, friendly_name: None },
            MlContact { address: "bob@other.org".into(), lists: 0, network: 1, friendly_name: None },
        ];
        assert_eq!(
            render(&contacts),
            r#"<ml><d n="host.com"><c n="fan" t="1" l="8" f="Fan &amp; Co" /><c n="two" t="1" l="8" /></d><d n="other.org"><c n="bob" t="1" /></d></ml>"#
        );
        assert_eq!(parse(&render(&contacts)).expect("round trip").contacts.len(), 3);
    }
}
