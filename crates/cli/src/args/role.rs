//! The flags of `assume` and `console`: the role to assume, its request options, the
//! console link's options, and the output formats.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tempcreds_core::output::{Format, Shell};

#[derive(Debug, Args)]
pub(crate) struct AssumeArgs {
    /// The role to assume: arn:PARTITION:iam::ACCOUNT:role/NAME
    #[arg(
        short = 'r',
        long,
        value_name = "ARN",
        required_unless_present = "profile"
    )]
    pub(crate) role_arn: Option<String>,
    /// Assume a profile's role instead (role_arn, source_profile, mfa_serial… from the
    /// config), through the cache and a shared MFA session, like `env` and `exec`
    #[arg(
        long,
        value_name = "PROFILE",
        conflicts_with_all = PROFILE_CONFLICTS,
    )]
    pub(crate) profile: Option<String>,
    #[command(flatten)]
    pub(crate) role: RoleOptions,
    /// Where the credentials go
    #[arg(short = 'o', long, value_enum, default_value_t = OutputArg::Json)]
    pub(crate) output: OutputArg,
    /// Shell syntax for --output env
    #[arg(long, value_enum)]
    pub(crate) shell: Option<ShellArg>,
    /// With --output env, also set AWS_ACCESS_KEY, AWS_SECRET_KEY, AWS_DELEGATION_TOKEN
    #[arg(long)]
    pub(crate) legacy_ec2: bool,
    /// Profile name for --output write and ini [default: the session name]
    #[arg(long, value_name = "NAME")]
    pub(crate) write_profile: Option<String>,
    /// With --output write, replace a profile even if it holds long-term keys
    #[arg(long)]
    pub(crate) force: bool,
    /// Add "ConsoleMagicLink", a console sign-in link, to the JSON output
    #[arg(long)]
    pub(crate) console_link: bool,
    #[command(flatten)]
    pub(crate) link: LinkArgs,
}

/// What a profile already says: these flags cannot be combined with `assume --profile`.
const PROFILE_CONFLICTS: &[&str] = &[
    "role_arn",
    "session_name",
    "duration",
    "external_id",
    "mfa_serial",
    "policy",
    "policy_file",
    "policy_arn",
    "tag",
    "transitive_tag",
    "source_identity",
    "source_profile",
];

/// The AssumeRole options `assume` and `console` share.
#[derive(Debug, Args)]
pub(crate) struct RoleOptions {
    /// RoleSessionName, shown in CloudTrail and in the assumed-role ARN [default: tempcreds-<unix time>]
    #[arg(short = 's', long, value_name = "NAME")]
    pub(crate) session_name: Option<String>,
    /// Session length: 3600, 1h, 90m, 1h30m (15m..12h; at most 1h from temporary credentials) [default: 1h]
    #[arg(short = 'd', long, value_name = "DURATION")]
    pub(crate) duration: Option<String>,
    /// The external id the role's trust policy requires
    #[arg(long, value_name = "ID")]
    pub(crate) external_id: Option<String>,
    /// MFA device ARN or serial; the code is asked for on the terminal unless --mfa-code
    #[arg(long, value_name = "SERIAL")]
    pub(crate) mfa_serial: Option<String>,
    /// The current 6-digit MFA code
    #[arg(long, value_name = "CODE")]
    pub(crate) mfa_code: Option<String>,
    /// Inline session policy (JSON) that narrows the permissions
    #[arg(long, value_name = "JSON", conflicts_with = "policy_file")]
    pub(crate) policy: Option<String>,
    /// Inline session policy read from a file
    #[arg(long, value_name = "FILE")]
    pub(crate) policy_file: Option<PathBuf>,
    /// Managed session policy ARN (repeatable, at most 10)
    #[arg(long, value_name = "ARN")]
    pub(crate) policy_arn: Vec<String>,
    /// Session tag KEY=VALUE (repeatable, at most 50; the value may be empty)
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) tag: Vec<String>,
    /// Make the tag with this key transitive to chained role sessions (repeatable)
    #[arg(long, value_name = "KEY")]
    pub(crate) transitive_tag: Vec<String>,
    /// SourceIdentity to set on the session
    #[arg(long, value_name = "ID")]
    pub(crate) source_identity: Option<String>,
    /// Region of the STS endpoint and the console [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, or the partition's first region]
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// Profile holding the source credentials [default: AWS_PROFILE, then the standard chain]
    #[arg(long, value_name = "PROFILE")]
    pub(crate) source_profile: Option<String>,
}

/// Console sign-in link options.
#[derive(Debug, Args)]
#[command(next_help_heading = "Console link")]
pub(crate) struct LinkArgs {
    /// Issuer sent with the link: where the console sends the user when the session ends
    #[arg(long, value_name = "URL", default_value = "tempcreds")]
    pub(crate) issuer: String,
    /// Open this service's console page (s3, ec2, iam, lambda, dynamodb, …)
    #[arg(long, value_name = "SERVICE")]
    pub(crate) service: Option<String>,
    /// Open this console URL (https) instead
    #[arg(long, value_name = "URL", conflicts_with = "service")]
    pub(crate) destination: Option<String>,
    /// Sign the browser out of any console session first (switching accounts)
    #[arg(long)]
    pub(crate) logout_first: bool,
}

impl LinkArgs {
    /// True when a link flag other than the default issuer was given.
    pub(crate) fn any(&self) -> bool {
        self.service.is_some()
            || self.destination.is_some()
            || self.logout_first
            || self.issuer != "tempcreds"
    }
}

#[derive(Debug, Args)]
pub(crate) struct ConsoleArgs {
    /// Sign in as this profile's role (or, for a keys-only profile, as a federated user)
    #[arg(value_name = "PROFILE", conflicts_with_all = ["role_arn", "profile"])]
    pub(crate) profile_name: Option<String>,
    /// The same as PROFILE
    #[arg(long, value_name = "PROFILE", conflicts_with = "role_arn")]
    pub(crate) profile: Option<String>,
    /// The role to sign in as [default: the caller's own credentials, if they can sign in]
    #[arg(
        short = 'r',
        long,
        value_name = "ARN",
        conflicts_with = "federated_user"
    )]
    pub(crate) role_arn: Option<String>,
    /// Sign in as a federated user: GetFederationToken with the source's long-term keys (needs a session policy)
    #[arg(long, value_name = "NAME")]
    pub(crate) federated_user: Option<String>,
    #[command(flatten)]
    pub(crate) role: RoleOptions,
    #[command(flatten)]
    pub(crate) link: LinkArgs,
    /// Open the link in the default browser ($BROWSER) instead of printing it
    #[arg(long)]
    pub(crate) open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputArg {
    /// JSON with AccessKeyId, SecretAccessKey, SessionToken, Expiration, AssumedRoleArn
    Json,
    /// export lines for eval (see --shell)
    Env,
    /// the credential_process format (Version 1)
    CredentialProcess,
    /// the profile section as INI text
    Ini,
    /// into the shared credentials file as profile --write-profile
    Write,
    /// a console sign-in link alone
    Link,
}

impl From<OutputArg> for Format {
    fn from(o: OutputArg) -> Self {
        match o {
            OutputArg::Json => Format::Json,
            OutputArg::Env => Format::Env,
            OutputArg::CredentialProcess => Format::CredentialProcess,
            OutputArg::Ini => Format::Ini,
            OutputArg::Write => Format::Write,
            OutputArg::Link => Format::Link,
        }
    }
}

impl From<ShellArg> for Shell {
    fn from(s: ShellArg) -> Self {
        match s {
            ShellArg::Sh => Shell::Sh,
            ShellArg::Fish => Shell::Fish,
            ShellArg::Powershell => Shell::PowerShell,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ShellArg {
    Sh,
    Fish,
    Powershell,
}
