//! A bare MSNP connection for the scenarios whose cost per message or per
//! login must stay below the server's: lines written as text, replies read
//! without the client library's tasks and channels.

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use std::time::Duration;

/// The longest line the generator accepts from the server.
const MAX_LINE: usize = 4096;

/// One connection and what has been read from it.
pub struct Wire {
    pub stream: TcpStream,
    pub buf: BytesMut,
}

impl Wire {
    pub async fn connect(address: &str) -> Result<Wire, String> {
        let stream = TcpStream::connect(address).await.map_err(|e| format!("{address}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Wire { stream, buf: BytesMut::with_capacity(16 * 1024) })
    }

    pub async fn send(&mut self, line: &str) -> Result<(), String> {
        self.stream.write_all(line.as_bytes()).await.map_err(|e| e.to_string())
    }

    /// Reads until a whole line is buffered; returns it (without CRLF) and
    /// takes it, with the payload of a `MSG`, off the buffer.
    pub async fn line(&mut self, timeout: Duration) -> Result<String, String> {
        loop {
            if let Some((line, used)) = take_line(&self.buf)? {
                self.buf.advance(used);
                return Ok(line);
            }
            match tokio::time::timeout(timeout, self.stream.read_buf(&mut self.buf)).await {
                Ok(Ok(0)) => return Err("the server closed the connection".into()),
                Ok(Ok(_)) => {}
                Ok(Err(error)) => return Err(error.to_string()),
                Err(_) => return Err("no answer from the server".into()),
            }
        }
    }

    /// Waits for the first line with TrID `trid`, whatever its command.
    pub async fn reply(&mut self, trid: u32, timeout: Duration) -> Result<String, String> {
        let trid = trid.to_string();
        loop {
            let line = self.line(timeout).await?;
            if line.split(' ').nth(1) == Some(trid.as_str()) {
                return Ok(line);
            }
        }
    }

    /// Waits for the reply `command trid …`, skipping anything else; an error
    /// code with that TrID fails.
    pub async fn expect(&mut self, command: &str, trid: u32, timeout: Duration) -> Result<String, String> {
        let trid = trid.to_string();
        loop {
            let line = self.line(timeout).await?;
            let mut words = line.split(' ');
            let (first, second) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            if second == trid && first == command {
                return Ok(line);
            }
            // An error code, or a referral elsewhere.
            if second == trid && (first.bytes().all(|b| b.is_ascii_digit()) || first == "XFR") {
                return Err(format!("{command}: {line}"));
            }
        }
    }
}

/// Where the first frame in `buf` ends: the length of its line (without
/// CRLF) and of its payload (a `MSG`'s), or `None` while it is incomplete.
pub fn next_frame(buf: &[u8]) -> Result<Option<(usize, usize)>, String> {
    // Lines end in CRLF: the first LF after a CR ends it.
    let end = buf.iter().position(|&b| b == b'\n').filter(|&lf| lf > 0 && buf[lf - 1] == b'\r');
    let Some(end) = end.map(|lf| lf - 1) else {
        return if buf.len() > MAX_LINE || buf.contains(&b'\n') {
            Err("a line too long or not ended by CRLF".into())
        } else {
            Ok(None)
        };
    };
    let payload = if buf.starts_with(b"MSG ") { payload_length(&buf[..end])? } else { 0 };
    Ok((buf.len() >= end + 2 + payload).then_some((end, payload)))
}

/// The first line of `buf` and how many bytes it and its payload take, or
/// `None` while incomplete.
fn take_line(buf: &[u8]) -> Result<Option<(String, usize)>, String> {
    let Some((end, payload)) = next_frame(buf)? else { return Ok(None) };
    Ok(Some((String::from_utf8_lossy(&buf[..end]).into_owned(), end + 2 + payload)))
}

/// The payload length a `MSG` line ends with.
fn payload_length(line: &[u8]) -> Result<usize, String> {
    let last = line.rsplit(|&b| b == b' ').next().unwrap_or_default();
    let mut length = 0usize;
    if last.is_empty() || last.len() > 7 {
        return Err(format!("bad MSG line: {}", String::from_utf8_lossy(line)));
    }
    for &digit in last {
        if !digit.is_ascii_digit() {
            return Err(format!("bad MSG line: {}", String::from_utf8_lossy(line)));
        }
        length = length * 10 + usize::from(digit - b'0');
    }
    Ok(length)
}
