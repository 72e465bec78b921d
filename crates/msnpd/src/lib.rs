//! msnpd, an MSN Messenger service. The `cli` module is the `msnpd` command.

pub mod cli;
