//! Pure edits of an INI text: set keys in one section, in place, keeping every other byte.

use super::lines::{Kind, Line, split};

/// What an edit did, for the caller's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub text: String,
    /// True when the section existed before (it was updated in place).
    pub updated: bool,
    /// How many sections of that name the text had; above 1 deserves a warning (botocore
    /// refuses files with duplicate sections).
    pub occurrences: usize,
}

/// Sets `entries` in section `[name]`.
///
/// - The first section of that name is updated in place: an existing key's line is
///   rewritten where it stands (with its indented continuation lines dropped), a new key goes
///   after the section's last entry, so comments inside and around the section stay put.
/// - Later duplicate sections lose just those keys, so that no reader, whether it takes the
///   first or the last value, sees a stale one.
/// - A missing section is appended at the end, after a blank line.
/// - New lines use the file's line ending (CRLF if its first line ending is CRLF).
pub fn set_section(text: &str, name: &str, entries: &[(&str, &str)]) -> Edit {
    let lines = split(text);
    let eol = lines
        .iter()
        .map(|l| l.eol)
        .find(|e| !e.is_empty())
        .unwrap_or("\n");
    let ranges = section_ranges(&lines, name);
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| format!("{}{}", l.text, l.eol))
        .collect();
    let mut done = vec![false; entries.len()];

    // Walk sections back to front so earlier indices stay valid while lines are removed.
    for (n, &(start, end)) in ranges.iter().enumerate().rev() {
        let first = n == 0;
        let mut last_entry = start;
        let mut i = start + 1;
        let mut to_remove = Vec::new();
        while i < end {
            if let Kind::Entry { key, .. } = lines[i].kind {
                let conts = (i + 1..end)
                    .take_while(|&j| lines[j].kind == Kind::Continuation)
                    .count();
                match entries
                    .iter()
                    .position(|(k, _)| k.eq_ignore_ascii_case(key))
                {
                    Some(p) if first && !done[p] => {
                        out[i] = format!("{} = {}{}", entries[p].0, entries[p].1, lines[i].eol);
                        done[p] = true;
                        to_remove.extend(i + 1..=i + conts);
                        last_entry = i;
                    }
                    Some(_) => to_remove.extend(i..=i + conts),
                    None => last_entry = i + conts,
                }
                i += conts + 1;
            } else {
                i += 1;
            }
        }
        if first {
            let new: String = entries
                .iter()
                .zip(&done)
                .filter(|(_, d)| !**d)
                .map(|((k, v), _)| format!("{k} = {v}{eol}"))
                .collect();
            if !new.is_empty() {
                // The line we insert after may be the file's last line, without terminator.
                if lines[last_entry].eol.is_empty() {
                    out[last_entry].push_str(eol);
                }
                out[last_entry].push_str(&new);
            }
        }
        for j in to_remove.into_iter().rev() {
            out.remove(j);
        }
    }

    let mut text_out: String = out.concat();
    if ranges.is_empty() {
        if !text_out.is_empty() && !text_out.ends_with('\n') {
            text_out.push_str(eol);
        }
        let ends_blank = text_out.is_empty()
            || lines
                .last()
                .is_some_and(|l| l.kind == Kind::Blank && !l.eol.is_empty());
        if !ends_blank {
            text_out.push_str(eol);
        }
        text_out.push_str(&format!("[{name}]{eol}"));
        for (k, v) in entries {
            text_out.push_str(&format!("{k} = {v}{eol}"));
        }
    }
    Edit {
        text: text_out,
        updated: !ranges.is_empty(),
        occurrences: ranges.len(),
    }
}

/// Each section named `name`: (header line, one past its last line).
/// Removes every `[name]` section: its header and its lines up to the next header. None
/// when there is no such section.
pub fn remove_section(text: &str, name: &str) -> Option<String> {
    let lines = split(text);
    let ranges = section_ranges(&lines, name);
    if ranges.is_empty() {
        return None;
    }
    Some(
        lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !ranges.iter().any(|&(s, e)| (s..e).contains(i)))
            .map(|(_, l)| format!("{}{}", l.text, l.eol))
            .collect(),
    )
}

fn section_ranges(lines: &[Line<'_>], name: &str) -> Vec<(usize, usize)> {
    let headers: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| match l.kind {
            Kind::Header(h) => Some((i, h)),
            _ => None,
        })
        .collect();
    headers
        .iter()
        .enumerate()
        .filter(|(_, (_, h))| *h == name)
        .map(|(n, (i, _))| (*i, headers.get(n + 1).map_or(lines.len(), |(j, _)| *j)))
        .collect()
}
