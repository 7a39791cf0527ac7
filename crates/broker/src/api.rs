//! The HTTP handlers. Each authenticates through the `Authed`/`Admin` extractors, checks
//! the grant, vends through `vend`, and answers JSON (or a 302 for the console). Every
//! answer that holds a secret is `Cache-Control: no-store`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use tempcreds_core::Origin;
use tempcreds_core::console::{self, LinkOptions};
use tempcreds_core::credentials::rfc3339;
use tempcreds_core::output::credential_process_fields;
use tempcreds_core::rules::partition_of_region;
use tempcreds_core::sts::Sts;
use tempcreds_store::{Session, Store};
use time::OffsetDateTime;

use crate::app::App;
use crate::auth::{self, Admin, Authed};
use crate::config::Config;
use crate::error::ApiError;
use crate::vend::{self, Kind};
use crate::window;

type Shared<S, T> = State<Arc<App<S, T>>>;

/// Marks an answer that holds a secret as never to be cached.
pub(crate) fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub async fn page<S: Store, T: Sts + Send + Sync>(State(app): Shared<S, T>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        )],
        Html(app.page.clone()),
    )
}

/// The web page as this broker serves it: when `[oidc]` is configured, the sign-in field
/// says that an ID token from the issuer works too (made once, at start).
pub fn page_html(config: &Config) -> String {
    let page = include_str!("../assets/index.html");
    let Some(oidc) = &config.oidc else {
        return page.to_owned();
    };
    // The issuer is text inside the page: HTML-escaped (`&` first, so no escape is doubled).
    let issuer = oidc
        .issuer
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    page.replace(
        ">Your broker token<",
        &format!(">Your broker token, or an ID token from {issuer}<"),
    )
    .replace("placeholder=\"tcb_…\"", "placeholder=\"tcb_… or eyJ…\"")
}

pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/app.js"),
    )
}

/// The API description, with this broker's catalogue as the `role` parameter's values.
pub async fn openapi<S: Store, T: Sts + Send + Sync>(State(app): Shared<S, T>) -> Response {
    let mut doc: Value =
        serde_json::from_str(include_str!("../assets/openapi.json")).unwrap_or(Value::Null);
    let roles: Vec<&String> = app.config.roles.keys().collect();
    if let Some(schema) = doc.pointer_mut("/components/parameters/role/schema") {
        *schema = json!({ "type": "string", "enum": roles });
    }
    Json(doc).into_response()
}

pub async fn healthz<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
) -> Result<Json<Value>, ApiError> {
    app.store.ping().await?;
    Ok(Json(json!({ "status": "ok" })))
}

pub async fn metrics<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    _: Admin,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint (see /openapi.json)".to_owned())
}

#[derive(Debug, Deserialize)]
pub struct Login {
    token: String,
}

fn cookie<S, T>(app: &App<S, T>, value: &str, max_age: i64) -> HeaderValue {
    let secure = if app.config.tls.is_some() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        auth::COOKIE
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The web page's sign-in: the token becomes an HttpOnly, SameSite=Strict cookie, so page
/// scripts never hold it after this call and other sites cannot use it.
pub async fn login<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    body: Result<Json<Login>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
        _ => ApiError::BadRequest(format!(
            "the body must be JSON {{\"token\": \"…\"}} ({})",
            e.body_text()
        )),
    })?;
    let token = SecretString::from(body.token);
    let user = auth::user_of(&app, &token).await?;
    let secret = secrecy::ExposeSecret::expose_secret(&token);
    let mut resp = Json(json!({ "name": user.name })).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, cookie(&app, secret, 12 * 3600));
    Ok(no_store(resp))
}

pub async fn logout<S: Store, T: Sts + Send + Sync>(State(app): Shared<S, T>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, cookie(&app, "", 0));
    resp
}

pub async fn me<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    Authed(user): Authed,
) -> Json<Value> {
    let roles: Vec<Value> = user
        .grants
        .iter()
        .filter_map(|g| app.config.roles.get(&g.role).map(|r| (g, r)))
        .map(|(g, r)| {
            json!({
                "name": r.name, "arn": r.arn.to_string(), "max_duration_seconds": r.max_duration,
                "not_before": g.not_before.map(window::show), "not_after": g.not_after.map(window::show),
            })
        })
        .collect();
    Json(
        json!({ "name": user.name, "admin": user.admin, "roles": roles, "region": app.config.region }),
    )
}

#[derive(Debug, Deserialize)]
pub struct VendQuery {
    /// 900 s up to the role's maximum; `1h`, `90m` and seconds are all accepted.
    duration: Option<String>,
    /// The console page to open (s3, ec2, …), for `/v1/console`.
    service: Option<String>,
}

/// The credential_process JSON shape (Version 1), plus the role.
pub async fn credentials<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    Authed(user): Authed,
    Path(role): Path<String>,
    Query(q): Query<VendQuery>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> Result<Response, ApiError> {
    let granted = vend::granted(&app, &user, &role)?;
    let role = granted.role;
    let got = vend::vend(
        &app,
        &user,
        &granted,
        q.duration.as_deref(),
        Kind::Credentials,
        addr,
    )
    .await?;
    let mut body = credential_process_fields(&got.credentials);
    body.insert("Role".into(), json!(role.name));
    body.insert("AssumedRoleArn".into(), json!(got.assumed_role_arn));
    Ok(no_store(Json(Value::Object(body)).into_response()))
}

/// The container-credentials format the AWS SDKs and CLI read from
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (they refresh before `Expiration` by themselves).
pub async fn ecs<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    Authed(user): Authed,
    Path(role): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> Result<Response, ApiError> {
    let granted = vend::granted(&app, &user, &role)?;
    let got = vend::vend(&app, &user, &granted, None, Kind::Ecs, addr).await?;
    let role = granted.role;
    let c = &got.credentials;
    Ok(no_store(
        Json(json!({
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret(),
            "Token": c.token(),
            "Expiration": c.expiration_rfc3339(),
            "RoleArn": role.arn.to_string(),
        }))
        .into_response(),
    ))
}

/// A 302 to a freshly minted sign-in link (AWS recommends handing links out by redirect);
/// fresh credentials every time, so the console session gets their whole lifetime.
pub async fn console<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    Authed(user): Authed,
    Path(role): Path<String>,
    Query(q): Query<VendQuery>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> Result<Response, ApiError> {
    let granted = vend::granted(&app, &user, &role)?;
    let arn = &granted.role.arn;
    let region = if partition_of_region(&app.config.region) == arn.partition {
        app.config.region.clone()
    } else {
        arn.partition.default_region().to_owned()
    };
    let opts = LinkOptions {
        issuer: app.config.issuer.clone(),
        service: q.service.clone(),
        destination: None,
        logout_first: false,
        federation_override: app.config.federation_endpoint.clone(),
    };
    let link = console::prepare(arn.partition, &region, &opts)
        .map_err(|e| ApiError::from(tempcreds_core::Error::from(e)))?;
    let got = vend::vend(
        &app,
        &user,
        &granted,
        q.duration.as_deref(),
        Kind::Console,
        addr,
    )
    .await?;
    let chained = app.sts.caller_is_temporary();
    let duration = console::session_duration(Origin::AssumedRole { chained }, None)?;
    let url = link.mint(&got.credentials, duration).await?;
    let location = HeaderValue::from_str(&url)
        .map_err(|_| ApiError::Upstream("the sign-in link is not a valid header".to_owned()))?;
    let mut resp = StatusCode::FOUND.into_response();
    resp.headers_mut().insert(header::LOCATION, location);
    Ok(no_store(resp))
}

fn session_json(s: &Session) -> Value {
    let time = |t: i64| {
        OffsetDateTime::from_unix_timestamp(t).map_or(Value::Null, |t| Value::from(rfc3339(t)))
    };
    json!({
        "user": s.user, "role": s.role, "kind": s.kind, "session_name": s.session_name,
        "access_key_id": s.access_key_id, "expires_at": time(s.expires_at),
        "client_addr": s.client_addr, "issued_at": time(s.issued_at),
    })
}

/// The audit log: a user's own sessions; an administrator's view is everyone's.
pub async fn sessions<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    Authed(user): Authed,
) -> Result<Json<Value>, ApiError> {
    let whose = if user.admin {
        None
    } else {
        Some(user.name.as_str())
    };
    let rows = app.store.sessions(whose).await?;
    Ok(Json(Value::from(
        rows.iter().map(session_json).collect::<Vec<_>>(),
    )))
}
