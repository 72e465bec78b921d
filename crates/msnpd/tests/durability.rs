//! Nothing acknowledged is lost, nothing is half-applied: the server is killed
//! with SIGKILL in the middle of a stream of list changes, restarted on the
//! same database, and every change it acknowledged is there.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use common::Peer;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &std::path::Path) -> (Running, SocketAddr, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_msnpd"))
        .args(["serve", "--ns-listen", "127.0.0.1:0", "--sb-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .env("MSNPD_NS_COMMAND_BURST", "100000")
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().expect("a log line").expect("readable");
    // With MSNP_TEST_LOG the log is shown; without it the pipe is closed,
    // which the server must survive (its log writes then fail).
    if std::env::var_os("MSNP_TEST_LOG").is_some() {
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("server: {line}");
            }
        });
    } else {
        drop(lines);
    }
    let address = |key: &str| -> SocketAddr {
        let start = first.find(key).expect("address in the first log line") + key.len();
        first[start..].split_whitespace().next().expect("address").parse().expect("socket address")
    };
    let (ns, http) = (address("notification="), address("http="));
    (Running(child), ns, http)
}

async fn login(ns: SocketAddr, http: SocketAddr, email: &str, name: &'static str) -> Peer {
    let authorization = format!("Passport1.4 sign-in={},pwd=pw", email.replace('@', "%40"));
    let response = common::http_get(http, "/login2.srf", &[("Authorization", &authorization)]).await;
    let info = response.header("Authentication-Info").expect("ticket").to_owned();
    let ticket = info.split("from-PP='").nth(1).and_then(|t| t.split('\'').next()).expect("from-PP").to_owned();
    let mut peer = Peer::connect(ns, name).await;
    peer.set_dialect(msnp::Dialect::MSNP9);
    peer.send("VER 1 MSNP9").await;
    peer.expect("VER 1 MSNP9").await;
    peer.send(&format!("USR 2 TWN I {email}")).await;
    peer.line().await;
    peer.send(&format!("USR 3 TWN S {ticket}")).await;
    assert!(peer.line().await.starts_with("USR 3 OK"));
    peer.frame().await; // profile
    peer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_in_a_stream_of_list_changes_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cheap = [("MSNPD_ARGON2_MEMORY_KIB", "64"), ("MSNPD_ARGON2_ITERATIONS", "1")];
    let add = |email: &str| {
        let status = Command::new(env!("CARGO_BIN_EXE_msnpd"))
            .args(["user", "add", email, "--password", "pw"])
            .current_dir(dir.path())
            .envs(cheap)
            .stdout(Stdio::null())
            .status()
            .expect("user add");
        assert!(status.success());
    };
    add("alice@example.com");
    for n in 0..40 {
        add(&format!("friend{n}@example.com"));
    }
    let (mut running, ns, http) = start(dir.path());
    let mut alice = login(ns, http, "alice@example.com", "alice").await;

    // Fire every change at once; collect acknowledgements until the kill.
    let mut stream = String::new();
    for n in 0..40 {
        stream.push_str(&format!("ADD {} FL friend{n}@example.com Friend{n}\r\n", 10 + n));
        stream.push_str(&format!("ADG {} Group{n} 0\r\n", 100 + n));
    }
    alice.send_raw(stream.as_bytes()).await;
    let mut acknowledged_contacts = Vec::new();
    let mut acknowledged_groups = Vec::new();
    while acknowledged_contacts.len() + acknowledged_groups.len() < 25 {
        let line = alice.line().await;
        let words: Vec<&str> = line.split(' ').collect();
        match words[0] {
            "ADD" => acknowledged_contacts.push(words[4].to_owned()),
            "ADG" => acknowledged_groups.push(words[3].to_owned()),
            other => panic!("unexpected {other}: {line}"),
        }
    }
    let status = Command::new("kill").args(["-KILL", &running.0.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let _ = running.0.wait();
    // Whatever else was acknowledged before the socket died counts too.
    while let Some(frame) = alice.try_frame_quietly().await {
        let line = frame.to_string();
        let words: Vec<&str> = line.split(' ').collect();
        match words[0] {
            "ADD" => acknowledged_contacts.push(words[4].to_owned()),
            "ADG" => acknowledged_groups.push(words[3].to_owned()),
            _ => {}
        }
    }

    let (_restarted, ns, http) = start(dir.path());
    let mut alice = login(ns, http, "alice@example.com", "alice").await;
    alice.send("SYN 1 0").await;
    let syn = alice.line().await;
    let words: Vec<usize> = syn.split(' ').skip(3).map(|n| n.parse().expect("count")).collect();
    let (contacts, groups) = (words[0], words[1]);
    let mut lines = Vec::new();
    for _ in 0..(2 + groups + contacts) {
        lines.push(alice.line().await);
    }
    for email in &acknowledged_contacts {
        assert!(lines.iter().any(|l| l.starts_with(&format!("LST {email} "))), "{email} lost: {lines:?}");
    }
    for name in &acknowledged_groups {
        assert!(lines.iter().any(|l| l.starts_with("LSG ") && l.contains(&format!(" {name} "))), "{name} lost");
    }
    // Nothing half-applied: every friend on Alice's FL has Alice on their RL.
    for line in lines.iter().filter(|l| l.starts_with("LST ")) {
        let email = line.split(' ').nth(1).expect("email");
        let mut friend = login(ns, http, email, "friend").await;
        friend.send("SYN 1 0").await;
        let mut found = false;
        let head = friend.line().await;
        let count: usize = head.split(' ').nth(3).expect("count").parse().expect("n");
        for _ in 0..(3 + count) {
            if friend.line().await.starts_with("LST alice@example.com ") {
                found = true;
            }
        }
        assert!(found, "{email} has Alice on its FL side only");
    }
}
