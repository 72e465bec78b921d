//! Offline messages over HTTP: `/OimWS/oim.asmx` (Store, Store2) to leave
//! one, `/rsi/rsi.asmx` (GetMetadata, GetMessage, DeleteMessages) to read them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use msnp::auth::challenge::{msnp11_challenge_response, product_by_id};
use msnp::auth::constant_time_eq;
use msnp::soap::envelope::Envelope;
use msnp::soap::oim;

use crate::core::offline::{OfflineError, timestamp};
use crate::core::tickets::{TicketScope, ticket_token};
use crate::server::Context;

fn xml(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    response
}

fn attribute<'a>(envelope: &'a Envelope, suffix: &[&str], name: &str) -> Option<&'a str> {
    envelope.attribute(*envelope.each(suffix).first()?, name)
}

/// `POST /OimWS/oim.asmx`: leave an offline message. The first attempt of a
/// sender gets a `LockKeyChallenge`; the next one must carry its answer,
/// computed with the client's product key as for `QRY`.
pub async fn store(State(ctx): State<Arc<Context>>, body: String) -> Response {
    let fault = |code: &str, challenge: Option<&str>| {
        xml(StatusCode::INTERNAL_SERVER_ERROR, oim::render_store_fault(code, challenge))
    };
    let Ok(envelope) = Envelope::parse(&body) else {
        return fault("InvalidContent", None);
    };
    let ticket = attribute(&envelope, &["Header", "Ticket"], "passport").map(ticket_token);
    let sender = match ticket {
        Some(ticket) => ctx.core.check_ticket(ticket, TicketScope::MessengerSecure).await.ok().flatten(),
        None => None,
    };
    let Some(sender) = sender else {
        return fault("AuthenticationFailed", None);
    };
    let from = attribute(&envelope, &["Header", "From"], "memberName").map(str::to_ascii_lowercase);
    if from.as_deref() != Some(sender.email.as_str()) {
        return fault("AuthenticationFailed", None);
    }
    let Some(to) = attribute(&envelope, &["Header", "To"], "memberName").map(str::to_ascii_lowercase) else {
        return fault("InvalidContent", None);
    };
    let product = attribute(&envelope, &["Header", "Ticket"], "appid").and_then(product_by_id);
    let lockkey = attribute(&envelope, &["Header", "Ticket"], "lockkey").unwrap_or_default();
    let challenge = {
        let mut challenges = ctx.oim_challenges.lock().unwrap_or_else(|e| e.into_inner());
        challenges
            .entry(sender.account)
            .or_insert_with(|| (0..20).map(|_| char::from(b'0' + rand::random_range(0..10u8))).collect())
            .clone()
    };
    let answered = product.is_some_and(|p| {
        let expected = msnp11_challenge_response(&challenge, p.id, p.key);
        constant_time_eq(lockkey.as_bytes(), expected.as_bytes())
    });
    if !answered {
        return fault("AuthenticationFailed", Some(&challenge));
    }
    let Some(content) = envelope.text(&["Body", "Content"]).map(str::to_owned) else {
        return fault("InvalidContent", None);
    };
    match ctx.core.leave_offline_message(sender.account, &to, content).await {
        Ok(_) => xml(StatusCode::OK, oim::render_stored()),
        Err(OfflineError::UnknownRecipient | OfflineError::NotAllowed) => fault("InvalidRecipient", None),
        Err(OfflineError::TooLarge) => fault("MessageTooLarge", None),
        Err(OfflineError::MailboxFull | OfflineError::SenderShareFull) => fault("QuotaExceeded", None),
        Err(OfflineError::Service(error)) => {
            tracing::error!(%error, "offline message not stored");
            fault("SystemUnavailable", None)
        }
    }
}

/// `POST /rsi/rsi.asmx`: read and delete offline messages, authenticated by
/// the messenger.msn.com ticket split into `PassportCookie` `t` and `p`.
pub async fn rsi(State(ctx): State<Arc<Context>>, body: String) -> Response {
    let fault =
        |code: &str, message: &str| xml(StatusCode::INTERNAL_SERVER_ERROR, oim::render_rsi_fault(code, message));
    let Ok(envelope) = Envelope::parse(&body) else {
        return fault("InvalidRequest", "unreadable request");
    };
    let token = envelope.text(&["PassportCookie", "t"]).map(ticket_token);
    let owner = match token {
        Some(token) => ctx.core.check_ticket(token, TicketScope::Messenger).await,
        None => Ok(None),
    };
    let owner = match owner {
        Ok(Some(owner)) => owner,
        Ok(None) => return fault("AuthenticationFailed", "bad ticket"),
        Err(error) => return fault("SystemUnavailable", &error.to_string()),
    };
    match envelope.operation.as_str() {
        "GetMetadata" => match ctx.core.mail_data(owner.account).await {
            Ok(data) => xml(StatusCode::OK, oim::render_metadata(&data)),
            Err(error) => fault("SystemUnavailable", &error.to_string()),
        },
        "GetMessage" => {
            let Some(id) = envelope.text(&["GetMessage", "messageId"]) else {
                return fault("InvalidRequest", "messageId is required");
            };
            let messages = match ctx.core.store.offline_messages(owner.account).await {
                Ok(messages) => messages,
                Err(error) => return fault("SystemUnavailable", &error.to_string()),
            };
            let Some(message) = messages.into_iter().find(|m| m.id == id) else {
                return fault("MessageDoesNotExist", "no such message");
            };
            if envelope.text(&["GetMessage", "alsoMarkAsRead"]) == Some("true") {
                let _ = ctx.core.store.mark_offline_message_read(owner.account, id).await;
            }
            let text = format!(
                "From: =?utf-8?B?{}?= <{}>\r\nTo: <{}>\r\nDate: {}\r\n{}",
                BASE64.encode(message.sender_name.as_bytes()),
                message.sender_email,
                owner.email,
                timestamp(message.received_at),
                message.content
            );
            xml(StatusCode::OK, oim::render_message(&text))
        }
        "DeleteMessages" => {
            let ids: Vec<String> =
                envelope.texts(&["messageIds", "messageId"]).into_iter().map(str::to_owned).collect();
            match ctx.core.store.delete_offline_messages(owner.account, &ids).await {
                Ok(_) => xml(StatusCode::OK, oim::render_deleted()),
                Err(error) => fault("SystemUnavailable", &error.to_string()),
            }
        }
        _ => fault("InvalidRequest", "unknown operation"),
    }
}
