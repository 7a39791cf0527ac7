//! The flags of `setup` and `teardown`.

use std::path::PathBuf;

use clap::Args;

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
    /// Put the new access key into the key store (with the profile's credential_process line), not the credentials file
    #[arg(long, conflicts_with = "show_secret")]
    pub(crate) key_store: bool,
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
