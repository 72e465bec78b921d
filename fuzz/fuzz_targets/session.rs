//! Feeds arbitrary command sequences to an in-process Notification Server
//! (see `session.rs`).
#![no_main]

#[path = "../session.rs"]
mod session;

libfuzzer_sys::fuzz_target!(|data: &[u8]| session::check_session(data));
