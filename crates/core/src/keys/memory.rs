//! The store's fake: keys in memory, for the hermetic tests of everything that reads or
//! writes stored keys. `fail_puts` makes every write fail, as a locked keyring would.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{KeyStore, Listed, StoredKey};
use crate::Error;

#[derive(Debug, Default)]
pub struct MemoryStore {
    keys: Mutex<BTreeMap<String, StoredKey>>,
    fail_puts: AtomicBool,
}

impl MemoryStore {
    pub fn with(profile: &str, key: StoredKey) -> Self {
        let s = Self::default();
        s.lock().insert(profile.to_owned(), key);
        s
    }

    pub fn fail_puts(&self, fail: bool) {
        self.fail_puts.store(fail, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, StoredKey>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl KeyStore for MemoryStore {
    fn describe(&self) -> String {
        "the in-memory key store".to_owned()
    }
    fn kind(&self) -> &'static str {
        "memory"
    }
    fn get(&self, profile: &str) -> Result<Option<StoredKey>, Error> {
        Ok(self.lock().get(profile).cloned())
    }
    fn put(&self, profile: &str, key: &StoredKey) -> Result<(), Error> {
        if self.fail_puts.load(Ordering::SeqCst) {
            return Err(Error::Transport {
                message: "the in-memory key store refuses writes".to_owned(),
                hint: None,
            });
        }
        self.lock().insert(profile.to_owned(), key.clone());
        Ok(())
    }
    fn remove(&self, profile: &str) -> Result<bool, Error> {
        Ok(self.lock().remove(profile).is_some())
    }
    fn list(&self) -> Result<Vec<Listed>, Error> {
        Ok(self
            .lock()
            .iter()
            .map(|(p, k)| Listed {
                profile: p.clone(),
                access_key_id: k.access_key_id.clone(),
                created: k.created,
            })
            .collect())
    }
}
