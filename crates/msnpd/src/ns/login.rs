//! `VER`, `CVR`, `USR`: negotiating the dialect and signing in with a
//! Passport ticket (TWN), then the profile message.

use msnp::dialect::{AuthScheme, UsrOkForm, VersionOffer};
use msnp::text::encode_param;
use msnp::{ErrorCode, Frame};

use super::Md5Challenge;
use super::{Login, SUPPORTED, Session};
use crate::core::tickets::{TicketScope, ticket_token};
use crate::core::{accounts::normalize_email, unix_now};
use msnp::auth::constant_time_eq;

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

    /// `USR n TWN|MD5 I email`, then `USR n TWN S ticket` or `USR n MD5 S md5hex`.
    pub(super) async fn usr(&mut self, trid: u32, frame: &Frame) {
        if self.login == Login::LoggedIn {
            return self.error(ErrorCode::AlreadyLoggedIn, trid);
        }
        if self.login == Login::Start || self.owes_cvr {
            return self.error(ErrorCode::NotExpected, trid);
        }
        let scheme = self.dialect.auth_scheme();
        let expected = match scheme {
            AuthScheme::Twn => "TWN",
            AuthScheme::Md5 => "MD5",
            AuthScheme::Sso => "SSO",
        };
        if frame.params.get(1).map(String::as_str) != Some(expected) {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        match (frame.params.get(2).map(String::as_str), frame.params.get(3), self.login.clone()) {
            (Some("I"), Some(email), Login::Negotiated) => {
                let Some(email) = normalize_email(email) else {
                    return self.error(ErrorCode::InvalidParameter, trid);
                };
                let challenge = match scheme {
                    AuthScheme::Md5 => self.md5_challenge(&email).await,
                    _ => Md5Challenge::None,
                };
                let offer = match &challenge {
                    Md5Challenge::Account { salt, .. } | Md5Challenge::Unusable { salt, .. } => salt.clone(),
                    Md5Challenge::None => twn_policy(),
                };
                self.login = Login::Authenticating { email, md5: challenge };
                self.send(Frame::with_params("USR", [trid.to_string(), expected.into(), "S".into(), offer]));
            }
            (Some("S"), Some(answer), Login::Authenticating { email, md5 }) => match md5 {
                Md5Challenge::None => self.check_ticket(trid, &email, answer).await,
                Md5Challenge::Account { account, hash, .. } => {
                    if constant_time_eq(answer.to_ascii_lowercase().as_bytes(), hash.as_bytes()) {
                        let session_token = crate::core::random_token();
                        self.sign_in(trid, account, &session_token).await;
                    } else {
                        self.refuse(trid, &email, "wrong password (MD5)");
                    }
                }
                Md5Challenge::Unusable { reason, .. } => self.refuse(trid, &email, reason),
            },
            (Some("I" | "S"), Some(_), _) => self.error(ErrorCode::NotExpected, trid),
            _ => self.error(ErrorCode::InvalidParameter, trid),
        }
    }

    /// The salt to send for an MD5 login. Unknown accounts and accounts without
    /// the MD5 secret get a random salt too, so the answer does not tell them apart.
    async fn md5_challenge(&self, email: &str) -> Md5Challenge {
        let random_salt = || format!("{}.{}", rand::random::<u32>(), rand::random::<u32>());
        let account = match self.ctx.core.store.account_by_email(email).await {
            Ok(Some(account)) => account,
            Ok(None) => return Md5Challenge::Unusable { salt: random_salt(), reason: "no such account" },
            Err(error) => {
                tracing::error!(%error, "MD5 login lookup failed");
                return Md5Challenge::Unusable { salt: random_salt(), reason: "database failure" };
            }
        };
        match self.ctx.core.store.legacy_md5(account.id).await {
            Ok(Some((salt, hash))) => Md5Challenge::Account { account: account.id, salt, hash },
            Ok(None) => Md5Challenge::Unusable {
                salt: random_salt(),
                reason: "the account has no MSNP2-7 MD5 secret (msnpd user passwd --legacy-md5)",
            },
            Err(error) => {
                tracing::error!(%error, "MD5 login lookup failed");
                Md5Challenge::Unusable { salt: random_salt(), reason: "database failure" }
            }
        }
    }

    async fn check_ticket(&mut self, trid: u32, email: &str, ticket: &str) {
        let token = ticket_token(ticket).to_owned();
        match self.ctx.core.tickets.check(&token, TicketScope::Messenger) {
            Some(ticket) if ticket.email == email => self.sign_in(trid, ticket.account, &token).await,
            _ => self.refuse(trid, email, "bad ticket"),
        }
    }

    /// `911` and close, with a log line that says why.
    fn refuse(&mut self, trid: u32, email: &str, reason: &str) {
        tracing::info!(peer = %self.conn.peer, %email, reason, "NS login refused");
        self.error(ErrorCode::AuthenticationFailed, trid);
        self.closing = true;
    }

    /// `INF n` → `INF n MD5` (MSNP2-7): the login schemes on offer.
    pub(super) fn inf(&mut self, trid: u32) {
        if self.login != Login::Negotiated {
            return self.error(ErrorCode::NotExpected, trid);
        }
        self.send(Frame::with_params("INF", [trid.to_string(), "MD5".to_owned()]));
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
