//! The broker's state and its HTTP service: the routes, the limits around them (body size,
//! request timeout), serving HTTP or HTTPS on a listener with graceful shutdown (in-flight
//! requests finish; new connections are refused).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use tempcreds_core::provision::iam::SdkIam;
use tempcreds_core::sts::{SdkSts, Sts};
use tempcreds_store::{SqlStore, Store};
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;
use crate::guard;
use crate::limit::Limiter;
use crate::metrics::Metrics;
use crate::oidc::Oidc;
use crate::{admin, api};

/// Everything a request handler needs, generic over the store and STS seams (atuin's
/// `AppState<DB>`): the binary runs it on SQL and the SDK, the in-process tests on a fake STS.
#[derive(Debug)]
pub struct App<S = SqlStore, T = SdkSts> {
    pub config: Config,
    pub store: S,
    /// The broker's own STS client, shared by every vend (it refreshes its credentials).
    pub sts: Arc<T>,
    pub iam: SdkIam,
    pub limiter: Limiter,
    pub metrics: Metrics,
    /// Sign-in with ID tokens, when broker.toml has `[oidc]`.
    pub oidc: Option<Oidc>,
    /// The web page, made for this config (`api::page_html`).
    pub page: String,
}

/// The routes learners and pages use, under `max_body_bytes`.
fn learner_routes<S: Store + 'static, T: Sts + Send + Sync + 'static>() -> Router<Arc<App<S, T>>> {
    Router::new()
        // Each route answers a method it does not take with 405 naming the one it does.
        .route("/", get(api::page::<S, T>).fallback(guard::only("GET")))
        .route("/app.js", get(api::script).fallback(guard::only("GET")))
        .route(
            "/healthz",
            get(api::healthz::<S, T>).fallback(guard::only("GET")),
        )
        .route(
            "/openapi.json",
            get(api::openapi::<S, T>).fallback(guard::only("GET")),
        )
        .route(
            "/metrics",
            get(api::metrics::<S, T>).fallback(guard::only("GET")),
        )
        .route(
            "/v1/login",
            post(api::login::<S, T>).fallback(guard::only("POST")),
        )
        .route(
            "/v1/logout",
            post(api::logout::<S, T>).fallback(guard::only("POST")),
        )
        .route("/v1/me", get(api::me::<S, T>).fallback(guard::only("GET")))
        .route(
            "/v1/credentials/{role}",
            post(api::credentials::<S, T>).fallback(guard::only("POST")),
        )
        .route(
            "/v1/ecs/{role}",
            get(api::ecs::<S, T>).fallback(guard::only("GET")),
        )
        .route(
            "/v1/console/{role}",
            get(api::console::<S, T>).fallback(guard::only("GET")),
        )
        .route(
            "/v1/sessions",
            get(api::sessions::<S, T>).fallback(guard::only("GET")),
        )
}

/// The admin API, under `max_admin_body_bytes` (a class enrolled in one call).
fn admin_routes<S: Store + 'static, T: Sts + Send + Sync + 'static>() -> Router<Arc<App<S, T>>> {
    Router::new()
        .route(
            "/v1/admin/users",
            get(admin::list::<S, T>)
                .post(admin::create::<S, T>)
                .fallback(guard::only("GET, POST")),
        )
        .route(
            "/v1/admin/users/{name}",
            get(admin::get::<S, T>).fallback(guard::only("GET")),
        )
        .route(
            "/v1/admin/users/{name}/grants",
            put(admin::put_grants::<S, T>).fallback(guard::only("PUT")),
        )
        .route(
            "/v1/admin/users/{name}/token",
            post(admin::rotate::<S, T>).fallback(guard::only("POST")),
        )
        .route(
            "/v1/admin/users/{name}/revoke",
            post(admin::revoke::<S, T>).fallback(guard::only("POST")),
        )
        .route(
            "/v1/admin/enrol",
            post(admin::enrol::enrol::<S, T>).fallback(guard::only("POST")),
        )
        .route(
            "/v1/admin/audit",
            get(admin::audit::export::<S, T>).fallback(guard::only("GET")),
        )
}

/// A body over `limit` is answered before any handler runs (a handler that reads no body
/// would otherwise never refuse one).
fn limited<S: Clone + Send + Sync + 'static>(routes: Router<S>, limit: usize) -> Router<S> {
    routes
        .layer(axum::middleware::from_fn_with_state(
            limit,
            guard::body_limit,
        ))
        .layer(DefaultBodyLimit::max(limit))
}

pub fn router<S: Store + 'static, T: Sts + Send + Sync + 'static>(app: Arc<App<S, T>>) -> Router {
    let (learner, admin) = (app.config.max_body_bytes, app.config.max_admin_body_bytes);
    limited(learner_routes(), learner)
        .merge(limited(admin_routes(), admin))
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(
            learner.max(admin),
            guard::body_limit,
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .with_state(app)
}

/// How long a graceful shutdown waits for in-flight requests (the request timeout is 30 s,
/// so nothing legitimate is cut off).
const DRAIN: Duration = Duration::from_secs(35);

/// Serves until SIGINT or SIGTERM, then lets in-flight requests finish: plain HTTP, or HTTPS
/// (rustls) with `tls`. axum-server does TLS handshakes off the accept loop, with a timeout,
/// so a client that stalls its handshake holds up no one else.
pub async fn serve<S: Store + 'static, T: Sts + Send + Sync + 'static>(
    app: Arc<App<S, T>>,
    listener: TcpListener,
    tls: Option<RustlsConfig>,
) -> std::io::Result<()> {
    let handle = axum_server::Handle::new();
    let on_signal = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        on_signal.graceful_shutdown(Some(DRAIN));
    });
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum_server::from_tcp(listener.into_std()?)?.handle(handle);
    match tls {
        Some(config) => {
            server
                .acceptor(RustlsAcceptor::new(config))
                .serve(service)
                .await
        }
        None => server.serve(service).await,
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing in-flight requests");
}
