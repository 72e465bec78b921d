//! Replays the `session` fuzz target's seeds, minimized corpus and past
//! findings against an in-process server, so `cargo test` keeps them fixed
//! without nightly.

#[path = "../../../fuzz/session.rs"]
mod session;

fn cases(target: &str) -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = Vec::new();
    for kind in ["seeds", "corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) else { continue };
        files.extend(entries.filter_map(|entry| entry.ok()).map(|entry| entry.path()).filter(|path| path.is_file()));
    }
    files.sort();
    files
}

/// Replays a directory of cases named by `MSNP_FUZZ_SESSION_DIR` (a fuzzing
/// run's corpus, say); passes trivially without it.
#[test]
fn session_cases_from_directory() {
    let Some(dir) = std::env::var_os("MSNP_FUZZ_SESSION_DIR") else { return };
    let mut files: Vec<_> =
        std::fs::read_dir(dir).expect("a directory").filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    for file in files {
        eprintln!("{}", file.display());
        session::check_session(&std::fs::read(&file).expect("readable case"));
    }
}

#[test]
fn session_cases_replay() {
    let files = cases("session");
    assert!(files.len() >= 10, "the session seeds are missing: {}", files.len());
    for file in files {
        let data = std::fs::read(&file).expect("readable case");
        eprintln!("{}", file.display());
        session::check_session(&data);
    }
}
