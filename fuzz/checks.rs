//! What the fuzz targets check, shared with `crates/msnp/tests/fuzz_replay.rs`,
//! which replays the seeds, the minimized corpus and every past crash on
//! stable Rust in the normal test run.

use bytes::BytesMut;
use msnp::Dialect;
use msnp::codec::{Decoder, Direction, Limits};
use msnp::soap::envelope::Envelope;
use msnp::soap::rst;
use msnp::xml::{ml, uux};

/// Arbitrary bytes into the MSNP decoder. The first byte picks the direction,
/// the read size and the dialect; the limits it promises must hold.
pub fn decoder(data: &[u8]) {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let direction = if control & 1 == 0 { Direction::ClientToServer } else { Direction::ServerToClient };
    let chunk = usize::from(control >> 1).max(1);
    let limits = Limits { max_line: 256, max_payload: 1024 };
    let mut decoder = Decoder::new(direction, limits);
    if control & 0x80 != 0 {
        decoder.set_dialect(Dialect::new(2 + (control >> 1) % 17).unwrap_or(Dialect::NEWEST));
    }
    messages_decode_alike(data, direction, limits, decoder.dialect());
    let mut buf = BytesMut::new();
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(frame.payload.as_ref().is_none_or(|p| p.len() <= limits.max_payload));
                    let _ = frame.to_bytes();
                }
                Ok(None) => break,
                Err(error) if error.is_fatal() => return,
                Err(_) => {}
            }
        }
        assert!(buf.len() <= limits.max_line + 2 + limits.max_payload + chunk);
    }
}

/// What the decoder makes of a frame, for comparing its two paths: a `MSG`'s
/// TrID as the number it is (`007` and `7` are the same TrID).
type Decoded = Result<(String, Vec<String>, Option<bytes::Bytes>), msnp::codec::DecodeError>;

fn decoded(frame: msnp::Frame) -> Decoded {
    let mut params = frame.params.to_vec();
    if frame.command == "MSG"
        && let (Some(trid), Some(first)) = (frame.trid(), params.first_mut())
    {
        *first = trid.to_string();
    }
    Ok((frame.command.to_string(), params, frame.payload))
}

/// The switchboard's path (`decode_message` first, `decode` for the rest)
/// reads the same input as `decode` alone: the same frames, the same errors.
fn messages_decode_alike(data: &[u8], direction: Direction, limits: Limits, dialect: Option<Dialect>) {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(control >> 1).max(1);
    let new_decoder = || {
        let mut decoder = Decoder::new(direction, limits);
        if let Some(dialect) = dialect {
            decoder.set_dialect(dialect);
        }
        decoder
    };
    let run = |fast: bool| {
        let mut decoder = new_decoder();
        let (mut buf, mut out) = (BytesMut::new(), Vec::<Decoded>::new());
        for piece in input.chunks(chunk) {
            buf.extend_from_slice(piece);
            loop {
                if fast && let Some(message) = decoder.decode_message(&mut buf) {
                    out.push(decoded(message.into_frame()));
                    continue;
                }
                match decoder.decode(&mut buf) {
                    Ok(Some(frame)) => out.push(decoded(frame)),
                    Ok(None) => break,
                    Err(error) => {
                        let fatal = error.is_fatal();
                        out.push(Err(error));
                        if fatal {
                            return out;
                        }
                    }
                }
            }
        }
        out
    };
    assert_eq!(run(true), run(false));
}

/// Arbitrary text into every XML payload parser: `<ml>` (ADL/RML/FQY), UUX,
/// SOAP envelopes and RST requests. None may panic, and what parses must
/// render back into something that parses.
pub fn xml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(list) = ml::parse(text) {
        let contacts: Vec<_> = list.contacts.into_iter().filter(|c| !c.address.starts_with("tel:")).collect();
        if !contacts.is_empty() {
            assert!(ml::parse(&ml::render(&contacts)).is_ok(), "re-rendered <ml> does not parse");
        }
    }
    if let Ok(uux::UuxPayload::Status(status)) = uux::parse_payload(text) {
        assert!(uux::parse(&uux::render_ubx(&status)).is_ok(), "re-rendered UBX does not parse");
    }
    if let Ok(envelope) = Envelope::parse(text) {
        let _ = envelope.text(&["Body"]);
        for index in envelope.each(&["Member"]) {
            let _ = envelope.child_texts(index, &["PassportName"]);
        }
    }
    let _ = rst::parse_request(text);
}
