//! Session policies: the inline JSON policy and its size together with managed policy ARNs.

use super::{Field, Invalid};

/// "The plaintext that you use for both inline and managed session policies can't exceed
/// 2,048 characters" (STS AssumeRole, `Policy`).
pub const SESSION_POLICY_MAX_CHARS: usize = 2048;

/// Validates the inline session policy (valid JSON object, 1..=2048 characters) and the
/// combined size with the managed policy ARNs. Returns the policy minified: whitespace is
/// not part of a policy's meaning but does count against AWS's 2048-character limit, so a
/// pretty-printed file that would be refused is sent compact instead.
pub fn session_policies(
    flag: impl Into<Field>,
    policy: Option<&str>,
    arns: &[String],
) -> Result<Option<String>, Invalid> {
    let flag = &flag.into();
    let minified = match policy {
        None => None,
        Some(text) => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| Invalid::new(flag, format!("must be valid JSON ({e})")))?;
            if !value.is_object() {
                return Err(Invalid::new(
                    flag,
                    "must be a JSON object (an IAM policy document)",
                ));
            }
            let compact = value.to_string();
            if compact.chars().count() < 1 {
                return Err(Invalid::new(flag, "must not be empty"));
            }
            Some(compact)
        }
    };
    let inline = minified.as_deref().map_or(0, |p| p.chars().count());
    let managed: usize = arns.iter().map(|a| a.chars().count()).sum();
    if inline + managed > SESSION_POLICY_MAX_CHARS {
        let what = if managed > 0 {
            "the inline policy and the managed policy ARNs together"
        } else {
            "the policy (after removing whitespace)"
        };
        return Err(Invalid::new(
            flag,
            format!(
                "{what} must be at most {SESSION_POLICY_MAX_CHARS} characters (got {})",
                inline + managed
            ),
        ));
    }
    Ok(minified)
}
