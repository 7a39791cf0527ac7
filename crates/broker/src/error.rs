//! What a failed request answers: a status and a one-line JSON `{"error", "hint"}`. AWS
//! being unreachable or throttling is 503 with `Retry-After` (the client should simply try
//! again); AWS refusing is 502 with AWS's code; nothing is ever a 500 with a stack trace,
//! and no message holds a secret (the core's errors are scrubbed already).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tempcreds_core::Error as CoreError;
use tempcreds_core::rules::Field;
use tempcreds_store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    /// The token was right but has expired (401 saying so, and when).
    TokenExpired(String),
    /// The request is well-formed but its content breaks a rule (422, naming the field).
    Unprocessable(String),
    /// The target's state forbids it: exists already, revoked, changed meanwhile (409).
    Conflict(String),
    Forbidden(String),
    NotFound(String),
    BadRequest(String),
    TooLarge,
    MethodNotAllowed {
        used: String,
        allowed: String,
    },
    RateLimited {
        retry_after: u64,
    },
    Unavailable {
        message: String,
        retry_after: u64,
    },
    Upstream(String),
}

/// STS codes that mean "not now" rather than "no".
const TRANSIENT: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalError",
    "IDPCommunicationError",
];

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match &e {
            CoreError::Transport { .. } => ApiError::Unavailable {
                message: format!("AWS is unreachable: {e}"),
                retry_after: 5,
            },
            CoreError::Aws { code, .. } if TRANSIENT.contains(&code.as_str()) => {
                ApiError::Unavailable {
                    message: e.to_string(),
                    retry_after: 5,
                }
            }
            CoreError::Aws { .. } => ApiError::Upstream(e.to_string()),
            CoreError::Invalid(i) => {
                ApiError::BadRequest(format!("{}: {}", query_name(&i.field), i.rule))
            }
            CoreError::Refused { .. } => ApiError::BadRequest(e.to_string()),
            CoreError::File { .. } | CoreError::SignIn { .. } => ApiError::Upstream(e.to_string()),
        }
    }
}

/// A field as an HTTP client of the broker names it: the query parameters it sends
/// (`?duration=`, `?service=`), else the config key or the field's plain name. Never a flag
/// of the CLI.
pub fn query_name(field: &Field) -> String {
    match field {
        Field::Duration => "?duration=".to_owned(),
        Field::Service => "?service=".to_owned(),
        other => other.to_string(),
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoUser(n) => ApiError::NotFound(format!("no user {n}")),
            e @ (StoreError::UserExists(_) | StoreError::Revoked(_) | StoreError::Changed(_)) => {
                ApiError::Conflict(e.to_string())
            }
            e => {
                tracing::error!(error = %e, "store");
                ApiError::Unavailable {
                    message: "the broker's database is unavailable".to_owned(),
                    retry_after: 2,
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message, retry_after) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "a valid broker token is required (Authorization: Bearer TOKEN)".to_owned(),
                None,
            ),
            ApiError::TokenExpired(m) => (StatusCode::UNAUTHORIZED, m, None),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m, None),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m, None),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m, None),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m, None),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m, None),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large".to_owned(),
                None,
            ),
            ApiError::MethodNotAllowed { used, allowed } => (
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{used} is not allowed here: use {allowed}"),
                None,
            ),
            ApiError::RateLimited { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests: slow down".to_owned(),
                Some(retry_after),
            ),
            ApiError::Unavailable {
                message,
                retry_after,
            } => (StatusCode::SERVICE_UNAVAILABLE, message, Some(retry_after)),
            ApiError::Upstream(m) => (StatusCode::BAD_GATEWAY, m, None),
        };
        let mut resp = (status, axum::Json(json!({ "error": message }))).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
