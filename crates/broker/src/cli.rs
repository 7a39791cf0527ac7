//! The command line: `serve` and `user add|grant|revoke|list`, each on the config file's
//! database. Names are checked against the STS rules they will be used under (the user name
//! becomes RoleSessionName and SourceIdentity: 2..=64 characters of `[A-Za-z0-9_+=,.@-]`).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use tempcreds_core::provision::iam::SdkIam;
use tempcreds_core::rules;
use tempcreds_core::sts::{SdkSts, SourceSettings};
use tempcreds_store::{SqlStore, Store, StoreError, User, redact_url};
use time::OffsetDateTime;

use crate::Failure;
use crate::api;
use crate::app::{self, App};
use crate::config::{Config, ConfigError};
use crate::limit::Limiter;
use crate::metrics::Metrics;
use crate::oidc::Oidc;
use crate::token;

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
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; prints their token once (only its hash is stored)
    Add {
        /// The user's name: their session name and SourceIdentity in AWS
        name: String,
        /// A catalogue role the user may use (repeatable)
        #[arg(short, long = "grant", value_name = "ROLE")]
        grants: Vec<String>,
        /// May list everyone's sessions, revoke users and read /metrics
        #[arg(long)]
        admin: bool,
    },
    /// Grant more catalogue roles to a user
    Grant {
        name: String,
        #[arg(short, long = "grant", value_name = "ROLE", required = true)]
        grants: Vec<String>,
    },
    /// Revoke a user: no new credentials, and their live AWS sessions stop working
    Revoke { name: String },
    /// List the users, their roles and whether they are revoked
    List,
}

fn config_failure(e: ConfigError) -> Failure {
    let hint = match &e {
        ConfigError::Read { .. } => {
            Some("pass --config PATH, or create broker.toml (README: Broker)")
        }
        _ => None,
    };
    Failure::input(e.to_string(), hint)
}

fn store_failure(e: StoreError) -> Failure {
    match e {
        StoreError::UserExists(_) => Failure::input(
            e.to_string(),
            Some("pick another name, or `user grant` to add roles"),
        ),
        StoreError::NoUser(_) => Failure::input(e.to_string(), Some("tempcreds-broker user list")),
        StoreError::BadUrl(_) => Failure::input(e.to_string(), None),
        e => Failure::runtime(e.to_string()),
    }
}

fn aws_failure(e: tempcreds_core::Error) -> Failure {
    Failure {
        message: e.to_string(),
        hint: e.hint().map(str::to_owned),
        code: e.exit_code(),
    }
}

fn check_grants(config: &Config, grants: &[String]) -> Result<(), Failure> {
    if let Some(bad) = grants.iter().find(|g| !config.roles.contains_key(*g)) {
        let known: Vec<&str> = config.roles.keys().map(String::as_str).collect();
        return Err(Failure::input(
            format!("--grant: no role {bad} in the catalogue of the config file"),
            Some(&format!("the catalogue has: {}", listed(&known))),
        ));
    }
    Ok(())
}

/// `a, b, c`, or `(no roles)`.
fn listed<S: AsRef<str>>(roles: &[S]) -> String {
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

async fn open(config: &Config) -> Result<SqlStore, Failure> {
    SqlStore::open(&config.database).await.map_err(|e| {
        Failure::runtime(format!(
            "cannot open the database {}: {e}",
            redact_url(&config.database)
        ))
    })
}

async fn aws(config: &Config) -> Result<(SdkSts, SdkIam), Failure> {
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
        Command::User(cmd) => user(config, cmd).await,
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

async fn user(config: Config, cmd: UserCommand) -> Result<(), Failure> {
    match cmd {
        UserCommand::Add {
            name,
            grants,
            admin,
        } => {
            rules::source_identity("NAME", &name).map_err(|e| {
                Failure::input(
                    e.to_string(),
                    Some("the name becomes the session name and SourceIdentity in AWS"),
                )
            })?;
            check_grants(&config, &grants)?;
            let store = open(&config).await?;
            let (secret, record) = token::mint();
            let user = User {
                name: name.clone(),
                admin,
                roles: grants,
                created_at: OffsetDateTime::now_utc().unix_timestamp(),
                revoked_at: None,
            };
            store
                .add_user(&user, &record)
                .await
                .map_err(store_failure)?;
            eprintln!("added user {name}; their token is shown once, below: hand it over now");
            println!("{}", secret.expose_secret());
            Ok(())
        }
        UserCommand::Grant { name, grants } => {
            check_grants(&config, &grants)?;
            let store = open(&config).await?;
            store.grant(&name, &grants).await.map_err(store_failure)?;
            eprintln!("granted {} to {name}", grants.join(", "));
            Ok(())
        }
        UserCommand::Revoke { name } => {
            let store = open(&config).await?;
            if store.user(&name).await.map_err(store_failure)?.is_none() {
                return Err(store_failure(StoreError::NoUser(name)));
            }
            let (_, iam) = aws(&config).await?;
            let roles = crate::revoke::user(&config, &store, &iam, &name)
                .await
                .map_err(|e| Failure::runtime(e.to_string()))?;
            eprintln!(
                "revoked {name}: no new credentials; sessions issued before now are denied on: {}",
                listed(&roles)
            );
            Ok(())
        }
        UserCommand::List => {
            let store = open(&config).await?;
            println!("{:<24} {:<6} {:<12} ROLES", "NAME", "ADMIN", "STATUS");
            for u in store.users().await.map_err(store_failure)? {
                let status = if u.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<24} {:<6} {:<12} {}",
                    u.name,
                    if u.admin { "yes" } else { "no" },
                    status,
                    u.roles.join(",")
                );
            }
            Ok(())
        }
    }
}
