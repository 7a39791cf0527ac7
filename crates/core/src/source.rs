//! Executing a profile plan: the source credentials (keys from the shared files, or a
//! `credential_process`), then each STS step, each served from the cache when it can be and
//! cached when it was called. The MFA session is a step like any other, so every role that
//! names the same source and device reuses it instead of asking for another code.

use std::process::{Command, Stdio};

use secrecy::SecretString;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tracing::info;

use crate::awsfile::paths;
use crate::awsfile::{ProfileSet, read_to_string_if_exists};
use crate::cache::{Cache, CacheKey};
use crate::plan::default_session_name;
use crate::profile::{Plan, Source, Step};
use crate::rules;
use crate::sts::{AssumeRoleInput, Mfa, SdkSts, Sts};
use crate::{Credentials, Error, Origin};

/// The texts of the two shared files.
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub config: String,
    pub credentials: String,
}

impl Files {
    /// Reads `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` (a missing file is empty).
    pub fn read(env: &crate::Env) -> Result<Self, Error> {
        let read =
            |p: std::path::PathBuf| read_to_string_if_exists(&p).map(Option::unwrap_or_default);
        Ok(Self {
            config: read(paths::config_file(env))?,
            credentials: read(paths::credentials_file(env))?,
        })
    }
}

/// Where MFA codes come from (the CLI: `--mfa-code`, `mfa_process`, the terminal).
pub trait MfaCodes {
    fn code(&self, serial: &str, mfa_process: Option<&str>) -> Result<String, Error>;
}

/// A profile's static keys, as the SDKs merge them from both files (the credentials file
/// winning key by key).
pub fn static_credentials(files: &Files, profile: &str) -> Option<Credentials> {
    let set = ProfileSet::from_texts(&files.config, &files.credentials);
    let p = set.profile(profile)?;
    let token = p.get("aws_session_token");
    Some(Credentials {
        access_key_id: p.get("aws_access_key_id")?.to_owned(),
        secret_access_key: SecretString::from(p.get("aws_secret_access_key")?),
        session_token: token.map(SecretString::from),
        expiration: None,
        origin: if token.is_some() {
            Origin::SessionToken
        } else {
            Origin::LongTerm
        },
    })
}

/// Runs a `credential_process` command (through `sh -c`, as the AWS CLI does on Unix) and
/// reads its Version 1 JSON.
pub fn run_process(profile: &str, command: &str) -> Result<Credentials, Error> {
    let fail = |why: String| Error::Transport {
        message: format!("credential_process of profile {profile} {why}"),
        hint: Some(format!("run it by hand to see its error: {command}")),
    };
    let out = Command::new("sh")
        .args(["-c", command])
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
    Ok(Credentials {
        access_key_id: field("AccessKeyId")
            .ok_or_else(|| fail("printed no AccessKeyId".to_owned()))?
            .to_owned(),
        secret_access_key: SecretString::from(
            field("SecretAccessKey")
                .ok_or_else(|| fail("printed no SecretAccessKey".to_owned()))?,
        ),
        session_token: field("SessionToken").map(SecretString::from),
        expiration: field("Expiration").and_then(|e| OffsetDateTime::parse(e, &Rfc3339).ok()),
        origin: Origin::Process,
    })
}

fn source_credentials(files: &Files, source: &Source) -> Result<Credentials, Error> {
    match source {
        Source::StaticKeys { profile, .. } => static_credentials(files, profile).ok_or_else(|| {
            Error::refused(
                format!("profile {profile} lost its keys while being read"),
                None,
            )
        }),
        Source::Process { profile, command } => run_process(profile, command),
    }
}

/// The cache key of a step. The MFA session is keyed by the source profile, its key id and
/// the device, so every role naming them shares it.
fn step_key(step: &Step, source_profile: &str, source_key_id: &str) -> CacheKey {
    match step {
        Step::SessionToken { mfa_serial, .. } => CacheKey::SessionToken {
            source_profile: source_profile.to_owned(),
            access_key_id: source_key_id.to_owned(),
            mfa_serial: mfa_serial.clone(),
        },
        Step::AssumeRole {
            profile,
            role_arn,
            session_name,
            external_id,
            mfa_serial,
            duration_seconds,
            ..
        } => CacheKey::AssumeRole {
            profile: profile.clone(),
            role_arn: role_arn.clone(),
            session_name: session_name.clone(),
            external_id: external_id.clone(),
            duration_seconds: *duration_seconds,
            mfa_serial: mfa_serial.clone(),
        },
    }
}

fn source_profile(plan: &Plan) -> &str {
    match &plan.source {
        Source::StaticKeys { profile, .. } | Source::Process { profile, .. } => profile,
    }
}

/// The cache key of every step. Only an MFA session's key holds the source key id, and only
/// long-term keys in the files start one, so the keys are known without running anything.
fn step_keys(plan: &Plan, files: &Files) -> Vec<CacheKey> {
    let needs_key_id = plan
        .steps
        .iter()
        .any(|s| matches!(s, Step::SessionToken { .. }));
    let key_id = match &plan.source {
        Source::StaticKeys { profile, .. } if needs_key_id => static_credentials(files, profile)
            .map(|c| c.access_key_id)
            .unwrap_or_default(),
        _ => String::new(),
    };
    plan.steps
        .iter()
        .map(|s| step_key(s, source_profile(plan), &key_id))
        .collect()
}

/// The final credentials of a plan from the cache alone, with no process run and nothing
/// sent: the `credential_process` fast path. None when any part would need a call.
pub fn cached(
    plan: &Plan,
    files: &Files,
    cache: &Cache,
    now: OffsetDateTime,
) -> Option<Credentials> {
    cache.get(step_keys(plan, files).last()?, now)
}

/// Forgets the cached credentials of the plan's last step (so that the next `execute`
/// makes that call again).
pub fn forget_last(plan: &Plan, files: &Files, cache: &Cache) -> Result<(), Error> {
    match step_keys(plan, files).last() {
        Some(key) => cache.remove(key),
        None => Ok(()),
    }
}

/// Runs the plan: it resumes after the deepest step the cache still holds (so the source is
/// read, or its process run, only when none is), then calls and caches each later step.
pub async fn execute(
    plan: &Plan,
    files: &Files,
    region: &str,
    cache: Option<&Cache>,
    mfa: &dyn MfaCodes,
    now: OffsetDateTime,
) -> Result<Credentials, Error> {
    let keys = step_keys(plan, files);
    let resumed = cache.and_then(|c| {
        keys.iter()
            .enumerate()
            .rev()
            .find_map(|(i, k)| c.get(k, now).map(|creds| (i + 1, creds, k)))
    });
    let (start, mut current) = match resumed {
        Some((start, creds, key)) => {
            info!(cached = %key.label(), "using cached credentials");
            (start, creds)
        }
        None => (0, source_credentials(files, &plan.source)?),
    };
    for (step, key) in plan.steps.iter().zip(&keys).skip(start) {
        let sts = SdkSts::with_credentials(region, &current).await?;
        current = match step {
            Step::SessionToken {
                mfa_serial,
                mfa_process,
                duration_seconds,
            } => {
                info!(mfa_serial = %mfa_serial, "new MFA session (GetSessionToken), shared by the roles that use this device");
                let code = mfa.code(mfa_serial, mfa_process.as_deref())?;
                sts.get_session_token(
                    &Mfa {
                        serial: mfa_serial.clone(),
                        code,
                    },
                    *duration_seconds,
                )
                .await?
            }
            Step::AssumeRole {
                profile,
                role_arn,
                session_name,
                external_id,
                mfa_serial,
                mfa_process,
                duration_seconds,
            } => {
                let mfa = match mfa_serial {
                    Some(serial) => {
                        info!(profile = %profile, "assuming the role directly with MFA: over one hour, a shared MFA session would be role chaining");
                        Some(Mfa {
                            serial: serial.clone(),
                            code: mfa.code(serial, mfa_process.as_deref())?,
                        })
                    }
                    None => None,
                };
                let input = AssumeRoleInput {
                    role_arn: rules::role_arn(&format!("role_arn (profile {profile})"), role_arn)?,
                    session_name: session_name
                        .clone()
                        .unwrap_or_else(|| default_session_name(now.unix_timestamp())),
                    duration_seconds: *duration_seconds,
                    external_id: external_id.clone(),
                    mfa,
                    policy: None,
                    policy_arns: Vec::new(),
                    tags: Vec::new(),
                    transitive_tag_keys: Vec::new(),
                    source_identity: None,
                };
                sts.assume_role(&input).await?.credentials
            }
        };
        if let Some(c) = cache {
            c.put(key, &current)?;
        }
    }
    Ok(current)
}
