//! Persistence: one SQL path over SQLite (embedded default) and PostgreSQL,
//! through sqlx's `Any` driver with runtime queries. Ids are chosen by the
//! application, so the schema needs no dialect-specific auto-increment.

mod schema;
mod secrets;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("unsupported database URL {0:?} (use sqlite:// or postgres://)")]
    UnsupportedUrl(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub friendly_name: String,
    pub created_at: i64,
    /// The account keeps the MSNP2–7 MD5 secret (`--legacy-md5`).
    pub legacy_md5: bool,
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

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    is_sqlite: bool,
    /// How long each kind of operation takes (`/metrics`).
    pub timings: crate::metrics::DbTimings,
}

/// Times one operation of the store until dropped.
pub(crate) struct Timed<'a> {
    timings: &'a crate::metrics::DbTimings,
    kind: &'static str,
    started: std::time::Instant,
}

impl Drop for Timed<'_> {
    fn drop(&mut self) {
        let labels = crate::metrics::DbLabels { kind: self.kind };
        self.timings.get_or_create(&labels).observe(self.started.elapsed().as_secs_f64());
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// How the store uses its database.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// How long a statement may wait for the database before it fails.
    pub wait: std::time::Duration,
    /// Connections in the pool; `None`: 8 for SQLite (each is a worker
    /// thread), 16 for PostgreSQL.
    pub connections: Option<u32>,
}

/// Shortest wait for a pooled connection: a pool must survive a burst of logins.
const MIN_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether an offline message was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Yes,
    /// The recipient holds the most messages an inbox may.
    InboxFull,
    /// The recipient holds the most messages one sender may leave there.
    SenderShareFull,
}

/// Begins a transaction that writes; see [`Store::write_transaction`].
pub(crate) async fn begin_writing(
    pool: &AnyPool,
    is_sqlite: bool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if is_sqlite { pool.begin_with("BEGIN IMMEDIATE").await } else { pool.begin().await }
}

impl Store {
    /// A transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), waiting out another writer for `busy_timeout`: a
    /// transaction that read first and wrote later would instead fail at once
    /// ("database is locked") whenever another connection or process, a
    /// server starting or a `msnpd user` command, wrote in between.
    pub(crate) async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        begin_writing(&self.pool, self.is_sqlite).await
    }

    /// Connects (creating a SQLite file if needed) and brings the schema up to date.
    /// `wait` bounds how long a statement waits for the database (a locked
    /// SQLite file, a PostgreSQL pool with no free or reachable connection)
    /// before it fails and the client is answered 500/501.
    pub async fn open(url: &str, options: StoreOptions) -> StoreResult<Store> {
        let wait = options.wait;
        install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        if !is_sqlite && !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let url = if is_sqlite && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        };
        let connections = options.connections.unwrap_or(if is_sqlite { 8 } else { 16 }).max(1);
        let mut options = AnyPoolOptions::new().max_connections(connections).acquire_timeout(wait.max(MIN_WAIT));
        if is_sqlite {
            let busy_timeout = format!("PRAGMA busy_timeout={}", wait.as_millis());
            // WAL for concurrent readers; FULL so an acknowledged change survives a crash.
            options = options.after_connect(move |conn, _| {
                let busy_timeout = busy_timeout.clone();
                Box::pin(async move {
                    // The wait first: switching to WAL needs the file to itself,
                    // and another process (a server starting) may hold it.
                    // A number this function formatted, not input.
                    sqlx::query(sqlx::AssertSqlSafe(busy_timeout)).execute(&mut *conn).await?;
                    for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        let store = Store { pool, is_sqlite, timings: crate::metrics::db_timings() };
        schema::migrate(&store.pool, store.is_sqlite).await?;
        Ok(store)
    }

    /// Starts timing an operation of kind `kind` (the method's name).
    pub(crate) fn timed(&self, kind: &'static str) -> Timed<'_> {
        Timed { timings: &self.timings, kind, started: std::time::Instant::now() }
    }

    pub fn is_sqlite(&self) -> bool {
        self.is_sqlite
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- accounts ----

    pub async fn create_account(&self, row: &AccountRow) -> StoreResult<()> {
        let _timed = self.timed("create_account");
        // List timestamps are in microseconds, creation in seconds.
        let micros = row.created_at.saturating_mul(1_000_000);
        let result = sqlx::query(
            "INSERT INTO accounts (id, email, password_hash, friendly_name, blp_allow, gtc_ask, list_serial, lists_modified, settings_modified, created_at) \
             VALUES ($1, $2, $3, $4, 1, 1, 0, $5, $5, $6)",
        )
        .bind(row.id)
        .bind(&row.email)
        .bind(&row.password_hash)
        .bind(&row.friendly_name)
        .bind(micros)
        .bind(row.created_at)
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_unique_violation(&error) => Err(StoreError::Duplicate(row.email.clone())),
            Err(error) => Err(error.into()),
        }
    }

    fn account_from_row(row: &sqlx::any::AnyRow) -> StoreResult<AccountRow> {
        Ok(AccountRow {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            friendly_name: row.try_get("friendly_name")?,
            created_at: row.try_get("created_at")?,
            legacy_md5: row.try_get::<Option<String>, _>("legacy_md5_hash")?.is_some(),
        })
    }

    pub async fn account_by_email(&self, email: &str) -> StoreResult<Option<AccountRow>> {
        let _timed = self.timed("account_by_email");
        let row =
            sqlx::query("SELECT id, email, password_hash, friendly_name, created_at, legacy_md5_hash FROM accounts WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(Self::account_from_row).transpose()
    }

    pub async fn account_by_id(&self, id: i64) -> StoreResult<Option<AccountRow>> {
        let _timed = self.timed("account_by_id");
        let row = sqlx::query(
            "SELECT id, email, password_hash, friendly_name, created_at, legacy_md5_hash FROM accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Self::account_from_row).transpose()
    }

    pub async fn list_accounts(&self) -> StoreResult<Vec<AccountRow>> {
        let _timed = self.timed("list_accounts");
        let rows = sqlx::query(
            "SELECT id, email, password_hash, friendly_name, created_at, legacy_md5_hash FROM accounts ORDER BY email",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Self::account_from_row).collect()
    }

    pub async fn set_password_hash(&self, id: i64, hash: &str) -> StoreResult<bool> {
        let _timed = self.timed("set_password_hash");
        let done = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets or clears the MSNP2-7 MD5 credential (a salt and MD5(salt || password)).
    pub async fn set_legacy_md5(&self, id: i64, credential: Option<(&str, &str)>) -> StoreResult<()> {
        let _timed = self.timed("set_legacy_md5");
        sqlx::query("UPDATE accounts SET legacy_md5_salt = $1, legacy_md5_hash = $2 WHERE id = $3")
            .bind(credential.map(|(salt, _)| salt.to_owned()))
            .bind(credential.map(|(_, hash)| hash.to_owned()))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores an offline message unless the recipient already has `limit` of
    /// them, or `per_sender` from this sender.
    pub async fn store_offline_message(
        &self,
        message: &OfflineMessage,
        limit: usize,
        per_sender: usize,
    ) -> StoreResult<Stored> {
        let _timed = self.timed("store_offline_message");
        let mut tx = self.write_transaction().await?;
        let counts = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN sender_email = $2 THEN 1 ELSE 0 END), 0) AS mine \
             FROM offline_messages WHERE recipient_id = $1",
        )
        .bind(message.recipient_id)
        .bind(&message.sender_email)
        .fetch_one(&mut *tx)
        .await?;
        let (count, mine): (i64, i64) = (counts.try_get("n")?, counts.try_get("mine")?);
        if count >= limit as i64 {
            return Ok(Stored::InboxFull);
        }
        if mine >= per_sender as i64 {
            return Ok(Stored::SenderShareFull);
        }
        sqlx::query(
            "INSERT INTO offline_messages (id, recipient_id, sender_email, sender_name, received_at, content, was_read) \
             VALUES ($1, $2, $3, $4, $5, $6, 0)",
        )
        .bind(&message.id)
        .bind(message.recipient_id)
        .bind(&message.sender_email)
        .bind(&message.sender_name)
        .bind(message.received_at)
        .bind(&message.content)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Stored::Yes)
    }

    /// The recipient's offline messages, oldest first.
    pub async fn offline_messages(&self, recipient: i64) -> StoreResult<Vec<OfflineMessage>> {
        let _timed = self.timed("offline_messages");
        let rows = sqlx::query(
            "SELECT id, recipient_id, sender_email, sender_name, received_at, content, was_read FROM offline_messages \
             WHERE recipient_id = $1 ORDER BY received_at, id",
        )
        .bind(recipient)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OfflineMessage {
                    id: row.try_get("id")?,
                    recipient_id: row.try_get("recipient_id")?,
                    sender_email: row.try_get("sender_email")?,
                    sender_name: row.try_get("sender_name")?,
                    received_at: row.try_get("received_at")?,
                    content: row.try_get("content")?,
                    read: row.try_get::<i32, _>("was_read")? != 0,
                })
            })
            .collect()
    }

    pub async fn mark_offline_message_read(&self, recipient: i64, id: &str) -> StoreResult<()> {
        let _timed = self.timed("mark_offline_message_read");
        sqlx::query("UPDATE offline_messages SET was_read = 1 WHERE recipient_id = $1 AND id = $2")
            .bind(recipient)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes the recipient's messages with these ids; returns how many went.
    pub async fn delete_offline_messages(&self, recipient: i64, ids: &[String]) -> StoreResult<u64> {
        let _timed = self.timed("delete_offline_messages");
        let mut deleted = 0;
        let mut tx = self.write_transaction().await?;
        for id in ids {
            deleted += sqlx::query("DELETE FROM offline_messages WHERE recipient_id = $1 AND id = $2")
                .bind(recipient)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(deleted)
    }

    /// The roaming profile (storage service), if one was made.
    pub async fn profile(&self, account: i64) -> StoreResult<Option<Profile>> {
        let _timed = self.timed("profile");
        let row = sqlx::query(
            "SELECT display_name, personal_message, picture_type, picture_data, picture_version, modified FROM profiles WHERE account_id = $1",
        )
        .bind(account)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Profile {
            display_name: row.try_get("display_name")?,
            personal_message: row.try_get("personal_message")?,
            picture_type: row.try_get("picture_type")?,
            picture_data: row.try_get("picture_data")?,
            picture_version: row.try_get("picture_version")?,
            modified: row.try_get("modified")?,
        }))
    }

    pub async fn put_profile(&self, account: i64, profile: &Profile) -> StoreResult<()> {
        let _timed = self.timed("put_profile");
        let mut tx = self.write_transaction().await?;
        sqlx::query("DELETE FROM profiles WHERE account_id = $1").bind(account).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO profiles (account_id, display_name, personal_message, picture_type, picture_data, picture_version, modified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(account)
        .bind(&profile.display_name)
        .bind(&profile.personal_message)
        .bind(&profile.picture_type)
        .bind(&profile.picture_data)
        .bind(profile.picture_version)
        .bind(profile.modified)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

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

    /// The MD5 credential of an account, if it opted in.
    pub async fn legacy_md5(&self, id: i64) -> StoreResult<Option<(String, String)>> {
        let _timed = self.timed("legacy_md5");
        let row = sqlx::query("SELECT legacy_md5_salt, legacy_md5_hash FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let salt: Option<String> = row.try_get("legacy_md5_salt")?;
        let hash: Option<String> = row.try_get("legacy_md5_hash")?;
        Ok(salt.zip(hash))
    }

    pub async fn set_friendly_name(&self, id: i64, name: &str) -> StoreResult<()> {
        let _timed = self.timed("set_friendly_name");
        sqlx::query("UPDATE accounts SET friendly_name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes an account with its lists, and its entries on other people's lists.
    pub async fn delete_account(&self, id: i64) -> StoreResult<bool> {
        let _timed = self.timed("delete_account");
        let mut tx = self.write_transaction().await?;
        for statement in [
            "DELETE FROM group_members WHERE owner_id = $1 OR contact_id = $1",
            "DELETE FROM contacts WHERE owner_id = $1 OR contact_id = $1",
            "DELETE FROM list_groups WHERE owner_id = $1",
            "DELETE FROM account_properties WHERE account_id = $1",
            "DELETE FROM offline_messages WHERE recipient_id = $1",
            "DELETE FROM profiles WHERE account_id = $1",
            "DELETE FROM ab_changes WHERE owner_id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        let done = sqlx::query("DELETE FROM accounts WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    // ---- contact lists ----

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

/// How long the address book change log reaches back.
pub const CHANGE_LOG_DAYS: i64 = 30;

/// The roaming profile of the storage service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    pub display_name: String,
    pub personal_message: String,
    /// The display picture's MIME type and base64 data, if one was uploaded.
    pub picture_type: Option<String>,
    pub picture_data: Option<String>,
    /// Bumped with each new picture; part of its resource id.
    pub picture_version: i64,
    /// Seconds since the Unix epoch.
    pub modified: i64,
}

/// A message left for someone who was offline (OIM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineMessage {
    pub id: String,
    pub recipient_id: i64,
    pub sender_email: String,
    pub sender_name: String,
    /// Seconds since the Unix epoch.
    pub received_at: i64,
    /// The MIME text the sender's client wrote (headers, blank line, body).
    pub content: String,
    pub read: bool,
}

/// The forward-list bit: leaving the FL also leaves every group.
pub const FORWARD_LIST_BIT: i32 = 1;

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
