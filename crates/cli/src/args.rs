//! The command line as clap structs: parsing only, no I/O and no AWS rules (those live in
//! `tempcreds_core::rules`, so that every error has the same one-line form).

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use tempcreds_core::output::{Format, Shell};

#[derive(Debug, Parser)]
#[command(
    name = "tempcreds",
    version,
    about = "Temporary AWS credentials and console sign-in links, done right",
    long_about = "Temporary AWS credentials and console sign-in links, done right.\n\n\
        tempcreds assumes IAM roles (with MFA) and writes the credentials where every AWS \
        client finds them: JSON, shell variables, ~/.aws/credentials, or credential_process. \
        Every input is checked against AWS's rules before anything is sent.",
    after_help = "Exit codes: 0 success; 2 invalid input found locally (nothing sent, nothing written); \
        1 a failure reported by AWS, the network or the file system."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct Global {
    /// More detail on stderr: -v decisions, -vv requests (never secrets)
    #[arg(short, long, action = ArgAction::Count, global = true, help_heading = "Global options")]
    pub(crate) verbose: u8,
    /// Only errors on stderr
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Global options"
    )]
    pub(crate) quiet: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Assume an IAM role and print or write its temporary credentials
    #[command(after_help = ASSUME_EXAMPLES)]
    Assume(Box<AssumeArgs>),
    /// Open the AWS Management Console signed in: print (or --open) a sign-in link
    #[command(after_help = CONSOLE_EXAMPLES)]
    Console(Box<ConsoleArgs>),
    /// Start or reuse a profile's MFA session (GetSessionToken with MFA, cached until it expires)
    #[command(after_help = SESSION_EXAMPLES)]
    Session(SessionArgs),
    /// Print export lines with a profile's credentials, for eval (like switching accounts)
    Env(Box<EnvArgs>),
    /// Run a command with a profile's credentials in its environment
    Exec(Box<ExecArgs>),
    /// Print a profile's credentials in the credential_process format (cached: no network on a hit)
    CredentialProcess(PositionalProfile),
    /// Serve profiles' credentials on a local endpoint that renews them ahead of expiry (the container-credentials protocol), until Ctrl-C
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Show which identity a profile (or the environment) gives, with MFA and time left
    Whoami(PositionalProfile),
    /// List profiles, their kind, and cached sessions with time left
    List,
    /// Forget cached sessions (all, or those of one profile)
    Clear {
        /// Only this profile's cached sessions
        profile: Option<String>,
    },
    /// Create (or bring into line) an IAM user allowed to assume one role, the role, its policy, a key and optionally an MFA device
    #[command(after_help = SETUP_EXAMPLES)]
    Setup(Box<SetupArgs>),
    /// Remove what `setup NAME` created: keys, MFA device, policies, user, role, and the profile it wrote
    Teardown(TeardownArgs),
    /// Print a shell completion script (e.g. `tempcreds completions bash > /etc/bash_completion.d/tempcreds`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const SERVE_EXAMPLES: &str = "\
It prints the two variables a process sets to use it; every AWS SDK and the AWS CLI then
fetch credentials from it and refresh by themselves, for as long as the MFA session lasts.
Credentials are renewed 15 minutes before they expire (TEMPCREDS_RENEW_BEFORE=SECONDS sets
the lead, for tests and short sessions).

Examples:
  tempcreds serve lab            # then: export the two printed variables; aws s3 ls
  tempcreds serve lab prod       # /profiles/lab, /profiles/prod; / is lab";

const SETUP_EXAMPLES: &str = "\
Run it with an administrator's credentials (AWS_PROFILE, --source-profile, or the
environment). Everything it creates is tagged tempcreds:managed-by=tempcreds; running it
again changes only what differs. The access key's secret goes into the credentials file
(profile --write-profile, default NAME) and is never printed unless --show-secret.

Examples:
  tempcreds setup lab --policy-file s3-lab.json --dry-run
  tempcreds setup lab --policy-file s3-lab.json --require-mfa --qr-png mfa.png
  tempcreds setup lab --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess --max-session-duration 12h
  tempcreds teardown lab";

const SESSION_EXAMPLES: &str = "\
Without --duration, a cached session is reused; with it, a new one is started (one MFA
code) and replaces it. Roles over 1h are assumed directly with MFA and do not use it.

Examples:
  tempcreds session --profile base            # reuse, or start a 12h session
  tempcreds session --profile base -d 36h     # a new 36h session (15m..36h)";

const ASSUME_EXAMPLES: &str = "\
Examples:
  tempcreds assume -r arn:aws:iam::123456789012:role/Lab -s alice@example.com
  tempcreds assume -r ARN -s alice -o write                # profile \"alice\" in ~/.aws/credentials
  eval \"$(tempcreds assume -r ARN -s alice -o env)\"        # sh, bash, zsh; --shell fish|powershell
  tempcreds assume -r ARN -s alice -o credential-process   # for credential_process = ...
  tempcreds assume -r ARN --mfa-serial arn:aws:iam::123456789012:mfa/alice -d 8h
  tempcreds assume -r ARN -s alice -o link --service s3    # a console sign-in link
  tempcreds assume --profile lab -o json                   # a profile's role, via its cached MFA session";

const CONSOLE_EXAMPLES: &str = "\
With -r, --duration is the console session length (15m..12h; at most 1h when the source
credentials are temporary). With --federated-user it is GetFederationToken's (15m..36h)
[default: 1h]. The link is valid for 15 minutes and is a secret.

Examples:
  tempcreds console -r arn:aws:iam::123456789012:role/Lab -s alice --open
  tempcreds console -r ARN --service s3 --region eu-west-1 --duration 8h
  tempcreds console --federated-user alice --policy-file lab.json
  tempcreds console --logout-first          # the caller's own role credentials";

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

/// Options of the profile commands.
#[derive(Debug, Default, Args)]
pub(crate) struct ProfileOptions {
    /// The current 6-digit MFA code [default: the profile's mfa_process, else asked on the terminal]
    #[arg(long, value_name = "CODE")]
    pub(crate) mfa_code: Option<String>,
    /// Region of the STS endpoint [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's]
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ProfileArgs {
    /// The profile [default: AWS_PROFILE, else default]
    #[arg(long, value_name = "PROFILE")]
    pub(crate) profile: Option<String>,
    #[command(flatten)]
    pub(crate) opts: ProfileOptions,
}

#[derive(Debug, Args)]
pub(crate) struct SetupArgs {
    /// Name of the IAM user and of the role (1..64 of A-Z a-z 0-9 _+=,.@-)
    pub(crate) name: String,
    /// The role's access policy (JSON), as its inline policy
    #[arg(long, value_name = "FILE")]
    pub(crate) policy_file: Option<PathBuf>,
    /// A managed policy to attach to the role (repeatable, at most 10)
    #[arg(long, value_name = "ARN")]
    pub(crate) policy_arn: Vec<String>,
    /// The role's MaxSessionDuration: 1h..12h
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub(crate) max_session_duration: String,
    /// Allow the user to assume the role only with MFA, and set up a virtual MFA device
    #[arg(long)]
    pub(crate) require_mfa: bool,
    /// Also write the MFA device's QR code to this PNG file (0600: it holds the seed)
    #[arg(long, value_name = "FILE", requires = "require_mfa")]
    pub(crate) qr_png: Option<PathBuf>,
    /// The first of two consecutive codes from the new device [default: asked on the terminal]
    #[arg(long, value_name = "CODE", requires_all = ["require_mfa", "mfa_code2"])]
    pub(crate) mfa_code1: Option<String>,
    /// The second code
    #[arg(long, value_name = "CODE", requires = "mfa_code1")]
    pub(crate) mfa_code2: Option<String>,
    /// Write the device's TOTP seed (base32) to this file, 0600 (for automation and tests)
    #[arg(long, value_name = "FILE", requires = "require_mfa")]
    pub(crate) totp_secret_out: Option<PathBuf>,
    /// Credentials-file profile for the new access key [default: NAME]
    #[arg(long, value_name = "NAME", conflicts_with = "show_secret")]
    pub(crate) write_profile: Option<String>,
    /// Print the new access key and its secret in the summary instead of writing a profile
    #[arg(long)]
    pub(crate) show_secret: bool,
    #[command(flatten)]
    pub(crate) common: ProvisionOptions,
}

#[derive(Debug, Args)]
pub(crate) struct TeardownArgs {
    /// Name of the IAM user and role that setup created
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) common: ProvisionOptions,
}

/// What setup and teardown share.
#[derive(Debug, Args)]
pub(crate) struct ProvisionOptions {
    /// Print the changes and make none
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Also act on a same-named user or role that tempcreds did not create (or overwrite a profile holding other long-term keys)
    #[arg(long)]
    pub(crate) force: bool,
    /// Profile with the administrator's credentials [default: AWS_PROFILE, then the standard chain]
    #[arg(long, value_name = "PROFILE")]
    pub(crate) source_profile: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SessionArgs {
    #[command(flatten)]
    pub(crate) profile: ProfileArgs,
    /// Length of a new MFA session: 43200, 12h, 36h (15m..36h) [default: 12h, or reuse the cached one]
    #[arg(short = 'd', long, value_name = "DURATION")]
    pub(crate) duration: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The profiles to serve (the first also at /)
    #[arg(required = true, value_name = "PROFILE")]
    pub(crate) profiles: Vec<String>,
    /// Address to listen on (a port of 0 picks a free one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub(crate) listen: String,
    /// Also serve the IMDSv2 protocol on that port (for AWS_EC2_METADATA_SERVICE_ENDPOINT)
    #[arg(long)]
    pub(crate) imds: bool,
    #[command(flatten)]
    pub(crate) opts: ProfileOptions,
}

#[derive(Debug, Args)]
pub(crate) struct PositionalProfile {
    /// The profile [default: AWS_PROFILE, else default]
    pub(crate) profile: Option<String>,
    #[command(flatten)]
    pub(crate) opts: ProfileOptions,
}

#[derive(Debug, Args)]
pub(crate) struct EnvArgs {
    /// The profile [default: AWS_PROFILE, else default]
    pub(crate) profile: Option<String>,
    /// Shell syntax
    #[arg(long, value_enum)]
    pub(crate) shell: Option<ShellArg>,
    /// Also set AWS_ACCESS_KEY, AWS_SECRET_KEY, AWS_DELEGATION_TOKEN
    #[arg(long)]
    pub(crate) legacy_ec2: bool,
    #[command(flatten)]
    pub(crate) opts: ProfileOptions,
}

#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// The profile
    pub(crate) profile: String,
    /// The command and its arguments, after --
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// Run even inside another `tempcreds exec`
    #[arg(long)]
    pub(crate) force: bool,
    #[command(flatten)]
    pub(crate) opts: ProfileOptions,
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
