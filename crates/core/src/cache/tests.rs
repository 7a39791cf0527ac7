//! The cache on a temporary directory: round trip, expiry margin, damage, wrong key,
//! permissions.

use std::os::unix::fs::PermissionsExt;

use secrecy::SecretString;
use time::OffsetDateTime;

use super::*;

fn creds(minutes: i64) -> Credentials {
    Credentials {
        access_key_id: "ASIACACHED".into(),
        secret_access_key: SecretString::from("cached-secret-value"),
        session_token: Some(SecretString::from("cached-token-value")),
        expiration: Some(
            OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
                + time::Duration::minutes(minutes),
        ),
        origin: Origin::SessionToken,
    }
}

fn key() -> CacheKey {
    CacheKey::SessionToken {
        source_profile: "base".into(),
        access_key_id: "AKIA".into(),
        mfa_serial: Some("arn:aws:iam::111111111111:mfa/alice".into()),
    }
}

fn open(tmp: &tempfile::TempDir) -> Cache {
    Cache::open(
        tmp.path().join("cache"),
        KeyStore::File(tmp.path().join("config/tempcreds/cache.key")),
    )
    .unwrap()
}

/// A cache whose key is in the kernel keyring, under a description unique to `tmp`.
fn open_keyring(tmp: &tempfile::TempDir) -> Cache {
    let dir = tmp.path().join("cache");
    let store = KeyStore::from_env(
        &Env::from_pairs([("TEMPCREDS_CACHE_KEY_STORE", "keyring")]),
        &dir,
        tmp.path().join("unused.key"),
    )
    .unwrap();
    Cache::open(dir, store).unwrap()
}

#[test]
fn round_trip_encrypted_private_files() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = open(&tmp);
    let now = OffsetDateTime::now_utc();
    assert!(cache.get(&key(), now).is_none());
    cache.put(&key(), &creds(60)).unwrap();
    let got = cache.get(&key(), now).unwrap();
    assert_eq!(got.access_key_id, "ASIACACHED");
    assert_eq!(got.secret(), "cached-secret-value");
    assert_eq!(got.origin, Origin::SessionToken);
    let file = tmp
        .path()
        .join("cache")
        .join(format!("{}.cred", key().id()));
    let raw = std::fs::read(&file).unwrap();
    let raw_text = String::from_utf8_lossy(&raw);
    assert!(
        !raw_text.contains("cached-secret")
            && !raw_text.contains("ASIACACHED")
            && !raw_text.contains("alice")
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&tmp.path().join("cache")), 0o700);
    assert_eq!(mode(&tmp.path().join("config/tempcreds/cache.key")), 0o600);
    assert_eq!(mode(&tmp.path().join("config/tempcreds")), 0o700);
    let entries = cache.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].label,
        "MFA session of profile base (arn:aws:iam::111111111111:mfa/alice)"
    );
}

#[test]
fn near_expiry_is_refreshed_and_expired_never_served() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = open(&tmp);
    let now = OffsetDateTime::now_utc();
    cache.put(&key(), &creds(4)).unwrap();
    assert!(
        cache.get(&key(), now).is_none(),
        "within 5 minutes of expiry"
    );
    cache.put(&key(), &creds(6)).unwrap();
    assert!(cache.get(&key(), now).is_some());
    assert!(
        cache
            .get(&key(), now + time::Duration::minutes(2))
            .is_none()
    );
    cache.put(&key(), &creds(-10)).unwrap();
    assert!(cache.get(&key(), now).is_none(), "expired");
}

#[test]
fn damaged_or_foreign_entries_are_ignored_and_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = open(&tmp);
    let now = OffsetDateTime::now_utc();
    let file = tmp
        .path()
        .join("cache")
        .join(format!("{}.cred", key().id()));
    for junk in [&b""[..], b"TCC1", b"TCC1short", b"{\"not\":\"ours\"}"] {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, junk).unwrap();
        assert!(cache.peek(&key(), now).is_none());
        assert!(
            file.exists(),
            "peek has no side effect: get reports and removes"
        );
        assert!(cache.get(&key(), now).is_none());
        assert!(!file.exists(), "damaged entry removed");
    }
    // A flipped byte fails authentication.
    cache.put(&key(), &creds(60)).unwrap();
    let mut raw = std::fs::read(&file).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    std::fs::write(&file, &raw).unwrap();
    assert!(cache.get(&key(), now).is_none());
    // An entry copied under another key's name does not open (the id is authenticated).
    cache.put(&key(), &creds(60)).unwrap();
    let other = CacheKey::AssumeRole {
        profile: "lab".into(),
        role_arn: "arn:aws:iam::222222222222:role/Lab".into(),
        session_name: None,
        external_id: None,
        duration_seconds: None,
        mfa_serial: None,
    };
    let other_file = tmp
        .path()
        .join("cache")
        .join(format!("{}.cred", other.id()));
    std::fs::copy(&file, &other_file).unwrap();
    assert!(cache.get(&other, now).is_none());
}

#[test]
fn a_new_key_makes_old_entries_unreadable_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    open(&tmp).put(&key(), &creds(60)).unwrap();
    std::fs::write(tmp.path().join("config/tempcreds/cache.key"), "damaged").unwrap();
    let cache = open(&tmp);
    assert!(cache.get(&key(), OffsetDateTime::now_utc()).is_none());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("config/tempcreds/cache.key"))
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn keys_are_exact_and_clear_removes() {
    let a = key();
    // The same profile and device with rotated keys is another session.
    let b = CacheKey::SessionToken {
        source_profile: "base".into(),
        access_key_id: "AKIAROTATED".into(),
        mfa_serial: Some("arn:aws:iam::111111111111:mfa/alice".into()),
    };
    assert_ne!(a.id(), b.id());
    assert_eq!(a.id(), key().id());
    assert!(a.id().starts_with("session-") && a.id().len() == "session-".len() + 32);
    let tmp = tempfile::tempdir().unwrap();
    let cache = open(&tmp);
    cache.put(&a, &creds(60)).unwrap();
    cache.put(&b, &creds(60)).unwrap();
    assert_eq!(cache.clear(|_| true).unwrap(), 2);
    assert!(cache.entries().is_empty());
}

#[test]
fn clear_all_removes_damaged_entries_and_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = open(&tmp);
    cache.put(&key(), &creds(60)).unwrap();
    std::fs::write(tmp.path().join("cache/role-0000.cred"), "garbage").unwrap();
    assert_eq!(cache.clear_all().unwrap(), 1);
    assert_eq!(
        std::fs::read_dir(tmp.path().join("cache")).unwrap().count(),
        0
    );
    assert!(!tmp.path().join("config/tempcreds/cache.key").exists());
}

// The kernel keyring is tested for real: these machines allow the key system calls, and
// a Linux machine that does not would fall back to the key file in `auto` mode.
#[cfg(target_os = "linux")]
#[test]
fn keyring_store_keeps_the_key_out_of_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let cache = open_keyring(&tmp);
    assert!(matches!(cache.key_store(), KeyStore::Keyring { .. }));
    cache.put(&key(), &creds(60)).unwrap();
    // A second process (here: a second open) finds the same key.
    let again = open_keyring(&tmp);
    assert_eq!(
        again.get(&key(), now).unwrap().secret(),
        "cached-secret-value"
    );
    let files: Vec<_> = std::fs::read_dir(tmp.path().join("cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        files,
        vec![format!("{}.cred", key().id())],
        "no key file beside the entries"
    );
    assert!(!tmp.path().join("unused.key").exists());
    // Forgetting everything removes the key from the keyring: a new key cannot open the
    // old entry, and nothing is left behind in the user's keyring by this test.
    again.put(&key(), &creds(60)).unwrap();
    let copy = std::fs::read(tmp.path().join("cache").join(&files[0])).unwrap();
    again.clear_all().unwrap();
    std::fs::write(tmp.path().join("cache").join(&files[0]), copy).unwrap();
    let fresh = open_keyring(&tmp);
    assert!(fresh.get(&key(), now).is_none());
    fresh.clear_all().unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn first_runs_at_once_agree_on_one_key() {
    let tmp = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    for keyring in [false, true] {
        let caches: Vec<Cache> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        if keyring {
                            open_keyring(&tmp)
                        } else {
                            open(&tmp)
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        caches[0].put(&key(), &creds(60)).unwrap();
        for c in &caches {
            assert!(
                c.get(&key(), now).is_some(),
                "keyring={keyring}: all share the key"
            );
        }
        caches[0].clear_all().unwrap();
    }
}

/// A run right after `clear` must not trip over the key being removed (an invalidated key
/// is still found, as revoked, until the kernel collects it).
#[cfg(target_os = "linux")]
#[test]
fn clear_then_at_once_a_new_key() {
    let tmp = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    for _ in 0..20 {
        let cache = open_keyring(&tmp);
        cache.put(&key(), &creds(60)).unwrap();
        assert!(cache.get(&key(), now).is_some());
        cache.clear_all().unwrap();
    }
}

#[test]
fn key_store_choice() {
    let dir = Path::new("/c");
    let file = PathBuf::from("/k/cache.key");
    let pick = |v: &str| {
        KeyStore::from_env(
            &Env::from_pairs([("TEMPCREDS_CACHE_KEY_STORE", v)]),
            dir,
            file.clone(),
        )
    };
    assert_eq!(pick("file").unwrap(), KeyStore::File(file.clone()));
    assert!(
        matches!(pick("keyring").unwrap(), KeyStore::Keyring { description, .. } if description == "tempcreds:cache-key:/c")
    );
    let e = pick("vault").unwrap_err();
    assert_eq!(
        e.field,
        crate::rules::Field::from("TEMPCREDS_CACHE_KEY_STORE")
    );
    #[cfg(target_os = "linux")]
    assert!(matches!(pick("auto").unwrap(), KeyStore::Keyring { .. }));
}

#[test]
fn paths_follow_the_environment() {
    let env = Env::from_pairs([("HOME", "/h")]);
    assert_eq!(cache_dir(&env), PathBuf::from("/h/.cache/tempcreds"));
    assert_eq!(
        key_file(&env),
        PathBuf::from("/h/.config/tempcreds/cache.key")
    );
    let env = Env::from_pairs([
        ("HOME", "/h"),
        ("XDG_CACHE_HOME", "/x"),
        ("XDG_CONFIG_HOME", "/c"),
    ]);
    assert_eq!(cache_dir(&env), PathBuf::from("/x/tempcreds"));
    assert_eq!(key_file(&env), PathBuf::from("/c/tempcreds/cache.key"));
    let env = Env::from_pairs([("TEMPCREDS_CACHE_DIR", "/t")]);
    assert_eq!(cache_dir(&env), PathBuf::from("/t"));
}
