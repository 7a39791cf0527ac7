//! The long-term key store: where an IAM user's access key lives instead of
//! `~/.aws/credentials`. One seam (`KeyStore`) with three implementations: the system's key
//! store (`native`: the Secret Service on Linux, the Keychain on macOS), an encrypted file
//! (`file`), and an in-memory fake for the hermetic tests. Which one a run uses is decided once (`Choice`), and the store is
//! opened only when a key is needed (`Lazy`), so a cache hit never touches it.
//!
//! A profile says that its keys are stored with the line the AWS CLI and SDKs run,
//! `credential_process = tempcreds credential-process NAME`; tempcreds recognises that line
//! (`is_own_process`) and reads the store itself instead of running itself.

mod file;
mod memory;
mod native;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use file::FileStore;
pub use memory::MemoryStore;
pub use native::NativeStore;

use crate::env::Env;
use crate::rules::Invalid;
use crate::{Credentials, Error, Origin};

/// Keys older than this are reported by `keys list` and `whoami` (IAM's own credential
/// report flags keys unrotated for 90 days; CIS AWS Foundations 1.14).
pub const ROTATE_AFTER: time::Duration = time::Duration::days(90);

/// The marker the engine's cache keys use for a stored source instead of its key id (the
/// id is inside the store, which a cache hit must not open). Sessions made from a stored
/// key are forgotten explicitly whenever that key changes (add, rotate, remove).
pub const STORED_KEY_MARKER: &str = "key-store";

/// One stored long-term key.
#[derive(Clone)]
pub struct StoredKey {
    pub access_key_id: String,
    pub secret: SecretString,
    /// When the key was created (IAM's CreateDate when known, else when it was stored).
    pub created: OffsetDateTime,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"** redacted **")
            .field("created", &self.created)
            .finish()
    }
}

impl StoredKey {
    /// The key as credentials that sign requests (long-term: no token, no expiry).
    pub fn credentials(&self) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret.clone(),
            session_token: None,
            expiration: None,
            origin: Origin::LongTerm,
        }
    }

    /// Whether the key is past `ROTATE_AFTER` at `now`.
    pub fn is_old(&self, now: OffsetDateTime) -> bool {
        past_rotation(self.created, now)
    }
}

/// The one rule for "rotate this key": created more than `ROTATE_AFTER` before `now`.
fn past_rotation(created: OffsetDateTime, now: OffsetDateTime) -> bool {
    now - created > ROTATE_AFTER
}

/// What a store says about a key without its secret (`keys list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub profile: String,
    pub access_key_id: String,
    pub created: OffsetDateTime,
}

impl Listed {
    /// Whether the key is past `ROTATE_AFTER` at `now`.
    pub fn is_old(&self, now: OffsetDateTime) -> bool {
        past_rotation(self.created, now)
    }
}

/// A key as the stores serialise it (inside their encryption: never written in the clear).
#[derive(Serialize, Deserialize)]
struct Record {
    access_key_id: String,
    secret_access_key: String,
    /// RFC 3339.
    created: String,
}

impl Record {
    fn of(key: &StoredKey) -> Self {
        Self {
            access_key_id: key.access_key_id.clone(),
            secret_access_key: key.secret.expose_secret().to_owned(),
            created: crate::credentials::rfc3339(key.created),
        }
    }

    /// None for a record whose date does not parse (a damaged store).
    fn to_key(&self) -> Option<StoredKey> {
        let created = OffsetDateTime::parse(&self.created, &Rfc3339).ok()?;
        Some(StoredKey {
            access_key_id: self.access_key_id.clone(),
            secret: SecretString::from(self.secret_access_key.as_str()),
            created,
        })
    }

    fn listed(&self, profile: &str) -> Option<Listed> {
        Some(Listed {
            profile: profile.to_owned(),
            access_key_id: self.access_key_id.clone(),
            created: OffsetDateTime::parse(&self.created, &Rfc3339).ok()?,
        })
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret_access_key);
    }
}

/// The store seam. Every method may fail with the store's own error (exit 1), or with a
/// refusal (exit 2) for a wrong passphrase.
pub trait KeyStore: Send + Sync {
    /// Where the keys are, for messages: "the Secret Service", "the key store file PATH".
    fn describe(&self) -> String;
    /// The store's short name, as `TEMPCREDS_KEY_STORE` spells it (`keys list`).
    fn kind(&self) -> &'static str;
    fn get(&self, profile: &str) -> Result<Option<StoredKey>, Error>;
    /// Stores (or replaces) the key of `profile`.
    fn put(&self, profile: &str, key: &StoredKey) -> Result<(), Error>;
    /// Removes the key of `profile`; false when there was none.
    fn remove(&self, profile: &str) -> Result<bool, Error>;
    fn list(&self) -> Result<Vec<Listed>, Error>;
}

/// Where the file store's passphrase comes from (the CLI: a variable, else the terminal).
pub trait Passphrase: Send + Sync {
    /// The passphrase of the store at `path`; `creating` when the file does not exist yet
    /// (the terminal then asks twice).
    fn passphrase(&self, path: &std::path::Path, creating: bool) -> Result<SecretString, Error>;
}

/// Which store a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    SecretService,
    File(PathBuf),
    /// Unset: the Secret Service when the session bus offers one, else this file.
    Auto(PathBuf),
}

/// The store the environment asks for: `TEMPCREDS_KEY_STORE` (`secret-service` or `file`;
/// unset: auto), the file at `TEMPCREDS_KEY_STORE_FILE`, else
/// `$XDG_DATA_HOME/tempcreds/keys.json`, else `~/.local/share/tempcreds/keys.json`.
pub fn choice(env: &Env) -> Result<Choice, Invalid> {
    let file = match (
        env.get("TEMPCREDS_KEY_STORE_FILE"),
        env.get("XDG_DATA_HOME"),
    ) {
        (Some(f), _) => PathBuf::from(f),
        (None, Some(x)) => PathBuf::from(x).join("tempcreds/keys.json"),
        (None, None) => crate::awsfile::paths::home(env).join(".local/share/tempcreds/keys.json"),
    };
    match env.get("TEMPCREDS_KEY_STORE") {
        None | Some("") => Ok(Choice::Auto(file)),
        Some("file") => Ok(Choice::File(file)),
        Some("secret-service") => Ok(Choice::SecretService),
        Some(other) => Err(Invalid::new(
            "TEMPCREDS_KEY_STORE",
            format!("must be secret-service or file (got {other:?})"),
        )),
    }
}

/// Opens the chosen store (auto: asks the session bus whether a Secret Service answers).
pub fn open(choice: &Choice, passphrase: Box<dyn Passphrase>) -> Result<Box<dyn KeyStore>, Error> {
    Ok(match choice {
        Choice::SecretService => Box::new(NativeStore::connect()?),
        Choice::File(path) => Box::new(FileStore::new(path.clone(), passphrase)),
        Choice::Auto(path) => match NativeStore::offered() {
            Some(ss) => Box::new(ss),
            None => Box::new(FileStore::new(path.clone(), passphrase)),
        },
    })
}

/// A store opened on first use: commands hold one, and only those that read or write a key
/// open it (and ask for a passphrase).
pub struct Lazy<'a> {
    open: Box<dyn Fn() -> Result<Box<dyn KeyStore>, Error> + Send + Sync + 'a>,
    store: OnceLock<Box<dyn KeyStore>>,
}

impl fmt::Debug for Lazy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("keys::Lazy")
    }
}

impl<'a> Lazy<'a> {
    pub fn new(open: impl Fn() -> Result<Box<dyn KeyStore>, Error> + Send + Sync + 'a) -> Self {
        Self {
            open: Box::new(open),
            store: OnceLock::new(),
        }
    }

    /// The store, opened now if it was not yet.
    pub fn store(&self) -> Result<&dyn KeyStore, Error> {
        if let Some(s) = self.store.get() {
            return Ok(s.as_ref());
        }
        let opened = (self.open)()?;
        Ok(self.store.get_or_init(|| opened).as_ref())
    }
}

impl KeyStore for Lazy<'_> {
    fn describe(&self) -> String {
        self.store()
            .map_or_else(|_| "the key store".to_owned(), |s| s.describe())
    }
    fn kind(&self) -> &'static str {
        self.store().map_or("unknown", |s| s.kind())
    }
    fn get(&self, profile: &str) -> Result<Option<StoredKey>, Error> {
        self.store()?.get(profile)
    }
    fn put(&self, profile: &str, key: &StoredKey) -> Result<(), Error> {
        self.store()?.put(profile, key)
    }
    fn remove(&self, profile: &str) -> Result<bool, Error> {
        self.store()?.remove(profile)
    }
    fn list(&self) -> Result<Vec<Listed>, Error> {
        self.store()?.list()
    }
}

/// No store at all (the broker, whose sources are its own credentials).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStore;

impl KeyStore for NoStore {
    fn describe(&self) -> String {
        "no key store".to_owned()
    }
    fn kind(&self) -> &'static str {
        "none"
    }
    fn get(&self, _: &str) -> Result<Option<StoredKey>, Error> {
        Ok(None)
    }
    fn put(&self, _: &str, _: &StoredKey) -> Result<(), Error> {
        Err(Error::refused("this service keeps no long-term keys", None))
    }
    fn remove(&self, _: &str) -> Result<bool, Error> {
        Ok(false)
    }
    fn list(&self) -> Result<Vec<Listed>, Error> {
        Ok(Vec::new())
    }
}

/// The `credential_process` line that sends the AWS CLI and SDKs to the store for `profile`.
pub fn process_line(profile: &str) -> String {
    format!("tempcreds credential-process {profile}")
}

/// Whether `command` is tempcreds' own `credential-process` for `profile` (the line
/// `process_line` writes, or the same with the binary's path), so that tempcreds reads the
/// store rather than running itself.
pub fn is_own_process(command: &str, profile: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    match words.as_slice() {
        [bin, "credential-process", name] => {
            (*bin == "tempcreds" || bin.ends_with("/tempcreds")) && *name == profile
        }
        _ => false,
    }
}
