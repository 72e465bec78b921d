//! The MSNP error codes, generated into an enum by `error_codes!`.
//!
//! The seed rows are copied verbatim from `shared/seed/msnp-error-codes.txt`
//! (`tests/seed_catalog.rs` re-parses that file and compares every field).
//! The rows after them are codes the protocol uses that the seed's table lacks;
//! they carry `Origin::OutsideSeed` with the sources that document them.

use std::fmt;

/// Where a catalog row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A row of the seed's "MSNP error codes" table.
    Seed,
    /// A code the protocol uses that the seed's table lacks; the string names the sources.
    OutsideSeed(&'static str),
}

macro_rules! error_codes {
    ( $( $variant:ident = $code:literal, $hresult:expr, $hresult_name:expr, $draft:expr, $desc:literal, $origin:expr; )* ) => {
        /// An MSNP error code, sent as `<code> <TrID>` in place of a command name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum ErrorCode {
            $( $variant = $code, )*
        }

        impl ErrorCode {
            /// Every code of the catalog: the seed rows in the seed's order, then the codes outside it.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The code for a number, if the catalog knows it.
            pub const fn from_code(code: u16) -> Option<ErrorCode> {
                match code {
                    $( $code => Some(ErrorCode::$variant), )*
                    _ => None,
                }
            }

            /// The related HRESULT value, where the seed gives one.
            pub const fn hresult(self) -> Option<u32> {
                match self { $( ErrorCode::$variant => $hresult, )* }
            }

            /// The related HRESULT's name exactly as the seed writes it
            /// (including `"MSGR_E_FAIL / E_FAIL"`).
            pub const fn hresult_name(self) -> Option<&'static str> {
                match self { $( ErrorCode::$variant => $hresult_name, )* }
            }

            /// The name the IETF draft gave the code, where it has one.
            pub const fn draft_name(self) -> Option<&'static str> {
                match self { $( ErrorCode::$variant => $draft, )* }
            }

            /// The seed's description ("?" where the meaning is unknown).
            pub const fn description(self) -> &'static str {
                match self { $( ErrorCode::$variant => $desc, )* }
            }

            /// Whether the row comes from the seed or from other documentation.
            pub const fn origin(self) -> Origin {
                match self { $( ErrorCode::$variant => $origin, )* }
            }
        }
    };
}

use Origin::{OutsideSeed, Seed};

error_codes! {
    SyntaxError = 200, None, None, Some("ERR_SYNTAX_ERROR"), "Syntax error.", Seed;
    InvalidParameter = 201, Some(0x81000435), Some("MSGR_E_MSNP_INVALID_PARAMETER"), Some("ERR_INVALID_PARAMETER"), "Invalid parameter in command.", Seed;
    UnroutableUser = 204, Some(0x8100037c), Some("MSGR_E_UNROUTABLE_USER"), None, "The network specified for the user is unavailable or does not exist.", Seed;
    InvalidUser = 205, Some(0x8100030a), Some("MSGR_E_USER_NOT_FOUND"), Some("ERR_INVALID_USER"), "The user is invalid.", Seed;
    FqdnMissing = 206, Some(0x8100030a), Some("MSGR_E_USER_NOT_FOUND"), Some("ERR_FQDN_MISSING"), "The domain name of the user handle is missing.", Seed;
    AlreadyLoggedIn = 207, Some(0x81000304), Some("MSGR_E_ALREADY_LOGGED_ON"), Some("ERR_ALREADY_LOGIN"), "You are already logged in.", Seed;
    InvalidUsername = 208, Some(0x8100030a), Some("MSGR_E_USER_NOT_FOUND"), Some("ERR_INVALID_USERNAME"), "The username of the user handle is invalid.", Seed;
    InvalidFriendlyName = 209, Some(0x81000324), Some("MSGR_E_INVALID_FRIENDLY_NAME"), Some("ERR_INVALID_FRIENDLY_NAME"), "You cannot use the specified friendly name.", Seed;
    ListFull = 210, Some(0x81000307), Some("MSGR_E_LIST_FULL"), Some("ERR_LIST_FULL"), "The specified list is full.", Seed;
    Unexpected = 212, Some(0x8100030d), Some("MSGR_E_UNEXPECTED"), None, "?", Seed;
    UserDoesNotExist = 213, Some(0x81000392), Some("MSGR_E_USER_DOESNT_EXIST"), None, "?", Seed;
    AlreadyInList = 215, Some(0x8100030b), Some("MSGR_E_ALREADY_IN_LIST"), Some("ERR_ALREADY_THERE"), "The specified user is already added to that list.", Seed;
    NotOnList = 216, Some(0x8100030a), Some("MSGR_E_USER_NOT_FOUND"), Some("ERR_NOT_ON_LIST"), "The specified user is not on any of your lists.", Seed;
    NotAcceptingIms = 217, Some(0x81000430), Some("MSGR_E_MSNP_NOT_ACCEPTING_IMS"), None, "The specified user is currently not accepting instant messages.", Seed;
    AlreadyInTheMode = 218, Some(0x01000301), Some("MSGR_S_ALREADY_IN_THE_MODE"), Some("ERR_ALREADY_IN_THE_MODE"), "You are already in the mode specified.", Seed;
    AlreadyInOppositeList = 219, Some(0x81000431), Some("MSGR_E_MSNP_ALREADY_IN_OPPOSITE_LIST"), Some("ERR_ALREADY_IN_OPPOSITE_LIST"), "The user is in a mutually exclusive list and therefore can not be added to the specified one.", Seed;
    NotAcceptingPages = 220, Some(0x81000335), Some("MSGR_E_NOT_ACCEPTING_PAGES"), None, "The specified user is currently not accepting paged messages.", Seed;
    InvalidMsisdn = 232, Some(0x810003b5), Some("MSGR_E_INVALID_MSISDN"), None, "The specified mobile number is invalid.", Seed;
    UnknownMsisdn = 233, Some(0x810003b6), Some("MSGR_E_UNKNOWN_MSISDN"), None, "The specified mobile number is unknown to the Messenger Service.", Seed;
    UnknownKeitaiDomain = 234, Some(0x81000439), Some("MSGR_E_MSNP_UNKNOWN_KEITAI_DOMAIN"), None, "The specified Japanese mobile address has a domain that is unknown to the Messenger Service.", Seed;
    InvalidXml = 240, Some(0x8100043b), Some("MSGR_E_MSNP_INVALID_XML"), None, "?", Seed;
    SwitchboardFailed = 280, Some(0x81000436), Some("MSGR_E_MSNP_SWITCHBOARD_FAILED"), Some("ERR_SWITCHBOARD_FAILED"), "Internal server error: A Switchboard Server (SB) has failed to negotiate.", Seed;
    NotLoggedIn = 302, None, None, Some("ERR_NOT_LOGGED_IN"), "You need to log in to perform that action.", Seed;
    AbchReadOnly = 400, Some(0x81000376), Some("MSGR_E_ABCH_READ_ONLY"), None, "Your Address Book is read-only and can not be used.", Seed;
    AbchTooBusy = 402, Some(0x81000377), Some("MSGR_E_ABCH_TOO_BUSY"), None, "The Address Book service is currently too busy.", Seed;
    AbchUnavailable = 403, Some(0x81000378), Some("MSGR_E_ABCH_UNAVAILABLE"), None, "The Address Book service is currently unavailable.", Seed;
    SubscriptionNeeded = 413, Some(0x810003a5), Some("MSGR_E_SUBSCRIPTION_NEEDED"), None, "A subscription is required to use the feature associated with your command.", Seed;
    MarketDisabled = 416, Some(0x810003c1), Some("MSGR_E_MARKET_DISABLED"), None, "The feature associated with your command is disabled in your region.", Seed;
    DisabledEverywhere = 417, Some(0x810003c2), Some("MSGR_E_DISABLED_EVERYWHERE"), None, "The feature associated with your command is disabled in all regions.", Seed;
    TryAgainLater = 418, Some(0x810003c3), Some("MSGR_E_TRY_AGAIN_LATER"), None, "The operation failed and you should try again later.", Seed;
    NoMarketSpecified = 419, Some(0x810003c4), Some("MSGR_E_NO_MARKET_SPECIFIED"), None, "You have not specified a region, which is required for this feature.", Seed;
    InviteRequired = 420, Some(0x810003cc), Some("MSGR_E_INVITE_REQUIRED"), None, "You need an invitation to use this version of the Official Client.", Seed;
    InternalServerError = 500, Some(0x810003a8), Some("MSGR_E_INTERNAL_SERVER_ERROR"), Some("ERR_INTERNAL_SERVER"), "Unspecified internal server error.", Seed;
    DatabaseServer = 501, None, None, Some("ERR_DB_SERVER"), "Internal server error: Unspecified database failure.", Seed;
    UnspecifiedFailure = 503, Some(0x80004005), Some("MSGR_E_FAIL / E_FAIL"), None, "Unspecified failure.", Seed;
    UpsUnavailable = 504, Some(0x810003c5), Some("MSGR_E_UPS_UNAVAILABLE"), None, "?", Seed;
    ScsUnavailable = 505, Some(0x810003c6), Some("MSGR_E_SCS_UNAVAILABLE"), None, "?", Seed;
    FederatedServerError = 508, Some(0x81000433), Some("MSGR_E_MSNP_FEDERATED_SERVER_ERROR"), None, "Unspecified federated service failure.", Seed;
    UumError = 509, Some(0x81000434), Some("MSGR_E_MSNP_UUM_ERROR"), None, "?", Seed;
    FileOperation = 510, None, None, Some("ERR_FILE_OPERATION"), "Internal server error: A file operation has failed.", Seed;
    PlatformServer511 = 511, Some(0x81000603), Some("MSGR_E_PPLATFORM_SERVER_511"), None, "?", Seed;
    MemoryAllocation = 520, Some(0x810003a8), Some("MSGR_E_INTERNAL_SERVER_ERROR"), Some("ERR_MEMORY_ALLOC"), "Internal server error: Failed to allocate memory for this operation.", Seed;
    ChallengeFailed = 540, Some(0x8100036d), Some("MSGR_E_LOCKANDKEY_FAILED"), None, "The challenge response was incorrect against what the server expected.", Seed;
    ServerBusy = 600, Some(0x8100030e), Some("MSGR_E_SERVER_TOO_BUSY"), Some("ERR_SERVER_BUSY"), "The server is too busy to handle this request.", Seed;
    ServerUnavailable = 601, Some(0x81000314), Some("MSGR_E_SERVER_UNAVAILABLE"), Some("ERR_SERVER_UNAVAILABLE"), "The server is unavailable at this time.", Seed;
    PeerNsDown = 602, None, None, Some("ERR_PEER_NS_DOWN"), "Internal server error: The peered Notification Server (NS) is offline.", Seed;
    DatabaseConnect = 603, None, None, Some("ERR_DB_CONNECT"), "Internal server error: Failed to connect to database.", Seed;
    ServerGoingDown = 604, None, None, Some("ERR_SERVER_GOING_DOWN"), "Internal server error: The server is stopping.", Seed;
    CreateConnection = 707, None, None, Some("ERR_CREATE_CONNECTION"), "Internal server error: Failed to create a connection.", Seed;
    BlockingWrite = 711, None, None, Some("ERR_BLOCKING_WRITE"), "Internal server error: A operation has failed because a blocking write operation is occuring.", Seed;
    SessionOverload = 712, None, None, Some("ERR_SESSION_OVERLOAD"), "Internal server error: The server can no longer handle the amount of sessions.", Seed;
    UserTooActive = 713, None, None, Some("ERR_USER_TOO_ACTIVE"), "You are being too active. You have been rate limited.", Seed;
    TooManySessions = 714, None, None, Some("ERR_TOO_MANY_SESSIONS"), "Internal server error: You have too many sessions.", Seed;
    NotExpected = 715, Some(0x81000438), Some("MSGR_E_MSNP_NOT_EXPECTED"), Some("ERR_NOT_EXPECTED"), "Command not expected at that time.", Seed;
    BadFriendFile = 717, None, None, Some("ERR_BAD_FRIEND_FILE"), "Internal server error: Your contact list is corrupt.", Seed;
    RestrictedUser718 = 718, Some(0x8100035a), Some("MSGR_E_RESTRICTED_USER"), None, "?", Seed;
    UserFederated = 726, Some(0x8100037d), Some("MSGR_E_USER_FEDERATED"), None, "The specified user is on a federated network and does not support the operation.", Seed;
    ServerTooBusy729 = 729, Some(0x8100030e), Some("MSGR_E_SERVER_TOO_BUSY"), None, "?", Seed;
    RateLimited = 800, Some(0x81000398), Some("MSGR_E_RATE_LIMIT_EXCEEDED"), None, "You are being rate limited.", Seed;
    TooBusyToAuthenticate = 910, Some(0x8100030e), Some("MSGR_E_SERVER_TOO_BUSY"), None, "The server is too busy to authenticate your user.", Seed;
    AuthenticationFailed = 911, Some(0x81000395), Some("MSGR_E_MSNP_911"), Some("ERR_AUTHENTICATION_FAILED"), "Generic authentication failure.", Seed;
    NotAllowedWhenHidden = 913, Some(0x8100043c), Some("MSGR_E_MSNP_NOT_ALLOWED_WHEN_OFFLINE"), Some("ERR_NOT_ALLOWED_WHEN_OFFLINE"), "You may not perform that action while appearing offline (hidden) or in semi-offline mode.", Seed;
    InvalidDomain = 917, Some(0x81000327), Some("MSGR_E_INVALID_DOMAIN"), None, "The domain specified at authentication is invalid.", Seed;
    NotAcceptingNewUsers = 920, Some(0x81000326), Some("MSGR_E_NOT_ALLOWING_NEW_USERS"), Some("ERR_NOT_ACCEPTING_NEW_USERS"), "The server is too full and is no longer accepting new authentication requests.", Seed;
    TooBusyToAuthenticate921 = 921, Some(0x8100030e), Some("MSGR_E_SERVER_TOO_BUSY"), None, "The server is too busy to authenticate your user.", Seed;
    ServerTooBusy922 = 922, Some(0x8100030e), Some("MSGR_E_SERVER_TOO_BUSY"), None, "?", Seed;
    ChildWithoutConsent = 923, Some(0x81000331), Some("MSGR_E_CHILD_WITHOUT_CONSENT"), None, "Child account does not have authorization to use the Messenger Service.", Seed;
    AccountNotVerified = 924, Some(0x81000336), Some("MSGR_E_EMAIL_PASSPORT_NOT_VALIDATED"), None, "You need to verify your account before using the Messenger Service.", Seed;
    ManagedUserInvalidCvr = 926, Some(0x81000359), Some("MSGR_E_MANAGED_USER_INVALID_CVR"), None, "The account's permissions could not be verified.", Seed;
    ParentalBlock = 927, Some(0x8100035a), Some("MSGR_E_RESTRICTED_USER"), None, "The parent or guardian of this account has blocked access of the Messenger Service using this account.", Seed;
    InvalidPassword = 928, Some(0x81000303), Some("MSGR_E_INVALID_PASSWORD"), None, "The password provided is invalid.", Seed;
    ChallengeFailedForMcaa = 929, Some(0x81000385), Some("MSGR_E_LOCKANDKEY_FAILED_FOR_MCAA"), None, "The challenge response was incorrect for this MCAA (TODO: What is this?) request.", Seed;
    FederatedDomain = 930, Some(0x8100037b), Some("MSGR_E_FEDERATED_DOMAIN"), None, "This account belongs to a enterprise domain and can not be used on the Messenger Service.", Seed;
    FssUserNoAccess = 934, Some(0x81000410), Some("MSGR_E_FSS_USER_NO_ACCESS"), None, "?", Seed;
    // Codes outside the seed's table. Group errors: MSNP.md §4.5 (msnp-wiki, hypothetic.org,
    // libpurple error.c); 228 is Escargot's; 241/282/300/502/710 from MSNP.md §10.
    TooManyGroups = 223, None, None, None, "Too many groups: a contact list holds at most 30.", OutsideSeed("msnp-wiki adg; libpurple error.c");
    InvalidGroup = 224, None, None, None, "The specified group is invalid or does not exist.", OutsideSeed("msnp-wiki rmg/reg; libpurple error.c");
    NotInGroup = 225, None, None, None, "The specified user is not in that group.", OutsideSeed("msnp-wiki rem; libpurple error.c");
    GroupAlreadyExists = 228, None, None, None, "A group with that name already exists.", OutsideSeed("Escargot misc.py Err");
    GroupNameTooLong = 229, None, None, None, "The group name is too long.", OutsideSeed("msnp-wiki adg/reg; libpurple error.c");
    CannotRemoveGroupZero = 230, None, None, None, "Group 0 cannot be removed.", OutsideSeed("msnp-wiki rmg; libpurple error.c");
    GroupDoesNotExist = 231, None, None, None, "The group to add the contact to does not exist.", OutsideSeed("libpurple error.c");
    InvalidXmlItem = 241, None, None, None, "The ADL/RML/FQY payload names an invalid contact or item.", OutsideSeed("msnp-wiki adl/rml; libpurple notification.c adl_error_parse");
    InvalidP2pData = 282, None, None, None, "The P2P (MSG D) message is malformed.", OutsideSeed("msnp-wiki msg; libpurple error.c");
    RequiredFieldMissing = 300, None, None, None, "A required field is missing.", OutsideSeed("hypothetic.org error list; libpurple error.c");
    CommandDisabled = 502, None, None, None, "The command is disabled in this protocol version.", OutsideSeed("hypothetic.org error list; Escargot");
    BadCvrParameters = 710, None, None, None, "Bad CVR parameters.", OutsideSeed("hypothetic.org error list; libpurple error.c");
}

impl ErrorCode {
    /// The numeric code.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// Every code whose related HRESULT is `hresult` (several codes share one).
    pub fn from_hresult(hresult: u32) -> impl Iterator<Item = ErrorCode> {
        Self::ALL.iter().copied().filter(move |code| code.hresult() == Some(hresult))
    }

    /// The current entry of the HRESULT table for this code's HRESULT, if there is one.
    pub fn hresult_info(self) -> Option<&'static super::HresultInfo> {
        let value = self.hresult()?;
        super::hresult_infos(value).find(|info| !info.obsolete)
    }

    /// The rows of the seed's table, in its order.
    pub fn seed_rows() -> impl Iterator<Item = ErrorCode> {
        Self::ALL.iter().copied().filter(|code| code.origin() == Origin::Seed)
    }
}

impl fmt::Display for ErrorCode {
    /// `911: Generic authentication failure.`; where the seed knows no meaning,
    /// the most specific name stands in for it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let description = self.description();
        if description == "?" {
            let name = self.draft_name().or(self.hresult_name()).unwrap_or("undocumented");
            write!(f, "{}: {name} (meaning undocumented)", self.code())
        } else {
            write!(f, "{}: {description}", self.code())
        }
    }
}

impl From<ErrorCode> for u16 {
    fn from(code: ErrorCode) -> u16 {
        code.code()
    }
}

impl TryFrom<u16> for ErrorCode {
    type Error = UnknownErrorCode;

    fn try_from(code: u16) -> Result<Self, Self::Error> {
        ErrorCode::from_code(code).ok_or(UnknownErrorCode(code))
    }
}

/// A number that the catalog does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not an MSNP error code known to the catalog")]
pub struct UnknownErrorCode(pub u16);
