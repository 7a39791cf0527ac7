//! The broker's state and its HTTP service: the routes, the limits around them (body size,
//! request timeout), serving HTTP or HTTPS on a listener with graceful shutdown (in-flight
//! requests finish; new connections are refused).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use tempcreds_core::provision::iam::SdkIam;
use tempcreds_core::sts::SdkSts;
use tempcreds_store::SqlStore;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

use crate::api;
use crate::config::Config;
use crate::limit::Limiter;
use crate::metrics::Metrics;
use crate::oidc::Oidc;

/// Everything a request handler needs.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub store: SqlStore,
    pub sts: SdkSts,
    pub iam: SdkIam,
    pub limiter: Limiter,
    pub metrics: Metrics,
    /// Sign-in with ID tokens, when broker.toml has `[oidc]`.
    pub oidc: Option<Oidc>,
    /// The web page, made for this config (`api::page_html`).
    pub page: String,
}

pub fn router(app: Arc<App>) -> Router {
    let limit = app.config.max_body_bytes;
    Router::new()
        .route("/", get(api::page))
        .route("/app.js", get(api::script))
        .route("/healthz", get(api::healthz))
        .route("/openapi.json", get(api::openapi))
        .route("/metrics", get(api::metrics))
        .route("/v1/login", post(api::login))
        .route("/v1/logout", post(api::logout))
        .route("/v1/me", get(api::me))
        .route("/v1/credentials/{role}", post(api::credentials))
        .route("/v1/ecs/{role}", get(api::ecs))
        .route("/v1/console/{role}", get(api::console))
        .route("/v1/sessions", get(api::sessions))
        .route("/v1/admin/users/{name}/revoke", post(api::revoke))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(limit))
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
pub async fn serve(
    app: Arc<App>,
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
