//! Micro-benchmarks of the protocol's hot paths: decoding and encoding
//! frames, answering challenges, parsing `<ml>` lists. `cargo bench -p msnp`;
//! figures in docs/benchmarks.md.

use bytes::{Bytes, BytesMut};
use divan::{Bencher, black_box};
use msnp::Frame;
use msnp::codec::{Decoder, Direction, Limits};

fn main() {
    divan::main();
}

/// How many frames each decode/encode iteration handles.
const FRAMES: usize = 1_000;

fn client_stream(frame: &Frame) -> BytesMut {
    let mut buf = BytesMut::new();
    for _ in 0..FRAMES {
        frame.encode(&mut buf);
    }
    buf
}

fn message() -> Frame {
    let payload = format!("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{}", "x".repeat(40));
    Frame::with_params("MSG", ["7", "A"]).with_payload(Bytes::from(payload))
}

/// Decodes every frame of `stream`, as a session does with what it read.
fn decode_all(bencher: Bencher, stream: BytesMut) {
    bencher.counter(divan::counter::ItemsCount::new(FRAMES)).bench_local(|| {
        let mut buf = stream.clone();
        let mut decoder = Decoder::new(Direction::ClientToServer, Limits::default());
        let mut count = 0;
        while let Ok(Some(frame)) = decoder.decode(&mut buf) {
            count += black_box(frame).params.len();
        }
        count
    });
}

/// A switchboard `MSG` with a 100-byte payload, as the relay benchmark sends.
#[divan::bench]
fn decode_1000_messages(bencher: Bencher) {
    decode_all(bencher, client_stream(&message()));
}

/// A plain command line (`CHG`), the Notification Server's commonest kind.
#[divan::bench]
fn decode_1000_lines(bencher: Bencher) {
    decode_all(bencher, client_stream(&Frame::with_params("CHG", ["12", "NLN", "2788999212:48", "0"])));
}

/// What a recipient gets: `MSG email name len` and the payload.
#[divan::bench]
fn encode_1000_messages(bencher: Bencher) {
    let payload = message().payload.unwrap_or_default();
    let frame = Frame::with_params("MSG", ["alice@example.com", "Alice"]).with_payload(payload);
    let mut out = BytesMut::with_capacity(frame.encoded_len() * FRAMES);
    bencher.counter(divan::counter::ItemsCount::new(FRAMES)).bench_local(|| {
        out.clear();
        for _ in 0..FRAMES {
            black_box(&frame).encode(&mut out);
        }
        out.len()
    });
}

#[divan::bench]
fn challenge_msnp11(bencher: Bencher) {
    bencher.bench(|| {
        msnp::auth::challenge::msnp11_challenge_response(
            black_box("22210219642164014968"),
            "PROD0090YUAUV{2B",
            "YMM8C_H7KCQ2S_KL",
        )
    });
}

/// An `ADL` of 100 contacts over 10 domains, parsed.
#[divan::bench]
fn parse_adl_100_contacts(bencher: Bencher) {
    let mut xml = String::from("<ml l=\"1\">");
    for domain in 0..10 {
        xml.push_str(&format!("<d n=\"example{domain}.com\">"));
        for user in 0..10 {
            xml.push_str(&format!("<c n=\"user{user}\" l=\"3\" t=\"1\" />"));
        }
        xml.push_str("</d>");
    }
    xml.push_str("</ml>");
    bencher.bench(|| msnp::xml::ml::parse(black_box(&xml)).map(|list| list.contacts.len()));
}
