//! A participant's straight way to its client: relayed messages written by
//! the sender's task when nothing of the conversation waits for the
//! participant, so that its own task does not run for each message.
//!
//! Order is the front's promise: once `hold` is called for an event, the
//! outlet writes nothing until the participant's task has written that event
//! (and everything queued before it).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use super::switchboard::Member;

/// What `Outlet::write_now` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Nothing: queue the messages as an event.
    Not,
    /// Everything is on its way to the client.
    All,
    /// A part: the rest waits in the outlet until the participant's task,
    /// woken by `ConversationEvent::Flush`, writes it. The outlet already
    /// holds for that event, so that nothing is written into the middle of
    /// the message cut short.
    Part,
}

pub trait Outlet: Send + Sync {
    /// An event is about to be queued for the participant: nothing written
    /// later may pass it.
    fn hold(&self);

    /// Writes `sender`'s messages to the client now if nothing is queued
    /// for it or being written to it and its socket takes them without
    /// waiting. `at` is when they were read (it counts as the client's
    /// conversation being active).
    fn write_now(&self, sender: &Arc<Member>, payloads: &[Bytes], at: Instant) -> Written;
}
