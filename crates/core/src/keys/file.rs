//! The file store: every stored key in one file, sealed with ChaCha20-Poly1305 under a key
//! derived from a passphrase by scrypt. The KDF's parameters and salt are stored in the
//! file (and bound to the ciphertext as associated data); nothing else is in the clear —
//! no profile name, no key id. Changes are one read-modify-write under the directory lock
//! of `awsfile::update_file` (0600 file, 0700 directory, atomic rename), and a wrong
//! passphrase is found before anything is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{KeyStore, Listed, Passphrase, Record, StoredKey};
use crate::Error;
use crate::awsfile::{read_to_string_if_exists, update_file};

const FORMAT: &str = "tempcreds-key-store";
const VERSION: u32 = 1;
const AEAD: &str = "chacha20poly1305";
/// scrypt with N = 2^15, r = 8, p = 1: 32 MiB and about a tenth of a second per opening
/// (RFC 7914's interactive-login figures, still OWASP's minimum for scrypt).
const LOG_N: u8 = 15;
const R: u32 = 8;
const P: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Kdf {
    name: String,
    log_n: u8,
    r: u32,
    p: u32,
    /// Base64 of 16 random bytes.
    salt: String,
}

impl Kdf {
    fn fresh() -> Self {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).unwrap_or_default();
        Self {
            name: "scrypt".to_owned(),
            log_n: LOG_N,
            r: R,
            p: P,
            salt: B64.encode(salt),
        }
    }

    /// The associated data: the header's parameters, so none can be swapped unnoticed.
    fn aad(&self) -> String {
        format!(
            "{FORMAT}/{VERSION}/{AEAD}/{}/{}/{}/{}/{}",
            self.name, self.log_n, self.r, self.p, self.salt
        )
    }
}

/// The file as stored.
#[derive(Serialize, Deserialize)]
struct Sealed {
    format: String,
    version: u32,
    kdf: Kdf,
    aead: String,
    nonce: String,
    ciphertext: String,
}

/// What the ciphertext holds.
#[derive(Default, Serialize, Deserialize)]
struct Contents {
    profiles: BTreeMap<String, Record>,
}

pub struct FileStore {
    path: PathBuf,
    passphrase: Box<dyn Passphrase>,
    /// Asked once per run.
    secret: OnceLock<SecretString>,
    /// The key derived for one salt, so that a read then a write derive once.
    derived: Mutex<Option<(String, SecretBox<[u8; 32]>)>>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl FileStore {
    pub fn new(path: PathBuf, passphrase: Box<dyn Passphrase>) -> Self {
        Self {
            path,
            passphrase,
            secret: OnceLock::new(),
            derived: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn damaged(&self, why: &str) -> Error {
        Error::file(
            "read the key store",
            &self.path,
            std::io::Error::other(format!("not a tempcreds key store ({why})")),
        )
    }

    fn passphrase(&self, creating: bool) -> Result<&SecretString, Error> {
        if let Some(s) = self.secret.get() {
            return Ok(s);
        }
        let asked = self.passphrase.passphrase(&self.path, creating)?;
        if asked.expose_secret().is_empty() {
            return Err(Error::refused(
                format!(
                    "the passphrase of the key store {} is empty",
                    self.path.display()
                ),
                Some("choose a passphrase (a long one: it guards every stored key)".to_owned()),
            ));
        }
        Ok(self.secret.get_or_init(|| asked))
    }

    /// The key for `kdf`, derived from the passphrase (once per salt per run).
    fn key(&self, kdf: &Kdf, creating: bool) -> Result<SecretBox<[u8; 32]>, Error> {
        let mut cached = self.derived.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, key)) = cached.as_ref().filter(|(s, _)| *s == kdf.salt) {
            return Ok(SecretBox::new(Box::new(*key.expose_secret())));
        }
        // Parameters from the file are bounded: a doctored file must not make us allocate
        // gigabytes (2^20 * 16 * 128 bytes = 2 GiB is already far past any honest value).
        if kdf.name != "scrypt" || kdf.log_n > 20 || kdf.r > 16 || kdf.p > 4 {
            return Err(self.damaged("unknown key derivation parameters"));
        }
        let params = scrypt::Params::new(kdf.log_n, kdf.r, kdf.p)
            .map_err(|_| self.damaged("invalid scrypt parameters"))?;
        let salt = B64
            .decode(&kdf.salt)
            .map_err(|_| self.damaged("invalid salt"))?;
        let pass = self.passphrase(creating)?;
        let mut out = Box::new([0u8; 32]);
        scrypt::scrypt(
            pass.expose_secret().as_bytes(),
            &salt,
            &params,
            out.as_mut(),
        )
        .map_err(|_| self.damaged("invalid scrypt output length"))?;
        let key = SecretBox::new(out);
        *cached = Some((
            kdf.salt.clone(),
            SecretBox::new(Box::new(*key.expose_secret())),
        ));
        Ok(key)
    }

    /// The contents of the file's text ("" when it does not exist yet), and its KDF.
    fn open(&self, text: &str) -> Result<(Contents, Kdf), Error> {
        if text.trim().is_empty() {
            return Ok((Contents::default(), Kdf::fresh()));
        }
        let sealed: Sealed =
            serde_json::from_str(text).map_err(|_| self.damaged("not its JSON format"))?;
        if sealed.format != FORMAT || sealed.version != VERSION || sealed.aead != AEAD {
            return Err(self.damaged("an unknown format or version"));
        }
        let key = self.key(&sealed.kdf, false)?;
        let nonce = B64
            .decode(&sealed.nonce)
            .ok()
            .filter(|n| n.len() == 12)
            .ok_or_else(|| self.damaged("invalid nonce"))?;
        let ciphertext = B64
            .decode(&sealed.ciphertext)
            .map_err(|_| self.damaged("invalid ciphertext"))?;
        let cipher = ChaCha20Poly1305::new(Key::from_slice(key.expose_secret()));
        let aad = sealed.kdf.aad();
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| {
                Error::refused(
                    format!(
                        "the passphrase does not open the key store {} (or the file was altered)",
                        self.path.display()
                    ),
                    Some(
                        "give the passphrase the store was created with; nothing was changed"
                            .to_owned(),
                    ),
                )
            })?;
        let contents: Contents =
            serde_json::from_slice(&plain).map_err(|_| self.damaged("unreadable contents"))?;
        Ok((contents, sealed.kdf))
    }

    fn seal(&self, contents: &Contents, kdf: &Kdf) -> Result<String, Error> {
        let key = self.key(kdf, true)?;
        let plain = Zeroizing::new(
            serde_json::to_vec(contents).map_err(|_| self.damaged("unencodable contents"))?,
        );
        let cipher = ChaCha20Poly1305::new(Key::from_slice(key.expose_secret()));
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = kdf.aad();
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| self.damaged("encryption failed"))?;
        let sealed = Sealed {
            format: FORMAT.to_owned(),
            version: VERSION,
            kdf: kdf.clone(),
            aead: AEAD.to_owned(),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
        };
        let text =
            serde_json::to_string_pretty(&sealed).map_err(|_| self.damaged("unencodable file"))?;
        Ok(format!("{text}\n"))
    }

    /// Reads the contents (empty when there is no file: nothing is asked then).
    fn read(&self) -> Result<Contents, Error> {
        match read_to_string_if_exists(&self.path)? {
            Some(text) => Ok(self.open(&text)?.0),
            None => Ok(Contents::default()),
        }
    }

    /// One change of the contents, read and written under the lock. `change` returns
    /// whether it changed anything (nothing is written otherwise).
    fn modify(&self, change: impl FnOnce(&mut Contents) -> bool) -> Result<bool, Error> {
        // Asked before the lock is taken, so that another run is not kept waiting on a
        // person typing.
        let creating = !self.path.exists();
        self.passphrase(creating)?;
        let mut changed = false;
        update_file(&self.path, |current| {
            let (mut contents, kdf) = self.open(current)?;
            changed = change(&mut contents);
            if !changed {
                return Ok(None);
            }
            self.seal(&contents, &kdf).map(Some)
        })?;
        Ok(changed)
    }
}

impl KeyStore for FileStore {
    fn describe(&self) -> String {
        format!("the key store file {}", self.path.display())
    }

    fn kind(&self) -> &'static str {
        "file"
    }

    fn get(&self, profile: &str) -> Result<Option<StoredKey>, Error> {
        let contents = self.read()?;
        match contents.profiles.get(profile) {
            Some(r) => r
                .to_key()
                .map(Some)
                .ok_or_else(|| self.damaged("an unreadable date")),
            None => Ok(None),
        }
    }

    fn put(&self, profile: &str, key: &StoredKey) -> Result<(), Error> {
        self.modify(|c| {
            c.profiles.insert(profile.to_owned(), Record::of(key));
            true
        })
        .map(|_| ())
    }

    fn remove(&self, profile: &str) -> Result<bool, Error> {
        if !self.path.exists() {
            return Ok(false);
        }
        self.modify(|c| c.profiles.remove(profile).is_some())
    }

    fn list(&self) -> Result<Vec<Listed>, Error> {
        let contents = self.read()?;
        Ok(contents
            .profiles
            .iter()
            .filter_map(|(p, r)| r.listed(p))
            .collect())
    }
}
