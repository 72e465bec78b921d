//! MSNP framing: `COMMAND [TrID] params…\r\n`, and for payload commands a byte
//! length as the last parameter followed by exactly that many raw bytes.
//!
//! The decoder works over the caller's `BytesMut` (so a connection owns one small
//! buffer), never looks further than the line limit for a line end, and never
//! buffers more than the payload limit. Which commands carry payloads depends on
//! the direction and the dialect; [`payload_rule`] holds that table.

use std::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::catalog::ErrorCode;
pub use crate::command::Command;
use crate::dialect::Dialect;
pub use crate::params::Params;

/// The longest command line accepted, not counting its line end.
pub const MAX_LINE_LEN: usize = 1664;
/// The default largest payload accepted.
pub const DEFAULT_MAX_PAYLOAD: usize = 64 * 1024;

/// Who sent the bytes being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

/// Whether a command line is followed by a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadRule {
    /// The last parameter is always the payload length (`MSG 5 A 130`).
    Always,
    /// Only when the last parameter is a number: the server's `ADL 6 OK` has no
    /// payload, its `ADL 0 92` has one.
    WhenLastIsLength,
}

struct PayloadCommand {
    /// Every payload command's name is three letters: compared as an array,
    /// a lookup per line costs a few instructions rather than a call per entry.
    command: [u8; 3],
    direction: Direction,
    since: Dialect,
    rule: PayloadRule,
}

const fn entry(command: &'static str, direction: Direction, since: Dialect, rule: PayloadRule) -> PayloadCommand {
    let name = command.as_bytes();
    assert!(name.len() == 3, "payload commands have three-letter names");
    PayloadCommand { command: [name[0], name[1], name[2]], direction, since, rule }
}

use Direction::{ClientToServer as C2S, ServerToClient as S2C};
use PayloadRule::{Always, WhenLastIsLength as IfLength};

/// Every payload command, by direction and first dialect (MSNP.md §1.2).
/// `PUT`/`DEL`/`SDG`/`NFY` belong to MSNP19+; they are framed in every dialect so
/// that a client speaking them stays in sync while it is told they are unknown.
const PAYLOAD_COMMANDS: &[PayloadCommand] = &[
    entry("MSG", C2S, Dialect::MSNP2, Always),
    entry("SDC", C2S, Dialect::MSNP5, Always),
    entry("QRY", C2S, Dialect::MSNP6, Always),
    entry("UUX", C2S, Dialect::MSNP11, Always),
    entry("ADL", C2S, Dialect::MSNP13, Always),
    entry("RML", C2S, Dialect::MSNP13, Always),
    entry("UUN", C2S, Dialect::MSNP13, Always),
    entry("FQY", C2S, Dialect::MSNP14, Always),
    entry("UUM", C2S, Dialect::MSNP14, Always),
    entry("PUT", C2S, Dialect::MSNP2, IfLength),
    entry("DEL", C2S, Dialect::MSNP2, IfLength),
    entry("SDG", C2S, Dialect::MSNP2, IfLength),
    entry("MSG", S2C, Dialect::MSNP2, Always),
    entry("NOT", S2C, Dialect::MSNP5, Always),
    entry("IPG", S2C, Dialect::MSNP5, Always),
    entry("GCF", S2C, Dialect::MSNP11, Always),
    entry("UBX", S2C, Dialect::MSNP11, Always),
    entry("UUX", S2C, Dialect::MSNP11, Always),
    entry("ADL", S2C, Dialect::MSNP13, IfLength),
    entry("RML", S2C, Dialect::MSNP13, IfLength),
    entry("UBN", S2C, Dialect::MSNP13, Always),
    entry("FQY", S2C, Dialect::MSNP14, IfLength),
    entry("UBM", S2C, Dialect::MSNP14, Always),
    entry("NFY", S2C, Dialect::MSNP2, IfLength),
    entry("PUT", S2C, Dialect::MSNP2, IfLength),
    entry("SDG", S2C, Dialect::MSNP2, IfLength),
];

/// Whether `command` carries a payload when sent in `direction` in `dialect`.
/// Before `VER` has settled the dialect (`None`), every dialect's commands count.
/// Error codes from the server carry one when they have a length after the TrID
/// (`241 7 52`).
pub fn payload_rule(command: &str, direction: Direction, dialect: Option<Dialect>) -> Option<PayloadRule> {
    if direction == Direction::ServerToClient && is_error_code(command) {
        return Some(PayloadRule::WhenLastIsLength);
    }
    let name: [u8; 3] = command.as_bytes().try_into().ok()?;
    PAYLOAD_COMMANDS
        .iter()
        .find(|entry| {
            entry.command == name
                && entry.direction == direction
                && dialect.is_none_or(|dialect| dialect >= entry.since)
        })
        .map(|entry| entry.rule)
}

/// Whether a TAB separates words of this command's line like a space. `CVR`
/// only: its words are informational, never stored or passed on, and one
/// real client writes `MSMSGS<TAB>email` in it. Everywhere else a control
/// character in the line is refused, so none reaches another user.
fn tab_separates_words(command: &[u8], direction: Direction) -> bool {
    direction == Direction::ClientToServer && command == b"CVR"
}

/// A command line's parts, copied out of the input.
struct Line {
    command: Command,
    params: Params,
    trid: Option<u32>,
    /// Every word is text without control characters; `params` is empty if not.
    utf8: bool,
    payload_len: Option<u64>,
}

/// Reads one command line (without its line end); `Ok(None)` for a blank one.
/// The words are walked a few times instead of gathered into a vector: a
/// line has a handful, and an allocation costs more than walking them.
fn parse_line(line: &[u8], direction: Direction, dialect: Option<Dialect>) -> Result<Option<Line>, DecodeError> {
    let Some(start) = line.iter().position(|&b| b != b' ') else {
        return Ok(None);
    };
    let end = line[start..].iter().position(|&b| b == b' ').map_or(line.len(), |at| start + at);
    let (command_bytes, rest) = (&line[start..end], &line[end..]);
    let tabs = tab_separates_words(command_bytes, direction);
    let separates = move |b: u8| b == b' ' || (tabs && b == b'\t');
    let words = || spans(rest, separates).map(|span| &rest[span]);

    let command = Command::from(&*String::from_utf8_lossy(command_bytes));
    let trid = words().next().and_then(parse_decimal);
    let (count, last) = words().fold((0usize, None), |(count, _), word| (count + 1, Some(word)));
    let payload_len = match payload_rule(&command, direction, dialect) {
        Some(PayloadRule::Always) => match last.and_then(parse_length) {
            Some(len) => Some(len),
            None => return Err(DecodeError::MissingPayloadLength { command: command.to_string(), trid }),
        },
        Some(PayloadRule::WhenLastIsLength) if count >= 2 || !is_error_code(&command) => last.and_then(parse_length),
        _ => None,
    };
    let kept = count - usize::from(payload_len.is_some());

    // Text: UTF-8 with no control character but a separator, checked once
    // for the whole line (a payload length word is digits either way).
    let text = std::str::from_utf8(line).ok().filter(|_| line.iter().all(|&b| separates(b) || !b.is_ascii_control()));
    let utf8 = text.is_some();
    let mut params = Params::new();
    if let Some(text) = text.and_then(|text| text.get(end..)) {
        // The words and the spaces between them fit in what followed the
        // command (at most a payload length more).
        params = Params::with_capacity(rest.len());
        // Separators are ASCII, so every span falls on character boundaries.
        for word in spans(rest, separates).take(kept).filter_map(|span| text.get(span)) {
            params.push(word);
        }
    }
    Ok(Some(Line { command, params, trid, utf8, payload_len }))
}

/// Where the words of `bytes` are: the runs between separators.
fn spans(bytes: &[u8], separates: impl Fn(u8) -> bool) -> impl Iterator<Item = std::ops::Range<usize>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && separates(bytes[at]) {
            at += 1;
        }
        if at == bytes.len() {
            return None;
        }
        let start = at;
        while at < bytes.len() && !separates(bytes[at]) {
            at += 1;
        }
        Some(start..at)
    })
}

fn is_error_code(command: &str) -> bool {
    command.len() == 3 && command.bytes().all(|b| b.is_ascii_digit())
}

/// One MSNP command: its name, its parameters (the TrID is the first, where the
/// command has one) and its payload. The payload length is not a parameter: it
/// is written from the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub command: Command,
    pub params: Params,
    pub payload: Option<Bytes>,
}

impl Frame {
    /// A frame with no parameters yet.
    pub fn new(command: impl Into<Command>) -> Frame {
        Frame { command: command.into(), params: Params::new(), payload: None }
    }

    /// A frame from a command and its parameters.
    pub fn with_params<I, S>(command: impl Into<Command>, params: I) -> Frame
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Frame { command: command.into(), params: params.into_iter().collect(), payload: None }
    }

    /// An error reply `<code> <trid>`.
    pub fn error(code: ErrorCode, trid: u32) -> Frame {
        Frame::new(code.code().to_string()).param(trid)
    }

    /// Appends a parameter.
    pub fn param(mut self, param: impl fmt::Display) -> Frame {
        self.params.push_display(param);
        self
    }

    /// Sets the payload.
    pub fn with_payload(mut self, payload: impl Into<Bytes>) -> Frame {
        self.payload = Some(payload.into());
        self
    }

    /// The first parameter read as a TrID.
    pub fn trid(&self) -> Option<u32> {
        self.params.first().and_then(|p| parse_decimal(p.as_bytes()))
    }

    /// The error code, when the command is one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        if is_error_code(&self.command) { self.command.parse().ok().and_then(ErrorCode::from_code) } else { None }
    }

    /// Every part is non-empty text without spaces or control characters, so
    /// that the encoding decodes back to the same frame.
    pub fn is_well_formed(&self) -> bool {
        let token_ok = |t: &str| !t.is_empty() && t.bytes().all(is_token_byte);
        let words = self.params.as_str();
        token_ok(&self.command) && (words.is_empty() || words.split(' ').all(token_ok))
    }

    /// Bytes this frame takes on the wire.
    pub fn encoded_len(&self) -> usize {
        let words = self.params.as_str();
        let line = self.command.len() + if words.is_empty() { 0 } else { words.len() + 1 } + 2;
        match &self.payload {
            Some(payload) => line + 1 + decimal_len(payload.len()) + payload.len(),
            None => line,
        }
    }

    /// Writes the frame: the line, the payload length if any, CRLF, the payload.
    pub fn encode(&self, dst: &mut BytesMut) {
        debug_assert!(self.is_well_formed(), "malformed frame {self}");
        dst.reserve(self.encoded_len());
        dst.put_slice(self.command.as_bytes());
        if !self.params.is_empty() {
            dst.put_u8(b' ');
            dst.put_slice(self.params.as_str().as_bytes());
        }
        if let Some(payload) = &self.payload {
            dst.put_u8(b' ');
            put_decimal(dst, payload.len() as u64);
        }
        dst.put_slice(b"\r\n");
        if let Some(payload) = &self.payload {
            dst.put_slice(payload);
        }
    }

    /// The encoded frame as one buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode(&mut buf);
        buf.freeze()
    }
}

impl fmt::Display for Frame {
    /// The command line as sent (payload length included, payload left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.command)?;
        if !self.params.is_empty() {
            write!(f, " {}", self.params.as_str())?;
        }
        if let Some(payload) = &self.payload {
            write!(f, " {}", payload.len())?;
        }
        Ok(())
    }
}

/// A byte that may appear inside a command name or parameter.
/// Writes `words… len CRLF payload`, what [`Frame::encode`] writes for a
/// frame with these parts, without building the frame: for the relay path,
/// where a frame's strings per message would cost more than the rest.
pub fn encode_with_payload(dst: &mut BytesMut, words: &[&str], payload: &[u8]) {
    dst.reserve(words.iter().map(|w| w.len() + 1).sum::<usize>() + 24 + payload.len());
    for word in words {
        debug_assert!(!word.is_empty() && word.bytes().all(is_token_byte), "malformed word {word:?}");
        dst.put_slice(word.as_bytes());
        dst.put_u8(b' ');
    }
    put_decimal(dst, payload.len() as u64);
    dst.put_slice(b"\r\n");
    dst.put_slice(payload);
}

/// Writes `command trid CRLF` (an `ACK`, a `NAK`) without building a frame.
pub fn encode_reply(dst: &mut BytesMut, command: &str, trid: u32) {
    dst.reserve(command.len() + 13);
    dst.put_slice(command.as_bytes());
    dst.put_u8(b' ');
    put_decimal(dst, u64::from(trid));
    dst.put_slice(b"\r\n");
}

/// Writes `n` in decimal digits.
pub fn put_decimal(dst: &mut impl BufMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    dst.put_slice(&digits[at..]);
}

fn is_token_byte(byte: u8) -> bool {
    byte != b' ' && !byte.is_ascii_control()
}

fn decimal_len(mut n: usize) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

/// A plain decimal number (ASCII digits only, at most 10 of them).
fn parse_decimal(token: &[u8]) -> Option<u32> {
    if token.is_empty() || token.len() > 10 || !token.iter().all(u8::is_ascii_digit) {
        return None;
    }
    u32::try_from(token.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))).ok()
}

/// A payload length: ASCII digits; absurdly long numbers saturate so that they
/// are refused as too large rather than mistaken for something small.
fn parse_length(token: &[u8]) -> Option<u64> {
    if token.is_empty() || !token.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(token.iter().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
}

/// Size limits of a decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_line: usize,
    pub max_payload: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_line: MAX_LINE_LEN, max_payload: DEFAULT_MAX_PAYLOAD }
    }
}

/// A frame that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// No line end within the line limit: the stream cannot be resynchronised.
    #[error("command line longer than {limit} bytes")]
    LineTooLong { limit: usize },
    /// The announced payload exceeds the limit: the stream cannot be resynchronised.
    #[error("{command} announces a {len}-byte payload; the limit is {limit}")]
    PayloadTooLarge { command: String, trid: Option<u32>, len: u64, limit: usize },
    /// A payload command without a length as its last parameter; the line was consumed.
    #[error("{command} needs a payload length as its last parameter")]
    MissingPayloadLength { command: String, trid: Option<u32> },
    /// The line is not UTF-8 text or holds control characters; the frame (with
    /// its payload, if the length could be read) was consumed.
    #[error("{command} line is not UTF-8 text without control characters")]
    InvalidText { command: String, trid: Option<u32> },
}

impl DecodeError {
    /// After a fatal error the decoder refuses further input: close the connection.
    pub fn is_fatal(&self) -> bool {
        matches!(self, DecodeError::LineTooLong { .. } | DecodeError::PayloadTooLarge { .. })
    }

    /// The TrID of the offending command, if one could be read.
    pub fn trid(&self) -> Option<u32> {
        match self {
            DecodeError::LineTooLong { .. } => None,
            DecodeError::PayloadTooLarge { trid, .. }
            | DecodeError::MissingPayloadLength { trid, .. }
            | DecodeError::InvalidText { trid, .. } => *trid,
        }
    }

    /// The error code to answer with (before closing, if fatal). A line over the
    /// limit gets no answer: nothing of it can be trusted, not even a TrID.
    pub fn reply_code(&self) -> Option<ErrorCode> {
        match self {
            DecodeError::LineTooLong { .. } => None,
            DecodeError::PayloadTooLarge { .. } | DecodeError::InvalidText { .. } => Some(ErrorCode::InvalidParameter),
            DecodeError::MissingPayloadLength { .. } => Some(ErrorCode::SyntaxError),
        }
    }
}

struct PendingPayload {
    command: Command,
    params: Params,
    trid: Option<u32>,
    utf8: bool,
    len: usize,
}

/// A client's `MSG`, as [`Decoder::decode_message`] takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMessage {
    pub trid: u32,
    /// The acknowledgement asked for: `U`, `N`, `A` or `D`.
    pub kind: u8,
    pub payload: Bytes,
}

impl ClientMessage {
    /// The frame [`Decoder::decode`] would have made of it.
    pub fn into_frame(self) -> Frame {
        Frame::new("MSG").param(self.trid).param(char::from(self.kind)).with_payload(self.payload)
    }
}

/// Decodes frames sent in one direction.
pub struct Decoder {
    direction: Direction,
    dialect: Option<Dialect>,
    limits: Limits,
    pending: Option<PendingPayload>,
    failed: Option<DecodeError>,
}

impl Decoder {
    pub fn new(direction: Direction, limits: Limits) -> Decoder {
        Decoder { direction, dialect: None, limits, pending: None, failed: None }
    }

    /// Settles the dialect once `VER` has chosen it.
    pub fn set_dialect(&mut self, dialect: Dialect) {
        self.dialect = Some(dialect);
    }

    pub fn dialect(&self) -> Option<Dialect> {
        self.dialect
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether a payload is partly received.
    pub fn is_mid_frame(&self) -> bool {
        self.pending.is_some()
    }

    /// Takes the next complete frame off the front of `buf`.
    ///
    /// `Ok(None)` means more bytes are needed. A recoverable error has consumed
    /// its frame; keep decoding. After a fatal error every call returns it again.
    /// Empty lines are skipped.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        loop {
            if let Some(pending) = &self.pending {
                if buf.len() < pending.len {
                    buf.reserve(pending.len - buf.len());
                    return Ok(None);
                }
                let payload = buf.split_to(pending.len).freeze();
                let Some(pending) = self.pending.take() else {
                    return Ok(None);
                };
                return Self::finish(pending.command, pending.params, pending.trid, pending.utf8, Some(payload));
            }

            let window = buf.len().min(self.limits.max_line + 2);
            let Some(newline) = buf[..window].iter().position(|&b| b == b'\n') else {
                if buf.len() > self.limits.max_line + 1 {
                    return Err(self.fail(DecodeError::LineTooLong { limit: self.limits.max_line }));
                }
                return Ok(None);
            };
            let mut line = &buf[..newline];
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            if line.len() > self.limits.max_line {
                return Err(self.fail(DecodeError::LineTooLong { limit: self.limits.max_line }));
            }
            // The words are copied out, so the line is passed over rather than
            // split off (which would make the buffer shared: an allocation).
            let parsed = parse_line(line, self.direction, self.dialect);
            buf.advance(newline + 1);
            let Some(Line { command, params, trid, utf8, payload_len }) = parsed? else {
                continue;
            };

            match payload_len {
                None => return Self::finish(command, params, trid, utf8, None),
                Some(len) => {
                    let limit = self.limits.max_payload;
                    let len = match usize::try_from(len) {
                        Ok(len) if len <= limit => len,
                        _ => {
                            let command = command.to_string();
                            return Err(self.fail(DecodeError::PayloadTooLarge { command, trid, len, limit }));
                        }
                    };
                    self.pending = Some(PendingPayload { command, params, trid, utf8, len });
                }
            }
        }
    }

    /// Takes a client's complete, well-formed `MSG trid U|N|A|D len` and its
    /// payload off `buf` without building a [`Frame`]: the switchboard's
    /// busiest frame, whose strings would cost more than the rest of its
    /// relay. Anything else (another command, an unfinished payload, a
    /// malformed or oversized `MSG`) is left in `buf` for [`Decoder::decode`],
    /// which answers it as always.
    pub fn decode_message(&mut self, buf: &mut BytesMut) -> Option<ClientMessage> {
        if self.direction != C2S || self.pending.is_some() || self.failed.is_some() || !buf.starts_with(b"MSG ") {
            return None;
        }
        // `MSG` + a TrID of up to 10 digits + the kind + a length: a short line.
        let window = buf.len().min(40);
        let end = buf[..window].windows(2).position(|w| w == b"\r\n")?;
        let mut words = buf[4..end].split(|&b| b == b' ');
        let trid = parse_decimal(words.next()?)?;
        let kind = match words.next()? {
            [kind @ (b'U' | b'N' | b'A' | b'D')] => *kind,
            _ => return None,
        };
        let len = usize::try_from(parse_length(words.next()?)?).ok()?;
        if words.next().is_some() || len > self.limits.max_payload || buf.len() < end + 2 + len {
            return None;
        }
        // Passing the line moves a pointer; splitting it off would count a
        // reference to the buffer up and down again.
        buf.advance(end + 2);
        let payload = buf.split_to(len).freeze();
        Some(ClientMessage { trid, kind, payload })
    }

    fn finish(
        command: Command,
        params: Params,
        trid: Option<u32>,
        utf8: bool,
        payload: Option<Bytes>,
    ) -> Result<Option<Frame>, DecodeError> {
        if !utf8 {
            return Err(DecodeError::InvalidText { command: command.to_string(), trid });
        }
        Ok(Some(Frame { command, params, payload }))
    }

    fn fail(&mut self, error: DecodeError) -> DecodeError {
        self.pending = None;
        self.failed = Some(error.clone());
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_message_agrees_with_decode() {
        let cases: &[&[u8]] = &[
            b"MSG 1 A 5\r\nhello",
            b"MSG 4294967295 U 0\r\n",
            b"MSG 7 N 3\r\nabcMSG 8 D 1\r\nz",
            // Left to decode: unfinished, malformed, oversized, another command.
            b"MSG 2 A 5\r\nhel",
            b"MSG 2  A 5\r\nhello",
            b"MSG 2 X 5\r\nhello",
            b"MSG 2 A\r\n",
            b"MSG 2 A 5 6\r\nhello",
            b"MSG 2 A 99999999\r\n",
            b"MSG 2 A 5\nhello",
            b"USR 1 a@b.c x\r\n",
            b"MSG 4294967296 A 1\r\nx",
        ];
        for &case in cases {
            let (mut fast, mut slow) = (decoder(Direction::ClientToServer), decoder(Direction::ClientToServer));
            let (mut fast_buf, mut slow_buf) = (BytesMut::from(case), BytesMut::from(case));
            while let Some(message) = fast.decode_message(&mut fast_buf) {
                let frame = slow.decode(&mut slow_buf).expect("decodes").expect("a frame");
                assert_eq!(frame, message.into_frame(), "{case:?}");
            }
            // What the fast path left, the decoder reads as from the start.
            assert_eq!(decode_all(&mut fast, &fast_buf), decode_all(&mut slow, &slow_buf), "{case:?}");
        }
    }

    #[test]
    fn raw_encoders_write_what_frames_write() {
        for (length, trid) in [(0usize, 0u32), (1, 9), (217, 10), (1664, u32::MAX)] {
            let payload = vec![b'x'; length];
            let mut raw = BytesMut::new();
            encode_with_payload(&mut raw, &["MSG", "bob@example.com", "Bob%20B"], &payload);
            encode_reply(&mut raw, "ACK", trid);
            let mut framed = BytesMut::new();
            Frame::with_params("MSG", ["bob@example.com", "Bob%20B"]).with_payload(payload).encode(&mut framed);
            Frame::with_params("ACK", [trid.to_string()]).encode(&mut framed);
            assert_eq!(raw, framed);
        }
    }

    fn decoder(direction: Direction) -> Decoder {
        Decoder::new(direction, Limits::default())
    }

    fn decode_all(decoder: &mut Decoder, bytes: &[u8]) -> Vec<Result<Frame, DecodeError>> {
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => out.push(Ok(frame)),
                Ok(None) => break,
                Err(error) => {
                    let fatal = error.is_fatal();
                    out.push(Err(error));
                    if fatal {
                        break;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn pipelined_lines_and_payloads() {
        let mut d = decoder(Direction::ClientToServer);
        let frames = decode_all(&mut d, b"VER 1 MSNP8 CVR0\r\nMSG 2 A 5\r\nhelloPNG\r\n");
        assert_eq!(
            frames,
            vec![
                Ok(Frame::with_params("VER", ["1", "MSNP8", "CVR0"])),
                Ok(Frame::with_params("MSG", ["2", "A"]).with_payload(&b"hello"[..])),
                Ok(Frame::new("PNG")),
            ]
        );
    }

    #[test]
    fn payload_split_across_reads() {
        let mut d = decoder(Direction::ClientToServer);
        let mut buf = BytesMut::from(&b"QRY 10 PROD0090YUAUV{2B 32\r\n0123456789abcdef"[..]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        assert!(d.is_mid_frame());
        buf.extend_from_slice(b"0123456789abcdefOUT\r\n");
        let frame = d.decode(&mut buf).expect("decodes").expect("complete");
        assert_eq!(frame.params, ["10", "PROD0090YUAUV{2B"]);
        assert_eq!(frame.payload.as_deref(), Some(&b"0123456789abcdef0123456789abcdef"[..]));
        assert_eq!(d.decode(&mut buf), Ok(Some(Frame::new("OUT"))));
    }

    #[test]
    fn bare_newlines_and_empty_lines() {
        let mut d = decoder(Direction::ClientToServer);
        let frames = decode_all(&mut d, b"PNG\n\r\n\nOUT\r\n");
        assert_eq!(frames, vec![Ok(Frame::new("PNG")), Ok(Frame::new("OUT"))]);
    }

    #[test]
    fn direction_and_dialect_decide_payloads() {
        // The server's `GCF n Shields.xml len` carries the file; the client's request does not.
        let mut client = decoder(Direction::ClientToServer);
        assert_eq!(
            decode_all(&mut client, b"GCF 6 Shields.xml\r\n"),
            vec![Ok(Frame::with_params("GCF", ["6", "Shields.xml"]))]
        );
        let mut server = decoder(Direction::ServerToClient);
        assert_eq!(
            decode_all(&mut server, b"GCF 6 Shields.xml 3\r\nabcADL 6 OK\r\nADL 0 2\r\nxyQRY 10\r\n"),
            vec![
                Ok(Frame::with_params("GCF", ["6", "Shields.xml"]).with_payload(&b"abc"[..])),
                Ok(Frame::with_params("ADL", ["6", "OK"])),
                Ok(Frame::with_params("ADL", ["0"]).with_payload(&b"xy"[..])),
                Ok(Frame::with_params("QRY", ["10"])),
            ]
        );
        // UUX is an ordinary (unknown) command to an MSNP8 server.
        let mut old = decoder(Direction::ClientToServer);
        old.set_dialect(Dialect::MSNP8);
        assert_eq!(decode_all(&mut old, b"UUX 5 3\r\n"), vec![Ok(Frame::with_params("UUX", ["5", "3"]))]);
    }

    #[test]
    fn error_codes_from_the_server_may_carry_payloads() {
        let mut d = decoder(Direction::ServerToClient);
        assert_eq!(
            decode_all(&mut d, b"201 19\r\n241 7 4\r\n<ml>"),
            vec![
                Ok(Frame::with_params("201", ["19"])),
                Ok(Frame::with_params("241", ["7"]).with_payload(&b"<ml>"[..])),
            ]
        );
    }

    #[test]
    fn line_limit_is_enforced_without_a_line_end() {
        let mut d = decoder(Direction::ClientToServer);
        let mut buf = BytesMut::from(&vec![b'A'; MAX_LINE_LEN + 2][..]);
        assert_eq!(d.decode(&mut buf), Err(DecodeError::LineTooLong { limit: MAX_LINE_LEN }));
        // Once failed, always failed.
        let mut fresh = BytesMut::from(&b"PNG\r\n"[..]);
        assert!(d.decode(&mut fresh).is_err());
        // A line of exactly the limit is fine.
        let mut d = decoder(Direction::ClientToServer);
        let mut line = vec![b'X'; MAX_LINE_LEN];
        line.extend_from_slice(b"\r\n");
        let mut buf = BytesMut::from(&line[..]);
        assert!(matches!(d.decode(&mut buf), Ok(Some(_))));
    }

    #[test]
    fn oversized_payload_is_fatal_before_buffering() {
        let mut d = Decoder::new(Direction::ClientToServer, Limits { max_line: MAX_LINE_LEN, max_payload: 10 });
        let mut buf = BytesMut::from(&b"MSG 4 A 11\r\n"[..]);
        let error = d.decode(&mut buf).expect_err("too large");
        assert!(error.is_fatal());
        assert_eq!(error.trid(), Some(4));
        assert_eq!(error.reply_code(), Some(ErrorCode::InvalidParameter));
        let mut huge = decoder(Direction::ClientToServer);
        let mut buf = BytesMut::from(&b"MSG 4 A 99999999999999999999999\r\n"[..]);
        assert!(matches!(huge.decode(&mut buf), Err(DecodeError::PayloadTooLarge { len: u64::MAX, .. })));
    }

    #[test]
    fn recoverable_errors_consume_their_frame() {
        let mut d = decoder(Direction::ClientToServer);
        let frames = decode_all(
            &mut d,
            b"MSG 3 A\r\nCHG 4 NLN \xff\xfe\r\nCHG 5 A\rB\r\nMSG 5 N 2\r\n\xff\xffC\xffG 6 NLN\r\nC\tG 7\r\nPNG\r\n",
        );
        assert_eq!(
            frames,
            vec![
                Err(DecodeError::MissingPayloadLength { command: "MSG".into(), trid: Some(3) }),
                Err(DecodeError::InvalidText { command: "CHG".into(), trid: Some(4) }),
                Err(DecodeError::InvalidText { command: "CHG".into(), trid: Some(5) }),
                // A binary payload is fine; only the line must be text.
                Ok(Frame::with_params("MSG", ["5", "N"]).with_payload(&b"\xff\xff"[..])),
                // The command's own name must be text too.
                Err(DecodeError::InvalidText { command: "C\u{fffd}G".into(), trid: Some(6) }),
                Err(DecodeError::InvalidText { command: "C\tG".into(), trid: Some(7) }),
                Ok(Frame::new("PNG")),
            ]
        );
    }

    #[test]
    fn a_tab_separates_words_of_cvr_only() {
        let mut d = decoder(Direction::ClientToServer);
        assert_eq!(
            decode_all(
                &mut d,
                b"CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0208 MSMSGS\talice@example.com\r\nCHG 3 NLN\t0\r\n"
            ),
            vec![
                Ok(Frame::with_params(
                    "CVR",
                    ["2", "0x0409", "winnt", "5.1", "i386", "MSNMSGR", "6.2.0208", "MSMSGS", "alice@example.com"]
                )),
                Err(DecodeError::InvalidText { command: "CHG".into(), trid: Some(3) }),
            ]
        );
    }

    #[test]
    fn unknown_commands_decode_for_the_caller_to_answer() {
        let mut d = decoder(Direction::ClientToServer);
        assert_eq!(
            decode_all(&mut d, b"ZZZ 9 what\r\nver 1\r\n"),
            vec![Ok(Frame::with_params("ZZZ", ["9", "what"])), Ok(Frame::with_params("ver", ["1"])),]
        );
    }

    #[test]
    fn encoding_writes_the_length_from_the_payload() {
        let frame = Frame::with_params("MSG", ["Hotmail", "Hotmail"]).with_payload(&b"abc"[..]);
        assert_eq!(&frame.to_bytes()[..], b"MSG Hotmail Hotmail 3\r\nabc");
        assert_eq!(frame.encoded_len(), frame.to_bytes().len());
        assert_eq!(frame.to_string(), "MSG Hotmail Hotmail 3");
        assert_eq!(&Frame::error(ErrorCode::AuthenticationFailed, 3).to_bytes()[..], b"911 3\r\n");
    }
}
