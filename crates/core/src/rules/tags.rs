//! Session tags (`--tag KEY=VALUE`) and transitive tag keys.

use super::{Field, Invalid};

/// One session tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

const MAX_TAGS: usize = 50;

/// The tag alphabet of the STS model (`[\p{L}\p{Z}\p{N}_.:/=+\-@]`): letters, spaces and
/// numbers of any script, and `_ . : / = + - @`.
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

fn check_tag_text(
    flag: &Field,
    what: &str,
    text: &str,
    min: usize,
    max: usize,
) -> Result<(), Invalid> {
    let n = text.chars().count();
    if n < min || n > max {
        return Err(Invalid::new(
            flag,
            format!("a tag {what} must be {min} to {max} characters (got {n} in \"{text}\")"),
        ));
    }
    if let Some(c) = text.chars().find(|c| !is_tag_char(*c)) {
        return Err(Invalid::new(
            flag,
            format!(
                "a tag {what} may hold letters, digits, spaces and _ . : / = + - @ only (found '{}' in \"{text}\")",
                c.escape_default()
            ),
        ));
    }
    Ok(())
}

/// Parses `KEY=VALUE` session tags: at most 50; key 1..=128, value 0..=256 characters; keys
/// are case-insensitive in STS, so two keys differing only in case are a duplicate; the
/// `aws:` prefix is reserved for AWS.
pub fn tags(flag: impl Into<Field>, items: &[String]) -> Result<Vec<Tag>, Invalid> {
    let flag = &flag.into();
    if items.len() > MAX_TAGS {
        return Err(Invalid::new(
            flag,
            format!("at most {MAX_TAGS} session tags (got {})", items.len()),
        ));
    }
    let mut out: Vec<Tag> = Vec::with_capacity(items.len());
    for item in items {
        let Some((key, value)) = item.split_once('=') else {
            return Err(Invalid::new(
                flag,
                format!("\"{item}\" must be KEY=VALUE (the value may be empty: KEY=)"),
            ));
        };
        check_tag_text(flag, "key", key, 1, 128)?;
        check_tag_text(flag, "value", value, 0, 256)?;
        if key.to_lowercase().starts_with("aws:") {
            return Err(Invalid::new(
                flag,
                format!("tag key \"{key}\" uses the prefix \"aws:\", which is reserved for AWS"),
            ));
        }
        if let Some(dup) = out
            .iter()
            .find(|t| t.key.to_lowercase() == key.to_lowercase())
        {
            return Err(Invalid::new(
                flag,
                format!(
                    "tag keys are case-insensitive: \"{key}\" repeats \"{}\"",
                    dup.key
                ),
            ));
        }
        out.push(Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(out)
}

/// Transitive tag keys: at most 50, each must name a tag passed with `--tag` (compared
/// case-insensitively, as STS does). Returns the keys spelled as in the tags.
pub fn transitive_tags(
    flag: impl Into<Field>,
    keys: &[String],
    tags: &[Tag],
) -> Result<Vec<String>, Invalid> {
    let flag = &flag.into();
    if keys.len() > MAX_TAGS {
        return Err(Invalid::new(
            flag,
            format!(
                "at most {MAX_TAGS} transitive tag keys (got {})",
                keys.len()
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for key in keys {
        let Some(tag) = tags
            .iter()
            .find(|t| t.key.to_lowercase() == key.to_lowercase())
        else {
            return Err(Invalid::new(
                flag,
                format!("\"{key}\" must be the key of one of the session tags"),
            ));
        };
        if !out.contains(&tag.key) {
            out.push(tag.key.clone());
        }
    }
    Ok(out)
}
