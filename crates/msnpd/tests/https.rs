//! HTTPS: a self-signed certificate made on first start, the Passport
//! services over TLS, and the Nexus pointing at the HTTPS login.

mod common;

use std::sync::Arc;

use common::TestServer;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(server: &TestServer, path: &str, headers: &str) -> String {
    let pem = std::fs::read(&server.config.tls_cert).expect("certificate written");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.expect("certificate")).expect("trusted");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let address = server.server().https_addr.expect("https listener");
    let tcp = tokio::net::TcpStream::connect(address).await.expect("connect");
    let name = ServerName::try_from("login.live.com").expect("name");
    let mut tls = connector.connect(name, tcp).await.expect("handshake");
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: login.live.com\r\nConnection: close\r\n{headers}\r\n").as_bytes(),
    )
    .await
    .expect("write");
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn passport_over_https_with_a_self_signed_certificate() {
    let server = TestServer::start_with(|config| config.https_listen = Some("127.0.0.1:0".into())).await;
    server.user("alice@example.com", "alice-pw", "Alice").await;
    let https = server.server().https_addr.expect("https");
    let nexus = get(&server, "/rdr/pprdr.asp", "").await;
    assert!(nexus.starts_with("HTTP/1.1 200 OK\r\n"), "{nexus}");
    // No scheme: clients prepend https:// themselves, as they did for the
    // original; and the name the client used brings it back the same way.
    assert!(nexus.contains("\r\nPassportURLs: DALogin=login.live.com/login2.srf\r\n"), "{nexus}");
    let login =
        get(&server, "/login2.srf", "Authorization: Passport1.4 sign-in=alice%40example.com,pwd=alice-pw\r\n").await;
    assert!(login.contains("from-PP='t="), "{login}");
    assert!(login.contains("\r\nAuthentication-Info: Passport1.4 da-status=success,"), "{login}");
    // Asked over plain HTTP, the Nexus still names the HTTPS login: it is served.
    let plain = common::http_get(server.http(), "/rdr/pprdr.asp", &[]).await;
    assert_eq!(plain.header("PassportURLs"), Some(format!("DALogin=127.0.0.1:{}/login2.srf", https.port()).as_str()));
    // The key it made is its owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&server.config.tls_key).expect("key written").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "key mode {mode:o}");
    }
    // The certificate survives a restart: it is made once.
    let before = std::fs::read(&server.config.tls_cert).expect("cert");
    let mut server = server;
    server.restart().await;
    assert_eq!(std::fs::read(&server.config.tls_cert).expect("cert"), before);
}

/// With an HTTPS listener the pages that take passwords are served there:
/// cookies set over HTTPS are `Secure`, answers carry HSTS, and the plain
/// listener sends browsers to the HTTPS one.
#[tokio::test]
async fn the_pages_keep_to_https_when_it_is_there() {
    let server = TestServer::start_with(|config| config.https_listen = Some("127.0.0.1:0".into())).await;
    let https = server.server().https_addr.expect("https");
    let page = get(&server, "/account", "").await;
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("\r\nStrict-Transport-Security: max-age=31536000\r\n"), "{page}");
    let cookie = page.lines().find(|l| l.starts_with("Set-Cookie: msnpd_visitor=")).expect("the visitor cookie");
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    for path in ["/account", "/account/signup?x=1", "/admin", "/messenger/"] {
        let plain = common::http_get(server.http(), path, &[]).await;
        assert_eq!(plain.status, 308, "{path}");
        assert_eq!(plain.header("Location"), Some(format!("https://127.0.0.1:{}{path}", https.port()).as_str()));
        assert!(plain.header("Set-Cookie").is_none(), "{path}: nothing set over plain HTTP");
    }
    // What old clients need over plain HTTP stays there.
    assert_eq!(common::http_get(server.http(), "/rdr/pprdr.asp", &[]).await.status, 200);
}
