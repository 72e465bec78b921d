//! `msnpd errors`: the JSON reproduces every seed row, and a single code reads well.

use std::path::PathBuf;
use std::process::Command;

use msnp::catalog::format_hresult;
use msnp::catalog::seed;
use serde_json::Value;

fn msnpd(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_msnpd")).args(args).output().expect("msnpd runs");
    (output.status.success(), String::from_utf8(output.stdout).expect("utf-8 output"))
}

fn seed_text() -> Option<String> {
    let path = std::env::var_os("MSNP_SEED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seed/msnp-error-codes.txt"));
    std::fs::read_to_string(&path)
        .map_err(|error| eprintln!("SKIPPED: seed file {} not readable ({error})", path.display()))
        .ok()
}

fn text_or_null(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |v| Value::String(v.to_owned()))
}

#[test]
fn json_reproduces_every_seed_row() {
    let Some(text) = seed_text() else { return };
    let seed = seed::parse(&text).expect("seed parses");
    let (ok, stdout) = msnpd(&["errors", "--json"]);
    assert!(ok);
    let json: Value = serde_json::from_str(&stdout).expect("valid JSON");

    let msnp = json["msnp"].as_array().expect("msnp array");
    assert_eq!(msnp.len(), seed.codes.len());
    for (row, got) in seed.codes.iter().zip(msnp) {
        let expected = serde_json::json!({
            "code": row.code,
            "hresult": row.hresult.map(format_hresult),
            "hresult_name": row.hresult_name,
            "draft_name": row.draft_name,
            "description": row.description,
        });
        assert_eq!(got, &expected);
    }

    let hresults = json["hresults"].as_array().expect("hresults array");
    assert_eq!(hresults.len(), seed.hresults.len());
    for (row, got) in seed.hresults.iter().zip(hresults) {
        assert_eq!(got["hresult"], Value::String(format_hresult(row.value)));
        assert_eq!(got["name"], Value::String(row.name.clone()));
        assert_eq!(got["first_seen"], text_or_null(row.first_seen.as_deref()));
        assert_eq!(got["description"], Value::String(row.description.clone()));
        assert_eq!(got["kind"] == "system", row.system_error);
    }

    let outside = json["msnp_outside_seed"].as_array().expect("outside array");
    assert!(outside.iter().any(|row| row["code"] == 229 && row["source"].is_string()));
}

#[test]
fn one_code_answers_in_one_glance() {
    let (ok, stdout) = msnpd(&["errors", "911"]);
    assert!(ok);
    assert_eq!(
        stdout,
        "911: Generic authentication failure.\n  draft name  ERR_AUTHENTICATION_FAILED\n  HRESULT     0x81000395 MSGR_E_MSNP_911\n"
    );
}

#[test]
fn an_hresult_lists_its_codes_and_its_table_row() {
    let (ok, stdout) = msnpd(&["errors", "0x8100030E"]);
    assert!(ok);
    for code in ["600:", "729:", "910:", "921:", "922:"] {
        assert!(stdout.contains(code), "{code} missing from {stdout}");
    }
    assert!(stdout.contains("0x8100030e MSGR_E_SERVER_TOO_BUSY (first seen in 1.0.0452)"));
}

#[test]
fn the_table_and_unknown_queries() {
    let (ok, stdout) = msnpd(&["errors"]);
    assert!(ok);
    assert!(stdout.starts_with("MSNP error codes (74 from the seed;"));
    assert!(stdout.contains("0x80070002  System Error ERROR_FILE_NOT_FOUND"));
    let (ok, stdout) = msnpd(&["errors", "999"]);
    assert!(!ok);
    assert!(stdout.is_empty());
}
