//! `msnp`: the MSNP command line.
//!
//! `msnp login EMAIL --password PW --server HOST:PORT` checks the account and
//! remembers it (a profile file readable only by its owner); `send`, `watch`,
//! `contacts` and `add` then sign in with it. `qry` and `md5` need no server.

mod bench;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use msnp::Dialect;
use msnp_client::{Client, ClientConfig, ClientError, Conversation, ConversationEvent, Event};
use serde_json::json;

#[derive(Parser)]
#[command(name = "msnp", version, about = "MSN Messenger protocol command line")]
struct Cli {
    /// Print one JSON object per line instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an account and remember it for the other commands.
    Login {
        email: String,
        #[arg(long)]
        password: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Send one message to a contact and wait until it is delivered; to a
    /// contact who is offline, leave it as an offline message (MSNP13+).
    Send {
        to: String,
        text: String,
        /// Type for this many seconds first (typing notices, as clients send while a message is
        /// written; switchboard dialects, MSNP2-18).
        #[arg(long, value_name = "SECONDS")]
        typing: Option<u64>,
        /// Nudge them before the message (switchboard dialects).
        #[arg(long)]
        nudge: bool,
    },
    /// Stay signed in and print presence changes and incoming messages
    /// (first, for MSNP13+, the offline messages left while away).
    Watch {
        /// The status to show while watching, instead of the one `msnp status` saved.
        #[arg(long)]
        status: Option<String>,
    },
    /// Show or set your status (NLN, BSY, IDL, BRB, AWY, PHN, LUN, HDN): a
    /// running `msnp watch` switches to it within a second, later sign-ins use it.
    Status { status: Option<String> },
    /// List the contact list with presence.
    Contacts,
    /// Add a contact (forward and allow lists).
    Add { email: String },
    /// Circles (WLM 2009 groups; the profile's dialect must be MSNP18 or later).
    Circle {
        #[command(subcommand)]
        action: CircleAction,
    },
    /// Load scenarios against a server (loopback only; see docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        scenario: bench::Scenario,
        #[command(flatten)]
        server: ServerArgs,
        /// Accounts are PREFIX0@example.com, PREFIX1@example.com... (`msnpd user add-many`).
        #[arg(long, default_value = "bench", global = true)]
        prefix: String,
        #[arg(long, default_value = "bench", global = true)]
        password: String,
    },
    /// Answer a CHL challenge as a client would (prints the QRY payload).
    Qry {
        challenge: String,
        #[arg(long, default_value = "PROD0090YUAUV{2B")]
        product_id: String,
        /// The product key, when the id is not a known one.
        #[arg(long)]
        product_key: Option<String>,
        /// The protocol version, which picks the algorithm (MSNP6-10: MD5; 11+: MSNP11).
        #[arg(long, default_value = "MSNP11")]
        dialect: String,
    },
    /// The MSNP2-7 `USR MD5 S` answer for a salt and a password.
    Md5 { salt: String, password: String },
}

#[derive(Subcommand)]
enum CircleAction {
    /// List the circles you are in or invited to.
    List,
    /// Create a circle, with you its admin.
    Create { name: String },
    /// Invite someone to a circle you administer (named, or by its id).
    Invite { circle: String, email: String },
    /// Accept an invitation to a circle.
    Accept { circle: String },
    /// Decline an invitation to a circle.
    Decline { circle: String },
    /// Send one message to the circle's conversation (to every member in it now).
    Send { circle: String, text: String },
}

#[derive(Args, Clone)]
struct ServerArgs {
    /// The Notification Server.
    #[arg(long, default_value = "127.0.0.1:1863")]
    server: String,
    /// The Passport Nexus URL (default: port 8080 of the server's host).
    #[arg(long)]
    nexus: Option<String>,
    /// MSNP2 to MSNP21, or just the number (MSNP2-7 sign in with MD5: the
    /// account needs its MD5 secret; MSNP13+ use RST.srf and the address book
    /// beside the Nexus; MSNP19+ send messages without a switchboard).
    #[arg(long, default_value = "MSNP12")]
    dialect: String,
    /// Seconds any one answer may take.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Profile {
    email: String,
    password: String,
    server: String,
    nexus: String,
    dialect: String,
    timeout: u64,
    /// The status the commands sign in with.
    #[serde(default = "online")]
    status: String,
}

fn online() -> String {
    "NLN".to_owned()
}

/// The statuses a client may set with `CHG`.
const STATUSES: [&str; 8] = ["NLN", "BSY", "IDL", "BRB", "AWY", "PHN", "LUN", "HDN"];

fn checked_status(status: &str) -> Result<String, String> {
    let upper = status.to_ascii_uppercase();
    if STATUSES.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(format!("{status:?} is not a status (one of {})", STATUSES.join(", ")))
    }
}

fn profile_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MSNP_PROFILE") {
        return Some(PathBuf::from(path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("msnp").join("profile.json"))
}

fn load_profile() -> Result<Profile, String> {
    let path = profile_path().ok_or("no home directory: set MSNP_PROFILE")?;
    let text = std::fs::read_to_string(&path)
        .map_err(|_| format!("not signed in: run `msnp login EMAIL --password PW` first ({})", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn save_profile(profile: &Profile) -> Result<PathBuf, String> {
    let path = profile_path().ok_or("no home directory: set MSNP_PROFILE")?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(profile).map_err(|e| e.to_string())?;
    // The file holds a password: only its owner may read it.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn client_config(profile: &Profile) -> Result<ClientConfig, String> {
    let mut config = ClientConfig::new(&profile.server);
    config.nexus = profile.nexus.clone();
    config.dialect = dialect_named(&profile.dialect)?;
    config.timeout = Duration::from_secs(profile.timeout);
    config.initial_status = profile.status.clone();
    Ok(config)
}

async fn sign_in(profile: &Profile) -> Result<Client, String> {
    let config = client_config(profile)?;
    Client::login(config, &profile.email, &profile.password).await.map_err(|e| e.to_string())
}

/// Prints a line for people, or the JSON object for scripts.
fn report(json_output: bool, text: String, object: serde_json::Value) {
    if json_output {
        println!("{object}");
    } else {
        println!("{text}");
    }
}

/// `MSNP21` or `21`.
fn dialect_named(name: &str) -> Result<Dialect, String> {
    let token = if name.bytes().all(|b| b.is_ascii_digit()) { format!("MSNP{name}") } else { name.to_owned() };
    Dialect::from_token(&token).ok_or_else(|| format!("{name:?} is not a dialect (MSNP2..MSNP21)"))
}

async fn run(cli: Cli) -> Result<(), String> {
    let json_output = cli.json;
    match cli.command {
        Command::Login { email, password, server } => {
            let nexus = server.nexus.clone().unwrap_or_else(|| ClientConfig::new(&server.server).nexus);
            let profile = Profile {
                email,
                password,
                server: server.server,
                nexus,
                dialect: server.dialect,
                timeout: server.timeout,
                status: online(),
            };
            let client = sign_in(&profile).await?;
            let contacts = client.contacts().len();
            let _ = client.sign_out().await;
            let path = save_profile(&profile)?;
            let text = format!("Signed in as {} ({contacts} contacts); saved to {}", profile.email, path.display());
            report(json_output, text, json!({"signed_in": profile.email, "contacts": contacts}));
        }
        Command::Send { to, text, typing, nudge } => {
            let profile = load_profile()?;
            let client = sign_in(&profile).await?;
            if client_config(&profile)?.dialect.has_structured_messages() {
                // MSNP19+: on the Notification Server; the server reaches every endpoint.
                client.send_message(&to, &text).await.map_err(|e| e.to_string())?;
                client.settle().await.map_err(|e| e.to_string())?;
                let _ = client.sign_out().await;
                report(json_output, format!("Delivered to {to}"), json!({"delivered": to}));
                return Ok(());
            }
            if client_config(&profile)?.dialect.list_sync() == msnp::dialect::ListSync::AddressBook {
                // MSNP13+: a contact who is away gets an offline message.
                client.settle().await.map_err(|e| e.to_string())?;
                let away = client.contacts().iter().any(|c| c.email == to && c.status.is_none());
                if away {
                    client.leave_offline_message(&to, &text).await.map_err(|e| e.to_string())?;
                    let _ = client.sign_out().await;
                    report(json_output, format!("Left for {to} (offline)"), json!({"left": to}));
                    return Ok(());
                }
            }
            let mut chat = Conversation::open(&client, &to).await.map_err(|e| e.to_string())?;
            let timeout = Duration::from_secs(profile.timeout);
            let joined = tokio::time::timeout(timeout, async {
                while let Some(event) = chat.next_event().await {
                    if matches!(event, ConversationEvent::Joined { .. }) {
                        return true;
                    }
                }
                false
            })
            .await;
            if joined != Ok(true) {
                return Err(format!("{to} did not join the conversation"));
            }
            if nudge {
                chat.nudge().await.map_err(|e| e.to_string())?;
            }
            if let Some(seconds) = typing {
                // Clients repeat the notice every few seconds while typing.
                let until = tokio::time::Instant::now() + Duration::from_secs(seconds);
                while tokio::time::Instant::now() < until {
                    chat.typing().await.map_err(|e| e.to_string())?;
                    tokio::time::sleep(Duration::from_secs(3).min(until - tokio::time::Instant::now())).await;
                }
            }
            chat.send(&text).await.map_err(|e| e.to_string())?;
            let _ = chat.leave().await;
            let _ = client.sign_out().await;
            report(json_output, format!("Delivered to {to}"), json!({"delivered": to}));
        }
        Command::Status { status: None } => {
            let profile = load_profile()?;
            report(json_output, profile.status.clone(), json!({"status": profile.status}));
        }
        Command::Status { status: Some(status) } => {
            let mut profile = load_profile()?;
            profile.status = checked_status(&status)?;
            save_profile(&profile)?;
            report(json_output, format!("Status set to {}", profile.status), json!({"status": profile.status}));
        }
        Command::Watch { status } => {
            let profile = load_profile()?;
            let mut config = client_config(&profile)?;
            // A status given here holds for this watch; otherwise it follows `msnp status`.
            let follow_profile = status.is_none();
            if let Some(status) = status {
                config.initial_status = checked_status(&status)?;
            }
            let mut shown = config.initial_status.clone();
            let mut client =
                Client::login(config, &profile.email, &profile.password).await.map_err(|e| e.to_string())?;
            let (lines, mut printed) = tokio::sync::mpsc::unbounded_channel::<(String, serde_json::Value)>();
            if client_config(&profile)?.dialect.list_sync() == msnp::dialect::ListSync::AddressBook {
                // MSNP13+: what was left while away comes first.
                for message in client.take_offline_messages().await.map_err(|e| e.to_string())? {
                    let (from, text) = (message.from, message.text);
                    report(
                        json_output,
                        format!("{from} (offline): {text}"),
                        json!({"from": from, "text": text, "offline": true}),
                    );
                }
            }
            let mut profile_check = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = profile_check.tick(), if follow_profile => {
                        let Ok(saved) = load_profile() else { continue };
                        if saved.status != shown {
                            client.set_status(&saved.status).await.map_err(|e| e.to_string())?;
                            report(json_output, format!("Status set to {}", saved.status), json!({"status": saved.status}));
                            shown = saved.status;
                        }
                    }
                    event = client.next_event() => match event {
                        Some(Event::Presence { email, status, friendly_name }) => {
                            report(json_output, format!("{email} ({friendly_name}) is {status}"),
                                json!({"presence": email, "status": status, "name": friendly_name}));
                        }
                        Some(Event::Offline { email }) => {
                            report(json_output, format!("{email} is offline"), json!({"offline": email}));
                        }
                        Some(Event::AddedBy { email, .. }) => {
                            report(json_output, format!("{email} added you"), json!({"added_by": email}));
                        }
                        Some(Event::Invited(invitation)) => {
                            let Ok(chat) = Conversation::accept(&client, &invitation).await else { continue };
                            tokio::spawn(relay_messages(chat, lines.clone()));
                        }
                        Some(Event::Message { from, text }) => {
                            report(json_output, format!("{from}: {text}"), json!({"from": from, "text": text}));
                        }
                        Some(Event::CircleMessage { circle, from, text }) => {
                            report(json_output, format!("[{circle}] {from}: {text}"),
                                json!({"circle": circle, "from": from, "text": text}));
                        }
                        Some(Event::SignedOut { reason }) => {
                            return Err(format!("signed out by the server ({})", reason.as_deref().unwrap_or("closed")));
                        }
                        None => return Err("the connection closed".to_owned()),
                        Some(Event::Other(_)) => {}
                    },
                    Some((text, object)) = printed.recv() => report(json_output, text, object),
                }
            }
        }
        Command::Contacts => {
            let profile = load_profile()?;
            let client = sign_in(&profile).await?;
            client.settle().await.map_err(|e| e.to_string())?;
            for contact in client.contacts() {
                let status = contact.status.clone().unwrap_or_else(|| "FLN".to_owned());
                let text = format!("{:<32} {:<4} {}", contact.email, status, contact.friendly_name);
                let object = json!({"email": contact.email, "status": status, "name": contact.friendly_name,
                    "lists": contact.lists});
                report(json_output, text, object);
            }
            let _ = client.sign_out().await;
        }
        Command::Add { email } => {
            let profile = load_profile()?;
            let client = sign_in(&profile).await?;
            client.add_contact(&email).await.map_err(|e| e.to_string())?;
            let _ = client.sign_out().await;
            report(json_output, format!("Added {email}"), json!({"added": email}));
        }
        Command::Circle { action } => {
            let profile = load_profile()?;
            let client = sign_in(&profile).await?;
            let done = circle(&client, action, json_output).await;
            let _ = client.sign_out().await;
            done?;
        }
        Command::Qry { challenge, product_id, product_key, dialect } => {
            let dialect = dialect_named(&dialect)?;
            let answer = msnp_client::answer_challenge(dialect, &challenge, &product_id, product_key.as_deref())
                .map_err(|e: ClientError| e.to_string())?;
            println!("{answer}");
        }
        Command::Md5 { salt, password } => println!("{}", msnp_client::md5_login(&salt, &password)),
        Command::Bench { scenario, server, prefix, password } => {
            let ip = server.server.rsplit_once(':').map_or(server.server.as_str(), |(host, _)| host);
            let loopback = ip.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) || ip == "localhost";
            if !loopback {
                return Err(format!("bench targets loopback only, not {ip}"));
            }
            let nexus = server.nexus.clone().unwrap_or_else(|| ClientConfig::new(&server.server).nexus);
            let profile = Profile {
                email: String::new(),
                password: password.clone(),
                server: server.server,
                nexus,
                dialect: server.dialect,
                timeout: server.timeout,
                status: online(),
            };
            let config = client_config(&profile)?;
            bench::run(bench::Target { config, prefix, password, json: json_output }, scenario).await?;
        }
    }
    Ok(())
}

async fn circle(client: &Client, action: CircleAction, json_output: bool) -> Result<(), String> {
    let error = |e: ClientError| e.to_string();
    match action {
        CircleAction::List => {
            for circle in client.circles().await.map_err(error)? {
                let text = format!("{}  {:<20} {:<8} {}", circle.ab_id, circle.role, circle.state, circle.name);
                report(
                    json_output,
                    text,
                    json!({"circle": circle.ab_id, "name": circle.name, "role": circle.role, "state": circle.state}),
                );
            }
        }
        CircleAction::Create { name } => {
            let id = client.create_circle(&name).await.map_err(error)?;
            report(json_output, format!("Created {name} ({id})"), json!({"created": id, "name": name}));
        }
        CircleAction::Invite { circle, email } => {
            client.invite_to_circle(&circle, &email).await.map_err(error)?;
            report(json_output, format!("Invited {email} to {circle}"), json!({"invited": email, "circle": circle}));
        }
        CircleAction::Accept { circle } => {
            client.answer_circle(&circle, true).await.map_err(error)?;
            report(json_output, format!("Joined {circle}"), json!({"accepted": circle}));
        }
        CircleAction::Decline { circle } => {
            client.answer_circle(&circle, false).await.map_err(error)?;
            report(json_output, format!("Declined {circle}"), json!({"declined": circle}));
        }
        CircleAction::Send { circle, text } => {
            let id = client.join_circle(&circle).await.map_err(error)?;
            client.send_to_circle(&id, &text).await.map_err(error)?;
            // Its PNG comes back behind the message: the server has taken it.
            client.settle().await.map_err(error)?;
            report(json_output, format!("Sent to {circle}"), json!({"sent": circle}));
        }
    }
    Ok(())
}

/// Reports a conversation's messages until it ends.
async fn relay_messages(
    mut chat: Conversation,
    lines: tokio::sync::mpsc::UnboundedSender<(String, serde_json::Value)>,
) {
    while let Some(event) = chat.next_event().await {
        if let ConversationEvent::Message { from, text, .. } = event {
            let object = json!({"message": text, "from": from});
            if lines.send((format!("{from}: {text}"), object)).is_err() {
                return;
            }
        }
    }
}

// One thread: tasks woken by a batch of replies all queue their frames before
// the writer task runs, so each write carries many (on a multi-threaded
// runtime the writer woke per frame). It doubled the relay rate at 10 in flight.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("msnp: {error}");
            ExitCode::FAILURE
        }
    }
}
