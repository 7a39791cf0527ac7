//! `tempcreds-broker user …`: the operator's commands on the broker's users, run on the
//! config file's database — add, grant (with a course window), token (rotate), revoke,
//! list, and import (a class from a CSV file). Every change is one audit row whose actor is
//! `cli`. Input is checked by the same rules as the admin API's (`entry`), with the errors
//! naming this command's flags; bad input is exit 2 with nothing written.

use std::path::PathBuf;

use clap::Subcommand;
use secrecy::ExposeSecret;
use serde_json::json;
use tempcreds_core::rules;
use tempcreds_store::{Change, Grant, Outcome, SqlStore, Store, StoreError, User, UserQuery};

use crate::Failure;
use crate::admin::{self, enrol};
use crate::cli::{aws, listed, open, store_failure};
use crate::config::Config;
use crate::entry::{self, Bad, GrantSpec};
use crate::window::{self, Form};

/// The actor of the command line's audit rows.
pub const ACTOR: &str = "cli";

#[derive(Debug, Clone, clap::Args)]
pub struct Window {
    /// The grants start at this time (RFC 3339, or a date: its UTC midnight)
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// The grants end at this time (RFC 3339, or a date: that whole UTC day included)
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
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
        #[command(flatten)]
        window: Window,
        /// May use the admin API, list everyone's sessions, revoke users and read /metrics
        #[arg(long)]
        admin: bool,
        /// The token stops working after this long (30d, 12h, 90m)
        #[arg(long, value_name = "DURATION")]
        token_ttl: Option<String>,
    },
    /// Grant catalogue roles to a user (a role they hold takes the new window)
    Grant {
        name: String,
        #[arg(short, long = "grant", value_name = "ROLE", required = true)]
        grants: Vec<String>,
        #[command(flatten)]
        window: Window,
    },
    /// Give a user a new token (printed once); their old one stops working at once
    Token {
        name: String,
        /// The new token stops working after this long (default: the old token's expiry)
        #[arg(long, value_name = "DURATION")]
        token_ttl: Option<String>,
    },
    /// Revoke a user: no new credentials, and their live AWS sessions stop working
    Revoke { name: String },
    /// List the users, their roles and windows, and when their tokens expire
    List {
        /// Only the holders of this role
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
    },
    /// Enrol a class from a CSV file: name,roles,not_before,not_after (roles split by ;)
    #[command(
        after_help = "The file starts with its header row. Each row creates its user, or replaces an existing user's grants with the row's. Prints name,status,token,error per row as CSV on stdout (tokens of created users, once)."
    )]
    Import {
        file: PathBuf,
        /// Check every row and print what would happen; change nothing
        #[arg(long)]
        dry_run: bool,
        /// The created users' tokens stop working after this long (30d, 12h, 90m)
        #[arg(long, value_name = "DURATION")]
        token_ttl: Option<String>,
    },
}

fn input(b: Bad) -> Failure {
    Failure::input(b.to_string(), None)
}

/// `--token-ttl`: days (`30d`) or a duration as everywhere else (`12h`, `90m`, `3600`).
pub fn token_ttl(text: &str) -> Result<i64, Failure> {
    let seconds = match text.trim().strip_suffix('d') {
        Some(days) if !days.is_empty() && days.bytes().all(|b| b.is_ascii_digit()) => {
            days.parse::<i64>().ok().and_then(|d| d.checked_mul(86_400))
        }
        _ => rules::parse_duration(text).map(i64::from),
    };
    match seconds {
        Some(s) if s > 0 && s <= 10 * 365 * 86_400 => Ok(s),
        _ => Err(Failure::input(
            format!(
                "--token-ttl: \"{text}\" is not a duration of up to 10 years (examples: 30d, 12h, 90m)"
            ),
            None,
        )),
    }
}

fn expiry(ttl: Option<&str>, now: i64) -> Result<Option<i64>, Failure> {
    ttl.map(|t| token_ttl(t).map(|s| now + s)).transpose()
}

/// `--grant` roles with the command's window, checked against the catalogue.
fn grants(config: &Config, roles: &[String], w: &Window) -> Result<Vec<Grant>, Failure> {
    if roles.is_empty() && (w.from.is_some() || w.until.is_some()) {
        let flag = if w.from.is_some() {
            "--from"
        } else {
            "--until"
        };
        return Err(Failure::input(
            format!("{flag}: a window belongs to the roles given with --grant, and there are none"),
            None,
        ));
    }
    let specs: Vec<GrantSpec> = roles
        .iter()
        .map(|role| GrantSpec {
            role: role.clone(),
            not_before: w.from.clone(),
            not_after: w.until.clone(),
        })
        .collect();
    entry::grants(config, &specs, Form::OrDate, |_, key| {
        match key {
            "not_before" => "--from",
            "not_after" => "--until",
            _ => "--grant",
        }
        .to_owned()
    })
    .map_err(input)
}

/// A change by the command line, described by `detail` (JSON text).
fn change(detail: String) -> Change {
    Change {
        actor: ACTOR.to_owned(),
        at: window::now(),
        client_addr: "local".to_owned(),
        detail,
    }
}

pub async fn run(config: Config, cmd: UserCommand) -> Result<(), Failure> {
    let now = window::now();
    match cmd {
        UserCommand::Add {
            name,
            grants: roles,
            window,
            admin,
            token_ttl,
        } => {
            let expires = expiry(token_ttl.as_deref(), now)?;
            add(
                &config,
                &name,
                &grants(&config, &roles, &window)?,
                admin,
                expires,
                now,
            )
            .await
        }
        UserCommand::Grant {
            name,
            grants: roles,
            window,
        } => grant(&config, &name, &grants(&config, &roles, &window)?).await,
        UserCommand::Token { name, token_ttl } => {
            rotate(&config, &name, expiry(token_ttl.as_deref(), now)?, now).await
        }
        UserCommand::Revoke { name } => revoke(&config, &name).await,
        UserCommand::List { role } => list(&config, role).await,
        UserCommand::Import {
            file,
            dry_run,
            token_ttl,
        } => import(&config, &file, dry_run, token_ttl.as_deref(), now).await,
    }
}

async fn add(
    config: &Config,
    name: &str,
    grants: &[Grant],
    admin: bool,
    expires: Option<i64>,
    now: i64,
) -> Result<(), Failure> {
    entry::name("NAME", name).map_err(|b| {
        Failure::input(
            b.to_string(),
            Some("the name becomes the session name and SourceIdentity in AWS"),
        )
    })?;
    let user = User {
        name: name.to_owned(),
        admin,
        grants: grants.to_vec(),
        created_at: now,
        revoked_at: None,
        token_expires_at: expires,
    };
    let checked = entry::checked(user, expires);
    let e = &checked.enrolment;
    let store = open(config).await?;
    store
        .add_user(&e.user, &e.token, &change(e.detail.clone()))
        .await
        .map_err(store_failure)?;
    eprintln!("added user {name}; their token is shown once, below: hand it over now");
    println!("{}", checked.secret.expose_secret());
    Ok(())
}

async fn grant(config: &Config, name: &str, grants: &[Grant]) -> Result<(), Failure> {
    let detail = json!({ "grants": grants.iter().map(entry::grant_json).collect::<Vec<_>>() });
    let store = open(config).await?;
    let outcome = store
        .grant(name, grants, &change(detail.to_string()))
        .await
        .map_err(store_failure)?;
    let what = if outcome == Outcome::Unchanged {
        "already had"
    } else {
        "granted"
    };
    eprintln!("{name} {what}: {}", described(grants));
    Ok(())
}

async fn rotate(config: &Config, name: &str, asked: Option<i64>, now: i64) -> Result<(), Failure> {
    let store = open(config).await?;
    let user = existing(&store, name).await?;
    let expires = admin::rotated_expiry(asked, user.token_expires_at, now);
    let (secret, record) = crate::token::mint_expiring(expires);
    let detail = json!({ "token_expires_at": expires.map(window::show) });
    store
        .rotate_token(name, &record, &change(detail.to_string()))
        .await
        .map_err(store_failure)?;
    let until = expires.map_or("does not expire".to_owned(), |t| {
        format!("expires at {}", window::show(t))
    });
    eprintln!(
        "{name} has a new token ({until}); the old one no longer works. It is shown once, below:"
    );
    println!("{}", secret.expose_secret());
    Ok(())
}

async fn existing(store: &SqlStore, name: &str) -> Result<User, Failure> {
    store
        .user(name)
        .await
        .map_err(store_failure)?
        .ok_or_else(|| store_failure(StoreError::NoUser(name.to_owned())))
}

/// `lab (2027-01-01T00:00:00Z to 2027-02-01T00:00:00Z), prod (until …)`.
fn described(grants: &[Grant]) -> String {
    let one = |g: &Grant| {
        let window = match (
            g.not_before.map(window::show),
            g.not_after.map(window::show),
        ) {
            (None, None) => return g.role.clone(),
            (Some(from), None) => format!("from {from}"),
            (None, Some(until)) => format!("until {until}"),
            (Some(from), Some(until)) => format!("{from} to {until}"),
        };
        format!("{} ({window})", g.role)
    };
    listed(&grants.iter().map(one).collect::<Vec<_>>())
}

async fn revoke(config: &Config, name: &str) -> Result<(), Failure> {
    let store = open(config).await?;
    existing(&store, name).await?;
    let (_, iam) = aws(config).await?;
    let roles = crate::revoke::user(config, &store, &iam, name, &change("{}".to_owned()))
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?;
    eprintln!(
        "revoked {name}: no new credentials; sessions issued before now are denied on: {}",
        listed(&roles)
    );
    Ok(())
}

async fn list(config: &Config, role: Option<String>) -> Result<(), Failure> {
    let store = open(config).await?;
    let query = UserQuery {
        role,
        ..UserQuery::default()
    };
    println!(
        "{:<24} {:<6} {:<8} {:<21} ROLES",
        "NAME", "ADMIN", "STATUS", "TOKEN EXPIRES"
    );
    for u in store.users(&query).await.map_err(store_failure)? {
        let status = if u.revoked_at.is_some() {
            "revoked"
        } else {
            "active"
        };
        let expires = u.token_expires_at.map_or("never".to_owned(), window::show);
        let admin = if u.admin { "yes" } else { "no" };
        println!(
            "{:<24} {admin:<6} {status:<8} {expires:<21} {}",
            u.name,
            described(&u.grants)
        );
    }
    Ok(())
}

async fn import(
    config: &Config,
    file: &std::path::Path,
    dry_run: bool,
    token_ttl: Option<&str>,
    now: i64,
) -> Result<(), Failure> {
    let expires = expiry(token_ttl, now)?;
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", file.display()), None))?;
    let entries = enrol::from_csv(config, &text, expires, now)
        .map_err(|e| Failure::input(format!("{}: {e}", file.display()), None))?;
    let store = open(config).await?;
    let actor = change(json!({ "import": file.display().to_string() }).to_string());
    let results = enrol::run(&store, entries, &actor, dry_run)
        .await
        .map_err(store_failure)?;
    let mut out = csv::Writer::from_writer(std::io::stdout());
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let written: Result<(), csv::Error> = (|| {
        out.write_record(["name", "status", "token", "error"])?;
        for r in &results {
            *counts.entry(r.status).or_default() += 1;
            let token = r
                .token
                .as_ref()
                .map(|t| t.expose_secret().to_owned())
                .unwrap_or_default();
            out.write_record([
                r.name.as_str(),
                r.status,
                &token,
                r.error.as_deref().unwrap_or_default(),
            ])?;
        }
        out.flush()?;
        Ok(())
    })();
    written.map_err(|e| Failure::runtime(format!("cannot write the results: {e}")))?;
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let mode = if dry_run {
        " (dry run: nothing changed)"
    } else {
        ""
    };
    eprintln!("{} rows: {}{mode}", results.len(), summary.join(", "));
    match counts.get("error") {
        Some(n) => Err(Failure::runtime(format!(
            "{n} of {} rows were refused (their errors are on stdout); the others were {}",
            results.len(),
            if dry_run { "checked" } else { "applied" }
        ))),
        None => Ok(()),
    }
}
