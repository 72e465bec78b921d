//! `msnpd serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Overrides;
use crate::server::Server;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// A TOML file of settings (see docs/configuration.md).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The well-known port clients connect to (it refers them to the
    /// Notification Server, as the original dispatch server did), host:port
    /// (port 0: any free port).
    #[arg(long)]
    ns_listen: Option<String>,
    /// The Notification Server's own listener, where referred clients sign in
    /// (default: the host of --ns-listen, port 1865 next to 1863, else any free port).
    #[arg(long)]
    notification_listen: Option<String>,
    /// Switchboard listener.
    #[arg(long)]
    sb_listen: Option<String>,
    /// HTTP listener (Passport).
    #[arg(long)]
    http_listen: Option<String>,
    /// HTTPS listener for the same services (certificate: --config tls_cert/tls_key,
    /// self-signed on first start when absent).
    #[arg(long)]
    https_listen: Option<String>,
    /// The host clients are told to use in XFR, RNG and PassportURLs.
    #[arg(long)]
    public_host: Option<String>,
    /// sqlite://FILE or postgres://… (default sqlite://msnpd.db).
    #[arg(long)]
    database: Option<String>,
    /// Log every protocol line in and out.
    #[arg(long)]
    trace_protocol: bool,
    /// Join the other nodes of the service over NATS (nats://host:port).
    #[arg(long)]
    bus: Option<String>,
    /// No sign-up page: accounts come from `msnpd user add`.
    #[arg(long)]
    no_registration: bool,
    /// Turn on the operator's dashboard (/admin): its password is the first
    /// line of this file (not an argument: others could read it in `ps`).
    #[arg(long)]
    admin_password_file: Option<String>,
}

pub fn run(args: ServeArgs) -> ExitCode {
    super::init_logging();
    let overrides = Overrides {
        ns_listen: args.ns_listen,
        notification_listen: args.notification_listen,
        sb_listen: args.sb_listen,
        http_listen: args.http_listen,
        https_listen: args.https_listen,
        public_host: args.public_host,
        database: args.database,
        trace_protocol: args.trace_protocol,
        bus: args.bus,
        registration: args.no_registration.then_some(false),
        admin_password_file: args.admin_password_file,
    };
    let Some((config, runtime)) = super::prepare(args.config.as_deref(), &overrides) else {
        return ExitCode::FAILURE;
    };
    let code = runtime.block_on(async move {
        match Server::start(config).await {
            Ok(server) => {
                server.run_until_signalled().await;
                ExitCode::SUCCESS
            }
            Err(error) => {
                tracing::error!(%error, "cannot start");
                ExitCode::FAILURE
            }
        }
    });
    // Dropping the runtime would wait for every thread, a stuck one included.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}
