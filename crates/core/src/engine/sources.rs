//! The sources that need no SDK: a profile's static keys (from the files' texts), its
//! `credential_process` (run through `sh -c`, as the AWS CLI does on Unix), and the
//! environment's keys. No error or log line quotes a command: it may hold a secret.

use std::process::{Command, Stdio};

use secrecy::SecretString;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::chain::{ShellCommand, Source};
use crate::awsfile::paths;
use crate::awsfile::{ProfileSet, read_to_string_if_exists};
use crate::{Credentials, Env, Error, Origin};

/// The texts of the two shared files.
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub config: String,
    pub credentials: String,
}

impl Files {
    /// Reads `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` (a missing file is empty).
    pub fn read(env: &Env) -> Result<Self, Error> {
        let read =
            |p: std::path::PathBuf| read_to_string_if_exists(&p).map(Option::unwrap_or_default);
        Ok(Self {
            config: read(paths::config_file(env))?,
            credentials: read(paths::credentials_file(env))?,
        })
    }
}

/// A profile's static keys, as the SDKs merge them from both files (the credentials file
/// winning key by key).
pub fn static_credentials(files: &Files, profile: &str) -> Option<Credentials> {
    let set = ProfileSet::from_texts(&files.config, &files.credentials);
    let p = set.profile(profile)?;
    keys(
        p.get("aws_access_key_id")?,
        p.get("aws_secret_access_key")?,
        p.get("aws_session_token"),
        None,
    )
}

fn keys(
    id: &str,
    secret: &str,
    token: Option<&str>,
    expiration: Option<OffsetDateTime>,
) -> Option<Credentials> {
    Some(Credentials {
        access_key_id: id.to_owned(),
        secret_access_key: SecretString::from(secret),
        session_token: token.map(SecretString::from),
        expiration,
        origin: if token.is_some() {
            Origin::SessionToken
        } else {
            Origin::LongTerm
        },
    })
}

/// `credential_source = Environment`: botocore's EnvProvider (`AWS_SECURITY_TOKEN` is the
/// older name of the token; `AWS_CREDENTIAL_EXPIRATION` is honoured when set).
pub fn environment_credentials(env: &Env) -> Result<Credentials, Error> {
    let missing = || {
        Error::refused(
            "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set",
            Some("export the source keys, or use source_profile instead".to_owned()),
        )
    };
    let token = env
        .get("AWS_SESSION_TOKEN")
        .or_else(|| env.get("AWS_SECURITY_TOKEN"));
    let expiration = env
        .get("AWS_CREDENTIAL_EXPIRATION")
        .and_then(|e| OffsetDateTime::parse(e, &Rfc3339).ok());
    let id = env.get("AWS_ACCESS_KEY_ID").ok_or_else(missing)?;
    let secret = env.get("AWS_SECRET_ACCESS_KEY").ok_or_else(missing)?;
    keys(id, secret, token, expiration).ok_or_else(missing)
}

/// Runs a `credential_process` command and reads its Version 1 JSON.
pub fn run_process(profile: &str, command: &ShellCommand) -> Result<Credentials, Error> {
    let fail = |why: String| Error::Transport {
        message: format!("credential_process of profile {profile} {why}"),
        hint: Some(format!(
            "run it by hand to see its error (aws configure get credential_process --profile {profile})"
        )),
    };
    let out = Command::new("sh")
        .args(["-c", command.text()])
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| fail(format!("could not start: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!("failed ({})", out.status)));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|_| fail("printed no JSON".to_owned()))?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str());
    if v.get("Version").and_then(serde_json::Value::as_i64) != Some(1) {
        return Err(fail("printed JSON without \"Version\": 1".to_owned()));
    }
    let id = field("AccessKeyId").ok_or_else(|| fail("printed no AccessKeyId".to_owned()))?;
    let secret =
        field("SecretAccessKey").ok_or_else(|| fail("printed no SecretAccessKey".to_owned()))?;
    Ok(Credentials {
        access_key_id: id.to_owned(),
        secret_access_key: SecretString::from(secret),
        session_token: field("SessionToken").map(SecretString::from),
        expiration: field("Expiration").and_then(|e| OffsetDateTime::parse(e, &Rfc3339).ok()),
        origin: Origin::Process,
    })
}

/// The credentials of a source that needs no SDK; None for the SDK's sources.
pub(crate) fn read(
    source: &Source,
    files: &Files,
    env: &Env,
) -> Option<Result<Credentials, Error>> {
    Some(match source {
        Source::StaticKeys { profile, .. } => static_credentials(files, profile).ok_or_else(|| {
            Error::refused(
                format!("profile {profile} lost its keys while being read"),
                None,
            )
        }),
        Source::Process { profile, command } => run_process(profile, command),
        Source::Environment => environment_credentials(env),
        Source::Given(k) => Ok(k.0.clone()),
        Source::Sdk(_) | Source::Sso(_) | Source::Stored { .. } => return None,
    })
}
