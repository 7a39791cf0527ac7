//! The command line as clap structs: parsing only, no I/O and no AWS rules (those live in
//! `tempcreds_core::rules`, so that every error has the same one-line form).

mod keys;
mod profile;
mod role;
mod setup;
mod sso;

use clap::{ArgAction, Args, Parser, Subcommand};

pub(crate) use keys::{KeysAddArgs, KeysCommand, KeysProfileArg, KeysRotateArgs};
pub(crate) use profile::{
    EnvArgs, ExecArgs, PositionalProfile, ProfileOptions, ServeArgs, SessionArgs,
};
pub(crate) use role::{AssumeArgs, ConsoleArgs, LinkArgs, OutputArg, RoleOptions, ShellArg};
pub(crate) use setup::{ProvisionOptions, SetupArgs, TeardownArgs};
pub(crate) use sso::{SsoCommand, SsoLoginArgs, SsoPopulateArgs, SsoWhich};

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
    #[command(after_help = EXEC_EXAMPLES)]
    Exec(Box<ExecArgs>),
    /// Print a profile's credentials in the credential_process format (cached: no network on a hit)
    CredentialProcess(PositionalProfile),
    /// Serve profiles' credentials on a local endpoint that renews them ahead of expiry (the container-credentials protocol), until Ctrl-C
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Keep long-term access keys in the OS key store (or an encrypted file), and rotate them safely
    #[command(subcommand)]
    Keys(KeysCommand),
    /// IAM Identity Center: sign in once (the AWS CLI's token cache), then use every account and role
    #[command(subcommand, after_help = SSO_EXAMPLES)]
    Sso(SsoCommand),
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
    /// Write the man pages (tempcreds.1 and one per subcommand) into DIR (e.g. ~/.local/share/man/man1)
    Manpages {
        /// The directory (created if missing)
        dir: std::path::PathBuf,
    },
}

const EXEC_EXAMPLES: &str = "\
Without --server tempcreds becomes the command (keys in its environment, valid for the
session's length). With --server it stays the parent and serves the command a local
endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI and its token) that renews the credentials
ahead of expiry; signals sent to tempcreds are passed on, and it exits with the command's
status.

Examples:
  tempcreds exec lab -- aws s3 ls
  tempcreds exec lab --server -- jupyter lab     # long-running; no key in its environment";

const SSO_EXAMPLES: &str = "\
The token goes where the AWS CLI and the SDKs keep it (~/.aws/sso/cache), so a sign-in by
either is used by the other. Profiles with sso_session (or sso_start_url), sso_account_id
and sso_role_name then work with every command.

Examples:
  tempcreds sso login --sso-session corp          # the browser; --device-code for a code
  tempcreds sso populate --sso-session corp --prefix corp-
  tempcreds exec corp-Dev-Admin -- aws s3 ls
  tempcreds sso logout --sso-session corp";

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
