//! The seams to IAM Identity Center: the portal (role credentials, the accounts and roles a
//! user can reach, logout) and OIDC (client registration, the device and authorization-code
//! flows, refresh). `sso::sdk` implements them on the official SDK; `sso::fake` in tests.

use std::future::Future;

use secrecy::SecretString;
use time::OffsetDateTime;

use super::token::Registration;
use crate::{Credentials, Error};

/// One page of a listing, and the token for the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// An account the user can reach (`ListAccounts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
}

/// The portal, called with an access token.
pub trait Portal: Sync {
    /// `GetRoleCredentials`: credentials for the role in the account.
    fn role_credentials(
        &self,
        token: &SecretString,
        account_id: &str,
        role_name: &str,
    ) -> impl Future<Output = Result<Credentials, Error>> + Send;

    /// `ListAccounts`, one page.
    fn accounts(
        &self,
        token: &SecretString,
        next: Option<String>,
    ) -> impl Future<Output = Result<Page<Account>, Error>> + Send;

    /// `ListAccountRoles`, one page of role names.
    fn roles(
        &self,
        token: &SecretString,
        account_id: &str,
        next: Option<String>,
    ) -> impl Future<Output = Result<Page<String>, Error>> + Send;

    /// `Logout`: the token stops working at the portal.
    fn logout(&self, token: &SecretString) -> impl Future<Output = Result<(), Error>> + Send;
}

/// What `RegisterClient` is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKind {
    /// The device flow (and refresh).
    Device,
    /// Authorization code with PKCE through a loopback redirect (and refresh).
    Pkce {
        redirect_uri: String,
        issuer_url: String,
    },
}

/// A device authorization in progress (`StartDeviceAuthorization`).
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub device_code: SecretString,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_at: OffsetDateTime,
    pub interval_seconds: u64,
}

/// How `CreateToken` is asked for a token.
#[derive(Debug, Clone)]
pub enum Grant {
    DeviceCode(SecretString),
    AuthorizationCode {
        code: SecretString,
        redirect_uri: String,
        verifier: SecretString,
    },
    Refresh(SecretString),
}

/// A token `CreateToken` gave.
#[derive(Debug, Clone)]
pub struct Token {
    pub access_token: SecretString,
    pub expires_at: OffsetDateTime,
    /// Only for a client registered with scopes.
    pub refresh_token: Option<SecretString>,
}

/// Why `CreateToken` gave no token.
#[derive(Debug)]
pub enum TokenError {
    /// The device flow: not approved yet, poll again after the interval.
    Pending,
    /// The device flow: polled too often, add 5 seconds to the interval (RFC 8628 §3.5).
    SlowDown,
    /// The device code (or refresh token) expired.
    Expired,
    /// A code or refresh token that is unknown, used or not this client's.
    InvalidGrant(String),
    Other(Error),
}

/// OIDC, unauthenticated.
pub trait Oidc: Sync {
    /// The endpoint the browser is sent to for `/authorize` (the one the client calls).
    fn authorize_base(&self) -> String;

    fn register(
        &self,
        client_name: &str,
        kind: &ClientKind,
        scopes: &[String],
    ) -> impl Future<Output = Result<Registration, Error>> + Send;

    fn start_device(
        &self,
        registration: &Registration,
        start_url: &str,
    ) -> impl Future<Output = Result<DeviceAuthorization, Error>> + Send;

    fn create_token(
        &self,
        registration: &Registration,
        grant: &Grant,
    ) -> impl Future<Output = Result<Token, TokenError>> + Send;
}
