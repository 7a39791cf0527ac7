//! Splits an INI text into classified lines without losing a byte: every line keeps its own
//! terminator (`\n`, `\r\n`, or none on a last line), so unchanged lines are written back as
//! they were.

/// One physical line: its text without the terminator, and the terminator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    pub(crate) text: &'a str,
    pub(crate) eol: &'a str,
    pub(crate) kind: Kind<'a>,
}

/// What a line is, in the grammar botocore's (configparser's) reader uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    /// `[name]`; the name is trimmed.
    Header(&'a str),
    /// `key = value` (or `key: value`) at the start of the line.
    Entry {
        key: &'a str,
        value: &'a str,
    },
    /// An indented line after an entry: part of its value (nested `s3 =` settings).
    Continuation,
    /// `#` or `;` comments.
    Comment,
    Blank,
    /// Anything else (kept as it is).
    Other,
}

pub(crate) fn split(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut in_entry = false;
    for (i, piece) in text.split_inclusive('\n').enumerate() {
        let (body, eol) = match piece.strip_suffix("\r\n") {
            Some(b) => (b, "\r\n"),
            None => match piece.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (piece, ""),
            },
        };
        // A UTF-8 byte order mark belongs to the file, not to the first line's meaning.
        let meaning = if i == 0 {
            body.trim_start_matches('\u{feff}')
        } else {
            body
        };
        let kind = classify(meaning, in_entry);
        in_entry = matches!(kind, Kind::Entry { .. } | Kind::Continuation);
        out.push(Line {
            text: body,
            eol,
            kind,
        });
    }
    out
}

fn classify(text: &str, after_entry: bool) -> Kind<'_> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Kind::Blank;
    }
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return Kind::Comment;
    }
    let indented = text.starts_with([' ', '\t']);
    if indented && after_entry {
        return Kind::Continuation;
    }
    if let Some(inner) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return Kind::Header(inner.trim());
    }
    if let Some(i) = trimmed.find(['=', ':']) {
        let key = trimmed[..i].trim();
        if !key.is_empty() {
            return Kind::Entry {
                key,
                value: trimmed[i + 1..].trim(),
            };
        }
    }
    Kind::Other
}

/// A section as a reader sees it: its name and its `key = value` entries in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

impl Section {
    /// The value of a key; keys are case-insensitive, as in botocore.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads every section, in file order (duplicates stay separate: callers decide).
pub fn parse(text: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in split(text) {
        match line.kind {
            Kind::Header(name) => out.push(Section {
                name: name.to_owned(),
                entries: Vec::new(),
            }),
            Kind::Entry { key, value } => {
                if let Some(s) = out.last_mut() {
                    s.entries.push((key.to_ascii_lowercase(), value.to_owned()));
                }
            }
            _ => {}
        }
    }
    out
}
