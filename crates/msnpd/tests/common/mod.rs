//! Test harness: a real server on loopback ports picked by the OS, a SQLite
//! database in a temporary directory, and a line-exact MSNP peer.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use msnp::Frame;
use msnp::codec::{Decoder, Direction, Limits};
use msnpd::config::Config;
use msnpd::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub mod nodes;
mod passport;
pub mod web;

#[allow(unused_imports)]
pub use passport::*;

/// How long any single expected answer may take.
pub const PATIENCE: Duration = Duration::from_secs(5);

pub struct TestServer {
    pub server: Option<Server>,
    pub dir: tempfile::TempDir,
    pub config: Config,
    /// The PostgreSQL database made for this server, dropped with it.
    postgres: Option<(String, String)>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop cannot await: a thread of its own runs the statement.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut connection)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Settings for tests: loopback, any free port, cheap password hashing.
pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        ns_listen: "127.0.0.1:0".into(),
        sb_listen: "127.0.0.1:0".into(),
        http_listen: "127.0.0.1:0".into(),
        database: format!("sqlite://{}", dir.join("msnpd.db").display()),
        tls_cert: dir.join("cert.pem").display().to_string(),
        tls_key: dir.join("key.pem").display().to_string(),
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        // Transcripts fire commands faster than any person; rate-limit tests set their own.
        ns_command_burst: 10_000.0,
        sb_message_burst: 10_000.0,
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(dir.path());
        let postgres = postgres_database().await;
        if let Some((url, _, _)) = &postgres {
            config.database = url.clone();
        }
        adjust(&mut config);
        let server = Server::start(config.clone()).await.expect("server starts");
        TestServer { server: Some(server), dir, config, postgres: postgres.map(|(_, admin, name)| (admin, name)) }
    }

    /// Stops the server and starts a new one on the same database.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        self.server = Some(Server::start(self.config.clone()).await.expect("server restarts"));
    }

    /// The admin URL and the database name when this server runs on PostgreSQL.
    pub fn postgres_admin(&self) -> Option<(&str, &str)> {
        self.postgres.as_ref().map(|(admin, name)| (admin.as_str(), name.as_str()))
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("running")
    }

    /// The well-known port (`ns_listen`): it refers clients to the Notification Server.
    pub fn dispatch(&self) -> SocketAddr {
        self.server().ns_addr
    }

    /// The Notification Server itself, where transcripts sign in directly.
    pub fn ns(&self) -> SocketAddr {
        self.server().notification_addr
    }

    pub fn sb(&self) -> SocketAddr {
        self.server().sb_addr
    }

    pub fn http(&self) -> SocketAddr {
        self.server().http_addr
    }

    pub async fn user(&self, email: &str, password: &str, nick: &str) {
        self.server().context.core.create_account(email, password, Some(nick)).await.expect("account created");
    }

    /// An account that also keeps the MSNP2-7 MD5 secret.
    pub async fn user_md5(&self, email: &str, password: &str, nick: &str) {
        let core = &self.server().context.core;
        let row = core.create_account(email, password, Some(nick)).await.expect("account created");
        core.set_legacy_md5(row.id, Some(password)).await.expect("MD5 secret stored");
    }

    /// Passport 1.4: the Nexus, then login2.srf; returns the `from-PP` ticket.
    pub async fn ticket(&self, email: &str, password: &str) -> String {
        let nexus = http_get(self.http(), "/rdr/pprdr.asp", &[]).await;
        assert_eq!(nexus.status, 200);
        let login = nexus.header("PassportURLs").expect("PassportURLs").replace("DALogin=", "");
        let path = login
            .split_once("//")
            .map(|(_, rest)| rest)
            .and_then(|rest| rest.split_once('/'))
            .map(|(_, p)| format!("/{p}"))
            .expect("login path");
        let authorization = format!(
            "Passport1.4 OrgVerb=GET,OrgURL=http%3A%2F%2Fmessenger%2Emsn%2Ecom,sign-in={},pwd={},lc=1033,id=507",
            percent(email),
            percent(password)
        );
        let response = http_get(self.http(), &path, &[("Authorization", &authorization)]).await;
        assert_eq!(response.status, 200, "login2.srf refused {email}");
        let info = response.header("Authentication-Info").expect("Authentication-Info");
        info.split("from-PP='").nth(1).and_then(|t| t.split('\'').next()).expect("from-PP").to_owned()
    }
}

/// With `MSNP_TEST_POSTGRES` set (a URL of a PostgreSQL server whose user may
/// create databases), each test server gets a database of its own there
/// instead of a SQLite file. Returns its URL, the admin URL and its name.
pub async fn postgres_database() -> Option<(String, String, String)> {
    let admin = std::env::var("MSNP_TEST_POSTGRES").ok().filter(|url| !url.is_empty())?;
    sqlx::any::install_default_drivers();
    let name = format!("msnpd_test_{}", uuid::Uuid::new_v4().simple());
    let mut connection =
        <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.expect("PostgreSQL reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut connection)
        .await
        .expect("test database created");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
    Some((format!("{base}/{name}"), admin.clone(), name))
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"@.-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub raw_head: String,
}

impl HttpResponse {
    /// The header with exactly this name, spelled as given: some clients match
    /// names byte for byte (`PassportURLs`, `X-MSN-Messenger`).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A bare HTTP/1.1 exchange, so tests see exactly what a client would.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    http_request_from(None, addr, method, path, headers, body).await
}

/// A TCP connection to `addr` from `source` (a loopback address of its own:
/// a client the server counts apart from the others).
pub async fn connect_from(source: std::net::IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(source, 0)).expect("bind the source address");
    socket.connect(addr).await.expect("connect")
}

/// [`http_request`], from the address `source` if one is given.
pub async fn http_request_from(
    source: Option<std::net::IpAddr>,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let mut stream = match source {
        Some(source) => connect_from(source, addr).await,
        None => TcpStream::connect(addr).await.expect("http connect"),
    };
    let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    // The listener's own address, unless the test names the host it asked for.
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("http write");
    stream.write_all(body).await.expect("http write body");
    let mut raw = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut raw))
        .await
        .expect("http answer in time")
        .expect("http read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("http head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers = lines.filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let mut body = raw[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    HttpResponse { status, headers, body, raw_head: head }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

pub async fn http_get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    http_request(addr, "GET", path, headers, b"").await
}

/// An MSNP peer that asserts exact lines.
pub struct Peer {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
    pub name: &'static str,
}

impl Peer {
    pub async fn connect(addr: SocketAddr, name: &'static str) -> Peer {
        Peer {
            stream: TcpStream::connect(addr).await.expect("connect"),
            buf: BytesMut::new(),
            decoder: Decoder::new(Direction::ServerToClient, Limits::default()),
            name,
        }
    }

    pub async fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
    }

    /// Sends without insisting: `false` once the server has closed the connection.
    pub async fn try_send_raw(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// `COMMAND params len\r\npayload`.
    pub async fn send_payload(&mut self, line: &str, payload: &[u8]) {
        let mut bytes = format!("{line} {}\r\n", payload.len()).into_bytes();
        bytes.extend_from_slice(payload);
        self.send_raw(&bytes).await;
    }

    /// Reads the next `count` frames from the socket's reading half while
    /// the writing half is returned for another task: for a test that must
    /// read and write at once.
    pub fn split(self, count: usize) -> (tokio::task::JoinHandle<Vec<Frame>>, tokio::net::tcp::OwnedWriteHalf) {
        let Peer { stream, mut buf, mut decoder, name } = self;
        let (mut read, write) = stream.into_split();
        let frames = tokio::spawn(async move {
            let mut frames = Vec::with_capacity(count);
            while frames.len() < count {
                match decoder.decode(&mut buf).expect("server sent a well-formed frame") {
                    Some(frame) => frames.push(frame),
                    None => {
                        let read = tokio::time::timeout(Duration::from_secs(5), read.read_buf(&mut buf)).await;
                        assert!(matches!(read, Ok(Ok(n)) if n > 0), "{name}: closed or silent");
                    }
                }
            }
            frames
        });
        (frames, write)
    }

    pub fn set_dialect(&mut self, dialect: msnp::Dialect) {
        self.decoder.set_dialect(dialect);
    }

    /// The next frame, or `None` when the server closed the connection.
    pub async fn try_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buf).expect("server sent a well-formed frame") {
                return Some(frame);
            }
            let read = tokio::time::timeout(PATIENCE, self.stream.read_buf(&mut self.buf))
                .await
                .unwrap_or_else(|_| panic!("{}: no answer within {PATIENCE:?}", self.name))
                .expect("read");
            if read == 0 {
                return None;
            }
        }
    }

    /// The next frame if one comes (`None` on close, error or silence): for
    /// reading what is left on a connection whose server was killed.
    pub async fn try_frame_quietly(&mut self) -> Option<Frame> {
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(frame)) => return Some(frame),
                Ok(None) => {}
                Err(_) => return None,
            }
            match tokio::time::timeout(std::time::Duration::from_millis(500), self.stream.read_buf(&mut self.buf)).await
            {
                Ok(Ok(n)) if n > 0 => {}
                _ => return None,
            }
        }
    }

    pub async fn frame(&mut self) -> Frame {
        match self.try_frame().await {
            Some(frame) => frame,
            None => panic!("{}: connection closed", self.name),
        }
    }

    /// The next command line as sent (payload length included, payload not).
    pub async fn line(&mut self) -> String {
        self.frame().await.to_string()
    }

    pub async fn expect(&mut self, expected: &str) {
        let got = self.line().await;
        assert_eq!(got, expected, "{}", self.name);
    }

    /// The next frame is `expected` (its line) carrying exactly `payload`.
    pub async fn expect_payload(&mut self, expected: &str, payload: &str) {
        let frame = self.frame().await;
        assert_eq!(frame.to_string(), expected, "{}", self.name);
        assert_eq!(String::from_utf8_lossy(frame.payload.as_deref().unwrap_or_default()), payload, "{}", self.name);
    }

    /// Nothing arrives for a while.
    pub async fn expect_silence(&mut self) {
        if let Some(frame) = self.decoder.decode(&mut self.buf).expect("well-formed") {
            panic!("{}: unexpected {frame}", self.name);
        }
        let mut byte = [0u8; 1];
        if let Ok(read) = tokio::time::timeout(Duration::from_millis(300), self.stream.peek(&mut byte)).await {
            let read = read.expect("peek");
            if read > 0 {
                let frame = self.frame().await;
                panic!("{}: unexpected {frame}", self.name);
            }
        }
    }

    /// The server closes the connection (after any frames it still sends, which must be none).
    pub async fn expect_closed(&mut self) {
        if let Some(frame) = self.try_frame().await {
            panic!("{}: expected the connection to close, got {frame}", self.name);
        }
    }
}

/// A peer signed in to the Notification Server through Passport 1.4, its
/// profile message read. `dialect` is e.g. "MSNP8".
pub async fn sign_in(server: &TestServer, dialect: &str, email: &str, password: &str, name: &'static str) -> Peer {
    sign_in_as(server, dialect, ("MSNMSGR", "7.0.0777"), email, password, name).await
}

/// [`sign_in`] with the client name and version `CVR` gives.
pub async fn sign_in_as(
    server: &TestServer,
    dialect: &str,
    (client, version_text): (&str, &str),
    email: &str,
    password: &str,
    name: &'static str,
) -> Peer {
    let mut peer = Peer::connect(server.ns(), name).await;
    let version = msnp::Dialect::from_token(dialect).expect("dialect");
    peer.set_dialect(version);
    peer.send(&format!("VER 1 {dialect} CVR0")).await;
    peer.expect(&format!("VER 1 {dialect}")).await;
    peer.send(&format!("CVR 2 0x0409 winnt 5.1 i386 {client} {version_text} msmsgs {email}")).await;
    let v = version_text;
    peer.expect(&format!("CVR 2 {v} {v} {v} http://{0}/ http://{0}/", server.http())).await;
    peer.send(&format!("USR 3 TWN I {email}")).await;
    if version.gcf_form() == Some(msnp::dialect::GcfForm::PushedAtLogin) {
        assert_eq!(peer.frame().await.command, "GCF");
    }
    let policy = peer.line().await;
    assert!(policy.starts_with("USR 3 TWN S lc=1033,id=507,"), "{policy}");
    let ticket = server.ticket(email, password).await;
    peer.send(&format!("USR 4 TWN S {ticket}")).await;
    let ok = peer.line().await;
    assert!(ok.starts_with(&format!("USR 4 OK {email} ")), "{ok}");
    if version.sends_sbs() {
        peer.expect("SBS 0 null").await;
    }
    let profile = peer.frame().await;
    assert_eq!(profile.command, "MSG");
    assert_eq!(profile.params, ["Hotmail", "Hotmail"]);
    peer
}

/// A peer signed in with the MSNP2-7 MD5 scheme (`INF`, `USR MD5 I/S`), its
/// profile message read. `dialect` is e.g. "MSNP2".
pub async fn sign_in_md5(server: &TestServer, dialect: &str, email: &str, password: &str, name: &'static str) -> Peer {
    let mut peer = Peer::connect(server.ns(), name).await;
    let version = msnp::Dialect::from_token(dialect).expect("dialect");
    peer.set_dialect(version);
    peer.send(&format!("VER 1 {dialect} CVR0")).await;
    peer.expect(&format!("VER 1 {dialect}")).await;
    peer.send(&format!("CVR 2 0x0409 win 4.10 i386 MSMSGS 4.7.3001 MSMSGS {email}")).await;
    peer.expect(&format!("CVR 2 4.7.3001 4.7.3001 4.7.3001 http://{0}/ http://{0}/", server.http())).await;
    peer.send("INF 3").await;
    peer.expect("INF 3 MD5").await;
    peer.send(&format!("USR 4 MD5 I {email}")).await;
    let salt_line = peer.line().await;
    assert!(salt_line.starts_with("USR 4 MD5 S "), "{salt_line}");
    let salt = salt_line.rsplit(' ').next().expect("salt");
    peer.send(&format!("USR 5 MD5 S {}", msnp::auth::md5_login_response(salt, password))).await;
    let ok = peer.line().await;
    assert!(ok.starts_with(&format!("USR 5 OK {email} ")), "{ok}");
    let profile = peer.frame().await;
    assert_eq!(profile.params, ["Hotmail", "Hotmail"]);
    peer
}
