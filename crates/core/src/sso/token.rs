//! The SSO token cache that the AWS CLI v2, botocore and the Rust SDK share:
//! `~/.aws/sso/cache/<SsoSession::cache_key>.json`, read and written in their format, so a
//! token one of them wrote is used by the others. Written atomically, 0600, in a directory
//! tempcreds makes 0700 (botocore creates it 0755).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use crate::awsfile;
use crate::{Env, Error};

/// A cached sign-in: the access token and, for refreshing it, the client registration and
/// the refresh token.
#[derive(Clone)]
pub struct CachedToken {
    pub start_url: String,
    pub region: String,
    pub access_token: SecretString,
    pub expires_at: OffsetDateTime,
    pub registration: Option<Registration>,
    pub refresh_token: Option<SecretString>,
    /// Fields tempcreds does not know (another tool's), kept when the file is rewritten;
    /// never shown, as they may hold secrets too.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .field("expires_at", &self.expires_at)
            .field("registration", &self.registration)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "(redacted)"),
            )
            .finish_non_exhaustive()
    }
}

/// An OIDC client registration (`RegisterClient`), reused until it expires.
#[derive(Clone)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: SecretString,
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The file as the AWS CLI writes it (camelCase). Fields tempcreds does not know are kept
/// when it rewrites the file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    start_url: String,
    region: String,
    access_token: String,
    expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registration_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

/// `expiresAt` as written: RFC 3339 (the AWS CLI v2 and botocore: `…Z`), or the older
/// `2021-01-01T00:00:00UTC` form.
pub fn parse_time(value: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(t);
    }
    let legacy = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]UTC");
    time::PrimitiveDateTime::parse(value, legacy)
        .ok()
        .map(|t| t.assume_utc())
}

/// As botocore writes it (`%Y-%m-%dT%H:%M:%SZ`): whole seconds, `Z` — the Rust SDK refuses
/// `+00:00`.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The cache directory: `~/.aws/sso/cache` (HOME, as botocore's `expanduser` and the Rust
/// SDK read it).
pub fn cache_dir(env: &Env) -> PathBuf {
    PathBuf::from(env.get("HOME").unwrap_or_default())
        .join(".aws")
        .join("sso")
        .join("cache")
}

pub fn path(env: &Env, cache_key: &str) -> PathBuf {
    cache_dir(env).join(format!("{cache_key}.json"))
}

fn damaged(path: &Path, why: &str) -> Error {
    Error::refused(
        format!("the SSO token cache {} is damaged: {why}", path.display()),
        Some("run `tempcreds sso login` to sign in again".to_owned()),
    )
}

/// The cached token, None if there is none. A file that is not a token is an error that
/// says where it is (never its content).
pub fn read(path: &Path) -> Result<Option<CachedToken>, Error> {
    let Some(text) = awsfile::read_to_string_if_exists(path)? else {
        return Ok(None);
    };
    let w: Wire = serde_json::from_str(&text).map_err(|e| damaged(path, &json_problem(&e)))?;
    let expires_at =
        parse_time(&w.expires_at).ok_or_else(|| damaged(path, "expiresAt is not a time"))?;
    let registration = match (w.client_id, w.client_secret, w.registration_expires_at) {
        (Some(id), Some(secret), Some(at)) => Some(Registration {
            client_id: id,
            client_secret: SecretString::from(secret),
            expires_at: parse_time(&at)
                .ok_or_else(|| damaged(path, "registrationExpiresAt is not a time"))?,
        }),
        _ => None,
    };
    Ok(Some(CachedToken {
        start_url: w.start_url,
        region: w.region,
        access_token: SecretString::from(w.access_token),
        expires_at,
        registration,
        refresh_token: w.refresh_token.map(SecretString::from),
        extra: w.other,
    }))
}

/// What is wrong with the JSON, without any of its values: serde's messages for a wrong
/// shape name the field ("missing field `accessToken`"); "invalid type" ones can quote a
/// value, so only their category is said.
fn json_problem(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match e.classify() {
        serde_json::error::Category::Data if text.starts_with("missing field") => {
            text.split(" at line").next().unwrap_or_default().to_owned()
        }
        serde_json::error::Category::Data => {
            format!("a field has the wrong type (line {})", e.line())
        }
        _ => format!("not JSON (line {})", e.line()),
    }
}

/// Writes the token (with the fields tempcreds does not know), atomically, 0600, in a 0700
/// directory.
pub fn write(path: &Path, token: &CachedToken) -> Result<(), Error> {
    let w = Wire {
        start_url: token.start_url.clone(),
        region: token.region.clone(),
        access_token: token.access_token.expose_secret().to_owned(),
        expires_at: format_time(token.expires_at),
        client_id: token.registration.as_ref().map(|r| r.client_id.clone()),
        client_secret: token
            .registration
            .as_ref()
            .map(|r| r.client_secret.expose_secret().to_owned()),
        registration_expires_at: token
            .registration
            .as_ref()
            .map(|r| format_time(r.expires_at)),
        refresh_token: token
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        other: token.extra.clone(),
    };
    let text =
        zeroize::Zeroizing::new(serde_json::to_string(&w).map_err(|e| Error::Transport {
            message: format!("cannot encode the SSO token: {e}"),
            hint: None,
        })?);
    drop(w);
    write_private(path, text.as_bytes())
}

/// Writes a file of the token cache directory atomically, 0600, the directory 0700.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let lock = awsfile::lock_dir_of(path)?;
    private_dir(path)?;
    lock.write(bytes)?;
    Ok(())
}

/// botocore creates `~/.aws/sso/cache` 0755: the directory of tokens is made 0700.
fn private_dir(path: &Path) -> Result<(), Error> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    let meta = std::fs::metadata(dir).map_err(|e| Error::file("read", dir, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::file("make private", dir, e))?;
    }
    Ok(())
}

/// Removes the token file (logout); one already gone is fine.
pub fn remove(path: &Path) -> Result<(), Error> {
    awsfile::remove_file_if_exists(path)
}
