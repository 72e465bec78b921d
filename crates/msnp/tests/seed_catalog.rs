//! Checks the catalog against the seed file itself, row by row, so that a typo
//! on either side fails CI. The seed is `shared/seed/msnp-error-codes.txt`
//! beside the repository (or `MSNP_SEED`); without it the test says so and skips.

use std::path::PathBuf;

use msnp::ErrorCode;
use msnp::catalog::seed::{self, Seed};
use msnp::catalog::{HRESULTS, HresultKind, Origin, format_hresult};

fn seed() -> Option<Seed> {
    let path = std::env::var_os("MSNP_SEED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seed/msnp-error-codes.txt"));
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(seed::parse(&text).expect("the seed parses")),
        Err(error) => {
            eprintln!(
                "SKIPPED: seed file {} not readable ({error}); set MSNP_SEED to check the catalog",
                path.display()
            );
            None
        }
    }
}

#[test]
fn every_seed_error_code_is_in_the_catalog_exactly() {
    let Some(seed) = seed() else { return };
    assert_eq!(seed.codes.len(), 74, "the seed's MSNP table has 74 rows");
    let catalog: Vec<ErrorCode> = ErrorCode::seed_rows().collect();
    assert_eq!(catalog.len(), seed.codes.len(), "catalog seed rows vs seed rows");
    for (row, code) in seed.codes.iter().zip(&catalog) {
        assert_eq!(code.code(), row.code, "order or number");
        assert_eq!(code.hresult(), row.hresult, "{} hresult", row.code);
        assert_eq!(code.hresult_name().map(str::to_owned), row.hresult_name, "{} hresult name", row.code);
        assert_eq!(code.draft_name().map(str::to_owned), row.draft_name, "{} draft name", row.code);
        assert_eq!(code.description(), row.description, "{} description", row.code);
        assert_eq!(code.origin(), Origin::Seed);
        assert_eq!(ErrorCode::from_code(row.code), Some(*code));
    }
}

#[test]
fn every_seed_hresult_is_in_the_catalog_exactly() {
    let Some(seed) = seed() else { return };
    assert_eq!(seed.hresults.len(), HRESULTS.len(), "HRESULT rows");
    for (row, info) in seed.hresults.iter().zip(HRESULTS) {
        let label = format_hresult(row.value);
        assert_eq!(info.value, row.value, "{label}");
        assert_eq!(info.name, row.name, "{label} name");
        assert_eq!(info.first_seen.map(str::to_owned), row.first_seen, "{label} first seen");
        assert_eq!(info.description, row.description, "{label} description");
        assert_eq!(info.kind == HresultKind::System, row.system_error, "{label} system error");
    }
}

#[test]
fn codes_outside_the_seed_do_not_shadow_seed_rows() {
    let Some(seed) = seed() else { return };
    for code in ErrorCode::ALL.iter().filter(|c| c.origin() != Origin::Seed) {
        assert!(seed.codes.iter().all(|row| row.code != code.code()), "{} is a seed row", code.code());
        assert!(matches!(code.origin(), Origin::OutsideSeed(source) if !source.is_empty()));
    }
    for needed in [223, 224, 228, 229, 230, 231, 241] {
        assert!(ErrorCode::from_code(needed).is_some(), "{needed} missing");
    }
}
