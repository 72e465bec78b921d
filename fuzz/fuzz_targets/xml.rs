//! Feeds arbitrary text to every XML payload parser (see `checks.rs`), and
//! checks that a SOAP envelope's parse never holds more heap than its bound.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

// Each target runs one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

/// Counts the bytes held and the most held since the last reset.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let held = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(held, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::xml(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let before = HELD.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let parsed = msnp::soap::envelope::Envelope::parse(text);
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        drop(parsed);
        let bound = msnp::soap::envelope::parse_memory_bound(text.len());
        assert!(peak <= bound, "a {}-byte envelope held {peak} bytes (bound {bound})", text.len());
    }
});
