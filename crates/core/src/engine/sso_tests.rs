//! IAM Identity Center profiles through the engine: the role credentials come from the
//! portal once and then from the cache (like a role's), a role chained on top is assumed
//! with them (role chaining: at most an hour), and `cached` serves the fast path.

use secrecy::SecretString;
use time::Duration;

use super::fake::FakePrompt;
use super::tests::World;
use super::*;
use crate::sso::token::{self, CachedToken};
use crate::{Env, Origin};

const SSO: &str = "\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\
                   [profile corp-dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\
                   [profile on-top]\nrole_arn = arn:aws:iam::222222222222:role/Deploy\nsource_profile = corp-dev\n";

fn world() -> (World, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let mut w = World::new();
    w.files.config.push_str(SSO);
    w.env = Env::from_pairs([("HOME", home.path().to_str().unwrap())]);
    let session = crate::sso::config::session(
        &crate::awsfile::ProfileSet::from_texts(&w.files.config, ""),
        "corp",
    )
    .unwrap();
    let path = token::path(&w.env, &session.cache_key());
    token::write(
        &path,
        &CachedToken {
            start_url: session.start_url.clone(),
            region: session.region.clone(),
            access_token: SecretString::from("at-1"),
            expires_at: w.clock.now() + Duration::hours(8),
            registration: None,
            refresh_token: None,
            extra: serde_json::Map::new(),
        },
    )
    .unwrap();
    {
        let mut s = w.connect.sso.state();
        s.access.insert("at-1".into(), true);
        s.roles.push(("111111111111".into(), "Admin".into()));
        s.now = Some(w.clock.now());
    }
    (w, home)
}

#[test]
fn sso_role_credentials_come_from_the_portal_once_then_the_cache() {
    let (w, _home) = world();
    let prompt = FakePrompt::typing(&[]);
    let mfa = MfaChooser::new(None, &prompt);
    let chain = w.chain("corp-dev");
    assert!(matches!(chain.source, Source::Sso(_)), "{chain}");
    let first = w.run_chain(&chain, &mfa, Last::MayBeCached).unwrap();
    assert_eq!(first.credentials.access_key_id, "ASIASSO1");
    assert_eq!(
        first.credentials.origin,
        Origin::AssumedRole { chained: false }
    );
    let again = w.run_chain(&chain, &mfa, Last::MayBeCached).unwrap();
    assert_eq!(again.credentials.access_key_id, "ASIASSO1");
    assert_eq!(
        w.connect.sso.log(),
        ["GetRoleCredentials 111111111111 Admin"]
    );
    let hit = w
        .engine(&mfa)
        .cached(&chain)
        .expect("the fast path finds it");
    assert_eq!(hit.credentials.access_key_id, "ASIASSO1");
    const ARN: &str =
        "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice";
    assert_eq!(first.assumed_role_arn.as_deref(), Some(ARN));
    assert_eq!(
        hit.assumed_role_arn.as_deref(),
        Some(ARN),
        "cached with them"
    );
    assert_eq!(
        w.calls(),
        ["GetCallerIdentity as ASIASSO1"],
        "one, then none"
    );
    let fresh = w.run_chain(&chain, &mfa, Last::Fresh).unwrap();
    assert_eq!(
        fresh.credentials.access_key_id, "ASIASSO2",
        "Fresh asks the portal"
    );
    assert_eq!(fresh.assumed_role_arn.as_deref(), Some(ARN));
    assert_eq!(w.calls().len(), 2);
}

#[test]
fn an_sso_role_whose_arn_cannot_be_read_is_still_handed_out() {
    let (w, _home) = world();
    let prompt = FakePrompt::typing(&[]);
    let mfa = MfaChooser::new(None, &prompt);
    w.connect
        .down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let issued = w
        .run_chain(&w.chain("corp-dev"), &mfa, Last::MayBeCached)
        .unwrap();
    assert_eq!(issued.credentials.access_key_id, "ASIASSO1");
    assert_eq!(issued.assumed_role_arn, None);
}

#[test]
fn a_role_on_an_sso_profile_is_assumed_with_its_credentials_as_chaining() {
    let (w, _home) = world();
    let prompt = FakePrompt::typing(&[]);
    let mfa = MfaChooser::new(None, &prompt);
    let chain = w.chain("on-top");
    assert!(matches!(chain.source, Source::Sso(_)), "{chain}");
    let issued = w.run_chain(&chain, &mfa, Last::MayBeCached).unwrap();
    assert_eq!(
        issued.credentials.origin,
        Origin::AssumedRole { chained: true }
    );
    let calls = w.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(
        calls[0].starts_with("AssumeRole") && calls[0].contains("as ASIASSO1"),
        "{calls:?}"
    );
    w.run_chain(&chain, &mfa, Last::MayBeCached).unwrap();
    assert_eq!(w.calls().len(), 1, "the role is cached too");
    assert_eq!(prompt.asked(), 0);
}
