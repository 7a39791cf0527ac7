//! A profile name → the plan of STS calls that yields its credentials. Pure; every setting is
//! checked against `rules` here, so errors name the profile and key before anything runs.

use std::fmt;

use super::{Profile, Profiles};
use crate::rules::{self, CHAINED_MAX_SECONDS, Invalid};

/// Where the first credentials of a chain come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `aws_access_key_id`/`aws_secret_access_key` of a profile; `temporary` when it also
    /// holds a session token.
    StaticKeys { profile: String, temporary: bool },
    /// A profile's `credential_process` (its credentials are treated as temporary).
    Process { profile: String, command: String },
}

impl Source {
    fn temporary(&self) -> bool {
        match self {
            Source::StaticKeys { temporary, .. } => *temporary,
            Source::Process { .. } => true,
        }
    }
}

/// One STS call of a plan, in execution order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// GetSessionToken with MFA from long-term keys: the MFA session that every role naming
    /// the same source and device shares (cached).
    SessionToken {
        mfa_serial: String,
        mfa_process: Option<String>,
        /// Set by `session --duration`; profiles leave it to STS (12 h).
        duration_seconds: Option<u32>,
    },
    AssumeRole {
        profile: String,
        role_arn: String,
        session_name: Option<String>,
        external_id: Option<String>,
        /// MFA sent with this AssumeRole itself (not through a session token).
        mfa_serial: Option<String>,
        mfa_process: Option<String>,
        duration_seconds: Option<u32>,
    },
}

/// What `resolve` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The profiles visited, from the one asked for to the source.
    pub chain: Vec<String>,
    pub source: Source,
    pub steps: Vec<Step>,
    /// The first `region` along the chain, from the profile asked for down to the source.
    pub region: Option<String>,
}

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
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

impl From<ResolveError> for crate::Error {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::Invalid(i) => i.into(),
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

/// Follows `source_profile` from `name` to a profile with keys or a credential process,
/// then lays out the STS calls. `duration` overrides the top profile's `duration_seconds`.
pub fn resolve(
    profiles: &Profiles,
    name: &str,
    duration: Option<u32>,
) -> Result<Plan, ResolveError> {
    let mut chain = vec![name.to_owned()];
    let mut roles: Vec<&Profile> = Vec::new();
    let mut region = None;
    let mut current = name.to_owned();
    let source = loop {
        let p = profiles
            .get(&current)
            .ok_or_else(|| ResolveError::NoSuchProfile {
                name: current.clone(),
                chain: chain.clone(),
            })?;
        region = region.or_else(|| p.region.clone());
        let has_keys = p.access_key_id.is_some() && p.has_secret;
        match (&p.role_arn, &p.source_profile) {
            (Some(_), Some(src)) if *src == current => {
                // A role profile that names itself as source uses its own keys (botocore).
                roles.push(p);
                if !has_keys {
                    return Err(ResolveError::NoCredentials {
                        profile: current,
                        why: "it is its own source_profile but holds no keys",
                        chain,
                    });
                }
                break Source::StaticKeys {
                    profile: current,
                    temporary: p.has_session_token,
                };
            }
            (Some(_), Some(src)) => {
                roles.push(p);
                let looped = chain.contains(src);
                chain.push(src.clone());
                if looped {
                    return Err(ResolveError::Loop { chain });
                }
                current = src.clone();
            }
            (Some(_), None) => {
                return Err(ResolveError::NoCredentials {
                    profile: current,
                    why: "role_arn without source_profile (credential_source is not supported)",
                    chain,
                });
            }
            (None, _) if has_keys => {
                break Source::StaticKeys {
                    profile: current,
                    temporary: p.has_session_token,
                };
            }
            (None, _) => match &p.credential_process {
                Some(cmd) => {
                    break Source::Process {
                        profile: current,
                        command: cmd.clone(),
                    };
                }
                None => {
                    return Err(ResolveError::NoCredentials {
                        profile: current,
                        why: "no aws_access_key_id/aws_secret_access_key and no credential_process",
                        chain,
                    });
                }
            },
        }
    };
    let steps = steps(profiles, &source, &roles, duration)?;
    Ok(Plan {
        chain,
        source,
        steps,
        region,
    })
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
    let source_profile = match source {
        Source::StaticKeys { profile, .. } | Source::Process { profile, .. } => profile.as_str(),
    };
    let mut temporary = source.temporary();
    if roles.is_empty() {
        // A plain keys profile with mfa_serial: an MFA session of its own (`tempcreds session`).
        if let Some(p) = profiles
            .get(source_profile)
            .filter(|p| p.mfa_serial.is_some() && !temporary)
        {
            let serial = p.mfa_serial.clone().unwrap_or_default();
            rules::mfa_serial(&key(&p.name, "mfa_serial"), &serial)?;
            steps.push(Step::SessionToken {
                mfa_serial: serial,
                mfa_process: p.mfa_process.clone(),
                duration_seconds: None,
            });
        }
        return Ok(steps);
    }
    for (i, p) in roles.iter().rev().enumerate() {
        let top = i == roles.len() - 1;
        let role_arn = p.role_arn.clone().unwrap_or_default();
        rules::role_arn(&key(&p.name, "role_arn"), &role_arn)?;
        if let Some(x) = &p.external_id {
            rules::external_id(&key(&p.name, "external_id"), x)?;
        }
        if let Some(n) = &p.role_session_name {
            rules::session_name(&key(&p.name, "role_session_name"), n)?;
        }
        let secs = match (top.then_some(duration).flatten(), &p.duration_seconds) {
            (Some(d), _) => Some(d),
            (None, Some(text)) => Some(rules::assume_role_duration(
                &key(&p.name, "duration_seconds"),
                text,
                false,
            )?),
            (None, None) => None,
        };
        if let Some(serial) = &p.mfa_serial {
            rules::mfa_serial(&key(&p.name, "mfa_serial"), serial)?;
        }
        let long = secs.unwrap_or(rules::ASSUME_ROLE_DEFAULT_SECONDS) > CHAINED_MAX_SECONDS;
        let mut mfa_here = p.mfa_serial.clone();
        if let (Some(serial), false, false) = (&p.mfa_serial, temporary, long) {
            // Share one MFA session per source and device instead of prompting per role.
            steps.push(Step::SessionToken {
                mfa_serial: serial.clone(),
                mfa_process: p.mfa_process.clone(),
                duration_seconds: None,
            });
            temporary = true;
            mfa_here = None;
        }
        if temporary && long {
            return Err(Invalid::new(
                &key(&p.name, "duration_seconds"),
                format!(
                    "must be at most 3600: this role is assumed with temporary credentials (role chaining, via {}), which STS limits to one hour",
                    if i == 0 {
                        format!("profile {source_profile}")
                    } else {
                        "another role".to_owned()
                    }
                ),
            ));
        }
        steps.push(Step::AssumeRole {
            profile: p.name.clone(),
            role_arn,
            session_name: p.role_session_name.clone(),
            external_id: p.external_id.clone(),
            mfa_process: mfa_here.as_ref().and(p.mfa_process.clone()),
            mfa_serial: mfa_here,
            duration_seconds: secs,
        });
        temporary = true;
    }
    Ok(steps)
}

impl fmt::Display for Plan {
    /// A stable text form, used by the fixture tests and `-v`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "chain: {}", self.chain.join(" -> "))?;
        match &self.source {
            Source::StaticKeys { profile, temporary } => writeln!(
                f,
                "source: keys of profile {profile} ({})",
                if *temporary { "temporary" } else { "long-term" }
            )?,
            Source::Process { profile, command } => writeln!(
                f,
                "source: credential_process of profile {profile}: {command}"
            )?,
        }
        for (i, s) in self.steps.iter().enumerate() {
            match s {
                Step::SessionToken {
                    mfa_serial,
                    mfa_process,
                    duration_seconds,
                } => writeln!(
                    f,
                    "{}. GetSessionToken mfa={mfa_serial}{}{}",
                    i + 1,
                    mfa_process
                        .as_ref()
                        .map(|p| format!(" mfa_process={p}"))
                        .unwrap_or_default(),
                    duration_seconds
                        .map(|d| format!(" duration={d}"))
                        .unwrap_or_default()
                )?,
                Step::AssumeRole {
                    profile,
                    role_arn,
                    session_name,
                    external_id,
                    mfa_serial,
                    duration_seconds,
                    ..
                } => {
                    write!(f, "{}. AssumeRole {role_arn} (profile {profile})", i + 1)?;
                    if let Some(d) = duration_seconds {
                        write!(f, " duration={d}")?;
                    }
                    if let Some(m) = mfa_serial {
                        write!(f, " mfa={m}")?;
                    }
                    if let Some(x) = external_id {
                        write!(f, " external_id={x}")?;
                    }
                    if let Some(n) = session_name {
                        write!(f, " session_name={n}")?;
                    }
                    writeln!(f)?;
                }
            }
        }
        writeln!(f, "region: {}", self.region.as_deref().unwrap_or("(none)"))
    }
}
