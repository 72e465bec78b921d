//! The typed access to the catalog, independent of the seed file.

use msnp::ErrorCode;
use msnp::catalog::{self, HresultKind, format_hresult, hresult_infos, parse_hresult};

#[test]
fn variants_carry_their_numbers() {
    assert_eq!(ErrorCode::AlreadyInList as u16, 215);
    assert_eq!(ErrorCode::AuthenticationFailed.code(), 911);
    assert_eq!(ErrorCode::from_code(911), Some(ErrorCode::AuthenticationFailed));
    assert_eq!(ErrorCode::from_code(999), None);
    assert_eq!(ErrorCode::try_from(230u16), Ok(ErrorCode::CannotRemoveGroupZero));
    assert!(ErrorCode::try_from(1u16).is_err());
}

#[test]
fn display_answers_a_person() {
    assert_eq!(ErrorCode::AuthenticationFailed.to_string(), "911: Generic authentication failure.");
    assert_eq!(ErrorCode::Unexpected.to_string(), "212: MSGR_E_UNEXPECTED (meaning undocumented)");
}

#[test]
fn hresult_lookup_both_ways() {
    assert_eq!(ErrorCode::AuthenticationFailed.hresult(), Some(0x8100_0395));
    assert_eq!(ErrorCode::SyntaxError.hresult(), None);
    assert_eq!(ErrorCode::UnspecifiedFailure.hresult_name(), Some("MSGR_E_FAIL / E_FAIL"));
    let not_found: Vec<u16> = ErrorCode::from_hresult(0x8100_030a).map(ErrorCode::code).collect();
    assert_eq!(not_found, [205, 206, 208, 216]);
    let busy: Vec<u16> = ErrorCode::from_hresult(0x8100_030e).map(ErrorCode::code).collect();
    assert_eq!(busy, [600, 729, 910, 921, 922]);
    let info = ErrorCode::ListFull.hresult_info().expect("in the version table");
    assert_eq!(info.name, "MSGR_E_LIST_FULL");
    assert_eq!(info.first_seen, Some("1.0.0452"));
}

#[test]
fn the_duplicate_hresult_keeps_both_meanings() {
    let rows: Vec<_> = hresult_infos(0x8100_0330).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].obsolete && rows[0].name == "MSGR_E_CHILD_WITHOUT_CONSENT");
    assert!(!rows[1].obsolete && rows[1].name == "MSGR_E_RETRY_SET");
    assert_eq!(
        catalog::hresult_infos_by_name("error_file_not_found").next().map(|r| r.kind),
        Some(HresultKind::System)
    );
}

#[test]
fn hresults_format_and_parse_as_the_seed_writes_them() {
    assert_eq!(format_hresult(0x0100_0301), "0x01000301");
    assert_eq!(parse_hresult("0x81000395"), Some(0x8100_0395));
    assert_eq!(parse_hresult("0X8100043C"), Some(0x8100_043c));
    assert_eq!(parse_hresult("81000395"), None);
    assert_eq!(parse_hresult("0x"), None);
    assert_eq!(parse_hresult("0x123456789"), None);
}
