//! Sealing cache entries: ChaCha20-Poly1305 with a random nonce per write and the entry's
//! id as associated data, so that an entry copied under another key's name does not open.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use secrecy::{ExposeSecret, SecretBox};

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
    pub(crate) fn new(key: SecretBox<[u8; 32]>) -> Self {
        Self { key }
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
