//! The `msnpd` binary: accounts from the command line, then `serve` on ports
//! the OS picks, read back from its first log line, and a login through it.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn msnpd(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_msnpd"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .output()
        .expect("msnpd runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn address_after(line: &str, key: &str) -> SocketAddr {
    let start = line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len();
    line[start..].split_whitespace().next().expect("address").parse().expect("socket address")
}

#[tokio::test]
async fn user_commands_then_serve_with_the_default_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cheap = [("MSNPD_ARGON2_MEMORY_KIB", "64"), ("MSNPD_ARGON2_ITERATIONS", "1")];
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_msnpd"))
            .args(args)
            .current_dir(dir.path())
            .envs(cheap)
            .output()
            .expect("msnpd runs");
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    assert_eq!(
        run(&["user", "add", "Alice@Example.com", "--password", "pw", "--nick", "Alice"]),
        (true, "created alice@example.com\n".into())
    );
    assert_eq!(
        run(&["user", "add", "bob@example.com", "--password", "pw"]),
        (true, "created bob@example.com\n".into())
    );
    assert!(!run(&["user", "add", "alice@example.com", "--password", "other"]).0, "duplicate refused");
    assert!(!run(&["user", "add", "not-an-email", "--password", "pw"]).0, "bad email refused");
    assert_eq!(run(&["user", "list"]).1, "alice@example.com\tAlice\nbob@example.com\tbob@example.com\n");
    assert!(run(&["user", "passwd", "alice@example.com", "--password", "new-pw"]).0);
    assert!(run(&["user", "del", "bob@example.com"]).0);
    assert!(!run(&["user", "del", "bob@example.com"]).0);
    assert_eq!(run(&["user", "list"]).1, "alice@example.com\tAlice\n");
    assert_eq!(
        run(&["user", "add-many", "--prefix", "load", "--count", "3", "--password", "pw"]),
        (true, "created 3 of 3 accounts load0..load2@example.com\n".into())
    );
    assert_eq!(
        run(&["user", "add-many", "--prefix", "load", "--count", "4", "--password", "pw"]),
        (true, "created 1 of 4 accounts load0..load3@example.com\n".into()),
        "existing accounts are kept"
    );
    assert_eq!(run(&["user", "list"]).1.lines().count(), 5);
    assert!(run(&["user", "del", "load0@example.com"]).0);
    assert!(dir.path().join("msnpd.db").exists(), "the default database is msnpd.db in the working directory");
    let (ok, _, stderr) = msnpd(dir.path(), &["serve", "--config", "/nonexistent/msnpd.toml"]);
    assert!(!ok && stderr.contains("bad configuration"), "{stderr}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_msnpd"))
        .args(["serve", "--ns-listen", "127.0.0.1:0", "--sb-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let _running = Running(child);
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().expect("a log line").expect("readable");
    assert!(first.contains("msnpd listening"), "{first}");
    // The well-known port (`ns=`) and, beside it on a free port, the Notification Server.
    let dispatch = address_after(&first, " ns=");
    let ns = address_after(&first, "notification=");
    let http = address_after(&first, "http=");
    assert_ne!(ns.port(), 0);
    assert_ne!(dispatch.port(), ns.port());

    // A real login against the spawned process, with the changed password.
    let nexus = common::http_get(http, "/rdr/pprdr.asp", &[]).await;
    assert_eq!(nexus.header("PassportURLs"), Some(format!("DALogin=http://{http}/login2.srf").as_str()));
    let response = common::http_get(
        http,
        "/login2.srf",
        &[("Authorization", "Passport1.4 sign-in=alice%40example.com,pwd=new-pw")],
    )
    .await;
    assert_eq!(response.status, 200);
    // The well-known port refers the client to the Notification Server.
    let mut referral = common::Peer::connect(dispatch, "cli-dispatch").await;
    referral.send("VER 1 MSNP8 CVR0").await;
    referral.expect("VER 1 MSNP8").await;
    referral.send("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0777 msmsgs alice@example.com").await;
    referral.line().await;
    referral.send("USR 3 TWN I alice@example.com").await;
    referral.expect(&format!("XFR 3 NS {ns} 0 {dispatch}")).await;
    referral.expect_closed().await;
    let mut peer = common::Peer::connect(ns, "cli").await;
    peer.send("VER 1 MSNP8 CVR0").await;
    peer.expect("VER 1 MSNP8").await;

    // SIGTERM: a graceful stop, within the grace period, exit code 0.
    let mut running = _running;
    let status = Command::new("kill").args(["-TERM", &running.0.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let started = std::time::Instant::now();
    let exit = loop {
        if let Some(exit) = running.0.try_wait().expect("wait") {
            break exit;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "msnpd did not stop");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    peer.expect_closed().await;
}

/// `msnpd user add` right as `msnpd serve` starts on a new database: both
/// migrate it and write to it at once, and neither fails with "database is
/// locked" (it used to, about one time in four).
#[tokio::test]
async fn user_commands_and_a_starting_server_share_the_database() {
    for round in 0..8 {
        let dir = tempfile::tempdir().expect("temp dir");
        let serve = Command::new(env!("CARGO_BIN_EXE_msnpd"))
            .args(["serve", "--ns-listen", "127.0.0.1:0", "--sb-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let _serve = Running(serve);
        let (ok, _, stderr) = msnpd(dir.path(), &["user", "add", "alice@example.com", "--password", "pw"]);
        assert!(ok, "round {round}: {stderr}");
    }
}
