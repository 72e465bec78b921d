//! What the service's web pages (an account's pages, the operator's
//! dashboard) share: the page frame, cookies, CSRF tokens, and the headers
//! that keep the pages out of frames, caches and other sites' scripts.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use msnp::text::escape_xml as escape;

use crate::core::tokens::Purpose;
use crate::server::Context;

/// The cookie a visitor's CSRF tokens are made from before signing in.
const VISITOR_COOKIE: &str = "msnpd_visitor";

pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

pub(super) fn set_cookie_at(response: &mut Response, path: &str, name: &str, value: &str, max_age: i64) {
    let text = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&text) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The CSRF token for forms shown with this cookie value.
pub(super) fn csrf_token(ctx: &Context, cookie: &str) -> String {
    hex::encode(&ctx.core.signer.derive(Purpose::Csrf, cookie.as_bytes())[..16])
}

pub(super) fn csrf_ok(ctx: &Context, cookie: Option<&str>, token: &str) -> bool {
    cookie.is_some_and(|cookie| {
        let expected = csrf_token(ctx, cookie);
        msnp::auth::constant_time_eq(expected.as_bytes(), token.as_bytes())
    })
}

pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · msnpd</title><style>{STYLE}</style></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#eef3fa;color:#1b2733;margin:0}\
main{max-width:48rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}\
form{display:grid;gap:.6rem;margin:1rem 0}label{font-weight:600}\
input[type=text],input[type=email],input[type=password]{font:inherit;padding:.45rem;border:1px solid #8aa;border-radius:4px}\
button{font:inherit;padding:.5rem 1rem;border:0;border-radius:4px;background:#1f6fd1;color:#fff;cursor:pointer}\
button.danger{background:#b3261e}:focus-visible{outline:3px solid #f4b400;outline-offset:2px}\
.error{color:#b3261e;font-weight:600}.warning{background:#fff4d6;padding:.5rem;border-radius:4px}\
.note{color:#456}";

/// A page under `path` with a status and, when the visitor has no cookie
/// yet, the cookie its CSRF token is made from.
pub(super) fn respond_at(path: &str, status: StatusCode, html: String, visitor: Option<&str>) -> Response {
    let mut response = (status, Html(html)).into_response();
    if let Some(visitor) = visitor {
        set_cookie_at(&mut response, path, VISITOR_COOKIE, visitor, 86_400);
    }
    response
}

pub(super) fn redirect(to: &'static str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_static(to));
    response
}

/// The visitor cookie, made when absent (`new` says it must be set).
pub(super) fn visitor(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, VISITOR_COOKIE).filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(existing) => (existing, false),
        None => (crate::core::random_token(), true),
    }
}

pub(super) fn error_line(message: Option<&str>) -> String {
    message.map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m))).unwrap_or_default()
}

/// The pages' policy: nothing but their own inline styles (by hash) and
/// forms posted to this origin; never in a frame.
fn policy() -> &'static str {
    static POLICY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        use base64::Engine as _;
        use sha2::Digest as _;
        let hash = |css: &str| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(css));
        format!(
            "default-src 'none'; style-src 'sha256-{}' 'sha256-{}'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
            hash(STYLE),
            hash(super::admin::DASHBOARD_STYLE),
        )
    });
    &POLICY
}

/// Whether `path` is one of the pages (an account's, the dashboard).
fn is_page(path: &str) -> bool {
    ["/account", "/admin"]
        .iter()
        .any(|page| path == *page || path.strip_prefix(page).is_some_and(|r| r.starts_with('/')))
}

/// Headers of every answer on the listener (`secure`: HTTPS), and, on
/// the plain listener of a node that has an HTTPS one, the way to it for
/// the pages that take passwords.
pub(super) async fn guard(
    secure: bool,
    https_base: Option<String>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    // Through a TLS front to this listener: as secure as HTTPS here. A client
    // that claims it falsely only makes its own cookies stricter.
    let forwarded = request.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok());
    let secure = secure || forwarded.is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let page = is_page(&path) || path == "/messenger" || path.starts_with("/messenger/");
    if !secure
        && page
        && let Some(base) = https_base
    {
        let target = match request.uri().query() {
            Some(query) => format!("{base}{path}?{query}"),
            None => format!("{base}{path}"),
        };
        if let Ok(location) = HeaderValue::from_str(&target) {
            let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            return response;
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if is_page(&path) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy()));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    }
    if secure {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
        // Cookies set over HTTPS never travel over plain HTTP.
        let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
        headers.remove(header::SET_COOKIE);
        for cookie in cookies {
            let secured = cookie.to_str().ok().map(|text| format!("{text}; Secure"));
            headers.append(header::SET_COOKIE, secured.and_then(|s| HeaderValue::from_str(&s).ok()).unwrap_or(cookie));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; msnpd_account=tok; b=2"));
        assert_eq!(cookie(&headers, "msnpd_account").as_deref(), Some("tok"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn the_pages_are_the_account_and_the_dashboard() {
        for page in ["/account", "/account/signup", "/admin", "/admin/signout"] {
            assert!(is_page(page), "{page}");
        }
        for other in ["/accounts", "/administrator", "/messenger/", "/RST.srf"] {
            assert!(!is_page(other), "{other}");
        }
    }
}
