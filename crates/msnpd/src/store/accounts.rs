//! Accounts: creation, lookup, password and MD5 secret, friendly name, deletion.

use sqlx::Row;

use super::*;

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

impl Store {
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

    pub(super) fn account_from_row(row: &sqlx::any::AnyRow) -> StoreResult<AccountRow> {
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
            "DELETE FROM web_sessions WHERE account_id = $1",
            // Its circles go with their admin; elsewhere it simply leaves.
            "UPDATE circles SET deleted = 1 WHERE id IN (SELECT circle_id FROM circle_members WHERE account_id = $1 AND role = 1)",
            "DELETE FROM circle_members WHERE account_id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        let done = sqlx::query("DELETE FROM accounts WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
