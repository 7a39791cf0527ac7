//! Vending: one AssumeRole per request, as the learner — session name and SourceIdentity
//! are the user's name (so CloudTrail and the revocation policy can tell learners apart),
//! the user is a session tag, and the role's session policy has `${user}` filled in. The
//! audit row is committed before the credentials are returned: no credential leaves the
//! broker unrecorded.

use std::net::SocketAddr;
use std::time::Instant;

use tempcreds_core::rules::{self, Tag};
use tempcreds_core::sts::{AssumeRoleInput, AssumedRole, Sts};
use tempcreds_store::{Session, Store, User};
use time::OffsetDateTime;

use crate::app::App;
use crate::config::{Role, USER_TAG};
use crate::error::ApiError;

/// What a vend is for, as recorded in the audit log.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Credentials,
    Ecs,
    Console,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Credentials => "credentials",
            Kind::Ecs => "ecs",
            Kind::Console => "console",
        }
    }
}

/// The catalogue role, if the user may use it: 404 for a role that does not exist, 403 for
/// one that exists but was not granted.
pub fn granted<'a>(app: &'a App, user: &User, role: &str) -> Result<&'a Role, ApiError> {
    let r = app
        .config
        .roles
        .get(role)
        .ok_or_else(|| ApiError::NotFound(format!("no role {role} in the catalogue")))?;
    if !user.may_use(role) {
        return Err(ApiError::Forbidden(format!(
            "user {} has no grant for role {role}",
            user.name
        )));
    }
    Ok(r)
}

/// The session length: what was asked (900 s up to the role's maximum), else the maximum;
/// at most one hour when the broker's own credentials are temporary (role chaining).
fn duration(app: &App, role: &Role, asked: Option<&str>) -> Result<u32, ApiError> {
    let chained = app.sts.caller_is_temporary();
    let max = if chained {
        role.max_duration.min(rules::CHAINED_MAX_SECONDS)
    } else {
        role.max_duration
    };
    // The config holds max_duration to 900..=43200, and chaining lowers it to 3600 at most,
    // so 900..=max is never empty.
    match asked {
        None => Ok(max),
        Some(text) => rules::bounded_duration("duration", text, 900, max)
            .map_err(|e| ApiError::BadRequest(e.to_string())),
    }
}

/// AssumeRole for `user` on `role` (as `granted` returned it), recorded before returning.
pub async fn vend(
    app: &App,
    user: &User,
    role: &Role,
    asked: Option<&str>,
    kind: Kind,
    client: SocketAddr,
) -> Result<AssumedRole, ApiError> {
    let role_name = role.name.as_str();
    let seconds = duration(app, role, asked)?;
    let mut tags = role.tags.clone();
    tags.push(Tag {
        key: USER_TAG.to_owned(),
        value: user.name.clone(),
    });
    let input = AssumeRoleInput {
        role_arn: role.arn.clone(),
        session_name: user.name.clone(),
        duration_seconds: Some(seconds),
        external_id: None,
        mfa: None,
        policy: role.policy_for(&user.name),
        policy_arns: Vec::new(),
        tags,
        transitive_tag_keys: Vec::new(),
        source_identity: Some(user.name.clone()),
    };
    let started = Instant::now();
    let result = app.sts.assume_role(&input).await;
    app.metrics
        .vend(role_name, kind.as_str(), result.is_ok(), started.elapsed());
    let assumed = result?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let expires_at = assumed
        .credentials
        .expiration
        .map_or(now + i64::from(seconds), OffsetDateTime::unix_timestamp);
    app.store
        .record(&Session {
            user: user.name.clone(),
            role: role_name.to_owned(),
            kind: kind.as_str().to_owned(),
            session_name: user.name.clone(),
            access_key_id: assumed.credentials.access_key_id.clone(),
            expires_at,
            client_addr: client.ip().to_string(),
            issued_at: now,
        })
        .await?;
    tracing::info!(user = %user.name, role = role_name, kind = kind.as_str(), access_key_id = %assumed.credentials.access_key_id, "vended");
    Ok(assumed)
}
