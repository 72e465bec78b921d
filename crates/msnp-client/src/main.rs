//! `msnp`: the MSNP command line. Offline helpers so far; login, send and
//! watch arrive with the async client (issue 6).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use msnp::Dialect;

#[derive(Parser)]
#[command(name = "msnp", version, about = "MSN Messenger protocol command line")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Qry { challenge, product_id, product_key, dialect } => {
            let Some(dialect) = Dialect::from_token(&dialect) else {
                eprintln!("msnp: {dialect:?} is not a dialect (MSNP2..MSNP18)");
                return ExitCode::FAILURE;
            };
            match msnp_client::answer_challenge(dialect, &challenge, &product_id, product_key.as_deref()) {
                Ok(answer) => {
                    println!("{answer}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("msnp: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Md5 { salt, password } => {
            println!("{}", msnp_client::md5_login(&salt, &password));
            ExitCode::SUCCESS
        }
    }
}
