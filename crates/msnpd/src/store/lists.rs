//! Contact lists: loading an account's lists, the change log, and applying changes.

use sqlx::Row;

use super::*;

/// One change to a contact list, applied by [`Store::apply`] and, in memory,
/// by the core's contact list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ListChange {
    /// Sets and clears list bits of a contact, creating the entry (with `guid`
    /// and `nickname`) if it is new and dropping it once no bit is left.
    SetLists {
        owner: i64,
        contact_id: i64,
        email: String,
        guid: String,
        nickname: String,
        add: i32,
        remove: i32,
    },
    SetNickname {
        owner: i64,
        contact_id: i64,
        nickname: String,
    },
    AddToGroup {
        owner: i64,
        contact_id: i64,
        group: String,
    },
    RemoveFromGroup {
        owner: i64,
        contact_id: i64,
        group: String,
    },
    PutGroup {
        owner: i64,
        group: GroupRow,
    },
    DeleteGroup {
        owner: i64,
        guid: String,
    },
    Settings {
        owner: i64,
        blp_allow: bool,
        gtc_ask: bool,
    },
    Property {
        owner: i64,
        name: String,
        value: String,
    },
}

impl ListChange {
    pub fn owner(&self) -> i64 {
        match self {
            ListChange::SetLists { owner, .. }
            | ListChange::SetNickname { owner, .. }
            | ListChange::AddToGroup { owner, .. }
            | ListChange::RemoveFromGroup { owner, .. }
            | ListChange::PutGroup { owner, .. }
            | ListChange::DeleteGroup { owner, .. }
            | ListChange::Settings { owner, .. }
            | ListChange::Property { owner, .. } => *owner,
        }
    }
}

/// The settings stored with an account's contact list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSettings {
    pub blp_allow: bool,
    pub gtc_ask: bool,
    pub serial: i64,
    pub lists_modified: i64,
    pub settings_modified: i64,
}

/// One contact of an owner's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub contact_id: i64,
    pub email: String,
    pub guid: String,
    pub lists: i32,
    pub nickname: String,
    pub groups: Vec<String>,
}

/// A contact group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupRow {
    pub guid: String,
    pub legacy_id: i32,
    pub name: String,
}

/// Everything loaded at login.
#[derive(Debug, Clone)]
pub struct ListData {
    pub settings: ListSettings,
    pub contacts: Vec<ContactRow>,
    pub groups: Vec<GroupRow>,
    pub properties: Vec<(String, String)>,
}

impl Store {
    /// What changed in the owner's lists after `since` (microseconds): the kind
    /// (`contact`, `group`, `settings`), the item (contact id or group guid) and
    /// the guid it had, oldest first.
    pub async fn changes_since(&self, owner: i64, since: i64) -> StoreResult<Vec<(String, String, String)>> {
        let _timed = self.timed("changes_since");
        let rows = sqlx::query(
            "SELECT kind, item, guid FROM ab_changes WHERE owner_id = $1 AND changed_at > $2 ORDER BY changed_at",
        )
        .bind(owner)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("kind")?, row.try_get("item")?, row.try_get("guid")?))).collect()
    }

    pub async fn load_lists(&self, owner: i64) -> StoreResult<ListData> {
        let _timed = self.timed("load_lists");
        let settings = sqlx::query(
            "SELECT blp_allow, gtc_ask, list_serial, lists_modified, settings_modified FROM accounts WHERE id = $1",
        )
        .bind(owner)
        .fetch_one(&self.pool)
        .await?;
        self.lists_with_settings(owner, Self::list_settings_from_row(&settings)?).await
    }

    /// The account and its lists, as a sign-in needs them: the account row
    /// and the list settings come from one statement.
    pub async fn account_with_lists(&self, id: i64) -> StoreResult<Option<(AccountRow, ListData)>> {
        let _timed = self.timed("account_with_lists");
        let row = sqlx::query(
            "SELECT id, email, password_hash, friendly_name, created_at, legacy_md5_hash, blp_allow, gtc_ask, list_serial, lists_modified, settings_modified FROM accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let account = Self::account_from_row(&row)?;
        let lists = self.lists_with_settings(id, Self::list_settings_from_row(&row)?).await?;
        Ok(Some((account, lists)))
    }

    fn list_settings_from_row(row: &sqlx::any::AnyRow) -> StoreResult<ListSettings> {
        Ok(ListSettings {
            blp_allow: row.try_get::<i32, _>("blp_allow")? != 0,
            gtc_ask: row.try_get::<i32, _>("gtc_ask")? != 0,
            serial: row.try_get("list_serial")?,
            lists_modified: row.try_get("lists_modified")?,
            settings_modified: row.try_get("settings_modified")?,
        })
    }

    async fn lists_with_settings(&self, owner: i64, settings: ListSettings) -> StoreResult<ListData> {
        let rows = sqlx::query(
            "SELECT c.contact_id, a.email, c.guid, c.lists, c.nickname FROM contacts c \
             JOIN accounts a ON a.id = c.contact_id WHERE c.owner_id = $1 ORDER BY c.position",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        let mut contacts = Vec::with_capacity(rows.len());
        for row in &rows {
            contacts.push(ContactRow {
                contact_id: row.try_get("contact_id")?,
                email: row.try_get("email")?,
                guid: row.try_get("guid")?,
                lists: row.try_get("lists")?,
                nickname: row.try_get("nickname")?,
                groups: Vec::new(),
            });
        }
        let members =
            sqlx::query("SELECT contact_id, group_guid FROM group_members WHERE owner_id = $1 ORDER BY group_guid")
                .bind(owner)
                .fetch_all(&self.pool)
                .await?;
        for row in &members {
            let contact_id: i64 = row.try_get("contact_id")?;
            let guid: String = row.try_get("group_guid")?;
            if let Some(contact) = contacts.iter_mut().find(|c| c.contact_id == contact_id) {
                contact.groups.push(guid);
            }
        }
        let groups =
            sqlx::query("SELECT guid, legacy_id, name FROM list_groups WHERE owner_id = $1 ORDER BY legacy_id")
                .bind(owner)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| {
                    Ok(GroupRow {
                        guid: row.try_get("guid")?,
                        legacy_id: row.try_get("legacy_id")?,
                        name: row.try_get("name")?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
        let properties = sqlx::query("SELECT name, value FROM account_properties WHERE account_id = $1 ORDER BY name")
            .bind(owner)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("name")?, row.try_get("value")?)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(ListData { settings, contacts, groups, properties })
    }

    /// The phone properties (PHH, MOB…) of the owner's forward-list contacts
    /// who allow the owner to see them, by contact id.
    pub async fn contact_properties(&self, owner: i64) -> StoreResult<Vec<(i64, String, String)>> {
        let _timed = self.timed("contact_properties");
        let rows = sqlx::query(
            "SELECT p.account_id, p.name, p.value FROM account_properties p \
             JOIN contacts c ON c.contact_id = p.account_id AND c.owner_id = $1 AND (c.lists & 1) <> 0 \
             JOIN accounts a ON a.id = p.account_id \
             LEFT JOIN contacts r ON r.owner_id = p.account_id AND r.contact_id = $1 \
             WHERE (COALESCE(r.lists, 0) & 4) = 0 AND ((COALESCE(r.lists, 0) & 2) <> 0 OR a.blp_allow <> 0) \
             ORDER BY p.account_id, p.name",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("account_id")?, row.try_get("name")?, row.try_get("value")?))).collect()
    }

    /// Applies a batch of list changes atomically and advances each touched
    /// owner's serial and timestamp. Returns the new serial of each owner, in order.
    pub async fn apply(&self, changes: &[ListChange], now: i64) -> StoreResult<Vec<(i64, i64)>> {
        let _timed = self.timed("apply");
        let mut tx = self.write_transaction().await?;
        let mut owners: Vec<i64> = Vec::new();
        for change in changes {
            let owner = change.owner();
            if !owners.contains(&owner) {
                owners.push(owner);
            }
            match change {
                ListChange::SetLists { owner, contact_id, guid, nickname, add, remove, .. } => {
                    sqlx::query(
                        "INSERT INTO contacts (owner_id, contact_id, guid, lists, nickname, position) \
                         SELECT $1, $2, $3, 0, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM contacts WHERE owner_id = $1) \
                         WHERE NOT EXISTS (SELECT 1 FROM contacts WHERE owner_id = $1 AND contact_id = $2)",
                    )
                    .bind(*owner)
                    .bind(*contact_id)
                    .bind(guid)
                    .bind(nickname)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE contacts SET lists = (lists | $1) & ~$2 WHERE owner_id = $3 AND contact_id = $4",
                    )
                    .bind(*add)
                    .bind(*remove)
                    .bind(*owner)
                    .bind(*contact_id)
                    .execute(&mut *tx)
                    .await?;
                    if *remove & FORWARD_LIST_BIT != 0 {
                        sqlx::query("DELETE FROM group_members WHERE owner_id = $1 AND contact_id = $2")
                            .bind(*owner)
                            .bind(*contact_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query("DELETE FROM contacts WHERE owner_id = $1 AND contact_id = $2 AND lists = 0")
                        .bind(*owner)
                        .bind(*contact_id)
                        .execute(&mut *tx)
                        .await?;
                }
                ListChange::SetNickname { owner, contact_id, nickname } => {
                    sqlx::query("UPDATE contacts SET nickname = $1 WHERE owner_id = $2 AND contact_id = $3")
                        .bind(nickname)
                        .bind(*owner)
                        .bind(*contact_id)
                        .execute(&mut *tx)
                        .await?;
                }
                ListChange::AddToGroup { owner, contact_id, group } => {
                    sqlx::query("INSERT INTO group_members (owner_id, contact_id, group_guid) VALUES ($1, $2, $3)")
                        .bind(*owner)
                        .bind(*contact_id)
                        .bind(group)
                        .execute(&mut *tx)
                        .await?;
                }
                ListChange::RemoveFromGroup { owner, contact_id, group } => {
                    sqlx::query(
                        "DELETE FROM group_members WHERE owner_id = $1 AND contact_id = $2 AND group_guid = $3",
                    )
                    .bind(*owner)
                    .bind(*contact_id)
                    .bind(group)
                    .execute(&mut *tx)
                    .await?;
                }
                ListChange::PutGroup { owner, group } => {
                    let updated = sqlx::query("UPDATE list_groups SET name = $1 WHERE owner_id = $2 AND guid = $3")
                        .bind(&group.name)
                        .bind(*owner)
                        .bind(&group.guid)
                        .execute(&mut *tx)
                        .await?;
                    if updated.rows_affected() == 0 {
                        sqlx::query(
                            "INSERT INTO list_groups (owner_id, guid, legacy_id, name) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(*owner)
                        .bind(&group.guid)
                        .bind(group.legacy_id)
                        .bind(&group.name)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                ListChange::DeleteGroup { owner, guid } => {
                    sqlx::query("DELETE FROM group_members WHERE owner_id = $1 AND group_guid = $2")
                        .bind(*owner)
                        .bind(guid)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM list_groups WHERE owner_id = $1 AND guid = $2")
                        .bind(*owner)
                        .bind(guid)
                        .execute(&mut *tx)
                        .await?;
                }
                ListChange::Settings { owner, blp_allow, gtc_ask } => {
                    sqlx::query(
                        "UPDATE accounts SET blp_allow = $1, gtc_ask = $2, settings_modified = $3 WHERE id = $4",
                    )
                    .bind(i32::from(*blp_allow))
                    .bind(i32::from(*gtc_ask))
                    .bind(now)
                    .bind(*owner)
                    .execute(&mut *tx)
                    .await?;
                }
                ListChange::Property { owner, name, value } => {
                    sqlx::query("DELETE FROM account_properties WHERE account_id = $1 AND name = $2")
                        .bind(*owner)
                        .bind(name)
                        .execute(&mut *tx)
                        .await?;
                    if !value.is_empty() {
                        sqlx::query("INSERT INTO account_properties (account_id, name, value) VALUES ($1, $2, $3)")
                            .bind(*owner)
                            .bind(name)
                            .bind(value)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
        }
        for change in changes {
            let (kind, item, guid) = match change {
                ListChange::SetLists { contact_id, guid, .. } => ("contact", contact_id.to_string(), guid.clone()),
                ListChange::SetNickname { contact_id, .. }
                | ListChange::AddToGroup { contact_id, .. }
                | ListChange::RemoveFromGroup { contact_id, .. } => ("contact", contact_id.to_string(), String::new()),
                ListChange::PutGroup { group, .. } => ("group", group.guid.clone(), group.guid.clone()),
                ListChange::DeleteGroup { guid, .. } => ("group", guid.clone(), guid.clone()),
                ListChange::Settings { .. } | ListChange::Property { .. } => ("settings", String::new(), String::new()),
            };
            sqlx::query("INSERT INTO ab_changes (owner_id, changed_at, kind, item, guid) VALUES ($1, $2, $3, $4, $5)")
                .bind(change.owner())
                .bind(now)
                .bind(kind)
                .bind(item)
                .bind(guid)
                .execute(&mut *tx)
                .await?;
        }
        // The log keeps CHANGE_LOG_DAYS; a client asking from before that gets the whole book.
        for owner in &owners {
            sqlx::query("DELETE FROM ab_changes WHERE owner_id = $1 AND changed_at < $2")
                .bind(*owner)
                .bind(now - CHANGE_LOG_DAYS * 86_400 * 1_000_000)
                .execute(&mut *tx)
                .await?;
        }
        let mut serials = Vec::with_capacity(owners.len());
        for owner in owners {
            sqlx::query("UPDATE accounts SET list_serial = list_serial + 1, lists_modified = $1 WHERE id = $2")
                .bind(now)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
            let serial: i64 = sqlx::query("SELECT list_serial FROM accounts WHERE id = $1")
                .bind(owner)
                .fetch_one(&mut *tx)
                .await?
                .try_get("list_serial")?;
            serials.push((owner, serial));
        }
        tx.commit().await?;
        Ok(serials)
    }
}
