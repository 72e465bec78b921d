//! A frame's parameters, kept as the line has them: one string, the words
//! separated by single spaces. A line of five words is one allocation
//! instead of six, on every command decoded and every reply built.

use std::fmt;
use std::fmt::Write as _;

/// The words after a command's name. A word is never empty and holds no
/// space (a frame that breaks this is not well formed, and
/// [`crate::Frame::encode`] refuses it in debug builds).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Params {
    text: String,
}

/// Bytes reserved for a line's words when they are added one by one.
const TYPICAL_LINE: usize = 48;

/// The words of [`Params`], in order (a byte scan: cheaper than a `str`
/// pattern for words of a few bytes).
#[derive(Clone)]
pub struct Words<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest.trim_start_matches(' ');
        let end = rest.bytes().position(|b| b == b' ').unwrap_or(rest.len());
        // A space is ASCII: both parts fall on character boundaries.
        let (word, after) = (rest.get(..end)?, rest.get(end..)?);
        self.rest = after;
        if word.is_empty() { None } else { Some(word) }
    }
}

impl<'a> DoubleEndedIterator for Words<'a> {
    fn next_back(&mut self) -> Option<&'a str> {
        let rest = self.rest.trim_end_matches(' ');
        let start = rest.bytes().rposition(|b| b == b' ').map_or(0, |at| at + 1);
        let (before, word) = (rest.get(..start)?, rest.get(start..)?);
        self.rest = before;
        if word.is_empty() { None } else { Some(word) }
    }
}

impl Params {
    pub fn new() -> Params {
        Params::default()
    }

    /// Room for `bytes` of words, allocated once.
    pub fn with_capacity(bytes: usize) -> Params {
        Params { text: String::with_capacity(bytes) }
    }

    /// The words as the line has them, separated by single spaces.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn iter(&self) -> Words<'_> {
        Words { rest: &self.text }
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&str> {
        self.iter().nth(index)
    }

    pub fn first(&self) -> Option<&str> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&str> {
        self.iter().next_back()
    }

    /// Appends a word.
    pub fn push(&mut self, word: &str) {
        self.separate();
        self.text.push_str(word);
    }

    /// Appends a word written by `Display`, without a string of its own.
    pub fn push_display(&mut self, word: impl fmt::Display) {
        self.separate();
        let _ = write!(self.text, "{word}");
    }

    /// A space before any word but the first; room for a typical line
    /// before the first, unless the room was sized already.
    fn separate(&mut self) {
        if !self.text.is_empty() {
            self.text.push(' ');
        } else if self.text.capacity() == 0 {
            self.text.reserve(TYPICAL_LINE);
        }
    }

    /// The words as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl std::ops::Index<usize> for Params {
    type Output = str;

    /// The word at `index`; panics past the last, as a slice does.
    fn index(&self, index: usize) -> &str {
        match self.get(index) {
            Some(word) => word,
            None => panic!("parameter {index} of {} words", self.len()),
        }
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = &'a str;
    type IntoIter = Words<'a>;

    fn into_iter(self) -> Words<'a> {
        self.iter()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Params {
    fn from_iter<I: IntoIterator<Item = S>>(words: I) -> Params {
        let mut params = Params::new();
        for word in words {
            params.push(word.as_ref());
        }
        params
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Params {
    fn eq(&self, other: &[S]) -> bool {
        self.iter().eq(other.iter().map(AsRef::as_ref))
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Params {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Params {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_back_as_pushed() {
        let mut params = Params::new();
        assert!(params.is_empty());
        assert_eq!((params.len(), params.first(), params.last()), (0, None, None));
        params.push("12");
        params.push_display(34);
        params.push("a@b.c");
        assert_eq!(params.as_str(), "12 34 a@b.c");
        assert_eq!((params.len(), params.first(), params.last(), params.get(3)), (3, Some("12"), Some("a@b.c"), None));
        assert_eq!(&params[1], "34");
        assert_eq!(params, ["12", "34", "a@b.c"]);
        assert_eq!(params.to_vec(), vec!["12".to_owned(), "34".to_owned(), "a@b.c".to_owned()]);
        assert_eq!(format!("{params:?}"), r#"["12", "34", "a@b.c"]"#);
        assert_eq!(["x", "y"].into_iter().collect::<Params>(), ["x", "y"]);
        assert_ne!(params, ["12", "34"]);
        assert_eq!(params.iter().rev().collect::<Vec<_>>(), ["a@b.c", "34", "12"]);
        let mut both = params.iter();
        assert_eq!(
            (both.next(), both.next_back(), both.next(), both.next_back()),
            (Some("12"), Some("a@b.c"), Some("34"), None)
        );
        // Words of any script; a stray run of spaces separates like one.
        let odd = Params { text: "  é 漢字  x ".to_owned() };
        assert_eq!((odd.len(), odd.last()), (3, Some("x")));
        assert_eq!(odd, ["é", "漢字", "x"]);
    }
}
