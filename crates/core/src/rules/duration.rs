//! Session durations: parsing `1h`, `90m`, `1h30m`, `3600`, and the STS bounds on them.

use super::{Field, Invalid};

/// AssumeRole's default when no DurationSeconds is sent.
pub const ASSUME_ROLE_DEFAULT_SECONDS: u32 = 3600;
/// The cap STS puts on a role assumed with temporary credentials ("exceeds the 1 hour
/// session limit for roles assumed by role chaining").
pub const CHAINED_MAX_SECONDS: u32 = 3600;
/// GetFederationToken `DurationSeconds`: 900..=129600 (36 hours).
pub const FEDERATION_MIN_SECONDS: u32 = 900;
pub const FEDERATION_MAX_SECONDS: u32 = 129_600;
/// A role's `MaxSessionDuration`: 3600..=43200 (1 to 12 hours).
pub const ROLE_MAX_SESSION_MIN_SECONDS: u32 = 3600;
pub const ROLE_MAX_SESSION_MAX_SECONDS: u32 = 43200;
/// GetSessionToken `DurationSeconds` for IAM users: 900..=129600, default 43200 (12 h).
/// (The root user's cap of 3600 is AWS's to enforce: only AWS knows who the caller is.)
pub const SESSION_TOKEN_MIN_SECONDS: u32 = 900;
pub const SESSION_TOKEN_MAX_SECONDS: u32 = 129_600;

/// AssumeRole `DurationSeconds` bounds (the role's MaxSessionDuration may be lower; only
/// AWS knows it, and its ValidationError is explained with a hint).
const ASSUME_ROLE_MIN: u32 = 900;
const ASSUME_ROLE_MAX: u32 = 43200;

/// Parses a duration given as seconds (`3600`) or as hours/minutes/seconds (`1h`, `90m`,
/// `1h30m`, `45s`). Returns None when the text is neither.
pub fn parse_duration(text: &str) -> Option<u32> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut last_unit = u64::MAX;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        // Units must come once each, largest first: "30m1h" is more likely a typo.
        if digits.is_empty() || unit >= last_unit {
            return None;
        }
        last_unit = unit;
        total = total.checked_add(digits.parse::<u64>().ok()?.checked_mul(unit)?)?;
        digits.clear();
    }
    if !digits.is_empty() || last_unit == u64::MAX {
        return None;
    }
    u32::try_from(total).ok()
}

/// A duration within `min..=max` seconds: the console's `SessionDuration` (900..=43200) and
/// GetFederationToken's `DurationSeconds` (900..=129600).
pub fn bounded_duration(
    flag: impl Into<Field>,
    text: &str,
    min: u32,
    max: u32,
) -> Result<u32, Invalid> {
    let flag = &flag.into();
    let secs = parse_duration(text).ok_or_else(|| {
        Invalid::new(
            flag,
            format!("\"{text}\" is not a duration (examples: 3600, 1h, 90m, 1h30m)"),
        )
    })?;
    if !(min..=max).contains(&secs) {
        return Err(Invalid::new(
            flag,
            format!(
                "must be between {} ({min}) and {} ({max}) seconds (got {secs})",
                human(min),
                human(max)
            ),
        ));
    }
    Ok(secs)
}

fn human(secs: u32) -> String {
    if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else {
        format!("{}m", secs / 60)
    }
}

/// AssumeRole `DurationSeconds`: 900..=43200, and at most 3600 when the caller's own
/// credentials are temporary (role chaining, ARCHITECTURE.md).
pub fn assume_role_duration(
    flag: impl Into<Field>,
    text: &str,
    chained: bool,
) -> Result<u32, Invalid> {
    let flag = &flag.into();
    let secs = parse_duration(text).ok_or_else(|| {
        Invalid::new(
            flag,
            format!("\"{text}\" is not a duration (examples: 3600, 1h, 90m, 1h30m)"),
        )
    })?;
    if !(ASSUME_ROLE_MIN..=ASSUME_ROLE_MAX).contains(&secs) {
        return Err(Invalid::new(
            flag,
            format!("must be between 15m (900) and 12h (43200) seconds (got {secs})"),
        ));
    }
    if chained && secs > CHAINED_MAX_SECONDS {
        return Err(Invalid::new(
            flag,
            format!(
                "must be at most 1h (3600) because the source credentials are temporary and STS limits roles assumed by role chaining to one hour (got {secs}); use long-term keys as the source for longer sessions"
            ),
        ));
    }
    Ok(secs)
}
