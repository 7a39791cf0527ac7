//! Answers given before any handler runs: a body over `max_body_bytes` is 413 on every
//! route (a handler that reads no body would otherwise never refuse one, whatever its
//! size), and a method a route does not take is 405 with a one-line JSON error naming the
//! methods it does (axum's own 405 has an empty body).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Reads the body up to `limit` bytes (by its Content-Length first, so a large declared
/// body is refused unread); the handler gets it back whole.
pub async fn body_limit(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::TooLarge.into_response();
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => ApiError::TooLarge.into_response(),
    }
}

/// The fallback of a route for the methods it does not take: 405 with `Allow` and a
/// one-line JSON error naming the method to use (axum's own 405 has an empty body).
pub fn only(
    allowed: &'static str,
) -> impl Fn(Method) -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    move |used: Method| {
        let mut resp = ApiError::MethodNotAllowed {
            used: used.to_string(),
            allowed: allowed.to_owned(),
        }
        .into_response();
        resp.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static(allowed));
        std::future::ready(resp)
    }
}
