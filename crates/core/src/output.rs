//! Output formats: one enum, and pure functions from credentials to the text each prints.

use serde_json::{Map, Value, json};

use crate::Credentials;
use crate::awsfile::EXPIRATION_KEY;

/// Where `assume` sends the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON on stdout (the original script's default).
    Json,
    /// Shell variable assignments, for `eval`.
    Env,
    /// The `credential_process` JSON (Version 1).
    CredentialProcess,
    /// The profile section as INI text on stdout.
    Ini,
    /// The profile written into the shared credentials file.
    Write,
    /// The console sign-in URL alone.
    Link,
}

/// The shell whose syntax `env` output uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Sh,
    Fish,
    PowerShell,
}

/// `{"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AssumedRoleArn"}`
/// (+ `"ConsoleMagicLink"`), pretty-printed.
pub fn json(creds: &Credentials, assumed_role_arn: Option<&str>, link: Option<&str>) -> String {
    let mut m = Map::new();
    m.insert("AccessKeyId".into(), json!(creds.access_key_id));
    m.insert("SecretAccessKey".into(), json!(creds.secret()));
    if let Some(t) = creds.token() {
        m.insert("SessionToken".into(), json!(t));
    }
    if let Some(e) = creds.expiration_rfc3339() {
        m.insert("Expiration".into(), json!(e));
    }
    if let Some(a) = assumed_role_arn {
        m.insert("AssumedRoleArn".into(), json!(a));
    }
    if let Some(l) = link {
        m.insert("ConsoleMagicLink".into(), json!(l));
    }
    let mut s = serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default();
    s.push('\n');
    s
}

/// The `credential_process` format: `{"Version": 1, "AccessKeyId", "SecretAccessKey",
/// "SessionToken", "Expiration"}` on one line. Expiration is what tells the SDKs to call the
/// process again before the credentials run out.
pub fn credential_process(creds: &Credentials) -> String {
    let mut s = Value::Object(credential_process_fields(creds)).to_string();
    s.push('\n');
    s
}

/// The fields of the `credential_process` format, in order, for callers that add their own
/// (the broker adds the role).
pub fn credential_process_fields(creds: &Credentials) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("Version".into(), json!(1));
    m.insert("AccessKeyId".into(), json!(creds.access_key_id));
    m.insert("SecretAccessKey".into(), json!(creds.secret()));
    if let Some(t) = creds.token() {
        m.insert("SessionToken".into(), json!(t));
    }
    if let Some(e) = creds.expiration_rfc3339() {
        m.insert("Expiration".into(), json!(e));
    }
    m
}

/// The variables `env` sets, in order: the SDKs' names, `AWS_SECURITY_TOKEN` for boto2-era
/// tools, the expiry, both region variables when a region is known (the AWS CLI v1 reads
/// only `AWS_DEFAULT_REGION`), and with `legacy_ec2` the old EC2 API tools' names.
pub fn env_vars(
    creds: &Credentials,
    region: Option<&str>,
    legacy_ec2: bool,
) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", creds.secret().to_owned()),
    ];
    if let Some(t) = creds.token() {
        v.push(("AWS_SESSION_TOKEN", t.to_owned()));
        v.push(("AWS_SECURITY_TOKEN", t.to_owned()));
    }
    if let Some(e) = creds.expiration_rfc3339() {
        v.push(("AWS_CREDENTIAL_EXPIRATION", e));
    }
    if let Some(r) = region {
        v.push(("AWS_REGION", r.to_owned()));
        v.push(("AWS_DEFAULT_REGION", r.to_owned()));
    }
    if legacy_ec2 {
        v.push(("AWS_ACCESS_KEY", creds.access_key_id.clone()));
        v.push(("AWS_SECRET_KEY", creds.secret().to_owned()));
        if let Some(t) = creds.token() {
            v.push(("AWS_DELEGATION_TOKEN", t.to_owned()));
        }
    }
    v
}

/// Assignment lines for `shell`, each value quoted so that any byte survives `eval`.
pub fn env(vars: &[(&str, String)], shell: Shell) -> String {
    vars.iter()
        .map(|(name, value)| match shell {
            Shell::Sh => format!("export {name}={}\n", quote_sh(value)),
            Shell::Fish => format!("set -gx {name} {}\n", quote_fish(value)),
            Shell::PowerShell => format!("$Env:{name} = {}\n", quote_powershell(value)),
        })
        .collect()
}

/// POSIX single quotes: nothing inside is special, and a quote is written as `'\''`.
fn quote_sh(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

/// fish single quotes: only `\` and `'` are special, escaped with a backslash.
fn quote_fish(v: &str) -> String {
    format!("'{}'", v.replace('\\', r"\\").replace('\'', r"\'"))
}

/// PowerShell single quotes: a quote is doubled. PowerShell also treats the typographic
/// single quotes (U+2018..U+201B) as quotes, so those are doubled too.
fn quote_powershell(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('\'');
    for c in v.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            s.push(c);
        }
        s.push(c);
    }
    s.push('\'');
    s
}

/// The keys of a credentials-file profile, in the order they are written.
pub fn profile_entries(creds: &Credentials) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("aws_access_key_id", creds.access_key_id.clone()),
        ("aws_secret_access_key", creds.secret().to_owned()),
    ];
    if let Some(t) = creds.token() {
        v.push(("aws_session_token", t.to_owned()));
    }
    if let Some(e) = creds.expiration_rfc3339() {
        v.push((EXPIRATION_KEY, e));
    }
    v
}

/// The profile section as INI text.
pub fn ini(creds: &Credentials, profile: &str) -> String {
    let mut s = format!("[{profile}]\n");
    for (k, v) in profile_entries(creds) {
        s.push_str(&format!("{k} = {v}\n"));
    }
    s
}

#[cfg(test)]
mod tests;
