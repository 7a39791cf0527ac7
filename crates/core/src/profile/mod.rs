//! Profiles from `~/.aws/config` and `~/.aws/credentials`, typed, and their resolution into
//! the engine's chain (`resolve`). Pure: the files' texts and the environment in, a chain or
//! an error naming the profiles out.

mod resolve;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use resolve::{ResolveError, resolve};

use crate::awsfile::ProfileSet;
use crate::engine::{Chain, SessionStep, Source, Step};
use crate::env::Env;

/// How long the session a stored key is handed out as lasts when its profile sets no
/// `duration_seconds`: an hour, like a role's (a leaked copy is worth little for long).
pub const STORED_SESSION_DEFAULT_SECONDS: u32 = 3600;

/// A stored key is handed out as a session, never itself: a chain from the key store with no
/// role gets a GetSessionToken step (with MFA when the profile has `mfa_serial`: the step
/// `resolve` already laid out) lasting the profile's `duration_seconds` (GetSessionToken's
/// 900..=129600), else `STORED_SESSION_DEFAULT_SECONDS`. Other chains are returned as they are.
pub fn hand_out(profiles: &Profiles, mut chain: Chain) -> Result<Chain, crate::rules::Invalid> {
    let Source::Stored { profile } = &chain.source else {
        return Ok(chain);
    };
    if chain.steps.iter().any(|s| matches!(s, Step::AssumeRole(_))) {
        return Ok(chain);
    }
    let duration = match profiles
        .get(profile)
        .and_then(|p| p.duration_seconds.as_deref())
    {
        Some(text) => crate::rules::bounded_duration(
            format!("duration_seconds (profile {profile})"),
            text,
            crate::rules::SESSION_TOKEN_MIN_SECONDS,
            crate::rules::SESSION_TOKEN_MAX_SECONDS,
        )?,
        None => STORED_SESSION_DEFAULT_SECONDS,
    };
    match chain.steps.last_mut() {
        Some(Step::SessionToken(s)) => s.duration_seconds = Some(duration),
        _ => chain.steps.push(Step::SessionToken(SessionStep {
            mfa: None,
            duration_seconds: Some(duration),
        })),
    }
    Ok(chain)
}

/// The profile to use: the one named, else `AWS_PROFILE`, else `default`.
pub fn profile_name(named: Option<&str>, env: &Env) -> String {
    named
        .or_else(|| env.get("AWS_PROFILE"))
        .unwrap_or("default")
        .to_owned()
}

/// The settings of one profile that tempcreds understands, merged from both files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub role_arn: Option<String>,
    pub source_profile: Option<String>,
    pub mfa_serial: Option<String>,
    pub external_id: Option<String>,
    pub role_session_name: Option<String>,
    pub duration_seconds: Option<String>,
    pub region: Option<String>,
    pub credential_process: Option<String>,
    pub credential_source: Option<String>,
    pub mfa_process: Option<String>,
    pub access_key_id: Option<String>,
    /// Only whether a secret is there: the value stays in the file until it is used.
    pub has_secret: bool,
    pub has_session_token: bool,
}

impl Profile {
    /// Whether the profile's `credential_process` is tempcreds' own for it: its long-term
    /// key is in the key store.
    pub fn is_stored(&self) -> bool {
        self.credential_process
            .as_deref()
            .is_some_and(|c| crate::keys::is_own_process(c, &self.name))
    }
}

/// All profiles by name.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    by_name: BTreeMap<String, Profile>,
    /// Both files as read, for the settings resolved elsewhere (`sso::config`).
    set: ProfileSet,
}

impl Profiles {
    /// Reads both files through the one reader (`awsfile::ProfileSet`): config sections are
    /// `[default]` or `[profile NAME]`, credentials sections `[NAME]`, and the credentials
    /// file wins key by key, as in the AWS CLI and SDKs.
    pub fn from_texts(config: &str, credentials: &str) -> Self {
        let set = ProfileSet::from_texts(config, credentials);
        let by_name = set
            .profiles()
            .map(|(name, props)| {
                let v = |k: &str| props.get(k).map(str::to_owned);
                let p = Profile {
                    name: name.to_owned(),
                    role_arn: v("role_arn"),
                    source_profile: v("source_profile"),
                    mfa_serial: v("mfa_serial"),
                    external_id: v("external_id"),
                    role_session_name: v("role_session_name"),
                    duration_seconds: v("duration_seconds"),
                    region: v("region"),
                    credential_process: v("credential_process"),
                    credential_source: v("credential_source"),
                    mfa_process: v("mfa_process"),
                    access_key_id: v("aws_access_key_id"),
                    has_secret: props.get("aws_secret_access_key").is_some(),
                    has_session_token: props.get("aws_session_token").is_some(),
                };
                (name.to_owned(), p)
            })
            .collect();
        Self { by_name, set }
    }

    /// Both files' profiles and sso-sessions as read.
    pub fn set(&self) -> &ProfileSet {
        &self.set
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.by_name.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.by_name.values()
    }
}
