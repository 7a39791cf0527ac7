//! `tempcreds serve`: a local endpoint of the container-credentials protocol (what the AWS
//! SDKs and CLI read from `AWS_CONTAINER_CREDENTIALS_FULL_URI` with
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`), so that a long-running process refreshes its
//! credentials by itself and never holds a key in its environment. Each profile's
//! credentials are fetched before serving (any MFA prompt then) and renewed ahead of the
//! SDKs' windows through the engine (`engine::Renewer`), in the background: a request waits
//! at most two seconds for a renewal in flight, never for STS past the SDKs' timeouts.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use subtle::ConstantTimeEq;
use tempcreds_core::cache::Cache;
use tempcreds_core::engine::{
    Answer, Chain, Clock, Engine, Files, Issued, Last, MfaChooser, Prompt, Renew, RenewPolicy,
    Renewer, SdkConnect, Source, SystemClock,
};
use tempcreds_core::rules::Invalid;
use tempcreds_core::{Env, Error};

mod exec;
mod imds;

pub(crate) use exec::exec;

use crate::args::{ProfileOptions, ServeArgs};
use crate::profiles::{self, Prepared};
use crate::ui;

/// One profile's renewal: its chain through the engine, the last step always fresh (a
/// cached role would come back with the same expiry), the MFA session from the cache.
struct ProfileRenew {
    chain: Chain,
    region: String,
    files: Files,
    env: Env,
    cache: Cache,
    mfa: MfaChooser<'static>,
}

impl Renew for ProfileRenew {
    async fn renew(&self) -> Result<Issued, Error> {
        let engine = Engine {
            connect: &SdkConnect,
            cache: &self.cache,
            mfa: &self.mfa,
            clock: &SystemClock,
            files: &self.files,
            env: &self.env,
            keys: crate::run::key_store(),
        };
        // A renewal may wait for a person (the MFA prompt) or for mfa_process: it gives its
        // worker's other tasks to another thread meanwhile, so requests are still served.
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(engine.run(
                &self.chain,
                &self.region,
                Last::Fresh,
            ))
        })
    }
}

/// The terminal, for a renewal whose MFA session ended: there is no `--mfa-code` to give
/// then (a code is used once), so without a terminal the error says what would help.
struct RenewalPrompt;

static RENEWAL_PROMPT: RenewalPrompt = RenewalPrompt;

impl Prompt for RenewalPrompt {
    fn ask(&self, serial: &str) -> Result<String, Error> {
        ui::prompt_mfa_code_or(serial, || {
            Error::refused(
                format!(
                    "a new MFA session needs a code for {serial}, and there is no terminal to ask on"
                ),
                Some(
                    "set mfa_process in the profile, or restart tempcreds with a new --mfa-code"
                        .to_owned(),
                ),
            )
        })
    }
}

struct Served {
    token: String,
    first: String,
    profiles: BTreeMap<String, Renewer<ProfileRenew>>,
    /// The account of profiles whose credentials carry no role ARN (an SSO role itself).
    accounts: BTreeMap<String, String>,
    /// IMDSv2's session tokens, with `--imds`.
    imds: imds::Tokens,
}

/// `TEMPCREDS_RENEW_BEFORE` (seconds), else botocore's 15-minute advisory window.
fn policy(env: &Env) -> Result<RenewPolicy, Invalid> {
    match env.get("TEMPCREDS_RENEW_BEFORE") {
        None => Ok(RenewPolicy::default()),
        Some(v) => v
            .parse::<u32>()
            .map(RenewPolicy::before_seconds)
            .map_err(|_| Invalid::new("TEMPCREDS_RENEW_BEFORE", "must be a number of seconds")),
    }
}

/// 256 random bits, as hex.
fn token() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Transport {
        message: format!("no randomness for the endpoint's token: {e}"),
        hint: None,
    })?;
    Ok(hex::encode(bytes))
}

/// Each profile's first credentials (any MFA prompt happens here, before anything is
/// served) and the renewal that keeps them fresh.
async fn prepare(
    prepared: Vec<Prepared>,
    opts: &ProfileOptions,
    quiet: bool,
) -> Result<Served, Error> {
    let first_name = prepared[0].name.clone();
    let mut served = BTreeMap::new();
    let mut accounts = BTreeMap::new();
    for p in prepared {
        if let (Source::Sso(r), true) = (&p.chain.source, p.chain.steps.is_empty()) {
            accounts.insert(p.name.clone(), r.account_id.clone());
        }
        let policy = policy(&p.env)?;
        let region = p.region(opts)?;
        let first = profiles::credentials(&p, opts, quiet).await?;
        let renew = ProfileRenew {
            cache: Cache::from_env(&p.env)?,
            mfa: MfaChooser::new(None, &RENEWAL_PROMPT),
            chain: p.chain,
            region: region.name,
            files: p.files,
            env: p.env,
        };
        let now = SystemClock.now();
        served.insert(p.name, Renewer::new(policy, renew, first, now));
    }
    Ok(Served {
        token: token()?,
        first: first_name,
        profiles: served,
        accounts,
        imds: imds::Tokens::default(),
    })
}

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

/// The container-credentials answer, with the account taken from the assumed-role ARN, else
/// from the profile (an SSO role's `sso_account_id`).
fn answer(issued: &Issued, account: Option<&String>) -> Response {
    let c = &issued.credentials;
    let account = issued
        .assumed_role_arn
        .as_deref()
        .and_then(|arn| arn.split(':').nth(4))
        .or(account.map(String::as_str))
        .unwrap_or_default();
    Json(json!({
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret(),
        "Token": c.token(),
        "Expiration": c.expiration_rfc3339(),
        "AccountId": account,
    }))
    .into_response()
}

/// The profile's current credentials, or the answer that says why not.
async fn current(served: &Served, name: &str) -> Result<Issued, Response> {
    let Some(r) = served.profiles.get(name) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            &format!("this endpoint serves no profile {name}"),
        ));
    };
    // A renewal due is the background task's: wait for it briefly, never run it here.
    r.settled(&SystemClock, Duration::from_secs(2)).await;
    match r.answer(SystemClock.now()) {
        Answer::Credentials(i) => Ok(i),
        Answer::Unavailable(why) => Err(error(StatusCode::SERVICE_UNAVAILABLE, &why)),
    }
}

async fn credentials_of(served: &Served, name: &str, headers: &HeaderMap) -> Response {
    let Some(given) = headers.get(header::AUTHORIZATION) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "the Authorization token is missing (AWS_CONTAINER_AUTHORIZATION_TOKEN)",
        );
    };
    if !bool::from(given.as_bytes().ct_eq(served.token.as_bytes())) {
        return error(
            StatusCode::FORBIDDEN,
            "the Authorization token is not this endpoint's",
        );
    }
    match current(served, name).await {
        Ok(i) => answer(&i, served.accounts.get(name)),
        Err(resp) => resp,
    }
}

async fn first(State(s): State<Arc<Served>>, headers: HeaderMap) -> Response {
    credentials_of(&s, &s.first, &headers).await
}

async fn named(
    State(s): State<Arc<Served>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    credentials_of(&s, &name, &headers).await
}

pub(super) async fn only_get() -> Response {
    let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "only GET is served here");
    r.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("GET"));
    r
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such path: / or /profiles/NAME")
}

/// Renews each profile in the background when its renewal is due.
fn renew_in_background(served: &Arc<Served>) {
    for name in served.profiles.keys() {
        let s = Arc::clone(served);
        let name = name.clone();
        tokio::spawn(async move {
            let Some(r) = s.profiles.get(&name) else {
                return;
            };
            loop {
                let wait = (r.due_at() - SystemClock.now()).max(time::Duration::ZERO);
                tokio::time::sleep(wait.try_into().unwrap_or(Duration::ZERO)).await;
                r.renew_if_due(&SystemClock).await;
            }
        });
    }
}

/// A bound endpoint with its profiles' first credentials, not yet serving.
pub(crate) struct Endpoint {
    served: Arc<Served>,
    listener: tokio::net::TcpListener,
    pub(crate) addr: SocketAddr,
}

impl Endpoint {
    /// Fetches the credentials of `prepared` (the first is also served at `/`), then binds
    /// `listen`. Credentials first: an MFA prompt must not wait behind a bound port.
    pub(crate) async fn open(
        prepared: Vec<Prepared>,
        opts: &ProfileOptions,
        listen: SocketAddr,
        quiet: bool,
    ) -> Result<Self, Error> {
        let served = Arc::new(prepare(prepared, opts, quiet).await?);
        let listener =
            tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| Error::Transport {
                    message: format!("cannot listen on {listen}: {e}"),
                    hint: Some(
                        "choose another address with --listen (a port of 0 picks a free one)"
                            .to_owned(),
                    ),
                })?;
        let addr = listener.local_addr().map_err(|e| Error::Transport {
            message: format!("cannot read the listening address: {e}"),
            hint: None,
        })?;
        Ok(Self {
            served,
            listener,
            addr,
        })
    }

    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub(crate) fn uri(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub(crate) fn token(&self) -> &str {
        &self.served.token
    }

    /// Serves (renewing in the background) until `stop` completes.
    pub(crate) async fn run(
        self,
        imds: bool,
        quiet: bool,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        renew_in_background(&self.served);
        let mut app = axum::Router::new()
            .route("/", get(first).fallback(only_get))
            .route("/profiles/{name}", get(named).fallback(only_get));
        if imds {
            ui::warn(
                quiet,
                "--imds: any process on this machine that can reach the port can get the credentials through IMDS (its protocol has no shared secret)",
            );
            app = imds::routes(app);
        }
        let app = app.fallback(not_found).with_state(Arc::clone(&self.served));
        axum::serve(self.listener, app)
            .with_graceful_shutdown(stop)
            .await
            .map_err(|e| Error::Transport {
                message: format!("the endpoint stopped: {e}"),
                hint: None,
            })
    }
}

/// `tempcreds serve`: prints the two variables, then serves until Ctrl-C.
pub(crate) async fn serve(args: &ServeArgs, quiet: bool) -> Result<(), Error> {
    let listen: SocketAddr = args.listen.parse().map_err(|_| {
        Invalid::new(
            "--listen",
            "must be an IP address and a port, such as 127.0.0.1:0 or [::1]:9911",
        )
    })?;
    let prepared = args
        .profiles
        .iter()
        .map(|name| profiles::prepare(Some(name), &args.opts))
        .collect::<Result<Vec<_>, _>>()?;
    let endpoint = Endpoint::open(prepared, &args.opts, listen, quiet).await?;
    let addr = endpoint.addr;
    if !addr.ip().is_loopback() {
        ui::warn(
            quiet,
            &format!(
                "listening on {addr}, beyond this machine: anyone who can reach it and holds the token gets the credentials"
            ),
        );
    }
    crate::common::print(&format!(
        "export AWS_CONTAINER_CREDENTIALS_FULL_URI='{}'\nexport AWS_CONTAINER_AUTHORIZATION_TOKEN='{}'\n",
        endpoint.uri(),
        endpoint.token()
    ))?;
    ui::notice(
        quiet,
        &format!(
            "serving {} on http://{addr}/ until Ctrl-C",
            args.profiles.join(", ")
        ),
    );
    endpoint
        .run(args.imds, quiet, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
