//! Bulk enrolment: a class at once, from the API (`POST /v1/admin/enrol`, a JSON array) or
//! a CSV file (`user import`). Each entry creates its user (with a token, returned once) or
//! replaces an existing user's grants with its own; the answer has one result per entry, in
//! order. A bad entry is its own result — naming its row (1-based, a CSV's header not
//! counted) and field — and stops no other; the good ones go to the store in one
//! transaction (a thousand commits would be a thousand fsyncs).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Query, State};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use tempcreds_core::sts::Sts;
use tempcreds_store::{Change, Grant, Outcome, Store, StoreError, User};

use crate::app::App;
use crate::auth::Admin;
use crate::config::Config;
use crate::entry::{self, Bad, Checked, GrantSpec, NewUser};
use crate::error::ApiError;
use crate::window::Form;

/// The most entries one call takes.
pub const MAX_ENTRIES: usize = 1000;

/// The columns a learners CSV file starts with, in this order.
pub const CSV_HEADER: [&str; 4] = ["name", "roles", "not_before", "not_after"];

/// One entry as read: the name it gives (for the result) and the checked user or why not.
pub type Entry = (String, Result<Checked, Bad>);

/// What became of one entry.
#[derive(Debug)]
pub struct Enrolled {
    pub name: String,
    /// `created`, `updated`, `unchanged` or `error`.
    pub status: &'static str,
    /// For a created user only.
    pub token: Option<SecretString>,
    pub error: Option<String>,
}

impl Enrolled {
    pub fn json(&self) -> Value {
        let mut v = json!({ "name": self.name, "status": self.status });
        if let Some(t) = &self.token {
            v["token"] = json!(t.expose_secret());
        }
        if let Some(e) = &self.error {
            v["error"] = json!(e);
        }
        v
    }
}

fn failed(name: String, row: usize, why: impl std::fmt::Display) -> Enrolled {
    Enrolled {
        name,
        status: "error",
        token: None,
        error: Some(format!("row {row}: {why}")),
    }
}

/// Applies the entries (or, with `dry_run`, says what applying them would do).
pub async fn run<S: Store>(
    store: &S,
    entries: Vec<Entry>,
    actor: &Change,
    dry_run: bool,
) -> Result<Vec<Enrolled>, StoreError> {
    let mut out: Vec<Option<Enrolled>> = Vec::with_capacity(entries.len());
    let mut first_row: HashMap<String, usize> = HashMap::new();
    let mut good: Vec<(usize, Checked)> = Vec::new();
    for (i, (name, checked)) in entries.into_iter().enumerate() {
        let row = i + 1;
        match checked {
            Err(bad) => out.push(Some(failed(name, row, bad))),
            Ok(c) => match first_row.get(&name) {
                // A second entry for one user would silently undo the first.
                Some(earlier) => out.push(Some(failed(
                    name,
                    row,
                    format!(
                        "name: {} is enrolled by row {earlier} already",
                        c.enrolment.user.name
                    ),
                ))),
                None => {
                    first_row.insert(name, row);
                    good.push((i, c));
                    out.push(None);
                }
            },
        }
    }
    let batch: Vec<_> = good.iter().map(|(_, c)| c.enrolment.clone()).collect();
    let outcomes = store.enrol(&batch, actor, dry_run).await?;
    for ((i, c), outcome) in good.into_iter().zip(outcomes) {
        let name = c.enrolment.user.name.clone();
        out[i] = Some(match outcome {
            Ok(o) => Enrolled {
                name,
                status: o.as_str(),
                token: (o == Outcome::Created && !dry_run).then_some(c.secret),
                error: None,
            },
            Err(e) => failed(name, i + 1, format!("name: {e}")),
        });
    }
    Ok(out.into_iter().flatten().collect())
}

#[derive(Debug, Deserialize)]
pub struct EnrolQuery {
    #[serde(default)]
    dry_run: bool,
}

/// `POST /v1/admin/enrol[?dry_run=true]`: a JSON array of users, at most 1,000.
pub async fn enrol<S: Store, T: Sts + Send + Sync>(
    State(app): State<Arc<App<S, T>>>,
    Admin(admin): Admin,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<EnrolQuery>,
    got: Result<Json<Vec<Value>>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let items = super::body(got)?;
    if items.len() > MAX_ENTRIES {
        return Err(ApiError::Unprocessable(format!(
            "at most {MAX_ENTRIES} entries per call (this one has {}): send the class in parts",
            items.len()
        )));
    }
    let now = crate::window::now();
    let entries: Vec<Entry> = items
        .into_iter()
        .map(|item| {
            let name = item
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let checked = serde_json::from_value::<NewUser>(item)
                .map_err(|e| Bad {
                    field: "entry".to_owned(),
                    rule: e.to_string(),
                })
                .and_then(|new| entry::from_api(&app.config, &new, now));
            (name, checked)
        })
        .collect();
    let actor = super::change(&admin, addr, "{}".to_owned());
    let results = run(&app.store, entries, &actor, q.dry_run).await?;
    let created = results.iter().filter(|r| r.status == "created").count();
    tracing::info!(by = %admin.name, entries = results.len(), created, dry_run = q.dry_run, "enrolled");
    Ok(Json(
        json!({ "results": results.iter().map(Enrolled::json).collect::<Vec<_>>() }),
    ))
}

/// A learners CSV file: `name,roles,not_before,not_after` (roles separated by `;`, times
/// RFC 3339 or a UTC date), its header first. A row that is wrong is its own error; a file
/// that is not such a CSV at all is the `Err`.
pub fn from_csv(
    config: &Config,
    text: &str,
    token_expires_at: Option<i64>,
    now: i64,
) -> Result<Vec<Entry>, String> {
    // Spreadsheets save UTF-8 CSV with a byte-order mark before the header.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| e.to_string())?;
    let names: Vec<&str> = header.iter().collect();
    if names != CSV_HEADER {
        return Err(format!(
            "the first row must be the header {} (it is {})",
            CSV_HEADER.join(","),
            names.join(",")
        ));
    }
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let field = |i: usize| record.get(i).unwrap_or_default();
        let name = field(0).to_owned();
        let checked = if record.len() != CSV_HEADER.len() {
            Err(Bad {
                field: "columns".to_owned(),
                rule: format!("{} fields, where the header has 4", record.len()),
            })
        } else {
            row(config, &record, token_expires_at, now)
        };
        entries.push((name, checked));
    }
    Ok(entries)
}

fn row(
    config: &Config,
    r: &csv::StringRecord,
    token_expires_at: Option<i64>,
    now: i64,
) -> Result<Checked, Bad> {
    let get = |i: usize| r.get(i).filter(|v| !v.is_empty()).map(str::to_owned);
    let name = r.get(0).unwrap_or_default();
    entry::name("name", name)?;
    let specs: Vec<GrantSpec> = r
        .get(1)
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|role| !role.is_empty())
        .map(|role| GrantSpec {
            role: role.to_owned(),
            not_before: get(2),
            not_after: get(3),
        })
        .collect();
    let grants: Vec<Grant> = entry::grants(config, &specs, Form::OrDate, |_, key| match key {
        "role" => "roles".to_owned(),
        other => other.to_owned(),
    })?;
    let user = User {
        name: name.to_owned(),
        admin: false,
        grants,
        created_at: now,
        revoked_at: None,
        token_expires_at,
    };
    Ok(entry::checked(user, token_expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let text = "[roles.lab]\narn = \"arn:aws:iam::123456789012:role/Lab\"\n";
        Config::parse(text, std::path::Path::new("/tmp")).expect("config")
    }

    fn statuses(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|(name, c)| match c {
                Ok(_) => format!("{name}: ok"),
                Err(b) => format!("{name}: {b}"),
            })
            .collect()
    }

    #[test]
    fn a_spreadsheet_csv_reads_as_written_and_each_bad_row_is_its_own() {
        let text = "\u{feff}name,roles,not_before,not_after\r\n\"ada\", lab ,,2027-01-31\r\nbob,lab,x\r\n,lab,,\r\n";
        let entries = from_csv(&config(), text, None, 0).expect("a learners file");
        assert_eq!(
            statuses(&entries),
            [
                "ada: ok",
                "bob: columns: 3 fields, where the header has 4",
                ": name: must be 2 to 64 characters of A-Z a-z 0-9 _+=,.@- (got 0)",
            ]
        );
        let Ok(ada) = &entries[0].1 else {
            panic!("ada")
        };
        assert_eq!(ada.enrolment.user.grants[0].not_after, Some(1_801_440_000));
        let e = from_csv(&config(), "name,role\nada,lab\n", None, 0).expect_err("header");
        assert!(e.contains("the first row must be the header"), "{e}");
    }
}
