//! Feeds arbitrary bytes to the MSNP decoder, in both directions, split at
//! arbitrary points, and checks the limits it promises.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use msnp::codec::{Decoder, Direction, Limits};
use msnp::Dialect;

fuzz_target!(|data: &[u8]| {
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
});
