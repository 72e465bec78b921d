//! A reader for the seed specification's text format
//! (`shared/seed/msnp-error-codes.txt`), so the catalog and the `msnpd errors`
//! output can be checked against the file itself rather than against a copy.

/// A row of the seed's "MSNP error codes" table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedCode {
    pub code: u16,
    pub hresult: Option<u32>,
    pub hresult_name: Option<String>,
    pub draft_name: Option<String>,
    pub description: String,
}

/// A row of one of the seed's HRESULT tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedHresult {
    pub value: u32,
    pub name: String,
    /// Only the Messenger table has this column.
    pub first_seen: Option<String>,
    pub description: String,
    /// The row is written `System Error NAME`.
    pub system_error: bool,
}

/// The seed's tables, rows in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seed {
    pub codes: Vec<SeedCode>,
    pub hresults: Vec<SeedHresult>,
}

/// A line of a table that does not have the table's columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("seed line {line}: {reason}")]
pub struct SeedParseError {
    pub line: usize,
    pub reason: &'static str,
}

#[derive(PartialEq)]
enum Section {
    Preamble,
    Codes,
    MessengerHresults,
    OtherHresults,
}

fn not_applicable(token: &str) -> Option<String> {
    (token != "N/A").then(|| token.to_owned())
}

/// Reads the three tables, recognised by their header lines.
pub fn parse(text: &str) -> Result<Seed, SeedParseError> {
    let mut section = Section::Preamble;
    let mut seed = Seed::default();
    for (index, line) in text.lines().enumerate() {
        let error = |reason| SeedParseError { line: index + 1, reason };
        if line.starts_with("MSNP ERROR CODE ") {
            section = Section::Codes;
            continue;
        }
        if line.starts_with("HRESULT value HRESULT's name First seen") {
            section = Section::MessengerHresults;
            continue;
        }
        if line.starts_with("HRESULT value HRESULT's name Description") {
            section = Section::OtherHresults;
            continue;
        }
        let words: Vec<&str> = line.split(' ').collect();
        match section {
            Section::Preamble => {}
            Section::Codes => {
                let Ok(code) = words[0].parse::<u16>() else {
                    continue;
                };
                let [_, hresult, name, rest @ ..] = &words[..] else {
                    return Err(error("too few columns"));
                };
                // "MSGR_E_FAIL / E_FAIL" is one name with spaces in it.
                let (name, rest) = match rest {
                    ["/", second, rest @ ..] => (format!("{name} / {second}"), rest),
                    rest => ((*name).to_owned(), rest),
                };
                let [draft, description @ ..] = rest else {
                    return Err(error("no draft name column"));
                };
                let hresult = match *hresult {
                    "N/A" => None,
                    text => Some(super::parse_hresult(text).ok_or_else(|| error("bad HRESULT"))?),
                };
                seed.codes.push(SeedCode {
                    code,
                    hresult,
                    hresult_name: not_applicable(&name),
                    draft_name: not_applicable(draft),
                    description: description.join(" "),
                });
            }
            Section::MessengerHresults | Section::OtherHresults => {
                let Some(value) = super::parse_hresult(words[0]) else {
                    continue;
                };
                let (system_error, rest) = match &words[1..] {
                    ["System", "Error", rest @ ..] => (true, rest),
                    rest => (false, rest),
                };
                let (name, first_seen, description) = if section == Section::MessengerHresults {
                    let [name, first_seen, description @ ..] = rest else {
                        return Err(error("too few columns"));
                    };
                    (name, Some((*first_seen).to_owned()), description)
                } else {
                    let [name, description @ ..] = rest else {
                        return Err(error("too few columns"));
                    };
                    (name, None, description)
                };
                seed.hresults.push(SeedHresult {
                    value,
                    name: (*name).to_owned(),
                    first_seen,
                    description: description.join(" "),
                    system_error,
                });
            }
        }
    }
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_table_shape() {
        let text = "intro\nMSNP ERROR CODE related HRESULT value x\n\
            200 N/A N/A ERR_SYNTAX_ERROR Syntax error.\n\
            503 0x80004005 MSGR_E_FAIL / E_FAIL N/A Unspecified failure.\n\
            HRESULT value HRESULT's name First seen in (version) Description / Known reason?\n\
            0x81000301 MSGR_E_CONNECT 1.0.0452 ?\n\
            HRESULT value HRESULT's name Description / Known reason?\n\
            0x80070002 System Error ERROR_FILE_NOT_FOUND A file could not be found.\n";
        let seed = parse(text).expect("parses");
        assert_eq!(seed.codes[0].draft_name.as_deref(), Some("ERR_SYNTAX_ERROR"));
        assert_eq!(seed.codes[1].hresult_name.as_deref(), Some("MSGR_E_FAIL / E_FAIL"));
        assert_eq!(seed.codes[1].hresult, Some(0x8000_4005));
        assert_eq!(seed.hresults[0].first_seen.as_deref(), Some("1.0.0452"));
        assert!(seed.hresults[1].system_error);
        assert_eq!(seed.hresults[1].name, "ERROR_FILE_NOT_FOUND");
        assert!(parse("MSNP ERROR CODE x\n200 N/A\n").is_err());
    }
}
