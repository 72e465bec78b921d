//! The error catalog: every MSNP error code and every HRESULT of the seed
//! (`shared/seed/msnp-error-codes.txt`), plus the codes the protocol uses that
//! the seed lacks, flagged as such.

mod codes;
mod hresults;
pub mod seed;

pub use codes::{ErrorCode, Origin, UnknownErrorCode};
pub use hresults::{HRESULTS, HresultInfo, HresultKind, hresult_infos, hresult_infos_by_name};

/// Formats an HRESULT as the seed writes it: `0x` and eight lowercase hex digits.
pub fn format_hresult(value: u32) -> String {
    format!("{value:#010x}")
}

/// Parses an HRESULT written as `0x81000395` (hex digits in any case).
pub fn parse_hresult(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?;
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}
