//! msnpd, an MSN Messenger service.
//!
//! - [`core`]: the protocol-neutral service (accounts, lists, presence, conversations).
//! - [`ns`], [`sb`], [`http`]: the fronts clients talk to.
//! - [`store`]: persistence (SQLite or PostgreSQL).
//! - [`server`]: wiring and lifecycle; [`cli`]: the `msnpd` command.

pub mod cli;
pub mod config;
pub mod conn;
pub mod core;
pub mod files;
pub mod http;
pub mod memory;
pub mod metrics;
pub mod ns;
pub mod sb;
pub mod server;
pub mod store;
