//! Stored long-term keys as a source: recognised by tempcreds' own `credential_process` line,
//! handed out as a session (never the key), used directly inside for roles, refused beside
//! keys in the files, and cached under a marker so that a hit never opens the store.

use secrecy::{ExposeSecret, SecretString};
use time::macros::datetime;

use super::fake::FakePrompt;
use super::tests::World;
use super::*;
use crate::keys::{KeyStore, STORED_KEY_MARKER, StoredKey};
use crate::profile::{self, Profiles, ResolveError};

const STORED: &str = "[profile vault]\ncredential_process = tempcreds credential-process vault\n\
     [profile vaultmfa]\ncredential_process = /usr/bin/tempcreds credential-process vaultmfa\n\
     mfa_serial = arn:aws:iam::111111111111:mfa/alice\nduration_seconds = 7200\n\
     [profile onvault]\nrole_arn = arn:aws:iam::222222222222:role/OnVault\nsource_profile = vault\n\
     [profile both]\ncredential_process = tempcreds credential-process both\naws_access_key_id = AKIABOTH\n\
     aws_secret_access_key = s\n\
     [profile other]\ncredential_process = tempcreds credential-process vault\n";

fn world() -> World {
    let mut w = World::new();
    w.files.config.push_str(STORED);
    for (p, id) in [("vault", "AKIAVAULT"), ("vaultmfa", "AKIAVAULTMFA")] {
        let key = StoredKey {
            access_key_id: id.into(),
            secret: SecretString::from(format!("secret-of-{id}")),
            created: datetime!(2026-01-01 0:00 UTC),
        };
        w.keys.put(p, &key).expect("put");
    }
    w
}

fn handed_out(w: &World, name: &str) -> Chain {
    let p = Profiles::from_texts(&w.files.config, &w.files.credentials);
    profile::hand_out(&p, profile::resolve(&p, name, None).expect("resolves")).expect("hand out")
}

#[test]
fn a_stored_key_is_handed_out_as_a_session_and_cached_under_the_marker() {
    let w = world();
    let chain = handed_out(&w, "vault");
    assert_eq!(
        chain.source,
        Source::Stored {
            profile: "vault".into()
        }
    );
    assert_eq!(
        chain.steps,
        [Step::SessionToken(SessionStep {
            mfa: None,
            duration_seconds: Some(3600)
        })]
    );
    let none = MfaChooser::new(None, &NoPrompt);
    let first = w
        .run_chain(&chain, &none, Last::MayBeCached)
        .expect("session");
    assert_eq!(w.calls(), ["GetSessionToken as AKIAVAULT"]);
    assert!(first.credentials.is_temporary(), "a session, not the key");
    assert_ne!(first.credentials.secret(), "secret-of-AKIAVAULT");
    match last_key(&chain, &w.files) {
        Some(crate::cache::CacheKey::SessionToken {
            access_key_id,
            mfa_serial,
            ..
        }) => {
            assert_eq!(access_key_id, STORED_KEY_MARKER);
            assert_eq!(mfa_serial, None);
        }
        other => panic!("unexpected key {other:?}"),
    }
    let engine = w.engine(&none);
    assert!(engine.cached(&chain).is_some(), "a hit needs no store");
    w.run_chain(&chain, &none, Last::MayBeCached)
        .expect("cached");
    assert_eq!(w.calls().len(), 1);
}

#[test]
fn with_mfa_serial_the_session_carries_the_code_for_the_profiles_duration() {
    let w = world();
    let chain = handed_out(&w, "vaultmfa");
    assert_eq!(
        chain.source,
        Source::Stored {
            profile: "vaultmfa".into()
        }
    );
    let prompt = FakePrompt::typing(&["123456"]);
    w.run_chain(&chain, &MfaChooser::new(None, &prompt), Last::MayBeCached)
        .expect("session");
    assert_eq!(w.calls(), ["GetSessionToken as AKIAVAULTMFA mfa=123456"]);
    match chain.steps.as_slice() {
        [Step::SessionToken(s)] => assert_eq!(s.duration_seconds, Some(7200)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_role_on_a_stored_source_is_assumed_with_the_key_inside() {
    let w = world();
    let chain = handed_out(&w, "onvault");
    let none = MfaChooser::new(None, &NoPrompt);
    w.run_chain(&chain, &none, Last::MayBeCached).expect("role");
    assert_eq!(
        w.calls(),
        ["AssumeRole arn:aws:iam::222222222222:role/OnVault as AKIAVAULT duration=None"]
    );
}

#[test]
fn keys_in_two_places_and_a_line_for_another_profile() {
    let w = world();
    let p = Profiles::from_texts(&w.files.config, &w.files.credentials);
    let e = profile::resolve(&p, "both", None).expect_err("two places");
    assert!(matches!(e, ResolveError::TwoPlaces { .. }), "{e:?}");
    let err = crate::Error::from(e);
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("two places"), "{err}");
    // A line naming another profile is an ordinary credential_process, run as such.
    let chain = profile::resolve(&p, "other", None).expect("resolves");
    assert!(
        matches!(chain.source, Source::Process { .. }),
        "{:?}",
        chain.source
    );
}

#[test]
fn a_missing_stored_key_is_a_refusal_naming_the_store() {
    let w = world();
    w.keys.remove("vault").expect("remove");
    let chain = handed_out(&w, "vault");
    let none = MfaChooser::new(None, &NoPrompt);
    let e = w
        .run_chain(&chain, &none, Last::MayBeCached)
        .expect_err("no key");
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("in-memory key store"), "{e}");
    assert!(w.calls().is_empty(), "nothing sent");
    assert_eq!(
        w.keys
            .get("vaultmfa")
            .expect("get")
            .expect("kept")
            .secret
            .expose_secret(),
        "secret-of-AKIAVAULTMFA"
    );
}
