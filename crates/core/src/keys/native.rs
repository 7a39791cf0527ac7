//! The operating system's key store, through one crate family (keyring-core and its stores):
//! on Linux the freedesktop Secret Service (GNOME Keyring, KWallet, KeePassXC) over D-Bus
//! in pure Rust (zbus-secret-service-keyring-store: the default collection, a locked one
//! unlocked through the service's own prompt, secrets sent over a Diffie-Hellman session);
//! on macOS the login Keychain (apple-native-keyring-store; built there, not on this
//! project's Linux machines). One entry per profile: service `tempcreds`, user the profile
//! name, the secret the key as JSON.

use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};
use zeroize::Zeroizing;

use super::{KeyStore, Listed, Record, StoredKey};
use crate::Error;

const SERVICE: &str = "tempcreds";

pub struct NativeStore {
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for NativeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NativeStore")
    }
}

fn failed(what: &str, e: &keyring_core::Error) -> Error {
    let hint = match e {
        keyring_core::Error::NoStorageAccess(_) => {
            "unlock the keyring (your desktop's keyring prompt, or `gnome-keyring-daemon --unlock`), then run the command again"
        }
        _ => {
            "check that the keyring service runs (on Linux a Secret Service on the session bus: GNOME Keyring, KWallet, KeePassXC), or keep keys in the file store"
        }
    };
    Error::Transport {
        message: format!("{} could not {what}: {e}", native_name()),
        hint: Some(hint.to_owned()),
    }
}

fn native_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "the macOS Keychain"
    } else {
        "the Secret Service"
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "no native key store on this system: use the file store".to_owned(),
    ))
}

fn record(secret: Vec<u8>) -> Option<Record> {
    let secret = Zeroizing::new(secret);
    serde_json::from_slice(&secret).ok()
}

impl NativeStore {
    /// Connects to the system's key store (on Linux: the Secret Service on the session bus).
    pub fn connect() -> Result<Self, Error> {
        let store = platform_store().map_err(|e| failed("be reached", &e))?;
        Ok(Self { store })
    }

    /// The system's key store if one answers (on Linux: only when there is a session bus).
    pub fn offered() -> Option<Self> {
        if cfg!(target_os = "linux") {
            let has_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
                || std::env::var_os("XDG_RUNTIME_DIR")
                    .is_some_and(|d| std::path::Path::new(&d).join("bus").exists());
            if !has_bus {
                return None;
            }
        }
        Self::connect().ok()
    }

    fn entry(&self, profile: &str) -> Result<Entry, Error> {
        let label = format!("tempcreds: AWS access key of profile {profile}");
        Entry::new_in_store_with_modifiers(
            &self.store,
            SERVICE,
            profile,
            &HashMap::from([("label", label.as_str())]),
        )
        .or_else(|_| Entry::new_in_store(&self.store, SERVICE, profile))
        .map_err(|e| failed("address the key", &e))
    }
}

impl KeyStore for NativeStore {
    fn describe(&self) -> String {
        if cfg!(target_os = "macos") {
            native_name().to_owned()
        } else {
            format!("{} (default keyring)", native_name())
        }
    }

    fn kind(&self) -> &'static str {
        "secret-service"
    }

    fn get(&self, profile: &str) -> Result<Option<StoredKey>, Error> {
        match self.entry(profile)?.get_secret() {
            Ok(secret) => record(secret)
                .and_then(|r| r.to_key())
                .map(Some)
                .ok_or_else(|| Error::Transport {
                    message: format!(
                        "{}'s item for profile {profile} is not a tempcreds key",
                        native_name()
                    ),
                    hint: Some(format!(
                        "remove it (tempcreds keys remove {profile}) and add the key again"
                    )),
                }),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(failed("read the key", &e)),
        }
    }

    fn put(&self, profile: &str, key: &StoredKey) -> Result<(), Error> {
        let secret = Zeroizing::new(serde_json::to_vec(&Record::of(key)).unwrap_or_default());
        self.entry(profile)?
            .set_secret(&secret)
            .map_err(|e| failed("store the key", &e))
    }

    fn remove(&self, profile: &str) -> Result<bool, Error> {
        match self.entry(profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(failed("remove the key", &e)),
        }
    }

    fn list(&self) -> Result<Vec<Listed>, Error> {
        let spec = HashMap::from([("service", SERVICE)]);
        let entries =
            Entry::search_in_store(&self.store, &spec).map_err(|e| failed("list the keys", &e))?;
        let mut out = Vec::new();
        for entry in entries {
            let Some((service, profile)) = entry.get_specifiers() else {
                continue;
            };
            if service != SERVICE {
                continue;
            }
            let secret = entry.get_secret().map_err(|e| failed("read a key", &e))?;
            if let Some(l) = record(secret).and_then(|r| r.listed(&profile)) {
                out.push(l);
            }
        }
        out.sort_by(|a, b| a.profile.cmp(&b.profile));
        Ok(out)
    }
}
