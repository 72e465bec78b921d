//! Circles (WLM 2009 groups): a named group with its own address book, its
//! members and a conversation of its own. Each is known to clients by an
//! address book id of the form `00000000-0000-0000-0009-<12 hex digits>` and
//! the address `<that id>@live.com` on network 9, as the original service
//! named them. An admin creates it and invites; an invitee accepts or
//! declines; a member leaves; the admin removes members, and a circle whose
//! admin leaves is deleted. Every change tells the members' clients to read
//! their address books again, where they find it.

use super::hub::Online;
use super::tokens::{Purpose, Reader, Writer};
use super::types::{CircleEvent, Filter, Notice};
use super::{AccountId, Core, unix_micros};
use crate::store::{CircleRow, MemberRow, StoreError};

pub type CircleId = i64;

/// The domain of every circle address.
pub const CIRCLE_DOMAIN: &str = "live.com";

/// A member's role, as the address book service numbers and names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin = 1,
    AssistantAdmin = 2,
    Member = 3,
    /// Invited, not yet answered (the invitee's own view).
    PendingOutbound = 4,
}

impl Role {
    fn from_number(number: i32) -> Role {
        match number {
            1 => Role::Admin,
            2 => Role::AssistantAdmin,
            4 => Role::PendingOutbound,
            _ => Role::Member,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::AssistantAdmin => "AssistantAdmin",
            Role::Member => "Member",
            Role::PendingOutbound => "StatePendingOutbound",
        }
    }
}

/// Where a member stands, as the address book service numbers and names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    WaitingResponse = 1,
    /// Removed by an admin.
    Left = 2,
    Accepted = 3,
    /// Declined the invitation, or left.
    Rejected = 4,
}

impl State {
    fn from_number(number: i32) -> State {
        match number {
            1 => State::WaitingResponse,
            2 => State::Left,
            3 => State::Accepted,
            _ => State::Rejected,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            State::WaitingResponse => "WaitingResponse",
            State::Left => "Left",
            State::Accepted => "Accepted",
            State::Rejected => "Rejected",
        }
    }

    /// Invited or in: counted as a member, shown in the circle's book.
    pub fn is_current(self) -> bool {
        matches!(self, State::WaitingResponse | State::Accepted)
    }
}

impl MemberRow {
    pub fn role(&self) -> Role {
        Role::from_number(self.role)
    }

    pub fn state(&self) -> State {
        State::from_number(self.state)
    }
}

/// The circle's address book id.
pub fn ab_id(circle: CircleId) -> String {
    format!("00000000-0000-0000-0009-{:012x}", circle & 0xFFFF_FFFF_FFFF)
}

/// The circle's address (`<ab id>@live.com`, network 9).
pub fn address(circle: CircleId) -> String {
    format!("{}@{CIRCLE_DOMAIN}", ab_id(circle))
}

/// The circle an address book id or address names, in any case.
pub fn parse_ab_id(text: &str) -> Option<CircleId> {
    let id = text.strip_suffix(CIRCLE_DOMAIN).and_then(|t| t.strip_suffix('@')).unwrap_or(text);
    let hex = id.to_ascii_lowercase().strip_prefix("00000000-0000-0000-0009-").map(str::to_owned)?;
    if hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    i64::from_str_radix(&hex, 16).ok().filter(|id| *id > 0)
}

/// A member's contact id in the circle's address book: the account in the
/// first three parts, the circle in the last, so it reads back.
pub fn member_contact_id(circle: CircleId, account: AccountId) -> String {
    let account = account as u64;
    format!(
        "{:08x}-{:04x}-{:04x}-0009-{:012x}",
        account >> 32,
        (account >> 16) & 0xFFFF,
        account & 0xFFFF,
        circle & 0xFFFF_FFFF_FFFF
    )
}

/// The circle and account a member's contact id names.
pub fn parse_member_contact_id(text: &str) -> Option<(CircleId, AccountId)> {
    let parts: Vec<&str> = text.split('-').collect();
    let [high, middle, low, "0009", circle] = parts.as_slice() else { return None };
    let number =
        |part: &str, digits: usize| (part.len() == digits).then(|| u64::from_str_radix(part, 16).ok()).flatten();
    let account = number(high, 8)? << 32 | number(middle, 4)? << 16 | number(low, 4)?;
    Some((number(circle, 12)? as i64, account as i64))
}

#[derive(Debug, thiserror::Error)]
pub enum CircleError {
    /// No such circle, deleted, or the caller is not in it: they look alike,
    /// so that no one learns of circles they are not in.
    #[error("no such circle")]
    NotFound,
    #[error("only an admin may do that")]
    NotAdmin,
    #[error("no invitation to answer")]
    NotInvited,
    #[error("the circle is full")]
    Full,
    #[error("too many circles")]
    TooMany,
    #[error("no such user")]
    UnknownUser,
    #[error("already in the circle")]
    AlreadyMember,
    #[error("the name cannot be used")]
    BadName,
    #[error(transparent)]
    Service(#[from] StoreError),
}

/// A circle and everyone who is or was in it.
#[derive(Debug, Clone)]
pub struct CircleView {
    pub circle: CircleRow,
    pub members: Vec<MemberRow>,
}

impl CircleView {
    pub fn member(&self, account: AccountId) -> Option<&MemberRow> {
        self.members.iter().find(|m| m.account_id == account)
    }

    /// Those invited or in.
    pub fn current(&self) -> impl Iterator<Item = &MemberRow> {
        self.members.iter().filter(|m| m.state().is_current())
    }

    /// Those who accepted: the circle's conversation and presence are theirs.
    pub fn accepted(&self) -> Vec<AccountId> {
        self.members.iter().filter(|m| m.state() == State::Accepted).map(|m| m.account_id).collect()
    }
}

/// A positive random id of 47 bits: it fits the address book id's last part.
fn new_circle_id() -> CircleId {
    (rand::random::<u64>() >> 17) as i64 + 1
}

impl Core {
    /// A new circle with `me` its admin.
    pub async fn create_circle(&self, me: &Online, name: &str) -> Result<CircleRow, CircleError> {
        let name = name.trim();
        if name.is_empty() || name.len() > self.config.max_group_name || name.chars().any(char::is_control) {
            return Err(CircleError::BadName);
        }
        if self.current_circles(me.id).await? >= self.config.max_circles {
            return Err(CircleError::TooMany);
        }
        let now = unix_micros();
        let admin = MemberRow {
            account_id: me.id,
            email: me.email.clone(),
            friendly_name: String::new(),
            role: Role::Admin as i32,
            state: State::Accepted as i32,
            inviter_id: None,
            changed_at: now,
        };
        // A clash of random ids is all but impossible; one more draw covers it.
        for _ in 0..3 {
            let circle = CircleRow {
                id: new_circle_id(),
                name: name.to_owned(),
                created_at: now,
                changed_at: now,
                deleted: false,
            };
            match self.store.create_circle(&circle, &admin).await {
                Ok(()) => {
                    self.circle_changed(&[me.id]);
                    let joined = CircleEvent::Joined { name: circle.name.clone(), members: vec![me.id] };
                    self.tell_circle(circle.id, &[me.id], joined);
                    return Ok(circle);
                }
                Err(StoreError::Duplicate(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(CircleError::Service(StoreError::Duplicate("circle".into())))
    }

    /// How many circles `account` is in or invited to.
    async fn current_circles(&self, account: AccountId) -> Result<usize, CircleError> {
        let circles = self.store.circles_of(account).await?;
        Ok(circles.iter().filter(|(circle, member)| !circle.deleted && member.state().is_current()).count())
    }

    /// The circle, if `me` is invited to it or in it.
    pub async fn circle(&self, circle: CircleId, me: AccountId) -> Result<CircleView, CircleError> {
        let found = self.store.circle(circle).await?.filter(|c| !c.deleted).ok_or(CircleError::NotFound)?;
        let members = self.store.circle_members(circle).await?;
        let view = CircleView { circle: found, members };
        match view.member(me) {
            Some(member) if member.state().is_current() => Ok(view),
            _ => Err(CircleError::NotFound),
        }
    }

    /// Every circle `me` is or was in, with `me`'s place in each.
    pub async fn circles_of(&self, me: AccountId) -> Result<Vec<(CircleRow, MemberRow)>, CircleError> {
        Ok(self.store.circles_of(me).await?)
    }

    /// `me` (an admin) invites `email`; the invitee finds the circle pending
    /// in their address book.
    pub async fn invite_to_circle(&self, me: &Online, circle: CircleId, email: &str) -> Result<(), CircleError> {
        let view = self.circle(circle, me.id).await?;
        if view.member(me.id).map(MemberRow::role) != Some(Role::Admin) {
            return Err(CircleError::NotAdmin);
        }
        let invitee =
            self.store.account_by_email(&email.to_ascii_lowercase()).await?.ok_or(CircleError::UnknownUser)?;
        if view.member(invitee.id).is_some_and(|m| m.state().is_current()) {
            return Err(CircleError::AlreadyMember);
        }
        if view.current().count() >= self.config.max_circle_members {
            return Err(CircleError::Full);
        }
        if self.current_circles(invitee.id).await? >= self.config.max_circles {
            return Err(CircleError::TooMany);
        }
        let member = MemberRow {
            account_id: invitee.id,
            email: invitee.email,
            friendly_name: invitee.friendly_name,
            role: Role::Member as i32,
            state: State::WaitingResponse as i32,
            inviter_id: Some(me.id),
            changed_at: unix_micros(),
        };
        self.store.put_circle_member(circle, &member).await?;
        let mut told: Vec<AccountId> = view.current().map(|m| m.account_id).collect();
        told.push(invitee.id);
        self.circle_changed(&told);
        Ok(())
    }

    /// `me` accepts or declines an invitation. `None` stands for "the one
    /// pending": MSNPSharp 3.2.1 answers without naming the circle (it sends
    /// an empty contact id), which is unambiguous only when one is pending.
    pub async fn answer_circle(
        &self,
        me: &Online,
        circle: Option<CircleId>,
        accept: bool,
    ) -> Result<CircleId, CircleError> {
        let pending: Vec<CircleId> = self
            .store
            .circles_of(me.id)
            .await?
            .into_iter()
            .filter(|(c, m)| !c.deleted && m.state() == State::WaitingResponse)
            .map(|(c, _)| c.id)
            .filter(|id| circle.is_none_or(|wanted| wanted == *id))
            .collect();
        let [circle] = pending.as_slice() else { return Err(CircleError::NotInvited) };
        let view = self.circle(*circle, me.id).await?;
        let mine = view.member(me.id).cloned().ok_or(CircleError::NotInvited)?;
        let state = if accept { State::Accepted } else { State::Rejected };
        let member = MemberRow { state: state as i32, changed_at: unix_micros(), ..mine };
        self.store.put_circle_member(*circle, &member).await?;
        // Read again after the write: of two members accepting at once, the
        // later one sees the other and tells them.
        let view = if accept { self.circle(*circle, me.id).await? } else { view };
        self.circle_changed(&view.current().map(|m| m.account_id).collect::<Vec<_>>());
        if accept {
            let members = view.accepted();
            let others: Vec<AccountId> = members.iter().copied().filter(|id| *id != me.id).collect();
            self.tell_circle(*circle, &others, CircleEvent::Member { account: me.id });
            self.tell_circle(*circle, &[me.id], CircleEvent::Joined { name: view.circle.name.clone(), members });
        }
        Ok(*circle)
    }

    /// `me` leaves the circle; an admin leaving deletes it for everyone.
    pub async fn leave_circle(&self, me: &Online, circle: CircleId) -> Result<(), CircleError> {
        let view = self.circle(circle, me.id).await?;
        let told: Vec<AccountId> = view.current().map(|m| m.account_id).collect();
        let mine = view.member(me.id).cloned().ok_or(CircleError::NotFound)?;
        if mine.role() == Role::Admin {
            self.store.delete_circle(circle, unix_micros()).await?;
            self.tell_circle(circle, &told, CircleEvent::Removed);
        } else {
            let member = MemberRow { state: State::Rejected as i32, changed_at: unix_micros(), ..mine };
            self.store.put_circle_member(circle, &member).await?;
            self.tell_circle(circle, &[me.id], CircleEvent::Removed);
        }
        self.circle_changed(&told);
        Ok(())
    }

    /// `me` (an admin) removes `member` from the circle.
    pub async fn remove_from_circle(
        &self,
        me: &Online,
        circle: CircleId,
        member: AccountId,
    ) -> Result<(), CircleError> {
        if member == me.id {
            return self.leave_circle(me, circle).await;
        }
        let view = self.circle(circle, me.id).await?;
        if view.member(me.id).map(MemberRow::role) != Some(Role::Admin) {
            return Err(CircleError::NotAdmin);
        }
        let removed = view.member(member).filter(|m| m.state().is_current()).cloned().ok_or(CircleError::NotFound)?;
        let told: Vec<AccountId> = view.current().map(|m| m.account_id).collect();
        let row = MemberRow { state: State::Left as i32, changed_at: unix_micros(), ..removed };
        self.store.put_circle_member(circle, &row).await?;
        self.tell_circle(circle, &[member], CircleEvent::Removed);
        self.circle_changed(&told);
        Ok(())
    }

    /// The ticket an account's address book hands its client, which presents
    /// it on the Notification Server (`USR SHA A`) to take part in circles.
    pub fn circle_ticket(&self, account: AccountId) -> String {
        let expires = super::unix_now() + self.config.ticket_lifetime.as_secs() as i64;
        let payload = Writer::default().u64(account as u64).u64(expires as u64).finish();
        self.signer.seal(Purpose::CircleTicket, &payload)
    }

    /// Whether `ticket` is a circle ticket of `account`, not expired.
    pub fn check_circle_ticket(&self, ticket: &str, account: AccountId) -> bool {
        let Some(payload) = self.signer.open(Purpose::CircleTicket, ticket) else { return false };
        let mut reader = Reader::new(&payload);
        let (Some(owner), Some(expires)) = (reader.u64(), reader.u64()) else { return false };
        owner as i64 == account && expires as i64 >= super::unix_now()
    }

    fn tell_circle(&self, circle: CircleId, accounts: &[AccountId], event: CircleEvent) {
        self.deliver(accounts, Notice::Circle { circle, event }, Filter::Anyone);
    }

    /// Tells every session of `accounts` that their address book changed.
    fn circle_changed(&self, accounts: &[AccountId]) {
        self.deliver(accounts, Notice::AddressBookChanged, Filter::Anyone);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back() {
        assert_eq!(ab_id(0x1234_5678_9abc), "00000000-0000-0000-0009-123456789abc");
        assert_eq!(address(1), "00000000-0000-0000-0009-000000000001@live.com");
        assert_eq!(parse_ab_id("00000000-0000-0000-0009-123456789ABC"), Some(0x1234_5678_9abc));
        assert_eq!(parse_ab_id("00000000-0000-0000-0009-000000000001@live.com"), Some(1));
        for bad in [
            "",
            "00000000-0000-0000-0000-000000000001",
            "00000000-0000-0000-0009-00000000000g",
            "00000000-0000-0000-0009-000000000000",
        ] {
            assert_eq!(parse_ab_id(bad), None, "{bad}");
        }
        let account: AccountId = 0x2f00_1234_abcd_0042;
        let id = member_contact_id(77, account);
        assert_eq!(id, "2f001234-abcd-0042-0009-00000000004d");
        assert_eq!(parse_member_contact_id(&id), Some((77, account)));
        assert_eq!(parse_member_contact_id("2f001234-abcd-0042-0000-00000000004d"), None);
        assert_eq!(parse_member_contact_id("not-a-guid"), None);
    }
}
