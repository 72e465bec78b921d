//! Offline messages: kept per recipient within its limits, listed, read, deleted.

use sqlx::Row;

use super::*;

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

/// Whether an offline message was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Yes,
    /// The recipient holds the most messages an inbox may.
    InboxFull,
    /// The recipient holds the most messages one sender may leave there.
    SenderShareFull,
}

impl Store {
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
}
