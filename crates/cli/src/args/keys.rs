//! The flags of `keys add|list|rotate|remove`.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Store a profile's long-term access key in the key store (asked for, or --env, or --move)
    #[command(after_help = KEYS_ADD_EXAMPLES)]
    Add(KeysAddArgs),
    /// List stored keys (and plaintext keys in the credentials file) with their age; never a secret
    List,
    /// Replace a profile's access key with a new one, proved before the old one is deleted
    #[command(after_help = KEYS_ROTATE_EXAMPLES)]
    Rotate(KeysRotateArgs),
    /// Forget a profile's stored key and its credential_process line (the key stays in IAM)
    Remove(KeysProfileArg),
}

#[derive(Debug, Args)]
pub(crate) struct KeysAddArgs {
    /// The profile the key belongs to (created in the config file if it does not exist)
    pub(crate) profile: String,
    /// Take the key from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead of asking
    #[arg(long, conflicts_with = "move_keys")]
    pub(crate) env: bool,
    /// Move the profile's two key lines out of the credentials file into the store
    #[arg(long = "move", id = "move_keys")]
    pub(crate) move_keys: bool,
}

#[derive(Debug, Args)]
pub(crate) struct KeysRotateArgs {
    /// The profile whose key is replaced (stored, or in the credentials file)
    pub(crate) profile: String,
    /// Print the steps and change nothing in IAM or on disk
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// The current 6-digit MFA code, for a profile with mfa_serial [default: mfa_process, else asked]
    #[arg(long, value_name = "CODE")]
    pub(crate) mfa_code: Option<String>,
    /// Region of the STS endpoint [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's]
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct KeysProfileArg {
    /// The profile
    pub(crate) profile: String,
}

const KEYS_ADD_EXAMPLES: &str = "\
The profile gets `credential_process = tempcreds credential-process PROFILE`, so the AWS CLI,
the SDKs and role profiles with source_profile = PROFILE use the stored key through
tempcreds, which hands out sessions (GetSessionToken), never the key itself.

The store: TEMPCREDS_KEY_STORE=secret-service|file [default: the Secret Service when the
session bus offers one, else the file store]; TEMPCREDS_KEY_STORE_FILE names the file, whose
passphrase is asked on the terminal or read from TEMPCREDS_KEY_STORE_PASSPHRASE.

Examples:
  tempcreds keys add base                # asks for the key id and the secret (not echoed)
  tempcreds keys add base --move         # out of ~/.aws/credentials, into the store
  AWS_ACCESS_KEY_ID=AKIA… AWS_SECRET_ACCESS_KEY=… tempcreds keys add ci --env";

const KEYS_ROTATE_EXAMPLES: &str = "\
Steps: find the user (GetCallerIdentity), check it has one key (ListAccessKeys), create the
new key, wait until it works (up to TEMPCREDS_IAM_WAIT seconds), store it and read it back,
forget the sessions made from the old key, then, signed with the new key, deactivate and
delete the old one. A failure before the new key is stored deletes the new key again.
With mfa_serial, IAM is called with MFA sessions (one code for the old key, one for the new).

Examples:
  tempcreds keys rotate base --dry-run
  tempcreds keys rotate base";
