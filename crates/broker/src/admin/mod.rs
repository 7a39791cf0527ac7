//! The admin API: what a learning platform drives the broker with — users created with their
//! token (returned once), listed, read, their grants replaced, their token rotated, revoked,
//! enrolled in bulk (`enrol`), and the audit log exported (`audit`). Administrators only
//! (`Admin`: no token 401, a learner 403). Every change commits its audit row, naming the
//! administrator, before the answer; a request that changes nothing writes none.

pub mod audit;
pub mod enrol;
pub mod paging;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};
use tempcreds_core::sts::Sts;
use tempcreds_store::{Change, Store, StoreError, User, UserQuery};

use crate::api::no_store;
use crate::app::App;
use crate::auth::Admin;
use crate::entry::{self, Bad, GrantSpec, NewUser};
use crate::error::ApiError;
use crate::window::{self, Form, now};

type Shared<S, T> = State<Arc<App<S, T>>>;

/// A change by this administrator from this address, described by `detail` (JSON text).
pub fn change(admin: &User, addr: SocketAddr, detail: String) -> Change {
    Change {
        actor: admin.name.clone(),
        at: now(),
        client_addr: addr.ip().to_string(),
        detail,
    }
}

/// A JSON body, or the one-line reason it is not one: 413 too large, 422 the wrong shape
/// (naming the field serde could not take), 400 not JSON at all.
pub fn body<T>(got: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    got.map(|Json(v)| v).map_err(|e| {
        // serde's own words say which field (`grants[0]: missing field `role``); axum's
        // preamble before them says nothing the status does not.
        let text = e.body_text();
        let text = text
            .strip_prefix("Failed to deserialize the JSON body into the target type: ")
            .unwrap_or(&text)
            .to_owned();
        match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Unprocessable(text),
            _ => ApiError::BadRequest(text),
        }
    })
}

impl From<Bad> for ApiError {
    fn from(b: Bad) -> Self {
        ApiError::Unprocessable(b.to_string())
    }
}

/// A user as the admin API shows one (never a token).
pub fn user_json(u: &User) -> Value {
    json!({
        "name": u.name,
        "admin": u.admin,
        "grants": u.grants.iter().map(entry::grant_json).collect::<Vec<_>>(),
        "created_at": window::show(u.created_at),
        "revoked_at": u.revoked_at.map(window::show),
        "token_expires_at": u.token_expires_at.map(window::show),
    })
}

/// The user, with their grants' tag as the ETag (for `If-Match` on `PUT …/grants`).
fn with_tag(status: StatusCode, user: &User, mut body: Value, extra: Option<Value>) -> Response {
    if let (Some(obj), Some(Value::Object(more))) = (body.as_object_mut(), extra) {
        obj.extend(more);
    }
    let mut resp = (status, Json(body)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&user.grants_tag()) {
        resp.headers_mut().insert(header::ETAG, tag);
    }
    resp
}

async fn existing<S: Store, T>(app: &App<S, T>, name: &str) -> Result<User, ApiError> {
    let user = app.store.user(name).await?;
    Ok(user.ok_or_else(|| StoreError::NoUser(name.to_owned()))?)
}

/// `POST /v1/admin/users`: 201 with the token, once; 409 if the name is taken.
pub async fn create<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    Admin(admin): Admin,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    got: Result<Json<NewUser>, JsonRejection>,
) -> Result<Response, ApiError> {
    let new = body(got)?;
    let checked = entry::from_api(&app.config, &new, now())?;
    let e = &checked.enrolment;
    let change = change(&admin, addr, e.detail.clone());
    app.store.add_user(&e.user, &e.token, &change).await?;
    tracing::info!(by = %admin.name, user = %e.user.name, "user created");
    let token = json!({ "token": checked.secret.expose_secret() });
    let resp = with_tag(
        StatusCode::CREATED,
        &e.user,
        user_json(&e.user),
        Some(token),
    );
    Ok(no_store(resp))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    role: Option<String>,
    page_token: Option<String>,
    limit: Option<String>,
}

/// `GET /v1/admin/users`: by name, a page at a time, optionally only holders of `role`.
pub async fn list<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    _: Admin,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = paging::limit(q.limit.as_deref())?;
    let after = q
        .page_token
        .as_deref()
        .map(paging::decode_name)
        .transpose()?;
    let query = UserQuery {
        role: q.role,
        after,
        limit: limit + 1,
    };
    let mut users = app.store.users(&query).await?;
    let next = (users.len() > limit as usize).then(|| {
        users.truncate(limit as usize);
        users.last().map(|u| paging::encode_name(&u.name))
    });
    Ok(Json(json!({
        "items": users.iter().map(user_json).collect::<Vec<_>>(),
        "next_page_token": next.flatten(),
    })))
}

/// `GET /v1/admin/users/{name}`.
pub async fn get<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    _: Admin,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let user = existing(&app, &name).await?;
    Ok(with_tag(StatusCode::OK, &user, user_json(&user), None))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantsBody {
    grants: Vec<GrantSpec>,
}

/// `PUT /v1/admin/users/{name}/grants`: replaces them; the same body twice changes nothing
/// the second time. With `If-Match` (the ETag of a read), 409 if they changed meanwhile.
pub async fn put_grants<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    Admin(admin): Admin,
    Path(name): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    got: Result<Json<GrantsBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let spec = body(got)?;
    let grants = entry::grants(&app.config, &spec.grants, Form::Rfc3339, |i, key| {
        format!("grants[{i}].{key}")
    })?;
    let if_tag = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.trim() != "*");
    let detail = json!({ "grants": grants.iter().map(entry::grant_json).collect::<Vec<_>>() });
    let change = change(&admin, addr, detail.to_string());
    let outcome = app
        .store
        .set_grants(&name, &grants, if_tag.map(str::trim), &change)
        .await?;
    let user = existing(&app, &name).await?;
    let status = json!({ "status": outcome.as_str() });
    Ok(with_tag(
        StatusCode::OK,
        &user,
        user_json(&user),
        Some(status),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    token_expires_at: Option<String>,
}

/// The expiry of a rotated token: the one asked for, else the old token's if it is still
/// ahead (a course's tokens keep ending with the course), else none.
pub fn rotated_expiry(asked: Option<i64>, old: Option<i64>, now: i64) -> Option<i64> {
    asked.or(old.filter(|&t| t > now))
}

/// `POST /v1/admin/users/{name}/token`: a new token, returned once; the old one stops
/// working when this commits, on every replica (each request reads the token afresh).
pub async fn rotate<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    Admin(admin): Admin,
    Path(name): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let asked: TokenBody = if raw.iter().all(u8::is_ascii_whitespace) {
        TokenBody::default()
    } else {
        serde_json::from_slice(&raw).map_err(|e| ApiError::Unprocessable(e.to_string()))?
    };
    let now = now();
    let asked = asked
        .token_expires_at
        .as_deref()
        .map(|t| entry::token_expiry("token_expires_at", t, Form::Rfc3339, now))
        .transpose()?;
    let user = existing(&app, &name).await?;
    let expires = rotated_expiry(asked, user.token_expires_at, now);
    let (secret, record) = crate::token::mint_expiring(expires);
    let detail = json!({ "token_expires_at": expires.map(window::show) });
    app.store
        .rotate_token(&name, &record, &change(&admin, addr, detail.to_string()))
        .await?;
    tracing::info!(by = %admin.name, user = %name, "token rotated");
    let body = json!({
        "name": name,
        "token": secret.expose_secret(),
        "token_expires_at": expires.map(window::show),
    });
    Ok(no_store(Json(body).into_response()))
}

/// `POST /v1/admin/users/{name}/revoke`: no new credentials, and their live sessions are
/// cut off by a deny policy on each of their roles.
pub async fn revoke<S: Store, T: Sts + Send + Sync>(
    State(app): Shared<S, T>,
    Admin(admin): Admin,
    Path(name): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> Result<Json<Value>, ApiError> {
    if name == admin.name {
        return Err(ApiError::BadRequest(
            "an administrator cannot revoke themselves (use `tempcreds-broker user revoke` on the server)".to_owned(),
        ));
    }
    let change = change(&admin, addr, "{}".to_owned());
    let roles = crate::revoke::user(&app.config, &app.store, &app.iam, &name, &change).await?;
    tracing::info!(by = %admin.name, user = %name, "revoked");
    Ok(Json(json!({ "user": name, "roles": roles })))
}
