//! An account's contact lists as the service holds them in memory: the five
//! lists and their rules, groups, privacy settings and phone properties.

use std::collections::BTreeMap;

use super::AccountId;
use crate::store::{ListChange, ListData, ListSettings};

/// The five lists and their bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum List {
    Forward,
    Allow,
    Block,
    Reverse,
    Pending,
}

impl List {
    pub const fn bit(self) -> i32 {
        match self {
            List::Forward => 1,
            List::Allow => 2,
            List::Block => 4,
            List::Reverse => 8,
            List::Pending => 16,
        }
    }

    /// Only the server changes RL and PL.
    pub const fn client_may_add(self) -> bool {
        matches!(self, List::Forward | List::Allow | List::Block)
    }

    /// Allow and block exclude each other.
    pub(crate) const fn opposite(self) -> Option<List> {
        match self {
            List::Allow => Some(List::Block),
            List::Block => Some(List::Allow),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: AccountId,
    pub email: String,
    pub guid: String,
    pub lists: i32,
    pub nickname: String,
    pub groups: Vec<String>,
}

impl Contact {
    pub fn is_on(&self, list: List) -> bool {
        self.lists & list.bit() != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub guid: String,
    /// The integer id older dialects use (1..; 0 is the implicit "Other Contacts").
    pub legacy_id: i32,
    pub name: String,
}

/// An online user's lists.
#[derive(Debug, Clone)]
pub struct ContactList {
    pub blp_allow: bool,
    pub gtc_ask: bool,
    pub serial: i64,
    pub lists_modified: i64,
    pub settings_modified: i64,
    pub contacts: Vec<Contact>,
    pub groups: Vec<Group>,
    pub properties: BTreeMap<String, String>,
}

impl From<ListData> for ContactList {
    fn from(data: ListData) -> ContactList {
        let ListSettings { blp_allow, gtc_ask, serial, lists_modified, settings_modified } = data.settings;
        ContactList {
            blp_allow,
            gtc_ask,
            serial,
            lists_modified,
            settings_modified,
            contacts: data
                .contacts
                .into_iter()
                .map(|row| Contact {
                    id: row.contact_id,
                    email: row.email,
                    guid: row.guid,
                    lists: row.lists,
                    nickname: row.nickname,
                    groups: row.groups,
                })
                .collect(),
            groups: data
                .groups
                .into_iter()
                .map(|row| Group { guid: row.guid, legacy_id: row.legacy_id, name: row.name })
                .collect(),
            properties: data.properties.into_iter().collect(),
        }
    }
}

impl ContactList {
    pub fn contact(&self, id: AccountId) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    pub fn by_email(&self, email: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.email == email)
    }

    pub fn by_guid(&self, guid: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.guid.eq_ignore_ascii_case(guid))
    }

    pub fn group(&self, guid: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.guid.eq_ignore_ascii_case(guid))
    }

    pub fn group_by_legacy_id(&self, id: i32) -> Option<&Group> {
        self.groups.iter().find(|g| g.legacy_id == id)
    }

    pub fn is_on_forward_list(&self, id: AccountId) -> bool {
        self.contact(id).is_some_and(|c| c.is_on(List::Forward))
    }

    /// Whether `viewer` may see this user and invite them: BL first, then AL, then BLP.
    pub fn allows(&self, viewer: AccountId) -> bool {
        match self.contact(viewer) {
            Some(c) if c.is_on(List::Block) => false,
            Some(c) if c.is_on(List::Allow) => true,
            _ => self.blp_allow,
        }
    }

    /// Accounts that have this user on their forward list.
    pub fn watchers(&self) -> impl Iterator<Item = AccountId> + '_ {
        self.contacts.iter().filter(|c| c.is_on(List::Reverse)).map(|c| c.id)
    }

    pub fn forward_ids(&self) -> impl Iterator<Item = AccountId> + '_ {
        self.contacts.iter().filter(|c| c.is_on(List::Forward)).map(|c| c.id)
    }

    pub fn count(&self, list: List) -> usize {
        self.contacts.iter().filter(|c| c.is_on(list)).count()
    }

    /// Applies a change already written to the store.
    pub fn apply(&mut self, change: &ListChange) {
        match change {
            ListChange::SetLists { contact_id, email, guid, nickname, add, remove, .. } => {
                let index = match self.contacts.iter().position(|c| c.id == *contact_id) {
                    Some(index) => index,
                    None => {
                        self.contacts.push(Contact {
                            id: *contact_id,
                            email: email.clone(),
                            guid: guid.clone(),
                            lists: 0,
                            nickname: nickname.clone(),
                            groups: Vec::new(),
                        });
                        self.contacts.len() - 1
                    }
                };
                let contact = &mut self.contacts[index];
                contact.lists = (contact.lists | add) & !remove;
                if remove & List::Forward.bit() != 0 {
                    contact.groups.clear();
                }
                if contact.lists == 0 {
                    self.contacts.remove(index);
                }
            }
            ListChange::SetNickname { contact_id, nickname, .. } => {
                if let Some(c) = self.contacts.iter_mut().find(|c| c.id == *contact_id) {
                    c.nickname = nickname.clone();
                }
            }
            ListChange::AddToGroup { contact_id, group, .. } => {
                if let Some(c) = self.contacts.iter_mut().find(|c| c.id == *contact_id) {
                    c.groups.push(group.clone());
                }
            }
            ListChange::RemoveFromGroup { contact_id, group, .. } => {
                if let Some(c) = self.contacts.iter_mut().find(|c| c.id == *contact_id) {
                    c.groups.retain(|g| g != group);
                }
            }
            ListChange::PutGroup { group, .. } => match self.groups.iter_mut().find(|g| g.guid == group.guid) {
                Some(existing) => existing.name = group.name.clone(),
                None => self.groups.push(Group {
                    guid: group.guid.clone(),
                    legacy_id: group.legacy_id,
                    name: group.name.clone(),
                }),
            },
            ListChange::DeleteGroup { guid, .. } => {
                self.groups.retain(|g| &g.guid != guid);
                for contact in &mut self.contacts {
                    contact.groups.retain(|g| g != guid);
                }
            }
            ListChange::Settings { blp_allow, gtc_ask, .. } => {
                self.blp_allow = *blp_allow;
                self.gtc_ask = *gtc_ask;
            }
            ListChange::Property { name, value, .. } => {
                if value.is_empty() {
                    self.properties.remove(name);
                } else {
                    self.properties.insert(name.clone(), value.clone());
                }
            }
        }
    }
}
