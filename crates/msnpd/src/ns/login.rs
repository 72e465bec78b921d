//! `VER`, `CVR`, `USR`: negotiating the dialect and signing in with a
//! Passport ticket (TWN), then the profile message.

use std::fmt::Write as _;

use msnp::auth::mbi;
use msnp::dialect::{AuthScheme, GcfForm, NsReferralForm, UsrOkForm, VersionOffer};
use msnp::text::encode_param;
use msnp::{ErrorCode, Frame};

use super::Proof;
use super::{Login, SUPPORTED, Session};
use crate::core::hub::SignInError;
use crate::core::sessions::SignIn;
use crate::core::tickets::{TicketScope, ticket_token};
use crate::core::{ServiceError, accounts::normalize_email, unix_now};
use msnp::auth::constant_time_eq;

/// The opaque string clients copy into their Passport request (MSNP.md §2.4).
fn twn_policy() -> String {
    format!(
        "lc=1033,id=507,tw=40,fs=1,ru=http%3A%2F%2Fmessenger%2Emsn%2Ecom,ct={},kpp=1,kv=5,ver=2.1.0173.1,tpf=43f8a4c8ed940c04e3740be46c4d1619",
        unix_now()
    )
}

/// The nonce of `USR … SSO S MBI_KEY_OLD`: exactly 64 characters, since the
/// client's encrypted block is sized for 64 bytes (MSNP.md §2.8).
fn sso_nonce() -> String {
    use base64::Engine as _;
    let bytes: [u8; 48] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The policies pushed with `GCF 0` before `USR … S` (MSNP13+).
const POLICIES: &str = concat!(
    r#"<Policies><Policy type="SHIELDS" checksum="D9705A71BA841CB38955822E048970C3"><config><shield>"#,
    r#"<cli maj="7" min="0" minbld="0" maxbld="9999" deny=" " /></shield><block></block></config></Policy>"#,
    r#"<Policy type="ABCH" checksum="03DC55910A9CB79133F1576221A80346"><policy><set id="push" service="ABCH" priority="200">"#,
    r#"<r id="pushstorage" threshold="180000" /></set></policy></Policy></Policies>"#
);

impl Session {
    /// `VER n MSNPx … [CVR0]` → `VER n MSNPx`, or `VER n 0` and close.
    pub(super) fn ver(&mut self, trid: u32, frame: &Frame) {
        if self.login != Login::Start {
            return self.error(ErrorCode::NotExpected, trid);
        }
        let offer = VersionOffer::parse(frame.params.iter().skip(1));
        match offer.negotiate(SUPPORTED) {
            Some(dialect) => {
                self.dialect = dialect;
                self.owes_cvr = offer.cvr0 && dialect.requires_cvr();
                self.conn.set_dialect(dialect);
                self.login = Login::Negotiated;
                self.send(Frame::new("VER").param(trid).param(dialect));
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
        let version = version.to_owned();
        self.client = frame.params.get(5).map(|name| (name.to_owned(), version.clone()));
        // MSNP19+ ends with a base64 block: `Version: 1`, `XfrCount: n`, …
        if self.dialect.has_structured_messages() {
            self.xfr_count = frame.params.get(9).and_then(xfr_count).unwrap_or(1);
        }
        self.owes_cvr = false;
        let version = version.as_str();
        let download = format_args!("{}/", self.ctx.http_base);
        self.send(
            Frame::new("CVR").param(trid).param(version).param(version).param(version).param(download).param(download),
        );
    }

    /// `USR n TWN|SSO|MD5 I email`, then `USR n TWN S ticket`,
    /// `USR n SSO S ticket mbi-response [guid]` or `USR n MD5 S md5hex`.
    pub(super) async fn usr(&mut self, trid: u32, frame: &Frame) {
        if self.login == Login::LoggedIn {
            // MSNP18+ clients present the circle ticket of their address book
            // (base64 of it) once signed in: `USR n SHA A ticket`.
            let sha = frame.params.get(1) == Some("SHA") && frame.params.get(2) == Some("A");
            if self.dialect.version() >= 18 && sha {
                let Some(me) = self.me() else { return };
                let ticket = frame
                    .params
                    .get(3)
                    .and_then(|text| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text).ok())
                    .and_then(|bytes| String::from_utf8(bytes).ok());
                if !ticket.is_some_and(|ticket| self.ctx.core.check_circle_ticket(&ticket, me.id)) {
                    return self.error(ErrorCode::AuthenticationFailed, trid);
                }
                let email = me.email.clone();
                self.send(Frame::with_params("USR", [trid.to_string(), "OK".into(), email, "0".into(), "0".into()]));
                return self.remind_circles();
            }
            return self.error(ErrorCode::AlreadyLoggedIn, trid);
        }
        if self.login == Login::Start || self.owes_cvr {
            return self.error(ErrorCode::NotExpected, trid);
        }
        if self.ctx.stopping.load(std::sync::atomic::Ordering::Acquire) {
            self.error(ErrorCode::ServerGoingDown, trid);
            self.closing = true;
            return;
        }
        let scheme = self.dialect.auth_scheme();
        let expected = match scheme {
            AuthScheme::Twn => "TWN",
            AuthScheme::Md5 => "MD5",
            AuthScheme::Sso => "SSO",
        };
        if frame.params.get(1) != Some(expected) {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        match (frame.params.get(2), frame.params.get(3), self.login.clone()) {
            (Some("I"), Some(email), Login::Negotiated) => {
                let Some(email) = normalize_email(email) else {
                    return self.error(ErrorCode::InvalidParameter, trid);
                };
                if self.role == super::Role::Dispatch {
                    return self.refer(trid, &email);
                }
                // Early, before any password work; the limit is enforced again at sign-in.
                if self.ctx.core.hub.session_count() >= self.ctx.config.max_sessions {
                    tracing::warn!(peer = %self.conn.peer, "login refused: the server is full");
                    self.error(ErrorCode::NotAcceptingNewUsers, trid);
                    self.closing = true;
                    return;
                }
                let (proof, offer) = match scheme {
                    AuthScheme::Md5 => self.md5_challenge(&email).await,
                    AuthScheme::Twn => (Proof::Ticket, vec![twn_policy()]),
                    AuthScheme::Sso => {
                        let nonce = sso_nonce();
                        (Proof::SsoTicket { nonce: nonce.clone() }, vec!["MBI_KEY_OLD".to_owned(), nonce])
                    }
                };
                if self.dialect.gcf_form() == Some(GcfForm::PushedAtLogin) {
                    self.send(Frame::with_params("GCF", ["0"]).with_payload(POLICIES));
                }
                self.login = Login::Authenticating { email, proof };
                let mut usr = Frame::new("USR").param(trid).param(expected).param("S");
                for word in &offer {
                    usr = usr.param(word);
                }
                self.send(usr);
            }
            (Some("S"), Some(answer), Login::Authenticating { email, proof }) => match proof {
                Proof::Ticket => self.check_ticket(trid, &email, answer, None).await,
                Proof::SsoTicket { nonce } => match frame.params.get(4) {
                    Some(response) if self.dialect.has_mpop() => {
                        // The endpoint: the machine GUID after the response, or one made up.
                        let guid =
                            frame.params.get(5).filter(|g| uuid::Uuid::try_parse(g.trim_matches(['{', '}'])).is_ok());
                        let guid = guid.map(|g| g.trim_matches(['{', '}']).to_ascii_lowercase());
                        let guid = guid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                        self.machine_guid = Some(format!("{{{guid}}}"));
                        self.check_ticket(trid, &email, answer, Some((&nonce, response))).await
                    }
                    Some(response) => self.check_ticket(trid, &email, answer, Some((&nonce, response))).await,
                    None => self.refuse(trid, &email, "no MBI_KEY response"),
                },
                // MD5 answers are password checks too: the same failure guard as Passport applies.
                Proof::Md5 { account, hash } => {
                    let ctx = self.ctx.clone();
                    match ctx.core.login_guard.reserve(&email, Some(self.conn.peer.ip())) {
                        None => self.refuse(trid, &email, "too many failed logins in the window (MD5)"),
                        Some(attempt) if constant_time_eq(answer.to_ascii_lowercase().as_bytes(), hash.as_bytes()) => {
                            attempt.succeeded();
                            let session_token = crate::core::random_token();
                            self.sign_in(trid, account, &session_token, 0, None).await;
                        }
                        Some(attempt) => {
                            attempt.failed();
                            self.refuse(trid, &email, "wrong password (MD5)");
                        }
                    }
                }
                Proof::Md5Unusable { reason } => {
                    if let Some(attempt) = self.ctx.core.login_guard.reserve(&email, Some(self.conn.peer.ip())) {
                        attempt.failed();
                    }
                    self.refuse(trid, &email, reason);
                }
            },
            (Some("I" | "S"), Some(_), _) => self.error(ErrorCode::NotExpected, trid),
            _ => self.error(ErrorCode::InvalidParameter, trid),
        }
    }

    /// The dispatch server's answer to the first `USR`: the Notification
    /// Server to sign in on, in the dialect's form; then the connection ends
    /// (the client reconnects there and starts again from `VER`).
    fn refer(&mut self, trid: u32, email: &str) {
        let server = self.ctx.core.pick_notification_server(Some(email));
        let mut params = vec![trid.to_string(), "NS".to_owned(), server];
        match self.dialect.ns_referral_form() {
            NsReferralForm::WithCurrentServer => params.extend(["0".to_owned(), self.ctx.dispatch_address.clone()]),
            NsReferralForm::UpDown => params.extend(["U".to_owned(), "D".to_owned()]),
        }
        // MSNP19+: the block again, one more referral counted.
        if self.dialect.has_structured_messages() {
            let block = format!("Version: 1\r\nXfrCount: {}\r\n", self.xfr_count.saturating_add(1));
            params.push(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, block));
        }
        self.send(Frame::with_params("XFR", params));
        self.closing = true;
    }

    /// The salt to send for an MD5 login. Unknown accounts and accounts without
    /// the MD5 secret get a salt of the same shape that is the same every
    /// time too, so no number of asks tells them apart.
    async fn md5_challenge(&self, email: &str) -> (Proof, Vec<String>) {
        let store = &self.ctx.core.store;
        let reason = match store.account_by_email(email).await {
            Ok(None) => "no such account",
            Ok(Some(account)) if !account.legacy_md5 => {
                "the account has no MSNP2-7 MD5 secret (msnpd user passwd --legacy-md5)"
            }
            Ok(Some(account)) => match store.legacy_md5(account.id).await {
                Ok(Some((salt, hash))) => return (Proof::Md5 { account: account.id, hash }, vec![salt]),
                Ok(None) => "the MD5 secret was removed meanwhile",
                Err(error) => {
                    tracing::error!(%error, "MD5 login lookup failed");
                    "database failure"
                }
            },
            Err(error) => {
                tracing::error!(%error, "MD5 login lookup failed");
                "database failure"
            }
        };
        let decoy = match self.ctx.core.decoy_md5_salt(email).await {
            Ok(salt) => salt,
            Err(error) => {
                tracing::error!(%error, "decoy salt unavailable");
                format!("{}.{}", rand::random::<u32>(), rand::random::<u32>())
            }
        };
        (Proof::Md5Unusable { reason }, vec![decoy])
    }

    /// A Passport ticket for this email; for SSO also the MBI_KEY response
    /// made with the BinarySecret issued with that ticket.
    async fn check_ticket(&mut self, trid: u32, email: &str, ticket: &str, sso: Option<(&str, &str)>) {
        let token = ticket_token(ticket).to_owned();
        let Some(found) = self.ctx.core.tickets.check(&token, TicketScope::Messenger).filter(|t| t.email == email)
        else {
            return self.refuse(trid, email, "bad ticket");
        };
        if let Some((nonce, response)) = sso {
            let Some(secret) = &found.binary_secret else {
                return self.refuse(trid, email, "ticket issued without a proof key");
            };
            if let Err(error) = mbi::verify(secret, nonce, response) {
                tracing::info!(peer = %self.conn.peer, %email, %error, "MBI_KEY response refused");
                return self.refuse(trid, email, "bad MBI_KEY response");
            }
        }
        self.sign_in(trid, found.account, &token, found.grant, Some(found.credential)).await;
    }

    /// `911` and close, with a log line that says why.
    fn refuse(&mut self, trid: u32, email: &str, reason: &str) {
        tracing::info!(peer = %self.conn.peer, %email, reason, "NS login refused");
        self.ctx.core.metrics.failed_sign_ins.inc();
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

    /// Signs `account` in; `credential` is what its ticket kept of the
    /// password (none for MSNP2–7, which checked the password itself).
    async fn sign_in(&mut self, trid: u32, account: i64, ticket: &str, grant: u64, credential: Option<u32>) {
        let endpoint = self.machine_guid.clone();
        let mpop = self.dialect.has_mpop();
        let client = match &self.client {
            Some((name, version)) => format!("{} · {name} {version}", self.dialect),
            None => self.dialect.to_string(),
        };
        let (online, mut inbox) = match self
            .ctx
            .core
            .sign_in(
                account,
                SignIn { client_tag: self.dialect.version(), client: &client, endpoint, mpop, grant, credential },
            )
            .await
        {
            Ok(signed_in) => signed_in,
            Err(SignInError::Full) => {
                tracing::warn!(peer = %self.conn.peer, "login refused: the server is full");
                self.error(ErrorCode::NotAcceptingNewUsers, trid);
                self.closing = true;
                return;
            }
            Err(SignInError::TooManyEndpoints) => {
                tracing::info!(peer = %self.conn.peer, "login refused: the account has max_endpoints endpoints");
                self.error(ErrorCode::TooManySessions, trid);
                self.closing = true;
                return;
            }
            Err(SignInError::Service(ServiceError::CredentialChanged | ServiceError::AccountGone)) => {
                let who = format!("account {account}");
                return self.refuse(trid, &who, "a ticket of an earlier password, or of a deleted account");
            }
            Err(SignInError::Service(error)) => {
                tracing::error!(%error, "sign-in failed");
                self.error(ErrorCode::InternalServerError, trid);
                self.closing = true;
                return;
            }
        };
        if !self.dialect.has_uux() {
            // Only MSNP11+ is shown its offline messages at sign-in.
            inbox.offline = None;
        }
        let friendly_name = online.lock().friendly_name.clone();
        let ok = Frame::new("USR").param(trid).param("OK").param(&online.email);
        let ok = match self.dialect.usr_ok_form() {
            UsrOkForm::EmailFriendly => ok.param(encode_param(&friendly_name)),
            UsrOkForm::EmailFriendlyVerified => ok.param(encode_param(&friendly_name)).param(1),
            UsrOkForm::EmailFriendlyVerifiedRestricted => ok.param(encode_param(&friendly_name)).param(1).param(0),
            UsrOkForm::EmailVerifiedRestricted => ok.param(1).param(0),
        };
        self.send(ok);
        if self.dialect.sends_sbs() {
            self.send(Frame::with_params("SBS", ["0", "null"]));
        }
        let profile = self.profile(account, ticket);
        self.send(Frame::with_params("MSG", ["Hotmail", "Hotmail"]).with_payload(profile));
        // Counted in /metrics; a line per sign-in only when asked for (RUST_LOG=debug).
        tracing::debug!(peer = %self.conn.peer, email = %online.email, dialect = %self.dialect, "signed in");
        let metrics = &self.ctx.core.metrics;
        metrics.sign_ins.inc();
        let client = self.client.as_ref().map(|(name, version)| (name.as_str(), version.as_str()));
        self.counted = Some(metrics.session(self.dialect.to_string(), client));
        self.online = Some(online);
        self.inbox = Some(inbox);
        self.login = Login::LoggedIn;
        self.conn.signed_in();
        if self.dialect.has_mpop() {
            self.own_endpoints();
        }
    }

    /// The `text/x-msmsgsprofile` message sent right after `USR OK` (MSNP.md §2.6).
    fn profile(&self, account: i64, ticket: &str) -> String {
        let puid = account as u64;
        let port = self.conn.peer.port();
        // Written into one string sized for it: `format!` would grow it a
        // few times over (the profile is ≈ 450 bytes with the ticket).
        let mut profile = String::with_capacity(512 + ticket.len());
        let _ = write!(
            profile,
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
            let _ = write!(profile, "ClientIP: {}\r\nClientPort: {swapped}\r\n", self.conn.peer.ip());
        }
        if self.dialect.profile_has_abch_migrated() {
            profile.push_str("ABCHMigrated: 1\r\n");
        }
        if self.dialect.profile_has_mpop_enabled() {
            profile.push_str("MPOPEnabled: 1\r\n");
        }
        profile.push_str("\r\n");
        profile
    }
}

/// The `XfrCount` of an MSNP19+ `CVR` block (base64 of `Name: value` lines).
fn xfr_count(block: &str) -> Option<u8> {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.decode(block).ok()?;
    let text = String::from_utf8(text).ok()?;
    text.lines().find_map(|line| line.strip_prefix("XfrCount:")).and_then(|n| n.trim().parse().ok())
}
