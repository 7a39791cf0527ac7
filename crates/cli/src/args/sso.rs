//! The flags of `tempcreds sso`: login, logout, populate.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(crate) enum SsoCommand {
    /// Sign in (authorization code with PKCE in the browser; --device-code for the device flow)
    Login(SsoLoginArgs),
    /// Sign out: revoke the token at the portal, forget its role credentials and the token file
    Logout(SsoWhich),
    /// Write a profile for every account and role you can reach into the config file
    Populate(SsoPopulateArgs),
}

/// Which session: named, through a profile, else the profile in use or the only one.
#[derive(Debug, Args)]
pub(crate) struct SsoWhich {
    /// The [sso-session NAME] of the config file
    #[arg(long, value_name = "NAME", conflicts_with = "profile")]
    pub(crate) sso_session: Option<String>,
    /// A profile that uses the session (sso_session, or a legacy sso_start_url)
    #[arg(long, value_name = "PROFILE")]
    pub(crate) profile: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SsoLoginArgs {
    #[command(flatten)]
    pub(crate) which: SsoWhich,
    /// Use the device authorization flow (a code to enter) instead of a browser redirect
    #[arg(long)]
    pub(crate) device_code: bool,
    /// Print the sign-in URL instead of opening the browser
    #[arg(long)]
    pub(crate) no_browser: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SsoPopulateArgs {
    /// The [sso-session NAME] whose accounts and roles become profiles
    #[arg(long, value_name = "NAME")]
    pub(crate) sso_session: String,
    /// Put before every generated profile name
    #[arg(long, default_value = "")]
    pub(crate) prefix: String,
    /// The generated names: {account_name}, {account_id}, {role_name}
    #[arg(long, default_value = "{account_name}-{role_name}")]
    pub(crate) template: String,
    /// The region of the generated profiles [default: the session's sso_region]
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// Print what would change, change nothing
    #[arg(long)]
    pub(crate) dry_run: bool,
}
