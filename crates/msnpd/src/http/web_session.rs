//! Signed-in web pages: the cookie is sealed with the service's key (so a
//! made-up one costs no database query) and names a session kept in the
//! database (so signing out, a new password or a deleted account ends it on
//! every node). The operator's sessions also carry a fingerprint of the
//! operator password: a new password ends them all.

use sha2::{Digest, Sha256};

use crate::core::tokens::{Purpose, Reader, Writer};
use crate::core::{AccountId, unix_now};
use crate::server::Context;
use crate::store::{StoreError, WebOwner};

/// Random bytes naming a session.
const ID: usize = 16;

/// Who signs in to a page: an account, or the operator with the operator
/// password of the moment.
#[derive(Clone, Copy)]
pub(super) enum Visitor<'a> {
    Account(AccountId),
    Operator { password: &'a str },
}

/// A signed-in page's session, as its cookie named it.
pub(super) struct WebSession {
    pub owner: WebOwner,
    /// What the database keeps of the id: its hash.
    id_hash: String,
}

fn id_hash(id: &[u8]) -> String {
    hex::encode(Sha256::digest(id))
}

/// What ties an operator's session to the operator password.
fn fingerprint(ctx: &Context, password: &str) -> [u8; 8] {
    let derived = ctx.core.signer.derive(Purpose::AdminPage, password.as_bytes());
    let mut fingerprint = [0; 8];
    fingerprint.copy_from_slice(&derived[..8]);
    fingerprint
}

/// Starts a session for `lifetime` seconds; its cookie value.
pub(super) async fn open(ctx: &Context, visitor: Visitor<'_>, lifetime: i64) -> Result<String, StoreError> {
    let now = unix_now();
    let expires = now + lifetime;
    let id: [u8; ID] = rand::random();
    let (owner, purpose, account) = match visitor {
        Visitor::Account(account) => (WebOwner::Account(account), Purpose::AccountPage, account),
        Visitor::Operator { .. } => (WebOwner::Operator, Purpose::AdminPage, 0),
    };
    ctx.core.store.add_web_session(&id_hash(&id), owner, expires, now).await?;
    let mut payload = Writer::default().i64(account).i64(expires).bytes(&id);
    if let Visitor::Operator { password } = visitor {
        payload = payload.bytes(&fingerprint(ctx, password));
    }
    Ok(ctx.core.signer.seal(purpose, &payload.finish()))
}

/// The session `token` names, if it is current and still kept: an
/// account's, or with `operator_password` the operator's made under it.
pub(super) async fn check(ctx: &Context, token: &str, operator_password: Option<&str>) -> Option<WebSession> {
    let purpose = if operator_password.is_some() { Purpose::AdminPage } else { Purpose::AccountPage };
    let payload = ctx.core.signer.open(purpose, token)?;
    let mut reader = Reader::new(&payload);
    let (account, expires) = (reader.i64()?, reader.i64()?);
    let (id, rest) = reader.rest().split_at_checked(ID)?;
    let owner = match operator_password {
        Some(password) if rest == fingerprint(ctx, password) => WebOwner::Operator,
        None if rest.is_empty() => WebOwner::Account(account),
        _ => return None,
    };
    let now = unix_now();
    if expires <= now {
        return None;
    }
    let id_hash = id_hash(id);
    match ctx.core.store.web_session_open(&id_hash, owner, now).await {
        Ok(true) => Some(WebSession { owner, id_hash }),
        Ok(false) => None,
        Err(error) => {
            tracing::error!(%error, "web session check failed");
            None
        }
    }
}

impl WebSession {
    /// Signs this page out, on every node.
    pub(super) async fn end(&self, ctx: &Context) {
        if let Err(error) = ctx.core.store.end_web_session(&self.id_hash).await {
            tracing::error!(%error, "web sign-out not kept");
        }
    }
}
