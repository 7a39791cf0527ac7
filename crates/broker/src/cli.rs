//! The command line: `serve`, and the `user` commands (`cli_user`), each on the config
//! file's database; the failures they share, rendered with the flag or key at fault.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tempcreds_core::provision::iam::SdkIam;
use tempcreds_core::sts::{SdkSts, SourceSettings};
use tempcreds_store::{SqlStore, StoreError, redact_url};

use crate::Failure;
use crate::api;
use crate::app::{self, App};
use crate::config::{Config, ConfigError};
use crate::limit::Limiter;
use crate::metrics::Metrics;
use crate::oidc::Oidc;

#[derive(Debug, Parser)]
#[command(
    name = "tempcreds-broker",
    version,
    about = "Vend per-learner temporary AWS credentials and console links over HTTP",
    after_help = "Start: tempcreds-broker user add alice --grant lab   (prints alice's token once)\n       tempcreds-broker serve"
)]
pub struct Args {
    /// The broker's config file (listen address, database, role catalogue)
    #[arg(
        short,
        long,
        global = true,
        env = "TEMPCREDS_BROKER_CONFIG",
        default_value = "broker.toml"
    )]
    pub config: PathBuf,
    /// More log detail (debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API and the web page until SIGINT/SIGTERM
    Serve,
    /// Manage the broker's users
    #[command(subcommand)]
    User(crate::cli_user::UserCommand),
}

pub(crate) fn config_failure(e: ConfigError) -> Failure {
    let hint = match &e {
        ConfigError::Read { .. } => {
            Some("pass --config PATH, or create broker.toml (README: Broker)")
        }
        _ => None,
    };
    Failure::input(e.to_string(), hint)
}

pub(crate) fn store_failure(e: StoreError) -> Failure {
    match e {
        StoreError::UserExists(_) => Failure::input(
            e.to_string(),
            Some("pick another name, or `user grant` to add roles"),
        ),
        StoreError::NoUser(_) => Failure::input(e.to_string(), Some("tempcreds-broker user list")),
        StoreError::Revoked(_) | StoreError::Changed(_) => Failure::input(e.to_string(), None),
        StoreError::BadUrl(_) => Failure::input(e.to_string(), None),
        e => Failure::runtime(e.to_string()),
    }
}

pub(crate) fn aws_failure(e: tempcreds_core::Error) -> Failure {
    Failure {
        message: e.to_string(),
        hint: e.hint().map(str::to_owned),
        code: e.exit_code(),
    }
}

/// `a, b, c`, or `(no roles)`.
pub(crate) fn listed<S: AsRef<str>>(roles: &[S]) -> String {
    if roles.is_empty() {
        "(no roles)".to_owned()
    } else {
        roles
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(crate) async fn open(config: &Config) -> Result<SqlStore, Failure> {
    SqlStore::open(&config.database).await.map_err(|e| {
        Failure::runtime(format!(
            "cannot open the database {}: {e}",
            redact_url(&config.database)
        ))
    })
}

pub(crate) async fn aws(config: &Config) -> Result<(SdkSts, SdkIam), Failure> {
    // The broker runs for days: its own credentials (often a role) must refresh.
    let sts = SdkSts::connect_refreshing(&SourceSettings {
        region: config.region.clone(),
        profile: None,
    })
    .await
    .map_err(aws_failure)?;
    let iam = SdkIam::new(&sts, Box::new(|_| {}));
    Ok((sts, iam))
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let config = Config::load(&args.config).map_err(config_failure)?;
    match args.command {
        Command::Serve => serve(config).await,
        Command::User(cmd) => crate::cli_user::run(config, cmd).await,
    }
}

async fn serve(config: Config) -> Result<(), Failure> {
    // The certificate and key are read first: a bad one is the config's fault (exit 2).
    let tls = match &config.tls {
        Some((cert, key)) => Some(crate::tls::load(cert, key).await?),
        None => None,
    };
    // Then the address: a port in use fails before a database is created.
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| Failure::runtime(format!("cannot listen on {}: {e}", config.listen)))?;
    let store = open(&config).await?;
    let (sts, iam) = aws(&config).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::runtime(e.to_string()))?;
    let oidc = config.oidc.clone().map(Oidc::new);
    if let Some(o) = &oidc {
        o.warm().await;
    }
    let app = Arc::new(App {
        limiter: Limiter::new(config.rate_limit_per_minute),
        metrics: Metrics::new(),
        page: api::page_html(&config),
        oidc,
        config,
        store,
        sts: Arc::new(sts),
        iam,
    });
    // The one line on stdout: scripts and tests read the address from it (port 0 picks one).
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("tempcreds-broker listening on {scheme}://{addr}");
    app::serve(app.clone(), listener, tls)
        .await
        .map_err(|e| Failure::runtime(format!("server: {e}")))?;
    app.store.close().await;
    Ok(())
}
