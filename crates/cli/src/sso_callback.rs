//! The loopback redirect of the PKCE sign-in (RFC 8252 §7.3): `127.0.0.1` on a free port,
//! `/oauth/callback`, answered once. The `state` must be the one sent (else the request is
//! refused and the sign-in stops: it did not come from our authorization), an `error`
//! from the authorization server stops it with that error, and a code ends the wait.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use secrecy::SecretString;
use tempcreds_core::Error;
use tokio::sync::oneshot;

/// How long the browser has to come back.
const WAIT: Duration = Duration::from_secs(600);

type Outcome = Result<(String, SecretString), Error>;

pub(crate) struct Callback {
    listener: tokio::net::TcpListener,
    port: u16,
}

#[derive(Clone)]
struct Shared {
    tx: Arc<Mutex<Option<oneshot::Sender<Outcome>>>>,
}

fn failed(message: String) -> Error {
    Error::SignIn {
        message,
        hint: Some("run the login again".to_owned()),
    }
}

async fn callback(
    State(s): State<Shared>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> (axum::http::StatusCode, Html<&'static str>) {
    use axum::http::StatusCode;
    let outcome = match (q.get("code"), q.get("state"), q.get("error")) {
        (_, _, Some(e)) => Err(failed(format!(
            "the sign-in was refused by IAM Identity Center: {e} {}",
            q.get("error_description").map_or("", String::as_str)
        ))),
        (Some(code), Some(state), None) => Ok((state.clone(), SecretString::from(code.clone()))),
        _ => Err(failed("the browser came back without a code".to_owned())),
    };
    let ok = outcome.is_ok();
    if let Some(tx) = s.tx.lock().ok().and_then(|mut t| t.take()) {
        let _ = tx.send(outcome);
    }
    if ok {
        (
            StatusCode::OK,
            Html(
                "<!doctype html><title>tempcreds</title><p>Signed in. You can close this tab and return to the terminal.</p>",
            ),
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            Html(
                "<!doctype html><title>tempcreds</title><p>The sign-in did not complete. See the terminal.</p>",
            ),
        )
    }
}

impl Callback {
    pub(crate) async fn bind() -> Result<Self, Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::Transport {
                message: format!("cannot listen on 127.0.0.1 for the sign-in's redirect: {e}"),
                hint: Some("use --device-code".to_owned()),
            })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        Ok(Self { listener, port })
    }

    /// The redirect URI sent on /authorize (the registered one, with this port).
    pub(crate) fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/oauth/callback", self.port)
    }

    /// Waits for the redirect and returns its code, once its `state` is checked.
    pub(crate) async fn code(self, state: &str) -> Result<SecretString, Error> {
        let (tx, rx) = oneshot::channel();
        let shared = Shared {
            tx: Arc::new(Mutex::new(Some(tx))),
        };
        let app = axum::Router::new()
            .route("/oauth/callback", get(callback))
            .with_state(shared);
        let server = tokio::spawn(async move {
            let _ = axum::serve(self.listener, app).await;
        });
        let outcome = tokio::select! {
            r = tokio::time::timeout(WAIT, rx) => match r {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(_)) => Err(failed("the redirect server stopped".to_owned())),
                Err(_) => Err(failed("the browser did not come back within 10 minutes".to_owned())),
            },
            _ = tokio::signal::ctrl_c() => Err(failed("stopped (Ctrl-C)".to_owned())),
        };
        // The answer page has been sent; nothing else is served.
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.abort();
        let (got_state, code) = outcome?;
        if got_state != state {
            return Err(failed(
                "the redirect's state is not this sign-in's (a request from elsewhere)".to_owned(),
            ));
        }
        Ok(code)
    }
}
