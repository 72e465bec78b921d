//! Passport 1.4 ("Tweener") for MSNP8–11 and the WS-Trust RST service for
//! MSNP12+: credentials in, tickets out.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use msnp::soap::rst::{self, Grant, IssuedToken, PASSPORT_TB, TrustDialect};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::core::tickets::TicketScope;
use crate::server::Context;

/// `GET /rdr/pprdr.asp`: where to log in. Only `DALogin`, first and alone:
/// msnp11-sdk takes the whole header value after `DALogin=` as the URL.
///
/// Clients that ask the Nexus over HTTPS prepend `https://` to the value
/// themselves, as the original gave it `host/path`; one that does so to
/// `http://…` asks for `https://http://…`. So the value has no scheme when the
/// client came over HTTPS: to this service's HTTPS listener (its address), or
/// through a TLS front to the plain listener, which shows as a request for a
/// name that is not this listener's own (`nexus.passport.com`, kept as the
/// login host so the client comes back the same way) or as
/// `X-Forwarded-Proto: https`. A client that asks the plain listener by its own
/// address gets `http://` written out, or it would try HTTPS.
pub async fn nexus(State(ctx): State<Arc<Context>>, headers: HeaderMap) -> Response {
    let mut response = StatusCode::OK.into_response();
    let login = match (&ctx.https_base, front_host(&ctx, &headers)) {
        (Some(https), None) => format!("{}/login2.srf", https.trim_start_matches("https://")),
        (_, Some(host)) => format!("{host}/login2.srf"),
        (None, None) => format!("{}/login2.srf", ctx.http_base),
    };
    if let Ok(value) = HeaderValue::from_str(&format!("DALogin={login}")) {
        response.headers_mut().insert("PassportURLs", value);
    }
    response
}

/// The host a client reached this service by through a TLS front (see
/// [`nexus`]), or `None` when it came to the plain listener's own address.
fn front_host(ctx: &Context, headers: &HeaderMap) -> Option<String> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    // Only a plain host[:port] is repeated back.
    let plain = |host: &&str| {
        !host.is_empty()
            && host.len() <= 255
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    };
    let forwarded_https = text("x-forwarded-proto").is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
    let host = text("x-forwarded-host").filter(|_| forwarded_https).or(text("host")).filter(plain)?;
    let own = ctx.http_base.trim_start_matches("http://");
    let own_host = own.rsplit_once(':').map_or(own, |(host, _)| host);
    let is_own = host.eq_ignore_ascii_case(own) || host.eq_ignore_ascii_case(own_host);
    (forwarded_https || !is_own).then(|| host.to_owned())
}

/// Reads `sign-in` and `pwd` from `Authorization: Passport1.4 k=v,k=v,...`.
fn passport_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let fields = value.trim().strip_prefix("Passport1.4")?.trim_start();
    let (mut email, mut password) = (None, None);
    for field in fields.split(',') {
        let Some((key, value)) = field.split_once('=') else {
            continue;
        };
        let decoded = percent_encoding::percent_decode_str(value.trim()).decode_utf8_lossy().into_owned();
        match key.trim() {
            "sign-in" => email = Some(decoded),
            "pwd" => password = Some(decoded),
            _ => {}
        }
    }
    Some((email?, password?))
}

/// `GET /login2.srf`: a ticket for the Notification Server, or 401.
pub async fn login(
    State(ctx): State<Arc<Context>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let failed = || {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Passport1.4 da-status=failed,srealm=Passport.NET,ts=-3,prompt,cburl=http://messenger.msn.com,cbtxt=The%20e-mail%20address%20or%20password%20is%20incorrect",
            ),
        );
        response
    };
    let Some((email, password)) = passport_credentials(&headers) else {
        return failed();
    };
    let account = match ctx.core.authenticate(&email, &password, Some(peer.ip())).await {
        Ok(Some(account)) => account,
        Ok(None) => {
            tracing::info!(%email, "Passport login refused: wrong email or password");
            ctx.core.metrics.failed_sign_ins.inc();
            return failed();
        }
        Err(error) => {
            tracing::error!(%error, "Passport login failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let (token, _) = ctx.core.tickets.issue(&account, TicketScope::Messenger, false);
    let info = format!(
        "Passport1.4 da-status=success,tname=MSPAuth,tname=MSPProf,tname=MSPSec,ru=http://messenger.msn.com,from-PP='t={token}&p='"
    );
    let mut response = StatusCode::OK.into_response();
    if let Ok(value) = HeaderValue::from_str(&info) {
        response.headers_mut().insert("Authentication-Info", value);
    }
    response
}

fn soap(dialect: TrustDialect, status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(dialect.content_type()));
    response
}

/// The scope of the ticket issued for a service address.
fn scope_of(address: &str) -> Option<TicketScope> {
    match address.trim_end_matches('/') {
        "messengerclear.live.com" | "messenger.msn.com" => Some(TicketScope::Messenger),
        "contacts.msn.com" | "contacts.live.com" => Some(TicketScope::Contacts),
        "messengersecure.live.com" => Some(TicketScope::MessengerSecure),
        "storage.live.com" | "storage.msn.com" => Some(TicketScope::Storage),
        _ => None,
    }
}

/// `POST /RST.srf`.
pub async fn rst(ctx: State<Arc<Context>>, peer: ConnectInfo<SocketAddr>, body: String) -> Response {
    issue_tokens(TrustDialect::Rst, ctx, peer, body).await
}

/// `POST /RST2.srf`: the same tokens in SOAP 1.2 and WS-Trust 2005/02.
pub async fn rst2(ctx: State<Arc<Context>>, peer: ConnectInfo<SocketAddr>, body: String) -> Response {
    issue_tokens(TrustDialect::Rst2, ctx, peer, body).await
}

/// One token per requested service, in request order.
async fn issue_tokens(
    dialect: TrustDialect,
    State(ctx): State<Arc<Context>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: String,
) -> Response {
    let request = match rst::parse_request(&body) {
        Ok(request) => request,
        Err(error) => {
            return soap(dialect, StatusCode::BAD_REQUEST, rst::render_bad_request(dialect, &error.to_string()));
        }
    };
    let account = match ctx.core.authenticate(&request.username, &request.password, Some(peer.ip())).await {
        Ok(Some(account)) => account,
        Ok(None) => {
            tracing::info!(email = %request.username, "RST login refused: wrong email or password");
            ctx.core.metrics.failed_sign_ins.inc();
            return soap(dialect, StatusCode::INTERNAL_SERVER_ERROR, rst::render_failed_authentication(dialect));
        }
        Err(error) => {
            tracing::error!(%error, "RST login failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let grant = crate::core::tickets::new_grant();
    let tokens: Vec<IssuedToken> = request
        .tokens
        .iter()
        .map(|wanted| {
            let (ticket, secret) = match scope_of(&wanted.address) {
                Some(scope) => {
                    let (token, secret) = ctx.core.tickets.issue_in(grant, &account, scope, true);
                    (format!("t={token}&p="), secret.unwrap_or_default())
                }
                // Services not served yet get a token that unlocks nothing.
                None if wanted.address == PASSPORT_TB => {
                    (crate::core::random_token(), rand::random::<[u8; 24]>().to_vec())
                }
                None => (format!("t={}&p=", crate::core::random_token()), rand::random::<[u8; 24]>().to_vec()),
            };
            IssuedToken { address: wanted.address.clone(), ticket, binary_secret: Some(BASE64.encode(secret)) }
        })
        .collect();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let expires = now + ctx.core.config.ticket_lifetime;
    let created = now.format(&Rfc3339).unwrap_or_default();
    let expires = expires.format(&Rfc3339).unwrap_or_default();
    let grant = Grant {
        puid: account.id as u64,
        cid: account.id as u64,
        email: &account.email,
        created: &created,
        expires: &expires,
    };
    soap(dialect, StatusCode::OK, rst::render_response(dialect, &tokens, &grant))
}

pub async fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}
