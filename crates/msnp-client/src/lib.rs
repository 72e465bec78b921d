//! msnp-client: the client side of MSNP, for bots, tests and the load
//! generator.
//!
//! [`Client::login`] signs in to a Notification Server in any dialect:
//! MSNP2-7 with MD5, MSNP8-12 through Passport TWN, MSNP13-14 and MSNP15-18
//! (SSO with the MBI_KEY response) through RST.srf and the SOAP address book,
//! which the services' host (the Nexus URL's) must serve. It keeps the session alive: challenges are answered
//! and pings sent by a background task. [`Conversation`] opens or joins
//! switchboard conversations. Every call has a timeout, and a server error
//! comes back as [`ClientError::Server`] with the seed's code and text.
//!
//! ```no_run
//! # async fn run() -> Result<(), msnp_client::ClientError> {
//! use msnp_client::{Client, ClientConfig, Conversation};
//! let client = Client::login(ClientConfig::new("127.0.0.1:1863"), "bot@example.com", "secret").await?;
//! let chat = Conversation::open(&client, "friend@example.com").await?;
//! chat.send("hello").await?;
//! # Ok(()) }
//! ```

mod abook;
mod circles;
mod error;
mod ns;
mod offline;
mod oim;
mod passport;
mod sb;
mod structured;
mod wire;

pub use error::ClientError;
pub use msnp::soap::circles::ListedCircle;
pub use ns::{Client, ClientConfig, Contact, Event, Invitation};
pub use offline::{answer_challenge, md5_login};
pub use oim::OfflineMessage;
pub use sb::{Conversation, ConversationEvent};
