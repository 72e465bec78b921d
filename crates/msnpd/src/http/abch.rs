//! The address book (`/abservice/abservice.asmx`) and sharing
//! (`/abservice/SharingService.asmx`) services of MSNP13+ clients. They read
//! and change the same lists as `SYN`/`ADC` and `ADL`: one store of truth.
//! Every call is authenticated by the contacts.msn.com ticket in
//! `ABAuthHeader/TicketToken`; every malformed request is a SOAP fault.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use msnp::soap::abch::{self, AbContact, AbGroup, AddressBook, Role, ServiceHeader};
use msnp::soap::envelope::Envelope;

use crate::core::accounts::friendly_name_ok;
use crate::core::hub::Online;
use crate::core::lists::{List, ListError};
use crate::core::tickets::{TicketScope, ticket_token};
use crate::ns::render::{list_timestamp, parse_list_timestamp};
use crate::server::Context;

pub(super) fn xml(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    response
}

pub(super) fn fault(operation: &str, code: &str, message: &str) -> Response {
    xml(StatusCode::INTERNAL_SERVER_ERROR, abch::render_fault(operation, code, message))
}

/// The guid the address book gives the owner's own `Me` contact.
fn me_contact_id(account: i64) -> String {
    let id = account as u64;
    format!("{:08x}-0000-0000-0000-{:012x}", id >> 48, id & 0xFFFF_FFFF_FFFF)
}

/// The membership id of a contact in one role (Pidgin deletes Pending members by it).
fn membership_id(contact: i64, list: List) -> u32 {
    ((contact as u64 & 0x00FF_FFFF) as u32) << 5 | list.bit() as u32
}

/// Reads the request and finds the account its ticket belongs to, and the
/// ticket's grant (which session is calling).
async fn authenticated(ctx: &Arc<Context>, body: &str) -> Result<(Envelope, Arc<Online>, u64), Response> {
    let envelope =
        Envelope::parse(body).map_err(|e| fault("Unknown", "BadArgument", &format!("unreadable request: {e}")))?;
    let operation = envelope.operation.clone();
    let bad_token = || xml(StatusCode::INTERNAL_SERVER_ERROR, abch::render_bad_token(&operation));
    let token = envelope.text(&["ABAuthHeader", "TicketToken"]).map(ticket_token).ok_or_else(bad_token)?;
    let ticket = ctx
        .core
        .check_ticket(token, TicketScope::Contacts)
        .await
        .map_err(|e| fault(&operation, "InternalError", &e.to_string()))?
        .ok_or_else(bad_token)?;
    let me =
        ctx.core.acting_as(ticket.account).await.map_err(|e| fault(&operation, "InternalError", &e.to_string()))?;
    Ok((envelope, me, ticket.grant))
}

pub(super) fn service_header(ctx: &Context, me: &Online) -> ServiceHeader {
    let serial = me.lock().lists.serial;
    ServiceHeader { cache_key: format!("12r1:{}:{serial}", me.id), host: ctx.public_host.clone() }
}

fn ok(ctx: &Context, me: &Online, operation: &str, inner: Option<&str>) -> Response {
    xml(StatusCode::OK, abch::render_result(&service_header(ctx, me), operation, inner))
}

/// A successful change: the user's other MSNP13+ sessions are told to fetch
/// the book again. Not the one that made it (signed in with the same grant):
/// it knows, and a client that re-reads on every notice and then saves would
/// loop.
fn changed(ctx: &Context, me: &Online, grant: u64, operation: &str, inner: Option<&str>) -> Response {
    let notice = crate::core::hub::Notice::AddressBookChanged;
    ctx.core.deliver(&[me.id], notice, crate::core::types::Filter::OtherThanGrant(grant));
    ok(ctx, me, operation, inner)
}

fn list_fault(operation: &str, error: ListError) -> Response {
    let (code, message) = match &error {
        ListError::UnknownUser => ("InvalidPassportUser", "The user does not exist"),
        ListError::AlreadyInList => ("ContactAlreadyExists", "Already on the list"),
        ListError::NotOnList => ("ContactDoesNotExist", "Not on the list"),
        ListError::OppositeList => ("MemberAlreadyExists", "On the opposite list"),
        ListError::ListFull => ("QuotaLimitReached", "The list is full"),
        ListError::TooManyGroups => ("QuotaLimitReached", "Too many groups"),
        ListError::InvalidGroup => ("GroupDoesNotExist", "No such group"),
        ListError::GroupExists => ("GroupAlreadyExists", "A group with that name exists"),
        ListError::GroupNameTooLong => ("BadArgumentLength", "The group name is too long"),
        ListError::NotInGroup => ("ContactDoesNotExist", "Not in that group"),
        ListError::ReadOnlyList => ("BadArgument", "Not allowed"),
        ListError::Service(error) => {
            tracing::error!(%error, operation, "address book change failed");
            ("InternalError", "The service failed")
        }
    };
    fault(operation, code, message)
}

/// `POST /abservice/abservice.asmx`.
pub async fn address_book(State(ctx): State<Arc<Context>>, body: String) -> Response {
    let (envelope, me, grant) = match authenticated(&ctx, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let operation = envelope.operation.as_str();
    let core = &ctx.core;
    match operation {
        // Every account has its address book from the start, so clients that
        // never call ABAdd (bots, gateways) find one; those that do are answered
        // as if it were new.
        "ABAdd" => ok(&ctx, &me, operation, Some("00000000-0000-0000-0000-000000000000")),
        "ABFindContactsPaged"
            if envelope
                .text(&["abHandle", "ABId"])
                .is_some_and(|id| id.trim_matches(|c| c == '0' || c == '-').len() > 1) =>
        {
            let id = envelope.text(&["abHandle", "ABId"]).unwrap_or_default();
            super::circles::circle_book(&ctx, &me, &service_header(&ctx, &me), id).await
        }
        "ABFindAll" | "ABFindContactsPaged" => {
            let delta = delta(&ctx, &me, &envelope).await;
            let (groups, mut contacts, lists_changed) = book(&me, delta.as_ref());
            let circles = match super::circles::individual_part(&ctx, &me, delta.as_ref().map(|d| d.since)).await {
                Ok(part) => part,
                Err(error) => return fault(operation, "InternalError", &error.to_string()),
            };
            contacts.extend(circles.contacts);
            let changed = list_timestamp(lists_changed.max(circles.changed));
            let created = changed.clone();
            let ticket = ctx.core.circle_ticket(me.id);
            let book = AddressBook {
                owner: &me.email,
                owner_cid: me.id,
                groups: &groups,
                contacts: &contacts,
                changed: &changed,
                created: &created,
                circle_ticket: &ticket,
                circles: &circles.circles,
            };
            let header = service_header(&ctx, &me);
            let body = if operation == "ABFindAll" {
                abch::render_find_all(&header, &book)
            } else {
                abch::render_find_contacts_paged(&header, &book)
            };
            xml(StatusCode::OK, body)
        }
        "ABContactAdd" => {
            let Some(email) = envelope.text(&["contactInfo", "passportName"]).map(str::to_ascii_lowercase) else {
                return fault(operation, "BadArgument", "passportName is required");
            };
            let name = envelope.text(&["MessengerMemberInfo", "DisplayName"]).unwrap_or(&email).to_owned();
            let existing = me.lock().lists.by_email(&email).filter(|c| c.is_on(List::Forward)).map(|c| c.guid.clone());
            let guid = match existing {
                Some(guid) => guid,
                None => match core.add_to_list(&me, List::Forward, &email, &name, None).await {
                    Ok(outcome) => outcome.contact.map(|c| c.guid).unwrap_or_default(),
                    Err(error) => return list_fault(operation, error),
                },
            };
            if let Err(error) = manage_allow_list(core, &me, &envelope, "options", &email).await {
                return list_fault(operation, error);
            }
            changed(&ctx, &me, grant, operation, Some(&format!("<guid>{guid}</guid>")))
        }
        "ABContactDelete" => {
            for id in envelope.texts(&["contacts", "Contact", "contactId"]) {
                let contact = me.lock().lists.by_guid(id).map(|c| c.id);
                let Some(contact) = contact else { return fault(operation, "ContactDoesNotExist", "No such contact") };
                match core.remove_from_list(&me, List::Forward, contact, None).await {
                    Ok(_) | Err(ListError::NotOnList) => {}
                    Err(error) => return list_fault(operation, error),
                }
            }
            changed(&ctx, &me, grant, operation, None)
        }
        "ABContactUpdate" => {
            for index in envelope.each(&["contacts", "Contact"]) {
                let is_me = envelope.child_text(index, &["contactInfo", "contactType"]) == Some("Me");
                if is_me {
                    let name = envelope.child_text(index, &["contactInfo", "displayName"]).filter(|n| !n.is_empty());
                    if let Some(name) = name {
                        if !friendly_name_ok(name, core.config.max_friendly_name) {
                            return fault(operation, "BadArgument", "The display name cannot be used");
                        }
                        if let Err(error) = core.set_friendly_name(&me, name).await {
                            return fault(operation, "InternalError", &error.to_string());
                        }
                    }
                    continue;
                }
                // Accepting a contact: isMessengerUser=true puts them on the forward list.
                let id = envelope.child_text(index, &["contactId"]).unwrap_or_default();
                let contact = me.lock().lists.by_guid(id).cloned();
                let messenger = envelope.child_text(index, &["contactInfo", "isMessengerUser"]) == Some("true");
                if let Some(contact) = contact
                    && messenger
                    && !contact.is_on(List::Forward)
                    && let Err(error) =
                        core.add_to_list(&me, List::Forward, &contact.email, &contact.nickname, None).await
                {
                    return list_fault(operation, error);
                }
            }
            changed(&ctx, &me, grant, operation, None)
        }
        "ABGroupAdd" => {
            let Some(name) =
                envelope.text(&["groupInfo", "GroupInfo", "name"]).or(envelope.text(&["groupInfo", "name"]))
            else {
                return fault(operation, "BadArgument", "name is required");
            };
            if name.len() > core.config.max_group_name {
                return list_fault(operation, ListError::GroupNameTooLong);
            }
            match core.add_group(&me, name).await {
                Ok(outcome) => {
                    let guid = outcome.group.map(|g| g.guid).unwrap_or_default();
                    changed(&ctx, &me, grant, operation, Some(&format!("<guid>{guid}</guid>")))
                }
                Err(error) => list_fault(operation, error),
            }
        }
        "ABGroupDelete" => {
            for guid in envelope.texts(&["groupFilter", "groupIds", "guid"]) {
                if let Err(error) = core.remove_group(&me, guid).await {
                    return list_fault(operation, error);
                }
            }
            changed(&ctx, &me, grant, operation, None)
        }
        "ABGroupUpdate" => {
            for index in envelope.each(&["groups", "Group"]) {
                let (Some(guid), Some(name)) =
                    (envelope.child_text(index, &["groupId"]), envelope.child_text(index, &["groupInfo", "name"]))
                else {
                    return fault(operation, "BadArgument", "groupId and name are required");
                };
                if let Err(error) = core.rename_group(&me, guid, name).await {
                    return list_fault(operation, error);
                }
            }
            changed(&ctx, &me, grant, operation, None)
        }
        "ABGroupContactAdd" => {
            let Some(group) = envelope.text(&["groupFilter", "groupIds", "guid"]).map(str::to_owned) else {
                return fault(operation, "BadArgument", "a group is required");
            };
            let mut guid = String::new();
            for index in envelope.each(&["contacts", "Contact"]) {
                let by_id =
                    envelope.child_text(index, &["contactId"]).and_then(|id| me.lock().lists.by_guid(id).cloned());
                let result = match (by_id, envelope.child_text(index, &["contactInfo", "passportName"])) {
                    (Some(contact), _) if contact.is_on(List::Forward) => {
                        guid = contact.guid.clone();
                        core.add_to_group(&me, contact.id, &group).await
                    }
                    (_, Some(email)) => {
                        let address = email.to_ascii_lowercase();
                        let added = core.add_to_list(&me, List::Forward, &address, email, Some(&group)).await;
                        if added.is_ok()
                            && let Err(error) =
                                manage_allow_list(core, &me, &envelope, "groupContactAddOptions", &address).await
                        {
                            return list_fault(operation, error);
                        }
                        added
                    }
                    _ => return fault(operation, "ContactDoesNotExist", "No such contact"),
                };
                match result {
                    Ok(outcome) => {
                        if let Some(contact) = outcome.contact {
                            guid = contact.guid;
                        }
                    }
                    Err(error) => return list_fault(operation, error),
                }
            }
            changed(&ctx, &me, grant, operation, Some(&format!("<guid>{guid}</guid>")))
        }
        "ABGroupContactDelete" => {
            let Some(group) = envelope.text(&["groupFilter", "groupIds", "guid"]).map(str::to_owned) else {
                return fault(operation, "BadArgument", "a group is required");
            };
            for id in envelope.texts(&["contacts", "Contact", "contactId"]) {
                let contact = me.lock().lists.by_guid(id).map(|c| c.id);
                let Some(contact) = contact else { return fault(operation, "ContactDoesNotExist", "No such contact") };
                if let Err(error) = core.remove_from_list(&me, List::Forward, contact, Some(&group)).await {
                    return list_fault(operation, error);
                }
            }
            changed(&ctx, &me, grant, operation, None)
        }
        "CreateContact" => super::circles::invite(&ctx, &me, &envelope).await,
        "ManageWLConnection" => super::circles::manage_connection(&ctx, &me, &envelope).await,
        "BreakConnection" => super::circles::break_connection(&ctx, &me, &envelope).await,
        // Dynamic items (Spaces "gleams", profile feeds) have no home here:
        // the call is acknowledged and nothing is kept.
        "UpdateDynamicItem" => ok(&ctx, &me, operation, None),
        _ => fault(operation, "NotImplemented", "This address book operation is not supported"),
    }
}

/// Which items a delta answer covers: changed contact ids and group guids,
/// with the guid a removed contact had.
struct Delta {
    /// The client's `lastChange` (µs).
    since: i64,
    contacts: Vec<(i64, String)>,
    groups: Vec<String>,
}

/// The changes since the client's `lastChange`, when it asked for deltas and
/// the change log reaches back that far; `None` means the whole book.
async fn delta(ctx: &Context, me: &Online, envelope: &Envelope) -> Option<Delta> {
    let wanted = [envelope.text(&["deltasOnly"]), envelope.text(&["filterOptions", "DeltasOnly"])];
    if !wanted.contains(&Some("true")) {
        return None;
    }
    let since = envelope
        .text(&["lastChange"])
        .or(envelope.text(&["filterOptions", "LastChanged"]))
        .and_then(parse_list_timestamp)?;
    let oldest = crate::core::unix_micros() - crate::store::CHANGE_LOG_DAYS * 86_400 * 1_000_000;
    if since < oldest {
        return None;
    }
    let changes = ctx.core.store.changes_since(me.id, since).await.ok()?;
    let mut delta = Delta { since, contacts: Vec::new(), groups: Vec::new() };
    for (kind, item, guid) in changes {
        match kind.as_str() {
            "contact" => {
                let Ok(id) = item.parse::<i64>() else { continue };
                match delta.contacts.iter_mut().find(|(known, _)| *known == id) {
                    Some(entry) if !guid.is_empty() => entry.1 = guid,
                    Some(_) => {}
                    None => delta.contacts.push((id, guid)),
                }
            }
            "group" if !delta.groups.contains(&item) => delta.groups.push(item),
            _ => {}
        }
    }
    Some(delta)
}

/// The groups and contacts of the owner's address book (the `Me` contact,
/// then the forward list), or with `delta` only what changed, removals
/// marked `fDeleted`.
fn book(me: &Online, delta: Option<&Delta>) -> (Vec<AbGroup>, Vec<AbContact>, i64) {
    let state = me.lock();
    let lists = &state.lists;
    let group_view =
        |g: &crate::core::lists::Group| AbGroup { id: g.guid.clone(), name: g.name.clone(), deleted: false };
    let contact_view = |c: &crate::core::lists::Contact| AbContact {
        id: c.guid.clone(),
        email: c.email.clone(),
        display_name: c.nickname.clone(),
        is_messenger_user: true,
        is_me: false,
        cid: c.id,
        groups: c.groups.clone(),
        deleted: false,
        circle: None,
    };
    let mut contacts = vec![AbContact {
        id: me_contact_id(me.id),
        email: me.email.clone(),
        display_name: state.friendly_name.clone(),
        is_messenger_user: false,
        is_me: true,
        cid: me.id,
        groups: Vec::new(),
        deleted: false,
        circle: None,
    }];
    let groups = match delta {
        None => {
            contacts.extend(lists.contacts.iter().filter(|c| c.is_on(List::Forward)).map(contact_view));
            lists.groups.iter().map(group_view).collect()
        }
        Some(delta) => {
            for (id, guid) in &delta.contacts {
                match lists.contact(*id) {
                    Some(contact) if contact.is_on(List::Forward) => contacts.push(contact_view(contact)),
                    found => {
                        let id =
                            found.map(|c| c.guid.clone()).filter(|g| !g.is_empty()).unwrap_or_else(|| guid.clone());
                        if id.is_empty() {
                            continue;
                        }
                        contacts.push(AbContact {
                            id,
                            email: found.map(|c| c.email.clone()).unwrap_or_default(),
                            display_name: String::new(),
                            is_messenger_user: false,
                            is_me: false,
                            cid: 0,
                            groups: Vec::new(),
                            deleted: true,
                            circle: None,
                        });
                    }
                }
            }
            delta
                .groups
                .iter()
                .map(|guid| match lists.group(guid) {
                    Some(group) => group_view(group),
                    None => AbGroup { id: guid.clone(), name: String::new(), deleted: true },
                })
                .collect()
        }
    };
    (groups, contacts, lists.lists_modified)
}

fn role_of(name: &str) -> Option<List> {
    match name {
        "Allow" => Some(List::Allow),
        "Block" => Some(List::Block),
        "Reverse" => Some(List::Reverse),
        "Pending" => Some(List::Pending),
        _ => None,
    }
}

/// `POST /abservice/SharingService.asmx`.
pub async fn sharing(State(ctx): State<Arc<Context>>, body: String) -> Response {
    let (envelope, me, grant) = match authenticated(&ctx, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let operation = envelope.operation.as_str();
    let core = &ctx.core;
    match operation {
        "FindMembership" | "FindMembershipByRole" => {
            let (roles, changed) = {
                let state = me.lock();
                let lists = &state.lists;
                let members =
                    |keep: &dyn Fn(&crate::core::lists::Contact) -> bool, list: List| -> Vec<(u32, String, String)> {
                        lists
                            .contacts
                            .iter()
                            .filter(|c| keep(c))
                            .map(|c| (membership_id(c.id, list), c.email.clone(), c.nickname.clone()))
                            .collect()
                    };
                // Someone who added the user is Pending until answered, and only
                // then Reverse: clients accept a request by adding the Reverse
                // membership, and skip that for someone already in it.
                let roles = vec![
                    Role { name: "Allow", members: members(&|c| c.is_on(List::Allow), List::Allow) },
                    Role { name: "Block", members: members(&|c| c.is_on(List::Block), List::Block) },
                    Role {
                        name: "Reverse",
                        members: members(&|c| c.is_on(List::Reverse) && !c.is_on(List::Pending), List::Reverse),
                    },
                    Role { name: "Pending", members: members(&|c| c.is_on(List::Pending), List::Pending) },
                ];
                (roles, list_timestamp(lists.lists_modified))
            };
            let header = service_header(&ctx, &me);
            xml(StatusCode::OK, abch::render_find_membership(&header, &me.email, &roles, &changed))
        }
        "AddMember" | "DeleteMember" => {
            let adding = operation == "AddMember";
            for index in envelope.each(&["memberships", "Membership"]) {
                let Some(list) = envelope.child_text(index, &["MemberRole"]).and_then(role_of) else {
                    return fault(operation, "BadArgument", "unknown MemberRole");
                };
                let emails: Vec<String> = envelope
                    .child_texts(index, &["Members", "Member", "PassportName"])
                    .into_iter()
                    .map(str::to_ascii_lowercase)
                    .collect();
                let ids: Vec<u32> = envelope
                    .child_texts(index, &["Members", "Member", "MembershipId"])
                    .into_iter()
                    .filter_map(|id| id.parse().ok())
                    .collect();
                // The members named, by membership id or by e-mail address.
                let targets: Vec<i64> = {
                    let state = me.lock();
                    let lists = &state.lists;
                    let by_id =
                        lists.contacts.iter().filter(|c| ids.contains(&membership_id(c.id, list))).map(|c| c.id);
                    by_id.chain(emails.iter().filter_map(|e| lists.by_email(e).map(|c| c.id))).collect()
                };
                match (adding, list) {
                    // A client answering a request moves the member from Pending
                    // to Reverse (deleting one, adding the other, in either
                    // order); the reverse list itself is the server's.
                    (true, List::Reverse) | (false, List::Pending) => {
                        for &contact in &targets {
                            match core.acknowledge(&me, contact).await {
                                Ok(_) | Err(ListError::NotOnList) => {}
                                Err(error) => return list_fault(operation, error),
                            }
                        }
                    }
                    (false, List::Reverse) | (_, List::Forward) | (true, List::Pending) => {
                        return fault(operation, "BadArgument", "that role is kept by the server");
                    }
                    (true, _) => {
                        for email in &emails {
                            if let Err(error) = add_member(core, &me, list, email).await {
                                return list_fault(operation, error);
                            }
                        }
                    }
                    (false, _) => {
                        for &contact in &targets {
                            match core.remove_from_list(&me, list, contact, None).await {
                                Ok(_) | Err(ListError::NotOnList) => {}
                                Err(error) => return list_fault(operation, error),
                            }
                        }
                    }
                }
            }
            changed(&ctx, &me, grant, operation, None)
        }
        "CreateCircle" => super::circles::create(&ctx, &me, &envelope).await,
        _ => fault(operation, "NotImplemented", "This sharing operation is not supported"),
    }
}

/// With `EnableAllowListManagement` in the call's options, adding a contact
/// allows them too (unless blocked), as the original address book did:
/// MSNPSharp and libpurple ask for it and rely on it.
async fn manage_allow_list(
    core: &crate::core::Core,
    me: &Arc<Online>,
    envelope: &Envelope,
    options: &str,
    email: &str,
) -> Result<(), ListError> {
    if !envelope.text(&[options, "EnableAllowListManagement"]).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(());
    }
    match core.add_to_list(me, List::Allow, email, email, None).await {
        Ok(_) | Err(ListError::AlreadyInList | ListError::OppositeList) => Ok(()),
        Err(error) => Err(error),
    }
}

/// Puts a member on AL or BL; one already on the opposite list moves over
/// (WLM blocks by adding to Block).
async fn add_member(core: &crate::core::Core, me: &Arc<Online>, list: List, email: &str) -> Result<(), ListError> {
    match core.add_to_list(me, list, email, email, None).await {
        Ok(_) | Err(ListError::AlreadyInList) => Ok(()),
        Err(ListError::OppositeList) => {
            let opposite = if list == List::Allow { List::Block } else { List::Allow };
            let contact = me.lock().lists.by_email(email).map(|c| c.id).ok_or(ListError::NotOnList)?;
            core.remove_from_list(me, opposite, contact, None).await?;
            core.add_to_list(me, list, email, email, None).await.map(|_| ())
        }
        Err(error) => Err(error),
    }
}
