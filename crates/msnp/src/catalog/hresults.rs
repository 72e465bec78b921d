//! The seed's HRESULT tables: the Messenger HRESULTs with the client version
//! that first had them, then PPCRL (Passport client) and system HRESULTs.

/// Which kind of HRESULT a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HresultKind {
    /// `MSGR_*` values from the Messenger type libraries (the seed's version table).
    Messenger,
    /// The generic COM `E_FAIL` (second table).
    Com,
    /// `PPCRL_*` values of the Passport client runtime (second table).
    Ppcrl,
    /// Win32 errors the seed lists as "System Error" (second table).
    System,
}

/// One row of the seed's HRESULT tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HresultInfo {
    pub value: u32,
    pub name: &'static str,
    /// The client version that first had the value (Messenger table only).
    pub first_seen: Option<&'static str>,
    pub description: &'static str,
    pub kind: HresultKind,
    /// The seed keeps 0x81000330 twice: `MSGR_E_CHILD_WITHOUT_CONSENT` (2.2.1053) is
    /// obsolete and `MSGR_E_RETRY_SET` (3.0.0080) is the current meaning of that value.
    pub obsolete: bool,
}

macro_rules! hresults {
    ( $( ($value:literal, $name:literal, $first:expr, $desc:literal, $kind:expr, $obsolete:literal), )* ) => {
        /// Every HRESULT row of the seed, in the seed's order, duplicates kept.
        pub static HRESULTS: &[HresultInfo] = &[
            $( HresultInfo { value: $value, name: $name, first_seen: $first, description: $desc, kind: $kind, obsolete: $obsolete }, )*
        ];
    };
}

hresults! {
    (0x00000000, "MSGR_S_OK", Some("1.0.0452"), "The operation was successful.", HresultKind::Messenger, false),
    (0x80004005, "MSGR_E_FAIL", Some("1.0.0452"), "Unspecified failured.", HresultKind::Messenger, false),
    (0x81000301, "MSGR_E_CONNECT", Some("1.0.0452"), "?", HresultKind::Messenger, false),
    (0x81000302, "MSGR_E_INVALID_SERVER_NAME", Some("1.0.0452"), "?", HresultKind::Messenger, false),
    (0x81000303, "MSGR_E_INVALID_PASSWORD", Some("1.0.0452"), "The password provided is invalid.", HresultKind::Messenger, false),
    (0x81000304, "MSGR_E_ALREADY_LOGGED_ON", Some("1.0.0452"), "You are already logged in.", HresultKind::Messenger, false),
    (0x81000305, "MSGR_E_SERVER_VERSION", Some("1.0.0452"), "?", HresultKind::Messenger, false),
    (0x81000306, "MSGR_E_LOGON_TIMEOUT", Some("1.0.0452"), "The login process could not be completed in a reasonable time and has been aborted.", HresultKind::Messenger, false),
    (0x81000307, "MSGR_E_LIST_FULL", Some("1.0.0452"), "The specified list is full.", HresultKind::Messenger, false),
    (0x81000308, "MSGR_E_AI_REJECT", Some("1.0.0452"), "?", HresultKind::Messenger, false),
    (0x81000309, "MSGR_E_AI_REJECT_NOT_INST", Some("1.0.0452"), "?", HresultKind::Messenger, false),
    (0x8100030a, "MSGR_E_USER_NOT_FOUND", Some("1.0.0452"), "The specified user could not be found.", HresultKind::Messenger, false),
    (0x8100030b, "MSGR_E_ALREADY_IN_LIST", Some("1.0.0452"), "The specified user is already added to that list.", HresultKind::Messenger, false),
    (0x8100030c, "MSGR_E_DISCONNECTED", Some("1.0.0452"), "You are disconnected.", HresultKind::Messenger, false),
    (0x8100030d, "MSGR_E_UNEXPECTED", Some("1.0.0452"), "An unexpected error has occured.", HresultKind::Messenger, false),
    (0x8100030e, "MSGR_E_SERVER_TOO_BUSY", Some("1.0.0452"), "The server is too busy to handle this request.", HresultKind::Messenger, false),
    (0x8100030f, "MSGR_E_INVALID_AUTH_PACKAGES", Some("1.0.0452"), "?", HresultKind::Messenger, false),
    (0x81000310, "MSGR_E_NEWER_CLIENT_AVAILABLE", Some("1.0.0452"), "A newer version of the client is avaliable.", HresultKind::Messenger, false),
    (0x81000311, "MSGR_E_AI_TIMEOUT", Some("1.0.0452"), "?", HresultKind::Messenger, false),
    (0x81000312, "MSGR_E_CANCEL", Some("1.0.0452"), "An operation has been cancelled.", HresultKind::Messenger, false),
    (0x81000313, "MSGR_E_TOO_MANY_MATCHES", Some("1.0.0452"), "The specified query has too many matches. Try being more specific.", HresultKind::Messenger, false),
    (0x81000314, "MSGR_E_SERVER_UNAVAILABLE", Some("1.0.0452"), "The server is unavaliable.", HresultKind::Messenger, false),
    (0x81000315, "MSGR_E_LOGON_UI_ACTIVE", Some("1.0.0452"), "The \"Login as...\" dialog is open.", HresultKind::Messenger, false),
    (0x81000316, "MSGR_E_OPTION_UI_ACTIVE", Some("1.0.0452"), "The \"Options\" dialog is open.", HresultKind::Messenger, false),
    (0x81000317, "MSGR_E_CONTACT_UI_ACTIVE", Some("1.0.0452"), "The \"Add a Contact\" dialog is open.", HresultKind::Messenger, false),
    (0x81000319, "MSGR_E_LOGGED_ON", Some("1.0.0863"), "You are logged in.", HresultKind::Messenger, false),
    (0x8100031a, "MSGR_E_CONNECT_PROXY", Some("1.0.0863"), "Failed to connect to a proxy.", HresultKind::Messenger, false),
    (0x8100031b, "MSGR_E_PROXY_AUTH", Some("1.0.0863"), "Failed to authenticate to a proxy.", HresultKind::Messenger, false),
    (0x8100031c, "MSGR_E_PROXY_AUTH_TYPE", Some("1.0.0863"), "?", HresultKind::Messenger, false),
    (0x8100031d, "MSGR_E_INVALID_PROXY_NAME", Some("1.0.0863"), "?", HresultKind::Messenger, false),
    (0x81000320, "MSGR_E_NOT_PRIMARY_SERVICE", Some("1.0.0863"), "?", HresultKind::Messenger, false),
    (0x81000321, "MSGR_E_TOO_MANY_SESSIONS", Some("1.0.0863"), "?", HresultKind::Messenger, false),
    (0x81000322, "MSGR_E_TOO_MANY_MESSAGES", Some("1.0.0863"), "?", HresultKind::Messenger, false),
    (0x81000323, "MSGR_E_REMOTE_LOGIN", Some("1.0.0863"), "You logged in from another location.", HresultKind::Messenger, false),
    (0x81000324, "MSGR_E_INVALID_FRIENDLY_NAME", Some("1.0.0863"), "You cannot use the specified friendly name.", HresultKind::Messenger, false),
    (0x81000325, "MSGR_E_SESSION_FULL", Some("1.0.0863"), "?", HresultKind::Messenger, false),
    (0x81000326, "MSGR_E_NOT_ALLOWING_NEW_USERS", Some("1.0.0863"), "The server is too full and is no longer accepting new authentication requests.", HresultKind::Messenger, false),
    (0x81000327, "MSGR_E_INVALID_DOMAIN", Some("2.0.0085"), "?", HresultKind::Messenger, false),
    (0x81000328, "MSGR_E_TCP_ERROR", Some("2.0.0085"), "?", HresultKind::Messenger, false),
    (0x81000329, "MSGR_E_SESSION_TIMEOUT", Some("2.0.0085"), "?", HresultKind::Messenger, false),
    (0x8100032c, "MSGR_E_REVERSE_LIST_FULL", Some("2.1.1047"), "Your Reverse List (RL) is full.", HresultKind::Messenger, false),
    (0x8100032d, "MSGR_E_SERVER_ERROR", Some("2.1.1047"), "?", HresultKind::Messenger, false),
    (0x8100032e, "MSGR_E_SYSTEM_CONFIG", Some("2.1.1047"), "?", HresultKind::Messenger, false),
    (0x8100032f, "MSGR_E_NO_DIRECTORY", Some("2.1.1047"), "?", HresultKind::Messenger, false),
    (0x81000330, "MSGR_E_CHILD_WITHOUT_CONSENT", Some("2.2.1053"), "(Obsolete, use 0x81000331 instead) Child account does not have authorization to use this feature.", HresultKind::Messenger, true),
    (0x81000330, "MSGR_E_RETRY_SET", Some("3.0.0080"), "?", HresultKind::Messenger, false),
    (0x81000331, "MSGR_E_CHILD_WITHOUT_CONSENT", Some("3.0.0080"), "Child account does not have authorization to use this feature.", HresultKind::Messenger, false),
    (0x81000332, "MSGR_E_USER_CANCELLED", Some("3.0.0080"), "An operation has been cancelled by a user.", HresultKind::Messenger, false),
    (0x81000333, "MSGR_E_CANCEL_BEFORE_CONNECT", Some("3.0.0080"), "A connection was cancelled before attempting to open it.", HresultKind::Messenger, false),
    (0x81000334, "MSGR_E_VOICE_IM_TIMEOUT", Some("3.0.0283"), "A voice communication has timed out and has been cancelled.", HresultKind::Messenger, false),
    (0x81000335, "MSGR_E_NOT_ACCEPTING_PAGES", Some("3.0.0283"), "The specified user is currently not accepting paged messages.", HresultKind::Messenger, false),
    (0x81000336, "MSGR_E_EMAIL_PASSPORT_NOT_VALIDATED", Some("3.0.0283"), "You need to verify your account before performing that operation.", HresultKind::Messenger, false),
    (0x81000337, "MSGR_E_AUDIO_UI_ACTIVE", Some("3.0.0283"), "The \"Audio Tuning Wizard\" dialog is open.", HresultKind::Messenger, false),
    (0x81000338, "MSGR_E_NO_HARDWARE", Some("3.0.0283"), "You are missing the required hardware for this feature.", HresultKind::Messenger, false),
    (0x81000339, "MSGR_E_PAGING_UNAVAILABLE", Some("3.0.0283"), "You cannot page the specified user at this time.", HresultKind::Messenger, false),
    (0x8100033a, "MSGR_E_PHONE_INVALID_NUMBER", Some("3.0.0283"), "The specified phone number is invalid.", HresultKind::Messenger, false),
    (0x8100033b, "MSGR_E_PHONE_NO_FUNDS", Some("3.0.0283"), "You need to purchase funds to use the phone service.", HresultKind::Messenger, false),
    (0x8100033c, "MSGR_E_VOICE_NO_ANSWER", Some("3.0.0283"), "?", HresultKind::Messenger, false),
    (0x8100033d, "MSGR_E_VOICE_WAVEIN_DEVICE", Some("3.0.0283"), "?", HresultKind::Messenger, false),
    (0x8100033e, "MSGR_E_FT_TIMEOUT", Some("3.0.0283"), "A file transfer has timed out and has been cancelled.", HresultKind::Messenger, false),
    (0x8100033f, "MSGR_E_MESSAGE_TOO_LONG", Some("3.0.0283"), "A message was specified that was too long.", HresultKind::Messenger, false),
    (0x81000340, "MSGR_E_VOICE_FIREWALL", Some("3.0.0283"), "?", HresultKind::Messenger, false),
    (0x81000341, "MSGR_E_VOICE_NETCONN", Some("3.0.0283"), "?", HresultKind::Messenger, false),
    (0x81000342, "MSGR_E_PHONE_CIRCUITS_BUSY", Some("3.0.0283"), "?", HresultKind::Messenger, false),
    (0x81000343, "MSGR_E_SERVER_PROTOCOL", Some("3.5.0077"), "?", HresultKind::Messenger, false),
    (0x81000344, "MSGR_E_UNAVAILABLE_VIA_HTTP", Some("3.5.0077"), "The feature requested is not avaliable via HTTP.", HresultKind::Messenger, false),
    (0x81000345, "MSGR_E_PHONE_INVALID_PIN", Some("3.5.0077"), "An invalid PIN was specified when trying to use the phone service.", HresultKind::Messenger, false),
    (0x81000347, "MSGR_E_SERVER_SHUTDOWN", Some("3.5.0077"), "The server is shutting down.", HresultKind::Messenger, false),
    (0x81000348, "MSGR_E_CLIENT_DISALLOWED", Some("3.5.0077"), "This client is not allowed to use this feature.", HresultKind::Messenger, false),
    (0x81000349, "MSGR_E_PHONE_CALL_NOT_COMPLETE", Some("3.5.0077"), "?", HresultKind::Messenger, false),
    (0x8100034a, "MSGR_E_GROUPS_NOT_ENABLED", Some("4.5.0121"), "The contact list is currently sorted by status, and not by groups.", HresultKind::Messenger, false),
    (0x8100034b, "MSGR_E_GROUP_ALREADY_EXISTS", Some("4.5.0121"), "The specified group already exists.", HresultKind::Messenger, false),
    (0x8100034c, "MSGR_E_TOO_MANY_GROUPS", Some("4.5.0121"), "You have too many groups.", HresultKind::Messenger, false),
    (0x8100034d, "MSGR_E_GROUP_DOES_NOT_EXIST", Some("4.5.0121"), "The specified group does not exist.", HresultKind::Messenger, false),
    (0x8100034e, "MSGR_E_USER_NOT_GROUP_MEMBER", Some("4.5.0121"), "The specified object is a user, and not a group member.", HresultKind::Messenger, false),
    (0x8100034f, "MSGR_E_GROUP_NAME_TOO_LONG", Some("4.5.0121"), "The specified name was too long for a group.", HresultKind::Messenger, false),
    (0x81000350, "MSGR_E_GROUP_NOT_EMPTY", Some("4.5.0121"), "The operation failed because the group was not empty.", HresultKind::Messenger, false),
    (0x81000351, "MSGR_E_BAD_GROUP_NAME", Some("4.5.0121"), "The group name specified is invalid.", HresultKind::Messenger, false),
    (0x81000352, "MSGR_E_PHONESERVICE_UNAVAILABLE", Some("4.5.0121"), "The phone service is unavailable at this time.", HresultKind::Messenger, false),
    (0x81000353, "MSGR_E_CANNOT_RENAME", Some("4.5.0121"), "You cannot rename the specified object.", HresultKind::Messenger, false),
    (0x81000354, "MSGR_E_CANNOT_DELETE", Some("4.5.0121"), "You cannot delete the specified object.", HresultKind::Messenger, false),
    (0x81000355, "MSGR_E_INVALID_SERVICE", Some("4.5.0121"), "?", HresultKind::Messenger, false),
    (0x81000356, "MSGR_E_POLICY_RESTRICTED", Some("4.6.0071"), "The operation failed because of an active policy.", HresultKind::Messenger, false),
    (0x81000367, "MSGR_E_BUSY", Some("4.6.0071"), "The operation failed because the application was busy.", HresultKind::Messenger, false),
    (0x01000301, "MSGR_S_ALREADY_IN_THE_MODE", Some("1.0.0863"), "You are already in the mode specified.", HresultKind::Messenger, false),
    (0x01000302, "MSGR_S_TRANSFER_SEND_BEGUN", Some("3.0.0283"), "An outgoing file transfer has started.", HresultKind::Messenger, false),
    (0x01000303, "MSGR_S_TRANSFER_SEND_FINISHED", Some("3.0.0283"), "An outgoing file transfer has completed.", HresultKind::Messenger, false),
    (0x01000304, "MSGR_S_TRANSFER_RECEIVE_BEGUN", Some("3.0.0283"), "An incoming file transfer has started.", HresultKind::Messenger, false),
    (0x01000305, "MSGR_S_TRANSFER_RECEIVE_FINISHED", Some("3.0.0283"), "An incoming file transfer has completed.", HresultKind::Messenger, false),
    (0x01000306, "MSGR_S_GROUP_ALREADY_EXISTS", Some("4.5.0121"), "The group already exists.", HresultKind::Messenger, false),
    (0x80004005, "E_FAIL", None, "Unspecified failure.", HresultKind::Com, false),
    (0x00048802, "PPCRL_AUTHSTATE_S_AUTHENTICATED_OFFLINE", None, "You are logged in, but working offline.", HresultKind::Ppcrl, false),
    (0x00048803, "PPCRL_AUTHSTATE_S_AUTHENTICATED_PASSWORD", None, "You are logged in using a password.", HresultKind::Ppcrl, false),
    (0x80048810, "PPCRL_AUTHREQUIRED_E_PASSWORD", None, "Please input your password.", HresultKind::Ppcrl, false),
    (0x80048800, "PPCRL_AUTHSTATE_E_UNAUTHENTICATED", None, "You are not logged in.", HresultKind::Ppcrl, false),
    (0x80048801, "PPCRL_AUTHSTATE_E_EXPIRED", None, "Your session has expired. Please log in again.", HresultKind::Ppcrl, false),
    (0x80048820, "PPCRL_REQUEST_E_AUTH_SERVER_ERROR", None, "Authentication server error.", HresultKind::Ppcrl, false),
    (0x80048821, "PPCRL_REQUEST_E_BAD_MEMBER_NAME_OR_PASSWORD", None, "Invalid email address or password.", HresultKind::Ppcrl, false),
    (0x80048823, "PPCRL_REQUEST_E_PASSWORD_LOCKED_OUT", None, "This account's password is disabled and needs to be reset.", HresultKind::Ppcrl, false),
    (0x80048825, "PPCRL_REQUEST_E_TOU_CONSENT_REQUIRED", None, "You must accept the service's Terms of Use before using this account.", HresultKind::Ppcrl, false),
    (0x80048826, "PPCRL_REQUEST_E_FORCE_RENAME_REQUIRED", None, "Your account details needs to be revised.", HresultKind::Ppcrl, false),
    (0x80048827, "PPCRL_REQUEST_E_FORCE_CHANGE_PASSWORD_REQUIRED", None, "Your account's password needs to be changed.", HresultKind::Ppcrl, false),
    (0x8004882a, "PPCRL_REQUEST_E_PARTNER_NOT_FOUND", None, "The authentication partner does not exist. Are you trying to use unmodified Windows Live Messenger 2011 or 2012, by chance?", HresultKind::Ppcrl, false),
    (0x80048831, "PPCRL_REQUEST_E_PASSWORD_EXPIRED", None, "Your account's password has expired and needs to be changed.", HresultKind::Ppcrl, false),
    (0x80048836, "PPCRL_REQUEST_E_EMAIL_VALIDATION_REQUIRED", None, "Your account's e-mail address must be verified.", HresultKind::Ppcrl, false),
    (0x80048862, "PPCRL_E_UNABLE_TO_RETRIEVE_SERVICE_TOKEN", None, "Failed to retrieve the service token.", HresultKind::Ppcrl, false),
    (0x80070002, "ERROR_FILE_NOT_FOUND", None, "A file could not be found.", HresultKind::System, false),
    (0x80070057, "ERROR_INVALID_PARAMETER", None, "One or more parameters have invalid values.", HresultKind::System, false),
    (0x800701f6, "HTTP_STATUS_BAD_GATEWAY", None, "The remote HTTP server returned the \"502 Bad Gateway\" status.", HresultKind::System, false),
    (0x80071392, "ERROR_OBJECT_ALREADY_EXISTS", None, "Something is seriously wrong with your installation. Consider uninstalling, rebooting, and re-installing, and then try again.", HresultKind::System, false),
    (0x80072ee7, "ERROR_INTERNET_NAME_NOT_RESOLVED", None, "The domain could not be resolved. (Is your client not patched?)", HresultKind::System, false),
    (0x80072efd, "ERROR_WINHTTP_CANNOT_CONNECT", None, "WinHTTP could not connect to the server specified.", HresultKind::System, false),
    (0x80072f7d, "ERROR_WINHTTP_SECURE_CHANNEL_ERROR", None, "Any possible secure channel (SSL) error from WinHTTP.", HresultKind::System, false),
}

/// The rows for an HRESULT value (more than one where the seed repeats a value).
pub fn hresult_infos(value: u32) -> impl Iterator<Item = &'static HresultInfo> {
    HRESULTS.iter().filter(move |info| info.value == value)
}

/// The rows whose name is `name` (case-insensitive).
pub fn hresult_infos_by_name(name: &str) -> impl Iterator<Item = &'static HresultInfo> {
    HRESULTS.iter().filter(move |info| info.name.eq_ignore_ascii_case(name))
}
