//! The typed chain every command runs: where the first credentials come from (`Source`)
//! and the STS calls that turn them into the ones asked for (`Step`), each field a value
//! that already passed its rule. Built from a profile (`profile::resolve`) or from flags
//! (`plan::assume`); run by `Engine`.

use std::fmt;

use crate::Credentials;
use crate::rules::{RoleArn, Tag};

/// A command line from the shared files (`credential_process`, `mfa_process`). It may hold
/// a secret (a token, a vault path), so `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ShellCommand(String);

impl ShellCommand {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text run by `sh -c`: only the runner reads it.
    pub(crate) fn text(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ShellCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShellCommand(** hidden **)")
    }
}

/// An MFA device and where its codes come from when `--mfa-code` is not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaDevice {
    /// Checked by `rules::mfa_serial`.
    pub serial: String,
    pub process: Option<ShellCommand>,
}

/// Sources only the SDK resolves (it knows their protocols and refreshes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkSource {
    /// The SDK's default chain: environment, then the profile (`AWS_PROFILE` when None) and
    /// everything it may name (SSO, web identity, a process), container, instance.
    DefaultChain { profile: Option<String> },
    /// `credential_source = Ec2InstanceMetadata`: IMDS (v2 first, as the SDK does).
    Ec2InstanceMetadata,
    /// `credential_source = EcsContainer`: `AWS_CONTAINER_CREDENTIALS_{FULL,RELATIVE}_URI`.
    EcsContainer,
}

/// Keys in hand, not read from anywhere (setup's new access key before it is written).
/// Two are the same when their key ids are.
#[derive(Debug, Clone)]
pub struct GivenKeys(pub Credentials);

impl PartialEq for GivenKeys {
    fn eq(&self, other: &Self) -> bool {
        self.0.access_key_id == other.0.access_key_id
    }
}

impl Eq for GivenKeys {}

/// Where the first credentials of a chain come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `aws_access_key_id`/`aws_secret_access_key` of a profile; `temporary` when it also
    /// holds a session token.
    StaticKeys {
        profile: String,
        temporary: bool,
    },
    /// A profile's `credential_process` (its credentials are treated as temporary).
    Process {
        profile: String,
        command: ShellCommand,
    },
    /// Long-term keys of a profile kept in the key store (`keys`), named by the profile's
    /// `credential_process = tempcreds credential-process NAME`.
    Stored {
        profile: String,
    },
    /// `credential_source = Environment`: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN` (botocore's EnvProvider).
    Environment,
    Sdk(SdkSource),
    Given(GivenKeys),
    /// IAM Identity Center: the role credentials GetRoleCredentials gives for the profile's
    /// account and role, with the session's cached token (cached like a role's).
    Sso(crate::sso::SsoRole),
}

impl Source {
    /// Whether the credentials are known to be long-term before they are read: only static
    /// keys without a token are. Every other source is planned as temporary, so that MFA
    /// goes on AssumeRole itself (what botocore and the Rust SDK do).
    pub fn long_term(&self) -> bool {
        match self {
            Source::StaticKeys { temporary, .. } => !temporary,
            Source::Stored { .. } => true,
            Source::Given(k) => !k.0.is_temporary(),
            _ => false,
        }
    }

    /// The profile the credentials are read from, if any (the MFA session's cache key).
    pub fn profile(&self) -> Option<&str> {
        match self {
            Source::StaticKeys { profile, .. }
            | Source::Process { profile, .. }
            | Source::Stored { profile } => Some(profile),
            Source::Sso(role) => Some(&role.profile),
            Source::Sdk(SdkSource::DefaultChain { profile }) => profile.as_deref(),
            Source::Environment | Source::Sdk(_) | Source::Given(_) => None,
        }
    }
}

/// GetSessionToken from long-term keys: with MFA, the MFA session that every role naming the
/// same source and device shares; without, the session a stored key is handed out as (so the
/// key itself never leaves tempcreds). Cached either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStep {
    pub mfa: Option<MfaDevice>,
    /// Set by `session --duration`; profiles leave it to STS (12 h).
    pub duration_seconds: Option<u32>,
}

/// What a role step does when its caller turns out to hold temporary credentials and the
/// duration is over STS's one-hour chaining cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverChainingCap {
    /// Refuse before sending (exit 2): the user asked for that duration.
    Refuse,
    /// Ask for one hour instead (a console session, which then lasts as long as STS allows).
    Cap,
}

/// Request parameters only flags and the broker set (profiles have no keys for them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleExtras {
    /// Minified inline session policy.
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
}

/// AssumeRole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// The profile the role belongs to: its credentials are cached under it. None for a
    /// role named on the command line or by the broker, which is never cached.
    pub profile: Option<String>,
    pub role_arn: RoleArn,
    /// None: `tempcreds-UNIXTIME` when the call is made.
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    /// MFA sent with this AssumeRole itself (not through an MFA session).
    pub mfa: Option<MfaDevice>,
    /// None: STS's default (one hour).
    pub duration_seconds: Option<u32>,
    pub over_cap: OverChainingCap,
    pub extras: RoleExtras,
}

/// GetFederationToken: a federated user's credentials from long-term keys (the console of
/// a keys-only profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationStep {
    /// Checked by `rules::federated_user_name`.
    pub name: String,
    pub duration_seconds: Option<u32>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

/// One STS call of a chain, in execution order.
// A chain holds a handful of steps, built once per run: boxing the role would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    SessionToken(SessionStep),
    AssumeRole(RoleStep),
    FederationToken(FederationStep),
}

/// A region found in a profile of the chain, and which profile set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRegion {
    pub profile: String,
    pub region: String,
}

/// The whole recipe for one set of credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The profiles visited, from the one asked for to the source (empty for flags alone).
    pub profiles: Vec<String>,
    pub source: Source,
    pub steps: Vec<Step>,
    /// The first `region` along the profiles, from the one asked for down to the source.
    pub region: Option<ProfileRegion>,
}

impl Chain {
    /// The partition of the chain's roles (they cannot cross partitions), else None.
    pub fn partition(&self) -> Option<crate::rules::Partition> {
        self.steps.iter().find_map(|s| match s {
            Step::AssumeRole(r) => Some(r.role_arn.partition),
            _ => None,
        })
    }

    /// Whether any step sends an MFA code.
    pub fn uses_mfa(&self) -> bool {
        self.steps.iter().any(|s| match s {
            Step::SessionToken(s) => s.mfa.is_some(),
            Step::AssumeRole(r) => r.mfa.is_some(),
            Step::FederationToken(_) => false,
        })
    }

    /// The last role's duration (a profile console session lasts as long).
    pub fn last_role_duration(&self) -> Option<u32> {
        match self.steps.last() {
            Some(Step::AssumeRole(r)) => r.duration_seconds,
            _ => None,
        }
    }

    /// The profile the first credentials come from.
    pub fn source_profile(&self) -> Option<&str> {
        self.source.profile()
    }
}
