//! The validation table of AWS rules (docs/ARCHITECTURE.md, "AWS rules") as pure functions.
//!
//! moto accepts almost any input, real AWS does not: every rule here is enforced before any
//! network call, and each failure names the flag and the rule in one line (exit code 2).
//! Sources: the STS API reference (botocore's `sts/2011-06-15/service-2.json` constraints)
//! and the IAM User Guide, as summarised in `docs/ARCHITECTURE.md` ("AWS rules").

mod arn;
mod duration;
mod field;
mod policy;
mod tags;
#[cfg(test)]
mod tests;

pub use arn::{Partition, RoleArn, partition_of_region, policy_arns, region, role_arn};
pub use duration::{
    ASSUME_ROLE_DEFAULT_SECONDS, CHAINED_MAX_SECONDS, FEDERATION_MAX_SECONDS,
    FEDERATION_MIN_SECONDS, ROLE_MAX_SESSION_MAX_SECONDS, ROLE_MAX_SESSION_MIN_SECONDS,
    SESSION_TOKEN_MAX_SECONDS, SESSION_TOKEN_MIN_SECONDS, assume_role_duration, bounded_duration,
    parse_duration,
};
pub use field::Field;
pub use policy::{SESSION_POLICY_MAX_CHARS, session_policies};
pub use tags::{Tag, tags, transitive_tags};

/// An input that breaks an AWS rule: which field (rendered by the caller as its flag,
/// config key or query parameter) and which rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct Invalid {
    pub field: Field,
    pub rule: String,
}

impl Invalid {
    pub fn new(field: impl Into<Field>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// The STS "sts identifier" alphabet `[\w+=,.@-]` (ASCII letters and digits only), used by
/// RoleSessionName, SourceIdentity and GetFederationToken's Name.
fn is_sts_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Checks a string's length (in characters) and alphabet. `what` describes the alphabet in
/// the error message; the first offending character is quoted so the user can find it.
fn check(
    flag: &Field,
    value: &str,
    min: usize,
    max: usize,
    allowed: fn(char) -> bool,
    what: &str,
) -> Result<(), Invalid> {
    let n = value.chars().count();
    let rule = || format!("must be {min} to {max} characters of {what}");
    if n < min || n > max {
        return Err(Invalid::new(flag, format!("{} (got {n})", rule())));
    }
    if let Some(bad) = value.chars().find(|c| !allowed(*c)) {
        return Err(Invalid::new(
            flag,
            format!("{} (found {})", rule(), describe_char(bad)),
        ));
    }
    Ok(())
}

fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("{:?}", c.escape_default().to_string())
    } else {
        format!("'{c}'")
    }
}

const STS_ID: &str = "A-Z a-z 0-9 _+=,.@-";

/// `RoleSessionName`: 2..=64 chars of `[\w+=,.@-]`.
pub fn session_name(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    check(flag, value, 2, 64, is_sts_identifier_char, STS_ID)
}

/// `ExternalId`: 2..=1224 chars of `[\w+=,.@:/-]`.
pub fn external_id(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    check(
        flag,
        value,
        2,
        1224,
        |c| is_sts_identifier_char(c) || c == ':' || c == '/',
        "A-Z a-z 0-9 _+=,.@:/-",
    )
}

/// MFA `SerialNumber`: 9..=256 chars of `[\w+=/:,.@-]` (an MFA device ARN or a hardware
/// token's serial).
pub fn mfa_serial(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    check(
        flag,
        value,
        9,
        256,
        |c| is_sts_identifier_char(c) || c == ':' || c == '/',
        "A-Z a-z 0-9 _+=/:,.@- (an MFA device ARN like arn:aws:iam::123456789012:mfa/NAME, or a hardware serial)",
    )
}

/// MFA `TokenCode`: exactly six ASCII digits. The value itself is never echoed back.
pub fn mfa_code(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    if value.len() == 6 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Invalid::new(flag, "must be exactly 6 digits"))
    }
}

/// `SourceIdentity`: 2..=64 chars of `[\w+=,.@-]`, and it must not start with `aws:`.
pub fn source_identity(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    check(flag, value, 2, 64, is_sts_identifier_char, STS_ID)?;
    // The alphabet has no ':' so "aws:" cannot occur; the check stays for clarity should the
    // alphabet ever widen (the IAM User Guide reserves the prefix).
    if value.to_ascii_lowercase().starts_with("aws:") {
        return Err(Invalid::new(flag, "must not start with \"aws:\""));
    }
    Ok(())
}

/// GetFederationToken `Name`: 2..=32 chars of `[\w+=,.@-]`.
pub fn federated_user_name(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    check(flag, value, 2, 32, is_sts_identifier_char, STS_ID)
}

/// IAM user and role names (CreateUser, CreateRole): 1..=64 chars of `[\w+=,.@-]`. (A
/// role name may be longer, but setup gives user and role the same name.)
pub fn iam_name(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    check(flag, value, 1, 64, is_sts_identifier_char, STS_ID)
}

/// A role's inline access policy: JSON, at most 10,240 characters without whitespace (IAM's
/// quota for a role's inline policies together). Returns the parsed document.
pub fn role_access_policy(
    flag: impl Into<Field>,
    text: &str,
) -> Result<serde_json::Value, Invalid> {
    let flag = &flag.into();
    let doc: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Invalid::new(flag, format!("must be a JSON policy document ({e})")))?;
    if doc.get("Statement").is_none() {
        return Err(Invalid::new(
            flag,
            "must be an IAM policy document with a Statement",
        ));
    }
    let n = doc
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    if n > 10_240 {
        return Err(Invalid::new(
            flag,
            format!(
                "must be at most 10240 characters without whitespace (IAM's role inline policy quota; got {n})"
            ),
        ));
    }
    Ok(doc)
}

/// A profile name we write as a section header in `~/.aws/credentials`: anything a header
/// can hold unambiguously (no brackets, comment characters, whitespace or control chars).
pub fn profile_name(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    check(
        flag,
        value,
        1,
        128,
        |c| c.is_ascii_graphic() && !"[]#;".contains(c),
        "visible ASCII without [ ] # ; or spaces",
    )
}

/// A long-term access key id as IAM issues it: `AKIA` and upper-case letters and digits,
/// 16..=128 characters (the STS model's `accessKeyIdType` length; `ASIA` ids are temporary).
pub fn access_key_id(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    if value.starts_with("ASIA") {
        return Err(Invalid::new(
            flag,
            "is a temporary key (ASIA…): only long-term IAM user keys (AKIA…) are stored",
        ));
    }
    if !value.starts_with("AKIA") {
        return Err(Invalid::new(
            flag,
            "must be an IAM user's access key id (AKIA…)",
        ));
    }
    check(
        flag,
        value,
        16,
        128,
        |c| c.is_ascii_uppercase() || c.is_ascii_digit(),
        "A-Z 0-9",
    )
}

/// A secret access key: not empty, and no whitespace (a paste that caught a space or a line
/// break would sign every request wrongly). Never quoted in the error.
pub fn secret_access_key(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = flag.into();
    if value.is_empty() {
        return Err(Invalid::new(flag, "must not be empty"));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new(
            flag,
            "must not contain spaces, tabs or line breaks",
        ));
    }
    Ok(())
}

/// A profile whose keys are stored: its name goes into `credential_process = tempcreds
/// credential-process NAME`, run by `sh -c`, so only the SDKs' profile-name characters
/// (`[A-Za-z0-9_\-/.%@:+]`, none of them special to the shell) are allowed.
pub fn stored_profile_name(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    check(
        flag,
        value,
        1,
        128,
        |c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c),
        "A-Z a-z 0-9 _ - / . % @ : +",
    )
}
