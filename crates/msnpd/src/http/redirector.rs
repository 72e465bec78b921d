//! The redirectors of the address book and storage services. WLM 2009 and the
//! libraries modelled on it (MSNPSharp) make their first call of each method
//! to a redirector host to learn the preferred host and a cache key, then
//! make the call again there. The original redirectors answered 301 without
//! running the call; one that ran it would run every first call twice (a
//! second `ABContactAdd` finds the contact already there).

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use msnp::soap::abch::{self, ServiceHeader};

/// The redirector host names and the service host each sends clients to:
/// the name clients already use for that service, so that whatever makes
/// the one reach this server makes the other reach it too.
const REDIRECTORS: [(&str, &str); 2] =
    [("byrdr.omega.contacts.msn.com", "contacts.msn.com"), ("tkrdr.storage.msn.com", "storage.msn.com")];

/// The service host a request for a redirector host is sent to, if it is one.
fn preferred_host(request: &Request) -> Option<&'static str> {
    let host = request.headers().get(header::HOST)?.to_str().ok()?;
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    REDIRECTORS.iter().find(|(redirector, _)| name.eq_ignore_ascii_case(redirector)).map(|(_, service)| *service)
}

/// Answers requests for a redirector host; passes every other one on.
pub async fn redirect(request: Request, next: Next) -> Response {
    let Some(preferred) = preferred_host(&request) else {
        return next.run(request).await;
    };
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    // Clients reach these names over HTTPS; they keep only the host anyway.
    let location = format!("https://{preferred}{path}");
    let header = ServiceHeader { cache_key: "msnpd".into(), host: preferred.into() };
    let mut response = (StatusCode::MOVED_PERMANENTLY, abch::render_redirect(&header, &location)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    if let Ok(location) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, location);
    }
    response
}
