//! A command's name. Nearly every one is three letters or digits, so names
//! up to 15 bytes live inline: a frame read or written allocates no string
//! for its name.

use std::fmt;

const INLINE: usize = 15;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

/// A command's name (`USR`, `MSG`, an error code such as `911`), or any
/// word a client sent in its place.
#[derive(Clone)]
pub struct Command(Repr);

impl Command {
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Always a whole `&str` copied in, so always UTF-8.
            Repr::Inline { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            Repr::Heap(name) => name,
        }
    }
}

impl From<&str> for Command {
    fn from(name: &str) -> Command {
        match u8::try_from(name.len()) {
            Ok(len) if name.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..name.len()].copy_from_slice(name.as_bytes());
                Command(Repr::Inline { len, bytes })
            }
            _ => Command(Repr::Heap(name.into())),
        }
    }
}

impl From<String> for Command {
    fn from(name: String) -> Command {
        if name.len() <= INLINE { Command::from(name.as_str()) } else { Command(Repr::Heap(name.into_boxed_str())) }
    }
}

impl From<&String> for Command {
    fn from(name: &String) -> Command {
        Command::from(name.as_str())
    }
}

impl std::ops::Deref for Command {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Command {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Command {
    fn eq(&self, other: &Command) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Command {}

impl std::hash::Hash for Command {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for Command {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Command {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Command {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_names_read_back() {
        for name in ["", "USR", "911", "fifteen-bytes!!", "sixteen-bytes!!!", "ünïcödé-nämé-lông"] {
            let command = Command::from(name);
            assert_eq!(command, name);
            assert_eq!(Command::from(name.to_owned()), command);
            assert_eq!(command.len(), name.len());
            assert_eq!(format!("{command} {command:?}"), format!("{name} {name:?}"));
        }
        assert!(matches!(Command::from("fifteen-bytes!!").0, Repr::Inline { .. }));
        assert!(matches!(Command::from("sixteen-bytes!!!").0, Repr::Heap(_)));
    }
}
