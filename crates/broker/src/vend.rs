//! Vending: one AssumeRole per request, as the learner, through the one engine (the chain:
//! the broker's own credentials, then the role) — session name and SourceIdentity are the
//! user's name (so CloudTrail and the revocation policy can tell learners apart), the user
//! is a session tag, and the role's session policy has `${user}` filled in. The audit row
//! is committed before the credentials are returned: no credential leaves the broker
//! unrecorded. A grant's course window bounds it: no vend outside it, and no session that
//! outlives it.

use std::net::SocketAddr;
use std::time::Instant;

use std::sync::Arc;

use tempcreds_core::engine::{
    Chain, Engine, Files, Issued, Last, MfaChooser, NoCache, NoPrompt, OverChainingCap, Prebuilt,
    RoleExtras, RoleStep, SdkSource, Source, Step, SystemClock,
};
use tempcreds_core::rules::{self, Field, Tag};
use tempcreds_core::sts::Sts;
use tempcreds_core::{Env, Error as CoreError};
use tempcreds_store::{Session, Store, User};
use time::OffsetDateTime;

use crate::app::App;
use crate::config::{Role, USER_TAG};
use crate::error::ApiError;
use crate::window;

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

/// A catalogue role the user holds a grant of, usable now.
#[derive(Debug)]
pub struct Granted<'a> {
    pub role: &'a Role,
    /// The longest session the grant's window leaves (None: no end).
    pub seconds_left: Option<u32>,
}

/// The catalogue role, if the user may use it now: 404 for a role that does not exist, 403
/// for one that was not granted, or whose window is closed (naming the crossed bound) or
/// closes in under STS's 15-minute minimum.
pub fn granted<'a, S, T>(
    app: &'a App<S, T>,
    user: &User,
    role: &str,
) -> Result<Granted<'a>, ApiError> {
    let r = app
        .config
        .roles
        .get(role)
        .ok_or_else(|| ApiError::NotFound(format!("no role {role} in the catalogue")))?;
    let grant = user.grant(role).ok_or_else(|| {
        ApiError::Forbidden(format!("user {} has no grant for role {role}", user.name))
    })?;
    let now = window::now_ceil();
    if let Some(why) = window::refusal(grant, now) {
        return Err(ApiError::Forbidden(why));
    }
    Ok(Granted {
        role: r,
        seconds_left: window::seconds_left(grant, now),
    })
}

/// The session length: what was asked (900 s up to the role's maximum), else the maximum;
/// at most one hour when the broker's own credentials are temporary (role chaining); and
/// never past the end of the grant's window.
fn duration<S, T: Sts>(
    app: &App<S, T>,
    granted: &Granted<'_>,
    asked: Option<&str>,
) -> Result<u32, ApiError> {
    let role = granted.role;
    let chained = app.sts.caller_is_temporary();
    let max = if chained {
        role.max_duration.min(rules::CHAINED_MAX_SECONDS)
    } else {
        role.max_duration
    };
    // The config holds max_duration to 900..=43200, and chaining lowers it to 3600 at most,
    // so 900..=max is never empty.
    let seconds = match asked {
        None => max,
        Some(text) => {
            rules::bounded_duration(Field::Duration, text, 900, max).map_err(CoreError::from)?
        }
    };
    // `granted` refused a window with under 900 s left, so this stays within STS's bounds.
    Ok(granted
        .seconds_left
        .map_or(seconds, |left| seconds.min(left)))
}

/// AssumeRole for `user` on `role` (as `granted` returned it), recorded before returning.
/// The chain of a vend: the broker's own credentials (its SDK client), then the role.
fn chain(user: &User, role: &Role, seconds: u32) -> Chain {
    let mut tags = role.tags.clone();
    tags.push(Tag {
        key: USER_TAG.to_owned(),
        value: user.name.clone(),
    });
    Chain {
        profiles: Vec::new(),
        source: Source::Sdk(SdkSource::DefaultChain { profile: None }),
        steps: vec![Step::AssumeRole(RoleStep {
            profile: None,
            role_arn: role.arn.clone(),
            session_name: Some(user.name.clone()),
            external_id: None,
            mfa: None,
            duration_seconds: Some(seconds),
            over_cap: OverChainingCap::Refuse,
            extras: RoleExtras {
                policy: role.policy_for(&user.name),
                policy_arns: Vec::new(),
                tags,
                transitive_tag_keys: Vec::new(),
                source_identity: Some(user.name.clone()),
            },
        })],
        region: None,
    }
}

/// Runs the chain on the broker's shared client: no cache, no MFA, nothing read from files.
async fn issue<T: Sts + Send + Sync>(
    sts: &Arc<T>,
    chain: &Chain,
    region: &str,
) -> Result<Issued, CoreError> {
    let engine = Engine {
        connect: &Prebuilt(Arc::clone(sts)),
        cache: &NoCache,
        mfa: &MfaChooser::new(None, &NoPrompt),
        clock: &SystemClock,
        files: &Files::default(),
        env: &Env::default(),
        keys: &tempcreds_core::keys::NoStore,
    };
    engine.run(chain, region, Last::Fresh).await
}

pub async fn vend<S: Store, T: Sts + Send + Sync>(
    app: &App<S, T>,
    user: &User,
    granted: &Granted<'_>,
    asked: Option<&str>,
    kind: Kind,
    client: SocketAddr,
) -> Result<Issued, ApiError> {
    let role = granted.role;
    let role_name = role.name.as_str();
    let seconds = duration(app, granted, asked)?;
    let chain = chain(user, role, seconds);
    let started = Instant::now();
    let result = issue(&app.sts, &chain, &app.config.region).await;
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
