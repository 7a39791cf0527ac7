//! Resolve, then execute: `assume`'s and `console`'s inputs, the environment and the
//! files' texts become a checked chain with no I/O, so every rule is applied before
//! anything is sent. The role named by flags is the last step of the chain of the source
//! credentials, which is the one every command resolves (`source_chain`).

use crate::Error;
use crate::engine::{
    Chain, Files, MfaDevice, OverChainingCap, ProfileRegion, RoleExtras, RoleStep, SdkSource,
    ShellCommand, Source, Step, default_session_name,
};
use crate::env::Env;
use crate::profile::{self, Profiles, ResolveError};
use crate::region::{self, ResolvedRegion};
use crate::rules::{self, Field, Invalid};

/// `assume`'s inputs as given (flags as strings, files already read).
#[derive(Debug, Clone, Default)]
pub struct AssumeRequest {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub duration: Option<String>,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub mfa_code: Option<String>,
    /// The inline policy text, and where it came from (`Field::Policy` or `PolicyFile`).
    pub policy: Option<(Field, String)>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<String>,
    pub transitive_tags: Vec<String>,
    pub source_identity: Option<String>,
    pub region: Option<String>,
    pub source_profile: Option<String>,
}

/// A checked chain for a role named by flags.
#[derive(Debug, Clone)]
pub struct FlagsPlan {
    pub chain: Chain,
    pub region: ResolvedRegion,
}

impl FlagsPlan {
    /// The role the flags name (the chain's last step).
    pub fn role(&self) -> &RoleStep {
        match self.chain.steps.last() {
            Some(Step::AssumeRole(r)) => r,
            _ => unreachable!("a flags plan ends with its role"),
        }
    }

    pub fn role_mut(&mut self) -> &mut RoleStep {
        match self.chain.steps.last_mut() {
            Some(Step::AssumeRole(r)) => r,
            _ => unreachable!("a flags plan ends with its role"),
        }
    }

    /// The session name sent (given, or made from the time of planning).
    pub fn session_name(&self) -> &str {
        self.role().session_name.as_deref().unwrap_or_default()
    }
}

/// The chain of the caller's own credentials, as botocore finds them: the named profile
/// (its environment keys are then ignored, as with the AWS CLI's `--profile`); else the
/// environment's keys; else the profile of `AWS_PROFILE` (or `default`); else, when that
/// profile holds nothing tempcreds resolves (SSO, web identity) or does not exist, the SDK's
/// default chain (container, instance metadata).
pub fn source_chain(named: Option<&str>, env: &Env, files: &Files) -> Result<Chain, Error> {
    let profiles = Profiles::from_texts(&files.config, &files.credentials);
    // A keys profile is its keys, as to botocore: its mfa_serial starts no MFA session here
    // (that is `tempcreds session`); a role named by flags sends its own MFA code.
    let as_caller = |mut chain: Chain| {
        if !chain.steps.iter().any(|s| matches!(s, Step::AssumeRole(_))) {
            chain.steps.clear();
        }
        chain
    };
    if let Some(p) = named {
        return Ok(as_caller(profile::resolve(&profiles, p, None)?));
    }
    let name = profile::profile_name(None, env);
    let region = profiles.get(&name).and_then(|p| {
        p.region.clone().map(|r| ProfileRegion {
            profile: name.clone(),
            region: r,
        })
    });
    let bare = |source| Chain {
        profiles: Vec::new(),
        source,
        steps: Vec::new(),
        region: region.clone(),
    };
    if env.get("AWS_ACCESS_KEY_ID").is_some() && env.get("AWS_SECRET_ACCESS_KEY").is_some() {
        return Ok(bare(Source::Environment));
    }
    let from_env = env.get("AWS_PROFILE").is_some();
    match profile::resolve(&profiles, &name, None) {
        Ok(chain) => Ok(as_caller(chain)),
        Err(ResolveError::NoSuchProfile { .. }) if !from_env => {
            Ok(bare(Source::Sdk(SdkSource::DefaultChain { profile: None })))
        }
        Err(ResolveError::NoCredentials { chain, .. }) if chain.len() == 1 => {
            let profile = from_env.then_some(name);
            Ok(bare(Source::Sdk(SdkSource::DefaultChain { profile })))
        }
        Err(e) => Err(e.into()),
    }
}

fn extras(req: &AssumeRequest) -> Result<RoleExtras, Invalid> {
    rules::policy_arns(Field::PolicyArn, &req.policy_arns)?;
    let (policy_flag, policy_text) = match &req.policy {
        Some((f, t)) => (f.clone(), Some(t.as_str())),
        None => (Field::Policy, None),
    };
    let policy = rules::session_policies(policy_flag, policy_text, &req.policy_arns)?;
    let tags = rules::tags(Field::Tag, &req.tags)?;
    let transitive_tag_keys =
        rules::transitive_tags(Field::TransitiveTag, &req.transitive_tags, &tags)?;
    if let Some(s) = &req.source_identity {
        rules::source_identity(Field::SourceIdentity, s)?;
    }
    Ok(RoleExtras {
        policy,
        policy_arns: req.policy_arns.clone(),
        tags,
        transitive_tag_keys,
        source_identity: req.source_identity.clone(),
    })
}

/// Checks every input against `rules`, builds the chain of the source and appends the
/// role. `now` gives the default session name.
pub fn assume(req: &AssumeRequest, env: &Env, files: &Files, now: i64) -> Result<FlagsPlan, Error> {
    let role_arn = rules::role_arn(Field::RoleArn, &req.role_arn)?;
    let session_name = match &req.session_name {
        Some(s) => {
            rules::session_name(Field::SessionName, s)?;
            s.clone()
        }
        None => default_session_name(now),
    };
    let duration_seconds = req
        .duration
        .as_deref()
        .map(|d| rules::assume_role_duration(Field::Duration, d, false))
        .transpose()?;
    if let Some(x) = &req.external_id {
        rules::external_id(Field::ExternalId, x)?;
    }
    if let Some(s) = &req.mfa_serial {
        rules::mfa_serial(Field::MfaSerial, s)?;
    }
    if let Some(c) = &req.mfa_code {
        if req.mfa_serial.is_none() {
            return Err(Invalid::new(
                Field::MfaCode,
                "needs the MFA serial too (the device the code is from)",
            )
            .into());
        }
        rules::mfa_code(Field::MfaCode, c)?;
    }
    let extras = extras(req)?;
    if let Some(p) = &req.source_profile {
        rules::profile_name(Field::SourceProfile, p)?;
    }
    let mut chain = source_chain(req.source_profile.as_deref(), env, files)?;
    // The code for --mfa-serial may come from the source profile's mfa_process.
    let profiles = Profiles::from_texts(&files.config, &files.credentials);
    let source_name = profile::profile_name(req.source_profile.as_deref(), env);
    let process = profiles
        .get(&source_name)
        .and_then(|p| p.mfa_process.clone())
        .map(ShellCommand::new);
    chain.steps.push(Step::AssumeRole(RoleStep {
        profile: None,
        role_arn,
        session_name: Some(session_name),
        external_id: req.external_id.clone(),
        mfa: req
            .mfa_serial
            .clone()
            .map(|serial| MfaDevice { serial, process }),
        duration_seconds,
        over_cap: OverChainingCap::Refuse,
        extras,
    }));
    let region = region::resolve(
        req.region.as_deref(),
        Field::Region,
        env,
        chain.region.as_ref(),
        chain.partition(),
    )?;
    Ok(FlagsPlan { chain, region })
}

#[cfg(test)]
mod tests;
