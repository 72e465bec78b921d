//! The HTTP listener: Passport (Nexus, login2.srf, RST.srf). Repeated slashes
//! in paths are collapsed first: Pidgin asks for `//RST.srf`.

mod abch;
mod account;
mod admin;
mod circles;
mod config;
pub mod gateway;
mod metrics;
mod oim;
mod pages;
mod passport;
mod redirector;
mod spelling;
mod storage;
pub mod tls;
mod web;
mod web_session;
mod websocket;

use std::sync::Arc;

use axum::Router;
use axum::http::Uri;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use crate::server::Context;

pub fn router(ctx: Arc<Context>) -> Router {
    let body_limit = axum::extract::DefaultBodyLimit::max(ctx.config.max_http_body);
    Router::new()
        .route("/", get(home))
        .route("/rdr/pprdr.asp", get(passport::nexus))
        .route("/login2.srf", get(passport::login))
        .route("/RST.srf", post(passport::rst))
        .route("/RST2.srf", post(passport::rst2))
        .route("/gateway/gateway.dll", post(gateway::handle))
        .route("/abservice/abservice.asmx", post(abch::address_book))
        .route("/abservice/SharingService.asmx", post(abch::sharing))
        .route("/Config/MsgrConfig.asmx", get(config::msgr_config).post(config::msgr_config))
        .route("/storageservice/SchematizedStore.asmx", post(storage::schematized_store))
        .route("/storage/usertile/{cid}/{kind}", get(storage::user_tile))
        .route("/storage/picture", get(storage::picture_by_object))
        .route("/OimWS/oim.asmx", post(oim::store))
        .route("/rsi/rsi.asmx", post(oim::rsi))
        .route("/metrics", get(metrics::scrape))
        .route("/admin", get(admin::dashboard))
        .route("/admin/signin", post(admin::signin))
        .route("/admin/signout", post(admin::signout))
        .route("/account", get(account::account))
        .route("/account/signup", get(account::signup_page).post(account::signup))
        .route("/account/signin", post(account::signin))
        .route("/account/{action}", post(account::change))
        .route("/messenger", get(web::to_index))
        .route("/messenger/", get(web::index))
        .route("/messenger/app.js", get(web::app))
        .route("/messenger/style.css", get(web::style))
        .route("/messenger/manifest.webmanifest", get(web::manifest))
        .route("/messenger/icon.svg", get(web::icon))
        .route("/ws/ns", get(websocket::ns))
        .route("/ws/sb", get(websocket::sb))
        .fallback(passport::not_found)
        .layer(axum::middleware::from_fn(redirector::redirect))
        .layer(body_limit)
        .layer(axum::middleware::from_fn_with_state(ctx.clone(), metrics::count))
        .with_state(ctx)
}

/// Where `URL` (INBOX, PROFILE…) sends clients: this service has no web mail
/// or profile pages, and says so.
async fn home() -> axum::response::Html<&'static str> {
    axum::response::Html(concat!(
        "<!doctype html><html><head><title>msnpd</title></head><body>",
        "<h1>msnpd</h1><p>This Messenger service has no web mail, profile or mobile pages.</p>",
        "<p><a href=\"/messenger/\">Messenger in the browser</a> · <a href=\"/account\">Your account</a></p>",
        "</body></html>"
    ))
}

fn collapse_slashes<B>(mut request: axum::http::Request<B>) -> axum::http::Request<B> {
    let uri = request.uri();
    if uri.path().contains("//") {
        let mut path = String::with_capacity(uri.path().len());
        for ch in uri.path().chars() {
            if !(ch == '/' && path.ends_with('/')) {
                path.push(ch);
            }
        }
        if let Some(query) = uri.query() {
            path.push('?');
            path.push_str(query);
        }
        if let Ok(rewritten) = path.parse::<Uri>() {
            *request.uri_mut() = rewritten;
        }
    }
    request
}

/// Serves HTTP/1.1 (over TLS when `tls` is given) with header names in their
/// usual capitalisation (`Content-Length`, not `content-length`): msn-pecan
/// matches them exactly. Names the original service spelled otherwise
/// (`PassportURLs`) keep that spelling.
pub async fn serve(
    listener: TcpListener,
    ctx: Arc<Context>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let spellings = match spelling::recorded().await {
        Ok(spellings) => spellings,
        Err(error) => {
            tracing::error!(%error, "could not record header spellings; names are title-cased");
            axum::http::Extensions::new()
        }
    };
    let in_flight = ctx.http_requests.clone();
    let body_time = std::time::Duration::from_secs(ctx.config.http_body_timeout_secs);
    let max_body = ctx.config.max_http_body;
    let (secure, https_base) = (tls.is_some(), ctx.https_base.clone());
    let proxies: Arc<[std::net::IpAddr]> = trusted_proxies(&ctx.config.trusted_proxies).into();
    let app = router(ctx)
        .layer(axum::middleware::from_fn(move |request, next| pages::guard(secure, https_base.clone(), request, next)))
        .layer(axum::middleware::from_fn(move |request, next| body_in_time(body_time, max_body, request, next)))
        .layer(axum::middleware::from_fn(move |request, next| one_of_the_allowed(in_flight.clone(), request, next)))
        .map_request(collapse_slashes::<hyper::body::Incoming>)
        .map_response(move |mut response: axum::response::Response| {
            response.extensions_mut().extend(spellings.clone());
            // No answer of this service is to be read as another type than it says.
            response
                .headers_mut()
                .insert(axum::http::header::X_CONTENT_TYPE_OPTIONS, axum::http::HeaderValue::from_static("nosniff"));
            response
        });
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "HTTP accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = crate::server::until_stopped(&mut shutdown) => break,
        };
        // Handlers that need the client's address (the gateway) find it here.
        let proxies = proxies.clone();
        let app = app.clone().map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            let client = client_address(peer, &proxies, request.headers());
            request.extensions_mut().insert(axum::extract::ConnectInfo(client));
            request
        });
        let service = hyper_util::service::TowerToHyperService::new(app);
        let stopped = shutdown.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(stream, service, peer, stopped).await,
                Some(acceptor) => {
                    let handshake = tokio::time::timeout(TLS_HANDSHAKE_LIMIT, acceptor.accept(stream)).await;
                    match handshake {
                        Ok(Ok(stream)) => serve_connection(stream, service, peer, stopped).await,
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
}

/// The `trusted_proxies` setting as addresses (a name that is none is logged and left out).
fn trusted_proxies(names: &[String]) -> Vec<std::net::IpAddr> {
    names
        .iter()
        .filter_map(|name| {
            let parsed = name.trim().parse().ok();
            if parsed.is_none() {
                tracing::warn!(%name, "trusted_proxies: not an IP address; left out");
            }
            parsed
        })
        .collect()
}

/// Who a request is from: the peer, or, when the peer is a trusted proxy,
/// the nearest address in `X-Forwarded-For` that is not one (each proxy
/// appends the address it saw; what comes before a trusted one's entry is
/// the client's to make up).
fn client_address(
    peer: std::net::SocketAddr,
    proxies: &[std::net::IpAddr],
    headers: &axum::http::HeaderMap,
) -> std::net::SocketAddr {
    if !proxies.contains(&peer.ip()) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for entry in forwarded.iter().rev() {
        match entry.parse::<std::net::IpAddr>() {
            Ok(ip) if proxies.contains(&ip) => continue,
            Ok(ip) => return std::net::SocketAddr::new(ip, 0),
            // Garbage where an address should be: the proxy's own address stands.
            Err(_) => return peer,
        }
    }
    peer
}

/// How long a request waits for one of the `max_http_requests` places.
const HTTP_QUEUE_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs a request once one of the `max_http_requests` places is free: the
/// body is read only then, so a flood of large bodies cannot all be held at
/// once. After `HTTP_QUEUE_LIMIT` of waiting the answer is 503.
async fn one_of_the_allowed(
    places: Arc<tokio::sync::Semaphore>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    match tokio::time::timeout(HTTP_QUEUE_LIMIT, places.acquire_owned()).await {
        Ok(Ok(_place)) => next.run(request).await,
        _ => {
            tracing::warn!("HTTP request refused: max_http_requests are in progress");
            axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Reads the whole request body before the handler runs, within `limit` and
/// `max` bytes: `408` for a body that does not arrive in time, `413` for one
/// that is too large (at once when its `Content-Length` says so).
async fn body_in_time(
    limit: std::time::Duration,
    max: usize,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse as _;
    let (parts, body) = request.into_parts();
    let announced = parts.headers.get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
    if announced.and_then(|v| v.parse::<u64>().ok()).is_some_and(|len| len > max as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let collected = http_body_util::BodyExt::collect(http_body_util::Limited::new(body, max));
    match tokio::time::timeout(limit, collected).await {
        Ok(Ok(collected)) => {
            let body = axum::body::Body::from(collected.to_bytes());
            next.run(axum::extract::Request::from_parts(parts, body)).await
        }
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            StatusCode::PAYLOAD_TOO_LARGE.into_response()
        }
        // The client went away or broke the framing: there is no one to answer.
        Ok(Err(_)) => StatusCode::BAD_REQUEST.into_response(),
        Err(_) => {
            tracing::info!("HTTP request body not received within http_body_timeout_secs");
            StatusCode::REQUEST_TIMEOUT.into_response()
        }
    }
}

/// A client that does not finish its TLS handshake in this time is dropped.
const TLS_HANDSHAKE_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

async fn serve_connection<I, S>(
    io: I,
    service: S,
    peer: std::net::SocketAddr,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<axum::http::Request<hyper::body::Incoming>, Response = axum::response::Response>
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    let connection = hyper::server::conn::http1::Builder::new()
        .title_case_headers(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(std::time::Duration::from_secs(30))
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        // The browser client's WebSocket (`/ws/…`) takes the connection over.
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%peer, %error, "HTTP connection ended");
            }
        }
        _ = crate::server::until_stopped(&mut stopped) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
