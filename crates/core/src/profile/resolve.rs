//! A profile name → the typed chain that yields its credentials. Pure; every setting is
//! checked against `rules` here, so errors name the profile and key before anything runs.
//!
//! Precedence, as botocore (`AssumeRoleProvider`) and the Rust SDK (`profile::credentials::
//! repr`) resolve it: in the profile asked for, `role_arn` wins over static keys; after the
//! first link, a source profile's static keys win over its `role_arn`; `source_profile`
//! naming the profile itself uses its own keys; `role_arn` takes its first credentials from
//! `source_profile` or `credential_source`, never both.

use super::{Profile, Profiles};
use crate::engine::{
    Chain, MfaDevice, OverChainingCap, ProfileRegion, RoleExtras, RoleStep, SdkSource, SessionStep,
    ShellCommand, Source, Step,
};
use crate::rules::{self, CHAINED_MAX_SECONDS, Invalid};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("profile \"{name}\" does not exist (chain: {})", chain.join(" -> "))]
    NoSuchProfile { name: String, chain: Vec<String> },
    #[error("source_profile loop: {}", chain.join(" -> "))]
    Loop { chain: Vec<String> },
    #[error("profile \"{profile}\" has no credentials: {why} (chain: {})", chain.join(" -> "))]
    NoCredentials {
        profile: String,
        why: &'static str,
        chain: Vec<String>,
    },
    /// Long-term keys in the files and a `credential_process` line that names the key store:
    /// which one is meant cannot be guessed (the AWS CLI would take the file's).
    #[error(
        "profile \"{profile}\" has long-term keys in two places: aws_access_key_id in the shared files and the key store (credential_process = {line})"
    )]
    TwoPlaces { profile: String, line: String },
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

impl From<ResolveError> for crate::Error {
    fn from(e: ResolveError) -> Self {
        let text = e.to_string();
        match e {
            ResolveError::Invalid(i) => i.into(),
            ResolveError::TwoPlaces { profile, .. } => crate::Error::refused(
                text,
                Some(format!(
                    "keep one: delete the two key lines from the credentials file, or `tempcreds keys remove {profile}`"
                )),
            ),
            other => crate::Error::refused(
                other.to_string(),
                Some(
                    "check the profiles in AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"
                        .to_owned(),
                ),
            ),
        }
    }
}

fn key(profile: &str, key: &str) -> String {
    format!("{key} (profile {profile})")
}

/// `credential_source`'s three values (botocore's `VALID_CREDENTIAL_SOURCES`; exact case).
fn credential_source(p: &Profile, value: &str) -> Result<Source, Invalid> {
    match value {
        "Environment" => Ok(Source::Environment),
        "Ec2InstanceMetadata" => Ok(Source::Sdk(SdkSource::Ec2InstanceMetadata)),
        "EcsContainer" => Ok(Source::Sdk(SdkSource::EcsContainer)),
        other => Err(Invalid::new(
            key(&p.name, "credential_source"),
            format!("must be Environment, Ec2InstanceMetadata or EcsContainer (got \"{other}\")"),
        )),
    }
}

fn static_keys(p: &Profile) -> Source {
    Source::StaticKeys {
        profile: p.name.clone(),
        temporary: p.has_session_token,
    }
}

/// Follows the profiles from `name` to the source, then lays out the STS calls. `duration`
/// overrides the top profile's `duration_seconds`.
pub fn resolve(
    profiles: &Profiles,
    name: &str,
    duration: Option<u32>,
) -> Result<Chain, ResolveError> {
    let mut chain = vec![name.to_owned()];
    let mut roles: Vec<&Profile> = Vec::new();
    let mut region: Option<ProfileRegion> = None;
    let mut current = name.to_owned();
    let no_credentials = |profile: &str, why, chain: &[String]| ResolveError::NoCredentials {
        profile: profile.to_owned(),
        why,
        chain: chain.to_vec(),
    };
    let source = loop {
        let p = profiles
            .get(&current)
            .ok_or_else(|| ResolveError::NoSuchProfile {
                name: current.clone(),
                chain: chain.clone(),
            })?;
        if region.is_none() {
            region = p.region.clone().map(|r| ProfileRegion {
                profile: p.name.clone(),
                region: r,
            });
        }
        let has_keys = p.access_key_id.is_some() && p.has_secret;
        let stored = p.is_stored();
        if has_keys && stored {
            return Err(ResolveError::TwoPlaces {
                profile: current,
                line: crate::keys::process_line(&p.name),
            });
        }
        // IAM Identity Center: botocore tries SSO before a profile's keys, and after its
        // role_arn unless the profile is a source holding keys (`AssumeRoleProvider.
        // _resolve_credentials_from_profile`, then the profile chain's order).
        let source_with_keys = has_keys && !roles.is_empty();
        if (p.role_arn.is_none() || source_with_keys)
            && let Some(role) = crate::sso::config::of_profile(profiles.set(), &current)?
        {
            break Source::Sso(role);
        }
        if source_with_keys {
            break static_keys(p);
        }
        match (&p.role_arn, &p.source_profile, &p.credential_source) {
            (Some(_), Some(_), Some(_)) => {
                return Err(Invalid::new(
                    key(&p.name, "credential_source"),
                    "cannot be set together with source_profile: a role takes its first credentials from one of them",
                )
                .into());
            }
            (Some(_), Some(src), None) if *src == current => {
                roles.push(p);
                if !has_keys {
                    let why = "it is its own source_profile but holds no keys";
                    return Err(no_credentials(&current, why, &chain));
                }
                break static_keys(p);
            }
            (Some(_), Some(src), None) => {
                roles.push(p);
                let looped = chain.contains(src);
                chain.push(src.clone());
                if looped {
                    return Err(ResolveError::Loop { chain });
                }
                current = src.clone();
            }
            (Some(_), None, Some(cs)) => {
                roles.push(p);
                break credential_source(p, cs)?;
            }
            (Some(_), None, None) => {
                let why = "role_arn needs source_profile or credential_source";
                return Err(no_credentials(&current, why, &chain));
            }
            (None, _, _) if has_keys => break static_keys(p),
            (None, _, _) if stored => break Source::Stored { profile: current },
            (None, _, _) => match &p.credential_process {
                Some(cmd) => {
                    break Source::Process {
                        profile: current,
                        command: ShellCommand::new(cmd.clone()),
                    };
                }
                None => {
                    let why =
                        "no aws_access_key_id/aws_secret_access_key and no credential_process";
                    return Err(no_credentials(&current, why, &chain));
                }
            },
        }
    };
    let steps = steps(profiles, &source, &roles, duration)?;
    Ok(Chain {
        profiles: chain,
        source,
        steps,
        region,
    })
}

fn device(p: &Profile) -> Result<Option<MfaDevice>, Invalid> {
    let Some(serial) = &p.mfa_serial else {
        return Ok(None);
    };
    rules::mfa_serial(key(&p.name, "mfa_serial"), serial)?;
    Ok(Some(MfaDevice {
        serial: serial.clone(),
        process: p.mfa_process.clone().map(ShellCommand::new),
    }))
}

/// The STS calls, innermost role first. The rule that matters (ARCHITECTURE.md, role chaining):
/// a role with `mfa_serial` assumed from long-term keys goes through the shared MFA session
/// (GetSessionToken, then AssumeRole) when its duration fits in one hour; longer, chaining
/// would fail, so it is assumed directly from the long-term keys with the MFA code.
fn steps(
    profiles: &Profiles,
    source: &Source,
    roles: &[&Profile],
    duration: Option<u32>,
) -> Result<Vec<Step>, Invalid> {
    let mut steps = Vec::new();
    let mut temporary = !source.long_term();
    if roles.is_empty() {
        // A plain keys profile with mfa_serial: an MFA session of its own (`tempcreds session`).
        let own = source.profile().and_then(|name| profiles.get(name));
        if let Some(mfa) = own
            .filter(|_| !temporary)
            .map(device)
            .transpose()?
            .flatten()
        {
            steps.push(Step::SessionToken(SessionStep {
                mfa: Some(mfa),
                duration_seconds: None,
            }));
        }
        return Ok(steps);
    }
    for (i, p) in roles.iter().rev().enumerate() {
        let top = i == roles.len() - 1;
        let role_arn = rules::role_arn(
            key(&p.name, "role_arn"),
            p.role_arn.as_deref().unwrap_or_default(),
        )?;
        if let Some(x) = &p.external_id {
            rules::external_id(key(&p.name, "external_id"), x)?;
        }
        if let Some(n) = &p.role_session_name {
            rules::session_name(key(&p.name, "role_session_name"), n)?;
        }
        let secs = match (top.then_some(duration).flatten(), &p.duration_seconds) {
            (Some(d), _) => Some(d),
            (None, Some(text)) => Some(rules::assume_role_duration(
                key(&p.name, "duration_seconds"),
                text,
                false,
            )?),
            (None, None) => None,
        };
        let mut mfa = device(p)?;
        let long = secs.unwrap_or(rules::ASSUME_ROLE_DEFAULT_SECONDS) > CHAINED_MAX_SECONDS;
        if let (Some(d), false, false) = (&mfa, temporary, long) {
            // Share one MFA session per source and device instead of prompting per role.
            steps.push(Step::SessionToken(SessionStep {
                mfa: Some(d.clone()),
                duration_seconds: None,
            }));
            temporary = true;
            mfa = None;
        }
        if temporary && long {
            let via = match (i, source) {
                (
                    0,
                    Source::StaticKeys { profile, .. }
                    | Source::Process { profile, .. }
                    | Source::Stored { profile },
                ) => {
                    format!("profile {profile}")
                }
                (0, _) => "credential_source".to_owned(),
                _ => "another role".to_owned(),
            };
            return Err(Invalid::new(
                key(&p.name, "duration_seconds"),
                format!(
                    "must be at most 3600: this role is assumed with temporary credentials (role chaining, via {via}), which STS limits to one hour"
                ),
            ));
        }
        steps.push(Step::AssumeRole(RoleStep {
            profile: Some(p.name.clone()),
            role_arn,
            session_name: p.role_session_name.clone(),
            external_id: p.external_id.clone(),
            mfa,
            duration_seconds: secs,
            over_cap: OverChainingCap::Refuse,
            extras: RoleExtras::default(),
        }));
        temporary = true;
    }
    Ok(steps)
}
