//! Starting the service: bind the listeners, open the store, run the fronts
//! until asked to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::Config;
use crate::core::Core;
use crate::store::{Store, StoreError};

/// How long a shutdown waits for online sessions to take their `OUT SSD`.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The most a whole shutdown may take: a stuck task (a bug) must not keep a
/// signalled server running.
pub const SHUTDOWN_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// What every front shares.
pub struct Context {
    pub core: Arc<Core>,
    pub config: Config,
    /// The host clients are told to connect to.
    pub public_host: String,
    /// `host:port` of the well-known (dispatch) port as clients reach it: the
    /// "current server" its `XFR … NS` names.
    pub dispatch_address: String,
    /// `http://host:port` of the HTTP listener as clients reach it.
    pub http_base: String,
    /// `https://host:port` of the HTTPS listener, when there is one.
    pub https_base: Option<String>,
    /// Sessions of the HTTP polling gateway.
    pub gateway: crate::http::gateway::Gateway,
    /// Set once a shutdown began: logins are refused with 604.
    pub stopping: std::sync::atomic::AtomicBool,
    /// Places for HTTP requests in progress (`max_http_requests`), shared by
    /// the HTTP and HTTPS listeners.
    pub http_requests: Arc<tokio::sync::Semaphore>,
    /// Accounts one address may create on the web: 3 at once, then one per 20 minutes.
    pub signups: crate::core::limits::PerAddress,
    /// The lock-key challenge each sender of offline messages must answer.
    pub oim_challenges: std::sync::Mutex<std::collections::HashMap<i64, String>>,
}

/// The ports clients are told to reach the other services on.
struct Ports {
    dispatch: u16,
    ns: u16,
    sb: u16,
    http: u16,
    https: Option<u16>,
}

/// How this node reaches the others.
struct Cluster {
    node: crate::core::cluster::NodeId,
    bus: Arc<dyn crate::core::cluster::Bus>,
    incoming: Option<tokio::sync::mpsc::Receiver<crate::core::cluster::Incoming>>,
}

impl Cluster {
    async fn join(config: &Config) -> Result<Cluster, StartError> {
        let node = rand::random();
        match &config.bus {
            None => Ok(Cluster { node, bus: Arc::new(crate::core::cluster::LocalBus), incoming: None }),
            Some(url) => {
                let (bus, incoming) =
                    crate::core::cluster::nats::NatsBus::connect(url, &config.bus_subject, node).await?;
                Ok(Cluster { node, bus: Arc::new(bus), incoming: Some(incoming) })
            }
        }
    }
}

impl Context {
    async fn assemble(
        config: Config,
        store: Store,
        public_host: String,
        ports: Ports,
        cluster: Cluster,
    ) -> Result<Arc<Context>, StartError> {
        let signer = crate::core::token_signer(&store).await?;
        // Read on every dashboard request; here only to fail at start when unreadable.
        check_admin_password(&config)?;
        let core = Core::new(
            config.core(format!("{public_host}:{}", ports.ns), format!("{public_host}:{}", ports.sb)),
            store,
            signer,
            cluster.node,
            cluster.bus,
        );
        if let Some(incoming) = cluster.incoming {
            tokio::spawn(core.clone().serve_bus(incoming));
        }
        Ok(Arc::new(Context {
            core,
            dispatch_address: format!("{public_host}:{}", ports.dispatch),
            http_base: format!("http://{public_host}:{}", ports.http),
            https_base: ports.https.map(|port| format!("https://{public_host}:{port}")),
            public_host,
            http_requests: Arc::new(tokio::sync::Semaphore::new(config.max_http_requests.max(1))),
            config,
            gateway: Default::default(),
            oim_challenges: Default::default(),
            signups: crate::core::limits::PerAddress::new(1.0 / 1200.0, 3.0),
            stopping: Default::default(),
        }))
    }

    /// The service without listeners: sessions run over whatever transport
    /// the caller hands to [`crate::ns::serve_transport`] (the session fuzz
    /// target does this in memory). Addresses given to clients come from the
    /// configured listen addresses.
    pub async fn detached(config: Config) -> Result<Arc<Context>, StartError> {
        let store = Store::open(&config.database, config.store_options()).await?;
        let port = |address: &str, default| address.parse::<SocketAddr>().map_or(default, |addr| addr.port());
        let ports = Ports {
            dispatch: port(&config.ns_listen, 1863),
            ns: port(&config.notification_listen(), 1865),
            sb: port(&config.sb_listen, 1864),
            http: port(&config.http_listen, 80),
            https: None,
        };
        let public_host = config.public_host.clone().unwrap_or_else(|| "127.0.0.1".to_owned());
        let cluster = Cluster::join(&config).await?;
        Context::assemble(config, store, public_host, ports, cluster).await
    }
}

/// Shortest operator password msnpd does not warn about: guesses are
/// counted per address, so many addresses together guess more.
const ADMIN_PASSWORD_WARN_BELOW: usize = 16;

/// The first line of `admin_password_file` is the operator password (an
/// empty one turns nothing on): readable, and not short.
fn check_admin_password(config: &Config) -> Result<(), StartError> {
    let Some(path) = &config.admin_password_file else { return Ok(()) };
    let text =
        std::fs::read_to_string(path).map_err(|source| StartError::AdminPassword { path: path.clone(), source })?;
    let length = text.lines().next().map_or(0, |line| line.chars().count());
    if (1..ADMIN_PASSWORD_WARN_BELOW).contains(&length) {
        tracing::warn!(%path, length, "the operator password is short: use {ADMIN_PASSWORD_WARN_BELOW} characters or more");
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read the operator's password from {path}: {source}")]
    AdminPassword { path: String, source: std::io::Error },
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("HTTPS: {0}")]
    Tls(#[from] crate::http::tls::TlsError),
    #[error("cannot join the other nodes: {0}")]
    Bus(#[from] crate::core::cluster::BusError),
}

/// A running server.
pub struct Server {
    /// The well-known port: it refers clients to `notification_addr`.
    pub ns_addr: SocketAddr,
    /// Where Notification Server sessions sign in and live.
    pub notification_addr: SocketAddr,
    pub sb_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub https_addr: Option<SocketAddr>,
    pub context: Arc<Context>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// How many connections the kernel may hold for each listener before it
/// accepts them (clamped to `net.core.somaxconn`). Tokio's default of 1,024
/// drops SYNs when a node's users all sign in again at once, and each drop
/// costs the client a one-second retransmission or more.
const LISTEN_BACKLOG: u32 = 8192;

async fn bind(address: &str) -> Result<TcpListener, StartError> {
    let failed = |source| StartError::Bind { address: address.to_owned(), source };
    let mut last = None;
    for candidate in tokio::net::lookup_host(address).await.map_err(failed)? {
        let socket = if candidate.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() };
        let listener = socket.and_then(|socket| {
            socket.set_reuseaddr(true)?;
            socket.bind(candidate)?;
            socket.listen(LISTEN_BACKLOG)
        });
        match listener {
            Ok(listener) => return Ok(listener),
            Err(error) => last = Some(error),
        }
    }
    Err(failed(
        last.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to listen on")),
    ))
}

fn default_public_host(listen: &SocketAddr) -> String {
    if listen.ip().is_unspecified() { "127.0.0.1".into() } else { listen.ip().to_string() }
}

impl Server {
    pub async fn start(mut config: Config) -> Result<Server, StartError> {
        // Logged after the listening line, which stays the first.
        let lowered = crate::files::raise_open_file_limit()
            .map(crate::files::session_room)
            .filter(|room| *room < config.max_sessions);
        if let Some(room) = lowered {
            config.max_sessions = room;
        }
        let dispatch = bind(&config.ns_listen).await?;
        let notification = bind(&config.notification_listen()).await?;
        let sb = bind(&config.sb_listen).await?;
        let http = bind(&config.http_listen).await?;
        let https = match &config.https_listen {
            Some(address) => Some(bind(address).await?),
            None => None,
        };
        let (ns_addr, notification_addr) = (local(&dispatch)?, local(&notification)?);
        let (sb_addr, http_addr) = (local(&sb)?, local(&http)?);
        let public_host = config.public_host.clone().unwrap_or_else(|| default_public_host(&ns_addr));
        let tls = match &https {
            Some(_) => {
                let (cert, key) = (std::path::Path::new(&config.tls_cert), std::path::Path::new(&config.tls_key));
                if crate::http::tls::ensure_self_signed(cert, key, &public_host)? {
                    tracing::warn!(cert = %cert.display(), "generated a self-signed HTTPS certificate (for development)");
                }
                Some(crate::http::tls::acceptor(cert, key)?)
            }
            None => None,
        };
        let https_addr = match &https {
            Some(listener) => Some(local(listener)?),
            None => None,
        };
        let store = Store::open(&config.database, config.store_options()).await?;
        let ports = Ports {
            dispatch: ns_addr.port(),
            ns: notification_addr.port(),
            sb: sb_addr.port(),
            http: http_addr.port(),
            https: https_addr.map(|addr| addr.port()),
        };
        let cluster = Cluster::join(&config).await?;
        let context = Context::assemble(config, store, public_host, ports, cluster).await?;
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(crate::ns::serve(dispatch, context.clone(), stopped.clone(), crate::ns::Role::Dispatch));
        tasks.spawn(crate::ns::serve(notification, context.clone(), stopped.clone(), crate::ns::Role::Notification));
        tasks.spawn(crate::sb::serve(sb, context.clone(), stopped.clone()));
        tasks.spawn(crate::http::gateway::sweep(context.clone(), stopped.clone()));
        tasks.spawn(sample_metrics(context.clone(), stopped.clone()));
        tasks.spawn(return_memory(context.clone(), stopped.clone()));
        tasks.spawn(context.core.clone().follow_credential_changes(stopped.clone()));
        if let (Some(listener), Some(tls)) = (https, tls) {
            tasks.spawn(crate::http::serve(listener, context.clone(), stopped.clone(), Some(tls)));
        }
        tasks.spawn(crate::http::serve(http, context.clone(), stopped, None));
        let https_shown = https_addr.map_or_else(|| "off".to_owned(), |addr| addr.to_string());
        tracing::info!(ns = %ns_addr, notification = %notification_addr, sb = %sb_addr, http = %http_addr, https = %https_shown, public_host = %context.public_host, "msnpd listening");
        if let Some(room) = lowered {
            tracing::info!(
                max_sessions = room,
                "fewer sessions than max_sessions: the process may not open more files"
            );
        }
        Ok(Server { ns_addr, notification_addr, sb_addr, http_addr, https_addr, context, stop, tasks })
    }

    /// Stops accepting, ends the listeners and closes the store.
    /// Stops gracefully: listeners close, new logins get 604, everyone online
    /// gets `OUT SSD`, and the store closes once they are gone (or after
    /// `SHUTDOWN_GRACE`, whichever is first).
    pub async fn shutdown(mut self) {
        self.context.stopping.store(true, std::sync::atomic::Ordering::Release);
        let _ = self.stop.send(true);
        self.context.core.announce_leaving();
        self.context.core.hub.notify_everyone(crate::core::hub::Notice::ServerShutdown);
        while self.tasks.join_next().await.is_some() {}
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        while self.context.core.hub.online_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.context.core.store.close().await;
    }

    /// Runs until SIGINT or SIGTERM. SIGUSR1 drains the node: dispatch and
    /// `XFR … SB` send no one new here, on any node; sessions already here stay.
    pub async fn run_until_signalled(self) {
        wait_for_signal(&self.context.core).await;
        tracing::info!("shutting down");
        // A thread outside the runtime: it fires even if every worker is stuck.
        std::thread::spawn(|| {
            std::thread::sleep(SHUTDOWN_LIMIT);
            tracing::error!("shutdown did not finish within {SHUTDOWN_LIMIT:?}; exiting anyway");
            std::process::exit(1);
        });
        self.shutdown().await;
    }
}

fn local(listener: &TcpListener) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|source| StartError::Bind { address: "listener".into(), source })
}

async fn wait_for_signal(core: &Core) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut drain)) = (signal(SignalKind::terminate()), signal(SignalKind::user_defined1())) {
            loop {
                tokio::select! {
                    _ = term.recv() => return,
                    _ = tokio::signal::ctrl_c() => return,
                    _ = drain.recv() => {
                        core.draining.store(true, std::sync::atomic::Ordering::Relaxed);
                        tracing::info!(sessions = core.hub.session_count(), "draining: no new sessions or conversations are sent here");
                    }
                }
            }
        }
    }
    let _ = core;
    let _ = tokio::signal::ctrl_c().await;
}

/// Accepts connections until stopped; `handle` admits each (or refuses it:
/// `None`) and gives the session to run as a task of its own.
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    mut stopped: watch::Receiver<bool>,
    name: &'static str,
    handle: F,
) where
    F: Fn(tokio::net::TcpStream, SocketAddr) -> Option<Fut>,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if let Some(session) = handle(stream, peer) {
                        tokio::spawn(session);
                    }
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(%error, listener = name, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            _ = until_stopped(&mut stopped) => break,
        }
    }
}

/// Counts a new connection from `peer` among those not signed in, or `None`
/// (and a log line) when its address or the node already holds as many as
/// `max_pending_per_address` / `max_pending` allow: the caller closes it.
pub fn admit(ctx: &Context, peer: SocketAddr, front: &str) -> Option<crate::core::limits::Pending> {
    let pending = ctx.core.admission.admit(peer.ip());
    if pending.is_none() {
        let (mine, total) = ctx.core.admission.counts(peer.ip());
        tracing::info!(%peer, front, mine, total, "connection refused: too many not signed in");
    }
    pending
}

/// A connection another node of this service passes on (`PXY 0 token`, its
/// first command): from now on counted under the address of the client it
/// names, as that node counted it, so that one stranger there cannot use up
/// what this node allows the node's address. `false` when the token is not
/// one of the service's (the caller answers as to an unknown command) or
/// the client's address has no room left (the caller closes).
pub fn take_passed_on(ctx: &Context, conn: &mut crate::conn::Connection, frame: &msnp::Frame) -> PassedOn {
    let Some(client) = frame.params.get(1).and_then(|token| ctx.core.open_pass_on_token(token)) else {
        return PassedOn::NotOurs;
    };
    let Some(pending) = admit(ctx, std::net::SocketAddr::new(client, 0), "passed on") else {
        return PassedOn::Refused;
    };
    conn.passed_on(client, pending);
    PassedOn::Taken
}

/// What [`take_passed_on`] made of a `PXY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassedOn {
    Taken,
    NotOurs,
    Refused,
}

/// The line a node starts a connection it passes on to another with.
pub fn pass_on_line(ctx: &Context, client: std::net::IpAddr) -> String {
    format!("PXY 0 {}\r\n", ctx.core.pass_on_token(client))
}

/// Samples the figures for the dashboard's last hour until the server stops.
async fn sample_metrics(ctx: Arc<Context>, mut stopped: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(crate::metrics::SAMPLE_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => ctx.core.metrics.sample(ctx.core.hub.session_count()),
            _ = until_stopped(&mut stopped) => break,
        }
    }
}

/// Hands freed memory back to the system once a burst of sessions is over.
async fn return_memory(ctx: Arc<Context>, mut stopped: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(TRIM_CHECK_EVERY);
    let mut trimmer = crate::memory::Trimmer::default();
    loop {
        tokio::select! {
            // The other nodes' accounts count too: their sign-outs free this
            // node's memory of them after its own sessions have closed.
            _ = every.tick() => if trimmer.observe(ctx.core.hub.session_count() + ctx.core.directory.account_count()) {
                // Maps first (they keep the capacity of the peak), then a
                // walk over the whole heap, off the session threads.
                ctx.core.hub.shrink();
                ctx.core.switchboards.shrink();
                ctx.core.directory.shrink();
                let _ = tokio::task::spawn_blocking(crate::memory::return_free_pages).await;
            },
            _ = until_stopped(&mut stopped) => break,
        }
    }
}

/// How often the session count is looked at for [`return_memory`].
const TRIM_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Resolves once the stop signal is raised (or its sender is gone).
pub async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await.map(|_| ());
}
