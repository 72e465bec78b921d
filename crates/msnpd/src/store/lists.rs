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

/// What a sign-in loads: the account, its lists, and the offline messages
/// waiting for it.
#[derive(Debug, Clone)]
pub struct SignInData {
    pub account: AccountRow,
    pub lists: ListData,
    pub offline: Vec<OfflineMessage>,
}

// An account and everything it signs in with, one row per item: its kind in
// `k`, its order within the kind in `o` then `t` (sorted here: an ORDER BY
// makes SQLite build a temporary b-tree per sign-in), and its fields in the other
// columns:
//   0 account:         n1 id, n2 created_at, n3 blp_allow, n4 gtc_ask, n5 list_serial,
//                      n6 lists_modified, n7 settings_modified, s1 email,
//                      s2 password_hash, s3 friendly_name, s4 legacy_md5_hash
//   1 contact:         n1 contact_id, n2 lists, s1 email, s2 guid, s3 nickname
//   2 membership:      n1 contact_id, s1 group_guid
//   3 group:           n2 legacy_id, s1 guid, s2 name
//   4 property:        s1 name, s2 value
//   5 offline message: n1 received_at, n2 was_read, s1 id, s2 sender_email,
//                      s3 sender_name, s4 content
macro_rules! account_rows {
    ($($more:literal)*) => {
        concat!(
            "SELECT 0 AS k, CAST(0 AS BIGINT) AS o, '' AS t, id AS n1, created_at AS n2, \
                    CAST(blp_allow AS BIGINT) AS n3, CAST(gtc_ask AS BIGINT) AS n4, list_serial AS n5, \
                    lists_modified AS n6, settings_modified AS n7, \
                    email AS s1, password_hash AS s2, friendly_name AS s3, legacy_md5_hash AS s4 \
               FROM accounts WHERE id = $1 \
             UNION ALL SELECT 1, c.position, '', c.contact_id, c.lists, 0, 0, 0, 0, 0, a.email, c.guid, c.nickname, NULL \
               FROM contacts c JOIN accounts a ON a.id = c.contact_id WHERE c.owner_id = $1 \
             UNION ALL SELECT 2, 0, group_guid, contact_id, 0, 0, 0, 0, 0, 0, group_guid, '', '', NULL \
               FROM group_members WHERE owner_id = $1 \
             UNION ALL SELECT 3, legacy_id, '', 0, legacy_id, 0, 0, 0, 0, 0, guid, name, '', NULL \
               FROM list_groups WHERE owner_id = $1 \
             UNION ALL SELECT 4, 0, name, 0, 0, 0, 0, 0, 0, 0, name, value, '', NULL \
               FROM account_properties WHERE account_id = $1 ",
            $($more,)*
        )
    };
}

const ACCOUNT_AND_LISTS: &str = account_rows!();

const ACCOUNT_LISTS_AND_OFFLINE: &str = account_rows!(
    "UNION ALL SELECT 5, received_at, id, received_at, was_read, 0, 0, 0, 0, 0, id, sender_email, sender_name, content \
       FROM offline_messages WHERE recipient_id = $1 "
);

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

    /// The lists of an account (`RowNotFound` if there is none).
    pub async fn load_lists(&self, owner: i64) -> StoreResult<ListData> {
        let loaded = self.account_with_lists(owner).await?;
        loaded.map(|(_, lists)| lists).ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// The account and its lists (`None` if there is no such account).
    pub async fn account_with_lists(&self, id: i64) -> StoreResult<Option<(AccountRow, ListData)>> {
        let _timed = self.timed("account_with_lists");
        let loaded = self.load_account(id, ACCOUNT_AND_LISTS).await?;
        Ok(loaded.map(|signed_in| (signed_in.account, signed_in.lists)))
    }

    /// What a sign-in needs, in one statement: each statement is a round
    /// trip to a SQLite worker thread or to the PostgreSQL server, and a
    /// sign-in is the busiest path of all.
    pub async fn sign_in_data(&self, id: i64) -> StoreResult<Option<SignInData>> {
        let _timed = self.timed("sign_in_data");
        self.load_account(id, ACCOUNT_LISTS_AND_OFFLINE).await
    }

    async fn load_account(&self, id: i64, statement: &'static str) -> StoreResult<Option<SignInData>> {
        let rows = match self.readers.query(statement, id, ItemRow::from_sqlite) {
            Some(rows) => rows,
            None => {
                let fetched = sqlx::query(statement).bind(id).fetch_all(&self.pool).await?;
                fetched.iter().map(ItemRow::from_any).collect::<Result<Vec<_>, sqlx::Error>>()?
            }
        };
        Ok(SignInData::from_rows(id, rows))
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

/// One row of [`account_rows!`], whichever driver read it.
struct ItemRow {
    k: i32,
    o: i64,
    t: String,
    n: [i64; 7],
    s: [Option<String>; 4],
}

impl ItemRow {
    fn from_any(row: &sqlx::any::AnyRow) -> Result<ItemRow, sqlx::Error> {
        let n = |name: &str| row.try_get::<i64, _>(name);
        let s = |name: &str| row.try_get::<Option<String>, _>(name);
        Ok(ItemRow {
            k: row.try_get("k")?,
            o: row.try_get("o")?,
            t: row.try_get("t")?,
            n: [n("n1")?, n("n2")?, n("n3")?, n("n4")?, n("n5")?, n("n6")?, n("n7")?],
            s: [s("s1")?, s("s2")?, s("s3")?, s("s4")?],
        })
    }

    /// Columns by position: `k o t n1…n7 s1…s4`.
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
        Ok(ItemRow {
            k: row.get(0)?,
            o: row.get(1)?,
            t: row.get(2)?,
            n: [row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?, row.get(8)?, row.get(9)?],
            s: [row.get(10)?, row.get(11)?, row.get(12)?, row.get(13)?],
        })
    }

    fn text(&mut self, index: usize) -> String {
        self.s[index].take().unwrap_or_default()
    }
}

impl SignInData {
    /// The account, its lists and its offline messages from their rows
    /// (`None` without the account's own row).
    fn from_rows(id: i64, mut rows: Vec<ItemRow>) -> Option<SignInData> {
        rows.sort_by(|a, b| (a.k, a.o, &a.t).cmp(&(b.k, b.o, &b.t)));
        let mut rows = rows.into_iter();
        let mut first = rows.next().filter(|row| row.k == 0)?;
        let account = AccountRow {
            id: first.n[0],
            email: first.text(0),
            password_hash: first.text(1),
            friendly_name: first.text(2),
            created_at: first.n[1],
            legacy_md5: first.s[3].is_some(),
        };
        let settings = ListSettings {
            blp_allow: first.n[2] != 0,
            gtc_ask: first.n[3] != 0,
            serial: first.n[4],
            lists_modified: first.n[5],
            settings_modified: first.n[6],
        };
        let mut lists = ListData { settings, contacts: Vec::new(), groups: Vec::new(), properties: Vec::new() };
        let mut offline = Vec::new();
        for mut row in rows {
            match row.k {
                1 => lists.contacts.push(ContactRow {
                    contact_id: row.n[0],
                    email: row.text(0),
                    guid: row.text(1),
                    lists: i32::try_from(row.n[1]).unwrap_or(0),
                    nickname: row.text(2),
                    groups: Vec::new(),
                }),
                2 => {
                    let contact_id = row.n[0];
                    if let Some(contact) = lists.contacts.iter_mut().find(|c| c.contact_id == contact_id) {
                        contact.groups.push(row.text(0));
                    }
                }
                3 => lists.groups.push(GroupRow {
                    guid: row.text(0),
                    legacy_id: i32::try_from(row.n[1]).unwrap_or(0),
                    name: row.text(1),
                }),
                4 => lists.properties.push((row.text(0), row.text(1))),
                _ => offline.push(OfflineMessage {
                    id: row.text(0),
                    recipient_id: id,
                    sender_email: row.text(1),
                    sender_name: row.text(2),
                    received_at: row.n[0],
                    content: row.text(3),
                    read: row.n[1] != 0,
                }),
            }
        }
        Some(SignInData { account, lists, offline })
    }
}
