//! Keep-alive, challenges, switchboard referrals, configuration files, URLs,
//! and the notices the core queues for this session.

use msnp::auth::challenge::{challenge_response, product_by_id};
use msnp::auth::constant_time_eq;

use crate::core::types::Filter;
use msnp::dialect::ListCommands;
use msnp::text::encode_param;
use msnp::xml::ml::{self, MlContact};
use msnp::xml::uux::{render_ubx, render_ubx_with_endpoints};
use msnp::{ErrorCode, Frame};

use super::Session;
use super::render::{handle_params, offline_params, presence_params};
use crate::core::hub::Notice;
use crate::core::presence::Status;

const SHIELDS: &str = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<config>\n\t<shield><cli maj=\"7\" min=\"0\" minbld=\"0\" maxbld=\"9999\" deny=\" \" /></shield>\n\t<block></block>\n</config>";

/// The `NOT` that tells an MSNP13+ client its address book changed elsewhere
/// (siteid 45705, Service ABCHInternal, the owner's CID), so it fetches it again.
/// `NotificationData` is in no namespace: MSNPSharp finds it by an XPath
/// without one (`//NotificationData/Service`), and a default namespace hides it.
fn abch_notification(account: i64, email: &str) -> String {
    let puid = account as u64;
    let now =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    format!(
        concat!(
            r#"<NOTIFICATION id="0" siteid="45705" siteurl="http://contacts.msn.com"><TO pid="0x{hi:08x}:0x{lo:08x}" name="{email}"><VIA agent="messenger" /></TO>"#,
            r#"<MSG id="0"><SUBSCR url="s.htm" /><ACTION url="a.htm" /><BODY>&lt;NotificationData xmlns:xsd=&quot;http://www.w3.org/2001/XMLSchema&quot; xmlns:xsi=&quot;http://www.w3.org/2001/XMLSchema-instance&quot;&gt;"#,
            r#"&lt;Service&gt;ABCHInternal&lt;/Service&gt;&lt;CID&gt;{cid}&lt;/CID&gt;&lt;LastModifiedDate&gt;{now}&lt;/LastModifiedDate&gt;"#,
            r#"&lt;HasNewItem&gt;false&lt;/HasNewItem&gt;&lt;/NotificationData&gt;</BODY></MSG></NOTIFICATION>"#
        ),
        hi = puid >> 32,
        lo = puid & 0xFFFF_FFFF,
        email = msnp::text::escape_xml(email),
        cid = account,
        now = now
    )
}

impl Session {
    /// `PNG` → `QNG [seconds]`.
    pub(super) fn png(&mut self) {
        if self.dialect.qng_has_seconds() {
            self.send(Frame::with_params("QNG", [self.ctx.config.ping_interval_secs.to_string()]));
        } else {
            self.send(Frame::new("QNG"));
        }
    }

    /// Sends `CHL 0 <challenge>`; the answer comes in `QRY`.
    pub(super) fn send_challenge(&mut self) {
        if self.dialect.challenge().is_none() || self.challenge.is_some() {
            return;
        }
        let digits: String = (0..20).map(|_| char::from(b'0' + rand::random_range(0..10u8))).collect();
        self.send(Frame::new("CHL").param(0).param(&digits));
        self.challenge = Some((digits, tokio::time::Instant::now()));
    }

    /// `QRY n product-id 32` + the answer to the outstanding challenge.
    pub(super) fn qry(&mut self, trid: u32, frame: &Frame) {
        let (Some(algorithm), Some((challenge, _))) = (self.dialect.challenge(), self.challenge.clone()) else {
            return self.error(ErrorCode::NotExpected, trid);
        };
        let product = frame.params.get(1).and_then(product_by_id);
        let answer = frame.payload.as_deref().unwrap_or_default();
        let correct = product.is_some_and(|product| {
            let expected = challenge_response(algorithm, &challenge, product.id, product.key);
            constant_time_eq(answer, expected.as_bytes())
        });
        if correct {
            self.challenge = None;
            self.send(Frame::with_params("QRY", [trid.to_string()]));
        } else if self.ctx.config.enforce_challenge {
            tracing::info!(peer = %self.conn.peer, product = ?frame.params.get(1), "wrong challenge answer; closing");
            self.error(ErrorCode::ChallengeFailed, trid);
            self.closing = true;
        } else {
            tracing::info!(peer = %self.conn.peer, "wrong challenge answer tolerated (enforcement off)");
            self.challenge = None;
            self.send(Frame::with_params("QRY", [trid.to_string()]));
        }
    }

    /// `XFR n SB` → a switchboard address and a single-use cookie.
    pub(super) fn xfr(&mut self, trid: u32, frame: &Frame) {
        if frame.params.get(1) != Some("SB") {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        let Some(me) = self.me() else { return };
        let visible = me.lock().presence.as_ref().is_some_and(|p| p.status != Status::Hidden);
        if !visible {
            return self.error(ErrorCode::NotAllowedWhenHidden, trid);
        }
        if !self.ctx.core.switchboards.may_take_seat(me.id) {
            return self.error(ErrorCode::TooManySessions, trid);
        }
        if !self.ctx.core.switchboards.accepting_conversations() {
            return self.error(ErrorCode::SessionOverload, trid);
        }
        let (node, address) = self.ctx.core.pick_switchboard();
        let cookie = self.ctx.core.switchboards.issue_create_cookie(&me, self.dialect.version(), node);
        let mut params = vec![trid.to_string(), "SB".to_owned(), address, "CKI".to_owned(), cookie];
        params.extend(self.dialect.switchboard_referral_suffix().iter().map(|s| (*s).to_owned()));
        self.send(Frame::with_params("XFR", params));
    }

    /// `GCF n Shields.xml` (MSNP11–12) → the policy file.
    pub(super) fn gcf(&mut self, trid: u32, frame: &Frame) {
        match frame.params.get(1) {
            Some("Shields.xml") => {
                self.send(Frame::with_params("GCF", [trid.to_string(), "Shields.xml".to_owned()]).with_payload(SHIELDS))
            }
            _ => self.error(ErrorCode::InvalidParameter, trid),
        }
    }

    /// `URL n SERVICE` → `URL n rru url id`. There is no web mail here: every
    /// service points at the server's own web page, which says so.
    pub(super) fn url(&mut self, trid: u32, frame: &Frame) {
        let Some(service) = frame.params.get(1) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let known = [
            "INBOX",
            "FOLDERS",
            "COMPOSE",
            "MESSAGE",
            "PERSON",
            "PROFILE",
            "CHGMOB",
            "CHAT",
            "N2PACCOUNT",
            "N2PFUND",
            "MOBILE",
        ];
        if !known.contains(&service) {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        let url = format!("{}/", self.ctx.http_base);
        self.send(Frame::with_params("URL", [trid.to_string(), "/".to_owned(), url, "2".to_owned()]));
    }

    /// `IMS n ON|OFF` → `IMS n 0 ON|OFF`: while off, invitations to
    /// conversations are refused (217) as if the user were away.
    pub(super) fn ims(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let accepting = match frame.params.get(1) {
            Some("ON") => true,
            Some("OFF") => false,
            _ => return self.error(ErrorCode::InvalidParameter, trid),
        };
        me.lock().accepting_messages = accepting;
        self.send(Frame::with_params("IMS", [trid.to_string(), "0".into(), frame.params[1].to_owned()]));
    }

    /// `SND n email …` / `SDC n email … len`: inviting someone by e-mail. This
    /// service sends no mail, so the feature is honestly reported as disabled (417).
    pub(super) fn invite_by_email(&mut self, trid: u32, frame: &Frame) {
        match frame.params.get(1).and_then(crate::core::accounts::normalize_email) {
            Some(_) => self.error(ErrorCode::DisabledEverywhere, trid),
            None => self.error(ErrorCode::InvalidParameter, trid),
        }
    }

    /// MSNP16+: the user's own status and every endpoint, to this endpoint (self-UBX).
    pub(super) fn own_endpoints(&mut self) {
        // MSNP19+ has no UBX.
        if self.dialect.has_structured_messages() {
            return;
        }
        let Some(me) = self.me() else { return };
        let status = me.lock().personal_message.clone().unwrap_or_default();
        let payload = msnp::xml::uux::render_ubx_with_endpoints(&status, &self.ctx.core.endpoints(&me, true));
        self.send(Frame::with_params("UBX", handle_params(self.dialect, &me.email)).with_payload(payload));
    }

    /// `UUN n target type len` (MSNP13+) → `UUN n OK`; the target gets `UBN`.
    /// Type 4 to one of the user's own endpoints (`me;{guid}`) signs it out.
    pub(super) fn uun(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let (Some(target), Some(kind)) = (frame.params.get(1), frame.params.get(2)) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        if !kind.bytes().all(|b| b.is_ascii_digit()) || kind.is_empty() {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        let payload = frame.payload.clone().unwrap_or_default();
        let (email, guid) = match target.split_once(';') {
            Some((email, guid)) => (email, Some(guid)),
            None => (target, None),
        };
        let email = email.strip_prefix("1:").unwrap_or(email);
        let Some(email) = crate::core::accounts::normalize_email(email) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let Some(target_account) = self.ctx.core.online_by_email(&email) else {
            return self.error(ErrorCode::NotAcceptingIms, trid);
        };
        let from = match &self.machine_guid {
            Some(own) => format!("{};{own}", me.email),
            None => me.email.clone(),
        };
        let notice = Notice::Ubn { from, kind: kind.to_owned(), payload };
        let filter = match guid {
            // An endpoint on this node must exist; one elsewhere is that node's to find.
            Some(guid)
                if self.ctx.core.endpoint_session(target_account, guid).is_none()
                    && !self.ctx.core.online_elsewhere(target_account) =>
            {
                return self.error(ErrorCode::NotAcceptingIms, trid);
            }
            Some(guid) => Filter::Endpoint(guid.to_owned()),
            None => Filter::Anyone,
        };
        self.ctx.core.deliver(&[target_account], notice, filter);
        self.send(Frame::with_params("UUN", [trid.to_string(), "OK".into()]));
    }

    /// Renders a notice from the core in this session's dialect.
    pub(super) fn on_notice(&mut self, notice: Notice) {
        let dialect = self.dialect;
        if dialect.has_structured_messages()
            && matches!(notice, Notice::Presence(_) | Notice::PersonalMessage { .. } | Notice::Offline { .. })
        {
            return self.notify(notice);
        }
        match notice {
            Notice::Presence(view) => {
                self.send(Frame::with_params("NLN", presence_params(dialect, &view)));
            }
            Notice::Offline { email } => self.send(Frame::with_params("FLN", offline_params(dialect, &email))),
            Notice::PersonalMessage { email, status, endpoints } => {
                // MSNP16+ shows the contact's endpoints and what else its client published.
                let payload = if dialect.has_mpop() {
                    render_ubx_with_endpoints(&status, &endpoints)
                } else if dialect.has_uux() {
                    render_ubx(&status)
                } else {
                    return;
                };
                self.send(Frame::with_params("UBX", handle_params(dialect, &email)).with_payload(payload));
            }
            Notice::Phone { email, name, value } => {
                let mut params = Vec::with_capacity(4);
                if dialect.has_list_versions() {
                    params.push(self.serial().to_string());
                }
                params.extend([email, name]);
                if !value.is_empty() {
                    params.push(encode_param(&value));
                }
                self.send(Frame::with_params("BPR", params));
            }
            Notice::AddedBy { email, friendly_name } => {
                let name = encode_param(&friendly_name);
                if dialect.list_commands() == ListCommands::AdlRml {
                    let entry = MlContact { address: email, lists: 8, network: 1, friendly_name: Some(name) };
                    self.send(Frame::with_params("ADL", ["0"]).with_payload(ml::render(&[entry])));
                } else if dialect.has_list_versions() {
                    let serial = self.serial().to_string();
                    self.send(Frame::with_params("ADD", ["0".to_owned(), "RL".into(), serial, email, name]));
                } else {
                    self.send(Frame::with_params(
                        "ADC",
                        ["0".to_owned(), "RL".into(), format!("N={email}"), format!("F={name}")],
                    ));
                }
            }
            Notice::RemovedBy { email } => {
                if dialect.list_commands() == ListCommands::AdlRml {
                    let entry = MlContact { address: email, lists: 8, network: 1, friendly_name: None };
                    self.send(Frame::with_params("RML", ["0"]).with_payload(ml::render(&[entry])));
                } else if dialect.has_list_versions() {
                    let serial = self.serial().to_string();
                    self.send(Frame::with_params("REM", ["0".to_owned(), "RL".into(), serial, email]));
                } else {
                    self.send(Frame::with_params("REM", ["0".to_owned(), "RL".into(), format!("N={email}")]));
                }
            }
            Notice::Ring(invitation) => {
                let mut params = vec![
                    invitation.session_id.to_string(),
                    invitation.address,
                    "CKI".to_owned(),
                    invitation.cookie,
                    invitation.inviter_email,
                    encode_param(&invitation.inviter_name),
                ];
                params.extend(dialect.switchboard_referral_suffix().iter().map(|s| (*s).to_owned()));
                self.send(Frame::with_params("RNG", params));
            }
            Notice::OfflineMessages { mail_data } => {
                if dialect.list_commands() == ListCommands::AdlRml {
                    let body = format!(
                        "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsoimnotification; charset=UTF-8\r\n\r\nMail-Data: {mail_data}\r\n"
                    );
                    self.send(Frame::with_params("MSG", ["Hotmail", "Hotmail"]).with_payload(body));
                }
            }
            Notice::AddressBookChanged => {
                if dialect.list_commands() == ListCommands::AdlRml
                    && let Some(me) = self.me()
                {
                    self.send(Frame::new("NOT").with_payload(abch_notification(me.id, &me.email)));
                }
            }
            Notice::OwnEndpoints => {
                if dialect.has_mpop() {
                    self.own_endpoints();
                }
            }
            Notice::Circle { circle, event } => {
                if dialect.has_circles() {
                    self.on_circle(circle, event);
                }
            }
            Notice::Sdg { payload, .. } => {
                if dialect.has_structured_messages() {
                    self.send(Frame::with_params("SDG", ["0"]).with_payload(payload));
                }
            }
            Notice::Ubn { from, kind, payload } => {
                let goodbye = kind == "4";
                self.send(Frame::with_params("UBN", [from, kind]).with_payload(payload));
                // Type 4 is another endpoint of the user asking this one to sign out.
                if goodbye {
                    self.closing = true;
                }
            }
            Notice::ServerShutdown => {
                self.send(Frame::with_params("OUT", ["SSD"]));
                self.closing = true;
            }
            Notice::AccountDeleted | Notice::PasswordChanged => {
                self.send(Frame::new("OUT"));
                self.closing = true;
            }
            Notice::SignedInElsewhere => {
                self.send(Frame::with_params("OUT", ["OTH"]));
                self.closing = true;
                // The account is already someone else's: leave it without signing it out.
                self.online = None;
                self.inbox = None;
            }
        }
    }

    pub(super) fn serial(&self) -> i64 {
        self.online.as_ref().map_or(0, |me| me.lock().lists.serial)
    }
}
