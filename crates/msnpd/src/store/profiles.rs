//! Roaming profiles (the storage service): name, personal message, display picture.

use sqlx::Row;

use super::*;

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

impl Store {
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
}
