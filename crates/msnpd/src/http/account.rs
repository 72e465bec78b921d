//! The web pages of an account: sign up, sign in, change the friendly name or
//! the password, delete the account. Plain HTML forms (labels on every field,
//! nothing that needs a script). Every form carries a CSRF token tied to a
//! cookie; sign-ups are limited per address; password checks go through the
//! login guard; passwords are never logged or shown.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use msnp::text::escape_xml as escape;
use serde::Deserialize;

use super::pages::{cookie, csrf_ok, csrf_token, error_line, page, redirect, respond_at, set_cookie_at, visitor};
use super::web_session::{self, Visitor, WebSession};
use crate::core::AccountId;
use crate::core::accounts::{AccountError, friendly_name_ok, normalize_email};
use crate::server::Context;
use crate::store::WebOwner;

/// The cookie of a signed-in account page (signed: account and expiry).
const SESSION_COOKIE: &str = "msnpd_account";
/// How long an account page stays signed in.
const SESSION_SECONDS: i64 = 3600;
/// Shortest and longest password accepted.
const PASSWORD_LENGTH: std::ops::RangeInclusive<usize> = 8..=128;

fn set_cookie(response: &mut Response, name: &str, value: &str, max_age: i64) {
    set_cookie_at(response, "/account", name, value, max_age);
}

/// A page with a status and, when the visitor has no cookie yet, the cookie
/// its CSRF token is made from.
fn respond(status: StatusCode, html: String, visitor: Option<&str>) -> Response {
    respond_at("/account", status, html, visitor)
}

fn signup_form(ctx: &Context, visitor: &str, message: Option<&str>, email: &str, name: &str) -> String {
    let csrf = csrf_token(ctx, visitor);
    page(
        "Create an account",
        &format!(
            "{error}<form method=\"post\" action=\"/account/signup\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"email\">Email address (your sign-in name)</label>\
             <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"username\" value=\"{email}\">\
             <label for=\"name\">Friendly name</label>\
             <input id=\"name\" name=\"name\" type=\"text\" maxlength=\"128\" autocomplete=\"nickname\" value=\"{name}\">\
             <label for=\"password\">Password (at least 8 characters)</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required minlength=\"8\" maxlength=\"128\" autocomplete=\"new-password\">\
             <label for=\"confirm\">Password again</label>\
             <input id=\"confirm\" name=\"confirm\" type=\"password\" required minlength=\"8\" maxlength=\"128\" autocomplete=\"new-password\">\
             <p class=\"warning\" id=\"md5-warning\">Messenger 1.0 to 4.7 (MSNP2–7) can only sign in with an old \
             scheme (MD5) that keeps a password equivalent on the server and sends a replayable answer over an \
             unencrypted line. Only tick this if you use one of those clients, and never with a password you use elsewhere.</p>\
             <label><input name=\"legacy_md5\" type=\"checkbox\" value=\"on\" aria-describedby=\"md5-warning\"> \
             Also let Messenger 1.0–4.7 sign in (MD5)</label>\
             <button type=\"submit\">Create the account</button></form>\
             <p class=\"note\">Have an account? <a href=\"/account\">Sign in to manage it</a>.</p>",
            error = error_line(message),
            email = escape(email),
            name = escape(name),
        ),
    )
}

fn closed(ctx: &Context) -> Option<Response> {
    (!ctx.config.registration).then(|| {
        let body = "<p>Sign-up is off on this service: ask its operator for an account.</p>";
        respond(StatusCode::NOT_FOUND, page("Sign-up is off", body), None)
    })
}

/// `GET /account/signup`.
pub async fn signup_page(State(ctx): State<Arc<Context>>, headers: HeaderMap) -> Response {
    if let Some(closed) = closed(&ctx) {
        return closed;
    }
    let (visitor, new) = visitor(&headers);
    respond(StatusCode::OK, signup_form(&ctx, &visitor, None, "", ""), new.then_some(visitor.as_str()))
}

#[derive(Deserialize)]
pub struct Signup {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    legacy_md5: Option<String>,
}

/// Whether a password may be used: its length, and not the email itself.
fn password_problem(password: &str, confirm: &str, email: &str) -> Option<&'static str> {
    if password != confirm {
        Some("The two passwords differ.")
    } else if !PASSWORD_LENGTH.contains(&password.chars().count()) {
        Some("A password has 8 to 128 characters.")
    } else if password.eq_ignore_ascii_case(email) {
        Some("The password must not be the email address.")
    } else {
        None
    }
}

/// A friendly name as the service keeps it: trimmed, no control characters,
/// within the length limit (counted URL-encoded, as the protocol does).
fn friendly_name(ctx: &Context, name: &str, email: &str) -> Result<String, &'static str> {
    let name = name.trim();
    let name = if name.is_empty() { email.split('@').next().unwrap_or(email) } else { name };
    if msnp::text::encode_param(name).len() > ctx.core.config.max_friendly_name {
        return Err("The friendly name is too long.");
    }
    if !friendly_name_ok(name, ctx.core.config.max_friendly_name) {
        return Err("The friendly name may not contain control characters or invisible ones that reorder text.");
    }
    Ok(name.to_owned())
}

/// `POST /account/signup`.
pub async fn signup(
    State(ctx): State<Arc<Context>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<Signup>,
) -> Response {
    if let Some(closed) = closed(&ctx) {
        return closed;
    }
    let (visitor, new) = visitor(&headers);
    let again = |status: StatusCode, message: &str| {
        let html = signup_form(&ctx, &visitor, Some(message), &form.email, &form.name);
        respond(status, html, new.then_some(visitor.as_str()))
    };
    if new || !csrf_ok(&ctx, Some(&visitor), &form.csrf) {
        return again(StatusCode::FORBIDDEN, "The form expired; please send it again.");
    }
    let Some(email) = normalize_email(&form.email) else {
        return again(StatusCode::BAD_REQUEST, "That is not an email address this service accepts.");
    };
    if let Some(problem) = password_problem(&form.password, &form.confirm, &email) {
        return again(StatusCode::BAD_REQUEST, problem);
    }
    let name = match friendly_name(&ctx, &form.name, &email) {
        Ok(name) => name,
        Err(problem) => return again(StatusCode::BAD_REQUEST, problem),
    };
    // Counted once the form is good: a mistyped one costs nothing, a real
    // attempt (a password hash) counts whether or not the address is taken.
    if !ctx.signups.allow(peer.ip()) {
        return again(StatusCode::TOO_MANY_REQUESTS, "Too many accounts were made from your address; try later.");
    }
    let row = match ctx.core.create_account(&email, &form.password, Some(&name)).await {
        Ok(row) => row,
        Err(AccountError::Exists(_)) => return again(StatusCode::CONFLICT, "That address already has an account."),
        Err(error) => {
            tracing::error!(%error, "sign-up failed");
            return again(StatusCode::SERVICE_UNAVAILABLE, "The service could not create the account; try later.");
        }
    };
    if form.legacy_md5.is_some()
        && let Err(error) = ctx.core.set_legacy_md5(row.id, Some(&form.password)).await
    {
        tracing::error!(%error, "sign-up: the MD5 secret was not kept");
    }
    tracing::info!(%email, address = %peer.ip(), "account created on the web");
    signed_in(&ctx, row.id).await
}

/// Signs the browser in to the account page and shows it.
async fn signed_in(ctx: &Context, account: AccountId) -> Response {
    match web_session::open(ctx, Visitor::Account(account), SESSION_SECONDS).await {
        Ok(token) => {
            let mut response = redirect("/account");
            set_cookie(&mut response, SESSION_COOKIE, &token, SESSION_SECONDS);
            response
        }
        Err(error) => {
            tracing::error!(%error, "account page session not kept");
            let body = "<p>The service could not sign you in; try later.</p>";
            respond(StatusCode::SERVICE_UNAVAILABLE, page("Your account", body), None)
        }
    }
}

fn signin_form(ctx: &Context, visitor: &str, message: Option<&str>) -> String {
    let csrf = csrf_token(ctx, visitor);
    let signup = if ctx.config.registration {
        "<p class=\"note\">No account yet? <a href=\"/account/signup\">Create one</a>.</p>"
    } else {
        ""
    };
    page(
        "Your account",
        &format!(
            "{error}<form method=\"post\" action=\"/account/signin\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"email\">Email address</label>\
             <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"username\">\
             <label for=\"password\">Password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\
             <button type=\"submit\">Sign in</button></form>{signup}",
            error = error_line(message),
        ),
    )
}

fn account_page(ctx: &Context, session: &str, email: &str, name: &str, message: Option<&str>) -> String {
    let csrf = csrf_token(ctx, session);
    let hidden = format!("<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">");
    page(
        "Your account",
        &format!(
            "{error}<p>Signed in as <strong>{email}</strong>.</p>\
             <form method=\"post\" action=\"/account/name\">{hidden}\
             <label for=\"name\">Friendly name</label>\
             <input id=\"name\" name=\"name\" type=\"text\" maxlength=\"128\" value=\"{name}\">\
             <button type=\"submit\">Change the name</button></form>\
             <form method=\"post\" action=\"/account/password\">{hidden}\
             <label for=\"current\">Current password</label>\
             <input id=\"current\" name=\"current\" type=\"password\" required autocomplete=\"current-password\">\
             <label for=\"password\">New password (at least 8 characters)</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required minlength=\"8\" maxlength=\"128\" autocomplete=\"new-password\">\
             <label for=\"confirm\">New password again</label>\
             <input id=\"confirm\" name=\"confirm\" type=\"password\" required minlength=\"8\" maxlength=\"128\" autocomplete=\"new-password\">\
             <label><input name=\"legacy_md5\" type=\"checkbox\" value=\"on\"> Keep letting Messenger 1.0–4.7 sign in \
             (MD5: a password equivalent on the server; see the sign-up page)</label>\
             <button type=\"submit\">Change the password</button></form>\
             <form method=\"post\" action=\"/account/delete\">{hidden}\
             <label for=\"delete-password\">Delete the account, its contacts and messages: your password</label>\
             <input id=\"delete-password\" name=\"current\" type=\"password\" required autocomplete=\"current-password\">\
             <button type=\"submit\" class=\"danger\">Delete the account</button></form>\
             <form method=\"post\" action=\"/account/signout\">{hidden}<button type=\"submit\">Sign out</button></form>",
            error = error_line(message),
            email = escape(email),
            name = escape(name),
        ),
    )
}

/// The signed-in account: its session cookie, the session, the account.
async fn current(ctx: &Context, headers: &HeaderMap) -> Option<(String, WebSession, crate::store::AccountRow)> {
    let cookie = cookie(headers, SESSION_COOKIE)?;
    let session = web_session::check(ctx, &cookie, None).await?;
    let WebOwner::Account(account) = session.owner else { return None };
    let row = ctx.core.store.account_by_id(account).await.ok()??;
    Some((cookie, session, row))
}

/// `GET /account`: the account page, or the form to sign in to it.
pub async fn account(State(ctx): State<Arc<Context>>, headers: HeaderMap) -> Response {
    if let Some((cookie, _, row)) = current(&ctx, &headers).await {
        return respond(StatusCode::OK, account_page(&ctx, &cookie, &row.email, &row.friendly_name, None), None);
    }
    let (visitor, new) = visitor(&headers);
    respond(StatusCode::OK, signin_form(&ctx, &visitor, None), new.then_some(visitor.as_str()))
}

#[derive(Deserialize)]
pub struct Signin {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /account/signin`.
pub async fn signin(
    State(ctx): State<Arc<Context>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<Signin>,
) -> Response {
    let (visitor, new) = visitor(&headers);
    let again = |status: StatusCode, message: &str| {
        respond(status, signin_form(&ctx, &visitor, Some(message)), new.then_some(visitor.as_str()))
    };
    if new || !csrf_ok(&ctx, Some(&visitor), &form.csrf) {
        return again(StatusCode::FORBIDDEN, "The form expired; please send it again.");
    }
    match ctx.core.authenticate(&form.email, &form.password, Some(peer.ip())).await {
        Ok(Some(row)) => signed_in(&ctx, row.id).await,
        Ok(None) => {
            ctx.core.metrics.failed_sign_ins.inc();
            again(StatusCode::UNAUTHORIZED, "Wrong email address or password.")
        }
        Err(error) => {
            tracing::error!(%error, "account page sign-in failed");
            again(StatusCode::SERVICE_UNAVAILABLE, "The service is unavailable; try later.")
        }
    }
}

#[derive(Deserialize)]
pub struct Change {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    legacy_md5: Option<String>,
}

/// What a signed-in form asks for (`POST /account/{action}`).
enum Action {
    Name,
    Password,
    Delete,
    Signout,
}

impl Action {
    fn from_path(action: &str) -> Option<Action> {
        match action {
            "name" => Some(Action::Name),
            "password" => Some(Action::Password),
            "delete" => Some(Action::Delete),
            "signout" => Some(Action::Signout),
            _ => None,
        }
    }
}

/// `POST /account/name|password|delete|signout`.
pub async fn change(
    State(ctx): State<Arc<Context>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::extract::Path(action): axum::extract::Path<String>,
    headers: HeaderMap,
    Form(form): Form<Change>,
) -> Response {
    let Some(action) = Action::from_path(&action) else {
        return (StatusCode::NOT_FOUND, "no such page").into_response();
    };
    let Some((cookie, session, row)) = current(&ctx, &headers).await else {
        return redirect("/account");
    };
    let again = |status: StatusCode, message: &str, name: &str| {
        respond(status, account_page(&ctx, &cookie, &row.email, name, Some(message)), None)
    };
    if !csrf_ok(&ctx, Some(&cookie), &form.csrf) {
        return again(StatusCode::FORBIDDEN, "The form expired; please send it again.", &row.friendly_name);
    }
    let password_right = |current: String| {
        let (ctx, email) = (ctx.clone(), row.email.clone());
        async move { matches!(ctx.core.authenticate(&email, &current, Some(peer.ip())).await, Ok(Some(_))) }
    };
    match action {
        Action::Signout => {
            session.end(&ctx).await;
            let mut response = redirect("/account");
            set_cookie(&mut response, SESSION_COOKIE, "", 0);
            response
        }
        Action::Name => {
            let name = match friendly_name(&ctx, &form.name, &row.email) {
                Ok(name) => name,
                Err(problem) => return again(StatusCode::BAD_REQUEST, problem, &row.friendly_name),
            };
            let changed = match ctx.core.acting_as(row.id).await {
                Ok(me) => ctx.core.set_friendly_name(&me, &name).await.is_ok(),
                Err(_) => false,
            };
            if !changed {
                return again(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The name could not be changed; try later.",
                    &row.friendly_name,
                );
            }
            again(StatusCode::OK, "The name is changed.", &name)
        }
        Action::Password => {
            if !password_right(form.current.clone()).await {
                ctx.core.metrics.failed_sign_ins.inc();
                return again(StatusCode::UNAUTHORIZED, "The current password is wrong.", &row.friendly_name);
            }
            if let Some(problem) = password_problem(&form.password, &form.confirm, &row.email) {
                return again(StatusCode::BAD_REQUEST, problem, &row.friendly_name);
            }
            if let Err(error) = ctx.core.set_password(&row.email, &form.password, form.legacy_md5.is_some()).await {
                tracing::error!(%error, "password change failed");
                return again(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The password could not be changed.",
                    &row.friendly_name,
                );
            }
            // Every session of the account ended with the old password; this
            // page goes on with a new one.
            let Ok(token) = web_session::open(&ctx, Visitor::Account(row.id), SESSION_SECONDS).await else {
                return redirect("/account");
            };
            let html = account_page(&ctx, &token, &row.email, &row.friendly_name, Some("The password is changed."));
            let mut response = respond(StatusCode::OK, html, None);
            set_cookie(&mut response, SESSION_COOKIE, &token, SESSION_SECONDS);
            response
        }
        Action::Delete => {
            if !password_right(form.current.clone()).await {
                ctx.core.metrics.failed_sign_ins.inc();
                return again(StatusCode::UNAUTHORIZED, "The password is wrong.", &row.friendly_name);
            }
            if let Err(error) = ctx.core.delete_account(&row.email).await {
                tracing::error!(%error, "account deletion failed");
                return again(StatusCode::SERVICE_UNAVAILABLE, "The account could not be deleted.", &row.friendly_name);
            }
            tracing::info!(email = %row.email, "account deleted on the web");
            let body = "<p>The account and everything kept for it are deleted.</p>";
            let mut response = respond(StatusCode::OK, page("Account deleted", body), None);
            set_cookie(&mut response, SESSION_COOKIE, "", 0);
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_the_rule() {
        assert_eq!(password_problem("longenough", "longenough", "a@b.c"), None);
        assert!(password_problem("short", "short", "a@b.c").is_some());
        assert!(password_problem("longenough", "different", "a@b.c").is_some());
        assert!(password_problem("alice@example.com", "alice@example.com", "alice@example.com").is_some());
        assert!(password_problem(&"x".repeat(129), &"x".repeat(129), "a@b.c").is_some());
    }
}
