//! The `msnpd` command line.

mod errors;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "msnpd",
    version,
    about = "An MSN Messenger service (MSNP2-MSNP18)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the error catalog: MSNP error codes and Messenger HRESULTs.
    Errors(errors::ErrorsArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Errors(args) => errors::run(&args),
    }
}
