//! The circle parts of the address book and sharing services (WLM 2009,
//! MSNPSharp 3.2.1): the `CircleInverseInfo` each member's own address book
//! lists, the circle's own address book (`AddressBookType` Group) with its
//! members, and the answers to `CreateCircle`, `CreateContact` and
//! `ManageWLConnection`. Shapes as the service's schema has them
//! (`msnab_datatypes.xsd`), values as MSNPSharp sends them in `CreateCircle`.

use std::fmt::Write as _;

use super::abch::{AbContact, ServiceHeader, contact_xml, render_result};
use crate::text::escape_xml;

/// A circle as one member's address book lists it (`CircleResult/Circles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircleInverse {
    pub ab_id: String,
    pub name: String,
    /// `Admin`, `Member` or `StatePendingOutbound`.
    pub role: &'static str,
    /// `Accepted` or `WaitingResponse`.
    pub state: &'static str,
    /// Gone for this member: deleted, left, or removed.
    pub deleted: bool,
    pub created: String,
    pub changed: String,
}

/// How a contact is tied to a circle: its `NetworkInfo` in the Windows Live
/// domain (1), relationship type circle (5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircleLink {
    /// The circle's own contact in a member's address book (contactType
    /// `Circle`, its "hidden representative"), not a member.
    pub hidden: bool,
    pub domain_tag: String,
    pub display_name: String,
    /// Role and relationship state, as numbers (admin 1, member 3; waiting 1,
    /// accepted 3).
    pub role: u8,
    pub state: u8,
}

pub(super) fn network_info_xml(out: &mut String, link: &CircleLink) {
    let _ = write!(
        out,
        concat!(
            "<NetworkInfoList><NetworkInfo><DomainId>1</DomainId><DomainTag>{tag}</DomainTag>",
            "<DisplayName>{name}</DisplayName><RelationshipType>5</RelationshipType>",
            "<RelationshipState>{state}</RelationshipState><RelationshipRole>{role}</RelationshipRole>",
            "</NetworkInfo></NetworkInfoList>"
        ),
        tag = escape_xml(&link.domain_tag),
        name = escape_xml(&link.display_name),
        state = link.state,
        role = link.role,
    );
}

/// `<Circles>…</Circles>`, or nothing for none (the element is optional).
pub(super) fn circles_xml(out: &mut String, circles: &[CircleInverse]) {
    if circles.is_empty() {
        return;
    }
    out.push_str("<Circles>");
    for circle in circles {
        let _ = write!(
            out,
            concat!(
                "<CircleInverseInfo><Content><Handle><Id>{id}</Id></Handle><Info><Domain>1</Domain>",
                "<HostedDomain>live.com</HostedDomain><Type>2</Type><MembershipAccess>0</MembershipAccess>",
                "<IsPresenceEnabled>true</IsPresenceEnabled><RequestMembershipOption>2</RequestMembershipOption>",
                "<DisplayName>{name}</DisplayName><ProfileLastUpdated>{changed}</ProfileLastUpdated><Changes />",
                "<CreateDate>{created}</CreateDate><LastChanged>{changed}</LastChanged></Info></Content>",
                "<PersonalInfo><MembershipInfo><CirclePersonalMembership><Role>{role}</Role><State>{state}</State>",
                "</CirclePersonalMembership></MembershipInfo><Name>{name}</Name><IsNotMobileVisible>false</IsNotMobileVisible>",
                "<IsFavorite>false</IsFavorite><IsFamily>false</IsFamily><Changes /></PersonalInfo>",
                "<Deleted>{deleted}</Deleted></CircleInverseInfo>"
            ),
            id = escape_xml(&circle.ab_id),
            name = escape_xml(&circle.name),
            changed = circle.changed,
            created = circle.created,
            role = circle.role,
            state = circle.state,
            deleted = circle.deleted,
        );
    }
    out.push_str("</Circles>");
}

/// A circle's own address book, as `ABFindContactsPaged` with its `abHandle`
/// answers: the circle as `Me`, then its members.
pub struct GroupBook<'a> {
    pub ab_id: &'a str,
    pub name: &'a str,
    /// The admin's address, as the book's owner.
    pub owner_email: &'a str,
    pub contacts: &'a [AbContact],
    pub changed: &'a str,
    pub created: &'a str,
}

pub fn render_group_book(header: &ServiceHeader, book: &GroupBook<'_>) -> String {
    let mut inner = String::from("<Groups /><Contacts>");
    for contact in book.contacts {
        contact_xml(&mut inner, contact, book.changed);
    }
    let _ = write!(
        inner,
        concat!(
            "</Contacts><Ab><abId>{id}</abId><abInfo><name>{name}</name><ownerPuid>0</ownerPuid><OwnerCID>0</OwnerCID>",
            "<ownerEmail>{owner}</ownerEmail><fDefault>false</fDefault><joinedNamespace>false</joinedNamespace>",
            "<IsBot>false</IsBot><IsParentManaged>false</IsParentManaged><SubscribeExternalPartner>false</SubscribeExternalPartner>",
            "<NotifyExternalPartner>false</NotifyExternalPartner><AddressBookType>Group</AddressBookType></abInfo>",
            "<lastChange>{changed}</lastChange><DynamicItemLastChanged>0001-01-01T00:00:00</DynamicItemLastChanged>",
            "<createDate>{created}</createDate><propertiesChanged /></Ab>"
        ),
        id = escape_xml(book.ab_id),
        name = escape_xml(book.name),
        owner = escape_xml(book.owner_email),
        changed = book.changed,
        created = book.created,
    );
    render_result(header, "ABFindContactsPaged", Some(&inner))
}

/// `CreateCircle`: the new circle's address book id.
pub fn render_create_circle(header: &ServiceHeader, ab_id: &str) -> String {
    render_result(header, "CreateCircle", Some(&format!("<Id>{}</Id>", escape_xml(ab_id))))
}

/// `CreateContact` and `ManageWLConnection`: the contact as it now stands.
pub fn render_contact_result(header: &ServiceHeader, operation: &str, contact: &AbContact, changed: &str) -> String {
    let mut inner = String::new();
    contact_xml(&mut inner, contact, changed);
    // The result is the contact's own elements, not a `<Contact>` around them.
    let inner = inner.strip_prefix("<Contact>").and_then(|i| i.strip_suffix("</Contact>")).unwrap_or(&inner);
    render_result(header, operation, Some(inner))
}

const AB_NS: &str = "http://www.msn.com/webservices/AddressBook";

/// The client side: `CreateCircle` as MSNPSharp sends it.
pub fn create_operation(name: &str) -> String {
    format!(
        concat!(
            r#"<CreateCircle xmlns="{ns}"><properties><Domain>1</Domain><HostedDomain>live.com</HostedDomain><Type>2</Type>"#,
            "<MembershipAccess>0</MembershipAccess><IsPresenceEnabled>true</IsPresenceEnabled><RequestMembershipOption>2</RequestMembershipOption>",
            "<DisplayName>{name}</DisplayName></properties><callerInfo><PublicDisplayName>{name}</PublicDisplayName></callerInfo></CreateCircle>"
        ),
        ns = AB_NS,
        name = escape_xml(name)
    )
}

fn handle(ab_id: &str) -> String {
    format!("<abHandle><ABId>{}</ABId><Puid>0</Puid><Cid>0</Cid></abHandle>", escape_xml(ab_id))
}

/// `CreateContact` on a circle's book: the first step of an invitation.
pub fn invite_operation(ab_id: &str, email: &str) -> String {
    format!(
        r#"<CreateContact xmlns="{AB_NS}">{}<contactHandle><Email>{}</Email><Puid>0</Puid><Cid>0</Cid><CircleId>00000000-0000-0000-0000-000000000000</CircleId></contactHandle></CreateContact>"#,
        handle(ab_id),
        escape_xml(email)
    )
}

/// `ManageWLConnection`: on a circle's book for `contact` (the admin's second
/// step of an invitation), or without one for the invitee's answer to the
/// circle `contact` names (`accept`: action 1, else 2).
pub fn connection_operation(ab_id: Option<&str>, contact: &str, accept: bool) -> String {
    format!(
        concat!(
            r#"<ManageWLConnection xmlns="{ns}">{handle}<contactId>{contact}</contactId><connection>true</connection>"#,
            "<presence>false</presence><action>{action}</action><relationshipType>5</relationshipType>",
            "<relationshipRole>{role}</relationshipRole></ManageWLConnection>"
        ),
        ns = AB_NS,
        handle = ab_id.map(handle).unwrap_or_default(),
        contact = escape_xml(contact),
        action = if accept { 1 } else { 2 },
        role = if ab_id.is_some() { 3 } else { 0 },
    )
}

/// `ABFindContactsPaged` of the user's own book, with its circles.
pub fn own_book_operation() -> String {
    format!(
        concat!(
            r#"<ABFindContactsPaged xmlns="{ns}"><abView>MessengerClient8</abView><extendedContent>AB AllGroups CircleResult</extendedContent>"#,
            "<filterOptions><DeltasOnly>false</DeltasOnly><ContactFilter><IncludeHiddenContacts>true</IncludeHiddenContacts></ContactFilter>",
            "</filterOptions></ABFindContactsPaged>"
        ),
        ns = AB_NS
    )
}

/// `ABFindContactsPaged` of a circle's own book.
pub fn circle_book_operation(ab_id: &str) -> String {
    format!(
        r#"<ABFindContactsPaged xmlns="{AB_NS}"><abView>MessengerClient8</abView><extendedContent>AB</extendedContent>{}</ABFindContactsPaged>"#,
        handle(ab_id)
    )
}

/// A circle as a client reads it from its own book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedCircle {
    pub ab_id: String,
    pub name: String,
    pub role: String,
    pub state: String,
}

/// The circles (not deleted) and the circle ticket of an own-book answer.
pub fn parse_circles(xml: &str) -> Result<(Vec<ListedCircle>, Option<String>), super::SoapError> {
    let envelope = super::envelope::Envelope::parse(xml)?;
    super::abch::fault(&envelope)?;
    let circles = envelope
        .each(&["Circles", "CircleInverseInfo"])
        .into_iter()
        .filter(|&i| envelope.child_text(i, &["Deleted"]) != Some("true"))
        .map(|i| {
            let text = |path: &[&str]| envelope.child_text(i, path).unwrap_or_default().to_owned();
            ListedCircle {
                ab_id: text(&["Content", "Handle", "Id"]),
                name: text(&["Content", "Info", "DisplayName"]),
                role: text(&["PersonalInfo", "MembershipInfo", "CirclePersonalMembership", "Role"]),
                state: text(&["PersonalInfo", "MembershipInfo", "CirclePersonalMembership", "State"]),
            }
        })
        .collect();
    Ok((circles, envelope.text(&["CircleResult", "CircleTicket"]).map(str::to_owned)))
}

/// The contact id a `CreateContact` or `ManageWLConnection` answer names.
pub fn parse_contact_id(xml: &str) -> Result<String, super::SoapError> {
    let envelope = super::envelope::Envelope::parse(xml)?;
    super::abch::fault(&envelope)?;
    envelope.text(&["contactId"]).map(str::to_owned).ok_or_else(|| super::SoapError::Fault("no contactId".into()))
}

/// The new circle's id in a `CreateCircle` answer.
pub fn parse_created(xml: &str) -> Result<String, super::SoapError> {
    let envelope = super::envelope::Envelope::parse(xml)?;
    super::abch::fault(&envelope)?;
    envelope
        .text(&["CreateCircleResult", "Id"])
        .map(str::to_owned)
        .ok_or_else(|| super::SoapError::Fault("no Id".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> ServiceHeader {
        ServiceHeader { cache_key: "key".into(), host: "localhost".into() }
    }

    fn member(hidden: bool) -> AbContact {
        AbContact {
            id: "c".into(),
            email: "bob@example.com".into(),
            display_name: "Bob".into(),
            is_messenger_user: !hidden,
            is_me: false,
            cid: 5,
            groups: vec![],
            deleted: false,
            circle: Some(CircleLink {
                hidden,
                domain_tag: "00000000-0000-0000-0009-000000000001".into(),
                display_name: "Bob".into(),
                role: 3,
                state: 1,
            }),
        }
    }

    #[test]
    fn a_circle_book_is_a_group_book_with_members() {
        let contacts = [member(false)];
        let book = GroupBook {
            ab_id: "00000000-0000-0000-0009-000000000001",
            name: "Friends & Co",
            owner_email: "alice@example.com",
            contacts: &contacts,
            changed: "2026-01-01T00:00:00Z",
            created: "2026-01-01T00:00:00Z",
        };
        let xml = render_group_book(&header(), &book);
        for needle in [
            "<ABFindContactsPagedResult><Groups /><Contacts><Contact><contactId>c</contactId>",
            "<contactType>Regular</contactType>",
            "<NetworkInfoList><NetworkInfo><DomainId>1</DomainId><DomainTag>00000000-0000-0000-0009-000000000001</DomainTag><DisplayName>Bob</DisplayName><RelationshipType>5</RelationshipType><RelationshipState>1</RelationshipState><RelationshipRole>3</RelationshipRole></NetworkInfo></NetworkInfoList>",
            "<Ab><abId>00000000-0000-0000-0009-000000000001</abId><abInfo><name>Friends &amp; Co</name>",
            "<AddressBookType>Group</AddressBookType>",
        ] {
            assert!(xml.contains(needle), "{needle}\n{xml}");
        }
        let mut hidden = String::new();
        contact_xml(&mut hidden, &member(true), "x");
        assert!(
            hidden.contains("<contactType>Circle</contactType>")
                && hidden.contains("<isMessengerUser>false</isMessengerUser>")
        );
    }

    #[test]
    fn inverse_info_and_answers() {
        let mut out = String::new();
        circles_xml(&mut out, &[]);
        assert!(out.is_empty());
        let circle = CircleInverse {
            ab_id: "00000000-0000-0000-0009-000000000001".into(),
            name: "Team".into(),
            role: "StatePendingOutbound",
            state: "WaitingResponse",
            deleted: false,
            created: "c".into(),
            changed: "d".into(),
        };
        circles_xml(&mut out, &[circle]);
        assert!(out.starts_with("<Circles><CircleInverseInfo><Content><Handle><Id>00000000-0000-0000-0009-000000000001</Id></Handle><Info><Domain>1</Domain><HostedDomain>live.com</HostedDomain>"));
        assert!(out.contains("<CirclePersonalMembership><Role>StatePendingOutbound</Role><State>WaitingResponse</State></CirclePersonalMembership>"));
        assert!(out.ends_with("<Deleted>false</Deleted></CircleInverseInfo></Circles>"));
        let created = render_create_circle(&header(), "00000000-0000-0000-0009-000000000001");
        assert!(
            created.contains("<CreateCircleResult><Id>00000000-0000-0000-0009-000000000001</Id></CreateCircleResult>")
        );
        let contact = render_contact_result(&header(), "CreateContact", &member(false), "x");
        assert!(contact.contains("<CreateContactResult><contactId>c</contactId><contactInfo>"), "{contact}");
    }

    #[test]
    fn a_client_reads_what_the_server_writes() {
        let circle = CircleInverse {
            ab_id: "00000000-0000-0000-0009-000000000001".into(),
            name: "Team & Co".into(),
            role: "Admin",
            state: "Accepted",
            deleted: false,
            created: "c".into(),
            changed: "d".into(),
        };
        let gone =
            CircleInverse { ab_id: "00000000-0000-0000-0009-000000000002".into(), deleted: true, ..circle.clone() };
        let mut inner = String::from("<CircleResult>");
        circles_xml(&mut inner, &[circle, gone]);
        inner.push_str("<CircleTicket>t</CircleTicket></CircleResult>");
        let xml = render_result(&header(), "ABFindContactsPaged", Some(&inner));
        let (listed, ticket) = parse_circles(&xml).expect("parses");
        let expected = ListedCircle {
            ab_id: "00000000-0000-0000-0009-000000000001".into(),
            name: "Team & Co".into(),
            role: "Admin".into(),
            state: "Accepted".into(),
        };
        assert_eq!(listed, [expected]);
        assert_eq!(ticket.as_deref(), Some("t"));
        let created = render_create_circle(&header(), "00000000-0000-0000-0009-000000000001");
        assert_eq!(parse_created(&created).expect("id"), "00000000-0000-0000-0009-000000000001");
        let contact = render_contact_result(&header(), "CreateContact", &member(false), "x");
        assert_eq!(parse_contact_id(&contact).expect("id"), "c");
        for request in [
            create_operation("Team"),
            invite_operation("x", "b@c.d"),
            connection_operation(Some("x"), "c", true),
            connection_operation(None, "x", false),
            own_book_operation(),
            circle_book_operation("x"),
        ] {
            let envelope =
                crate::soap::envelope::Envelope::parse(&super::super::abch::render_request("t", "s", &request));
            assert!(envelope.is_ok(), "{request}");
        }
    }
}
