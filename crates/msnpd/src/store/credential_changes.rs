//! Credentials that changed (a new password, a deleted account), kept for a
//! day so that every node, and a node that was not told, ends the sessions
//! the old credential opened.

use sqlx::Row;

use super::{Store, StoreResult};

/// How long a change is kept: longer than any node takes to look.
const KEPT_MICROS: i64 = 24 * 3600 * 1_000_000;

impl Store {
    /// Records that `account`'s credential changed at `at` (µs since the epoch).
    pub async fn add_credential_change(&self, account: i64, at: i64) -> StoreResult<()> {
        let _timed = self.timed("add_credential_change");
        let mut tx = self.write_transaction().await?;
        sqlx::query("DELETE FROM credential_changes WHERE changed_at < $1")
            .bind(at.saturating_sub(KEPT_MICROS))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO credential_changes (account_id, changed_at) VALUES ($1, $2)")
            .bind(account)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The changes recorded after `since` (µs), as (account, when).
    pub async fn credential_changes_since(&self, since: i64) -> StoreResult<Vec<(i64, i64)>> {
        let _timed = self.timed("credential_changes_since");
        let rows = sqlx::query("SELECT account_id, changed_at FROM credential_changes WHERE changed_at > $1")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok((row.try_get("account_id")?, row.try_get("changed_at")?))).collect()
    }
}
