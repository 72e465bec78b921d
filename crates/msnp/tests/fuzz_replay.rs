//! Replays the fuzz inputs kept in `fuzz/` through the fuzz targets' own
//! checks, on stable Rust: the hand-written seeds, the minimized corpus and
//! every input that once crashed a target (`fuzz/regressions`).

#[path = "../../../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = Vec::new();
    for kind in ["seeds", "corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(kind).join(target)) else { continue };
        files.extend(entries.filter_map(Result::ok).map(|entry| entry.path()).filter(|path| path.is_file()));
    }
    files.sort();
    files
}

fn replay(target: &str, check: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no fuzz inputs found for {target}");
    for file in files {
        let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("fuzz input {} fails the {target} check", file.display());
        }
    }
}

#[test]
fn decoder_inputs_still_pass() {
    replay("decoder", checks::decoder);
}

#[test]
fn xml_inputs_still_pass() {
    replay("xml", checks::xml);
}

#[test]
fn the_known_crash_is_replayed() {
    let crash = "ml-phone-address-with-at";
    assert!(inputs("xml").iter().any(|path| path.ends_with(crash)), "fuzz/regressions/xml/{crash} is missing");
}
