//! The storage service (`/storageservice/SchematizedStore.asmx`): the roaming
//! profile of WLM 8.x/2009 — display name, personal message and display
//! picture — kept in the database, and the picture served over HTTP at
//! `/storage/usertile/{cid}/static?t=…`.
//!
//! Who may read a picture: whoever holds the URL the owner's `GetProfile`
//! returns (its `PreAuthURL`, pre-authenticated as the original's was). The
//! URL carries a capability drawn from the picture itself, so a CID alone —
//! which every contact, a blocked one too, sees in its address book — reads
//! nothing. Desktop clients get each other's pictures from the clients
//! themselves, named by the MSNObject in presence, which a blocked user no
//! longer sees; a client that cannot (the browser client) asks here with that
//! MSNObject's creator and SHA1D (`/storage/picture`): the same knowledge.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use msnp::soap::envelope::Envelope;
use msnp::soap::storage::{self, ProfileView, Schema};

use crate::core::accounts::friendly_name_ok;
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

fn fault(schema: Schema, code: &str, message: &str) -> Response {
    xml(StatusCode::INTERNAL_SERVER_ERROR, storage::render_fault(schema, code, message))
}

fn picture_id(cid: i64, version: i64) -> String {
    format!("{cid}!{}", 200 + version)
}

/// The capability in a picture's URL: 128 bits of SHA-256 of its bytes, so
/// it changes with the picture and cannot be had without it.
fn picture_key(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(bytes)[..16])
}

/// `POST /storageservice/SchematizedStore.asmx`.
pub async fn schematized_store(State(ctx): State<Arc<Context>>, body: String) -> Response {
    let Ok(envelope) = Envelope::parse(&body) else {
        return fault(Schema::W10, "BadArgument", "unreadable request");
    };
    // Answered in the namespace it was asked in (WLM 2009 asks in another).
    let schema = Schema::of(envelope.operation_namespace());
    let fault = |code: &str, message: &str| fault(schema, code, message);
    let token = envelope.text(&["StorageUserHeader", "TicketToken"]).map(ticket_token);
    let owner = match token {
        Some(token) => ctx.core.check_ticket(token, TicketScope::Storage).await,
        None => Ok(None),
    };
    let owner = match owner {
        Ok(Some(owner)) => owner,
        Ok(None) => return fault("PermissionDenied", "bad ticket"),
        Err(error) => return fault("SystemUnavailable", &error.to_string()),
    };
    let cid = owner.account;
    let mut profile = match ctx.core.store.profile(cid).await {
        Ok(profile) => profile,
        Err(error) => return fault("SystemUnavailable", &error.to_string()),
    };
    let operation = envelope.operation.clone();
    // Every account has a roaming profile, as every Windows Live ID had: one
    // never written reads as the account's name and nothing else.
    if profile.is_none() && matches!(operation.as_str(), "GetProfile" | "UpdateProfile") {
        profile = match ctx.core.store.account_by_id(cid).await {
            Ok(Some(account)) => Some(Profile {
                display_name: account.friendly_name,
                modified: account.created_at,
                ..Profile::default()
            }),
            Ok(None) => return fault("ItemDoesNotExist", "the account no longer exists"),
            Err(error) => return fault("SystemUnavailable", &error.to_string()),
        };
    }
    let changed = match operation.as_str() {
        "GetProfile" => {
            let Some(profile) = profile else { return fault("ItemDoesNotExist", "no profile") };
            let modified = timestamp(profile.modified);
            let photo = match (&profile.picture_type, &profile.picture_data) {
                (Some(mime), Some(data)) => Some((
                    picture_id(cid, profile.picture_version),
                    mime.as_str(),
                    data.len() / 4 * 3,
                    format!(
                        "{}/storage/usertile/{cid}/static?t={}",
                        ctx.http_base,
                        picture_key(&BASE64.decode(data).unwrap_or_default())
                    ),
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
            return xml(StatusCode::OK, storage::render_profile(schema, &view));
        }
        "CreateProfile" => {
            profile.get_or_insert_with(Profile::default);
            true
        }
        "UpdateProfile" => {
            let Some(current) = profile.as_mut() else { return fault("ItemDoesNotExist", "no profile") };
            if let Some(name) = envelope.text(&["ExpressionProfile", "DisplayName"]) {
                // Empty clears it; anything else follows the friendly name's rules.
                if !name.is_empty() && !friendly_name_ok(name, ctx.core.config.max_friendly_name) {
                    return fault("BadArgument", "the display name cannot be used");
                }
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
            // The bytes say what the picture is, not the MimeType the client claims.
            let Some(mime) = image_type(&bytes) else {
                return fault("BadArgument", "the document is not a PNG, JPEG, GIF or BMP picture");
            };
            let current = profile.get_or_insert_with(Profile::default);
            current.picture_type = Some(mime.to_owned());
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
    xml(StatusCode::OK, storage::render_result(schema, &operation, inner.as_deref()))
}

/// `GET /storage/usertile/{cid}/static?t=…`: the display picture, for the
/// holder of its URL; anyone else is told nothing more than 404.
pub async fn user_tile(
    State(ctx): State<Arc<Context>>,
    Path((cid, kind)): Path<(i64, String)>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if kind != "static" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let profile = match ctx.core.store.profile(cid).await {
        Ok(Some(profile)) => profile,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let Some(data) = profile.picture_data else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(bytes) = BASE64.decode(data) else { return StatusCode::NOT_FOUND.into_response() };
    let key = picture_key(&bytes);
    if !query.get("t").is_some_and(|given| msnp::auth::constant_time_eq(given.as_bytes(), key.as_bytes())) {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Served as what the bytes are, not as the type stored with them (a
    // picture stored before they were checked may be anything).
    let Some(mime) = image_type(&bytes) else { return StatusCode::NOT_FOUND.into_response() };
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    response
}

/// `GET /storage/picture?creator=…&sha1d=…`: an account's stored display
/// picture, for whoever names it as its MSNObject does (the creator and the
/// base64 SHA-1 of the picture), which is what a contact sees in presence.
/// Anything else, a picture since replaced included, is 404.
pub async fn picture_by_object(
    State(ctx): State<Arc<Context>>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    use sha1::Digest as _;
    let (Some(creator), Some(sha1d)) = (query.get("creator"), query.get("sha1d")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Bounded before the lookup: an address and a 28-character digest.
    if creator.len() > 129 || sha1d.len() != 28 {
        return StatusCode::NOT_FOUND.into_response();
    }
    let account = match ctx.core.store.account_by_email(&creator.to_ascii_lowercase()).await {
        Ok(Some(account)) => account,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let profile = match ctx.core.store.profile(account.id).await {
        Ok(Some(profile)) => profile,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let Some(bytes) = profile.picture_data.and_then(|data| BASE64.decode(data).ok()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let digest = BASE64.encode(sha1::Sha1::digest(&bytes));
    if !msnp::auth::constant_time_eq(digest.as_bytes(), sha1d.as_bytes()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(mime) = image_type(&bytes) else { return StatusCode::NOT_FOUND.into_response() };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    // Named by its digest: the same address is always the same picture.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400, immutable"));
    response
}

/// The picture format these bytes are, by their signature: PNG, JPEG, GIF or
/// BMP (what Messenger clients use for display pictures), else `None`.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Some("image/png"),
        [0xff, 0xd8, 0xff, ..] => Some("image/jpeg"),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some("image/gif"),
        [b'B', b'M', ..] if bytes.len() >= 26 => Some("image/bmp"),
        _ => None,
    }
}
