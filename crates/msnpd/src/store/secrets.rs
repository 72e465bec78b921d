//! Secrets of the service itself: random values made on first use and kept,
//! so that what is derived from them stays the same across restarts.

use sqlx::Row;

use super::{Store, StoreResult};

impl Store {
    /// The secret called `name`: 32 random bytes, hex-encoded, made the first
    /// time it is asked for. Two processes asking at once get the same one.
    pub async fn server_secret(&self, name: &str) -> StoreResult<String> {
        let _timed = self.timed("server_secret");
        let made = hex::encode(rand::random::<[u8; 32]>());
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(&made)
            .execute(&self.pool)
            .await?;
        let row =
            sqlx::query("SELECT value FROM server_secrets WHERE name = $1").bind(name).fetch_one(&self.pool).await?;
        Ok(row.try_get("value")?)
    }
}
