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

/// How the sessions run, chosen from the machine unless `worker_threads`
/// says: with one or two cores, one thread (a current-thread runtime);
/// with more, tokio's work-stealing runtime with a worker per core.
///
/// On two cores the session thread shares the machine with the store's
/// SQLite threads and the password hashers (and, in a benchmark, the load
/// generator): a second session worker adds only wake-ups across threads and
/// the work-stealing scheduler's bookkeeping (docs/benchmarks.md measures it).
/// With more cores one thread would leave them idle.
pub fn runtime_layout(workers: Option<usize>, cores: usize) -> Option<usize> {
    match workers.unwrap_or(cores).max(1) {
        1 => None,
        _ if workers.is_none() && cores <= 2 => None,
        workers => Some(workers),
    }
}

fn runtime(workers: Option<usize>) -> Option<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut builder = match runtime_layout(workers, cores) {
        None => tokio::runtime::Builder::new_current_thread(),
        Some(workers) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    match builder.enable_all().build() {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            eprintln!("msnpd: cannot start the runtime: {error}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::runtime_layout;

    #[test]
    fn one_thread_on_small_machines_a_worker_per_core_on_large_ones() {
        assert_eq!(runtime_layout(None, 1), None);
        assert_eq!(runtime_layout(None, 2), None);
        assert_eq!(runtime_layout(None, 16), Some(16));
        // As configured: one thread is the current-thread runtime.
        assert_eq!(runtime_layout(Some(1), 16), None);
        assert_eq!(runtime_layout(Some(0), 16), None);
        assert_eq!(runtime_layout(Some(2), 2), Some(2));
        assert_eq!(runtime_layout(Some(4), 2), Some(4));
    }
}
