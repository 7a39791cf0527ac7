//! Who is asking: a broker token (or, with `[oidc]`, an ID token) from `Authorization: Bearer TOKEN`, from a bare
//! `Authorization: TOKEN` (what AWS SDKs send from `AWS_CONTAINER_AUTHORIZATION_TOKEN`), or
//! from the web page's HttpOnly cookie. The token is split into its id and secret, the id
//! is looked up, and the secret's hash compared in constant time; a token past its expiry
//! is 401 saying it expired. Revoked users are refused with 403, and every authenticated
//! request takes one from the user's rate-limit bucket.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use secrecy::{ExposeSecret, SecretString};
use tempcreds_store::{Store, User};

use crate::app::App;
use crate::error::ApiError;
use crate::{oidc, token};

/// The cookie the web page signs in with.
pub const COOKIE: &str = "tempcreds_token";

/// An authenticated, not revoked, not rate-limited user.
#[derive(Debug)]
pub struct Authed(pub User);

/// An authenticated administrator.
#[derive(Debug)]
pub struct Admin(pub User);

fn presented(parts: &Parts) -> Option<SecretString> {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?.trim();
        let t = v.strip_prefix("Bearer ").unwrap_or(v).trim();
        return Some(SecretString::from(t));
    }
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| SecretString::from(v))
}

/// The user a token belongs to, or why not (counted as an auth failure).
pub async fn user_of<S: Store, T>(app: &App<S, T>, token: &SecretString) -> Result<User, ApiError> {
    let found = check(app, token).await;
    if found.is_err() {
        app.metrics.auth_failure();
    }
    found
}

async fn check<S: Store, T>(app: &App<S, T>, token: &SecretString) -> Result<User, ApiError> {
    let user = match &app.oidc {
        Some(oidc) if oidc::looks_like_jwt(token.expose_secret()) => {
            let name = oidc.user(token.expose_secret()).await.map_err(|e| {
                tracing::info!("OIDC token refused: {e}");
                ApiError::Unauthorized
            })?;
            app.store.user(&name).await?.ok_or_else(|| {
                ApiError::Forbidden(format!(
                    "{name} signed in with the identity provider but is not a broker user; \
                     an operator adds them with `tempcreds-broker user add {name} --grant ROLE`"
                ))
            })?
        }
        _ => {
            let (id, secret) = token::split(token).ok_or(ApiError::Unauthorized)?;
            let (user, record) = app.store.token(&id).await?.ok_or(ApiError::Unauthorized)?;
            if !token::matches(&secret, &record) {
                return Err(ApiError::Unauthorized);
            }
            if let Some(at) = record.expires_at.filter(|&t| t <= crate::window::now()) {
                return Err(ApiError::TokenExpired(format!(
                    "this broker token expired at {}: ask an administrator for a new one",
                    crate::window::show(at)
                )));
            }
            user
        }
    };
    if user.revoked_at.is_some() {
        return Err(ApiError::Forbidden(format!(
            "user {} has been revoked",
            user.name
        )));
    }
    Ok(user)
}

impl<S: Store, T: Send + Sync> FromRequestParts<Arc<App<S, T>>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App<S, T>>) -> Result<Self, ApiError> {
        let token = presented(parts).ok_or(ApiError::Unauthorized)?;
        let user = user_of(app, &token).await?;
        app.limiter
            .take(&user.name, Instant::now())
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
        Ok(Authed(user))
    }
}

impl<S: Store, T: Send + Sync> FromRequestParts<Arc<App<S, T>>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App<S, T>>) -> Result<Self, ApiError> {
        let Authed(user) = Authed::from_request_parts(parts, app).await?;
        if !user.admin {
            return Err(ApiError::Forbidden(format!(
                "user {} is not an administrator",
                user.name
            )));
        }
        Ok(Admin(user))
    }
}
