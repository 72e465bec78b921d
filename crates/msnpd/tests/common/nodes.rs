//! Servers as separate processes: msnpd nodes (alone or three on one
//! database and one nats-server), for tests of what only a whole process
//! shows (its memory, its signals, the paths between nodes).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use msnp::auth::challenge::md5_challenge_response;
use msnpd::config::Config;

use super::{Peer, http_get};
/// Heartbeat and death bound the nodes run with here (the defaults are 1 s
/// and 3 s): a dead node's users are offline for the others within
/// `DEAD_AFTER` plus one heartbeat.
pub const HEARTBEAT_MS: u64 = 250;
pub const DEAD_AFTER_MS: u64 = 1500;

/// One cluster at a time: twelve processes at once on two cores would starve
/// heartbeats, and a node not heard from in time is taken for dead.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn free_port(host: &str) -> u16 {
    let listener = std::net::TcpListener::bind((host, 0)).expect("a free port");
    listener.local_addr().expect("address").port()
}

/// A child process killed (SIGKILL) and reaped when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Nats {
    process: Option<Process>,
    port: u16,
    pub url: String,
}

impl Nats {
    pub fn start() -> Option<Nats> {
        Nats::on(free_port("127.0.0.1"))
    }

    pub fn on(port: u16) -> Option<Nats> {
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let process = Process(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Nats { process: Some(process), port, url: format!("nats://127.0.0.1:{port}") })
    }

    pub fn stop(&mut self) {
        self.process.take();
    }

    pub fn restart(&mut self) {
        *self = Nats::on(self.port).expect("nats-server starts again");
    }
}

pub struct Node {
    pub process: Option<Process>,
    pub dispatch: SocketAddr,
    pub notification: SocketAddr,
    pub sb: SocketAddr,
    pub http: SocketAddr,
    /// How many times this node has logged another as dead.
    pub declared_dead: Arc<AtomicUsize>,
}

/// `key=value` from the server's `msnpd listening` log line.
pub fn field(line: &str, key: &str) -> SocketAddr {
    let start = line.find(&format!(" {key}=")).unwrap_or_else(|| panic!("no {key} in {line}")) + key.len() + 2;
    line[start..].split(' ').next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{key} in {line}"))
}

impl Node {
    pub fn start(host: &str, database: &str, bus: &str) -> Node {
        Node::start_with(host, database, Some(bus), &[])
    }

    /// A node on `host` (any free ports), with a bus or alone, and settings
    /// of its own (`MSNPD_…` variables).
    pub fn start_with(host: &str, database: &str, bus: Option<&str>, settings: &[(&str, &str)]) -> Node {
        let listen = format!("{host}:0");
        let mut command = Command::new(env!("CARGO_BIN_EXE_msnpd"));
        command
            .args(["serve", "--ns-listen", &listen, "--sb-listen", &listen, "--http-listen", &listen])
            .args(["--database", database])
            .env("MSNPD_HEARTBEAT_MS", HEARTBEAT_MS.to_string())
            .env("MSNPD_NODE_DEAD_AFTER_MS", DEAD_AFTER_MS.to_string())
            .env("MSNPD_NS_COMMAND_BURST", "10000")
            .env("RUST_LOG", "info")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(bus) = bus {
            command.args(["--bus", bus]);
        }
        let mut child = command.spawn().expect("msnpd starts");
        let stderr = child.stderr.take().expect("stderr");
        let process = Process(child);
        let mut lines = BufReader::new(stderr).lines();
        let listening = loop {
            let line = lines.next().and_then(Result::ok).expect("msnpd logs that it listens");
            if line.contains("msnpd listening") {
                break line;
            }
        };
        // The rest of its log is read and dropped, so the pipe never fills.
        let echo = std::env::var_os("MSNP_TEST_NODE_LOGS").is_some();
        let declared_dead = Arc::new(AtomicUsize::new(0));
        let counted = declared_dead.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("node not heard from") {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
                if echo {
                    eprintln!("[node] {line}");
                }
            }
        });
        Node {
            process: Some(process),
            dispatch: field(&listening, "ns"),
            notification: field(&listening, "notification"),
            sb: field(&listening, "sb"),
            http: field(&listening, "http"),
            declared_dead,
        }
    }

    pub fn kill(&mut self) {
        self.process.take();
    }

    /// SIGUSR1: the node drains.
    pub fn drain(&self) {
        let pid = self.process.as_ref().expect("running").0.id().to_string();
        let status = Command::new("kill").args(["-USR1", &pid]).status().expect("kill runs");
        assert!(status.success());
    }

    /// The node's resident memory (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> u64 {
        let pid = self.process.as_ref().expect("running").0.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

/// Three nodes on 127.0.0.2-4 on one database (PostgreSQL with
/// `MSNP_TEST_POSTGRES`, else a SQLite file) and one nats-server, with
/// alice, bob and carol (password `pw`); `None` without nats-server.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub nats: Nats,
    _dir: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Cluster {
    pub async fn start() -> Option<Cluster> {
        Cluster::start_with(&[]).await
    }

    /// Three nodes with settings of their own (`MSNPD_…` variables).
    pub async fn start_with(settings: &[(&str, &str)]) -> Option<Cluster> {
        let turn = ONE_AT_A_TIME.lock().await;
        let Some(nats) = Nats::start() else {
            assert!(std::env::var_os("MSNP_REQUIRE_NATS").is_none(), "nats-server is required but not on the PATH");
            eprintln!("SKIPPED: nats-server is not on the PATH");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let database = match super::postgres_database().await {
            Some((url, _, _)) => url,
            None => format!("sqlite://{}", dir.path().join("msnpd.db").display()),
        };
        {
            // The accounts, made before any node starts (the first open migrates).
            let config = Config { database: database.clone(), ..super::test_config(dir.path()) };
            let store = msnpd::store::Store::open(&database, config.store_options()).await.expect("database");
            let signer = msnpd::core::token_signer(&store).await.expect("keys");
            let core = msnpd::core::Core::alone(config.core(String::new(), String::new()), store, signer);
            for (email, nick) in
                [("alice@example.com", "Alice"), ("bob@example.com", "Bob"), ("carol@example.com", "Carol")]
            {
                core.create_account(email, "pw", Some(nick)).await.expect("account");
            }
            core.store.close().await;
        }
        let nodes = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
            .map(|host| Node::start_with(host, &database, Some(&nats.url), settings));
        // Each node hears the others' first heartbeats.
        tokio::time::sleep(Duration::from_millis(3 * HEARTBEAT_MS)).await;
        Some(Cluster { nodes: nodes.into(), nats, _dir: dir, _turn: turn })
    }
}

/// A Passport 1.4 ticket from the node whose HTTP listener is `http`.
pub async fn ticket(http: SocketAddr, email: &str, password: &str) -> String {
    let authorization = format!(
        "Passport1.4 OrgVerb=GET,OrgURL=http%3A%2F%2Fmessenger%2Emsn%2Ecom,sign-in={},pwd={password},lc=1033,id=507",
        email.replace('@', "%40")
    );
    let response = http_get(http, "/login2.srf", &[("Authorization", &authorization)]).await;
    assert_eq!(response.status, 200, "login2.srf refused {email}");
    let info = response.header("Authentication-Info").expect("Authentication-Info");
    info.split("from-PP='").nth(1).and_then(|t| t.split('\'').next()).expect("from-PP").to_owned()
}

/// An MSNP8 session on the Notification Server at `ns` with a ticket from
/// `node`'s Passport, signed in, its list synchronised (`expect_list`),
/// online (`expect_online` answering its CHG).
pub async fn sign_in(
    node: &Node,
    ns: SocketAddr,
    email: &str,
    name: &'static str,
    expect_list: &[&str],
    expect_online: &[&str],
) -> Peer {
    let mut peer = Peer::connect(ns, name).await;
    peer.set_dialect(msnp::Dialect::from_token("MSNP8").expect("dialect"));
    peer.send("VER 1 MSNP8 CVR0").await;
    peer.expect("VER 1 MSNP8").await;
    peer.send(&format!("CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0.0602 MSMSGS {email}")).await;
    peer.line().await;
    peer.send(&format!("USR 3 TWN I {email}")).await;
    assert!(peer.line().await.starts_with("USR 3 TWN S "));
    let ticket = ticket(node.http, email, "pw").await;
    peer.send(&format!("USR 4 TWN S {ticket}")).await;
    let ok = peer.line().await;
    assert!(ok.starts_with(&format!("USR 4 OK {email} ")), "{ok}");
    assert_eq!(peer.frame().await.command, "MSG");
    peer.send("SYN 5 0").await;
    for line in expect_list {
        peer.expect(line).await;
    }
    peer.send("CHG 6 NLN 0").await;
    peer.expect("CHG 6 NLN 0").await;
    for line in expect_online {
        peer.expect(line).await;
    }
    let chl = peer.line().await;
    let challenge = chl.strip_prefix("CHL 0 ").unwrap_or_else(|| panic!("{chl}"));
    let answer = md5_challenge_response(challenge, "Q1P7W2E4J9R8U3S5");
    peer.send_payload("QRY 7 msmsgs@msnmsgr.com", answer.as_bytes()).await;
    peer.expect("QRY 7").await;
    peer
}
