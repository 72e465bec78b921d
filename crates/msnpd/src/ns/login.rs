//! `VER`, `CVR`, `USR`: negotiating the dialect and signing in with a
//! Passport ticket (TWN), then the profile message.

use msnp::dialect::{AuthScheme, UsrOkForm, VersionOffer};
use msnp::text::encode_param;
use msnp::{ErrorCode, Frame};

use super::{Login, SUPPORTED, Session};
use crate::core::tickets::{TicketScope, ticket_token};
use crate::core::{accounts::normalize_email, unix_now};

/// The opaque string clients copy into their Passport request (MSNP.md §2.4).
fn twn_policy() -> String {
    format!(
        "lc=1033,id=507,tw=40,fs=1,ru=http%3A%2F%2Fmessenger%2Emsn%2Ecom,ct={},kpp=1,kv=5,ver=2.1.0173.1,tpf=43f8a4c8ed940c04e3740be46c4d1619",
        unix_now()
    )
}

impl Session {
    /// `VER n MSNPx … [CVR0]` → `VER n MSNPx`, or `VER n 0` and close.
    pub(super) fn ver(&mut self, trid: u32, frame: &Frame) {
        if self.login != Login::Start {
            return self.error(ErrorCode::NotExpected, trid);
        }
        let offer = VersionOffer::parse(frame.params.iter().skip(1).map(String::as_str));
        match offer.negotiate(SUPPORTED) {
            Some(dialect) => {
                self.dialect = dialect;
                self.owes_cvr = offer.cvr0;
                self.conn.set_dialect(dialect);
                self.login = Login::Negotiated;
                self.send(Frame::with_params("VER", [trid.to_string(), dialect.to_string()]));
            }
            None => {
                self.send(Frame::with_params("VER", [trid.to_string(), "0".to_owned()]));
                self.closing = true;
            }
        }
    }

    /// `CVR n lcid os osver cpu client version codebase [email]`: the client's
    /// own version is recommended back and accepted as the minimum.
    pub(super) fn cvr(&mut self, trid: u32, frame: &Frame) {
        if self.login != Login::Negotiated {
            return self.error(ErrorCode::NotExpected, trid);
        }
        let Some(version) = frame.params.get(6) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let version = version.clone();
        self.owes_cvr = false;
        let download = format!("{}/", self.ctx.http_base);
        self.send(Frame::with_params(
            "CVR",
            [trid.to_string(), version.clone(), version.clone(), version, download.clone(), download],
        ));
    }

    pub(super) async fn usr(&mut self, trid: u32, frame: &Frame) {
        if self.login == Login::LoggedIn {
            return self.error(ErrorCode::AlreadyLoggedIn, trid);
        }
        if self.login == Login::Start || self.owes_cvr {
            return self.error(ErrorCode::NotExpected, trid);
        }
        let scheme = frame.params.get(1).map(String::as_str);
        let stage = frame.params.get(2).map(String::as_str);
        let expected = match self.dialect.auth_scheme() {
            AuthScheme::Twn => "TWN",
            AuthScheme::Md5 => "MD5",
            AuthScheme::Sso => "SSO",
        };
        if scheme != Some(expected) {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        match (stage, frame.params.get(3), &self.login) {
            (Some("I"), Some(email), Login::Negotiated) => {
                let Some(email) = normalize_email(email) else {
                    return self.error(ErrorCode::InvalidParameter, trid);
                };
                self.login = Login::Authenticating { email };
                self.send(Frame::with_params("USR", [trid.to_string(), "TWN".into(), "S".into(), twn_policy()]));
            }
            (Some("S"), Some(ticket), Login::Authenticating { email }) => {
                let email = email.clone();
                let token = ticket_token(ticket).to_owned();
                match self.ctx.core.tickets.check(&token, TicketScope::Messenger) {
                    Some(ticket) if ticket.email == email => self.sign_in(trid, ticket.account, &token).await,
                    _ => {
                        tracing::info!(peer = %self.conn.peer, %email, "NS login refused: bad ticket");
                        self.error(ErrorCode::AuthenticationFailed, trid);
                        self.closing = true;
                    }
                }
            }
            (Some("I" | "S"), Some(_), _) => self.error(ErrorCode::NotExpected, trid),
            _ => self.error(ErrorCode::InvalidParameter, trid),
        }
    }

    async fn sign_in(&mut self, trid: u32, account: i64, ticket: &str) {
        let (online, inbox) = match self.ctx.core.sign_in(account, self.dialect.version()).await {
            Ok(signed_in) => signed_in,
            Err(error) => {
                tracing::error!(%error, "sign-in failed");
                self.error(ErrorCode::InternalServerError, trid);
                self.closing = true;
                return;
            }
        };
        let friendly_name = online.lock().friendly_name.clone();
        let mut ok = vec![trid.to_string(), "OK".to_owned(), online.email.clone()];
        match self.dialect.usr_ok_form() {
            UsrOkForm::EmailFriendly => ok.push(encode_param(&friendly_name)),
            UsrOkForm::EmailFriendlyVerified => ok.extend([encode_param(&friendly_name), "1".into()]),
            UsrOkForm::EmailFriendlyVerifiedRestricted => {
                ok.extend([encode_param(&friendly_name), "1".into(), "0".into()])
            }
            UsrOkForm::EmailVerifiedRestricted => ok.extend(["1".into(), "0".into()]),
        }
        self.send(Frame::with_params("USR", ok));
        if self.dialect.sends_sbs() {
            self.send(Frame::with_params("SBS", ["0", "null"]));
        }
        let profile = self.profile(account, ticket);
        self.send(Frame::with_params("MSG", ["Hotmail", "Hotmail"]).with_payload(profile));
        tracing::info!(peer = %self.conn.peer, email = %online.email, dialect = %self.dialect, "signed in");
        self.online = Some(online);
        self.inbox = Some(inbox);
        self.login = Login::LoggedIn;
    }

    /// The `text/x-msmsgsprofile` message sent right after `USR OK` (MSNP.md §2.6).
    fn profile(&self, account: i64, ticket: &str) -> String {
        let puid = account as u64;
        let port = self.conn.peer.port();
        let mut profile = format!(
            "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: {}\r\n\
             EmailEnabled: 0\r\nMemberIdHigh: {}\r\nMemberIdLow: {}\r\nlang_preference: 1033\r\n\
             preferredEmail:\r\ncountry:\r\nPostalCode:\r\nGender:\r\nKid: 0\r\nAge:\r\nBDayPre:\r\n\
             Birthday:\r\nWallet:\r\nFlags: 1027\r\nsid: 507\r\nkv: 11\r\nMSPAuth: {ticket}\r\n",
            unix_now(),
            puid >> 32,
            puid & 0xFFFF_FFFF,
        );
        if self.dialect.profile_has_client_address() {
            // The port is sent byte-swapped, as the official server did.
            let swapped = ((port & 0xff) << 8) | (port >> 8);
            profile.push_str(&format!("ClientIP: {}\r\nClientPort: {swapped}\r\n", self.conn.peer.ip()));
        }
        if self.dialect.profile_has_abch_migrated() {
            profile.push_str("ABCHMigrated: 1\r\n");
        }
        if self.dialect.profile_has_mpop_enabled() {
            profile.push_str("MPOPEnabled: 0\r\n");
        }
        profile.push_str("\r\n");
        profile
    }
}
