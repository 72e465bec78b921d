//! Per-dialect shapes of the lines the Notification Server sends.

use msnp::Dialect;
use msnp::text::encode_param;
use time::OffsetDateTime;

use crate::core::presence::{Capabilities, ContactPresence, Status};

pub fn status_code(status: Status) -> &'static str {
    match status {
        Status::Online => "NLN",
        Status::Busy => "BSY",
        Status::Idle => "IDL",
        Status::BeRightBack => "BRB",
        Status::Away => "AWY",
        Status::OnThePhone => "PHN",
        Status::OutToLunch => "LUN",
        Status::Hidden => "HDN",
    }
}

/// A status a client may set with `CHG` (not FLN).
pub fn parse_status(code: &str) -> Option<Status> {
    Some(match code {
        "NLN" => Status::Online,
        "BSY" => Status::Busy,
        "IDL" => Status::Idle,
        "BRB" => Status::BeRightBack,
        "AWY" => Status::Away,
        "PHN" => Status::OnThePhone,
        "LUN" => Status::OutToLunch,
        "HDN" => Status::Hidden,
        _ => return None,
    })
}

/// `caps` or `caps:ext`; `None` when not numbers.
pub fn parse_caps(text: &str) -> Option<Capabilities> {
    let (flags, extended) = match text.split_once(':') {
        Some((flags, extended)) => (flags, Some(extended)),
        None => (text, None),
    };
    let number =
        |t: &str| (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse::<u32>().ok()).flatten();
    Some(Capabilities {
        flags: number(flags)?,
        extended: match extended {
            Some(extended) => number(extended)?,
            None => 0,
        },
    })
}

pub fn caps_text(dialect: Dialect, caps: Capabilities) -> String {
    if dialect.has_extended_caps() { format!("{}:{}", caps.flags, caps.extended) } else { caps.flags.to_string() }
}

/// How presence lines name a Messenger user (network 1): `email` (up to
/// MSNP13), `email 1` (MSNP14–17) or `1:email` (MSNP18).
pub fn handle_params(dialect: Dialect, email: &str) -> Vec<String> {
    if dialect.handles_have_network_prefix() {
        vec![format!("1:{email}")]
    } else if dialect.presence_has_network_id() {
        vec![email.to_owned(), "1".to_owned()]
    } else {
        vec![email.to_owned()]
    }
}

/// The parameters of `FLN`: the handle, and from MSNP16 empty capabilities.
pub fn offline_params(dialect: Dialect, email: &str) -> Vec<String> {
    let mut params = handle_params(dialect, email);
    if dialect.has_extended_caps() {
        params.push("0:0".to_owned());
    }
    params
}

/// The parameters after the command (and TrID) of ILN/NLN:
/// `status email friendly [caps [msnobj]]` in the dialect's form. From MSNP9
/// the msnobject field is always there, `0` when the user has none: clients
/// count the words (BitlBee's MSNP18 code logs out on fewer than six).
pub fn presence_params(dialect: Dialect, view: &ContactPresence) -> Vec<String> {
    let mut params = vec![status_code(view.presence.status).to_owned()];
    params.extend(handle_params(dialect, &view.email));
    params.push(encode_param(&view.friendly_name));
    if dialect.presence_has_caps() {
        params.push(caps_text(dialect, view.presence.caps));
        if dialect.presence_has_msnobj() {
            params.push(view.presence.msnobj.clone().unwrap_or_else(|| "0".to_owned()));
        }
    }
    params
}

/// MSNP10–12 list timestamps: `2005-04-23T18:57:44.8130000-07:00`, in UTC.
pub fn list_timestamp(micros: i64) -> String {
    let time =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    // Written digit by digit: `format!` with padding cost more than the rest
    // of the `SYN` answer that sends two of these.
    let (year, month, day) = time.to_calendar_date();
    let (hour, minute, second, nanos) = time.to_hms_nano();
    let mut text = String::with_capacity(34);
    // As `{:04}` writes a year: a minus sign takes one of the four places.
    if year < 0 {
        text.push('-');
        put_padded(&mut text, year.unsigned_abs(), 3);
    } else {
        put_padded(&mut text, year.unsigned_abs(), 4);
    }
    for (value, width, before) in [
        (u32::from(u8::from(month)), 2, '-'),
        (u32::from(day), 2, '-'),
        (u32::from(hour), 2, 'T'),
        (u32::from(minute), 2, ':'),
        (u32::from(second), 2, ':'),
        (nanos / 100, 7, '.'),
    ] {
        text.push(before);
        put_padded(&mut text, value, width);
    }
    text.push_str("-00:00");
    text
}

/// Writes `value` in decimal, zero-padded to `width` digits.
fn put_padded(text: &mut String, mut value: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (value % 10) as u8;
        value /= 10;
        len += 1;
        if value == 0 {
            break;
        }
    }
    text.extend(std::iter::repeat_n('0', width.saturating_sub(len)));
    text.extend(digits[..len].iter().rev().map(|&digit| char::from(digit)));
}

/// Reads a list timestamp back (any RFC 3339 time); `None` for anything else,
/// such as the `0001-01-01T00:00:00` of a client with no cache.
pub fn parse_list_timestamp(text: &str) -> Option<i64> {
    let time = OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(time.unix_timestamp_nanos() / 1000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::presence::Presence;

    #[test]
    fn statuses_and_caps() {
        for code in ["NLN", "BSY", "IDL", "BRB", "AWY", "PHN", "LUN", "HDN"] {
            assert_eq!(parse_status(code).map(status_code), Some(code));
        }
        assert_eq!(parse_status("FLN"), None);
        assert_eq!(parse_caps("268435492"), Some(Capabilities { flags: 268435492, extended: 0 }));
        assert_eq!(parse_caps("2789003324:48"), Some(Capabilities { flags: 2789003324, extended: 48 }));
        assert_eq!(parse_caps("x"), None);
        assert_eq!(parse_caps("1:"), None);
        assert_eq!(parse_caps("99999999999"), None);
    }

    #[test]
    fn presence_by_dialect() {
        let view = ContactPresence {
            email: "bob@example.com".into(),
            friendly_name: "Bob B".into(),
            presence: Presence {
                status: Status::Busy,
                caps: Capabilities { flags: 5, extended: 0 },
                msnobj: Some("%3Cmsnobj%2F%3E".into()),
            },
        };
        assert_eq!(presence_params(Dialect::MSNP8, &view), ["BSY", "bob@example.com", "Bob%20B", "5"]);
        assert_eq!(
            presence_params(Dialect::MSNP9, &view),
            ["BSY", "bob@example.com", "Bob%20B", "5", "%3Cmsnobj%2F%3E"]
        );
        assert_eq!(presence_params(Dialect::MSNP7, &view), ["BSY", "bob@example.com", "Bob%20B"]);
        assert_eq!(
            presence_params(Dialect::MSNP14, &view),
            ["BSY", "bob@example.com", "1", "Bob%20B", "5", "%3Cmsnobj%2F%3E"]
        );
        assert_eq!(
            presence_params(Dialect::MSNP18, &view),
            ["BSY", "1:bob@example.com", "Bob%20B", "5:0", "%3Cmsnobj%2F%3E"]
        );
        let plain = ContactPresence { presence: Presence { msnobj: None, ..view.presence.clone() }, ..view.clone() };
        assert_eq!(presence_params(Dialect::MSNP9, &plain), ["BSY", "bob@example.com", "Bob%20B", "5", "0"]);
        assert_eq!(presence_params(Dialect::MSNP18, &plain), ["BSY", "1:bob@example.com", "Bob%20B", "5:0", "0"]);
        assert_eq!(offline_params(Dialect::MSNP13, "a@b.c"), ["a@b.c"]);
        assert_eq!(offline_params(Dialect::MSNP15, "a@b.c"), ["a@b.c", "1"]);
        assert_eq!(offline_params(Dialect::MSNP16, "a@b.c"), ["a@b.c", "1", "0:0"]);
        assert_eq!(offline_params(Dialect::MSNP18, "a@b.c"), ["1:a@b.c", "0:0"]);
    }

    #[test]
    fn timestamps() {
        assert_eq!(list_timestamp(1_114_307_864_813_000), "2005-04-24T01:57:44.8130000-00:00");
        assert_eq!(list_timestamp(0), "1970-01-01T00:00:00.0000000-00:00");
        // The same text as the padded format it replaces, across the range.
        let formatted = |micros: i64| {
            let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}-00:00",
                time.year(),
                u8::from(time.month()),
                time.day(),
                time.hour(),
                time.minute(),
                time.second(),
                time.nanosecond() / 100
            )
        };
        let mut micros = -70_000_000_000_000_000i64;
        while micros < 260_000_000_000_000_000 {
            assert_eq!(list_timestamp(micros), formatted(micros), "{micros}");
            micros += 977_777_777_777_777;
        }
        for micros in [i64::MIN, -62_135_596_800_000_001, -1, 1, 999_999, 253_402_300_799_999_999, i64::MAX] {
            assert_eq!(list_timestamp(micros), formatted(micros), "{micros}");
        }
        assert_eq!(parse_list_timestamp(&list_timestamp(1_114_307_864_813_000)), Some(1_114_307_864_813_000));
        assert_eq!(parse_list_timestamp("0001-01-01T00:00:00"), None);
    }
}
