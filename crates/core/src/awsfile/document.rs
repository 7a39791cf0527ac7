//! One shared file as sections of lines: which line starts which section, what each header
//! names in that file (a profile, an `sso-session`, a `services` block, or nothing), each
//! entry with its continuation lines, and the lines the SDKs would reject.

use super::lines::{
    EntryError, Kind, Line, WHITESPACE, configparser_header, configparser_key, entry, split,
};

/// Which of the two files a text is: the same header means different things in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`: `[default]`, `[profile NAME]`, `[sso-session NAME]`, `[services NAME]`.
    Config,
    /// `~/.aws/credentials`: `[NAME]` only.
    Credentials,
}

/// What a section header stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionName {
    Profile(String),
    SsoSession(String),
    /// Any other `[PREFIX NAME]` of the config file (`services`, …).
    Other {
        prefix: String,
        name: String,
    },
    /// A header the SDKs ignore in this file (`[foo]` in the config file, `[profile foo]`
    /// in the credentials file, a name with characters outside the identifier set).
    Ignored,
}

/// A line the SDKs reject (they then read no profile of the file at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based.
    pub line: usize,
    pub message: &'static str,
}

/// One section: its header line and the lines up to the next header.
#[derive(Debug, Clone)]
pub(crate) struct Span<'a> {
    pub(crate) header: usize,
    /// One past the section's last line.
    pub(crate) end: usize,
    pub(crate) name: SectionName,
    /// The `[default]` of the config file (which `[profile default]` overrides).
    pub(crate) unprefixed_default: bool,
    /// What botocore calls this section (None for a header line it does not read as one).
    pub(crate) configparser: Option<&'a str>,
}

/// An entry: the line of its key, the lines of its continuation, its key and full value.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    pub(crate) line: usize,
    /// Its continuation lines (blank and comment lines between them are not among them).
    pub(crate) continuations: Vec<usize>,
    /// The key as the SDKs read it, lower-cased as every reader compares keys; None on a
    /// line only botocore reads as an entry (`key: value`).
    pub(crate) key: Option<String>,
    /// The key botocore reads on the line, as written (borrowed: the reader's hot path
    /// copies nothing for it): configparser splits at the first `=`
    /// or `:`, so `aws_access_key_id: AKIA…` is a key to it (the SDKs reject the line) and
    /// `a:b = c` is key `a` (the SDKs read key `a:b`); empty where botocore reads none.
    pub(crate) botocore_key: &'a str,
    /// The value with its continuation lines joined by `\n`, as the SDKs read it.
    pub(crate) value: String,
}

impl Entry<'_> {
    /// Whether some reader takes this line for `key` (any case; `key` is never empty).
    pub(crate) fn names(&self, key: &str) -> bool {
        (!self.botocore_key.is_empty() && self.botocore_key.eq_ignore_ascii_case(key))
            || self
                .key
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case(key))
    }
}

/// A parsed text: its lines, their sections, and what the SDKs would reject.
#[derive(Debug)]
pub struct Document<'a> {
    pub(crate) lines: Vec<Line<'a>>,
    pub(crate) spans: Vec<Span<'a>>,
    pub problems: Vec<Problem>,
    kind: FileKind,
}

impl<'a> Document<'a> {
    pub fn parse(text: &'a str, kind: FileKind) -> Self {
        let lines = split(text);
        let mut problems = Vec::new();
        let mut spans: Vec<Span<'a>> = Vec::new();
        // Whether a continuation line has an entry to belong to, and whether that entry
        // opened a block of sub-properties (`s3 =`).
        let mut entry_open: Option<bool> = None;
        let mut problem = |line: usize, message| {
            problems.push(Problem {
                line: line + 1,
                message,
            })
        };
        for (i, l) in lines.iter().enumerate() {
            match l.kind {
                Kind::Header(inner) => {
                    if let Some(last) = spans.last_mut() {
                        last.end = i;
                    }
                    let (name, unprefixed_default) = section_name(inner, kind);
                    spans.push(Span {
                        header: i,
                        end: lines.len(),
                        name,
                        unprefixed_default,
                        configparser: configparser_header(l.text),
                    });
                    entry_open = None;
                }
                Kind::BadHeader => {
                    if let Some(last) = spans.last_mut() {
                        last.end = i;
                    }
                    // Lines under a broken header belong to no profile (the SDKs stop here).
                    spans.push(Span {
                        header: i,
                        end: lines.len(),
                        name: SectionName::Ignored,
                        unprefixed_default: false,
                        configparser: configparser_header(l.text),
                    });
                    entry_open = None;
                    problem(i, "Profile definition must end with ']'");
                }
                _ if spans.is_empty() && !matches!(l.kind, Kind::Blank | Kind::Comment) => {
                    problem(i, "Expected a profile definition");
                }
                Kind::Entry { value, .. } => entry_open = Some(value.is_empty()),
                Kind::BadEntry(e) => problem(
                    i,
                    match e {
                        EntryError::NoEquals => "Expected an '=' sign defining a property",
                        EntryError::NoName => "Property did not have a name",
                    },
                ),
                Kind::Continuation(text) => match entry_open {
                    None => problem(i, "Expected a property definition, found continuation"),
                    Some(true) => match entry(text) {
                        Err(EntryError::NoEquals) => {
                            problem(i, "Expected an '=' sign defining a sub-property")
                        }
                        Err(EntryError::NoName) => problem(i, "Sub-property did not have a name"),
                        Ok(_) => {}
                    },
                    Some(false) => {}
                },
                Kind::Comment | Kind::Blank => {}
            }
        }
        Document {
            lines,
            spans,
            problems,
            kind,
        }
    }

    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// The entries of a section as either reader sees them, in file order.
    pub(crate) fn entries(&self, span: &Span<'_>) -> Vec<Entry<'a>> {
        let mut out: Vec<Entry<'a>> = Vec::new();
        // A broken line ends nothing in the SDKs, but what follows it is no continuation of
        // a value we would rewrite.
        let mut open = false;
        for i in span.header + 1..span.end {
            let line = &self.lines[i];
            match line.kind {
                // Every SDK entry stays one, even where botocore reads no key (`:a = b`).
                Kind::Entry { key, value } => {
                    out.push(Entry {
                        line: i,
                        continuations: Vec::new(),
                        key: Some(key.to_ascii_lowercase()),
                        botocore_key: configparser_key(line.text).unwrap_or_default(),
                        value: value.to_owned(),
                    });
                    open = true;
                }
                Kind::BadEntry(_) => match configparser_key(line.text) {
                    Some(botocore_key) => {
                        out.push(Entry {
                            line: i,
                            continuations: Vec::new(),
                            key: None,
                            botocore_key,
                            value: String::new(),
                        });
                        open = true;
                    }
                    None => open = false,
                },
                Kind::Continuation(text) if open => {
                    if let Some(e) = out.last_mut() {
                        e.continuations.push(i);
                        e.value.push('\n');
                        e.value.push_str(text);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The sections that name profile `name` in this file, in file order. In the config
    /// file, `[default]` counts only when no `[profile default]` exists (the SDKs' rule).
    pub(crate) fn profile_spans(&self, name: &str) -> Vec<&Span<'a>> {
        let is = |s: &&Span<'_>| s.name == SectionName::Profile(name.to_owned());
        let prefixed_default = self
            .spans
            .iter()
            .any(|s| is(&s) && !s.unprefixed_default && name == "default");
        self.spans
            .iter()
            .filter(is)
            .filter(|s| !(prefixed_default && s.unprefixed_default))
            .collect()
    }
}

/// Whether a profile or key name is one the SDKs accept (others are ignored with a warning).
pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

/// What a header's inner text names in a file of `kind`, and whether it is the config
/// file's unprefixed `[default]`.
fn section_name(inner: &str, kind: FileKind) -> (SectionName, bool) {
    let inner = inner.trim_matches(WHITESPACE);
    let (prefix, name) = match inner.split_once(WHITESPACE) {
        Some((p, n)) => (Some(p), n.trim_matches(WHITESPACE)),
        None => (None, inner),
    };
    let valid = is_identifier(name);
    let named = match (kind, prefix) {
        (FileKind::Config, Some("profile")) | (FileKind::Credentials, None) if valid => {
            SectionName::Profile(name.to_owned())
        }
        (FileKind::Config, None) if name == "default" => {
            return (SectionName::Profile("default".to_owned()), true);
        }
        (FileKind::Config, Some("sso-session")) if valid => {
            SectionName::SsoSession(name.to_owned())
        }
        (FileKind::Config, Some(p)) if valid && p != "profile" => SectionName::Other {
            prefix: p.to_owned(),
            name: name.to_owned(),
        },
        _ => SectionName::Ignored,
    };
    (named, false)
}
