use msnp::{Dialect, ErrorCode};

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an MSNP error code; shown with the seed's text.
    #[error("{}: {}", .0.code(), .0.description())]
    Server(ErrorCode),
    /// The server answered with a number this catalog does not know.
    #[error("{0}: unknown error code")]
    UnknownServerError(u16),
    #[error("no answer to {0} within the timeout")]
    Timeout(&'static str),
    #[error("the connection is closed")]
    Closed,
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    #[error("Passport: {0}")]
    Passport(String),
    /// The SOAP address book (MSNP13+) failed or refused.
    #[error("address book: {0}")]
    AddressBook(String),
    /// The server said something this client did not expect.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error("unknown product id {0:?}; give its key with --product-key")]
    UnknownProduct(String),
    #[error("{0} has no challenge (CHL/QRY begins with MSNP6)")]
    NoChallenge(Dialect),
}

impl ClientError {
    /// The error for a server reply that is a number.
    pub(crate) fn from_reply(command: &str) -> Option<ClientError> {
        let number: u16 = command.parse().ok()?;
        Some(ErrorCode::from_code(number).map_or(ClientError::UnknownServerError(number), ClientError::Server))
    }
}
