//! The switchboard's outlet: relayed `MSG`s written into a participant's
//! socket by the sender's task (see `core::outlet`). The participant's own
//! task claims the socket for each of its turns and releases it when all it
//! had is written; meanwhile, and while events wait for it, the outlet
//! writes nothing.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use tokio::net::tcp::OwnedWriteHalf;

use crate::core::outlet::{Outlet, Written};
use crate::core::switchboard::Member;

pub struct DirectOutput {
    stream: Arc<OwnedWriteHalf>,
    state: Mutex<State>,
}

struct State {
    /// The participant's task is in a turn: its output goes first.
    claimed: bool,
    /// Events queued for the participant and not yet written by it.
    held: usize,
    /// What a partial write left, for the participant's task to write first.
    rest: BytesMut,
    /// When the last messages written here were read from their sender.
    written_at: Option<Instant>,
    last_sender: SenderName,
}

/// The sender last written for and its name as the wire carries it:
/// messages come in runs from the same sender, so the name is encoded once
/// per run.
#[derive(Default)]
pub struct SenderName(Option<(Arc<Member>, String)>);

impl SenderName {
    pub fn of(&mut self, sender: &Arc<Member>) -> &str {
        if !self.0.as_ref().is_some_and(|(last, _)| Arc::ptr_eq(last, sender)) {
            self.0 = Some((sender.clone(), msnp::text::encode_param(&sender.friendly_name)));
        }
        self.0.as_ref().map_or("", |(_, name)| name)
    }
}

/// What the participant's task takes when it claims the socket.
pub struct Claimed {
    pub rest: BytesMut,
    pub written_at: Option<Instant>,
}

thread_local! {
    /// The lines of one write, built here and copied into the socket.
    static SCRATCH: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::new());
}

/// The largest scratch buffer a thread keeps between writes.
const SCRATCH_KEPT: usize = 64 * 1024;

impl DirectOutput {
    /// Claimed from the start: the participant's task is in its turn.
    pub fn new(stream: Arc<OwnedWriteHalf>) -> DirectOutput {
        let state = State {
            claimed: true,
            held: 0,
            rest: BytesMut::new(),
            written_at: None,
            last_sender: SenderName::default(),
        };
        DirectOutput { stream, state: Mutex::new(state) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The participant's turn begins: nothing is written here until `release`.
    pub fn claim(&self) -> Claimed {
        let mut state = self.state();
        state.claimed = true;
        Claimed { rest: std::mem::take(&mut state.rest), written_at: state.written_at.take() }
    }

    /// The participant's turn is written, with `events` of those queued for it.
    pub fn release(&self, events: usize) {
        let mut state = self.state();
        state.held = state.held.saturating_sub(events);
        state.claimed = false;
    }
}

impl Outlet for DirectOutput {
    fn hold(&self) {
        self.state().held += 1;
    }

    fn write_now(&self, sender: &Arc<Member>, payloads: &[Bytes], at: Instant) -> Written {
        let mut state = self.state();
        if state.claimed || state.held > 0 {
            return Written::Not;
        }
        let name = state.last_sender.of(sender);
        let (written, rest) = SCRATCH.with_borrow_mut(|lines| {
            lines.clear();
            for payload in payloads {
                msnp::codec::encode_with_payload(lines, &["MSG", &sender.email, name], payload);
            }
            let written = match self.stream.try_write(lines) {
                Ok(n) if n == lines.len() => (Written::All, None),
                Ok(n) if n > 0 => (Written::Part, Some(BytesMut::from(&lines[n..]))),
                // A full socket, or a broken one: the participant's task finds out.
                _ => (Written::Not, None),
            };
            if lines.capacity() > SCRATCH_KEPT {
                *lines = BytesMut::new();
            }
            written
        });
        if let Some(rest) = rest {
            // Held until the participant's task has taken the rest (`Flush`).
            state.held += 1;
            state.rest = rest;
        }
        if written != Written::Not {
            state.written_at = Some(at);
        }
        written
    }
}
