//! `msnpd user add|list|passwd|del`.

use std::io::BufRead;
use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Overrides;
use crate::core::Core;
use crate::store::Store;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add {
        email: String,
        /// The password; read from standard input when absent.
        #[arg(long)]
        password: Option<String>,
        /// The friendly name (default: the email).
        #[arg(long)]
        nick: Option<String>,
        /// Also keep the MD5 secret MSN Messenger 1.0-4.x (MSNP2-7) log in with
        /// (see the README: it trades away some safety).
        #[arg(long)]
        legacy_md5: bool,
        #[arg(long)]
        database: Option<String>,
    },
    /// Create numbered accounts for load tests: PREFIX0@example.com ... (existing ones are kept).
    AddMany {
        #[arg(long, default_value = "bench")]
        prefix: String,
        #[arg(long)]
        count: u32,
        #[arg(long)]
        password: String,
        #[arg(long)]
        database: Option<String>,
    },
    /// List the accounts.
    List {
        #[arg(long)]
        database: Option<String>,
    },
    /// Change an account's password.
    Passwd {
        email: String,
        /// The new password; read from standard input when absent.
        #[arg(long)]
        password: Option<String>,
        /// Keep (or start keeping) the MSNP2-7 MD5 secret; without this flag it is removed.
        #[arg(long)]
        legacy_md5: bool,
        #[arg(long)]
        database: Option<String>,
    },
    /// Delete an account and its contact lists.
    Del {
        email: String,
        #[arg(long)]
        database: Option<String>,
    },
}

fn read_password(given: Option<String>) -> Option<String> {
    if given.is_some() {
        return given;
    }
    eprint!("password: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    (!password.is_empty()).then_some(password)
}

pub fn run(command: UserCommand) -> ExitCode {
    let database = match &command {
        UserCommand::Add { database, .. }
        | UserCommand::AddMany { database, .. }
        | UserCommand::List { database }
        | UserCommand::Passwd { database, .. }
        | UserCommand::Del { database, .. } => database.clone(),
    };
    let Some((config, runtime)) = super::prepare(None, &Overrides { database, ..Overrides::default() }) else {
        return ExitCode::FAILURE;
    };
    runtime.block_on(async move {
        let store = match Store::open(&config.database, config.store_options()).await {
            Ok(store) => store,
            Err(error) => {
                eprintln!("msnpd: cannot open {}: {error}", config.database);
                return ExitCode::FAILURE;
            }
        };
        let signer = match crate::core::token_signer(&store).await {
            Ok(signer) => signer,
            Err(error) => {
                eprintln!("msnpd: cannot read the service's keys: {error}");
                return ExitCode::FAILURE;
            }
        };
        let core = Core::alone(config.core(String::new(), String::new()), store, signer);
        let result = match command {
            UserCommand::Add { email, password, nick, legacy_md5, .. } => match read_password(password) {
                Some(password) => match core.create_account(&email, &password, nick.as_deref()).await {
                    Ok(row) if legacy_md5 => core.set_legacy_md5(row.id, Some(&password)).await.map(|()| {
                        println!("created {} (with the MSNP2-7 MD5 secret)", row.email);
                    }),
                    Ok(row) => {
                        println!("created {}", row.email);
                        Ok(())
                    }
                    Err(error) => Err(error),
                },
                None => {
                    eprintln!("msnpd: a password is required");
                    return ExitCode::FAILURE;
                }
            },
            UserCommand::AddMany { prefix, count, password, .. } => {
                let mut created = 0;
                let mut outcome = Ok(());
                for index in 0..count {
                    let email = format!("{prefix}{index}@example.com");
                    match core.create_account(&email, &password, None).await {
                        Ok(_) => created += 1,
                        Err(crate::core::accounts::AccountError::Exists(_)) => {}
                        Err(error) => {
                            outcome = Err(error);
                            break;
                        }
                    }
                }
                println!(
                    "created {created} of {count} accounts {prefix}0..{prefix}{}@example.com",
                    count.saturating_sub(1)
                );
                outcome
            }
            UserCommand::List { .. } => match core.store.list_accounts().await {
                Ok(accounts) => {
                    for account in accounts {
                        println!("{}\t{}", account.email, account.friendly_name);
                    }
                    Ok(())
                }
                Err(error) => Err(error.into()),
            },
            UserCommand::Passwd { email, password, legacy_md5, .. } => match read_password(password) {
                Some(password) => core.set_password(&email, &password, legacy_md5).await.map(|()| {
                    let md5 = if legacy_md5 { "MD5 secret kept" } else { "no MD5 secret" };
                    println!("password changed for {email} ({md5})");
                }),
                None => {
                    eprintln!("msnpd: a password is required");
                    return ExitCode::FAILURE;
                }
            },
            UserCommand::Del { email, .. } => core.delete_account(&email).await.map(|()| println!("deleted {email}")),
        };
        core.store.close().await;
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("msnpd: {error}");
                ExitCode::FAILURE
            }
        }
    })
}
