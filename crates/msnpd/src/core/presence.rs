//! Presence: statuses, capabilities, who sees whom, and telling them.

use std::sync::Arc;

use msnp::xml::uux::PersonalStatus;

use super::hub::{Notice, Online};
use super::{AccountId, Core};

/// A user's status as others may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Online,
    Busy,
    Idle,
    BeRightBack,
    Away,
    OnThePhone,
    OutToLunch,
    /// Appear offline: everyone else sees the user as signed out.
    Hidden,
}

/// Client capability flags: `caps` and, from MSNP16, the extended `caps:ext`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    pub flags: u32,
    pub extended: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub status: Status,
    pub caps: Capabilities,
    /// The MSNObject (display picture descriptor), as the client sent it (URL-encoded).
    pub msnobj: Option<String>,
}

/// One user's presence as a contact sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPresence {
    pub email: String,
    pub friendly_name: String,
    pub presence: Presence,
}

impl Core {
    /// Sets the user's status. Returns the presences of the contacts the user
    /// watches when this is the first status since signing in (the initial ILN
    /// burst), else nothing.
    pub fn set_presence(&self, me: &Arc<Online>, presence: Presence) -> Option<Vec<ContactPresence>> {
        let (first, was_visible, view) = {
            let mut state = me.lock();
            let first = state.presence.is_none();
            let was_visible = state.presence.as_ref().is_some_and(|p| p.status != Status::Hidden);
            state.presence = Some(presence);
            (first, was_visible, state.view(&me.email))
        };
        self.broadcast_presence(me, was_visible, view);
        first.then(|| self.initial_presences(me))
    }

    /// Changes the user's friendly name and tells the contacts who see them.
    pub async fn set_friendly_name(&self, me: &Arc<Online>, name: &str) -> Result<(), super::ServiceError> {
        self.store.set_friendly_name(me.id, name).await?;
        let (visible, view) = {
            let mut state = me.lock();
            state.friendly_name = name.to_owned();
            let visible = state.presence.as_ref().is_some_and(|p| p.status != Status::Hidden);
            (visible, state.view(&me.email))
        };
        if visible {
            self.broadcast_presence(me, true, view);
        }
        Ok(())
    }

    /// Stores the personal message and forwards it to the contacts who see the user.
    pub fn set_personal_message(&self, me: &Arc<Online>, status: PersonalStatus) {
        let (visible, notice) = {
            let mut state = me.lock();
            state.personal_message = Some(status);
            (
                state.presence.as_ref().is_some_and(|p| p.status != Status::Hidden),
                state.personal_message_notice(&me.email),
            )
        };
        if let (true, Some(notice)) = (visible, notice) {
            for watcher in self.allowed_watchers(me) {
                self.hub.notify(watcher, notice.clone());
            }
        }
    }

    /// NLN (or FLN when now hidden) to every online watcher the user allows.
    fn broadcast_presence(&self, me: &Arc<Online>, was_visible: bool, view: Option<ContactPresence>) {
        let visible = view.as_ref().is_some_and(|v| v.presence.status != Status::Hidden);
        if !visible && !was_visible {
            return;
        }
        let personal_message = me.lock().personal_message_notice(&me.email);
        for watcher in self.allowed_watchers(me) {
            match &view {
                Some(view) if visible => {
                    self.hub.notify(watcher, Notice::Presence(view.clone()));
                    if !was_visible && let Some(notice) = &personal_message {
                        self.hub.notify(watcher, notice.clone());
                    }
                }
                _ => self.hub.notify(watcher, Notice::Offline { email: me.email.clone() }),
            }
        }
    }

    /// Online users who have `me` on their forward list and whom `me` allows.
    pub(crate) fn allowed_watchers(&self, me: &Arc<Online>) -> Vec<AccountId> {
        let candidates: Vec<AccountId> = {
            let state = me.lock();
            state.lists.watchers().filter(|&id| state.lists.allows(id)).collect()
        };
        candidates
            .into_iter()
            .filter(|&id| {
                // A session hears about others once it has set its own first status (then ILN tells it all).
                self.hub.get(id).is_some_and(|other| {
                    let other = other.lock();
                    other.presence.is_some() && other.lists.is_on_forward_list(me.id)
                })
            })
            .collect()
    }

    /// The visible presence of each online contact on the user's forward list who allows the user.
    pub fn initial_presences(&self, me: &Arc<Online>) -> Vec<ContactPresence> {
        let forward: Vec<AccountId> = me.lock().lists.forward_ids().collect();
        forward.into_iter().filter_map(|id| self.visible_presence(id, me.id)).collect()
    }

    /// `who`'s presence as `viewer` may see it, if `who` is online, not hidden, and allows `viewer`.
    pub fn visible_presence(&self, who: AccountId, viewer: AccountId) -> Option<ContactPresence> {
        let other = self.hub.get(who)?;
        let state = other.lock();
        if !state.lists.allows(viewer) {
            return None;
        }
        state.view(&other.email).filter(|v| v.presence.status != Status::Hidden)
    }

    /// `who`'s personal message as `viewer` may see it, as the notice that carries it.
    pub fn visible_personal_message(&self, who: AccountId, viewer: AccountId) -> Option<Notice> {
        self.visible_presence(who, viewer)?;
        let other = self.hub.get(who)?;
        let state = other.lock();
        state.personal_message_notice(&other.email)
    }

    /// After `me` changed how `viewer` is treated (AL/BL), show or hide `me` to them.
    pub(crate) fn refresh_visibility(&self, me: &Arc<Online>, viewer: AccountId, was_allowed: bool) {
        let Some(other) = self.hub.get(viewer) else {
            return;
        };
        if !other.lock().lists.is_on_forward_list(me.id) {
            return;
        }
        let (allowed, view) = {
            let state = me.lock();
            (state.lists.allows(viewer), state.view(&me.email))
        };
        let Some(view) = view.filter(|v| v.presence.status != Status::Hidden) else {
            return;
        };
        match (was_allowed, allowed) {
            (false, true) => {
                self.hub.notify(viewer, Notice::Presence(view));
                let personal_message = me.lock().personal_message_notice(&me.email);
                if let Some(notice) = personal_message {
                    self.hub.notify(viewer, notice);
                }
            }
            (true, false) => self.hub.notify(viewer, Notice::Offline { email: me.email.clone() }),
            _ => {}
        }
    }
}
