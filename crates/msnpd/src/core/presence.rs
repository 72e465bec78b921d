//! Presence: statuses, who sees whom, and telling them.

use std::sync::Arc;

use msnp::xml::uux::PersonalStatus;

use super::hub::Online;
pub use super::types::{Capabilities, ContactPresence, Presence, Status};
use super::types::{ContactView, Filter, Notice};
use super::{AccountId, Core};

impl Core {
    /// Sets the user's status. Returns how the contacts the user watches
    /// look when this is the first status since signing in (the initial ILN
    /// burst), else nothing.
    pub async fn set_presence(&self, me: &Arc<Online>, presence: Presence) -> Option<Vec<ContactView>> {
        let (first, was_visible, view) = {
            let mut state = me.lock();
            let first = state.presence.is_none();
            let was_visible = state.presence.as_ref().is_some_and(|p| p.status != Status::Hidden);
            state.presence = Some(presence);
            (first, was_visible, state.view(&me.email))
        };
        self.broadcast_presence(me, was_visible, view);
        if !first {
            return None;
        }
        let forward: Vec<AccountId> = me.lock().lists.forward_ids().collect();
        Some(self.contact_views(me.id, &forward).await)
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
        let visible = {
            let mut state = me.lock();
            state.personal_message = Some(status);
            state.presence.as_ref().is_some_and(|p| p.status != Status::Hidden)
        };
        let notice = self.personal_message_notice(me);
        if let (true, Some(notice)) = (visible, notice) {
            self.tell_watchers(me, notice);
        }
    }

    /// NLN (or FLN when now hidden) to every watcher the user allows.
    fn broadcast_presence(&self, me: &Arc<Online>, was_visible: bool, view: Option<ContactPresence>) {
        let visible = view.as_ref().is_some_and(|v| v.presence.status != Status::Hidden);
        if !visible && !was_visible {
            return;
        }
        let personal_message = self.personal_message_notice(me);
        match view {
            Some(view) if visible => {
                self.tell_watchers(me, Notice::Presence(view));
                if !was_visible && let Some(notice) = personal_message {
                    self.tell_watchers(me, notice);
                }
            }
            _ => self.tell_watchers(me, Notice::Offline { email: me.email.clone() }),
        }
    }

    /// Tells `notice` to the users who have `me` on their forward list, whom
    /// `me` allows, and who have set a status since signing in (until then
    /// their first status change tells them everything), wherever they are.
    pub(crate) fn tell_watchers(&self, me: &Online, notice: Notice) {
        let candidates: Vec<AccountId> = {
            let state = me.lock();
            state.lists.watchers().filter(|&id| state.lists.allows(id)).collect()
        };
        self.deliver(&candidates, notice, Filter::Watching { contact: me.id, with_status: true });
    }

    /// After `me` changed how `viewer` is treated (AL/BL), show or hide `me` to them.
    pub(crate) fn refresh_visibility(&self, me: &Arc<Online>, viewer: AccountId, was_allowed: bool) {
        let (allowed, view) = {
            let state = me.lock();
            (state.lists.allows(viewer), state.view(&me.email))
        };
        let personal_message = self.personal_message_notice(me);
        let Some(view) = view.filter(|v| v.presence.status != Status::Hidden) else {
            return;
        };
        let watching = Filter::Watching { contact: me.id, with_status: false };
        match (was_allowed, allowed) {
            (false, true) => {
                self.deliver(&[viewer], Notice::Presence(view), watching.clone());
                if let Some(notice) = personal_message {
                    self.deliver(&[viewer], notice, watching);
                }
            }
            (true, false) => self.deliver(&[viewer], Notice::Offline { email: me.email.clone() }, watching),
            _ => {}
        }
    }
}
