//! Server configuration: defaults, then a TOML file (`--config`), then
//! `MSNPD_*` environment variables, then command-line flags.

use std::path::Path;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::core::CoreConfig;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The well-known port clients are set up with (1863; `host:port`, port 0
    /// picks a free one). It answers as the original dispatch server did: the
    /// first `USR` is referred with `XFR … NS` to the Notification Server.
    pub ns_listen: String,
    /// The Notification Server's own listener, where referred clients sign
    /// in (a client may also come here directly). Unset: the host of
    /// `ns_listen`, port 1865 when that is 1863, otherwise any free port.
    pub notification_listen: Option<String>,
    /// Switchboard listener.
    pub sb_listen: String,
    /// HTTP listener: Passport (Nexus, login2.srf, RST.srf).
    pub http_listen: String,
    /// HTTPS listener for the same services (off unless set).
    pub https_listen: Option<String>,
    /// PEM certificate chain and key for HTTPS; a self-signed pair is
    /// generated into these files on first start when they do not exist.
    pub tls_cert: String,
    pub tls_key: String,
    /// The host clients are told to use in XFR, RNG and PassportURLs; by default
    /// the listen host, or 127.0.0.1 when that is a wildcard.
    pub public_host: Option<String>,
    /// `sqlite://FILE` (default `sqlite://msnpd.db`) or `postgres://…`.
    pub database: String,
    /// How long a statement waits for a busy or unreachable database, in
    /// milliseconds, before the client is answered 500/501.
    pub database_wait_ms: u64,
    /// Connections in the database pool; unset: 8 for SQLite, 16 for PostgreSQL.
    pub database_connections: Option<u32>,
    /// Threads that run sessions; unset: one on a machine of one or two
    /// cores, else one per core (see `cli::runtime_layout`).
    pub worker_threads: Option<usize>,
    /// Lifetime of a Passport ticket, in seconds.
    pub ticket_lifetime_secs: u64,
    /// Lifetime of a switchboard cookie, in seconds.
    pub cookie_lifetime_secs: u64,
    /// Seconds clients are told to wait between PNGs (QNG).
    pub ping_interval_secs: u64,
    /// A Notification Server connection silent this long is closed.
    pub idle_timeout_secs: u64,
    /// A command must arrive whole within this time once it has begun (slow senders are cut off).
    pub command_timeout_secs: u64,
    /// A Notification Server connection (the well-known port's too) that has
    /// not signed in within this time is closed, whatever it sends meanwhile.
    pub ns_login_timeout_secs: u64,
    /// A switchboard connection that has not signed in within this time is closed.
    pub switchboard_login_timeout_secs: u64,
    /// A wrong answer to CHL gets 540 and the connection is closed.
    pub enforce_challenge: bool,
    /// Close a connection that leaves a CHL unanswered this long (0: never;
    /// some clients, msnp11-sdk among them, never answer).
    pub challenge_timeout_secs: u64,
    /// Largest payload of one command, in bytes.
    pub max_payload: usize,
    /// Largest switchboard message (MSG) payload, in bytes.
    pub max_message: usize,
    /// Most contacts on one list.
    pub max_list_entries: usize,
    /// Most contact groups.
    pub max_groups: usize,
    /// Most circles one account is in, those it is invited to counted.
    pub max_circles: usize,
    /// Most members of one circle, those invited counted.
    pub max_circle_members: usize,
    /// Most participants in one conversation.
    pub max_participants: usize,
    /// Most conversations one account may be in at once (714 beyond).
    pub max_conversations_per_user: usize,
    /// Most conversations this node holds at once (712 beyond).
    pub max_conversations: usize,
    /// Argon2id cost of new password hashes.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_lanes: u32,
    /// Commands a Notification Server connection may send per second, and in a burst (800 beyond).
    pub ns_command_rate: f64,
    pub ns_command_burst: f64,
    /// Switchboard messages an account may send per second, and in a burst (713 beyond).
    pub sb_message_rate: f64,
    pub sb_message_burst: f64,
    /// Rate-limit answers a connection may earn before it is closed.
    pub abuse_strikes: u32,
    /// Failed Passport logins allowed per account and per client address in a window.
    pub login_failure_window_secs: u64,
    pub login_failures_per_account: u32,
    pub login_failures_per_address: u32,
    /// Connections not signed in yet that one client address may hold (TCP
    /// to any port and HTTP gateway sessions alike); more are closed at once.
    pub max_pending_per_address: u32,
    /// Connections not signed in yet that this node holds in all.
    pub max_pending: u32,
    /// Most sessions signed in on this server at once, every endpoint of an
    /// account counted (920 beyond).
    pub max_sessions: usize,
    /// Most endpoints (MSNP16+ points of presence) one account may have signed
    /// in at once (714 beyond).
    pub max_endpoints: usize,
    /// Largest offline message (OIM), in bytes.
    pub max_offline_message: usize,
    /// Most offline messages kept for one recipient.
    pub max_offline_messages: usize,
    /// Most offline messages one sender may leave in one recipient's inbox,
    /// so that no sender can fill it for everyone else.
    pub max_offline_messages_per_sender: usize,
    /// Largest display picture the storage service keeps, in bytes.
    pub max_picture: usize,
    /// Largest HTTP request body (SOAP, RST, gateway), in bytes; 413 beyond.
    pub max_http_body: usize,
    /// A request body must arrive whole within this time once its headers
    /// have (408 beyond): a body trickled in byte by byte holds nothing long.
    pub http_body_timeout_secs: u64,
    /// HTTP requests handled at once, all listeners together; the next ones
    /// wait (their bodies unread) up to 5 s, then get 503. Bounds the memory
    /// bodies and their parsing can hold to about this many `max_http_body`s.
    pub max_http_requests: usize,
    /// A gateway session unused for this long is closed.
    pub gateway_idle_secs: u64,
    /// Most server output a gateway session holds between polls, in bytes.
    pub gateway_max_output: usize,
    /// Log every protocol line in and out (target `msnpd::wire`).
    pub trace_protocol: bool,
    /// The bus to the other nodes of the service, `nats://host:port`; unset,
    /// the node is alone (everything stays in the process).
    pub bus: Option<String>,
    /// The first part of every bus subject: services sharing a NATS server
    /// keep apart by it.
    pub bus_subject: String,
    /// How often a node tells the others it lives (milliseconds), and after
    /// how long without a word they take it for dead: its users then appear
    /// offline to everyone and may sign in again elsewhere.
    pub heartbeat_ms: u64,
    pub node_dead_after_ms: u64,
    /// Client addresses `/metrics` answers (`*`: everyone); others get 403.
    pub metrics_allow: Vec<String>,
    /// Web pages of other origins (`https://chat.example.org`; `*`: any)
    /// whose scripts may open the browser client's WebSockets. Pages of this
    /// service's own origin, and clients that send no `Origin`, always may.
    pub websocket_origins: Vec<String>,
    /// Addresses of reverse proxies in front of the HTTP listeners: a request
    /// from one of them counts as from the client its `X-Forwarded-For`
    /// names (per-address limits, the login guard, `metrics_allow`).
    pub trusted_proxies: Vec<String>,
    /// Anyone may create an account at `/account/signup`; off, accounts come
    /// from `msnpd user add` (`--no-registration`).
    pub registration: bool,
    /// A file whose first line is the operator's password for `/admin`
    /// (`--admin-password-file`); unset, the dashboard is off.
    pub admin_password_file: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            ns_listen: "0.0.0.0:1863".into(),
            notification_listen: None,
            sb_listen: "0.0.0.0:1864".into(),
            http_listen: "0.0.0.0:8080".into(),
            https_listen: None,
            tls_cert: "msnpd-cert.pem".into(),
            tls_key: "msnpd-key.pem".into(),
            public_host: None,
            database: "sqlite://msnpd.db".into(),
            database_wait_ms: 5000,
            database_connections: None,
            worker_threads: None,
            ticket_lifetime_secs: 24 * 3600,
            cookie_lifetime_secs: 120,
            ping_interval_secs: 60,
            idle_timeout_secs: 300,
            ns_login_timeout_secs: 60,
            switchboard_login_timeout_secs: 60,
            command_timeout_secs: 30,
            enforce_challenge: true,
            challenge_timeout_secs: 0,
            max_payload: msnp::codec::DEFAULT_MAX_PAYLOAD,
            max_message: 1664,
            max_list_entries: 1000,
            max_groups: 30,
            max_circles: 30,
            max_circle_members: 100,
            max_participants: 20,
            max_conversations_per_user: 64,
            max_conversations: 100_000,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_lanes: 1,
            ns_command_rate: 20.0,
            ns_command_burst: 60.0,
            sb_message_rate: 10.0,
            sb_message_burst: 30.0,
            abuse_strikes: 20,
            login_failure_window_secs: 300,
            login_failures_per_account: 10,
            login_failures_per_address: 50,
            max_pending_per_address: 128,
            max_pending: 10_000,
            max_sessions: 100_000,
            max_endpoints: 8,
            max_offline_message: 16 * 1024,
            max_offline_messages: 100,
            max_offline_messages_per_sender: 20,
            max_picture: 256 * 1024,
            // Room for a base64 display picture of `max_picture` in its SOAP envelope.
            max_http_body: 1024 * 1024,
            max_http_requests: 64,
            http_body_timeout_secs: 30,
            gateway_idle_secs: 60,
            gateway_max_output: 256 * 1024,
            trace_protocol: false,
            bus: None,
            bus_subject: "msnpd".into(),
            heartbeat_ms: 1000,
            node_dead_after_ms: 3000,
            metrics_allow: vec!["127.0.0.1".into(), "::1".into()],
            websocket_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            registration: true,
            admin_password_file: None,
        }
    }
}

/// Values given on the command line; only those set override the rest.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ns_listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sb_listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub https_listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub trace_protocol: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password_file: Option<String>,
}

impl Config {
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        // Only variables naming a setting count: an unrelated MSNPD_* variable
        // in the environment must not stop the server (a file's typo still does).
        let known: Vec<String> = match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let env = Env::prefixed("MSNPD_").filter(move |key| known.iter().any(|k| key.as_str().eq_ignore_ascii_case(k)));
        figment.merge(env).merge(Serialized::defaults(overrides)).extract().map_err(Box::new)
    }

    /// Where the Notification Server listens: `notification_listen`, or by
    /// default the host of `ns_listen` on port 1865 when that is on the
    /// well-known 1863, else on any free port (tests, several servers side by side).
    pub fn notification_listen(&self) -> String {
        if let Some(address) = &self.notification_listen {
            return address.clone();
        }
        let (host, port) = self.ns_listen.rsplit_once(':').unwrap_or((self.ns_listen.as_str(), ""));
        let port = if port == "1863" { 1865 } else { 0 };
        format!("{host}:{port}")
    }

    /// How the store is opened.
    pub fn store_options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            wait: Duration::from_millis(self.database_wait_ms),
            connections: self.database_connections,
        }
    }

    /// The core's settings, given the addresses clients must use.
    pub fn core(&self, notification_address: String, switchboard_address: String) -> CoreConfig {
        CoreConfig {
            notification_address,
            ticket_lifetime: Duration::from_secs(self.ticket_lifetime_secs),
            cookie_lifetime: Duration::from_secs(self.cookie_lifetime_secs),
            switchboard_address,
            argon2_params: (self.argon2_memory_kib, self.argon2_iterations, self.argon2_lanes),
            max_list_entries: self.max_list_entries,
            max_groups: self.max_groups,
            max_circles: self.max_circles,
            max_circle_members: self.max_circle_members,
            max_participants: self.max_participants,
            max_conversations_per_user: self.max_conversations_per_user,
            max_conversations: self.max_conversations,
            max_offline_message: self.max_offline_message,
            max_offline_messages: self.max_offline_messages,
            max_offline_messages_per_sender: self.max_offline_messages_per_sender,
            sb_message_rate: (self.sb_message_rate, self.sb_message_burst),
            max_pending_per_address: self.max_pending_per_address,
            max_pending: self.max_pending,
            max_sessions: self.max_sessions,
            max_endpoints: self.max_endpoints,
            login_guard: (
                Duration::from_secs(self.login_failure_window_secs),
                self.login_failures_per_account,
                self.login_failures_per_address,
            ),
            heartbeat: Duration::from_millis(self.heartbeat_ms.max(50)),
            node_dead_after: Duration::from_millis(self.node_dead_after_ms.max(self.heartbeat_ms.max(50) * 2)),
            ..CoreConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notification_server_sits_beside_the_well_known_port() {
        let with = |ns: &str, notification: Option<&str>| {
            let config =
                Config { ns_listen: ns.into(), notification_listen: notification.map(Into::into), ..Config::default() };
            config.notification_listen()
        };
        assert_eq!(with("0.0.0.0:1863", None), "0.0.0.0:1865");
        assert_eq!(with("127.0.0.1:0", None), "127.0.0.1:0");
        assert_eq!(with("127.0.0.1:40000", None), "127.0.0.1:0");
        assert_eq!(with("[::1]:1863", None), "[::1]:1865");
        assert_eq!(with("0.0.0.0:1863", Some("10.0.0.1:7000")), "10.0.0.1:7000");
    }

    #[test]
    fn flags_override_file_and_defaults() {
        let dir = std::env::temp_dir().join(format!("msnpd-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("msnpd.toml");
        std::fs::write(&file, "ns_listen = \"127.0.0.1:0\"\nsb_listen = \"127.0.0.1:5\"\nidle_timeout_secs = 9\n")
            .expect("write");
        let overrides = Overrides { sb_listen: Some("127.0.0.1:7".into()), ..Overrides::default() };
        let config = Config::load(Some(&file), &overrides).expect("loads");
        assert_eq!(config.ns_listen, "127.0.0.1:0");
        assert_eq!(config.sb_listen, "127.0.0.1:7");
        assert_eq!(config.idle_timeout_secs, 9);
        assert_eq!(config.http_listen, "0.0.0.0:8080");
        std::fs::write(&file, "bogus = 1\n").expect("write");
        assert!(Config::load(Some(&file), &Overrides::default()).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
