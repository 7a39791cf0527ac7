//! The access token's life against the fake: used while it has 15 minutes left, refreshed
//! (and written back) inside that window, used as it is while valid when refreshing fails,
//! and a one-line "sign in" error with the command when nothing is usable.

use secrecy::{ExposeSecret, SecretString};
use time::Duration;
use time::macros::datetime;

use super::SsoRole;
use super::config::SsoSession;
use super::fake::FakeSso;
use super::session::{access_token, role_credentials};
use super::token::{self, CachedToken, Registration};
use crate::{Env, Error};

fn session() -> SsoSession {
    SsoSession {
        name: Some("corp".into()),
        start_url: "https://corp.awsapps.com/start".into(),
        region: "eu-west-1".into(),
        scopes: vec!["sso:account:access".into()],
    }
}

struct Home {
    _dir: tempfile::TempDir,
    env: Env,
}

fn home() -> Home {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::from_pairs([("HOME", dir.path().to_str().unwrap())]);
    Home { _dir: dir, env }
}

fn cached(access: &str, expires: time::OffsetDateTime, refresh: Option<&str>) -> CachedToken {
    CachedToken {
        start_url: "https://corp.awsapps.com/start".into(),
        region: "eu-west-1".into(),
        access_token: SecretString::from(access.to_owned()),
        expires_at: expires,
        registration: Some(Registration {
            client_id: "client-1".into(),
            client_secret: SecretString::from("client-secret"),
            expires_at: datetime!(2027-03-01 00:00 UTC),
        }),
        refresh_token: refresh.map(|r| SecretString::from(r.to_owned())),
        extra: serde_json::Map::new(),
    }
}

const NOW: time::OffsetDateTime = datetime!(2026-12-04 12:00 UTC);

fn block_on<T>(f: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_token_with_more_than_fifteen_minutes_is_used_with_no_call() {
    let h = home();
    let path = token::path(&h.env, &session().cache_key());
    token::write(
        &path,
        &cached("at-1", NOW + Duration::minutes(16), Some("rt-1")),
    )
    .unwrap();
    let fake = FakeSso::default();
    let t = block_on(access_token(&session(), None, &h.env, &fake, NOW)).unwrap();
    assert_eq!(t.expose_secret(), "at-1");
    assert!(fake.log().is_empty());
}

#[test]
fn inside_the_window_it_is_refreshed_and_written_back() {
    let h = home();
    let path = token::path(&h.env, &session().cache_key());
    token::write(
        &path,
        &cached("at-1", NOW + Duration::minutes(14), Some("rt-1")),
    )
    .unwrap();
    let fake = FakeSso::default();
    fake.refreshable("rt-1");
    let t = block_on(access_token(&session(), None, &h.env, &fake, NOW)).unwrap();
    assert_eq!(t.expose_secret(), "access-1");
    assert_eq!(fake.log(), ["CreateToken"]);
    let back = token::read(&path).unwrap().unwrap();
    assert_eq!(back.access_token.expose_secret(), "access-1");
    assert_eq!(back.refresh_token.unwrap().expose_secret(), "refresh-1");
    assert_eq!(back.registration.unwrap().client_id, "client-1");
}

#[test]
fn a_failed_refresh_uses_a_still_valid_token_and_an_expired_one_asks_to_sign_in() {
    let h = home();
    let path = token::path(&h.env, &session().cache_key());
    let fake = FakeSso::default(); // knows no refresh token: refreshing fails
    token::write(
        &path,
        &cached("at-1", NOW + Duration::minutes(5), Some("rt-x")),
    )
    .unwrap();
    let t = block_on(access_token(&session(), None, &h.env, &fake, NOW)).unwrap();
    assert_eq!(t.expose_secret(), "at-1");
    token::write(
        &path,
        &cached("at-1", NOW - Duration::minutes(1), Some("rt-x")),
    )
    .unwrap();
    let e = block_on(access_token(&session(), None, &h.env, &fake, NOW)).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("the sign-in to sso-session corp expired at 2026-12-04T11:59:00Z and could not be refreshed: the refresh token was refused"), "{text}");
    assert_eq!(
        e.hint(),
        Some("run `tempcreds sso login --sso-session corp`")
    );
    assert_eq!(e.exit_code(), 1);
    token::write(&path, &cached("at-1", NOW - Duration::minutes(1), None)).unwrap();
    let e = block_on(access_token(&session(), None, &h.env, &fake, NOW)).unwrap_err();
    assert!(e.to_string().contains("it has no refresh token"), "{e}");
}

#[test]
fn no_token_is_not_signed_in_naming_the_command() {
    let h = home();
    let mut legacy = session();
    legacy.name = None;
    let e = block_on(access_token(
        &legacy,
        Some("dev"),
        &h.env,
        &FakeSso::default(),
        NOW,
    ))
    .unwrap_err();
    assert!(matches!(e, Error::SignIn { .. }));
    assert!(
        e.to_string()
            .starts_with("not signed in to https://corp.awsapps.com/start"),
        "{e}"
    );
    assert_eq!(e.hint(), Some("run `tempcreds sso login --profile dev`"));
}

#[test]
fn role_credentials_come_from_the_portal_and_a_refused_token_asks_to_sign_in() {
    let h = home();
    let path = token::path(&h.env, &session().cache_key());
    token::write(&path, &cached("at-1", NOW + Duration::hours(1), None)).unwrap();
    let role = SsoRole {
        profile: "dev".into(),
        session: session(),
        account_id: "111111111111".into(),
        role_name: "Admin".into(),
    };
    let fake = FakeSso::with_role("111111111111", "Admin");
    fake.accept("at-1");
    let c = block_on(role_credentials(&role, &h.env, &fake, NOW)).unwrap();
    assert_eq!(c.access_key_id, "ASIASSO1");
    let other = SsoRole {
        role_name: "Other".into(),
        ..role.clone()
    };
    let e = block_on(role_credentials(&other, &h.env, &fake, NOW)).unwrap_err();
    assert!(e.to_string().contains("ForbiddenException"), "{e}");
    fake.state().access.insert("at-1".into(), false);
    let e = block_on(role_credentials(&role, &h.env, &fake, NOW)).unwrap_err();
    assert!(matches!(e, Error::SignIn { .. }), "{e}");
}
