//! The storage service (`/storageservice/SchematizedStore.asmx`): the roaming
//! profile of WLM 8.x/2009 — display name, personal message and display
//! picture — kept in the database, and the picture served over HTTP at
//! `/storage/usertile/{cid}/static`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use msnp::soap::envelope::Envelope;
use msnp::soap::storage::{self, ProfileView};

use crate::core::offline::timestamp;
use crate::core::tickets::{TicketScope, ticket_token};
use crate::core::unix_now;
use crate::server::Context;
use crate::store::Profile;

fn xml(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    response
}

fn fault(code: &str, message: &str) -> Response {
    xml(StatusCode::INTERNAL_SERVER_ERROR, storage::render_fault(code, message))
}

fn picture_id(cid: i64, version: i64) -> String {
    format!("{cid}!{}", 200 + version)
}

/// `POST /storageservice/SchematizedStore.asmx`.
pub async fn schematized_store(State(ctx): State<Arc<Context>>, body: String) -> Response {
    let Ok(envelope) = Envelope::parse(&body) else {
        return fault("BadArgument", "unreadable request");
    };
    let token = envelope.text(&["StorageUserHeader", "TicketToken"]).map(ticket_token);
    let Some(owner) = token.and_then(|t| ctx.core.tickets.check(t, TicketScope::Storage)) else {
        return fault("PermissionDenied", "bad ticket");
    };
    let cid = owner.account;
    let mut profile = match ctx.core.store.profile(cid).await {
        Ok(profile) => profile,
        Err(error) => return fault("SystemUnavailable", &error.to_string()),
    };
    let operation = envelope.operation.clone();
    let changed = match operation.as_str() {
        "GetProfile" => {
            let Some(profile) = profile else { return fault("ItemDoesNotExist", "no profile yet") };
            let modified = timestamp(profile.modified);
            let photo = match (&profile.picture_type, &profile.picture_data) {
                (Some(mime), Some(data)) => Some((
                    picture_id(cid, profile.picture_version),
                    mime.as_str(),
                    data.len() / 4 * 3,
                    format!("{}/storage/usertile/{cid}/static", ctx.http_base),
                )),
                _ => None,
            };
            let view = ProfileView {
                cid,
                display_name: &profile.display_name,
                personal_message: &profile.personal_message,
                modified: &modified,
                photo,
            };
            return xml(StatusCode::OK, storage::render_profile(&view));
        }
        "CreateProfile" => {
            profile.get_or_insert_with(Profile::default);
            true
        }
        "UpdateProfile" => {
            let Some(current) = profile.as_mut() else { return fault("ItemDoesNotExist", "no profile yet") };
            if let Some(name) = envelope.text(&["ExpressionProfile", "DisplayName"]) {
                current.display_name = name.to_owned();
            }
            if let Some(message) = envelope.text(&["ExpressionProfile", "PersonalStatus"]) {
                current.personal_message = message.to_owned();
            }
            true
        }
        "CreateDocument" | "UpdateDocument" => {
            let Some(data) = envelope.text(&["DocumentStream", "Data"]) else {
                return fault("BadArgument", "no document data");
            };
            let Ok(bytes) = BASE64.decode(data.split_whitespace().collect::<String>()) else {
                return fault("BadArgument", "document data is not base64");
            };
            if bytes.len() > ctx.config.max_picture {
                return fault("QuotaExceeded", "the picture is too large");
            }
            let mime = envelope.text(&["DocumentStream", "MimeType"]).unwrap_or("image/png").to_owned();
            let current = profile.get_or_insert_with(Profile::default);
            current.picture_type = Some(mime);
            current.picture_data = Some(BASE64.encode(&bytes));
            current.picture_version += 1;
            true
        }
        // The profile has one picture: relating it is what CreateDocument did;
        // removing the relationship removes the picture.
        "CreateRelationships" | "FindDocuments" => false,
        "DeleteRelationships" => {
            if let Some(current) = profile.as_mut() {
                current.picture_type = None;
                current.picture_data = None;
            }
            true
        }
        _ => return fault("NotImplemented", "This storage operation is not supported"),
    };
    if changed && let Some(current) = profile.as_mut() {
        current.modified = unix_now();
        if let Err(error) = ctx.core.store.put_profile(cid, current).await {
            return fault("SystemUnavailable", &error.to_string());
        }
    }
    let inner = match operation.as_str() {
        "CreateProfile" => Some(format!("{cid}!106")),
        "CreateDocument" => profile.as_ref().map(|p| picture_id(cid, p.picture_version)),
        "FindDocuments" => Some(match profile.as_ref().filter(|p| p.picture_data.is_some()) {
            Some(p) => format!(
                "<Document><ResourceID>{}</ResourceID><Name>UserTile</Name></Document>",
                picture_id(cid, p.picture_version)
            ),
            None => String::new(),
        }),
        _ => None,
    };
    xml(StatusCode::OK, storage::render_result(&operation, inner.as_deref()))
}

/// `GET /storage/usertile/{cid}/static`: the display picture.
pub async fn user_tile(State(ctx): State<Arc<Context>>, Path((cid, kind)): Path<(i64, String)>) -> Response {
    if kind != "static" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let profile = match ctx.core.store.profile(cid).await {
        Ok(Some(profile)) => profile,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let (Some(mime), Some(data)) = (profile.picture_type, profile.picture_data) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(bytes) = BASE64.decode(data) else { return StatusCode::NOT_FOUND.into_response() };
    let mut response = bytes.into_response();
    if let Ok(value) = HeaderValue::from_str(&mime) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}
