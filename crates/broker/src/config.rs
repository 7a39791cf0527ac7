//! broker.toml: the listen address, the database, the console settings, the limits and the
//! catalogue of roles. Every value is checked at load against the same AWS rules as the CLI
//! (ARCHITECTURE.md): role ARNs, durations, session policies (with `${user}` filled with the
//! longest user name allowed, so no learner can push a policy past 2048 characters) and
//! session tags (with the `user` tag the broker adds counted in).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tempcreds_core::rules::{self, Invalid, RoleArn, Tag};

/// The session tag naming the learner on every vended session.
pub const USER_TAG: &str = "user";
/// The placeholder a session policy template may hold.
pub const USER_PLACEHOLDER: &str = "${user}";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Option<String>,
    database: Option<String>,
    region: Option<String>,
    issuer: Option<String>,
    federation_endpoint: Option<String>,
    rate_limit_per_minute: Option<u32>,
    max_body_bytes: Option<usize>,
    max_admin_body_bytes: Option<usize>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    oidc: Option<RawOidc>,
    #[serde(default)]
    roles: BTreeMap<String, RawRole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOidc {
    issuer: String,
    audience: String,
    jwks_url: String,
    user_claim: Option<String>,
}

/// Sign-in with the identity provider's ID tokens (`[oidc]`).
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Must equal the token's `iss`.
    pub issuer: String,
    /// Must be among the token's `aud`.
    pub audience: String,
    /// Where the provider publishes its signing keys.
    pub jwks_url: String,
    /// The claim holding the broker user's name (default `sub`).
    pub user_claim: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    arn: String,
    max_duration: Option<String>,
    session_policy: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// A catalogue role, checked.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub arn: RoleArn,
    /// Seconds; what a learner gets unless they ask for less.
    pub max_duration: u32,
    /// The session policy template, minified; `${user}` is replaced per learner.
    pub session_policy: Option<String>,
    pub tags: Vec<Tag>,
}

impl Role {
    /// The session policy for this learner.
    pub fn policy_for(&self, user: &str) -> Option<String> {
        self.session_policy
            .as_ref()
            .map(|p| p.replace(USER_PLACEHOLDER, user))
    }
}

/// broker.toml, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub database: String,
    pub region: String,
    pub issuer: String,
    pub federation_endpoint: Option<String>,
    pub rate_limit_per_minute: u32,
    pub max_body_bytes: usize,
    /// The limit on the admin routes' bodies (a bulk enrolment of 1,000 learners).
    pub max_admin_body_bytes: usize,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub oidc: Option<OidcConfig>,
    pub roles: BTreeMap<String, Role>,
}

/// Why a config cannot be used: the file, and the key and rule.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("{}: {invalid}", path.display())]
    Invalid { path: PathBuf, invalid: Invalid },
}

/// The longest user name allowed (64 characters, the SourceIdentity limit).
const LONGEST_USER: &str = "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu";

fn role(name: &str, raw: RawRole) -> Result<Role, Invalid> {
    let key = |k: &str| format!("roles.{name}.{k}");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(Invalid::new(
            format!("roles.{name}"),
            "a role name may hold ASCII letters, digits, '-', '_' and '.' only (it is part of the URL)",
        ));
    }
    let arn = rules::role_arn(key("arn"), &raw.arn)?;
    let max_duration = match &raw.max_duration {
        Some(d) => rules::bounded_duration(key("max_duration"), d, 900, 43200)?,
        None => rules::ASSUME_ROLE_DEFAULT_SECONDS,
    };
    let session_policy = match &raw.session_policy {
        Some(text) => {
            let compact = rules::session_policies(key("session_policy"), Some(text), &[])?;
            let widest = text.replace(USER_PLACEHOLDER, LONGEST_USER);
            rules::session_policies(key("session_policy"), Some(&widest), &[]).map_err(|e| {
                Invalid::new(
                    e.field,
                    format!("{} with ${{user}} at its longest (64 characters)", e.rule),
                )
            })?;
            compact
        }
        None => None,
    };
    if raw.tags.keys().any(|k| k.eq_ignore_ascii_case(USER_TAG)) {
        return Err(Invalid::new(
            key("tags"),
            "the \"user\" tag is set by the broker to the learner's name",
        ));
    }
    let mut items: Vec<String> = raw.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    items.push(format!("{USER_TAG}={LONGEST_USER}"));
    let mut tags = rules::tags(key("tags"), &items)?;
    tags.pop();
    Ok(Role {
        name: name.to_owned(),
        arn,
        max_duration,
        session_policy,
        tags,
    })
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path.parent().unwrap_or(Path::new("."))).map_err(|e| match e {
            ParseError::Syntax(message) => ConfigError::Syntax {
                path: path.to_path_buf(),
                message,
            },
            ParseError::Invalid(invalid) => ConfigError::Invalid {
                path: path.to_path_buf(),
                invalid,
            },
        })
    }

    /// `base`: the config file's directory, against which a relative SQLite path is taken.
    pub fn parse(text: &str, base: &Path) -> Result<Self, ParseError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ParseError::Syntax(e.message().to_owned()))?;
        let region = raw
            .region
            .or_else(|| std::env::var("AWS_REGION").ok())
            .unwrap_or_else(|| "us-east-1".to_owned());
        rules::region("region", &region)?;
        let database = match raw.database {
            Some(url) => match tempcreds_store::sqlite_path(&url) {
                Some(path) => sqlite_relative_to(path, base),
                None => url,
            },
            None => sqlite_relative_to("broker.db", base),
        };
        tempcreds_store::Backend::of(&database)
            .map_err(|e| Invalid::new("database", e.to_string()))?;
        let tls = match (raw.tls_cert, raw.tls_key) {
            (Some(c), Some(k)) => Some((base.join(c), base.join(k))),
            (None, None) => None,
            _ => return Err(Invalid::new("tls_cert", "tls_cert and tls_key go together").into()),
        };
        let oidc = raw.oidc.map(oidc).transpose()?;
        let rate = raw.rate_limit_per_minute.unwrap_or(60);
        if rate == 0 {
            return Err(Invalid::new("rate_limit_per_minute", "must be at least 1").into());
        }
        let mut roles = BTreeMap::new();
        for (name, r) in raw.roles {
            roles.insert(name.clone(), role(&name, r)?);
        }
        let listen = raw.listen.unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        check_listen(&listen)?;
        let issuer = raw.issuer.unwrap_or_else(|| "tempcreds-broker".to_owned());
        if issuer.trim().is_empty() {
            return Err(Invalid::new(
                "issuer",
                "must not be empty: the console names it on its sign-out page",
            )
            .into());
        }
        let federation_endpoint = raw
            .federation_endpoint
            .or_else(|| std::env::var("TEMPCREDS_FEDERATION_ENDPOINT").ok());
        if let Some(url) = &federation_endpoint
            && (!(url.starts_with("https://") || url.starts_with("http://"))
                || !url.ends_with("/federation"))
        {
            return Err(Invalid::new(
                "federation_endpoint",
                format!("must be an http(s):// URL ending in /federation (got \"{url}\")"),
            )
            .into());
        }
        let max_body_bytes = raw.max_body_bytes.unwrap_or(16 * 1024);
        let max_admin_body_bytes = raw.max_admin_body_bytes.unwrap_or(1024 * 1024);
        for (key, value) in [
            ("max_body_bytes", max_body_bytes),
            ("max_admin_body_bytes", max_admin_body_bytes),
        ] {
            if value == 0 {
                return Err(Invalid::new(key, "must be at least 1").into());
            }
        }
        Ok(Config {
            listen,
            database,
            region,
            issuer,
            federation_endpoint,
            rate_limit_per_minute: rate,
            max_body_bytes,
            max_admin_body_bytes,
            tls,
            oidc,
            roles,
        })
    }
}

/// `HOST:PORT` with a port that exists: checked at load, before a database is created, so a
/// typo is exit 2 naming the key rather than a failure to bind after everything else.
fn check_listen(value: &str) -> Result<(), Invalid> {
    let ok = value
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            "listen",
            format!(
                "must be HOST:PORT with a port of 0 to 65535, like 127.0.0.1:8080 (got \"{value}\")"
            ),
        ))
    }
}

fn oidc(raw: RawOidc) -> Result<OidcConfig, Invalid> {
    for (key, value) in [
        ("oidc.issuer", &raw.issuer),
        ("oidc.audience", &raw.audience),
    ] {
        if value.trim().is_empty() {
            return Err(Invalid::new(key, "must not be empty"));
        }
    }
    // The keys decide who may sign in: they come over TLS, or from this very machine.
    let url = url::Url::parse(&raw.jwks_url)
        .map_err(|e| Invalid::new("oidc.jwks_url", format!("not a URL: {e}")))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
        return Err(Invalid::new(
            "oidc.jwks_url",
            "must be https:// (http:// only on a loopback address)",
        ));
    }
    Ok(OidcConfig {
        issuer: raw.issuer,
        audience: raw.audience,
        jwks_url: raw.jwks_url,
        user_claim: raw.user_claim.unwrap_or_else(|| "sub".to_owned()),
    })
}

/// `sqlite:broker.db` next to the config, not wherever the broker happens to be started.
fn sqlite_relative_to(path: &str, base: &Path) -> String {
    if path.starts_with('/') || path.starts_with(":memory:") {
        format!("sqlite:{path}")
    } else {
        format!("sqlite:{}", base.join(path).display())
    }
}

#[derive(Debug)]
pub enum ParseError {
    Syntax(String),
    Invalid(Invalid),
}

impl From<Invalid> for ParseError {
    fn from(i: Invalid) -> Self {
        ParseError::Invalid(i)
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
