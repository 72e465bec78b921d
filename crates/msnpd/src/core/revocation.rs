//! Ending what an old credential opened. A new password or a deleted
//! account is recorded in the store; the node that made the change acts at
//! once and tells the others over the bus, and every node also reads the
//! record every couple of seconds, so that a change made by the `msnpd
//! user` command, or one a node missed, takes effect too. Each node then
//! compares what its sessions signed in under with the account's credential
//! now: whatever differs ends, so doing it twice, or late, is harmless.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::cluster::{Message, Route};
use super::types::{Filter, Notice};
use super::{AccountId, Core, ServiceError, unix_micros};

/// How often each node reads the recorded changes.
pub const LOOK_EVERY: Duration = Duration::from_secs(2);

/// How far back each look reaches: changes recorded by a process whose
/// clock runs behind, or committed late, are still seen.
const LOOK_BACK_MICROS: i64 = 60 * 1_000_000;

impl Core {
    /// The account's credential changed (or it was deleted): records it and
    /// ends, everywhere, what the old one opened.
    pub(crate) async fn revoke(&self, account: AccountId) -> Result<(), ServiceError> {
        self.store.add_credential_change(account, unix_micros()).await?;
        self.end_stale(account).await;
        if !self.bus.alone() {
            self.bus.publish(Route::All, Message::Revoked { account });
        }
        Ok(())
    }

    /// Ends the account's Messenger sessions (`OUT`) and conversation seats
    /// on this node that came in under another credential than its present one.
    pub async fn end_stale(&self, account: AccountId) {
        match self.current_credential(account).await {
            Ok(current) => self.end_stale_here(account, current),
            // The next look at the recorded changes tries again.
            Err(error) => tracing::warn!(%error, account, "could not check a changed credential"),
        }
    }

    /// What stands for the account's password now (`None`: no such account).
    pub(crate) async fn current_credential(&self, account: AccountId) -> Result<Option<u32>, ServiceError> {
        let row = self.store.account_by_id(account).await?;
        Ok(row.map(|row| self.tickets.credential(&row.password_hash)))
    }

    pub(crate) fn end_stale_here(&self, account: AccountId, current: Option<u32>) {
        if let Some(online) = self.hub.get(account)
            && Some(online.credential) != current
        {
            let notice = if current.is_some() { Notice::PasswordChanged } else { Notice::AccountDeleted };
            self.hub.deliver_local(account, &notice, &Filter::Anyone);
        }
        self.switchboards.dismiss(account, current);
    }

    /// Reads the recorded changes every [`LOOK_EVERY`] until the server stops.
    pub async fn follow_credential_changes(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let mut every = tokio::time::interval(LOOK_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen: HashSet<(AccountId, i64)> = HashSet::new();
        loop {
            tokio::select! {
                _ = every.tick() => {}
                changed = stopped.changed() => if changed.is_err() || *stopped.borrow() {
                    return;
                },
            }
            let since = unix_micros().saturating_sub(LOOK_BACK_MICROS);
            let changes = match self.store.credential_changes_since(since).await {
                Ok(changes) => changes,
                Err(error) => {
                    tracing::warn!(%error, "could not read credential changes");
                    continue;
                }
            };
            seen.retain(|&(_, at)| at > since);
            for change in changes {
                if seen.insert(change) {
                    self.end_stale(change.0).await;
                }
            }
        }
    }
}
