//! IAM Identity Center (SSO): which sign-in a profile uses (`config`) and the token cache
//! shared with the AWS CLI and the SDKs (`token`).

pub mod config;
pub mod token;

pub use config::{SsoRole, SsoSession};
pub use token::{CachedToken, Registration};

#[cfg(test)]
mod tests;
