//! Pure edits of a shared file's text through the reader: set keys of one profile, in place,
//! keeping every other byte, so that botocore and the SDKs both read the new values.

use super::document::{Document, FileKind, Span};
use super::lines::Kind;
use super::paths::config_section;

/// What an edit did, for the caller's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub text: String,
    /// True when a section of the profile existed before (it was updated in place).
    pub updated: bool,
    /// How many sections of the file name that profile; above 1 deserves a warning (botocore
    /// refuses files with duplicate sections).
    pub occurrences: usize,
}

/// The header a new section of `profile` gets in a file of `kind`.
fn header(kind: FileKind, profile: &str) -> String {
    match kind {
        FileKind::Config => config_section(profile),
        FileKind::Credentials => profile.to_owned(),
    }
}

/// The sections some reader takes for `profile`: those the SDKs map to it (`[ alice ]`,
/// `[alice] # note`), and those botocore names exactly so (`[alice]x`), in file order.
fn profile_spans<'d>(doc: &'d Document<'_>, profile: &str) -> Vec<&'d Span<'d>> {
    let want = header(doc.kind(), profile);
    let sdk = doc.profile_spans(profile);
    doc.spans
        .iter()
        .filter(|s| {
            s.configparser == Some(want.as_str()) || sdk.iter().any(|t| t.header == s.header)
        })
        .collect()
}

/// Whether any section of `profile` holds an access key without a session token: long-term
/// keys, which no edit may replace unasked.
pub fn holds_long_term_keys(text: &str, kind: FileKind, profile: &str) -> bool {
    let doc = Document::parse(text, kind);
    profile_spans(&doc, profile).iter().any(|s| {
        let entries = doc.entries(s);
        let has = |k: &str| entries.iter().any(|e| e.names(k));
        has("aws_access_key_id") && !has("aws_session_token")
    })
}

/// Sets `entries` in `profile`.
///
/// - The section botocore reads as the profile (its header names it exactly, comments after
///   the `]` allowed) is updated in place: an existing key's line is rewritten where it
///   stands (its continuation lines dropped, later duplicates of the key removed), a new key
///   goes after the section's last entry, so comments inside and around it stay put.
/// - Every other section a reader takes for the profile loses just those keys, so that no
///   reader, whether it merges duplicates or takes the first or the last, sees a stale one.
/// - Without such a section, `[profile]` is appended at the end, after a blank line.
/// - New lines use the file's line ending (CRLF if its first line ending is CRLF).
pub fn set_profile(text: &str, kind: FileKind, profile: &str, entries: &[(&str, &str)]) -> Edit {
    let doc = Document::parse(text, kind);
    let want = header(kind, profile);
    let spans = profile_spans(&doc, profile);
    let target = spans
        .iter()
        .position(|s| s.configparser == Some(want.as_str()));
    let lines = &doc.lines;
    let eol = lines
        .iter()
        .map(|l| l.eol)
        .find(|e| !e.is_empty())
        .unwrap_or("\n");
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| format!("{}{}", l.text, l.eol))
        .collect();
    let mut drop = vec![false; lines.len()];
    let mut done = vec![false; entries.len()];
    for (n, span) in spans.iter().enumerate() {
        let is_target = target == Some(n);
        let mut last_line = span.header;
        for e in doc.entries(span) {
            let end = e.continuations.last().copied().unwrap_or(e.line);
            match entries.iter().position(|(k, _)| e.names(k)) {
                Some(p) if is_target && !done[p] => {
                    out[e.line] =
                        format!("{} = {}{}", entries[p].0, entries[p].1, lines[e.line].eol);
                    done[p] = true;
                    e.continuations.iter().for_each(|&c| drop[c] = true);
                    last_line = e.line;
                }
                Some(_) => {
                    drop[e.line] = true;
                    e.continuations.iter().for_each(|&c| drop[c] = true);
                }
                None => last_line = end,
            }
        }
        if is_target {
            let new: String = entries
                .iter()
                .zip(&done)
                .filter(|(_, d)| !**d)
                .map(|((k, v), _)| format!("{k} = {v}{eol}"))
                .collect();
            if !new.is_empty() {
                // The line we insert after may be the file's last line, without terminator.
                if lines[last_line].eol.is_empty() {
                    out[last_line].push_str(eol);
                }
                out[last_line].push_str(&new);
            }
        }
    }
    let mut text_out: String = out
        .into_iter()
        .zip(&drop)
        .filter(|(_, d)| !**d)
        .map(|(l, _)| l)
        .collect();
    if target.is_none() {
        append_section(&mut text_out, &doc, eol, &want, entries);
    }
    Edit {
        text: text_out,
        updated: target.is_some(),
        occurrences: spans.len(),
    }
}

fn append_section(
    text: &mut String,
    doc: &Document<'_>,
    eol: &str,
    header: &str,
    entries: &[(&str, &str)],
) {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push_str(eol);
    }
    let ends_blank = text.is_empty()
        || doc
            .lines
            .last()
            .is_some_and(|l| l.kind == Kind::Blank && !l.eol.is_empty());
    if !ends_blank {
        text.push_str(eol);
    }
    text.push_str(&format!("[{header}]{eol}"));
    for (k, v) in entries {
        text.push_str(&format!("{k} = {v}{eol}"));
    }
}

/// Removes `keys` (and their continuation lines) from every section any reader takes for
/// `profile`, keeping every other line byte for byte (headers stay). None when no such key
/// is there.
pub fn remove_keys(text: &str, kind: FileKind, profile: &str, keys: &[&str]) -> Option<String> {
    let doc = Document::parse(text, kind);
    let mut drop = vec![false; doc.lines.len()];
    for span in profile_spans(&doc, profile) {
        for e in doc.entries(span) {
            if keys.iter().any(|k| e.names(k)) {
                drop[e.line] = true;
                e.continuations.iter().for_each(|&c| drop[c] = true);
            }
        }
    }
    if !drop.contains(&true) {
        return None;
    }
    Some(
        doc.lines
            .iter()
            .zip(&drop)
            .filter(|(_, d)| !**d)
            .map(|(l, _)| format!("{}{}", l.text, l.eol))
            .collect(),
    )
}

/// Removes every section any reader takes for `profile`: its header and its lines up to the
/// next header. None when there is no such section.
pub fn remove_profile(text: &str, kind: FileKind, profile: &str) -> Option<String> {
    let doc = Document::parse(text, kind);
    let spans = profile_spans(&doc, profile);
    if spans.is_empty() {
        return None;
    }
    Some(
        doc.lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !spans.iter().any(|s| (s.header..s.end).contains(i)))
            .map(|(_, l)| format!("{}{}", l.text, l.eol))
            .collect(),
    )
}
