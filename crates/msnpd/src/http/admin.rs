//! The operator's dashboard at `/admin`, behind the password of
//! `--admin-password-file`: who is online (dialect, client, since when),
//! sign-ins and messages per minute, error codes sent with the seed's
//! description, and charts of the last hour, from the same figures as
//! `/metrics`. Server-rendered (SVG charts), refreshed every 10 seconds.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use msnp::text::escape_xml as escape;
use serde::Deserialize;

use super::pages::{cookie, csrf_ok, csrf_token, error_line, page, redirect, respond_at, set_cookie_at, visitor};
use super::web_session::{self, Visitor, WebSession};
use crate::core::unix_now;
use crate::metrics::Sample;
use crate::server::Context;

const ADMIN_COOKIE: &str = "msnpd_admin";
const ADMIN_SECONDS: i64 = 8 * 3600;
/// Online sessions listed at most (the count says how many there are).
const LISTED: usize = 200;

/// The operator password as its file says now: a new one takes effect at
/// once (and ends the sessions made under the old one). `None`: the
/// dashboard is off, or the file cannot be read.
async fn operator_password(ctx: &Context) -> Option<String> {
    let path = ctx.config.admin_password_file.as_ref()?;
    match tokio::fs::read_to_string(path).await {
        Ok(text) => text.lines().next().filter(|line| !line.is_empty()).map(str::to_owned),
        Err(error) => {
            tracing::error!(%path, %error, "the operator password file cannot be read: the dashboard is off");
            None
        }
    }
}

/// The operator's session (its cookie and the session), if signed in under
/// the current `password`.
async fn admin_session(ctx: &Context, headers: &HeaderMap, password: &str) -> Option<(String, WebSession)> {
    let token = cookie(headers, ADMIN_COOKIE)?;
    let session = web_session::check(ctx, &token, Some(password)).await?;
    Some((token, session))
}

fn off() -> Response {
    let body = "<p>The dashboard is off: start msnpd with <code>--admin-password-file FILE</code>.</p>";
    respond_at("/admin", StatusCode::NOT_FOUND, page("Dashboard", body), None)
}

fn signin_form(ctx: &Context, visitor: &str, message: Option<&str>) -> String {
    page(
        "Dashboard",
        &format!(
            "{error}<form method=\"post\" action=\"/admin/signin\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"password\">Operator password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\
             <button type=\"submit\">Sign in</button></form>",
            error = error_line(message),
            csrf = csrf_token(ctx, visitor),
        ),
    )
}

#[derive(Deserialize)]
pub struct Signin {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/signin`: the operator's password, counted by the login guard.
pub async fn signin(
    State(ctx): State<Arc<Context>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<Signin>,
) -> Response {
    let Some(password) = operator_password(&ctx).await else { return off() };
    let (visitor, new) = visitor(&headers);
    let again = |status: StatusCode, message: &str| {
        respond_at("/admin", status, signin_form(&ctx, &visitor, Some(message)), new.then_some(visitor.as_str()))
    };
    if new || !csrf_ok(&ctx, Some(&visitor), &form.csrf) {
        return again(StatusCode::FORBIDDEN, "The form expired; please send it again.");
    }
    // Counted per address: guesses from one address cannot lock the
    // operator out everywhere (the password is long; see docs/security.md).
    let Some(attempt) = ctx.core.login_guard.reserve(&format!("operator@{}", peer.ip()), Some(peer.ip())) else {
        return again(StatusCode::TOO_MANY_REQUESTS, "Too many wrong passwords; try later.");
    };
    if !msnp::auth::constant_time_eq(password.as_bytes(), form.password.as_bytes()) {
        attempt.failed();
        tracing::warn!(address = %peer.ip(), "dashboard sign-in refused");
        return again(StatusCode::UNAUTHORIZED, "Wrong password.");
    }
    attempt.succeeded();
    let token = match web_session::open(&ctx, Visitor::Operator { password: &password }, ADMIN_SECONDS).await {
        Ok(token) => token,
        Err(error) => {
            tracing::error!(%error, "dashboard session not kept");
            return again(StatusCode::SERVICE_UNAVAILABLE, "The service could not sign you in; try later.");
        }
    };
    let mut response = redirect("/admin");
    set_cookie_at(&mut response, "/admin", ADMIN_COOKIE, &token, ADMIN_SECONDS);
    response
}

#[derive(Deserialize)]
pub struct Signout {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/signout`: the session ends here and on every node.
pub async fn signout(State(ctx): State<Arc<Context>>, headers: HeaderMap, Form(form): Form<Signout>) -> Response {
    let Some(password) = operator_password(&ctx).await else { return off() };
    if let Some((token, session)) = admin_session(&ctx, &headers, &password).await
        && csrf_ok(&ctx, Some(&token), &form.csrf)
    {
        session.end(&ctx).await;
    }
    let mut response = redirect("/admin");
    set_cookie_at(&mut response, "/admin", ADMIN_COOKIE, "", 0);
    response
}

/// `GET /admin`.
pub async fn dashboard(State(ctx): State<Arc<Context>>, headers: HeaderMap) -> Response {
    let Some(password) = operator_password(&ctx).await else { return off() };
    let Some((token, _)) = admin_session(&ctx, &headers, &password).await else {
        let (visitor, new) = visitor(&headers);
        return respond_at(
            "/admin",
            StatusCode::OK,
            signin_form(&ctx, &visitor, None),
            new.then_some(visitor.as_str()),
        );
    };
    let mut response = respond_at("/admin", StatusCode::OK, render(&ctx, &token), None);
    if let Ok(value) = axum::http::HeaderValue::from_str("10") {
        response.headers_mut().insert("Refresh", value);
    }
    response
}

/// The change of a counter over the last minute of samples (or since the first).
fn per_minute(history: &[Sample], now: Sample, counter: fn(&Sample) -> u64) -> u64 {
    let since = history.iter().find(|s| s.at >= now.at - 60).or(history.first()).copied().unwrap_or(now);
    counter(&now).saturating_sub(counter(&since))
}

fn render(ctx: &Context, session: &str) -> String {
    let metrics = &ctx.core.metrics;
    let history = metrics.history();
    let now = Sample {
        at: unix_now(),
        sessions: ctx.core.hub.session_count(),
        sign_ins: metrics.sign_ins.get(),
        failed_sign_ins: metrics.failed_sign_ins.get(),
        messages: metrics.messages_relayed.get(),
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<p class=\"note\">This node, refreshed every 10 seconds. The same figures for Prometheus: <code>/metrics</code>.</p>\
         <dl class=\"figures\"><div><dt>Sessions</dt><dd id=\"sessions\">{sessions}</dd></div>\
         <div><dt>Accounts online</dt><dd>{accounts}</dd></div>\
         <div><dt>Sign-ins, last minute</dt><dd id=\"sign-ins\">{sign_ins}</dd></div>\
         <div><dt>Failed sign-ins, last minute</dt><dd>{failed}</dd></div>\
         <div><dt>Messages, last minute</dt><dd id=\"messages\">{messages}</dd></div></dl>",
        sessions = now.sessions,
        accounts = ctx.core.hub.online_count(),
        sign_ins = per_minute(&history, now, |s| s.sign_ins),
        failed = per_minute(&history, now, |s| s.failed_sign_ins),
        messages = per_minute(&history, now, |s| s.messages),
    );
    let mut points = history.clone();
    points.push(now);
    let step = |counter: fn(&Sample) -> u64| -> Vec<f64> {
        points.windows(2).map(|w| counter(&w[1]).saturating_sub(counter(&w[0])) as f64).collect()
    };
    body.push_str(&chart("Sessions, last hour", &points.iter().map(|s| s.sessions as f64).collect::<Vec<_>>()));
    body.push_str(&chart("Sign-ins per 10 s, last hour", &step(|s| s.sign_ins)));
    body.push_str(&chart("Messages per 10 s, last hour", &step(|s| s.messages)));

    body.push_str("<h2>Error codes sent</h2>");
    let errors = metrics.errors();
    if errors.is_empty() {
        body.push_str("<p>None yet.</p>");
    } else {
        body.push_str("<table><thead><tr><th scope=\"col\">Code</th><th scope=\"col\">Sent</th><th scope=\"col\">Meaning (seed)</th></tr></thead><tbody>");
        for (code, count) in errors {
            let meaning = msnp::ErrorCode::from_code(code).map_or("not in the seed", |c| c.description());
            let _ = write!(body, "<tr><td>{code}</td><td>{count}</td><td>{}</td></tr>", escape(meaning));
        }
        body.push_str("</tbody></table>");
    }

    let mut online: Vec<(String, String, i64)> = ctx
        .core
        .hub
        .all()
        .iter()
        .flat_map(|account| {
            let state = account.lock();
            state.sessions.iter().map(|s| (account.email.clone(), s.client.to_string(), s.since)).collect::<Vec<_>>()
        })
        .collect();
    online.sort();
    let _ = write!(body, "<h2>Online ({})</h2>", online.len());
    body.push_str("<table><thead><tr><th scope=\"col\">Account</th><th scope=\"col\">Dialect and client</th><th scope=\"col\">Since (UTC)</th></tr></thead><tbody>");
    for (email, client, since) in online.iter().take(LISTED) {
        let since = time::OffsetDateTime::from_unix_timestamp(*since)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        let client: String = client.chars().take(64).collect();
        let _ =
            write!(body, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(email), escape(&client), escape(&since));
    }
    body.push_str("</tbody></table>");
    if online.len() > LISTED {
        let _ = write!(body, "<p class=\"note\">…and {} more.</p>", online.len() - LISTED);
    }
    let signout = format!(
        "<form method=\"post\" action=\"/admin/signout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">Sign out</button></form>",
        csrf_token(ctx, session)
    );
    page("Dashboard", &format!("<style>{DASHBOARD_STYLE}</style>{body}{signout}"))
}

pub(super) const DASHBOARD_STYLE: &str = ".figures{display:flex;flex-wrap:wrap;gap:1rem}.figures div{background:#f4f7fb;padding:.5rem .8rem;border-radius:6px}\
dt{font-size:.85em;color:#456}dd{margin:0;font-size:1.6em;font-weight:700}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.25rem .4rem;border-bottom:1px solid #dde}\
figure{margin:.8rem 0}figcaption{font-weight:600}svg{background:#f7f9fc;border-radius:4px}";

/// A line chart of `values` (oldest first) as inline SVG, with its maximum.
fn chart(title: &str, values: &[f64]) -> String {
    if values.len() < 2 {
        return format!(
            "<figure><figcaption>{}</figcaption><p class=\"note\">Not enough samples yet (one every 10 s).</p></figure>",
            escape(title)
        );
    }
    let (width, height) = (600.0, 100.0);
    let max = values.iter().copied().fold(0.0_f64, f64::max).max(1.0);
    let count = values.len().max(2) as f64 - 1.0;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", i as f64 / count * width, height - v / max * (height - 4.0) - 2.0))
        .collect();
    format!(
        "<figure><figcaption>{title} (peak {max})</figcaption>\
         <svg viewBox=\"0 0 600 100\" width=\"100%\" height=\"100\" role=\"img\" aria-label=\"{title}\">\
         <polyline fill=\"none\" stroke=\"#1f6fd1\" stroke-width=\"2\" points=\"{points}\"/></svg></figure>",
        title = escape(title),
        max = max as u64,
        points = points.join(" "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_from_the_samples_of_the_last_minute() {
        let sample = |at, sign_ins| Sample { at, sessions: 0, sign_ins, failed_sign_ins: 0, messages: 0 };
        let history = [sample(0, 0), sample(50, 10), sample(100, 40)];
        assert_eq!(per_minute(&history, sample(110, 45), |s| s.sign_ins), 35);
        assert_eq!(per_minute(&[], sample(5, 3), |s| s.sign_ins), 0);
        assert!(chart("x", &[1.0, 3.0]).contains("points=\"0.0,66.0 600.0,2.0\""));
    }
}
