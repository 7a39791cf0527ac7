//! `~/.aws/config` and `~/.aws/credentials`: a lossless line model, pure in-place edits
//! (`fn(&str) -> String`, tested on exact output), and an atomic, locked, 0600 save.

mod edit;
mod lines;
pub mod paths;
mod save;
#[cfg(test)]
mod tests;

pub use edit::{Edit, remove_section, set_section};
pub use lines::{Section, parse};
pub use save::{
    DirLock, lock_dir_of, read_to_string_if_exists, remove_file_if_exists, replace_file,
    update_file,
};

/// The key, ignored by the AWS CLI and SDKs, in which the expiry of temporary credentials is
/// recorded next to them. It is the name other credential helpers (saml2aws, gimme-aws-creds,
/// granted) already use, so their users' tools understand ours.
pub const EXPIRATION_KEY: &str = "x_security_token_expires";
