//! Feeds arbitrary bytes to the MSNP decoder, in both directions, split at
//! arbitrary points, and checks the limits it promises (see `checks.rs`).
#![no_main]

// Each target runs one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::decoder(data));
