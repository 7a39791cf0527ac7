//! `~/.aws/config` and `~/.aws/credentials`: one reader of AWS's INI dialect for both files
//! (`Document` per file, `ProfileSet` for both merged), pure in-place edits through it
//! (`fn(&str) -> String`, tested on exact output and against botocore), and an atomic,
//! locked, 0600 save that sweeps the temporary files of killed writers.

mod document;
mod edit;
#[cfg(test)]
mod edit_tests;
mod lines;
#[cfg(test)]
mod parser_cases;
pub mod paths;
mod profiles;
mod save;
#[cfg(test)]
mod tests;

pub use document::{Document, FileKind, Problem, SectionName};
pub use edit::{Edit, holds_long_term_keys, remove_keys, remove_profile, set_profile};
pub use profiles::{ProfileSet, Properties};
pub use save::{
    DirLock, lock_dir_of, read_to_string_if_exists, remove_file_if_exists, replace_file,
    update_file,
};

/// The key, ignored by the AWS CLI and SDKs, in which the expiry of temporary credentials is
/// recorded next to them. It is the name other credential helpers (saml2aws, gimme-aws-creds,
/// granted) already use, so their users' tools understand ours.
pub const EXPIRATION_KEY: &str = "x_security_token_expires";
