//! A session's access token, as the SDKs use it: the cached one while it has more than 15
//! minutes left (botocore's `SSOTokenProvider._REFRESH_WINDOW`), else refreshed with the
//! refresh token and written back, else — still valid — used as it is; with none usable,
//! one line that says to sign in. Then role credentials through the portal.

use std::future::Future;

use secrecy::SecretString;
use time::{Duration, OffsetDateTime};
use tracing::{info, warn};

use super::config::{SsoRole, SsoSession};
use super::service::{Grant, Oidc, Portal, TokenError};
use super::token::{self, CachedToken};
use crate::{Credentials, Env, Error};

/// A token with less than this left is refreshed first.
pub const REFRESH_WINDOW: Duration = Duration::minutes(15);

/// Makes portal and OIDC clients for a region (the SDK's, or the tests' fakes).
pub trait SsoConnect: Sync {
    type Portal: Portal + Send + Sync;
    type Oidc: Oidc + Send + Sync;

    fn portal(&self, region: &str) -> impl Future<Output = Result<Self::Portal, Error>> + Send;
    fn oidc(&self, region: &str) -> impl Future<Output = Result<Self::Oidc, Error>> + Send;
}

/// The command that signs in to `session`.
pub fn login_hint(session: &SsoSession, profile: Option<&str>) -> String {
    match (&session.name, profile) {
        (Some(name), _) => format!("run `tempcreds sso login --sso-session {name}`"),
        (None, Some(p)) => format!("run `tempcreds sso login --profile {p}`"),
        (None, None) => "run `tempcreds sso login`".to_owned(),
    }
}

fn sign_in(message: String, session: &SsoSession, profile: Option<&str>) -> Error {
    Error::SignIn {
        message,
        hint: Some(login_hint(session, profile)),
    }
}

/// The access token for `session`, refreshed (and written back) when it is near its end.
pub async fn access_token<S: SsoConnect>(
    session: &SsoSession,
    profile: Option<&str>,
    env: &Env,
    connect: &S,
    now: OffsetDateTime,
) -> Result<SecretString, Error> {
    let path = token::path(env, &session.cache_key());
    let Some(cached) = token::read(&path)? else {
        return Err(sign_in(
            format!(
                "not signed in to {} (no token in {})",
                session.label(),
                path.display()
            ),
            session,
            profile,
        ));
    };
    if cached.expires_at - now > REFRESH_WINDOW {
        return Ok(cached.access_token);
    }
    match refresh(session, &cached, connect, now).await {
        Ok(fresh) => {
            token::write(&path, &fresh)?;
            info!(session = %session.label(), "SSO token refreshed");
            Ok(fresh.access_token)
        }
        Err(why) if cached.expires_at > now => {
            warn!(session = %session.label(), "SSO token not refreshed ({why}); using it while it lasts");
            Ok(cached.access_token)
        }
        Err(why) => Err(sign_in(
            format!(
                "the sign-in to {} expired at {} and could not be refreshed: {why}",
                session.label(),
                token::format_time(cached.expires_at)
            ),
            session,
            profile,
        )),
    }
}

/// A new token from the refresh token; why not, in a few words, when it cannot be.
async fn refresh<S: SsoConnect>(
    session: &SsoSession,
    cached: &CachedToken,
    connect: &S,
    now: OffsetDateTime,
) -> Result<CachedToken, String> {
    let (Some(registration), Some(refresh_token)) = (&cached.registration, &cached.refresh_token)
    else {
        return Err("it has no refresh token".to_owned());
    };
    if registration.expires_at <= now {
        return Err("its client registration expired".to_owned());
    }
    let oidc = connect
        .oidc(&session.region)
        .await
        .map_err(|e| e.to_string())?;
    let grant = Grant::Refresh(refresh_token.clone());
    let fresh = oidc
        .create_token(registration, &grant)
        .await
        .map_err(|e| match e {
            TokenError::InvalidGrant(m) => format!("the refresh token was refused ({m})"),
            TokenError::Expired => "the refresh token expired".to_owned(),
            TokenError::Pending | TokenError::SlowDown => "OIDC asked to wait".to_owned(),
            TokenError::Other(e) => e.to_string(),
        })?;
    Ok(CachedToken {
        start_url: session.start_url.clone(),
        region: session.region.clone(),
        access_token: fresh.access_token,
        expires_at: fresh.expires_at,
        registration: Some(registration.clone()),
        // Without a new one the old refresh token stays the one to use.
        refresh_token: fresh.refresh_token.or_else(|| Some(refresh_token.clone())),
        extra: cached.extra.clone(),
    })
}

/// The role's credentials: the session's token, then GetRoleCredentials.
pub async fn role_credentials<S: SsoConnect>(
    role: &SsoRole,
    env: &Env,
    connect: &S,
    now: OffsetDateTime,
) -> Result<Credentials, Error> {
    let token = access_token(&role.session, Some(&role.profile), env, connect, now).await?;
    let portal = connect.portal(&role.session.region).await?;
    info!(account = %role.account_id, role = %role.role_name, "GetRoleCredentials");
    portal
        .role_credentials(&token, &role.account_id, &role.role_name)
        .await
        .map_err(|e| match e {
            // The portal no longer accepts the token (signed out elsewhere, revoked).
            Error::Aws { code, message, .. } if code == "UnauthorizedException" => sign_in(
                format!(
                    "IAM Identity Center refused the sign-in to {}: {message}",
                    role.session.label()
                ),
                &role.session,
                Some(&role.profile),
            ),
            other => other,
        })
}

/// Portal and OIDC clients on the official SDK.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdkSsoConnect;

impl SsoConnect for SdkSsoConnect {
    type Portal = super::SdkPortal;
    type Oidc = super::SdkOidc;

    async fn portal(&self, region: &str) -> Result<Self::Portal, Error> {
        Ok(super::SdkPortal::new(region).await)
    }

    async fn oidc(&self, region: &str) -> Result<Self::Oidc, Error> {
        Ok(super::SdkOidc::new(region).await)
    }
}
