//! Offline messages: left for a contact who is away, kept in the database,
//! listed at sign-in (`Mail-Data`), fetched once and deleted on request.

use msnp::xml::maildata::{self, OimEntry};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::hub::Notice;
use super::{AccountId, Core, ServiceError, random_token, unix_now};
use crate::store::{OfflineMessage, Stored};

/// Why an offline message was refused.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("no such recipient")]
    UnknownRecipient,
    #[error("the recipient does not accept messages from the sender")]
    NotAllowed,
    #[error("the message is larger than the limit")]
    TooLarge,
    #[error("the recipient's offline mailbox is full")]
    MailboxFull,
    #[error("the sender has left as many messages in the recipient's mailbox as one sender may")]
    SenderShareFull,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for OfflineError {
    fn from(error: crate::store::StoreError) -> OfflineError {
        OfflineError::Service(error.into())
    }
}

/// A stored message's time as `Mail-Data` and RSI show it.
pub fn timestamp(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

impl Core {
    /// Leaves `content` (the sender client's MIME text) for `recipient`.
    pub async fn leave_offline_message(
        &self,
        sender: AccountId,
        recipient: &str,
        content: String,
    ) -> Result<String, OfflineError> {
        if content.len() > self.config.max_offline_message {
            return Err(OfflineError::TooLarge);
        }
        let target = self.store.account_by_email(recipient).await?.ok_or(OfflineError::UnknownRecipient)?;
        let recipient_view = self.acting_as(target.id).await?;
        if !recipient_view.lock().lists.allows(sender) {
            return Err(OfflineError::NotAllowed);
        }
        let from = self.acting_as(sender).await?;
        let sender_name = from.lock().friendly_name.clone();
        let message = OfflineMessage {
            id: random_token().to_ascii_uppercase(),
            recipient_id: target.id,
            sender_email: from.email.clone(),
            sender_name,
            received_at: unix_now(),
            content,
            read: false,
        };
        let limits = (self.config.max_offline_messages, self.config.max_offline_messages_per_sender);
        match self.store.store_offline_message(&message, limits.0, limits.1).await? {
            Stored::Yes => {}
            Stored::InboxFull => return Err(OfflineError::MailboxFull),
            Stored::SenderShareFull => return Err(OfflineError::SenderShareFull),
        }
        // Someone appearing offline still hears of it at once.
        let data = self.mail_data(target.id).await?;
        self.tell(target.id, Notice::OfflineMessages { mail_data: data });
        Ok(message.id)
    }

    /// The `Mail-Data` document listing the account's offline messages.
    pub async fn mail_data(&self, account: AccountId) -> Result<String, ServiceError> {
        Ok(mail_data_of(&self.store.offline_messages(account).await?))
    }
}

/// The `Mail-Data` document listing `messages`.
pub fn mail_data_of(messages: &[OfflineMessage]) -> String {
    let entries: Vec<OimEntry> = messages
        .iter()
        .map(|m| OimEntry {
            id: m.id.clone(),
            sender_email: m.sender_email.clone(),
            sender_name: m.sender_name.clone(),
            received: timestamp(m.received_at),
            size: m.content.len(),
        })
        .collect();
    maildata::render(&entries)
}
