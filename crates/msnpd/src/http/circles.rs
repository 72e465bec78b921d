//! Circles on the address book and sharing services, as WLM 2009 and
//! MSNPSharp 3.2.1 use them: `CreateCircle` (sharing), each circle's own
//! address book (`ABFindContactsPaged` with its `abHandle`), inviting
//! (`CreateContact` then `ManageWLConnection` on the circle's book),
//! answering an invitation (`ManageWLConnection` without a book), and leaving
//! or removing a member (`BreakConnection`). The circles a user is in reach
//! their own address book as `CircleResult/Circles` and a hidden contact each.

use axum::http::StatusCode;
use axum::response::Response;
use msnp::soap::abch::{AbContact, ServiceHeader};
use msnp::soap::circles::{self, CircleInverse, CircleLink, GroupBook};
use msnp::soap::envelope::Envelope;

use super::abch::{fault, service_header, xml};
use crate::core::circles::{self as core_circles, CircleError, CircleId, Role, State};
use crate::core::hub::Online;
use crate::ns::render::list_timestamp;
use crate::server::Context;
use crate::store::{CircleRow, MemberRow};

/// A circle failure as the fault a client switches on.
fn circle_fault(operation: &str, error: CircleError) -> Response {
    let (code, message) = match &error {
        CircleError::NotFound => ("ABDoesNotExist", "No such circle"),
        CircleError::NotAdmin => ("AccessDenied", "Only an administrator of the circle may do that"),
        CircleError::NotInvited => ("ContactDoesNotExist", "No invitation to answer"),
        CircleError::Full => ("QuotaLimitReached", "The circle is full"),
        CircleError::TooMany => ("QuotaLimitReached", "Too many circles"),
        CircleError::UnknownUser => ("InvalidPassportUser", "The user does not exist"),
        CircleError::AlreadyMember => ("ContactAlreadyExists", "Already in the circle"),
        CircleError::BadName => ("BadArgument", "The circle name cannot be used"),
        CircleError::Service(error) => {
            tracing::error!(%error, operation, "circle change failed");
            ("InternalError", "The service failed")
        }
    };
    fault(operation, code, message)
}

/// What the circles add to a user's own address book: their inverse info,
/// their hidden contacts, and when the latest of them changed (µs).
pub struct IndividualPart {
    pub circles: Vec<CircleInverse>,
    pub contacts: Vec<AbContact>,
    pub changed: i64,
}

/// The circles `me` is in or invited to; with `since`, those whose circle or
/// whose own place in it changed after it, gone ones included as deleted.
pub async fn individual_part(ctx: &Context, me: &Online, since: Option<i64>) -> Result<IndividualPart, CircleError> {
    let mut part = IndividualPart { circles: Vec::new(), contacts: Vec::new(), changed: 0 };
    for (circle, mine) in ctx.core.circles_of(me.id).await? {
        let changed = circle.changed_at.max(mine.changed_at);
        part.changed = part.changed.max(changed);
        let gone = circle.deleted || !mine.state().is_current();
        let wanted = match since {
            Some(since) => changed > since,
            None => !gone,
        };
        if !wanted {
            continue;
        }
        // A circle gone for this member says so in its state too: MSNPSharp
        // fetches the book of any circle it had not known and finds Accepted.
        let (role, state) = match mine.state() {
            State::Rejected => (mine.role(), State::Rejected),
            _ if gone => (mine.role(), State::Left),
            State::WaitingResponse => (Role::PendingOutbound, State::WaitingResponse),
            other => (mine.role(), other),
        };
        let ab_id = core_circles::ab_id(circle.id);
        part.circles.push(CircleInverse {
            ab_id: ab_id.clone(),
            name: circle.name.clone(),
            role: role.name(),
            state: state.name(),
            deleted: gone,
            created: list_timestamp(circle.created_at),
            changed: list_timestamp(changed),
        });
        part.contacts.push(AbContact {
            id: ab_id.clone(),
            email: core_circles::address(circle.id),
            display_name: circle.name.clone(),
            is_messenger_user: false,
            is_me: false,
            cid: circle.id,
            groups: Vec::new(),
            deleted: gone,
            circle: Some(CircleLink {
                hidden: true,
                domain_tag: ab_id,
                display_name: circle.name.clone(),
                role: mine.role as u8,
                state: if gone { State::Left as u8 } else { mine.state as u8 },
            }),
        });
    }
    Ok(part)
}

fn member_contact(circle: &CircleRow, member: &MemberRow) -> AbContact {
    let name = if member.friendly_name.is_empty() { &member.email } else { &member.friendly_name };
    AbContact {
        id: core_circles::member_contact_id(circle.id, member.account_id),
        email: member.email.clone(),
        display_name: name.clone(),
        is_messenger_user: true,
        is_me: false,
        cid: member.account_id,
        groups: Vec::new(),
        deleted: false,
        circle: Some(CircleLink {
            hidden: false,
            domain_tag: core_circles::ab_id(circle.id),
            display_name: name.clone(),
            role: member.role as u8,
            state: member.state as u8,
        }),
    }
}

/// `ABFindContactsPaged` for a circle's book: the circle as `Me`, then
/// everyone invited or in.
pub async fn circle_book(ctx: &Context, me: &Online, header: &ServiceHeader, ab_id: &str) -> Response {
    const OPERATION: &str = "ABFindContactsPaged";
    let Some(id) = core_circles::parse_ab_id(ab_id) else {
        return circle_fault(OPERATION, CircleError::NotFound);
    };
    let view = match ctx.core.circle(id, me.id).await {
        Ok(view) => view,
        Err(error) => return circle_fault(OPERATION, error),
    };
    let circle = &view.circle;
    let ab_id = core_circles::ab_id(circle.id);
    let mut contacts = vec![AbContact {
        id: ab_id.clone(),
        email: core_circles::address(circle.id),
        display_name: circle.name.clone(),
        is_messenger_user: false,
        is_me: true,
        cid: circle.id,
        groups: Vec::new(),
        deleted: false,
        circle: None,
    }];
    contacts.extend(view.current().map(|member| member_contact(circle, member)));
    let owner = view.members.iter().find(|m| m.role() == Role::Admin).map_or("", |m| m.email.as_str());
    let (changed, created) = (list_timestamp(circle.changed_at), list_timestamp(circle.created_at));
    let book = GroupBook {
        ab_id: &ab_id,
        name: &circle.name,
        owner_email: owner,
        contacts: &contacts,
        changed: &changed,
        created: &created,
    };
    xml(StatusCode::OK, circles::render_group_book(header, &book))
}

/// `CreateCircle` (sharing service): a new circle, `me` its admin.
pub async fn create(ctx: &Context, me: &Online, envelope: &Envelope) -> Response {
    const OPERATION: &str = "CreateCircle";
    let name = envelope.text(&["properties", "DisplayName"]).unwrap_or_default();
    match ctx.core.create_circle(me, name).await {
        Ok(circle) => xml(
            StatusCode::OK,
            circles::render_create_circle(&service_header(ctx, me), &core_circles::ab_id(circle.id)),
        ),
        Err(error) => circle_fault(OPERATION, error),
    }
}

/// The circle an `abHandle` names, if it names one.
fn circle_of_handle(envelope: &Envelope) -> Option<CircleId> {
    envelope.text(&["abHandle", "ABId"]).and_then(core_circles::parse_ab_id)
}

/// `CreateContact` on a circle's book: `me` (an admin) invites the address.
pub async fn invite(ctx: &Context, me: &Online, envelope: &Envelope) -> Response {
    const OPERATION: &str = "CreateContact";
    let Some(circle) = circle_of_handle(envelope) else {
        return fault(OPERATION, "BadArgument", "abHandle must name a circle");
    };
    let Some(email) = envelope.text(&["contactHandle", "Email"]).map(str::to_ascii_lowercase) else {
        return fault(OPERATION, "BadArgument", "contactHandle/Email is required");
    };
    if let Err(error) = ctx.core.invite_to_circle(me, circle, &email).await {
        return circle_fault(OPERATION, error);
    }
    member_result(ctx, me, OPERATION, circle, |m| m.email == email).await
}

/// Answers with the contact of the member `which` picks in `circle`.
async fn member_result(
    ctx: &Context,
    me: &Online,
    operation: &str,
    circle: CircleId,
    which: impl Fn(&MemberRow) -> bool,
) -> Response {
    let view = match ctx.core.circle(circle, me.id).await {
        Ok(view) => view,
        Err(error) => return circle_fault(operation, error),
    };
    let Some(member) = view.members.iter().find(|m| which(m)) else {
        return circle_fault(operation, CircleError::NotFound);
    };
    let contact = member_contact(&view.circle, member);
    let changed = list_timestamp(view.circle.changed_at);
    xml(StatusCode::OK, circles::render_contact_result(&service_header(ctx, me), operation, &contact, &changed))
}

/// `ManageWLConnection`: on a circle's book, the admin's second step of an
/// invitation (the member is already invited: answered with their contact);
/// without one, the invitee's answer (`action` 1 accepts, 2 declines) for the
/// circle its hidden contact names.
pub async fn manage_connection(ctx: &Context, me: &Online, envelope: &Envelope) -> Response {
    const OPERATION: &str = "ManageWLConnection";
    let contact_id = envelope.text(&["contactId"]).unwrap_or_default();
    if let Some(circle) = circle_of_handle(envelope) {
        let Some((_, account)) = core_circles::parse_member_contact_id(contact_id).filter(|(c, _)| *c == circle) else {
            return circle_fault(OPERATION, CircleError::NotFound);
        };
        return member_result(ctx, me, OPERATION, circle, |m| m.account_id == account && m.state().is_current()).await;
    }
    let accept = match envelope.text(&["action"]) {
        Some("1") => true,
        Some("2") => false,
        _ => return fault(OPERATION, "BadArgument", "action must be 1 (accept) or 2 (decline)"),
    };
    // The hidden contact's id is the circle's book id; MSNPSharp 3.2.1 sends
    // an empty (all-zero) id, taken as the one invitation pending.
    let circle = match core_circles::parse_ab_id(contact_id) {
        Some(circle) => Some(circle),
        None if contact_id.trim_matches(|c| c == '0' || c == '-').is_empty() => None,
        None => return circle_fault(OPERATION, CircleError::NotInvited),
    };
    match ctx.core.answer_circle(me, circle, accept).await {
        Ok(circle) => {
            let part = match individual_part(ctx, me, Some(0)).await {
                Ok(part) => part,
                Err(error) => return circle_fault(OPERATION, error),
            };
            let id = core_circles::ab_id(circle);
            let Some(contact) = part.contacts.into_iter().find(|c| c.id == id) else {
                return circle_fault(OPERATION, CircleError::NotFound);
            };
            let changed = list_timestamp(part.changed);
            xml(StatusCode::OK, circles::render_contact_result(&service_header(ctx, me), OPERATION, &contact, &changed))
        }
        Err(error) => circle_fault(OPERATION, error),
    }
}

/// `BreakConnection` on a circle's book: `me` leaves (its own contact named)
/// or, as admin, removes the member named.
pub async fn break_connection(ctx: &Context, me: &Online, envelope: &Envelope) -> Response {
    const OPERATION: &str = "BreakConnection";
    let Some(circle) = circle_of_handle(envelope) else {
        return fault(OPERATION, "BadArgument", "abHandle must name a circle");
    };
    let contact_id = envelope.text(&["contactId"]).unwrap_or_default();
    let Some((_, account)) = core_circles::parse_member_contact_id(contact_id).filter(|(c, _)| *c == circle) else {
        return circle_fault(OPERATION, CircleError::NotFound);
    };
    match ctx.core.remove_from_circle(me, circle, account).await {
        Ok(()) => xml(StatusCode::OK, msnp::soap::abch::render_result(&service_header(ctx, me), OPERATION, None)),
        Err(error) => circle_fault(OPERATION, error),
    }
}
