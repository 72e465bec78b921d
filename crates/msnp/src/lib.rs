//! The MSN Messenger protocol, MSNP2 to MSNP21, without I/O.
//!
//! - [`codec`]: framing of command lines and payloads, with size limits.
//! - [`dialect`]: the protocol versions and every way they differ.
//! - [`catalog`]: every MSNP error code and HRESULT of the seed specification.
//! - [`auth`]: MD5 login, CHL/QRY challenge answers, the SSO MBI_KEY response.
//! - [`structured`]: the header blocks of MSNP19+ `PUT`/`NFY`/`SDG` payloads.

pub mod auth;
pub mod catalog;
pub mod codec;
pub mod command;
pub mod dialect;
pub mod params;
pub mod soap;
pub mod structured;
pub mod text;
pub mod xml;

pub use catalog::ErrorCode;
pub use codec::{Decoder, Direction, Frame};
pub use command::Command;
pub use dialect::Dialect;
pub use params::Params;
