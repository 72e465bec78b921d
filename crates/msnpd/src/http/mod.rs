//! The HTTP listener: Passport (Nexus, login2.srf, RST.srf). Repeated slashes
//! in paths are collapsed first: Pidgin asks for `//RST.srf`.

mod passport;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use crate::server::Context;

pub fn router(ctx: Arc<Context>) -> Router {
    Router::new()
        .route("/rdr/pprdr.asp", get(passport::nexus))
        .route("/login2.srf", get(passport::login))
        .route("/RST.srf", post(passport::rst))
        .route("/RST2.srf", post(passport::rst))
        .fallback(passport::not_found)
        .with_state(ctx)
}

fn collapse_slashes(mut request: Request) -> Request {
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

pub async fn serve(
    listener: TcpListener,
    ctx: Arc<Context>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let app = router(ctx).map_request(collapse_slashes);
    let mut shutdown = shutdown;
    let result = axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service_with_connect_info::<std::net::SocketAddr>(
            app,
        ),
    )
    .with_graceful_shutdown(async move {
        crate::server::until_stopped(&mut shutdown).await;
    })
    .await;
    if let Err(error) = result {
        tracing::error!(%error, "HTTP listener failed");
    }
}
