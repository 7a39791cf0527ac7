//! `serve --imds`: the EC2 instance metadata service, IMDSv2 only, on the endpoint's port,
//! for tools pointed at it with `AWS_EC2_METADATA_SERVICE_ENDPOINT`: `PUT /latest/api/token`
//! with `X-aws-ec2-metadata-token-ttl-seconds` (1..=21600) gives a session token; with it,
//! `GET /latest/meta-data/iam/security-credentials/` names the role (the first profile) and
//! `…/NAME` answers its credentials in IMDS's shape.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde_json::json;
use tempcreds_core::credentials::rfc3339;
use tempcreds_core::engine::{Clock, SystemClock};
use time::OffsetDateTime;

use super::{Served, current, error, only_get, token};

const TTL: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN: &str = "x-aws-ec2-metadata-token";
const CREDENTIALS: &str = "/latest/meta-data/iam/security-credentials/";

/// Session tokens handed out, with their expiry.
#[derive(Debug, Default)]
pub(super) struct Tokens(Mutex<HashMap<String, OffsetDateTime>>);

impl Tokens {
    fn valid(&self, headers: &HeaderMap) -> bool {
        let Some(t) = headers.get(TOKEN).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let now = SystemClock.now();
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, until| *until > now);
        map.contains_key(t)
    }
}

pub(super) fn routes(app: Router<Arc<Served>>) -> Router<Arc<Served>> {
    app.route("/latest/api/token", put(session_token).fallback(only_put))
        .route(CREDENTIALS, get(role_name).fallback(only_get))
        .route(
            &format!("{CREDENTIALS}{{name}}"),
            get(role_credentials).fallback(only_get),
        )
}

async fn only_put() -> Response {
    let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "only PUT is served here");
    r.headers_mut()
        .insert("allow", HeaderValue::from_static("PUT"));
    r
}

async fn session_token(State(s): State<Arc<Served>>, headers: HeaderMap) -> Response {
    let ttl = headers
        .get(TTL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|t| (1..=21_600).contains(t));
    let Some(ttl) = ttl else {
        return error(
            StatusCode::BAD_REQUEST,
            "X-aws-ec2-metadata-token-ttl-seconds must be 1 to 21600",
        );
    };
    let Ok(t) = token() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no randomness for a session token",
        );
    };
    let until = SystemClock.now() + time::Duration::seconds(ttl);
    s.imds
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(t.clone(), until);
    let mut r = t.into_response();
    if let Ok(v) = HeaderValue::from_str(&ttl.to_string()) {
        r.headers_mut().insert(TTL, v);
    }
    r
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "an IMDSv2 session token is required (PUT /latest/api/token)",
    )
}

async fn role_name(State(s): State<Arc<Served>>, headers: HeaderMap) -> Response {
    if !s.imds.valid(&headers) {
        return unauthorized();
    }
    s.first.clone().into_response()
}

async fn role_credentials(
    State(s): State<Arc<Served>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !s.imds.valid(&headers) {
        return unauthorized();
    }
    match current(&s, &name).await {
        Ok(i) => {
            let c = &i.credentials;
            axum::Json(json!({
                "Code": "Success",
                "LastUpdated": rfc3339(SystemClock.now()),
                "Type": "AWS-HMAC",
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret(),
                "Token": c.token(),
                "Expiration": c.expiration_rfc3339(),
            }))
            .into_response()
        }
        Err(resp) => resp,
    }
}
