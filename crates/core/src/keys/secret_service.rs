//! The freedesktop Secret Service (GNOME Keyring, KWallet, KeePassXC) as a key store: one
//! item per profile in the default collection, found by the attributes
//! `application = tempcreds` and `profile = NAME`; the item's secret is the key as JSON,
//! sent over a Diffie-Hellman-encrypted session (the Secret Service API's `dh-ietf1024-
//! sha256-aes128-cbc-pkcs7`). A locked collection is unlocked through the service's own
//! prompt, as every desktop application does.

use std::collections::HashMap;
use std::sync::Mutex;

use secret_service::EncryptionType;
use secret_service::blocking::{Collection, SecretService};
use zeroize::Zeroizing;

use super::{KeyStore, Listed, Record, StoredKey};
use crate::Error;

const APPLICATION: &str = "tempcreds";

pub struct SecretServiceStore {
    service: Mutex<SecretService<'static>>,
}

impl std::fmt::Debug for SecretServiceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretServiceStore")
    }
}

fn failed(what: &str, e: &secret_service::Error) -> Error {
    let hint = match e {
        secret_service::Error::Locked | secret_service::Error::Prompt => {
            "unlock the keyring (your desktop's keyring prompt, or `gnome-keyring-daemon --unlock`), then run the command again"
        }
        secret_service::Error::NoResult => {
            "create a default (login) keyring, e.g. with Seahorse, or keep keys in the file store"
        }
        _ => {
            "check that a Secret Service (GNOME Keyring, KWallet, KeePassXC) runs on the session bus, or keep keys in the file store"
        }
    };
    Error::Transport {
        message: format!("the Secret Service could not {what}: {e}"),
        hint: Some(hint.to_owned()),
    }
}

fn attributes(profile: &str) -> HashMap<&str, &str> {
    HashMap::from([("application", APPLICATION), ("profile", profile)])
}

impl SecretServiceStore {
    /// Connects to the Secret Service on the session bus.
    pub fn connect() -> Result<Self, Error> {
        let service = SecretService::connect(EncryptionType::Dh)
            .map_err(|e| failed("be reached on the session bus", &e))?;
        Ok(Self {
            service: Mutex::new(service),
        })
    }

    /// The Secret Service if the session bus offers one (none when there is no bus).
    pub fn offered() -> Option<Self> {
        let has_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
            || std::env::var_os("XDG_RUNTIME_DIR")
                .is_some_and(|d| std::path::Path::new(&d).join("bus").exists());
        if !has_bus {
            return None;
        }
        Self::connect().ok()
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Collection<'_>) -> Result<T, secret_service::Error>,
        what: &str,
    ) -> Result<T, Error> {
        let service = self.service.lock().unwrap_or_else(|p| p.into_inner());
        let collection = service
            .get_default_collection()
            .map_err(|e| failed("find the default keyring", &e))?;
        if collection
            .is_locked()
            .map_err(|e| failed("read the keyring", &e))?
        {
            collection
                .unlock()
                .map_err(|e| failed("unlock the keyring", &e))?;
        }
        f(&collection).map_err(|e| failed(what, &e))
    }
}

fn record(secret: Vec<u8>) -> Option<Record> {
    let secret = Zeroizing::new(secret);
    serde_json::from_slice(&secret).ok()
}

impl KeyStore for SecretServiceStore {
    fn describe(&self) -> String {
        "the Secret Service (default keyring)".to_owned()
    }

    fn kind(&self) -> &'static str {
        "secret-service"
    }

    fn get(&self, profile: &str) -> Result<Option<StoredKey>, Error> {
        let found = self.with(
            |c| match c.search_items(attributes(profile))?.first() {
                Some(item) => item.get_secret().map(Some),
                None => Ok(None),
            },
            "read the key",
        )?;
        match found {
            Some(secret) => record(secret)
                .and_then(|r| r.to_key())
                .map(Some)
                .ok_or_else(|| Error::Transport {
                    message: format!(
                        "the Secret Service's item for profile {profile} is not a tempcreds key"
                    ),
                    hint: Some(format!(
                        "remove it (tempcreds keys remove {profile}) and add the key again"
                    )),
                }),
            None => Ok(None),
        }
    }

    fn put(&self, profile: &str, key: &StoredKey) -> Result<(), Error> {
        let secret = Zeroizing::new(serde_json::to_vec(&Record::of(key)).unwrap_or_default());
        self.with(
            |c| {
                c.create_item(
                    &format!("tempcreds: AWS access key of profile {profile}"),
                    attributes(profile),
                    &secret,
                    true,
                    "application/json",
                )
                .map(|_| ())
            },
            "store the key",
        )
    }

    fn remove(&self, profile: &str) -> Result<bool, Error> {
        self.with(
            |c| {
                let items = c.search_items(attributes(profile))?;
                for item in &items {
                    item.delete()?;
                }
                Ok(!items.is_empty())
            },
            "remove the key",
        )
    }

    fn list(&self) -> Result<Vec<Listed>, Error> {
        let mut out = self.with(
            |c| {
                let items = c.search_items(HashMap::from([("application", APPLICATION)]))?;
                let mut out = Vec::new();
                for item in &items {
                    let attrs = item.get_attributes()?;
                    let Some(profile) = attrs.get("profile") else {
                        continue;
                    };
                    if let Some(l) = record(item.get_secret()?).and_then(|r| r.listed(profile)) {
                        out.push(l);
                    }
                }
                Ok(out)
            },
            "list the keys",
        )?;
        out.sort_by(|a, b| a.profile.cmp(&b.profile));
        Ok(out)
    }
}
