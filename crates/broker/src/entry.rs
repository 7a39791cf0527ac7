//! A user as an administrator describes one — through the API, a CSV file or the command
//! line — checked once into the store's values: the name by the rules it will be used under
//! (RoleSessionName and SourceIdentity: 2..=64 of `[A-Za-z0-9_+=,.@-]`), each role against
//! the catalogue, each window against the 15-minute minimum, a token expiry in the future.
//! Errors name the field as the source names it (`grants[1].role`, `roles`, `--grant`),
//! which each caller passes in.

use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use tempcreds_core::rules;
use tempcreds_store::{Enrolment, Grant, User};

use crate::config::Config;
use crate::token;
use crate::window::{self, Form, Side};

/// A field and the rule it broke: `grants[0].role: no role x in the catalogue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad {
    pub field: String,
    pub rule: String,
}

impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

fn bad(field: impl Into<String>, rule: impl Into<String>) -> Bad {
    Bad {
        field: field.into(),
        rule: rule.into(),
    }
}

/// One grant as written: a role and optional bounds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantSpec {
    pub role: String,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
}

/// A user as the API and bulk enrolment take one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    #[serde(default)]
    pub grants: Vec<GrantSpec>,
    #[serde(default)]
    pub admin: bool,
    pub token_expires_at: Option<String>,
}

/// The user's name, checked.
pub fn name(field: &str, name: &str) -> Result<(), Bad> {
    rules::source_identity(field, name).map_err(|e| bad(field, e.rule))
}

/// Grants checked against the catalogue; `field(i)` names the i-th grant's source.
pub fn grants(
    config: &Config,
    specs: &[GrantSpec],
    form: Form,
    field: impl Fn(usize, &str) -> String,
) -> Result<Vec<Grant>, Bad> {
    let mut out: Vec<Grant> = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        if !config.roles.contains_key(&spec.role) {
            let known: Vec<&str> = config.roles.keys().map(String::as_str).collect();
            return Err(bad(
                field(i, "role"),
                format!(
                    "no role {} in the catalogue (it has: {})",
                    spec.role,
                    known.join(", ")
                ),
            ));
        }
        if out.iter().any(|g| g.role == spec.role) {
            return Err(bad(
                field(i, "role"),
                format!("role {} is granted twice", spec.role),
            ));
        }
        let bound = |text: &Option<String>, key: &str, side| {
            text.as_deref()
                .map(|t| window::parse(t, side, form).map_err(|rule| bad(field(i, key), rule)))
                .transpose()
        };
        let grant = Grant {
            role: spec.role.clone(),
            not_before: bound(&spec.not_before, "not_before", Side::NotBefore)?,
            not_after: bound(&spec.not_after, "not_after", Side::NotAfter)?,
        };
        window::check(&grant).map_err(|rule| bad(field(i, "not_after"), rule))?;
        out.push(grant);
    }
    Ok(out)
}

/// A token expiry: in the future.
pub fn token_expiry(field: &str, text: &str, form: Form, now: i64) -> Result<i64, Bad> {
    let at = window::parse(text, Side::NotAfter, form).map_err(|rule| bad(field, rule))?;
    if at <= now {
        return Err(bad(
            field,
            format!("{} is not in the future", window::show(at)),
        ));
    }
    Ok(at)
}

/// The JSON of a grant, as the API shows it and the audit log describes it.
pub fn grant_json(g: &Grant) -> Value {
    json!({
        "role": g.role,
        "not_before": g.not_before.map(window::show),
        "not_after": g.not_after.map(window::show),
    })
}

/// A checked user, ready to store, with the token to hand over if they are created.
#[derive(Debug)]
pub struct Checked {
    pub enrolment: Enrolment,
    pub secret: SecretString,
}

/// A new user from checked parts: their first token minted, the audit detail written.
pub fn checked(user: User, token_expires_at: Option<i64>) -> Checked {
    let (secret, record) = token::mint_expiring(token_expires_at);
    let detail = json!({
        "admin": user.admin,
        "grants": user.grants.iter().map(grant_json).collect::<Vec<_>>(),
        "token_expires_at": token_expires_at.map(window::show),
    })
    .to_string();
    Checked {
        enrolment: Enrolment {
            user,
            token: record,
            detail,
        },
        secret,
    }
}

/// A `NewUser` from the API (errors name fields as its JSON does).
pub fn from_api(config: &Config, new: &NewUser, now: i64) -> Result<Checked, Bad> {
    name("name", &new.name)?;
    let grants = grants(config, &new.grants, Form::Rfc3339, |i, key| {
        format!("grants[{i}].{key}")
    })?;
    let expires = new
        .token_expires_at
        .as_deref()
        .map(|t| token_expiry("token_expires_at", t, Form::Rfc3339, now))
        .transpose()?;
    let user = User {
        name: new.name.clone(),
        admin: new.admin,
        grants,
        created_at: now,
        revoked_at: None,
        token_expires_at: expires,
    };
    Ok(checked(user, expires))
}
