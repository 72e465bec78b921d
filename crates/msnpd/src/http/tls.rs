//! HTTPS for the HTTP services (rustls with the ring provider): a certificate
//! and key from PEM files, generated as a self-signed pair on first start
//! when the files do not exist (for development and hosts-file setups).

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// The names a self-signed certificate covers: the public host and the
/// Microsoft hosts clients are pointed at with hosts-file entries.
const SERVICE_NAMES: &[&str] = &[
    "localhost",
    "login.live.com",
    "login.passport.com",
    "nexus.passport.com",
    "loginnet.passport.com",
    "contacts.msn.com",
    "omega.contacts.msn.com",
    "storage.msn.com",
    "rsi.hotmail.com",
    "ows.messenger.msn.com",
    "config.messenger.msn.com",
];

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("bad certificate or key: {0}")]
    Pem(String),
    #[error("cannot make a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error(transparent)]
    Rustls(#[from] rustls::Error),
}

/// Writes a self-signed certificate for `public_host` and the service names,
/// unless both files already exist.
pub fn ensure_self_signed(cert: &Path, key: &Path, public_host: &str) -> Result<bool, TlsError> {
    if cert.exists() && key.exists() {
        return Ok(false);
    }
    let mut names: Vec<String> = SERVICE_NAMES.iter().map(|n| (*n).to_owned()).collect();
    if !names.iter().any(|n| n == public_host) {
        names.push(public_host.to_owned());
    }
    let certified = rcgen::generate_simple_self_signed(names)?;
    let write = |path: &Path, text: String, private: bool| {
        write_file(path, text.as_bytes(), private)
            .map_err(|source| TlsError::Write { path: path.display().to_string(), source })
    };
    write(cert, certified.cert.pem(), false)?;
    write(key, certified.signing_key.serialize_pem(), true)?;
    Ok(true)
}

/// Writes a new file; a private one (the key) is readable by its owner only,
/// from the moment it exists.
fn write_file(path: &Path, contents: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)?.write_all(contents)
}

/// A TLS acceptor for the certificate chain and key in these PEM files.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let read =
        |path: &Path| std::fs::read(path).map_err(|source| TlsError::Read { path: path.display().to_string(), source });
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read(cert)?)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|e| TlsError::Pem(e.to_string()))?;
    let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
