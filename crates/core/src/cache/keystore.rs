//! Where the cache's encryption key lives: the Linux kernel keyring where the system
//! allows it (keyrings(7), the user keyring `@u`), otherwise a 0600 file in the config
//! directory. `TEMPCREDS_CACHE_KEY_STORE=auto|keyring|file` chooses; `auto` is the default.
//!
//! The kernel keyring keeps the key out of every file: a backup, a copied home directory or
//! a stolen disk holds only ciphertext. It is per user and in memory, so the key (and with
//! it the cached sessions) is gone after a reboot; the next run makes a new key and asks
//! STS again. Lookups are two system calls, which keeps a `credential-process` cache hit
//! cheap; a desktop Secret Service would cost a D-Bus round trip on every hit.

use std::path::{Path, PathBuf};

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{KeyInit, OsRng};
use secrecy::SecretBox;
use secrecy::zeroize::Zeroize;

use crate::Error;
use crate::awsfile::lock_dir_of;
use crate::env::Env;
use crate::rules::Invalid;

pub(crate) type Key = SecretBox<[u8; 32]>;

/// Where the key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStore {
    /// The kernel user keyring, under this description (one key per cache directory).
    Keyring {
        description: String,
        cache_dir: PathBuf,
    },
    /// A 0600 file holding 64 hex characters.
    File(PathBuf),
}

impl KeyStore {
    /// The store `TEMPCREDS_CACHE_KEY_STORE` asks for (`auto` when unset): in `auto`, the kernel
    /// keyring if this system lets us use it (containers often forbid the key system
    /// calls), else the key file.
    pub fn from_env(env: &Env, cache_dir: &Path, key_file: PathBuf) -> Result<Self, Invalid> {
        let keyring = || KeyStore::Keyring {
            description: format!("tempcreds:cache-key:{}", cache_dir.display()),
            cache_dir: cache_dir.to_path_buf(),
        };
        match env.get("TEMPCREDS_CACHE_KEY_STORE").unwrap_or("auto") {
            "file" => Ok(KeyStore::File(key_file)),
            "keyring" => Ok(keyring()),
            "auto" if keyring_available() => Ok(keyring()),
            "auto" => Ok(KeyStore::File(key_file)),
            other => Err(Invalid::new(
                "TEMPCREDS_CACHE_KEY_STORE",
                format!("must be auto, keyring or file (got {other:?})"),
            )),
        }
    }

    /// For `list`: where the key is.
    pub fn describe(&self) -> String {
        match self {
            KeyStore::Keyring { description, .. } => {
                format!("kernel keyring (@u, \"{description}\")")
            }
            KeyStore::File(path) => format!("file {}", path.display()),
        }
    }

    /// The key, created on first use. Creation happens under the directory lock, so two
    /// first runs at once agree on one key. A damaged key is replaced: the cache is only a
    /// cache, and entries sealed with the old key are then ignored and refreshed.
    pub(crate) fn load_or_create(&self) -> Result<Key, Error> {
        if let Some(key) = self.load()? {
            return Ok(key);
        }
        let anchor = match self {
            KeyStore::Keyring { cache_dir, .. } => cache_dir.join("key"),
            KeyStore::File(path) => path.clone(),
        };
        let lock = lock_dir_of(&anchor)?;
        if let Some(key) = self.load()? {
            return Ok(key);
        }
        let mut fresh: [u8; 32] = ChaCha20Poly1305::generate_key(&mut OsRng).into();
        let key = Key::new(Box::new(fresh));
        let stored = match self {
            KeyStore::Keyring { description, .. } => keyring::store(description, &fresh),
            KeyStore::File(_) => {
                let mut hex = hex(&fresh);
                let written = lock.write(hex.as_bytes());
                hex.zeroize();
                written.map(drop)
            }
        };
        fresh.zeroize();
        stored?;
        Ok(key)
    }

    /// Forgets the key (for `clear` of everything). Absent is fine.
    pub fn forget(&self) -> Result<(), Error> {
        match self {
            KeyStore::Keyring { description, .. } => keyring::forget(description),
            KeyStore::File(path) => crate::awsfile::remove_file_if_exists(path),
        }
    }

    fn load(&self) -> Result<Option<Key>, Error> {
        match self {
            KeyStore::Keyring { description, .. } => keyring::load(description),
            KeyStore::File(path) => Ok(load_file(path)),
        }
    }
}

fn load_file(path: &Path) -> Option<Key> {
    use std::os::unix::fs::PermissionsExt;
    let mut text = std::fs::read_to_string(path).ok()?;
    let key = parse_hex(text.trim());
    text.zeroize();
    match key {
        Some(k) => {
            // Tighten a key file that became readable by others.
            if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
            }
            Some(Key::new(Box::new(k)))
        }
        None => {
            tracing::warn!(file = %path.display(), "the cache key file is damaged: making a new key");
            None
        }
    }
}

fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

#[cfg(target_os = "linux")]
fn keyring_available() -> bool {
    keyring::user_ring().is_ok()
}

#[cfg(not(target_os = "linux"))]
fn keyring_available() -> bool {
    false
}

#[cfg(target_os = "linux")]
mod keyring {
    use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
    use secrecy::zeroize::Zeroize;

    use super::Key;
    use crate::Error;

    /// Absent, or on its way out: an invalidated key stays linked until the kernel's
    /// garbage collector runs, and a search finds it as revoked meanwhile (a `clear`
    /// followed at once by another run sees exactly that).
    fn gone(e: &KeyError) -> bool {
        matches!(
            e,
            KeyError::KeyDoesNotExist | KeyError::KeyRevoked | KeyError::KeyExpired
        )
    }

    /// The user keyring, looked up once per process: `auto` asks whether it is there, then
    /// the key is read from it, and a credential_process hit should not pay twice.
    pub(super) fn user_ring() -> Result<KeyRing, KeyError> {
        static RING: std::sync::OnceLock<Result<KeyRing, KeyError>> = std::sync::OnceLock::new();
        *RING.get_or_init(|| KeyRing::from_special_id(KeyRingIdentifier::User, true))
    }

    fn failed(what: &'static str, e: KeyError) -> Error {
        Error::file(
            what,
            std::path::Path::new("kernel keyring @u"),
            std::io::Error::other(format!(
                "{e} (set TEMPCREDS_CACHE_KEY_STORE=file to use a key file)"
            )),
        )
    }

    pub(super) fn load(description: &str) -> Result<Option<Key>, Error> {
        let ring = user_ring().map_err(|e| failed("open", e))?;
        let key = match ring.search(description) {
            Ok(k) => k,
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(failed("search", e)),
        };
        let mut bytes = key.read_to_vec().map_err(|e| failed("read", e))?;
        let out = <[u8; 32]>::try_from(bytes.as_slice())
            .ok()
            .map(|k| Key::new(Box::new(k)));
        bytes.zeroize();
        if out.is_none() {
            tracing::warn!(
                description,
                "the cache key in the keyring is damaged: making a new key"
            );
        }
        Ok(out)
    }

    pub(super) fn store(description: &str, key: &[u8; 32]) -> Result<(), Error> {
        let ring = user_ring().map_err(|e| failed("open", e))?;
        // add_key replaces a key of the same description in place.
        let stored = ring
            .add_key(description, key)
            .map_err(|e| failed("add", e))?;
        // Readable by this user's processes even where they do not "possess" the user
        // keyring (a login session whose session keyring does not link it); no one else.
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(
                Permission::VIEW
                    | Permission::READ
                    | Permission::WRITE
                    | Permission::SEARCH
                    | Permission::SETATTR,
            )
            .build();
        stored
            .set_perms(perms)
            .map_err(|e| failed("set permissions on", e))
    }

    pub(super) fn forget(description: &str) -> Result<(), Error> {
        let ring = user_ring().map_err(|e| failed("open", e))?;
        match ring.search(description) {
            Ok(k) => k.invalidate().map_err(|e| failed("remove", e)),
            Err(e) if gone(&e) => Ok(()),
            Err(e) => Err(failed("search", e)),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod keyring {
    use super::Key;
    use crate::Error;

    fn unsupported() -> Error {
        Error::file(
            "use",
            std::path::Path::new("kernel keyring"),
            std::io::Error::other("only on Linux (set TEMPCREDS_CACHE_KEY_STORE=file)"),
        )
    }
    pub(super) fn load(_: &str) -> Result<Option<Key>, Error> {
        Err(unsupported())
    }
    pub(super) fn store(_: &str, _: &[u8; 32]) -> Result<(), Error> {
        Err(unsupported())
    }
    pub(super) fn forget(_: &str) -> Result<(), Error> {
        Err(unsupported())
    }
}
