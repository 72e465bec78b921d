//! Contact lists (FL, AL, BL, RL, PL), groups and privacy settings: the rules,
//! the in-memory copy of an online user's lists, and the operations that
//! write them through to the store and tell the other side.

use std::sync::Arc;

use super::cluster::{Message, Route};
pub use super::contact_list::{Contact, ContactList, Group, List};
use super::hub::Online;
use super::types::{ContactView, Notice};
use super::{AccountId, Core, ServiceError, unix_micros};
use crate::store::{GroupRow, ListChange, StoreError};

/// Why a list operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("no such user")]
    UnknownUser,
    #[error("already on that list or in that group")]
    AlreadyInList,
    #[error("not on that list")]
    NotOnList,
    #[error("on the opposite list (allow vs block)")]
    OppositeList,
    #[error("the list is full")]
    ListFull,
    #[error("the server maintains that list")]
    ReadOnlyList,
    #[error("too many groups")]
    TooManyGroups,
    #[error("no such group")]
    InvalidGroup,
    #[error("a group with that name exists")]
    GroupExists,
    #[error("group name too long")]
    GroupNameTooLong,
    #[error("not in that group")]
    NotInGroup,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ListError {
    fn from(error: StoreError) -> ListError {
        ListError::Service(error.into())
    }
}

/// What a list operation did.
#[derive(Debug, Clone)]
pub struct ListOutcome {
    /// The owner's list serial after the change (MSNP2–9 list version).
    pub serial: i64,
    /// The contact as it now stands, if the change was about one.
    pub contact: Option<Contact>,
    /// The group created or renamed, if any.
    pub group: Option<Group>,
    /// The contact's presence, when they were added to the forward list and
    /// are online and visible to the owner (ILN).
    pub presence: Option<ContactView>,
}

fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Core {
    /// Writes `changes` and applies them to the owner's in-memory lists.
    /// Also to the copies other nodes hold (the account's other endpoints, or
    /// its session when `me` is a detached copy acting for a SOAP request).
    async fn commit(&self, me: &Arc<Online>, changes: &[ListChange]) -> Result<i64, ListError> {
        let serials = self.store.apply(changes, unix_micros()).await?;
        let serial = {
            let mut state = me.lock();
            for change in changes.iter().filter(|c| c.owner() == me.id) {
                state.lists.apply(change);
            }
            if let Some((_, serial)) = serials.iter().find(|(owner, _)| *owner == me.id) {
                state.lists.serial = *serial;
            }
            state.lists.lists_modified = unix_micros();
            state.lists.serial
        };
        let mine: Vec<ListChange> = changes.iter().filter(|c| c.owner() == me.id).cloned().collect();
        self.publish_list_change(me.id, mine, Some(serial));
        Ok(serial)
    }

    fn publish_list_change(&self, owner: AccountId, changes: Vec<ListChange>, serial: Option<i64>) {
        for node in self.directory.nodes_of(owner) {
            let message = Message::ListChanged { owner, changes: changes.clone(), serial };
            self.bus.publish(Route::Node(node), message);
        }
    }

    /// Applies a change made to another account's lists to its online
    /// copies, here and on other nodes.
    fn apply_elsewhere(&self, changes: &[ListChange], owner: AccountId) {
        self.apply_here(changes, owner, None);
        self.publish_list_change(owner, changes.to_vec(), None);
    }

    /// Applies changes to `owner`'s lists, already stored, to the copy this
    /// node holds if it is signed in here.
    pub(crate) fn apply_here(&self, changes: &[ListChange], owner: AccountId, serial: Option<i64>) {
        if let Some(other) = self.hub.get(owner) {
            let mut state = other.lock();
            for change in changes.iter().filter(|c| c.owner() == owner) {
                state.lists.apply(change);
            }
            state.lists.serial = serial.unwrap_or(state.lists.serial + 1);
            state.lists.lists_modified = unix_micros();
        }
    }

    /// Puts `email` on one of the user's lists (and, for the FL, optionally in a group).
    /// Adding to the FL puts the user on the contact's RL and tells them.
    pub async fn add_to_list(
        &self,
        me: &Arc<Online>,
        list: List,
        email: &str,
        nickname: &str,
        group: Option<&str>,
    ) -> Result<ListOutcome, ListError> {
        if !list.client_may_add() {
            return Err(ListError::ReadOnlyList);
        }
        let target = self.store.account_by_email(email).await?.ok_or(ListError::UnknownUser)?;
        let _writes = me.list_writes.lock().await;
        let (existing, group_known) = {
            let state = me.lock();
            if let Some(group) = group
                && state.lists.group(group).is_none()
            {
                return Err(ListError::InvalidGroup);
            }
            (state.lists.contact(target.id).cloned(), group.is_some())
        };
        let on_list = existing.as_ref().is_some_and(|c| c.is_on(list));
        if on_list {
            // An FL contact may still be added to another group.
            return match (list, group) {
                (List::Forward, Some(group)) if group_known => self.add_to_group(me, target.id, group).await,
                _ => Err(ListError::AlreadyInList),
            };
        }
        if let Some(opposite) = list.opposite()
            && existing.as_ref().is_some_and(|c| c.is_on(opposite))
        {
            return Err(ListError::OppositeList);
        }
        if me.lock().lists.count(list) >= self.config.max_list_entries {
            return Err(ListError::ListFull);
        }
        let guid = existing.as_ref().map_or_else(new_guid, |c| c.guid.clone());
        let was_allowed = me.lock().lists.allows(target.id);
        // Allowing or blocking someone answers their request (PL).
        let answered = if matches!(list, List::Allow | List::Block) { List::Pending.bit() } else { 0 };
        let mut changes = vec![ListChange::SetLists {
            owner: me.id,
            contact_id: target.id,
            email: target.email.clone(),
            guid,
            nickname: nickname.to_owned(),
            add: list.bit(),
            remove: answered,
        }];
        if let (List::Forward, Some(group)) = (list, group) {
            changes.push(ListChange::AddToGroup { owner: me.id, contact_id: target.id, group: group.to_owned() });
        }
        let reverse = if list == List::Forward {
            let theirs = self.store.load_lists(target.id).await?;
            let entry = theirs.contacts.iter().find(|c| c.contact_id == me.id);
            let guid = entry.map_or_else(new_guid, |c| c.guid.clone());
            // They are asked (PL) unless they have already allowed or blocked the user.
            let decided = List::Allow.bit() | List::Block.bit();
            let asked = target.id != me.id && entry.is_none_or(|c| c.lists & decided == 0);
            let friendly_name = me.lock().friendly_name.clone();
            let change = ListChange::SetLists {
                owner: target.id,
                contact_id: me.id,
                email: me.email.clone(),
                guid,
                nickname: friendly_name,
                add: List::Reverse.bit() | if asked { List::Pending.bit() } else { 0 },
                remove: 0,
            };
            changes.push(change.clone());
            Some(change)
        } else {
            None
        };
        let serial = self.commit(me, &changes).await?;
        if let Some(change) = reverse {
            // Adding yourself: `commit` already applied both changes to this state.
            if target.id != me.id {
                self.apply_elsewhere(std::slice::from_ref(&change), target.id);
            }
            // Never hold one account's lock while notify takes another's (or the same) one.
            let friendly_name = me.lock().friendly_name.clone();
            self.tell(target.id, Notice::AddedBy { email: me.email.clone(), friendly_name });
        }
        if matches!(list, List::Allow | List::Block) {
            self.refresh_visibility(me, target.id, was_allowed);
        }
        let presence = match list {
            List::Forward => self.contact_views(me.id, &[target.id]).await.pop(),
            _ => None,
        };
        Ok(ListOutcome { serial, contact: me.lock().lists.contact(target.id).cloned(), group: None, presence })
    }

    /// Puts a forward-list contact in a group.
    pub async fn add_to_group(
        &self,
        me: &Arc<Online>,
        contact: AccountId,
        group: &str,
    ) -> Result<ListOutcome, ListError> {
        let group_guid = {
            let state = me.lock();
            let group = state.lists.group(group).ok_or(ListError::InvalidGroup)?;
            let entry = state.lists.contact(contact).filter(|c| c.is_on(List::Forward)).ok_or(ListError::NotOnList)?;
            if entry.groups.contains(&group.guid) {
                return Err(ListError::AlreadyInList);
            }
            group.guid.clone()
        };
        let serial =
            self.commit(me, &[ListChange::AddToGroup { owner: me.id, contact_id: contact, group: group_guid }]).await?;
        Ok(ListOutcome { serial, contact: me.lock().lists.contact(contact).cloned(), group: None, presence: None })
    }

    /// Takes a contact off a list; for the FL with a group, only out of that group.
    /// Leaving the FL takes the user off the contact's RL and tells them.
    pub async fn remove_from_list(
        &self,
        me: &Arc<Online>,
        list: List,
        contact: AccountId,
        group: Option<&str>,
    ) -> Result<ListOutcome, ListError> {
        if matches!(list, List::Reverse) {
            return Err(ListError::ReadOnlyList);
        }
        let _writes = me.list_writes.lock().await;
        let (entry, was_allowed) = {
            let state = me.lock();
            let entry = state.lists.contact(contact).filter(|c| c.is_on(list)).cloned().ok_or(ListError::NotOnList)?;
            (entry, state.lists.allows(contact))
        };
        if let (List::Forward, Some(group)) = (list, group) {
            let guid = me.lock().lists.group(group).map(|g| g.guid.clone()).ok_or(ListError::InvalidGroup)?;
            if !entry.groups.contains(&guid) {
                return Err(ListError::NotInGroup);
            }
            let serial = self
                .commit(me, &[ListChange::RemoveFromGroup { owner: me.id, contact_id: contact, group: guid }])
                .await?;
            return Ok(ListOutcome {
                serial,
                contact: me.lock().lists.contact(contact).cloned(),
                group: None,
                presence: None,
            });
        }
        let mut changes = vec![ListChange::SetLists {
            owner: me.id,
            contact_id: contact,
            email: entry.email.clone(),
            guid: entry.guid.clone(),
            nickname: entry.nickname.clone(),
            add: 0,
            remove: list.bit(),
        }];
        let reverse = (list == List::Forward).then(|| ListChange::SetLists {
            owner: contact,
            contact_id: me.id,
            email: me.email.clone(),
            guid: String::new(),
            nickname: String::new(),
            add: 0,
            // Nothing is asked of them any more either.
            remove: List::Reverse.bit() | List::Pending.bit(),
        });
        if let Some(change) = &reverse {
            changes.push(change.clone());
        }
        let serial = self.commit(me, &changes).await?;
        if let Some(change) = reverse {
            self.apply_elsewhere(std::slice::from_ref(&change), contact);
            self.tell(contact, Notice::RemovedBy { email: me.email.clone() });
        }
        if matches!(list, List::Allow | List::Block) {
            self.refresh_visibility(me, contact, was_allowed);
        }
        Ok(ListOutcome { serial, contact: Some(entry), group: None, presence: None })
    }

    /// The user has seen that `contact` added them: the request (PL) is
    /// answered and they stay on the reverse list (`AddMember` role Reverse,
    /// MSNP10–12 `ADC RL`). Refused for someone who has not added the user.
    pub async fn acknowledge(&self, me: &Arc<Online>, contact: AccountId) -> Result<i64, ListError> {
        let _writes = me.list_writes.lock().await;
        let entry = {
            let state = me.lock();
            let entry = state.lists.contact(contact).filter(|c| c.is_on(List::Reverse) || c.is_on(List::Pending));
            entry.cloned().ok_or(ListError::NotOnList)?
        };
        if !entry.is_on(List::Pending) {
            return Ok(me.lock().lists.serial);
        }
        self.commit(
            me,
            &[ListChange::SetLists {
                owner: me.id,
                contact_id: contact,
                email: entry.email,
                guid: entry.guid,
                nickname: entry.nickname,
                add: 0,
                remove: List::Pending.bit(),
            }],
        )
        .await
    }

    /// Creates a group named `name` (already validated for length by the front).
    pub async fn add_group(&self, me: &Arc<Online>, name: &str) -> Result<ListOutcome, ListError> {
        let _writes = me.list_writes.lock().await;
        let legacy_id = {
            let state = me.lock();
            if state.lists.groups.iter().any(|g| g.name == name) {
                return Err(ListError::GroupExists);
            }
            // Group 0 is the implicit "Other Contacts" of older dialects.
            if state.lists.groups.len() + 1 >= self.config.max_groups {
                return Err(ListError::TooManyGroups);
            }
            (1..).find(|id| state.lists.group_by_legacy_id(*id).is_none()).unwrap_or(1)
        };
        let group = GroupRow { guid: new_guid(), legacy_id, name: name.to_owned() };
        let serial = self.commit(me, &[ListChange::PutGroup { owner: me.id, group: group.clone() }]).await?;
        Ok(ListOutcome {
            serial,
            contact: None,
            group: Some(Group { guid: group.guid, legacy_id: group.legacy_id, name: group.name }),
            presence: None,
        })
    }

    pub async fn remove_group(&self, me: &Arc<Online>, guid: &str) -> Result<ListOutcome, ListError> {
        let _writes = me.list_writes.lock().await;
        let group = me.lock().lists.group(guid).cloned().ok_or(ListError::InvalidGroup)?;
        let serial = self.commit(me, &[ListChange::DeleteGroup { owner: me.id, guid: group.guid.clone() }]).await?;
        Ok(ListOutcome { serial, contact: None, group: Some(group), presence: None })
    }

    pub async fn rename_group(&self, me: &Arc<Online>, guid: &str, name: &str) -> Result<ListOutcome, ListError> {
        let _writes = me.list_writes.lock().await;
        let mut group = {
            let state = me.lock();
            let group = state.lists.group(guid).cloned().ok_or(ListError::InvalidGroup)?;
            if state.lists.groups.iter().any(|g| g.name == name && g.guid != group.guid) {
                return Err(ListError::GroupExists);
            }
            group
        };
        group.name = name.to_owned();
        let serial = self
            .commit(
                me,
                &[ListChange::PutGroup {
                    owner: me.id,
                    group: GroupRow { guid: group.guid.clone(), legacy_id: group.legacy_id, name: group.name.clone() },
                }],
            )
            .await?;
        Ok(ListOutcome { serial, contact: None, group: Some(group), presence: None })
    }

    /// Sets BLP (`allow`) or GTC (`ask`). The value already in force changes
    /// nothing and answers with the current serial: clients send their setting
    /// at every sign-in and wait for the echo.
    pub async fn set_privacy(
        &self,
        me: &Arc<Online>,
        allow: Option<bool>,
        ask: Option<bool>,
    ) -> Result<i64, ListError> {
        let _writes = me.list_writes.lock().await;
        let (blp_allow, gtc_ask, before) = {
            let state = me.lock();
            let lists = &state.lists;
            if allow.is_none_or(|allow| allow == lists.blp_allow) && ask.is_none_or(|ask| ask == lists.gtc_ask) {
                return Ok(lists.serial);
            }
            let before: Vec<(AccountId, bool)> = lists.watchers().map(|id| (id, lists.allows(id))).collect();
            (allow.unwrap_or(lists.blp_allow), ask.unwrap_or(lists.gtc_ask), before)
        };
        let serial = self.commit(me, &[ListChange::Settings { owner: me.id, blp_allow, gtc_ask }]).await?;
        for (watcher, was_allowed) in before {
            self.refresh_visibility(me, watcher, was_allowed);
        }
        Ok(serial)
    }

    /// Sets (or with an empty value clears) a phone property such as PHH;
    /// the contacts who see the user are told.
    pub async fn set_property(&self, me: &Arc<Online>, name: &str, value: &str) -> Result<i64, ListError> {
        let _writes = me.list_writes.lock().await;
        let change = ListChange::Property { owner: me.id, name: name.to_owned(), value: value.to_owned() };
        let serial = self.commit(me, &[change]).await?;
        let notice = Notice::Phone { email: me.email.clone(), name: name.to_owned(), value: value.to_owned() };
        self.tell_watchers(me, notice);
        Ok(serial)
    }

    /// Sets the name the user keeps for a contact (SBP MFN, ADD nickname).
    pub async fn set_contact_nickname(
        &self,
        me: &Arc<Online>,
        contact: AccountId,
        nickname: &str,
    ) -> Result<i64, ListError> {
        let _writes = me.list_writes.lock().await;
        if me.lock().lists.contact(contact).is_none() {
            return Err(ListError::NotOnList);
        }
        self.commit(me, &[ListChange::SetNickname { owner: me.id, contact_id: contact, nickname: nickname.to_owned() }])
            .await
    }
}
