//! The schema, written once for SQLite and PostgreSQL alike, and its migrations.

use sqlx::{AnyPool, Row};

/// Each entry brings the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&[&str]] = &[
    &[
        "CREATE TABLE accounts (
        id BIGINT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        friendly_name TEXT NOT NULL,
        blp_allow INTEGER NOT NULL,
        gtc_ask INTEGER NOT NULL,
        list_serial BIGINT NOT NULL,
        lists_modified BIGINT NOT NULL,
        settings_modified BIGINT NOT NULL,
        created_at BIGINT NOT NULL
    )",
        "CREATE TABLE account_properties (
        account_id BIGINT NOT NULL REFERENCES accounts (id),
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (account_id, name)
    )",
        "CREATE TABLE contacts (
        owner_id BIGINT NOT NULL REFERENCES accounts (id),
        contact_id BIGINT NOT NULL REFERENCES accounts (id),
        guid TEXT NOT NULL,
        lists INTEGER NOT NULL,
        nickname TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (owner_id, contact_id)
    )",
        "CREATE TABLE list_groups (
        owner_id BIGINT NOT NULL REFERENCES accounts (id),
        guid TEXT NOT NULL,
        legacy_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (owner_id, guid)
    )",
        "CREATE TABLE group_members (
        owner_id BIGINT NOT NULL,
        contact_id BIGINT NOT NULL,
        group_guid TEXT NOT NULL,
        PRIMARY KEY (owner_id, contact_id, group_guid)
    )",
    ],
    // The opt-in secret for the MSNP2-7 MD5 login: a salt and MD5(salt || password).
    &["ALTER TABLE accounts ADD COLUMN legacy_md5_salt TEXT", "ALTER TABLE accounts ADD COLUMN legacy_md5_hash TEXT"],
    // Once, whether the client had created its address book (ABAdd). Every
    // account now has one from the start; the column is no longer read.
    &["ALTER TABLE accounts ADD COLUMN ab_created INTEGER NOT NULL DEFAULT 0"],
    // Offline messages (OIM), kept until the recipient deletes them.
    &["CREATE TABLE offline_messages (
        id TEXT PRIMARY KEY,
        recipient_id BIGINT NOT NULL REFERENCES accounts (id),
        sender_email TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        content TEXT NOT NULL,
        was_read INTEGER NOT NULL
    )"],
    // The roaming profile of the storage service: name, message, display picture.
    &["CREATE TABLE profiles (
        account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
        display_name TEXT NOT NULL,
        personal_message TEXT NOT NULL,
        picture_type TEXT,
        picture_data TEXT,
        picture_version BIGINT NOT NULL,
        modified BIGINT NOT NULL
    )"],
    // What changed in an address book and when, for delta sync (deltasOnly).
    &[
        "CREATE TABLE ab_changes (
            owner_id BIGINT NOT NULL,
            changed_at BIGINT NOT NULL,
            kind TEXT NOT NULL,
            item TEXT NOT NULL,
            guid TEXT NOT NULL
        )",
        "CREATE INDEX ab_changes_by_owner ON ab_changes (owner_id, changed_at)",
    ],
    // Secrets of the service itself, made once (the decoy MD5 salts' key).
    &["CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)"],
    // Pending (PL) is kept, not derived: someone on the reverse list, neither
    // allowed nor blocked, had not been answered.
    &["UPDATE contacts SET lists = lists | 16 WHERE (lists & 8) <> 0 AND (lists & 6) = 0"],
    // Signed-in web pages, so that signing out or a new password ends them
    // (an account's, or the operator's: no account).
    &[
        "CREATE TABLE IF NOT EXISTS web_sessions (id TEXT PRIMARY KEY, account_id BIGINT, expires_at BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS web_sessions_by_account ON web_sessions (account_id)",
    ],
    // Passwords changed and accounts deleted, by any process (a node, the
    // `msnpd user` command): every node ends what the old credential opened.
    &[
        "CREATE TABLE IF NOT EXISTS credential_changes (account_id BIGINT NOT NULL, changed_at BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS credential_changes_by_time ON credential_changes (changed_at)",
    ],
    // Circles (WLM 2009 groups) and who is in each, in what role and state.
    // Rows of members who left and of deleted circles stay, so that a client
    // asking what changed is told they are gone.
    &[
        "CREATE TABLE IF NOT EXISTS circles (
            id BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            changed_at BIGINT NOT NULL,
            deleted INTEGER NOT NULL
        )",
        "CREATE TABLE IF NOT EXISTS circle_members (
            circle_id BIGINT NOT NULL REFERENCES circles (id),
            account_id BIGINT NOT NULL REFERENCES accounts (id),
            role INTEGER NOT NULL,
            state INTEGER NOT NULL,
            inviter_id BIGINT,
            changed_at BIGINT NOT NULL,
            PRIMARY KEY (circle_id, account_id)
        )",
        "CREATE INDEX IF NOT EXISTS circle_members_by_account ON circle_members (account_id)",
    ],
    // Every sign-in reads its offline messages: without it, a scan of all.
    &["CREATE INDEX IF NOT EXISTS offline_messages_by_recipient ON offline_messages (recipient_id)"],
];

pub async fn migrate(pool: &AnyPool, is_sqlite: bool) -> Result<(), sqlx::Error> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)").execute(pool).await?;
    // Another process may be migrating the same file at this moment (a server
    // starting, a `msnpd user` command): the write lock is taken first.
    let mut tx = super::begin_writing(pool, is_sqlite).await?;
    let current: Option<i32> = sqlx::query("SELECT version FROM schema_version")
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| row.try_get("version"))
        .transpose()?;
    let current = current.unwrap_or(0);
    if current == 0 {
        sqlx::query("INSERT INTO schema_version (version) VALUES (0)").execute(&mut *tx).await?;
    }
    for (index, statements) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        for statement in *statements {
            sqlx::query(*statement).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE schema_version SET version = $1").bind(index as i32 + 1).execute(&mut *tx).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::super::{AccountRow, Store, StoreOptions};

    /// A database from before Pending was kept: whoever was on the reverse
    /// list, neither allowed nor blocked, is still asked after the upgrade.
    #[tokio::test]
    async fn pending_requests_survive_the_upgrade() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let options = StoreOptions { wait: std::time::Duration::from_secs(5), connections: Some(1) };
        let store = Store::open(&url, options).await.expect("store");
        for (id, email) in [
            (1, "owner@example.com"),
            (2, "asking@example.com"),
            (3, "allowed@example.com"),
            (4, "blocked@example.com"),
        ] {
            let row = AccountRow {
                id,
                email: email.into(),
                password_hash: String::new(),
                friendly_name: email.into(),
                created_at: 0,
                legacy_md5: false,
            };
            store.create_account(&row).await.expect("account");
        }
        // The owner's lists as the old schema kept them: RL, RL|AL|FL, RL|BL.
        for (contact, lists) in [(2_i64, 8_i32), (3, 11), (4, 12)] {
            sqlx::query("INSERT INTO contacts (owner_id, contact_id, guid, lists, nickname, position) VALUES (1, $1, 'g', $2, 'n', $1)")
                .bind(contact)
                .bind(lists)
                .execute(&store.pool)
                .await
                .expect("contact");
        }
        // Back to the version before Pending was kept (later steps run again: they may).
        let before = super::MIGRATIONS.iter().position(|step| step.iter().any(|s| s.contains("lists | 16")));
        let before = before.expect("the Pending step") as i32;
        sqlx::query("UPDATE schema_version SET version = $1").bind(before).execute(&store.pool).await.expect("back");
        super::migrate(&store.pool, true).await.expect("upgrade");
        let lists = store.load_lists(1).await.expect("lists");
        let bits: Vec<(i64, i32)> = lists.contacts.iter().map(|c| (c.contact_id, c.lists)).collect();
        assert_eq!(bits, [(2, 24), (3, 11), (4, 12)]);
    }
}
