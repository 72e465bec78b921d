//! `/metrics` for Prometheus, answered only to the addresses `metrics_allow`
//! names (loopback by default), and the count of every HTTP request by
//! service and status.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::metrics::HttpLabels;
use crate::server::Context;

/// `GET /metrics`: 403 to anyone `metrics_allow` does not name.
pub async fn scrape(State(ctx): State<Arc<Context>>, ConnectInfo(peer): ConnectInfo<SocketAddr>) -> Response {
    if !allowed(&ctx.config.metrics_allow, peer) {
        return (StatusCode::FORBIDDEN, "metrics are not served to this address").into_response();
    }
    ctx.core.metrics.bus_dropped.set(ctx.core.bus.dropped() as i64);
    let mut response = ctx.core.metrics.render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

/// `*` allows everyone; otherwise each entry is an address.
fn allowed(allow: &[String], peer: SocketAddr) -> bool {
    allow.iter().any(|entry| entry == "*" || entry.parse::<std::net::IpAddr>().is_ok_and(|ip| ip == peer.ip()))
}

/// The service a path belongs to, from a fixed set (never the path itself:
/// made-up paths must not grow the figures).
fn service(path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    match lower.as_str() {
        "/rdr/pprdr.asp" | "/login2.srf" | "/rst.srf" | "/rst2.srf" => "passport",
        "/gateway/gateway.dll" => "gateway",
        "/abservice/abservice.asmx" => "addressbook",
        "/abservice/sharingservice.asmx" => "sharing",
        "/config/msgrconfig.asmx" => "config",
        "/storageservice/schematizedstore.asmx" => "storage",
        "/oimws/oim.asmx" | "/rsi/rsi.asmx" => "offline_messages",
        "/metrics" => "metrics",
        "/ws/ns" | "/ws/sb" => "websocket",
        _ if lower == "/account" || lower.starts_with("/account/") => "account",
        _ if lower == "/admin" || lower.starts_with("/admin/") => "admin",
        _ if lower == "/messenger" || lower.starts_with("/messenger/") => "messenger",
        "/" => "home",
        _ if lower.starts_with("/storage/usertile/") => "usertile",
        _ => "other",
    }
}

/// Counts each request once its answer is known.
pub async fn count(
    State(ctx): State<Arc<Context>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let service = service(request.uri().path());
    let response = next.run(request).await;
    let labels = HttpLabels { service, status: response.status().as_u16() };
    ctx.core.metrics.http_requests.get_or_create(&labels).inc();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_addresses_are_allowed() {
        let loopback: SocketAddr = "127.0.0.1:5000".parse().unwrap_or_else(|_| unreachable!());
        let other: SocketAddr = "10.0.0.7:5000".parse().unwrap_or_else(|_| unreachable!());
        let defaults = ["127.0.0.1".to_owned(), "::1".to_owned()];
        assert!(allowed(&defaults, loopback));
        assert!(!allowed(&defaults, other));
        assert!(allowed(&["*".to_owned()], other));
        assert!(!allowed(&[], loopback));
        assert_eq!(service("/RST.srf"), "passport");
        assert_eq!(service("/storage/usertile/5/static"), "usertile");
        assert_eq!(service("/made/up"), "other");
    }
}
