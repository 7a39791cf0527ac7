//! Splits an INI text into classified lines without losing a byte: every line keeps its own
//! terminator (`\n`, `\r\n`, or none on a last line), so unchanged lines are written back as
//! they were. The grammar is the AWS SDKs' profile-file grammar (the rules behind AWS's
//! `profile-parser-tests.json`); a line is classified on its own, only its first character
//! decides its kind. Where botocore's configparser reads a line otherwise (the headers it
//! names, `:` as a delimiter), `configparser_*` say how.

/// One physical line: its text without the terminator, and the terminator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    pub(crate) text: &'a str,
    pub(crate) eol: &'a str,
    pub(crate) kind: Kind<'a>,
}

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    /// `[inner]`, with anything after a `#` or `;` cut off (`[work] # note`, `[work]; x`);
    /// `inner` is as written, untrimmed (what the section means is decided by `section`).
    Header(&'a str),
    /// Starts with `[` but does not end with `]` once a comment is cut off.
    BadHeader,
    /// `key = value` at the start of the line: the key trimmed (case kept), the value trimmed
    /// and cut at a `#` or `;` that follows whitespace.
    Entry { key: &'a str, value: &'a str },
    /// An indented line: the continuation of the entry above it (nested `s3 =` settings).
    Continuation(&'a str),
    /// An entry line without `=`, or with nothing before it.
    BadEntry(EntryError),
    /// `#` or `;` in the first column.
    Comment,
    /// Only spaces and tabs.
    Blank,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryError {
    NoEquals,
    NoName,
}

/// The SDKs' whitespace in profile files: space and tab only.
pub(crate) const WHITESPACE: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];

pub(crate) fn split(text: &str) -> Vec<Line<'_>> {
    text.split_inclusive('\n')
        .map(|piece| {
            let (body, eol) = match piece.strip_suffix("\r\n") {
                Some(b) => (b, "\r\n"),
                None => match piece.strip_suffix('\n') {
                    Some(b) => (b, "\n"),
                    None => (piece, ""),
                },
            };
            Line {
                text: body,
                eol,
                kind: classify(body),
            }
        })
        .collect()
}

fn classify(text: &str) -> Kind<'_> {
    if text.trim_matches(WHITESPACE).is_empty() {
        return Kind::Blank;
    }
    if text.starts_with(COMMENT) {
        return Kind::Comment;
    }
    if text.starts_with('[') {
        return match cut_comment(text, false)
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
        {
            Some(inner) => Kind::Header(inner),
            None => Kind::BadHeader,
        };
    }
    if text.starts_with(WHITESPACE) {
        return Kind::Continuation(text.trim_matches(WHITESPACE));
    }
    match entry(text) {
        Ok((key, value)) => Kind::Entry { key, value },
        Err(e) => Kind::BadEntry(e),
    }
}

/// `key = value` with the comment cut off; both sides trimmed.
pub(crate) fn entry(text: &str) -> Result<(&str, &str), EntryError> {
    let (k, v) = cut_comment(text, true)
        .split_once('=')
        .ok_or(EntryError::NoEquals)?;
    let k = k.trim_matches(WHITESPACE);
    if k.is_empty() {
        return Err(EntryError::NoName);
    }
    Ok((k, v.trim_matches(WHITESPACE)))
}

/// Trims the line and cuts it at the first `#` or `;` (in values only where whitespace
/// precedes it: `value;x` keeps its `;x`, as the SDKs' test cases require).
fn cut_comment(line: &str, needs_whitespace: bool) -> &str {
    let line = line.trim_matches(WHITESPACE);
    let mut after_space = false;
    for (i, c) in line.char_indices() {
        if COMMENT.contains(&c) && (after_space || !needs_whitespace) {
            return line[..i].trim_matches(WHITESPACE);
        }
        after_space = c.is_whitespace();
    }
    line
}

/// The section name botocore (Python's configparser) sees on a header line: the text between
/// the first `[` and the last `]` of the stripped line, untrimmed. `None` when configparser
/// would not read the line as a header.
pub(crate) fn configparser_header(text: &str) -> Option<&str> {
    let t = text.trim();
    let inner = t.strip_prefix('[')?;
    let end = inner.rfind(']')?;
    (end > 0).then(|| &inner[..end])
}

/// The key botocore (Python's configparser, delimiters `=` and `:`) reads on an entry line:
/// the stripped text before the first delimiter of either kind. `None` when there is none
/// or nothing precedes it (configparser rejects the line).
pub(crate) fn configparser_key(text: &str) -> Option<&str> {
    let t = text.trim();
    let key = t[..t.find(['=', ':'])?].trim_end();
    (!key.is_empty()).then_some(key)
}
