//! IAM Identity Center (SSO): which sign-in a profile uses (`config`) and the token cache
//! shared with the AWS CLI and the SDKs (`token`), the seams to the portal and OIDC
//! (`service`) and their SDK implementation.

pub mod config;
#[cfg(test)]
pub(crate) mod fake;
pub mod login;
pub mod populate;
mod sdk;
mod sdk_oidc;
pub mod service;
pub mod session;
pub mod token;

pub use config::{SsoRole, SsoSession};
pub use sdk::SdkPortal;
pub use sdk_oidc::SdkOidc;
pub use service::{Oidc, Portal};
pub use session::{SdkSsoConnect, SsoConnect, access_token, role_credentials};
pub use token::{CachedToken, Registration};

#[cfg(test)]
mod session_tests;
#[cfg(test)]
mod tests;
