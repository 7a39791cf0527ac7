//! The credential cache: one encrypted file per typed key in `$TEMPCREDS_CACHE_DIR` (default
//! `$XDG_CACHE_HOME/tempcreds`), written atomically under a lock. An entry within five
//! minutes of expiry is not served (so it is refreshed), an expired one never is, and a
//! corrupted or undecryptable one is ignored and removed, never a crash.
//!
//! Encryption at rest (ChaCha20-Poly1305) uses a key kept outside the cache directory: in
//! the kernel keyring where available, else in a 0600 file in the config directory (see
//! `keystore`). A copied or backed-up cache directory alone reveals nothing. It does not
//! protect against code running as the user (it can read the key too).

mod crypt;
mod key;
mod keystore;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use key::CacheKey;
pub use keystore::KeyStore;

use crate::awsfile::paths::home;
use crate::awsfile::{remove_file_if_exists, replace_file};
use crate::engine::Issued;
use crate::env::Env;
use crate::{Credentials, Error, Origin};

/// Entries this close to expiry are refreshed rather than served.
pub const REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);

/// The cache directory: `TEMPCREDS_CACHE_DIR`, else `$XDG_CACHE_HOME/tempcreds`, else
/// `~/.cache/tempcreds`.
pub fn cache_dir(env: &Env) -> PathBuf {
    if let Some(d) = env.get("TEMPCREDS_CACHE_DIR") {
        return PathBuf::from(d);
    }
    match env.get("XDG_CACHE_HOME") {
        Some(x) => PathBuf::from(x).join("tempcreds"),
        None => home(env).join(".cache/tempcreds"),
    }
}

/// The key file: `$XDG_CONFIG_HOME/tempcreds/cache.key`, else `~/.config/tempcreds/cache.key`.
pub fn key_file(env: &Env) -> PathBuf {
    match env.get("XDG_CONFIG_HOME") {
        Some(x) => PathBuf::from(x).join("tempcreds/cache.key"),
        None => home(env).join(".config/tempcreds/cache.key"),
    }
}

/// What an entry holds once decrypted.
#[derive(Serialize, Deserialize)]
struct Payload {
    label: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: String,
    origin: String,
    /// What AssumeRole returned for role credentials (entries written before it was kept
    /// have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assumed_role_arn: Option<String>,
}

/// One cached entry, as `list` shows it (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub file: PathBuf,
    pub label: String,
    pub expiration: OffsetDateTime,
}

#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    store: KeyStore,
    crypt: crypt::Crypt,
}

impl Cache {
    /// The cache the environment names (directory and key store), its key created on
    /// first use.
    pub fn from_env(env: &Env) -> Result<Self, Error> {
        let dir = cache_dir(env);
        let store = KeyStore::from_env(env, &dir, key_file(env))?;
        Self::open(dir, store)
    }

    /// Opens the cache in `dir` with the key from `store`.
    pub fn open(dir: PathBuf, store: KeyStore) -> Result<Self, Error> {
        let crypt = crypt::Crypt::new(store.load_or_create()?);
        Ok(Self { dir, store, crypt })
    }

    /// Where the key is kept (for `list`).
    pub fn key_store(&self) -> &KeyStore {
        &self.store
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.cred", key.id()))
    }

    /// The cached credentials for `key`, if present, intact, and valid for more than the
    /// refresh margin at `now`. A damaged entry is removed.
    pub fn get(&self, key: &CacheKey, now: OffsetDateTime) -> Option<Credentials> {
        self.get_issued(key, now).map(|i| i.credentials)
    }

    /// As `get`, with the assumed-role ARN recorded beside the credentials.
    pub fn get_issued(&self, key: &CacheKey, now: OffsetDateTime) -> Option<Issued> {
        let path = self.path(key);
        let bytes = std::fs::read(&path).ok()?;
        let Some(p) = self.decode(&bytes, &key.id()) else {
            tracing::warn!(file = %path.display(), "ignoring a damaged cache entry");
            let _ = std::fs::remove_file(&path);
            return None;
        };
        let fresh = usable(p, now);
        if fresh.is_none() {
            tracing::info!(file = %path.display(), "cache entry expires within 5 minutes: refreshing");
        }
        fresh
    }

    /// As `get_issued`, with no side effect at all: a damaged entry is left for
    /// `get_issued` to report and remove (the `credential-process` fast path, which runs
    /// before logging is set up, falls back to the full path on anything but a hit).
    pub fn peek(&self, key: &CacheKey, now: OffsetDateTime) -> Option<Issued> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        usable(self.decode(&bytes, &key.id())?, now)
    }

    /// Stores credentials (they must carry an expiration) under `key`.
    pub fn put(&self, key: &CacheKey, creds: &Credentials) -> Result<(), Error> {
        self.put_issued(
            key,
            &Issued {
                credentials: creds.clone(),
                assumed_role_arn: None,
            },
        )
    }

    /// As `put`, keeping the assumed-role ARN.
    pub fn put_issued(&self, key: &CacheKey, issued: &Issued) -> Result<(), Error> {
        let creds = &issued.credentials;
        let Some(expiration) = creds.expiration_rfc3339() else {
            return Ok(()); // never cache what does not expire
        };
        let payload = Payload {
            label: key.label(),
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret().to_owned(),
            session_token: creds.token().map(str::to_owned),
            expiration,
            origin: origin_name(creds.origin).to_owned(),
            assumed_role_arn: issued.assumed_role_arn.clone(),
        };
        let plain = serde_json::to_vec(&payload)
            .map_err(|e| Error::file("encode", &self.path(key), std::io::Error::other(e)))?;
        let sealed = self.crypt.seal(&plain, key.id().as_bytes());
        replace_file(&self.path(key), &sealed)?;
        Ok(())
    }

    /// Every readable entry (for `list`); damaged ones are skipped.
    pub fn entries(&self) -> Vec<Entry> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<Entry> = dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "cred"))
            .filter_map(|file| {
                let id = file.file_stem()?.to_str()?.to_owned();
                let p = self.decode(&std::fs::read(&file).ok()?, &id)?;
                let expiration = OffsetDateTime::parse(&p.expiration, &Rfc3339).ok()?;
                Some(Entry {
                    file,
                    label: p.label,
                    expiration,
                })
            })
            .collect();
        out.sort_by(|a, b| a.label.cmp(&b.label));
        out
    }

    /// Removes one entry (absent is fine).
    pub fn remove(&self, key: &CacheKey) -> Result<(), Error> {
        remove_file_if_exists(&self.path(key))
    }

    /// Forgets everything: every entry file (readable or not) and the key. Returns how
    /// many entries were readable.
    pub fn clear_all(&self) -> Result<usize, Error> {
        let n = self.entries().len();
        if let Ok(dir) = std::fs::read_dir(&self.dir) {
            for file in dir.filter_map(Result::ok).map(|e| e.path()) {
                if file.extension().is_some_and(|x| x == "cred") {
                    remove_file_if_exists(&file)?;
                }
            }
        }
        self.store.forget()?;
        Ok(n)
    }

    /// Removes the entries `which` selects; returns how many.
    pub fn clear(&self, which: impl Fn(&Entry) -> bool) -> Result<usize, Error> {
        let mut n = 0;
        for e in self.entries().into_iter().filter(|e| which(e)) {
            remove_file_if_exists(&e.file)?;
            n += 1;
        }
        Ok(n)
    }

    fn decode(&self, bytes: &[u8], id: &str) -> Option<Payload> {
        let plain = self.crypt.open(bytes, id.as_bytes())?;
        serde_json::from_slice(&plain).ok()
    }
}

fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::LongTerm => "LongTerm",
        Origin::SessionToken => "SessionToken",
        Origin::AssumedRole { chained: false } => "AssumedRole",
        Origin::AssumedRole { chained: true } => "AssumedRoleChained",
        Origin::FederationToken => "FederationToken",
        Origin::Process => "Process",
        Origin::Broker => "Broker",
    }
}

/// The entry's credentials while valid for more than the refresh margin at `now`.
fn usable(p: Payload, now: OffsetDateTime) -> Option<Issued> {
    let assumed_role_arn = p.assumed_role_arn.clone();
    let creds = to_credentials(p)?;
    if creds.expiration? - now <= REFRESH_MARGIN {
        return None;
    }
    Some(Issued {
        credentials: creds,
        assumed_role_arn,
    })
}

fn to_credentials(p: Payload) -> Option<Credentials> {
    let origin = match p.origin.as_str() {
        "SessionToken" => Origin::SessionToken,
        "AssumedRole" => Origin::AssumedRole { chained: false },
        "AssumedRoleChained" => Origin::AssumedRole { chained: true },
        "FederationToken" => Origin::FederationToken,
        "Process" => Origin::Process,
        "Broker" => Origin::Broker,
        _ => return None,
    };
    Some(Credentials {
        access_key_id: p.access_key_id,
        secret_access_key: SecretString::from(p.secret_access_key),
        session_token: p.session_token.map(SecretString::from),
        expiration: Some(OffsetDateTime::parse(&p.expiration, &Rfc3339).ok()?),
        origin,
    })
}
