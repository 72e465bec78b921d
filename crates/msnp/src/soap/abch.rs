//! Responses of the address book (`abservice.asmx`) and sharing
//! (`SharingService.asmx`) services, in the shapes WLM 8.x/2009 and Pidgin
//! read (MSNP.md §9; clients.md): no whitespace between elements.

use std::fmt::Write as _;

use crate::text::escape_xml;

const AB_NS: &str = "http://www.msn.com/webservices/AddressBook";

/// A group of the address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbGroup {
    pub id: String,
    pub name: String,
    /// Listed in a delta answer as removed (`fDeleted`).
    pub deleted: bool,
}

/// A contact of the address book; the owner appears as the `Me` contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbContact {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// On the forward list (a Messenger buddy).
    pub is_messenger_user: bool,
    pub is_me: bool,
    pub cid: i64,
    pub groups: Vec<String>,
    /// Listed in a delta answer as removed (`fDeleted`).
    pub deleted: bool,
}

/// One membership role (`Allow`, `Block`, `Reverse`, `Pending`) and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: &'static str,
    /// (membership id, email, display name)
    pub members: Vec<(u32, String, String)>,
}

/// What every response of these services carries in its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceHeader {
    pub cache_key: String,
    pub host: String,
}

fn envelope(header: &ServiceHeader, body: &str) -> String {
    let header = format!(
        concat!(
            r#"<ServiceHeader xmlns="{ns}"><Version>15.01.1408.0000</Version><CacheKey>{key}</CacheKey>"#,
            r#"<CacheKeyChanged>true</CacheKeyChanged><PreferredHostName>{host}</PreferredHostName>"#,
            r#"<SessionId>00000000-0000-0000-0000-000000000000</SessionId></ServiceHeader>"#
        ),
        ns = AB_NS,
        key = escape_xml(&header.cache_key),
        host = escape_xml(&header.host),
    );
    super::response_envelope(Some(&header), body)
}

/// `<{operation}Response><{operation}Result>{inner}</…Result></…Response>`; an
/// empty `inner` gives an empty response element.
pub fn render_result(header: &ServiceHeader, operation: &str, inner: Option<&str>) -> String {
    let body = match inner {
        Some(inner) => format!(
            r#"<{operation}Response xmlns="{AB_NS}"><{operation}Result>{inner}</{operation}Result></{operation}Response>"#
        ),
        None => format!(r#"<{operation}Response xmlns="{AB_NS}" />"#),
    };
    envelope(header, &body)
}

/// A SOAP fault with the `detail/errorcode` clients switch on (`ABDoesNotExist`…).
pub fn render_fault(operation: &str, errorcode: &str, message: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?>"#,
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>"#,
            r#"<faultcode>soap:Client</faultcode><faultstring>{message}</faultstring>"#,
            r#"<faultactor>{ns}/{operation}</faultactor><detail><errorcode xmlns="{ns}">{code}</errorcode>"#,
            r#"<errorstring xmlns="{ns}">{message}</errorstring><machineName xmlns="{ns}">msnpd</machineName></detail>"#,
            r#"</soap:Fault></soap:Body></soap:Envelope>"#
        ),
        ns = AB_NS,
        operation = escape_xml(operation),
        code = escape_xml(errorcode),
        message = escape_xml(message),
    )
}

/// The fault for a missing, expired or foreign ticket; Pidgin renews its
/// token and retries on `BadContextToken`.
pub fn render_bad_token(operation: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?>"#,
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>"#,
            r#"<faultcode xmlns:q0="http://schemas.microsoft.com/ws/2006/05/security">q0:BadContextToken</faultcode>"#,
            r#"<faultstring>Authentication failed for {operation}</faultstring></soap:Fault></soap:Body></soap:Envelope>"#
        ),
        operation = escape_xml(operation)
    )
}

fn group_xml(out: &mut String, group: &AbGroup, changed: &str) {
    let _ = write!(
        out,
        concat!(
            "<Group><groupId>{id}</groupId><groupInfo><annotations><Annotation><Name>MSN.IM.Display</Name><Value>1</Value></Annotation></annotations>",
            "<groupType>c8529ce2-6ead-434d-881f-341e17db3ff8</groupType><name>{name}</name><IsNotMobileVisible>false</IsNotMobileVisible>",
            "<IsPrivate>false</IsPrivate><IsFavorite>false</IsFavorite></groupInfo><propertiesChanged /><fDeleted>{deleted}</fDeleted>",
            "<lastChange>{changed}</lastChange></Group>"
        ),
        id = escape_xml(&group.id),
        name = escape_xml(&group.name),
        deleted = group.deleted,
        changed = changed
    );
}

fn contact_xml(out: &mut String, contact: &AbContact, changed: &str) {
    let _ = write!(out, "<Contact><contactId>{}</contactId><contactInfo>", escape_xml(&contact.id));
    if !contact.groups.is_empty() {
        out.push_str("<groupIds>");
        for group in &contact.groups {
            let _ = write!(out, "<guid>{}</guid>", escape_xml(group));
        }
        out.push_str("</groupIds>");
    }
    if contact.is_me {
        out.push_str("<annotations><Annotation><Name>MSN.IM.MBEA</Name><Value>0</Value></Annotation><Annotation><Name>MSN.IM.GTC</Name><Value>1</Value></Annotation><Annotation><Name>MSN.IM.BLP</Name><Value>1</Value></Annotation></annotations>");
    }
    let _ = write!(
        out,
        concat!(
            "<contactType>{kind}</contactType><quickName>{name}</quickName><passportName>{email}</passportName>",
            "<IsPassportNameHidden>false</IsPassportNameHidden><displayName>{name}</displayName><puid>0</puid><CID>{cid}</CID>",
            "<IsNotMobileVisible>false</IsNotMobileVisible><isMobileIMEnabled>false</isMobileIMEnabled>",
            "<isMessengerUser>{messenger}</isMessengerUser><isFavorite>false</isFavorite><isSmtp>false</isSmtp><hasSpace>false</hasSpace>",
            "<spotWatchState>NoDevice</spotWatchState><birthdate>0001-01-01T00:00:00</birthdate>",
            "<primaryEmailType>ContactEmailPersonal</primaryEmailType><PrimaryLocation>ContactLocationPersonal</PrimaryLocation>",
            "<PrimaryPhone>ContactPhonePersonal</PrimaryPhone><IsPrivate>false</IsPrivate><Gender>Unspecified</Gender><TimeZone>None</TimeZone>",
            "</contactInfo><propertiesChanged /><fDeleted>{deleted}</fDeleted><lastChange>{changed}</lastChange></Contact>"
        ),
        kind = if contact.is_me { "Me" } else { "Regular" },
        name = escape_xml(&contact.display_name),
        email = escape_xml(&contact.email),
        cid = contact.cid,
        messenger = contact.is_messenger_user,
        deleted = contact.deleted,
        changed = changed
    );
}

fn ab_xml(out: &mut String, owner: &str, owner_cid: i64, changed: &str, created: &str) {
    let _ = write!(
        out,
        concat!(
            "<abId>00000000-0000-0000-0000-000000000000</abId><abInfo><ownerPuid>0</ownerPuid><OwnerCID>{cid}</OwnerCID>",
            "<ownerEmail>{owner}</ownerEmail><fDefault>true</fDefault><joinedNamespace>false</joinedNamespace><IsBot>false</IsBot>",
            "<IsParentManaged>false</IsParentManaged><SubscribeExternalPartner>false</SubscribeExternalPartner>",
            "<NotifyExternalPartner>false</NotifyExternalPartner><AddressBookType>Individual</AddressBookType></abInfo>",
            "<lastChange>{changed}</lastChange><DynamicItemLastChanged>0001-01-01T00:00:00</DynamicItemLastChanged>",
            "<createDate>{created}</createDate><propertiesChanged />"
        ),
        cid = owner_cid,
        owner = escape_xml(owner),
        changed = changed,
        created = created
    );
}

/// The whole address book, as `ABFindAll` (WLM 8.x) or `ABFindContactsPaged` (WLM 2009, Pidgin) answers it.
pub struct AddressBook<'a> {
    pub owner: &'a str,
    pub owner_cid: i64,
    pub groups: &'a [AbGroup],
    pub contacts: &'a [AbContact],
    pub changed: &'a str,
    pub created: &'a str,
    /// Sent as `CircleResult/CircleTicket`; Pidgin presents it with `USR SHA A`.
    pub circle_ticket: &'a str,
}

pub fn render_find_all(header: &ServiceHeader, book: &AddressBook<'_>) -> String {
    let mut inner = String::from("<groups>");
    for group in book.groups {
        group_xml(&mut inner, group, book.changed);
    }
    inner.push_str("</groups><contacts>");
    for contact in book.contacts {
        contact_xml(&mut inner, contact, book.changed);
    }
    inner.push_str("</contacts><ab>");
    ab_xml(&mut inner, book.owner, book.owner_cid, book.changed, book.created);
    inner.push_str("</ab>");
    render_result(header, "ABFindAll", Some(&inner))
}

pub fn render_find_contacts_paged(header: &ServiceHeader, book: &AddressBook<'_>) -> String {
    let mut inner = String::from("<Groups>");
    for group in book.groups {
        group_xml(&mut inner, group, book.changed);
    }
    inner.push_str("</Groups><Contacts>");
    for contact in book.contacts {
        contact_xml(&mut inner, contact, book.changed);
    }
    let _ = write!(
        inner,
        "</Contacts><CircleResult><CircleTicket>{}</CircleTicket></CircleResult><Ab>",
        escape_xml(book.circle_ticket)
    );
    ab_xml(&mut inner, book.owner, book.owner_cid, book.changed, book.created);
    inner.push_str("</Ab>");
    render_result(header, "ABFindContactsPaged", Some(&inner))
}

/// `FindMembership`: the Messenger service with one membership per role.
pub fn render_find_membership(header: &ServiceHeader, owner: &str, roles: &[Role], changed: &str) -> String {
    let mut inner = String::from("<Services><Service><Memberships>");
    for role in roles {
        let _ = write!(inner, "<Membership><MemberRole>{}</MemberRole><Members>", role.name);
        for (id, email, name) in &role.members {
            let _ = write!(
                inner,
                concat!(
                    r#"<Member xsi:type="PassportMember"><MembershipId>{id}</MembershipId><Type>Passport</Type>"#,
                    "<DisplayName>{name}</DisplayName><State>Accepted</State><Deleted>false</Deleted>",
                    "<LastChanged>{changed}</LastChanged><JoinedDate>{changed}</JoinedDate><ExpirationDate>0001-01-01T00:00:00</ExpirationDate>",
                    "<Changes /><PassportName>{email}</PassportName><IsPassportNameHidden>false</IsPassportNameHidden>",
                    "<PassportId>0</PassportId><CID>0</CID><PassportChanges /></Member>"
                ),
                id = id,
                name = escape_xml(name),
                email = escape_xml(email),
                changed = changed
            );
        }
        inner.push_str("</Members><MembershipIsComplete>true</MembershipIsComplete></Membership>");
    }
    let _ = write!(
        inner,
        concat!(
            "</Memberships><Info><Handle><Id>1</Id><Type>Messenger</Type><ForeignId /></Handle><InverseRequired>false</InverseRequired>",
            "<AuthorizationCriteria>Everyone</AuthorizationCriteria><IsBot>false</IsBot></Info><Changes />",
            "<LastChange>{changed}</LastChange><Deleted>false</Deleted></Service></Services>",
            "<OwnerNamespace><Info><Handle><Id>00000000-0000-0000-0000-000000000000</Id><IsPassportNameHidden>false</IsPassportNameHidden>",
            "<CID>0</CID></Handle><CreatorPuid>0</CreatorPuid><CreatorCID>0</CreatorCID><CreatorPassportName>{owner}</CreatorPassportName>",
            "<CircleAttributes><IsPresenceEnabled>false</IsPresenceEnabled><Domain>WindowsLive</Domain></CircleAttributes>",
            "<MessengerApplicationServiceCreated>false</MessengerApplicationServiceCreated></Info><Changes />",
            "<CreateDate>{changed}</CreateDate><LastChange>{changed}</LastChange></OwnerNamespace>"
        ),
        changed = changed,
        owner = escape_xml(owner)
    );
    render_result(header, "FindMembership", Some(&inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> ServiceHeader {
        ServiceHeader { cache_key: "key".into(), host: "localhost".into() }
    }

    #[test]
    fn paged_book_has_what_pidgin_reads() {
        let contacts = [
            AbContact {
                id: "me-id".into(),
                email: "a@b.c".into(),
                display_name: "A".into(),
                is_messenger_user: false,
                is_me: true,
                cid: 1,
                groups: vec![],
                deleted: false,
            },
            AbContact {
                id: "c-id".into(),
                email: "d@e.f".into(),
                display_name: "D & Co".into(),
                is_messenger_user: true,
                is_me: false,
                cid: 2,
                groups: vec!["g1".into()],
                deleted: false,
            },
        ];
        let groups = [AbGroup { id: "g1".into(), name: "Friends".into(), deleted: false }];
        let book = AddressBook {
            owner: "a@b.c",
            owner_cid: 1,
            groups: &groups,
            contacts: &contacts,
            changed: "2026-01-01T00:00:00Z",
            created: "2026-01-01T00:00:00Z",
            circle_ticket: "Y2lyY2xl",
        };
        let xml = render_find_contacts_paged(&header(), &book);
        for needle in [
            "<ABFindContactsPagedResponse xmlns=\"http://www.msn.com/webservices/AddressBook\"><ABFindContactsPagedResult><Groups><Group><groupId>g1</groupId>",
            "<contactId>c-id</contactId><contactInfo><groupIds><guid>g1</guid></groupIds><contactType>Regular</contactType>",
            "<displayName>D &amp; Co</displayName>",
            "<isMessengerUser>true</isMessengerUser>",
            "<contactType>Me</contactType>",
            "<CircleResult><CircleTicket>Y2lyY2xl</CircleTicket></CircleResult><Ab><abId>",
            "<CacheKeyChanged>true</CacheKeyChanged>",
        ] {
            assert!(xml.contains(needle), "{needle}");
        }
        assert!(!xml.contains('\n'));
        let find_all = render_find_all(&header(), &book);
        assert!(find_all.contains("<ABFindAllResult><groups><Group>") && find_all.contains("</contacts><ab><abId>"));
    }

    #[test]
    fn membership_roles_and_faults() {
        let roles = [
            Role { name: "Allow", members: vec![(7, "d@e.f".into(), "D".into())] },
            Role { name: "Block", members: vec![] },
        ];
        let xml = render_find_membership(&header(), "a@b.c", &roles, "2026-01-01T00:00:00Z");
        assert!(xml.contains("<FindMembershipResult><Services><Service><Memberships><Membership><MemberRole>Allow</MemberRole><Members><Member xsi:type=\"PassportMember\"><MembershipId>7</MembershipId>"));
        assert!(xml.contains("<Info><Handle><Id>1</Id><Type>Messenger</Type>"));
        let fault = render_fault("ABFindAll", "ABDoesNotExist", "AB does not exist");
        assert!(fault.contains(
            "<detail><errorcode xmlns=\"http://www.msn.com/webservices/AddressBook\">ABDoesNotExist</errorcode>"
        ));
        assert!(render_bad_token("FindMembership").contains("q0:BadContextToken"));
        assert!(
            render_result(&header(), "AddMember", None)
                .contains("<AddMemberResponse xmlns=\"http://www.msn.com/webservices/AddressBook\" />")
        );
    }
}
