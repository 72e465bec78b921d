//! What decoding a command line allocates, counted: one string of its
//! parameters, nothing else (the command's name is inline; no list of words,
//! no string per word, and the input buffer is not made shared for a line
//! without a payload).

use bytes::BytesMut;
use msnp::codec::{Decoder, Direction, Limits};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Blocks allocated while `lines` are decoded from one buffer, and the frames.
fn blocks_to_decode(lines: &[u8], direction: Direction) -> (u64, Vec<msnp::Frame>) {
    let mut buf = BytesMut::with_capacity(lines.len());
    buf.extend_from_slice(lines);
    let mut decoder = Decoder::new(direction, Limits::default());
    let mut frames = Vec::with_capacity(16);
    let profiler = dhat::Profiler::builder().testing().build();
    while let Ok(Some(frame)) = decoder.decode(&mut buf) {
        frames.push(frame);
    }
    let blocks = dhat::HeapStats::get().total_blocks;
    drop(profiler);
    (blocks, frames)
}

// One test: the heap profiler is global, and tests in parallel would share it.
#[test]
fn a_line_allocates_one_string_of_its_parameters() {
    let (blocks, frames) = blocks_to_decode(b"VER 1 MSNP18 MSNP17 CVR0\r\n", Direction::ClientToServer);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].params, ["1", "MSNP18", "MSNP17", "CVR0"]);
    assert_eq!(blocks, 1);

    // A client's tab-separated CVR words are still words of their own.
    let (blocks, frames) =
        blocks_to_decode(b"CVR 2 0x0409 winnt 5.1 i386 MSMSGS\ta@b.c\r\n", Direction::ClientToServer);
    assert_eq!(frames[0].params, ["2", "0x0409", "winnt", "5.1", "i386", "MSMSGS", "a@b.c"]);
    assert_eq!(blocks, 1);

    // Blank lines cost nothing, nor does a line with no parameters.
    let (blocks, frames) = blocks_to_decode(b"\r\n  \r\nOUT\r\n", Direction::ClientToServer);
    assert_eq!((frames[0].command.as_str(), frames[0].params.len()), ("OUT", 0));
    assert_eq!(blocks, 0);

    // Several lines in one buffer: each pays for itself only.
    let (blocks, frames) = blocks_to_decode(b"PNG\r\nCHG 3 NLN 0\r\nSYN 4 0 0\r\n", Direction::ClientToServer);
    assert_eq!(frames.len(), 3);
    assert_eq!(blocks, 2);
}
