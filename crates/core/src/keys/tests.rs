//! The file store on disk (sealed, locked, a wrong passphrase changing nothing), the
//! choice of store, and the recognition of tempcreds' own `credential_process` line.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use secrecy::{ExposeSecret, SecretString};
use time::macros::datetime;

use super::*;
use crate::Env;

const ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A passphrase given in advance, counting how often it was asked for.
struct Given(&'static str, Arc<AtomicUsize>);

impl Passphrase for Given {
    fn passphrase(&self, _: &Path, _: bool) -> Result<SecretString, Error> {
        self.1.fetch_add(1, Ordering::SeqCst);
        Ok(SecretString::from(self.0))
    }
}

fn store(path: &Path, pass: &'static str) -> (FileStore, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let s = FileStore::new(path.to_path_buf(), Box::new(Given(pass, asked.clone())));
    (s, asked)
}

fn key() -> StoredKey {
    StoredKey {
        access_key_id: ID.to_owned(),
        secret: SecretString::from(SECRET),
        created: datetime!(2026-01-02 03:04:05 UTC),
    }
}

#[test]
fn file_store_round_trip_is_sealed_and_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("new/keys.json");
    let (s, asked) = store(&path, "correct horse");
    assert!(s.get("base").expect("get").is_none(), "no file: no key");
    s.put("base", &key()).expect("put");
    s.put("prod-admin", &key()).expect("put");
    assert_eq!(asked.load(Ordering::SeqCst), 1, "asked once per run");
    let text = std::fs::read_to_string(&path).expect("read");
    for plain in [ID, SECRET, "base", "prod-admin"] {
        assert!(!text.contains(plain), "{plain} is in the clear");
    }
    assert!(
        text.contains("\"log_n\": 15"),
        "the KDF parameters are stored: {text}"
    );
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().expect("dir")), 0o700);

    let (again, _) = store(&path, "correct horse");
    let got = again.get("base").expect("get").expect("stored");
    assert_eq!(got.access_key_id, ID);
    assert_eq!(got.secret.expose_secret(), SECRET);
    assert_eq!(got.created, key().created);
    let listed: Vec<String> = again
        .list()
        .expect("list")
        .into_iter()
        .map(|l| l.profile)
        .collect();
    assert_eq!(listed, ["base", "prod-admin"]);
    assert!(again.remove("base").expect("remove"));
    assert!(!again.remove("base").expect("remove again"));
    assert!(again.get("base").expect("get").is_none());
}

#[test]
fn wrong_passphrase_is_a_refusal_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys.json");
    let (s, _) = store(&path, "right");
    s.put("base", &key()).expect("put");
    let before = std::fs::read(&path).expect("read");
    let (wrong, _) = store(&path, "wrong");
    let e = wrong.get("base").expect_err("wrong passphrase");
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("passphrase does not open"), "{e}");
    let e = wrong.put("other", &key()).expect_err("wrong passphrase");
    assert_eq!(e.exit_code(), 2);
    assert!(wrong.remove("base").is_err());
    assert_eq!(std::fs::read(&path).expect("read"), before, "byte for byte");
}

#[test]
fn a_tampered_header_does_not_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys.json");
    let (s, _) = store(&path, "right");
    s.put("base", &key()).expect("put");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("\"p\": 1", "\"p\": 2")).expect("write");
    let (again, _) = store(&path, "right");
    assert!(
        again.get("base").is_err(),
        "parameters are bound to the ciphertext"
    );
    std::fs::write(&path, "not json").expect("write");
    let e = store(&path, "right").0.get("base").expect_err("damaged");
    assert_eq!(e.exit_code(), 1);
}

#[test]
fn empty_passphrase_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys.json");
    let e = store(&path, "").0.put("base", &key()).expect_err("empty");
    assert_eq!(e.exit_code(), 2);
    assert!(!path.exists());
}

#[test]
fn choice_from_the_environment() {
    let env = Env::from_pairs([("HOME", "/h")]);
    assert_eq!(
        choice(&env).expect("auto"),
        Choice::Auto("/h/.local/share/tempcreds/keys.json".into())
    );
    let env = Env::from_pairs([("TEMPCREDS_KEY_STORE", "file"), ("XDG_DATA_HOME", "/x")]);
    assert_eq!(
        choice(&env).expect("file"),
        Choice::File("/x/tempcreds/keys.json".into())
    );
    let env = Env::from_pairs([
        ("TEMPCREDS_KEY_STORE", "file"),
        ("TEMPCREDS_KEY_STORE_FILE", "/k.json"),
    ]);
    assert_eq!(choice(&env).expect("file"), Choice::File("/k.json".into()));
    let env = Env::from_pairs([("TEMPCREDS_KEY_STORE", "secret-service")]);
    assert_eq!(choice(&env).expect("ss"), Choice::SecretService);
    let env = Env::from_pairs([("TEMPCREDS_KEY_STORE", "keychain")]);
    let e = choice(&env).expect_err("unknown");
    assert!(e.rule.contains("secret-service or file"), "{}", e.rule);
}

#[test]
fn own_process_line() {
    assert_eq!(process_line("base"), "tempcreds credential-process base");
    assert!(is_own_process("tempcreds credential-process base", "base"));
    assert!(is_own_process(
        "  /usr/local/bin/tempcreds   credential-process base ",
        "base"
    ));
    assert!(!is_own_process(
        "tempcreds credential-process base",
        "other"
    ));
    assert!(!is_own_process(
        "tempcreds credential-process base --region x",
        "base"
    ));
    assert!(!is_own_process("aws-vault export base", "base"));
    assert!(!is_own_process(
        "notempcreds credential-process base",
        "base"
    ));
}

#[test]
fn stored_key_redacts_and_ages() {
    let k = key();
    assert!(!format!("{k:?}").contains(SECRET));
    assert!(k.is_old(datetime!(2026-04-03 00:00 UTC)));
    assert!(!k.is_old(datetime!(2026-03-01 00:00 UTC)));
    assert!(!k.credentials().is_temporary());
}

#[test]
fn lazy_opens_once_and_only_when_used() {
    let opened = Arc::new(AtomicUsize::new(0));
    let o = opened.clone();
    let lazy = Lazy::new(move || {
        o.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(MemoryStore::with("base", key())) as Box<dyn KeyStore>)
    });
    assert_eq!(opened.load(Ordering::SeqCst), 0);
    assert!(lazy.get("base").expect("get").is_some());
    assert!(lazy.get("other").expect("get").is_none());
    assert_eq!(opened.load(Ordering::SeqCst), 1);
}
