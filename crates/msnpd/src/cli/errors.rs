//! `msnpd errors [QUERY] [--json]`: the error catalog for people and scripts.

use std::fmt::Write as _;
use std::process::ExitCode;

use msnp::ErrorCode;
use msnp::catalog::{HRESULTS, HresultInfo, HresultKind, Origin, format_hresult, hresult_infos, parse_hresult};
use serde::Serialize;

#[derive(clap::Args)]
pub struct ErrorsArgs {
    /// An error code (911), an HRESULT (0x81000395) or a name (ERR_LIST_FULL, MSGR_E_USER_NOT_FOUND).
    query: Option<String>,
    /// Print JSON: {"msnp": [...], "msnp_outside_seed": [...], "hresults": [...]}.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &ErrorsArgs) -> ExitCode {
    let selection = match &args.query {
        None => Selection::everything(),
        Some(query) => Selection::matching(query),
    };
    if selection.is_empty() {
        if let Some(query) = &args.query {
            eprintln!("msnpd errors: no MSNP error code or HRESULT matches {query:?}");
        }
        return ExitCode::FAILURE;
    }
    let output = if args.json {
        render_json(&selection)
    } else if args.query.is_some() {
        render_detail(&selection)
    } else {
        render_table(&selection)
    };
    print!("{output}");
    ExitCode::SUCCESS
}

/// The catalog rows a query selects.
pub struct Selection {
    codes: Vec<ErrorCode>,
    hresults: Vec<&'static HresultInfo>,
}

impl Selection {
    fn everything() -> Selection {
        Selection { codes: ErrorCode::ALL.to_vec(), hresults: HRESULTS.iter().collect() }
    }

    /// A number is a code; `0x…` an HRESULT (with the codes related to it);
    /// anything else a name, matched against HRESULT and draft names.
    fn matching(query: &str) -> Selection {
        let query = query.trim();
        if let Ok(number) = query.parse::<u16>() {
            let codes: Vec<ErrorCode> = ErrorCode::from_code(number).into_iter().collect();
            let hresults = codes.iter().filter_map(|code| code.hresult()).flat_map(hresult_infos).collect();
            return Selection { codes, hresults };
        }
        if let Some(value) = parse_hresult(query) {
            return Selection {
                codes: ErrorCode::from_hresult(value).collect(),
                hresults: hresult_infos(value).collect(),
            };
        }
        let named = |name: Option<&str>| name.is_some_and(|n| n.eq_ignore_ascii_case(query));
        let hresults: Vec<&HresultInfo> =
            HRESULTS.iter().filter(|info| info.name.eq_ignore_ascii_case(query)).collect();
        let codes = ErrorCode::ALL
            .iter()
            .copied()
            .filter(|code| {
                named(code.draft_name())
                    || named(code.hresult_name())
                    || hresults.iter().any(|info| code.hresult() == Some(info.value))
            })
            .collect();
        Selection { codes, hresults }
    }

    fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.hresults.is_empty()
    }
}

fn dash(value: Option<&str>) -> &str {
    value.unwrap_or("-")
}

fn render_table(selection: &Selection) -> String {
    let mut out = String::new();
    let outside = selection.codes.iter().filter(|c| c.origin() != Origin::Seed).count();
    let _ = writeln!(
        out,
        "MSNP error codes ({} from the seed; {outside} marked * are documented outside it)",
        selection.codes.len() - outside
    );
    let _ = writeln!(out, "{:<5} {:<10}  {:<36} {:<30} DESCRIPTION", "CODE", "HRESULT", "HRESULT NAME", "DRAFT NAME");
    for code in &selection.codes {
        let mark = if code.origin() == Origin::Seed { ' ' } else { '*' };
        let hresult = code.hresult().map(format_hresult);
        let _ = writeln!(
            out,
            "{:<4}{mark} {:<10}  {:<36} {:<30} {}",
            code.code(),
            dash(hresult.as_deref()),
            dash(code.hresult_name()),
            dash(code.draft_name()),
            code.description()
        );
    }
    let _ = writeln!(out, "\nHRESULTs ({} rows)", selection.hresults.len());
    let _ = writeln!(out, "{:<10}  {:<44} {:<10} DESCRIPTION", "HRESULT", "NAME", "FIRST SEEN");
    for info in &selection.hresults {
        let _ = writeln!(
            out,
            "{:<10}  {:<44} {:<10} {}{}",
            format_hresult(info.value),
            display_name(info),
            dash(info.first_seen),
            info.description,
            if info.obsolete { " [obsolete]" } else { "" }
        );
    }
    out
}

fn display_name(info: &HresultInfo) -> String {
    match info.kind {
        HresultKind::System => format!("System Error {}", info.name),
        _ => info.name.to_owned(),
    }
}

/// A few lines per row: what a person asking about one code wants to read.
fn render_detail(selection: &Selection) -> String {
    let mut out = String::new();
    for code in &selection.codes {
        let _ = writeln!(out, "{code}");
        if let Some(draft) = code.draft_name() {
            let _ = writeln!(out, "  draft name  {draft}");
        }
        if let (Some(value), Some(name)) = (code.hresult(), code.hresult_name()) {
            let _ = writeln!(out, "  HRESULT     {} {name}", format_hresult(value));
        }
        if let Origin::OutsideSeed(source) = code.origin() {
            let _ = writeln!(out, "  not in the seed table; documented by {source}");
        }
    }
    for info in &selection.hresults {
        let first_seen = info.first_seen.map(|v| format!(" (first seen in {v})")).unwrap_or_default();
        let obsolete = if info.obsolete { " [obsolete]" } else { "" };
        let _ = writeln!(
            out,
            "{} {}{first_seen}{obsolete}: {}",
            format_hresult(info.value),
            display_name(info),
            info.description
        );
    }
    out
}

#[derive(Serialize)]
struct CodeJson {
    code: u16,
    hresult: Option<String>,
    hresult_name: Option<&'static str>,
    draft_name: Option<&'static str>,
    description: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
}

#[derive(Serialize)]
struct HresultJson {
    hresult: String,
    name: &'static str,
    first_seen: Option<&'static str>,
    description: &'static str,
    kind: &'static str,
    obsolete: bool,
}

#[derive(Serialize)]
struct CatalogJson {
    msnp: Vec<CodeJson>,
    msnp_outside_seed: Vec<CodeJson>,
    hresults: Vec<HresultJson>,
}

fn code_json(code: ErrorCode) -> CodeJson {
    CodeJson {
        code: code.code(),
        hresult: code.hresult().map(format_hresult),
        hresult_name: code.hresult_name(),
        draft_name: code.draft_name(),
        description: code.description(),
        source: match code.origin() {
            Origin::Seed => None,
            Origin::OutsideSeed(source) => Some(source),
        },
    }
}

fn render_json(selection: &Selection) -> String {
    let (seed, outside): (Vec<ErrorCode>, Vec<ErrorCode>) =
        selection.codes.iter().partition(|code| code.origin() == Origin::Seed);
    let catalog = CatalogJson {
        msnp: seed.into_iter().map(code_json).collect(),
        msnp_outside_seed: outside.into_iter().map(code_json).collect(),
        hresults: selection
            .hresults
            .iter()
            .map(|info| HresultJson {
                hresult: format_hresult(info.value),
                name: info.name,
                first_seen: info.first_seen,
                description: info.description,
                kind: match info.kind {
                    HresultKind::Messenger => "messenger",
                    HresultKind::Com => "com",
                    HresultKind::Ppcrl => "ppcrl",
                    HresultKind::System => "system",
                },
                obsolete: info.obsolete,
            })
            .collect(),
    };
    let mut json = serde_json::to_string(&catalog).unwrap_or_default();
    json.push('\n');
    json
}
