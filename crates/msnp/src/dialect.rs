//! Protocol dialects MSNP2..MSNP21 and every way they differ.
//!
//! Handlers ask the dialect a question ("does this dialect use ADC?") instead of
//! comparing version numbers, so each difference is decided here, once.

use std::fmt;
use std::ops::RangeInclusive;

/// One MSNP protocol version, 2 through 21.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dialect(u8);

/// How a client proves who it is at `USR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `USR MD5 I/S` with a salted MD5 of the password (MSNP2–7).
    Md5,
    /// `USR TWN I/S` with a Passport 1.4 or RST ticket (MSNP8–14).
    Twn,
    /// `USR SSO I/S` with a ticket and the MBI_KEY response blob (MSNP15+).
    Sso,
}

/// The shape of the `USR … OK` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsrOkForm {
    /// `USR n OK email friendly` (MSNP2–5).
    EmailFriendly,
    /// `USR n OK email friendly verified` (MSNP6–7).
    EmailFriendlyVerified,
    /// `USR n OK email friendly verified restricted` (MSNP8–9).
    EmailFriendlyVerifiedRestricted,
    /// `USR n OK email verified restricted` (MSNP10+).
    EmailVerifiedRestricted,
}

/// How the contact list reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSync {
    /// `SYN n ver` then `LST n LIST ver i total email name` per list (MSNP2–6).
    PerList,
    /// As `PerList`, with `LSG` group lines and group ids on FL entries (MSNP7).
    PerListWithGroups,
    /// `SYN n ver contacts groups`, one `LST email name bits groups` per contact (MSNP8–9).
    Bitmask,
    /// `SYN n ts ts contacts groups`, `LST N= F= C= bits [netid] groups` with GUIDs (MSNP10–12).
    Guid,
    /// No `SYN`: the SOAP address book plus `ADL`/`RML` (MSNP13+).
    AddressBook,
}

/// Which commands change the forward/allow/block lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListCommands {
    /// `ADD`/`REM` with list versions (MSNP2–9).
    AddRem,
    /// `ADC`/`REM` with contact and group GUIDs (MSNP10–12).
    AdcRem,
    /// `ADL`/`RML` over the SOAP address book (MSNP13+).
    AdlRml,
}

/// The challenge (`CHL`/`QRY`) algorithm of a dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeAlgorithm {
    /// `md5(challenge || product key)` (MSNP6–10).
    Md5,
    /// The MSNP11 hash over `challenge || product id` keyed by the product key (MSNP11+).
    Msnp11,
}

/// The shape of the dispatch server's `XFR … NS` referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NsReferralForm {
    /// `XFR n NS host:port 0 current-host:port` (MSNP2–12): a real MSNP2
    /// client's session with the original dispatch server got this form too.
    WithCurrentServer,
    /// `XFR n NS host:port U D` (MSNP13+; BitlBee's MSNP18 code wants six words).
    UpDown,
}

/// How the client gets the `Shields.xml` policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcfForm {
    /// The client asks `GCF n Shields.xml` and gets `GCF n Shields.xml len` (MSNP11–12).
    OnRequest,
    /// The server pushes `GCF 0 len` policies before `USR … S` (MSNP13+).
    PushedAtLogin,
}

impl Dialect {
    pub const MSNP2: Dialect = Dialect(2);
    pub const MSNP3: Dialect = Dialect(3);
    pub const MSNP4: Dialect = Dialect(4);
    pub const MSNP5: Dialect = Dialect(5);
    pub const MSNP6: Dialect = Dialect(6);
    pub const MSNP7: Dialect = Dialect(7);
    pub const MSNP8: Dialect = Dialect(8);
    pub const MSNP9: Dialect = Dialect(9);
    pub const MSNP10: Dialect = Dialect(10);
    pub const MSNP11: Dialect = Dialect(11);
    pub const MSNP12: Dialect = Dialect(12);
    pub const MSNP13: Dialect = Dialect(13);
    pub const MSNP14: Dialect = Dialect(14);
    pub const MSNP15: Dialect = Dialect(15);
    pub const MSNP16: Dialect = Dialect(16);
    pub const MSNP17: Dialect = Dialect(17);
    pub const MSNP18: Dialect = Dialect(18);
    pub const MSNP19: Dialect = Dialect(19);
    pub const MSNP20: Dialect = Dialect(20);
    pub const MSNP21: Dialect = Dialect(21);

    /// The oldest and newest dialects this crate models.
    pub const OLDEST: Dialect = Dialect::MSNP2;
    pub const NEWEST: Dialect = Dialect::MSNP21;

    /// The dialect with this version number, if it is one of 2..=21.
    pub const fn new(version: u8) -> Option<Dialect> {
        if version >= Self::OLDEST.0 && version <= Self::NEWEST.0 { Some(Dialect(version)) } else { None }
    }

    /// The version number (8 for MSNP8).
    pub const fn version(self) -> u8 {
        self.0
    }

    /// Every dialect, oldest first.
    pub fn all() -> impl DoubleEndedIterator<Item = Dialect> {
        (Self::OLDEST.0..=Self::NEWEST.0).map(Dialect)
    }

    /// Parses a `VER` token such as `MSNP8` (exact case, as clients send it).
    pub fn from_token(token: &str) -> Option<Dialect> {
        let digits = token.strip_prefix("MSNP")?;
        if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().and_then(Dialect::new)
    }

    const fn within(self, first: u8, last: u8) -> bool {
        self.0 >= first && self.0 <= last
    }

    const fn since(self, first: u8) -> bool {
        self.0 >= first
    }

    pub const fn auth_scheme(self) -> AuthScheme {
        if self.within(2, 7) {
            AuthScheme::Md5
        } else if self.within(8, 14) {
            AuthScheme::Twn
        } else {
            AuthScheme::Sso
        }
    }

    /// `INF n` → `INF n MD5` exists (MSNP2–7; later dialects answer it with an error).
    pub const fn has_inf(self) -> bool {
        self.within(2, 7)
    }

    /// `CVR` is required before `USR` (MSNP8+). Older clients may offer `CVR0`
    /// in `VER` and then never send `CVR`: a real MSNP2 client goes straight
    /// from `VER` to `USR`.
    pub const fn requires_cvr(self) -> bool {
        self.since(8)
    }

    pub const fn usr_ok_form(self) -> UsrOkForm {
        if self.within(2, 5) {
            UsrOkForm::EmailFriendly
        } else if self.within(6, 7) {
            UsrOkForm::EmailFriendlyVerified
        } else if self.within(8, 9) {
            UsrOkForm::EmailFriendlyVerifiedRestricted
        } else {
            UsrOkForm::EmailVerifiedRestricted
        }
    }

    pub const fn list_sync(self) -> ListSync {
        match self.0 {
            2..=6 => ListSync::PerList,
            7 => ListSync::PerListWithGroups,
            8..=9 => ListSync::Bitmask,
            10..=12 => ListSync::Guid,
            _ => ListSync::AddressBook,
        }
    }

    pub const fn list_commands(self) -> ListCommands {
        match self.0 {
            2..=9 => ListCommands::AddRem,
            10..=12 => ListCommands::AdcRem,
            _ => ListCommands::AdlRml,
        }
    }

    /// Lists carry a serial number ("list version") on every change (MSNP2–9).
    pub const fn has_list_versions(self) -> bool {
        self.within(2, 9)
    }

    /// Contact groups (`ADG`/`RMG`/`REG`/`LSG`) exist (MSNP7+).
    pub const fn has_groups(self) -> bool {
        self.since(7)
    }

    /// The pending list PL (bit 16) exists (MSNP10+).
    pub const fn has_pending_list(self) -> bool {
        self.since(10)
    }

    /// Renaming yourself is `REA` (MSNP2–9) rather than `PRP MFN` (MSNP10+).
    pub const fn renames_with_rea(self) -> bool {
        self.within(2, 9)
    }

    /// Phone properties `PRP PHH…` and `BPR` exist (MSNP5+).
    pub const fn has_phone_properties(self) -> bool {
        self.since(5)
    }

    /// `LST` lines carry the contact's network id after the list bits (MSNP12 only).
    pub const fn lst_has_network_id(self) -> bool {
        self.0 == 12
    }

    /// `QNG` carries the seconds until the next expected `PNG` (MSNP9+).
    pub const fn qng_has_seconds(self) -> bool {
        self.since(9)
    }

    /// The challenge algorithm, if the dialect has `CHL`/`QRY` (MSNP6+).
    pub const fn challenge(self) -> Option<ChallengeAlgorithm> {
        match self.0 {
            0..=5 => None,
            6..=10 => Some(ChallengeAlgorithm::Md5),
            _ => Some(ChallengeAlgorithm::Msnp11),
        }
    }

    /// Presence lines carry client capabilities (MSNP8+).
    pub const fn presence_has_caps(self) -> bool {
        self.since(8)
    }

    /// Presence lines carry the MSNObject after the capabilities (MSNP9+).
    pub const fn presence_has_msnobj(self) -> bool {
        self.since(9)
    }

    /// Presence and `UBX` lines carry a network id parameter (MSNP14–17).
    pub const fn presence_has_network_id(self) -> bool {
        self.within(14, 17)
    }

    /// Handles are written `netid:email` in presence lines (MSNP18).
    pub const fn handles_have_network_prefix(self) -> bool {
        self.since(18)
    }

    /// Presence the server volunteers in answer to a command (the first `CHG`,
    /// an `ADD`/`ADC`/`ADL` naming an online contact) is `ILN TrID …` up to
    /// MSNP17, and a plain `NLN …` in MSNP18: libpurple's MSNP18 `ILN` parser
    /// cannot read the `1:email` handle, and BitlBee's MSNP18 code doubts `ILN`
    /// still exists, so the original service must have sent `NLN` there.
    pub const fn initial_presence_is_iln(self) -> bool {
        self.0 < 18
    }

    /// Capabilities are written `caps:extcaps` (MSNP16+).
    pub const fn has_extended_caps(self) -> bool {
        self.since(16)
    }

    /// Several endpoints of one account may be online at once (MSNP16+).
    pub const fn has_mpop(self) -> bool {
        self.since(16)
    }

    /// `SBS 0 null` follows `USR OK` (MSNP11–18; WLM 2011/2012 clients
    /// take it for an unknown command).
    pub const fn sends_sbs(self) -> bool {
        self.within(11, 18)
    }

    /// Personal messages: `UUX` and `UBX` (MSNP11–18; MSNP19+ publish with `PUT`
    /// and are told with `NFY`).
    pub const fn has_uux(self) -> bool {
        self.within(11, 18)
    }

    /// Circles as WLM 2009 speaks them (MSNP18): network 9 in `ADL`/`RML`,
    /// members' presence `NLN …;via=9:` the circle, and its conversation
    /// through `PUT` (joining), `NFY` (its roster) and `SDG` (its messages).
    /// WLM 2011/2012 (MSNP19+) tell presence by `NFY` only: their circles are
    /// not built.
    pub const fn has_circles(self) -> bool {
        self.within(18, 18)
    }

    /// Presence and messages as structured payloads (MSNP19+): the client
    /// publishes with `PUT`, is told with `NFY PUT`/`NFY DEL`, and sends and
    /// receives messages with `SDG` on the Notification Server itself.
    pub const fn has_structured_messages(self) -> bool {
        self.since(19)
    }

    pub const fn gcf_form(self) -> Option<GcfForm> {
        match self.0 {
            0..=10 => None,
            11..=12 => Some(GcfForm::OnRequest),
            _ => Some(GcfForm::PushedAtLogin),
        }
    }

    /// The profile message carries `ClientIP`/`ClientPort` (MSNP8+).
    pub const fn profile_has_client_address(self) -> bool {
        self.since(8)
    }

    /// The profile message carries `ABCHMigrated` (MSNP10+).
    pub const fn profile_has_abch_migrated(self) -> bool {
        self.since(10)
    }

    /// The profile message carries `MPOPEnabled` (MSNP16+).
    pub const fn profile_has_mpop_enabled(self) -> bool {
        self.since(16)
    }

    /// Switchboard `JOI`/`IRO` lines carry the participant's capabilities (MSNP12+).
    pub const fn switchboard_has_caps(self) -> bool {
        self.since(12)
    }

    /// How the dispatch server's `XFR … NS` is written.
    pub const fn ns_referral_form(self) -> NsReferralForm {
        if self.0 < 13 { NsReferralForm::WithCurrentServer } else { NsReferralForm::UpDown }
    }

    /// What follows the cookie in `XFR … SB` and `RNG` lines (MSNP13+).
    pub const fn switchboard_referral_suffix(self) -> &'static [&'static str] {
        match self.0 {
            0..=12 => &[],
            13 => &["U", "messenger.msn.com"],
            _ => &["U", "messenger.msn.com", "1"],
        }
    }

    /// `NOT` notifications exist (MSNP5+).
    pub const fn has_not(self) -> bool {
        self.since(5)
    }

    /// `MSG … D` (data messages) exists (MSNP9+).
    pub const fn has_data_messages(self) -> bool {
        self.since(9)
    }

    /// `UUN`/`UBN` exist (MSNP13+).
    pub const fn has_uun(self) -> bool {
        self.since(13)
    }

    /// `FQY`, `UUM` and `UBM` exist (MSNP14+).
    pub const fn has_fqy(self) -> bool {
        self.since(14)
    }

    /// `SND n email …`: invite someone to Messenger by e-mail (MSNP2–9).
    pub const fn has_snd(self) -> bool {
        self.within(2, 9)
    }

    /// `SDC n email … len`: the e-mail invitation with a payload (MSNP5–12).
    pub const fn has_sdc(self) -> bool {
        self.within(5, 12)
    }

    /// `IMS n ON|OFF`: accept instant messages or not (MSNP2–9).
    pub const fn has_ims(self) -> bool {
        self.within(2, 9)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MSNP{}", self.0)
    }
}

/// What a client offered in `VER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionOffer {
    /// The MSNP versions named, in the client's order; unknown tokens are skipped.
    pub dialects: Vec<Dialect>,
    /// The client also offered `CVR0` (it may send `CVR`).
    pub cvr0: bool,
}

impl VersionOffer {
    /// Reads the tokens after the TrID of a `VER` line.
    pub fn parse<'a>(tokens: impl IntoIterator<Item = &'a str>) -> VersionOffer {
        let mut offer = VersionOffer { dialects: Vec::new(), cvr0: false };
        for token in tokens {
            if token == "CVR0" {
                offer.cvr0 = true;
            } else if let Some(dialect) = Dialect::from_token(token) {
                offer.dialects.push(dialect);
            }
        }
        offer
    }

    /// The highest offered dialect within `supported`, or `None` (answer `VER n 0`, then close).
    pub fn negotiate(&self, supported: RangeInclusive<Dialect>) -> Option<Dialect> {
        self.dialects.iter().copied().filter(|dialect| supported.contains(dialect)).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_strictly() {
        assert_eq!(Dialect::from_token("MSNP8"), Some(Dialect::MSNP8));
        assert_eq!(Dialect::from_token("MSNP18"), Some(Dialect::MSNP18));
        assert_eq!(Dialect::from_token("MSNP21"), Some(Dialect::MSNP21));
        for bad in ["MSNP1", "MSNP22", "msnp8", "MSNP", "MSNP+8", "MSNP008", "CVR0", ""] {
            assert_eq!(Dialect::from_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn negotiation_picks_the_highest_supported() {
        let offer = VersionOffer::parse("MSNP8 MSNP12 MSNP9 CVR0".split(' '));
        assert!(offer.cvr0);
        assert_eq!(offer.negotiate(Dialect::MSNP8..=Dialect::MSNP11), Some(Dialect::MSNP9));
        assert_eq!(offer.negotiate(Dialect::MSNP8..=Dialect::MSNP12), Some(Dialect::MSNP12));
        assert_eq!(offer.negotiate(Dialect::MSNP13..=Dialect::MSNP18), None);
        let nothing = VersionOffer::parse("FOO MSNP99".split(' '));
        assert_eq!(nothing.negotiate(Dialect::OLDEST..=Dialect::NEWEST), None);
    }

    #[test]
    fn capabilities_change_where_the_reference_says() {
        assert_eq!(Dialect::MSNP7.auth_scheme(), AuthScheme::Md5);
        assert_eq!(Dialect::MSNP8.auth_scheme(), AuthScheme::Twn);
        assert_eq!(Dialect::MSNP14.auth_scheme(), AuthScheme::Twn);
        assert_eq!(Dialect::MSNP15.auth_scheme(), AuthScheme::Sso);
        assert_eq!(Dialect::MSNP9.list_commands(), ListCommands::AddRem);
        assert_eq!(Dialect::MSNP10.list_commands(), ListCommands::AdcRem);
        assert_eq!(Dialect::MSNP13.list_commands(), ListCommands::AdlRml);
        assert_eq!(Dialect::MSNP5.challenge(), None);
        assert_eq!(Dialect::MSNP10.challenge(), Some(ChallengeAlgorithm::Md5));
        assert_eq!(Dialect::MSNP11.challenge(), Some(ChallengeAlgorithm::Msnp11));
        assert!(!Dialect::MSNP8.qng_has_seconds() && Dialect::MSNP9.qng_has_seconds());
        assert!(!Dialect::MSNP17.handles_have_network_prefix());
        assert!(Dialect::MSNP18.handles_have_network_prefix());
        assert!(!Dialect::MSNP18.has_structured_messages() && Dialect::MSNP19.has_structured_messages());
        assert!(Dialect::MSNP18.sends_sbs() && !Dialect::MSNP21.sends_sbs());
        assert!(Dialect::MSNP18.has_uux() && !Dialect::MSNP21.has_uux());
        assert!(Dialect::MSNP18.has_circles() && !Dialect::MSNP17.has_circles() && !Dialect::MSNP21.has_circles());
        assert_eq!(Dialect::MSNP21.auth_scheme(), AuthScheme::Sso);
        assert_eq!(Dialect::all().count(), 20);
    }
}
