//! The browser client, embedded: its page, style, manifest and icon as
//! written in `web/src/`, its script as built into `web/dist/` (`npm run
//! build`): `msnpd serve` needs nothing beside it and a user needs no build.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

const INDEX: &str = include_str!("../../../../web/src/index.html");
const APP: &str = include_str!("../../../../web/dist/app.js");
const STYLE: &str = include_str!("../../../../web/src/style.css");
const MANIFEST: &str = include_str!("../../../../web/src/manifest.webmanifest");
const ICON: &str = include_str!("../../../../web/src/icon.svg");

/// Only this origin's scripts, styles and connections (its WebSockets);
/// pictures from here or made in the page.
const POLICY: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'";

fn file(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

pub async fn to_index() -> Redirect {
    Redirect::permanent("/messenger/")
}

pub async fn index() -> Response {
    file(INDEX, "text/html; charset=utf-8")
}

pub async fn app() -> Response {
    file(APP, "text/javascript; charset=utf-8")
}

pub async fn style() -> Response {
    file(STYLE, "text/css; charset=utf-8")
}

pub async fn manifest() -> Response {
    file(MANIFEST, "application/manifest+json")
}

pub async fn icon() -> Response {
    file(ICON, "image/svg+xml")
}
