//! Resolve, then execute: turning `assume`'s flags, the environment and the config file's
//! text into a checked plan does no I/O, so every rule is applied before anything is sent.

use crate::awsfile::{self, paths};
use crate::env::Env;
use crate::profile;
use crate::rules::{self, Invalid, partition_of_region};
use crate::sts::{AssumeRoleInput, Mfa, SourceSettings};

/// `assume`'s inputs as given (flags as strings, files already read).
#[derive(Debug, Clone, Default)]
pub struct AssumeRequest {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub duration: Option<String>,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub mfa_code: Option<String>,
    /// The inline policy text, and the flag it came from (`--policy` or `--policy-file`).
    pub policy: Option<(&'static str, String)>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<String>,
    pub transitive_tags: Vec<String>,
    pub source_identity: Option<String>,
    pub region: Option<String>,
    pub source_profile: Option<String>,
}

/// Where the region came from, for `-v` and for deciding whether `env` exports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSource {
    Flag,
    Env(&'static str),
    Profile(String),
    /// Not configured: the partition's default region is used to call STS only.
    PartitionDefault,
}

/// A checked plan for one AssumeRole call.
#[derive(Debug, Clone)]
pub struct AssumePlan {
    /// The call, with `mfa` filled in when the code was given; see `mfa_prompt`.
    pub input: AssumeRoleInput,
    /// An MFA serial given without a code: the code must be asked for.
    pub mfa_prompt: Option<String>,
    pub source: SourceSettings,
    pub region_source: RegionSource,
    /// The duration as the user wrote it, re-checked once the source credentials are known.
    duration_text: Option<String>,
}

impl AssumePlan {
    /// The region when the user configured one (exported by `env`).
    pub fn known_region(&self) -> Option<&str> {
        (self.region_source != RegionSource::PartitionDefault)
            .then_some(self.source.region.as_str())
    }

    /// Applies the role-chaining cap once it is known whether the source is temporary.
    pub fn check_chaining(&self, source_is_temporary: bool) -> Result<(), Invalid> {
        match &self.duration_text {
            Some(d) => {
                rules::assume_role_duration("--duration", d, source_is_temporary).map(|_| ())
            }
            None => Ok(()),
        }
    }
}

/// The session name used when none is given: unique per second, and valid by construction.
pub fn default_session_name(unix_seconds: i64) -> String {
    format!("tempcreds-{unix_seconds}")
}

/// Checks every input against `rules` and resolves the region. `config_text` is the
/// config file's content, if it exists; `now` gives the default session name.
pub fn assume(
    req: &AssumeRequest,
    env: &Env,
    config_text: Option<&str>,
    now: i64,
) -> Result<AssumePlan, Invalid> {
    let role_arn = rules::role_arn("--role-arn", &req.role_arn)?;
    let session_name = match &req.session_name {
        Some(s) => {
            rules::session_name("--session-name", s)?;
            s.clone()
        }
        None => default_session_name(now),
    };
    let duration_seconds = req
        .duration
        .as_deref()
        .map(|d| rules::assume_role_duration("--duration", d, false))
        .transpose()?;
    if let Some(x) = &req.external_id {
        rules::external_id("--external-id", x)?;
    }
    if let Some(s) = &req.mfa_serial {
        rules::mfa_serial("--mfa-serial", s)?;
    }
    if let Some(c) = &req.mfa_code {
        if req.mfa_serial.is_none() {
            return Err(Invalid::new(
                "--mfa-code",
                "needs --mfa-serial (the device the code is from)",
            ));
        }
        rules::mfa_code("--mfa-code", c)?;
    }
    rules::policy_arns("--policy-arn", &req.policy_arns)?;
    let (policy_flag, policy_text) = match &req.policy {
        Some((f, t)) => (*f, Some(t.as_str())),
        None => ("--policy", None),
    };
    let policy = rules::session_policies(policy_flag, policy_text, &req.policy_arns)?;
    let tags = rules::tags("--tag", &req.tags)?;
    let transitive_tag_keys =
        rules::transitive_tags("--transitive-tag", &req.transitive_tags, &tags)?;
    if let Some(s) = &req.source_identity {
        rules::source_identity("--source-identity", s)?;
    }
    if let Some(p) = &req.source_profile {
        rules::profile_name("--source-profile", p)?;
    }

    let profile = profile::profile_name(req.source_profile.as_deref(), env);
    let (region, region_source) =
        resolve_region(req.region.as_deref(), env, config_text, &profile)?;
    let (region, region_source) = match region {
        Some(r) => {
            let p = partition_of_region(&r);
            if p != role_arn.partition {
                return Err(Invalid::new(
                    region_flag(&region_source),
                    format!(
                        "region {r} is in partition {p}, but the role is in partition {}: use a {} region",
                        role_arn.partition, role_arn.partition
                    ),
                ));
            }
            (r, region_source)
        }
        None => (
            role_arn.partition.default_region().to_owned(),
            RegionSource::PartitionDefault,
        ),
    };

    let mfa_prompt = match (&req.mfa_serial, &req.mfa_code) {
        (Some(s), None) => Some(s.clone()),
        _ => None,
    };
    let mfa = match (&req.mfa_serial, &req.mfa_code) {
        (Some(serial), Some(code)) => Some(Mfa {
            serial: serial.clone(),
            code: code.clone(),
        }),
        _ => None,
    };
    Ok(AssumePlan {
        input: AssumeRoleInput {
            role_arn,
            session_name,
            duration_seconds,
            external_id: req.external_id.clone(),
            mfa,
            policy,
            policy_arns: req.policy_arns.clone(),
            tags,
            transitive_tag_keys,
            source_identity: req.source_identity.clone(),
        },
        mfa_prompt,
        source: SourceSettings {
            region,
            profile: req.source_profile.clone(),
        },
        region_source,
        duration_text: req.duration.clone(),
    })
}

/// Source settings for calls that name no role (GetFederationToken, the caller's own
/// credentials): the same region resolution, with the commercial partition's default.
pub fn source_only(
    region: Option<&str>,
    source_profile: Option<&str>,
    env: &Env,
    config_text: Option<&str>,
) -> Result<(SourceSettings, RegionSource), Invalid> {
    if let Some(p) = source_profile {
        rules::profile_name("--source-profile", p)?;
    }
    let profile = profile::profile_name(source_profile, env);
    let (region, source) = resolve_region(region, env, config_text, &profile)?;
    let (region, source) = match region {
        Some(r) => (r, source),
        None => (
            rules::Partition::Aws.default_region().to_owned(),
            RegionSource::PartitionDefault,
        ),
    };
    Ok((
        SourceSettings {
            region,
            profile: source_profile.map(str::to_owned),
        },
        source,
    ))
}

fn region_flag(source: &RegionSource) -> &'static str {
    match source {
        RegionSource::Flag => "--region",
        RegionSource::Env(v) => v,
        RegionSource::Profile(_) | RegionSource::PartitionDefault => "region",
    }
}

/// `--region`, then `AWS_REGION`, then `AWS_DEFAULT_REGION`: a region set outside any profile.
/// Checked here, so that the error names where the region came from.
pub fn explicit_region(
    flag: Option<&str>,
    env: &Env,
) -> Result<Option<(String, RegionSource)>, Invalid> {
    let candidates = [
        (flag, RegionSource::Flag),
        (env.get("AWS_REGION"), RegionSource::Env("AWS_REGION")),
        (
            env.get("AWS_DEFAULT_REGION"),
            RegionSource::Env("AWS_DEFAULT_REGION"),
        ),
    ];
    for (value, source) in candidates {
        if let Some(r) = value {
            rules::region(region_flag(&source), r)?;
            return Ok(Some((r.to_owned(), source)));
        }
    }
    Ok(None)
}

/// The explicit region, else the profile's `region` in the config file.
fn resolve_region(
    flag: Option<&str>,
    env: &Env,
    config_text: Option<&str>,
    profile: &str,
) -> Result<(Option<String>, RegionSource), Invalid> {
    if let Some((r, source)) = explicit_region(flag, env)? {
        return Ok((Some(r), source));
    }
    let section = paths::config_section(profile);
    let from_profile = config_text.and_then(|t| {
        awsfile::ProfileSet::from_texts(t, "")
            .profile(profile)
            .and_then(|p| p.get("region").map(str::to_owned))
    });
    if let Some(r) = from_profile {
        rules::region(&format!("region (in [{section}] of the config file)"), &r)?;
        return Ok((Some(r), RegionSource::Profile(profile.to_owned())));
    }
    Ok((None, RegionSource::PartitionDefault))
}

#[cfg(test)]
mod tests;
