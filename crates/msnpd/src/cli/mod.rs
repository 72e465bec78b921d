//! The `msnpd` command line.

mod errors;
mod serve;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "msnpd", version, about = "An MSN Messenger service (MSNP2-MSNP18)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (Notification Server, Switchboard, Passport over HTTP).
    Serve(serve::ServeArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Print the error catalog: MSNP error codes and Messenger HRESULTs.
    Errors(errors::ErrorsArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Errors(args) => errors::run(&args),
        Command::Serve(args) => serve::run(args),
        Command::User(command) => user::run(command),
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default: info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| QuietStderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// The configuration and a runtime to run with it, or a message on stderr.
fn prepare(
    file: Option<&std::path::Path>,
    overrides: &crate::config::Overrides,
) -> Option<(crate::config::Config, tokio::runtime::Runtime)> {
    let config = match crate::config::Config::load(file, overrides) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("msnpd: bad configuration: {error}");
            return None;
        }
    };
    // One arena per core: the threads share them (see `memory`).
    crate::memory::limit_arenas(std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runtime = runtime(config.worker_threads)?;
    Some((config, runtime))
}

/// Standard error that drops what it cannot write: a log reader that went
/// away (a closed pipe) must not take a session down with it.
struct QuietStderr;

impl std::io::Write for QuietStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

fn runtime(workers: Option<usize>) -> Option<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = workers {
        builder.worker_threads(workers.max(1));
    }
    match builder.enable_all().build() {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            eprintln!("msnpd: cannot start the runtime: {error}");
            None
        }
    }
}
