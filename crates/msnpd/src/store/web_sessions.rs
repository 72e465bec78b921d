//! Signed-in web pages (an account's pages, the operator's dashboard): each
//! one a row, so that signing out, a new password or a deleted account ends
//! it on every node at once. The cookie carries a random id; the row keeps
//! only its hash.

use sqlx::Row;

use super::{Store, StoreResult};

/// Whose a web session is: an account's, or the operator's (no account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebOwner {
    Account(i64),
    Operator,
}

impl WebOwner {
    fn column(self) -> Option<i64> {
        match self {
            WebOwner::Account(id) => Some(id),
            WebOwner::Operator => None,
        }
    }
}

impl Store {
    /// Keeps a new session until `expires_at`; sessions past their time go.
    pub async fn add_web_session(&self, id_hash: &str, owner: WebOwner, expires_at: i64, now: i64) -> StoreResult<()> {
        let _timed = self.timed("add_web_session");
        let mut tx = self.write_transaction().await?;
        sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO web_sessions (id, account_id, expires_at) VALUES ($1, $2, $3)")
            .bind(id_hash)
            .bind(owner.column())
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether the session is still kept for `owner` and current.
    pub async fn web_session_open(&self, id_hash: &str, owner: WebOwner, now: i64) -> StoreResult<bool> {
        let _timed = self.timed("web_session_open");
        let row = sqlx::query("SELECT account_id FROM web_sessions WHERE id = $1 AND expires_at > $2")
            .bind(id_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(false) };
        let account: Option<i64> = row.try_get("account_id")?;
        Ok(account == owner.column())
    }

    /// Ends one session (signing out).
    pub async fn end_web_session(&self, id_hash: &str) -> StoreResult<()> {
        let _timed = self.timed("end_web_session");
        sqlx::query("DELETE FROM web_sessions WHERE id = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    /// Ends every session of an account (a new password).
    pub async fn end_account_web_sessions(&self, account: i64) -> StoreResult<()> {
        let _timed = self.timed("end_account_web_sessions");
        sqlx::query("DELETE FROM web_sessions WHERE account_id = $1").bind(account).execute(&self.pool).await?;
        Ok(())
    }
}
