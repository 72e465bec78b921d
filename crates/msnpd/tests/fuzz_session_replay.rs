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
