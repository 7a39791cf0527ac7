//! The flags of the profile commands: `session`, `env`, `exec`, `credential-process`,
//! `whoami` and `serve`.

use clap::Args;

use super::ShellArg;

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
    /// Print a stored long-term key itself, not a session made from it (IAM needs it or MFA)
    #[arg(long)]
    pub(crate) no_session: bool,
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
    /// Give the command a local credentials endpoint that renews itself, not keys
    #[arg(long, conflicts_with = "no_session")]
    pub(crate) server: bool,
    /// Give the command a stored long-term key itself, not a session made from it
    #[arg(long)]
    pub(crate) no_session: bool,
    #[command(flatten)]
    pub(crate) opts: ProfileOptions,
}
