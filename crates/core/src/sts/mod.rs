//! The seam to STS: the validated inputs of each call, the trait the rest of the code talks
//! to, and its implementation on `aws-sdk-sts` (in `sdk`).

mod errors;
mod http;
mod sdk;

use std::future::Future;

pub(crate) use errors::{Context, RawBody, from_sdk};
pub(crate) use http::{client_for, configured_endpoint, timeouts};
pub use sdk::{SdkSts, SourceSettings};

use crate::rules::{RoleArn, Tag};
use crate::{Credentials, Error};

/// An MFA device and the code it shows now.
#[derive(Debug, Clone)]
pub struct Mfa {
    pub serial: String,
    /// Six digits; single use within its 30-second window, so never logged or retried.
    pub code: String,
}

/// AssumeRole's parameters, each already checked against `rules`.
#[derive(Debug, Clone)]
pub struct AssumeRoleInput {
    pub role_arn: RoleArn,
    pub session_name: String,
    /// None: let STS apply its default (one hour).
    pub duration_seconds: Option<u32>,
    pub external_id: Option<String>,
    pub mfa: Option<Mfa>,
    /// Minified inline session policy.
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
}

/// What AssumeRole returns that tempcreds uses.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub credentials: Credentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub assumed_role_arn: String,
}

/// GetFederationToken's parameters, each already checked against `rules`.
#[derive(Debug, Clone)]
pub struct FederationInput {
    pub name: String,
    pub duration_seconds: Option<u32>,
    /// Minified inline session policy.
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

/// The STS operations tempcreds calls. Implemented on the SDK; tests of logic may use a fake.
pub trait Sts {
    /// True when the caller's own credentials are temporary, so that AssumeRole is role
    /// chaining (at most one hour, and no console SessionDuration).
    fn caller_is_temporary(&self) -> bool;

    /// The credentials this client signs with.
    fn caller_credentials(&self) -> &Credentials;

    fn assume_role(
        &self,
        input: &AssumeRoleInput,
    ) -> impl Future<Output = Result<AssumedRole, Error>> + Send;

    /// Federated-user credentials; needs long-term IAM user keys.
    fn get_federation_token(
        &self,
        input: &FederationInput,
    ) -> impl Future<Output = Result<Credentials, Error>> + Send;

    /// An MFA session from long-term keys.
    /// GetSessionToken, with an MFA code or (a stored key's session) without.
    fn get_session_token(
        &self,
        mfa: Option<&Mfa>,
        duration_seconds: Option<u32>,
    ) -> impl Future<Output = Result<Credentials, Error>> + Send;

    /// The caller's ARN (`…:assumed-role/…`, `…:federated-user/…`, `…:user/…`).
    fn caller_arn(&self) -> impl Future<Output = Result<String, Error>> + Send;
}

/// A shared client (the broker's, used by every request).
impl<S: Sts + Send + Sync> Sts for std::sync::Arc<S> {
    fn caller_is_temporary(&self) -> bool {
        (**self).caller_is_temporary()
    }

    fn caller_credentials(&self) -> &Credentials {
        (**self).caller_credentials()
    }

    fn assume_role(
        &self,
        input: &AssumeRoleInput,
    ) -> impl Future<Output = Result<AssumedRole, Error>> + Send {
        (**self).assume_role(input)
    }

    fn get_federation_token(
        &self,
        input: &FederationInput,
    ) -> impl Future<Output = Result<Credentials, Error>> + Send {
        (**self).get_federation_token(input)
    }

    fn get_session_token(
        &self,
        mfa: Option<&Mfa>,
        duration_seconds: Option<u32>,
    ) -> impl Future<Output = Result<Credentials, Error>> + Send {
        (**self).get_session_token(mfa, duration_seconds)
    }

    fn caller_arn(&self) -> impl Future<Output = Result<String, Error>> + Send {
        (**self).caller_arn()
    }
}
