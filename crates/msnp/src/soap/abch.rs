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
    /// A circle's own contact, or a member in a circle's book.
    pub circle: Option<super::circles::CircleLink>,
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

/// What a service's redirector answers, with HTTP 301 and the host in
/// `Location`: the cache key and preferred host in the header clients keep
/// them from, and a fault saying the call was not made.
pub fn render_redirect(header: &ServiceHeader, location: &str) -> String {
    envelope(
        header,
        &format!(
            concat!(
                r#"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Redirect</faultstring><detail>"#,
                r#"<errorcode xmlns="{ns}">Redirect</errorcode><redirectUrl xmlns="{ns}">{location}</redirectUrl>"#,
                r#"</detail></soap:Fault>"#
            ),
            ns = AB_NS,
            location = escape_xml(location)
        ),
    )
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

pub(super) fn contact_xml(out: &mut String, contact: &AbContact, changed: &str) {
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
        ),
        kind = match (&contact.circle, contact.is_me) {
            (_, true) => "Me",
            (Some(link), false) if link.hidden => "Circle",
            _ => "Regular",
        },
        name = escape_xml(&contact.display_name),
        email = escape_xml(&contact.email),
        cid = contact.cid,
        messenger = contact.is_messenger_user,
    );
    if let Some(link) = &contact.circle {
        super::circles::network_info_xml(out, link);
        if link.hidden {
            out.push_str("<IsHidden>true</IsHidden>");
        }
    }
    let _ = write!(
        out,
        "</contactInfo><propertiesChanged /><fDeleted>{}</fDeleted><lastChange>{changed}</lastChange></Contact>",
        contact.deleted
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
    /// The circles the owner is in or invited to (or, in a delta, that changed).
    pub circles: &'a [super::circles::CircleInverse],
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
    inner.push_str("</Contacts><CircleResult>");
    super::circles::circles_xml(&mut inner, book.circles);
    let _ = write!(inner, "<CircleTicket>{}</CircleTicket></CircleResult><Ab>", escape_xml(book.circle_ticket));
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

/// A request to either service as WLM 2009 sends it, carrying `ticket` (the
/// contacts.msn.com token) and the `operation` element's XML.
pub fn render_request(ticket: &str, scenario: &str, operation: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" "#,
            r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">"#,
            r#"<soap:Header><ABApplicationHeader xmlns="{ns}"><ApplicationId>CFE80F9D-180F-4399-82AB-413F33A1FA11</ApplicationId>"#,
            r#"<IsMigration>false</IsMigration><PartnerScenario>{scenario}</PartnerScenario></ABApplicationHeader>"#,
            r#"<ABAuthHeader xmlns="{ns}"><ManagedGroupRequest>false</ManagedGroupRequest><TicketToken>{ticket}</TicketToken></ABAuthHeader>"#,
            r#"</soap:Header><soap:Body>{operation}</soap:Body></soap:Envelope>"#
        ),
        ns = AB_NS,
        scenario = escape_xml(scenario),
        ticket = escape_xml(ticket),
        operation = operation
    )
}

/// The `ABFindAll` operation: the whole address book.
pub fn find_all_operation() -> String {
    format!(
        concat!(
            r#"<ABFindAll xmlns="{ns}"><abId>00000000-0000-0000-0000-000000000000</abId><abView>Full</abView>"#,
            r#"<deltasOnly>false</deltasOnly><lastChange>0001-01-01T00:00:00.0000000-08:00</lastChange></ABFindAll>"#
        ),
        ns = AB_NS
    )
}

/// The `FindMembership` operation: the allow, block, reverse and pending lists.
pub fn find_membership_operation() -> String {
    format!(
        concat!(
            r#"<FindMembership xmlns="{ns}"><serviceFilter><Types><ServiceType>Messenger</ServiceType>"#,
            r#"</Types></serviceFilter></FindMembership>"#
        ),
        ns = AB_NS
    )
}

/// The `ABAdd` operation: creates the owner's address book (a new account
/// has none: `ABFindAll` faults `ABDoesNotExist` until then).
pub fn add_operation(owner: &str) -> String {
    format!(
        r#"<ABAdd xmlns="{ns}"><abInfo><name /><ownerPuid>0</ownerPuid><ownerEmail>{owner}</ownerEmail><fDefault>true</fDefault></abInfo></ABAdd>"#,
        ns = AB_NS,
        owner = escape_xml(owner)
    )
}

/// The `ABContactAdd` operation for a Messenger buddy.
pub fn contact_add_operation(email: &str) -> String {
    format!(
        concat!(
            r#"<ABContactAdd xmlns="{ns}"><abId>00000000-0000-0000-0000-000000000000</abId><contacts><Contact xmlns="{ns}">"#,
            r#"<contactInfo><contactType>LivePending</contactType><passportName>{email}</passportName><isMessengerUser>true</isMessengerUser>"#,
            r#"<MessengerMemberInfo><DisplayName>{email}</DisplayName></MessengerMemberInfo></contactInfo></Contact></contacts>"#,
            r#"<options><EnableAllowListManagement>true</EnableAllowListManagement></options></ABContactAdd>"#
        ),
        ns = AB_NS,
        email = escape_xml(email)
    )
}

/// A contact as an `ABFindAll` response lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedContact {
    pub email: String,
    pub display_name: String,
    pub is_messenger_user: bool,
}

/// The contacts of an `ABFindAll` response, the owner's `Me` contact left out.
pub fn parse_find_all(xml: &str) -> Result<Vec<ListedContact>, super::SoapError> {
    let envelope = super::envelope::Envelope::parse(xml)?;
    fault(&envelope)?;
    Ok(envelope
        .each(&["contacts", "Contact"])
        .into_iter()
        .filter(|&index| envelope.child_text(index, &["contactInfo", "contactType"]) != Some("Me"))
        .filter_map(|index| {
            let email = envelope.child_text(index, &["contactInfo", "passportName"])?.to_owned();
            let display_name = envelope.child_text(index, &["contactInfo", "displayName"]).unwrap_or(&email).to_owned();
            let is_messenger_user = envelope.child_text(index, &["contactInfo", "isMessengerUser"]) == Some("true");
            Some(ListedContact { email, display_name, is_messenger_user })
        })
        .collect())
}

/// (role, email) for every member of a `FindMembership` response.
pub fn parse_find_membership(xml: &str) -> Result<Vec<(String, String)>, super::SoapError> {
    let envelope = super::envelope::Envelope::parse(xml)?;
    fault(&envelope)?;
    let mut members = Vec::new();
    for index in envelope.each(&["Memberships", "Membership"]) {
        let Some(role) = envelope.child_text(index, &["MemberRole"]) else { continue };
        for email in envelope.child_texts(index, &["Members", "Member", "PassportName"]) {
            members.push((role.to_owned(), email.to_owned()));
        }
    }
    Ok(members)
}

/// A response that is a SOAP fault, as an error with its `errorcode` (or `faultcode`).
pub fn fault(envelope: &super::envelope::Envelope) -> Result<(), super::SoapError> {
    if envelope.operation != "Fault" {
        return Ok(());
    }
    let code = envelope.text(&["detail", "errorcode"]).or_else(|| envelope.text(&["Fault", "faultcode"]));
    Err(super::SoapError::Fault(code.unwrap_or("Fault").to_owned()))
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
                circle: None,
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
                circle: None,
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
            circles: &[],
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
        // What a client reads back: the buddies, not the owner.
        let listed = parse_find_all(&find_all).expect("parses");
        let expected = ListedContact { email: "d@e.f".into(), display_name: "D & Co".into(), is_messenger_user: true };
        assert_eq!(listed, [expected]);
    }

    #[test]
    fn client_requests_and_membership_read_back() {
        let request = render_request("t=a&p=", "Initial", &find_membership_operation());
        let envelope = crate::soap::envelope::Envelope::parse(&request).expect("parses");
        assert_eq!(envelope.operation, "FindMembership");
        assert_eq!(envelope.text(&["ABAuthHeader", "TicketToken"]), Some("t=a&p="));
        let add = crate::soap::envelope::Envelope::parse(&render_request(
            "t",
            "ContactSave",
            &contact_add_operation("b@c.d"),
        ))
        .expect("parses");
        assert_eq!(add.text(&["contactInfo", "passportName"]), Some("b@c.d"));
        let roles = [
            Role { name: "Allow", members: vec![(1, "x@y.z".into(), "X".into())] },
            Role { name: "Reverse", members: vec![(2, "x@y.z".into(), "X".into()), (3, "q@y.z".into(), "Q".into())] },
        ];
        let xml = render_find_membership(&header(), "a@b.c", &roles, "2026-01-01T00:00:00Z");
        let members = parse_find_membership(&xml).expect("parses");
        let pairs: Vec<(&str, &str)> = members.iter().map(|(r, e)| (r.as_str(), e.as_str())).collect();
        assert_eq!(pairs, [("Allow", "x@y.z"), ("Reverse", "x@y.z"), ("Reverse", "q@y.z")]);
        let faulted = parse_find_all(&render_bad_token("ABFindAll"));
        assert!(matches!(faulted, Err(crate::soap::SoapError::Fault(_))), "{faulted:?}");
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
