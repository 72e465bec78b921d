//! The `msnp` command against a real msnpd started in the test: login saves
//! a profile, then add, send and contacts use it; failures print the reason.

use std::path::Path;
use std::time::Duration;

use msnp_client::{Client, ClientConfig, Conversation, ConversationEvent, Event};
use msnpd::config::Config;
use msnpd::server::Server;

async fn start(dir: &Path) -> Server {
    start_with(dir, Config::default()).await
}

async fn start_with(dir: &Path, base: Config) -> Server {
    let config = Config {
        ns_listen: "127.0.0.1:0".into(),
        sb_listen: "127.0.0.1:0".into(),
        http_listen: "127.0.0.1:0".into(),
        database: format!("sqlite://{}", dir.join("msnpd.db").display()),
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        ..base
    };
    let server = Server::start(config).await.expect("server starts");
    for (email, name) in [
        ("alice@example.com", "Alice"),
        ("bot@example.com", "Bot"),
        ("bench0@example.com", "B0"),
        ("bench1@example.com", "B1"),
        ("bench2@example.com", "B2"),
        ("bench3@example.com", "B3"),
    ] {
        let password = if email.starts_with("bench") { "bench" } else { "pw" };
        server.context.core.create_account(email, password, Some(name)).await.expect("account");
    }
    server
}

/// Runs `msnp args…` with its profile in `dir`: (success, stdout, stderr).
async fn msnp(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_msnp"))
        .args(args)
        .env("MSNP_PROFILE", dir.join("profile.json"))
        .kill_on_drop(true)
        .output();
    let output =
        tokio::time::timeout(Duration::from_secs(20), output).await.expect("msnp finishes").expect("msnp runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[tokio::test]
async fn login_add_send_and_contacts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path()).await;
    // The well-known port: the client follows its referral to the Notification Server.
    let ns = server.ns_addr.to_string();
    let nexus = format!("http://{}/rdr/pprdr.asp", server.http_addr);
    let login = ["login", "alice@example.com", "--password", "pw", "--server", &ns, "--nexus", &nexus];

    let mut wrong = login;
    wrong[3] = "wrong";
    let (ok, _, stderr) = msnp(dir.path(), &wrong).await;
    assert!(!ok);
    assert_eq!(stderr, "msnp: Passport: wrong email or password\n");
    assert!(!dir.path().join("profile.json").exists(), "a failed login saves nothing");
    let (ok, _, stderr) = msnp(dir.path(), &["contacts"]).await;
    assert!(!ok);
    assert!(stderr.starts_with("msnp: not signed in: run `msnp login"), "{stderr}");

    let (ok, stdout, stderr) = msnp(dir.path(), &login).await;
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("Signed in as alice@example.com (0 contacts); saved to "), "{stdout}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("profile.json")).expect("profile").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the profile holds a password");
    }
    let (ok, stdout, _) = msnp(dir.path(), &["--json", "add", "bot@example.com"]).await;
    assert!(ok);
    assert_eq!(stdout, "{\"added\":\"bot@example.com\"}\n");
    let (ok, _, stderr) = msnp(dir.path(), &["add", "nobody@example.com"]).await;
    assert!(!ok);
    assert_eq!(stderr, format!("msnp: 208: {}\n", msnp::ErrorCode::InvalidUsername.description()));

    // The bot is online and keeps what it is told.
    let mut config = ClientConfig::new(&ns);
    config.nexus = nexus.clone();
    let mut bot = Client::login(config, "bot@example.com", "pw").await.expect("bot login");
    let listener = tokio::spawn(async move {
        while let Some(event) = bot.next_event().await {
            let Event::Invited(invitation) = event else { continue };
            let mut chat = Conversation::accept(&bot, &invitation).await.expect("accept");
            while let Some(event) = chat.next_event().await {
                if let ConversationEvent::Message { from, text, .. } = event {
                    return (from, text, bot);
                }
            }
        }
        panic!("the bot was never invited");
    });
    let (ok, stdout, stderr) = msnp(dir.path(), &["--json", "send", "bot@example.com", "hello from the shell"]).await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "{\"delivered\":\"bot@example.com\"}\n");
    let (from, text, _bot) =
        tokio::time::timeout(Duration::from_secs(10), listener).await.expect("in time").expect("bot");
    assert_eq!((from.as_str(), text.as_str()), ("alice@example.com", "hello from the shell"));

    let (ok, stdout, _) = msnp(dir.path(), &["contacts"]).await;
    assert!(ok);
    assert_eq!(stdout, format!("{:<32} {:<4} {}\n", "bot@example.com", "NLN", "Bot"));
}

/// `msnp bench` runs a short relay through one pair and reports it, and
/// refuses a target that is not loopback.
#[tokio::test]
async fn bench_relay_reports_throughput_and_latency() {
    let dir = tempfile::tempdir().expect("temp dir");
    let unlimited = Config { sb_message_rate: 1e9, sb_message_burst: 1e9, ..Config::default() };
    let server = start_with(dir.path(), unlimited).await;
    let ns = server.ns_addr.to_string();
    let nexus = format!("http://{}/rdr/pprdr.asp", server.http_addr);
    let args = ["--json", "bench", "--server", &ns, "--nexus", &nexus, "relay", "--pairs", "1", "--seconds", "1"];
    let (ok, stdout, stderr) = msnp(dir.path(), &args).await;
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(report["scenario"], "relay");
    assert!(report["messages_per_second"].as_f64().is_some_and(|rate| rate > 0.0), "{report}");
    assert!(report["ack_latency"]["count"].as_u64().is_some_and(|count| count > 0), "{report}");
    let args = ["--json", "bench", "--server", &ns, "--nexus", &nexus, "presence", "--watchers", "3", "--rounds", "2"];
    let (ok, stdout, stderr) = msnp(dir.path(), &args).await;
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(report["each_watcher"]["count"], 6, "{report}");
    assert_eq!(report["last_watcher"]["count"], 2, "{report}");
    let args =
        ["--json", "bench", "--server", &ns, "--nexus", &nexus, "logins", "--count", "4", "--ticket-rounds", "3"];
    let (ok, stdout, stderr) = msnp(dir.path(), &args).await;
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(report["latency"]["count"], 4, "{report}");
    assert_eq!(report["with_ticket"]["latency"]["count"], 12, "{report}");
    // Spread over two worker processes, from 127.0.0.2 and 127.0.0.3.
    let pid = std::process::id().to_string();
    let args = ["--json", "bench", "--server", &ns, "--nexus", &nexus, "connections", "--count", "4"];
    let (ok, stdout, stderr) =
        msnp(dir.path(), &[&args[..], &["--processes", "2", "--server-pid", &pid]].concat()).await;
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!((report["sessions"].as_u64(), report["processes"].as_u64()), (Some(4), Some(2)), "{report}");
    assert_eq!(report["login"][0]["ready"], 2, "{report}");
    assert_eq!(report["login"][1]["ready"], 2, "{report}");
    assert!(report["rss_after_kib"].as_u64().is_some(), "{report}");
    let (ok, _, stderr) = msnp(dir.path(), &["bench", "--server", "192.0.2.1:1863", "relay"]).await;
    assert!(!ok);
    assert_eq!(stderr, "msnp: bench targets loopback only, not 192.0.2.1\n");
}

/// `msnp bench connections --come-back`: a held session the server ends
/// (here: its account signs in elsewhere) signs in again, and the report
/// counts it.
#[tokio::test]
async fn bench_connections_come_back_after_a_drop() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path()).await;
    let ns = server.ns_addr.to_string();
    let nexus = format!("http://{}/rdr/pprdr.asp", server.http_addr);
    let mut generator = tokio::process::Command::new(env!("CARGO_BIN_EXE_msnp"))
        .args(["--json", "bench", "--server", &ns, "--nexus", &nexus, "connections", "--count", "2"])
        .args(["--come-back", "--hold", "3"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("msnp runs");
    let mut progress = tokio::io::BufReader::new(generator.stderr.take().expect("stderr")).lines();
    let held = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = progress.next_line().await {
            if line.contains("signed in in") {
                return true;
            }
        }
        false
    });
    assert_eq!(held.await, Ok(true), "the generator holds its sessions");
    let config = ClientConfig { nexus: nexus.clone(), ..ClientConfig::new(&ns) };
    // The generator's session ends as this one signs in; coming back with its
    // ticket, it may in turn end this one before its sign-in has finished.
    let elsewhere = match Client::login(config, "bench1@example.com", "bench").await {
        Ok(client) => Some(client),
        Err(msnp_client::ClientError::Closed) => None,
        Err(error) => panic!("signs in elsewhere: {error}"),
    };
    let output = tokio::time::timeout(Duration::from_secs(30), generator.wait_with_output())
        .await
        .expect("the generator finishes")
        .expect("its output");
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["came_back"]["came_back"], 1, "{report}");
    assert_eq!(report["came_back"]["failed_attempts"], 0, "{report}");
    assert_eq!(report["came_back"]["most_attempts"], 1, "{report}");
    drop(elsewhere);
}

/// `msnp bench soak` against the server's normal limits: the steady sender
/// gets everything through while the flooding abuser is refused.
#[tokio::test]
async fn bench_soak_keeps_the_well_behaved_working() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path()).await;
    let ns = server.ns_addr.to_string();
    let nexus = format!("http://{}/rdr/pprdr.asp", server.http_addr);
    let args = [
        "--json",
        "bench",
        "--server",
        &ns,
        "--nexus",
        &nexus,
        "soak",
        "--pairs",
        "1",
        "--rate",
        "5",
        "--abusers",
        "1",
        "--seconds",
        "2",
        "--interval",
        "1",
    ];
    let (ok, stdout, stderr) = msnp(dir.path(), &args).await;
    assert!(ok, "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a summary line")).expect("JSON");
    assert!(summary["delivered"].as_u64().is_some_and(|n| n >= 5), "{stdout}");
    assert_eq!(summary["failed"], 0, "{stdout}");
    let refused = stdout.lines().filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok());
    assert!(refused.filter_map(|line| line["abuse_refused"].as_u64()).any(|n| n > 0), "{stdout}");
}

/// `msnp status` saves the status; a running `msnp watch` switches to it and
/// a contact sees the change.
#[tokio::test]
async fn status_follows_into_a_running_watch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path()).await;
    let ns = server.ns_addr.to_string();
    let nexus = format!("http://{}/rdr/pprdr.asp", server.http_addr);
    let login = ["login", "alice@example.com", "--password", "pw", "--server", &ns, "--nexus", &nexus];
    assert!(msnp(dir.path(), &login).await.0);
    let (ok, _, stderr) = msnp(dir.path(), &["status", "gone"]).await;
    assert!(!ok);
    assert_eq!(stderr, "msnp: \"gone\" is not a status (one of NLN, BSY, IDL, BRB, AWY, PHN, LUN, HDN)\n");
    let (ok, stdout, _) = msnp(dir.path(), &["status", "bsy"]).await;
    assert!(ok);
    assert_eq!(stdout, "Status set to BSY\n");
    assert_eq!(msnp(dir.path(), &["--json", "status"]).await.1, "{\"status\":\"BSY\"}\n");

    let mut config = ClientConfig::new(&ns);
    config.nexus = nexus.clone();
    let mut bot = Client::login(config, "bot@example.com", "pw").await.expect("bot login");
    bot.add_contact("alice@example.com").await.expect("bot adds alice");
    let _watch = tokio::process::Command::new(env!("CARGO_BIN_EXE_msnp"))
        .arg("watch")
        .env("MSNP_PROFILE", dir.path().join("profile.json"))
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("msnp watch runs");
    let mut next_status = async || loop {
        let event = tokio::time::timeout(Duration::from_secs(10), bot.next_event()).await.expect("in time");
        if let Event::Presence { email, status, .. } = event.expect("bot still connected")
            && email == "alice@example.com"
        {
            return status;
        }
    };
    assert_eq!(next_status().await, "BSY", "watch signs in with the saved status");
    assert!(msnp(dir.path(), &["status", "AWY"]).await.0);
    assert_eq!(next_status().await, "AWY", "the running watch follows `msnp status`");
}

/// The command line in an address-book dialect: RST.srf, SSO, ABContactAdd + ADL.
#[tokio::test]
async fn msnp18_login_add_and_contacts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path()).await;
    let ns = server.ns_addr.to_string();
    let nexus = format!("http://{}/rdr/pprdr.asp", server.http_addr);
    let login = ["login", "alice@example.com", "--password", "pw", "--server", &ns, "--nexus", &nexus];
    let (ok, stdout, stderr) = msnp(dir.path(), &[&login[..], &["--dialect", "MSNP18"]].concat()).await;
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("Signed in as alice@example.com (0 contacts)"), "{stdout}");
    let (ok, _, stderr) = msnp(dir.path(), &["add", "bot@example.com"]).await;
    assert!(ok, "{stderr}");
    let (ok, stdout, _) = msnp(dir.path(), &["--json", "contacts"]).await;
    assert!(ok);
    let contact: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!((contact["email"].as_str(), contact["status"].as_str()), (Some("bot@example.com"), Some("FLN")));
    assert_eq!(contact["lists"].as_u64().map(|lists| lists & 3), Some(3), "{contact}");
}

/// MSNP21 from the command line: `--dialect 21` signs in (SSO), sees a
/// contact's presence (`NFY`), and sends a message without a switchboard
/// (`SDG`), which an MSNP21 bot and an MSNP18 one (through a switchboard) read.
#[tokio::test]
async fn msnp21_signs_in_sees_presence_and_sends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path()).await;
    let ns = server.ns_addr.to_string();
    let nexus = format!("http://{}/rdr/pprdr.asp", server.http_addr);
    let login = ["login", "alice@example.com", "--password", "pw", "--server", &ns, "--nexus", &nexus];
    let (ok, stdout, stderr) = msnp(dir.path(), &[&login[..], &["--dialect", "21"]].concat()).await;
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("Signed in as alice@example.com (0 contacts)"), "{stdout}");
    for bot in ["bot@example.com", "bench0@example.com"] {
        let (ok, _, stderr) = msnp(dir.path(), &["add", bot]).await;
        assert!(ok, "{stderr}");
    }
    let bot_login = |email: &'static str, password: &'static str, dialect| {
        let mut config = ClientConfig::new(&ns);
        config.nexus = nexus.clone();
        config.dialect = dialect;
        async move {
            let bot = Client::login(config, email, password).await.expect("bot login");
            bot.add_contact("alice@example.com").await.expect("bot adds alice");
            bot
        }
    };
    let mut bot21 = bot_login("bot@example.com", "pw", msnp::Dialect::MSNP21).await;
    let mut bot18 = bot_login("bench0@example.com", "bench", msnp::Dialect::MSNP18).await;

    let (ok, stdout, _) = msnp(dir.path(), &["--json", "contacts"]).await;
    assert!(ok);
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    let status_of = |email: &str| lines.iter().find(|c| c["email"] == email).map(|c| c["status"].clone());
    assert_eq!(status_of("bot@example.com"), Some("NLN".into()), "{stdout}");
    assert_eq!(status_of("bench0@example.com"), Some("NLN".into()), "{stdout}");

    for (to, text) in [("bot@example.com", "hello twenty-one"), ("bench0@example.com", "hello eighteen")] {
        let (ok, stdout, stderr) = msnp(dir.path(), &["--json", "send", to, text]).await;
        assert!(ok, "{stderr}");
        assert_eq!(stdout, format!("{{\"delivered\":\"{to}\"}}\n"));
    }
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(Event::Message { from, text }) = bot21.next_event().await {
                return (from, text);
            }
        }
    });
    assert_eq!(heard.await.expect("in time"), ("alice@example.com".to_owned(), "hello twenty-one".to_owned()));
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let Some(Event::Invited(invitation)) = bot18.next_event().await else { continue };
            let mut chat = Conversation::accept(&bot18, &invitation).await.expect("accept");
            while let Some(event) = chat.next_event().await {
                if let ConversationEvent::Message { from, text, .. } = event {
                    return (from, text);
                }
            }
        }
    });
    assert_eq!(heard.await.expect("in time"), ("alice@example.com".to_owned(), "hello eighteen".to_owned()));
}

/// Circles from the command line (MSNP18): Alice creates one and invites
/// the bot, who finds the invitation and accepts; a message Alice sends to
/// the circle reaches the bot, in its conversation through the library.
#[tokio::test]
async fn circles_create_invite_accept_and_send() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path()).await;
    let ns = server.ns_addr.to_string();
    let nexus = format!("http://{}/rdr/pprdr.asp", server.http_addr);
    let (alice, bot) = (dir.path().join("alice"), dir.path().join("bot"));
    for (profile, email) in [(&alice, "alice@example.com"), (&bot, "bot@example.com")] {
        std::fs::create_dir_all(profile).expect("profile dir");
        let login = ["login", email, "--password", "pw", "--server", &ns, "--nexus", &nexus, "--dialect", "18"];
        let (ok, _, stderr) = msnp(profile, &login).await;
        assert!(ok, "{stderr}");
    }
    let (ok, stdout, stderr) = msnp(&alice, &["--json", "circle", "create", "Team"]).await;
    assert!(ok, "{stderr}");
    let created: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    let id = created["created"].as_str().expect("an id").to_owned();
    assert!(id.starts_with("00000000-0000-0000-0009-"), "{id}");
    let (ok, stdout, stderr) = msnp(&alice, &["circle", "invite", "Team", "bot@example.com"]).await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Invited bot@example.com to Team\n");
    let (ok, stdout, _) = msnp(&bot, &["circle", "list"]).await;
    assert!(ok);
    assert_eq!(stdout, format!("{id}  StatePendingOutbound WaitingResponse Team\n"));
    let (ok, stdout, stderr) = msnp(&bot, &["circle", "accept", "Team"]).await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Joined Team\n");
    let (ok, _, stderr) = msnp(&bot, &["circle", "send", "Nowhere", "hi"]).await;
    assert!(!ok && stderr.contains("no circle \"Nowhere\""), "{stderr}");

    let mut config = ClientConfig::new(&ns);
    config.nexus = nexus.clone();
    config.dialect = msnp::Dialect::MSNP18;
    let mut listener = Client::login(config, "bot@example.com", "pw").await.expect("bot signs in");
    assert_eq!(listener.join_circle("Team").await.expect("joins"), id);
    let (ok, stdout, stderr) = msnp(&alice, &["circle", "send", "Team", "hello, circle"]).await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Sent to Team\n");
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match listener.next_event().await {
                Some(Event::CircleMessage { circle, from, text }) => return (circle, from, text),
                Some(_) => continue,
                None => panic!("the bot's connection closed"),
            }
        }
    })
    .await
    .expect("the message arrives");
    assert_eq!(heard, (id, "alice@example.com".to_owned(), "hello, circle".to_owned()));
}
