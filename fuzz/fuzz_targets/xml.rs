//! Feeds arbitrary text to every XML payload parser (see `checks.rs`).
#![no_main]

// Each target runs one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::xml(data));
