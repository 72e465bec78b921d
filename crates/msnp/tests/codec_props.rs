//! Property tests of the framing: what is encoded decodes back unchanged, in any
//! chunking, and arbitrary bytes never panic the decoder.

use bytes::{Bytes, BytesMut};
use msnp::Dialect;
use msnp::codec::{Decoder, Direction, Frame, Limits, PayloadRule, payload_rule};
use proptest::prelude::*;

const COMMANDS: &[&str] = &[
    "VER", "CVR", "USR", "SYN", "LST", "LSG", "ADD", "ADC", "REM", "ADG", "RMG", "REG", "CHG", "ILN", "NLN", "FLN",
    "XFR", "RNG", "CAL", "ANS", "IRO", "JOI", "BYE", "ACK", "NAK", "OUT", "PNG", "QNG", "CHL", "QRY", "MSG", "NOT",
    "IPG", "UUX", "UBX", "GCF", "ADL", "RML", "FQY", "UUN", "UBN", "UUM", "UBM", "SDC", "PUT", "DEL", "SDG", "NFY",
    "BLP", "GTC", "PRP", "BPR", "SBP", "REA", "URL", "SBS", "INF", "201", "241", "911", "ZZZ",
];

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::ClientToServer), Just(Direction::ServerToClient)]
}

fn dialect() -> impl Strategy<Value = Option<Dialect>> {
    prop_oneof![Just(None), (2u8..=18).prop_map(Dialect::new)]
}

/// A parameter: any non-empty text without spaces or control characters, including non-ASCII.
fn param() -> impl Strategy<Value = String> {
    prop_oneof!["[!-~]{1,12}", "[0-9]{1,6}", "[^ \\x00-\\x1f\\x7f]{1,8}",]
}

/// A frame that can exist in `direction`/`dialect`: payload commands carry a
/// payload; the ones that carry it only after a length never end in a number
/// without one.
fn frame(direction: Direction, dialect: Option<Dialect>) -> impl Strategy<Value = Frame> {
    (
        prop::sample::select(COMMANDS),
        prop::collection::vec(param(), 0..6),
        prop::collection::vec(any::<u8>(), 0..300),
        any::<bool>(),
    )
        .prop_map(move |(command, mut params, payload, with_payload)| {
            let rule = payload_rule(command, direction, dialect);
            let is_error = command.bytes().all(|b| b.is_ascii_digit());
            let payload = match rule {
                Some(PayloadRule::Always) => Some(Bytes::from(payload)),
                Some(PayloadRule::WhenLastIsLength) if with_payload => {
                    if is_error && params.is_empty() {
                        params.push("7".into());
                    }
                    Some(Bytes::from(payload))
                }
                Some(PayloadRule::WhenLastIsLength) => {
                    if params.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())) {
                        params.push("OK".into());
                    }
                    None
                }
                None => None,
            };
            Frame { command: command.into(), params: params.into_iter().collect(), payload }
        })
}

fn decode_chunked(decoder: &mut Decoder, bytes: &[u8], chunk: usize) -> Vec<Frame> {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        while let Some(frame) = decoder.decode(&mut buf).expect("valid stream") {
            frames.push(frame);
        }
    }
    assert!(buf.is_empty(), "bytes left over");
    frames
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_of_encode_is_identity(
        (direction, dialect, frames, chunk) in (direction(), dialect()).prop_flat_map(|(direction, dialect)| {
            (Just(direction), Just(dialect), prop::collection::vec(frame(direction, dialect), 1..8), 1usize..64)
        })
    ) {
        let mut wire = BytesMut::new();
        for frame in &frames {
            prop_assert!(frame.is_well_formed());
            frame.encode(&mut wire);
        }
        let mut decoder = Decoder::new(direction, Limits::default());
        if let Some(dialect) = dialect {
            decoder.set_dialect(dialect);
        }
        prop_assert_eq!(decode_chunked(&mut decoder, &wire, chunk), frames);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        direction in direction(),
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        chunk in 1usize..128,
        max_payload in 0usize..2048,
    ) {
        let mut decoder = Decoder::new(direction, Limits { max_line: 200, max_payload });
        let mut buf = BytesMut::new();
        'feed: for piece in bytes.chunks(chunk) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(frame)) => prop_assert!(frame.payload.as_ref().is_none_or(|p| p.len() <= max_payload)),
                    Ok(None) => break,
                    Err(error) if error.is_fatal() => break 'feed,
                    Err(_) => {}
                }
            }
            // Never more buffered than one line plus one payload.
            prop_assert!(buf.len() <= 200 + 2 + max_payload + chunk);
        }
    }

    #[test]
    fn mostly_valid_lines_with_noise_never_panic(
        lines in prop::collection::vec(("[A-Z]{3}", prop::collection::vec("[ -~]{0,10}", 0..5)), 1..20),
        noise in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut wire = Vec::new();
        for (command, params) in &lines {
            wire.extend_from_slice(command.as_bytes());
            for p in params {
                wire.push(b' ');
                wire.extend_from_slice(p.as_bytes());
            }
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(&noise);
        let mut decoder = Decoder::new(Direction::ClientToServer, Limits::default());
        let mut buf = BytesMut::from(&wire[..]);
        // Every answer consumes input, so this ends once the input runs dry.
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) if error.is_fatal() => break,
                Err(_) => {}
            }
        }
    }
}
