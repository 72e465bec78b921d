//! Taking a seat: `USR` opens a conversation with a cookie from `XFR`,
//! `ANS` joins one with a cookie from `RNG`.

use std::sync::Arc;

use msnp::text::encode_param;
use msnp::{Dialect, ErrorCode, Frame};

use super::{Session, outlet};
use crate::core::accounts::normalize_email;
use crate::core::switchboard::{Admission, Member, Occupant, SwitchboardError};
use crate::ns::render::caps_text;

struct Claimant {
    account: i64,
    credential: u32,
    email: String,
    machine: Option<String>,
}

impl Session {
    /// The participant as the others will see them, from the node that
    /// holds their Notification Server session.
    async fn member(&self, account: i64, email: &str, machine: Option<String>) -> Member {
        let (friendly_name, caps) = match self.ctx.core.member_state(account).await {
            Some((friendly_name, caps, _)) => (friendly_name, caps),
            None => (email.to_owned(), Default::default()),
        };
        Member { email: email.to_owned(), friendly_name, caps, machine }
    }

    /// Common checks of `USR`/`ANS`: the email is a known account, the
    /// session is new. With what stands for the account's password now,
    /// which its cookie must have been issued under.
    async fn claimant(&mut self, trid: u32, email: Option<&str>) -> Option<Claimant> {
        if self.seat.is_some() {
            self.error(ErrorCode::AlreadyLoggedIn, trid);
            return None;
        }
        // MSNP16+ adds `;{machine-guid}`: the endpoint; the account is what precedes it.
        let machine = email
            .and_then(|e| e.split_once(';'))
            .map(|(_, guid)| guid.trim_matches(['{', '}']).to_ascii_lowercase())
            .filter(|guid| uuid::Uuid::try_parse(guid).is_ok())
            .map(|guid| format!("{{{guid}}}"));
        let email = email.map(|e| e.split(';').next().unwrap_or(e)).and_then(normalize_email);
        let account = match &email {
            Some(email) => match self.ctx.core.store.account_by_email(email).await {
                Ok(account) => account,
                Err(error) => {
                    // The database failing is not the client's fault: 500, not 911.
                    tracing::error!(%error, "switchboard login lookup failed");
                    self.error(ErrorCode::InternalServerError, trid);
                    self.closing = true;
                    return None;
                }
            },
            None => None,
        };
        match (account, email) {
            (Some(account), Some(email)) => {
                let credential = self.ctx.core.tickets.credential(&account.password_hash);
                Some(Claimant { account: account.id, credential, email, machine })
            }
            _ => {
                self.error(ErrorCode::AuthenticationFailed, trid);
                self.closing = true;
                None
            }
        }
    }

    fn refuse_cookie(&mut self, trid: u32) {
        self.error(ErrorCode::AuthenticationFailed, trid);
        self.closing = true;
    }

    /// `USR n email cookie` → `USR n OK email friendly`: opens a conversation.
    pub(super) async fn usr(&mut self, trid: u32, frame: &Frame) {
        let Some(Claimant { account, credential, email, machine }) = self.claimant(trid, frame.params.get(1)).await
        else {
            return;
        };
        let Some(cookie) = frame.params.get(2) else {
            return self.refuse_cookie(trid);
        };
        match self.ctx.core.switchboards.redeem(cookie, account, credential, None) {
            Ok(Admission::Create { client_tag }) => {
                self.dialect = Dialect::new(client_tag).unwrap_or(Dialect::MSNP12);
                let member = self.member(account, &email, machine).await;
                let name = encode_param(&member.friendly_name);
                let handle = self.handle(&member, true);
                let outlet = self.take_outlet();
                match self.ctx.core.switchboards.create(Occupant { account, credential, outlet }, member) {
                    Ok(seat) => {
                        self.seat = Some(seat);
                        self.conn.signed_in();
                        self.account = Some(account);
                        self.conn.send(&Frame::with_params("USR", [trid.to_string(), "OK".into(), handle, name]));
                    }
                    Err(SwitchboardError::Overloaded) => {
                        self.error(ErrorCode::SessionOverload, trid);
                        self.closing = true;
                    }
                    Err(_) => self.too_many_conversations(trid),
                }
            }
            _ => self.refuse_cookie(trid),
        }
    }

    /// `ANS n email cookie session` → `IRO` per participant, then `ANS n OK`.
    pub(super) async fn ans(&mut self, trid: u32, frame: &Frame) {
        let Some(Claimant { account, credential, email, machine }) = self.claimant(trid, frame.params.get(1)).await
        else {
            return;
        };
        let (Some(cookie), Some(session_id)) =
            (frame.params.get(2), frame.params.get(3).and_then(|s| s.parse::<u64>().ok()))
        else {
            return self.refuse_cookie(trid);
        };
        let Ok(Admission::Join { conversation, client_tag }) =
            self.ctx.core.switchboards.redeem(cookie, account, credential, Some(session_id))
        else {
            return self.refuse_cookie(trid);
        };
        self.dialect = Dialect::new(client_tag).unwrap_or(Dialect::MSNP12);
        let member = self.member(account, &email, machine).await;
        let outlet = self.take_outlet();
        match self.ctx.core.switchboards.join(conversation, Occupant { account, credential, outlet }, member) {
            Ok(seat) => {
                // MSNP16+ lists an account's endpoints (`email;{guid}`) and then
                // the account once more by its plain email, as JOI does: clients
                // take the plain entry as "every endpoint is in" (MSNPSharp
                // starts the conversation on it). Older dialects list each
                // account once.
                let mut entries: Vec<(String, &Member)> = Vec::new();
                let mut accounts: Vec<&str> = Vec::new();
                for other in &seat.roster {
                    if !accounts.contains(&other.email.as_str()) {
                        accounts.push(&other.email);
                    }
                }
                for account in accounts {
                    let members = || seat.roster.iter().filter(move |m| m.email == account);
                    if self.dialect.has_mpop() {
                        entries.extend(members().filter(|m| m.machine.is_some()).map(|m| (self.handle(m, true), m)));
                    }
                    entries.extend(members().next().map(|m| (m.email.clone(), m)));
                }
                let total = entries.len();
                for (index, (handle, other)) in entries.into_iter().enumerate() {
                    let mut params = vec![
                        trid.to_string(),
                        (index + 1).to_string(),
                        total.to_string(),
                        handle,
                        encode_param(&other.friendly_name),
                    ];
                    if self.dialect.switchboard_has_caps() {
                        params.push(caps_text(self.dialect, other.caps));
                    }
                    self.conn.send(&Frame::with_params("IRO", params));
                }
                self.conn.send(&Frame::with_params("ANS", [trid.to_string(), "OK".into()]));
                self.seat = Some(seat);
                self.conn.signed_in();
                self.account = Some(account);
            }
            Err(SwitchboardError::TooManyConversations) => self.too_many_conversations(trid),
            Err(_) => self.refuse_cookie(trid),
        }
    }

    /// An outlet for the seat about to be taken, kept by the session too.
    fn take_outlet(&mut self) -> Option<Arc<dyn crate::core::outlet::Outlet>> {
        let outlet = Arc::new(outlet::DirectOutput::new(self.conn.shared_socket()?));
        self.outlet = Some(outlet.clone());
        Some(outlet)
    }

    /// 714: this account is in as many conversations as it may be.
    fn too_many_conversations(&mut self, trid: u32) {
        self.error(ErrorCode::TooManySessions, trid);
        self.closing = true;
    }
}
