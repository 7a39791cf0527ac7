//! Sealing cache entries: ChaCha20-Poly1305 with a random nonce per write and the entry's
//! id as associated data, so that an entry copied under another key's name does not open.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use secrecy::{ExposeSecret, SecretBox};

use crate::Error;

const MAGIC: &[u8; 4] = b"TCC1";
const NONCE_LEN: usize = 12;

pub(crate) struct Crypt {
    key: SecretBox<[u8; 32]>,
}

impl std::fmt::Debug for Crypt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypt(** key redacted **)")
    }
}

impl Crypt {
    /// Reads the 32-byte key (64 hex characters), or creates it. A damaged key file is
    /// replaced: the cache is only a cache, and entries sealed with the old key are then
    /// ignored and refreshed.
    pub(crate) fn load_or_create(path: &Path) -> Result<Self, Error> {
        if let Ok(text) = fs::read_to_string(path) {
            if let Some(key) = parse_hex(text.trim()) {
                // Tighten a key file that became readable by others.
                if fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
                    let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
                }
                return Ok(Self {
                    key: SecretBox::new(Box::new(key)),
                });
            }
            tracing::warn!(file = %path.display(), "the cache key file is damaged: making a new key");
        }
        let key: [u8; 32] = ChaCha20Poly1305::generate_key(&mut OsRng).into();
        if let Some(dir) = path.parent() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| Error::file("create the directory", dir, e))?;
        }
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let tmp = path.with_extension("key.tmp");
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(hex.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, path)
        };
        write().map_err(|e| Error::file("write the cache key", path, e))?;
        Ok(Self {
            key: SecretBox::new(Box::new(key)),
        })
    }

    pub(crate) fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(self.key.expose_secret()));
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, Payload { msg: plain, aad })
            .unwrap_or_default();
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// None for anything that is not an intact entry sealed with this key for this id.
    pub(crate) fn open(&self, bytes: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let rest = bytes.strip_prefix(MAGIC)?;
        if rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(self.key.expose_secret()));
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .ok()
    }
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
