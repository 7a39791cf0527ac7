//! The SSO settings' rules (each error names its key) and the token cache's format: what the
//! AWS CLI writes is read, what tempcreds writes keeps the CLI's shape, modes and fields.

use std::os::unix::fs::PermissionsExt;

use secrecy::{ExposeSecret, SecretString};
use time::macros::datetime;

use super::config::of_profile;
use super::token::{self, CachedToken, Registration};
use crate::awsfile::ProfileSet;

const CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access, other:scope

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin

[profile legacy]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_account_id = 222222222222
sso_role_name = ReadOnly

[profile keys]
region = eu-west-1
";

fn set(extra: &str) -> ProfileSet {
    ProfileSet::from_texts(&format!("{CONFIG}\n{extra}"), "")
}

#[test]
fn sessions_and_legacy_profiles_resolve_with_the_cli_cache_names() {
    let s = set("");
    let dev = of_profile(&s, "dev").unwrap().unwrap();
    assert_eq!(dev.account_id, "111111111111");
    assert_eq!(dev.role_name, "Admin");
    assert_eq!(dev.session.name.as_deref(), Some("corp"));
    assert_eq!(dev.session.region, "eu-west-1");
    assert_eq!(dev.session.scopes, ["sso:account:access", "other:scope"]);
    // The AWS CLI's file names: sha1 of the session name, of the start URL for legacy.
    assert_eq!(
        dev.session.cache_key(),
        "ee0bfd2552fbd840c02cc48b6e823320543c450f"
    );
    let legacy = of_profile(&s, "legacy").unwrap().unwrap();
    assert_eq!(legacy.session.name, None);
    assert!(legacy.session.scopes.is_empty());
    assert_eq!(
        legacy.session.cache_key(),
        "a51746d4aa793ae07b25e90c3a5db96fc7832bd7"
    );
    assert_eq!(of_profile(&s, "keys").unwrap(), None);
    assert_eq!(of_profile(&s, "missing").unwrap(), None);
}

#[test]
fn each_wrong_setting_is_named_with_its_section() {
    let cases = [
        (
            "[profile p]\nsso_session = nope\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "sso_session nope: names no [sso-session] section",
        ),
        (
            "[sso-session s]\nsso_region = eu-west-1\n[profile p]\nsso_session = s\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "sso_start_url (sso-session s): is required",
        ),
        (
            "[sso-session s]\nsso_start_url = https://x.awsapps.com/start\n[profile p]\nsso_session = s\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "sso_region (sso-session s): is required",
        ),
        (
            "[sso-session s]\nsso_start_url = http://x.awsapps.com/start\nsso_region = eu-west-1\n[profile p]\nsso_session = s\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "sso_start_url (sso-session s): must be an https:// URL",
        ),
        (
            "[profile p]\nsso_session = corp\nsso_account_id = 11111111111\nsso_role_name = A\n",
            "sso_account_id (profile p): must be a 12-digit account id",
        ),
        (
            "[profile p]\nsso_session = corp\nsso_account_id = 111111111111\n",
            "sso_role_name (profile p): is required",
        ),
        (
            "[profile p]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = has space\n",
            "sso_role_name (profile p): must be 1 to 32 characters",
        ),
        (
            "[profile p]\nsso_session = corp\nsso_region = us-west-2\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "sso_region (profile p): is \"us-west-2\" but sso-session corp says \"eu-west-1\"",
        ),
        (
            "[profile p]\nsso_start_url = https://x.awsapps.com/start\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "sso_region (profile p): is required",
        ),
        (
            "[profile p]\nsso_start_url = https://x.awsapps.com/start\nsso_region = Europe\nsso_account_id = 111111111111\nsso_role_name = A\n",
            "sso_region (profile p)",
        ),
    ];
    for (extra, want) in cases {
        let err = of_profile(&set(extra), "p").unwrap_err().to_string();
        assert!(err.contains(want), "{extra}\nwanted {want:?}, got {err:?}");
    }
}

fn token() -> CachedToken {
    CachedToken {
        start_url: "https://corp.awsapps.com/start".into(),
        region: "eu-west-1".into(),
        access_token: SecretString::from("access-token-value"),
        expires_at: datetime!(2026-12-04 10:00:00.5 UTC),
        registration: Some(Registration {
            client_id: "client-1".into(),
            client_secret: SecretString::from("client-secret-value"),
            expires_at: datetime!(2027-03-04 10:00 UTC),
        }),
        refresh_token: Some(SecretString::from("refresh-token-value")),
        extra: serde_json::Map::new(),
    }
}

#[test]
fn a_written_token_has_the_cli_shape_mode_and_z_times_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    // botocore makes the directory 0755; the token's directory must be private.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = cache.join("x.json");
    token::write(&path, &token()).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&cache), 0o700);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["expiresAt"], "2026-12-04T10:00:00Z");
    assert_eq!(json["registrationExpiresAt"], "2027-03-04T10:00:00Z");
    assert_eq!(json["startUrl"], "https://corp.awsapps.com/start");
    assert_eq!(json["clientId"], "client-1");
    let back = token::read(&path).unwrap().unwrap();
    assert_eq!(back.access_token.expose_secret(), "access-token-value");
    assert_eq!(back.expires_at, datetime!(2026-12-04 10:00 UTC));
    assert_eq!(
        back.refresh_token.unwrap().expose_secret(),
        "refresh-token-value"
    );
    let debug = format!("{:?}", token());
    assert!(!debug.contains("value"), "{debug}");
}

#[test]
fn what_the_cli_writes_is_read_and_its_other_fields_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    std::fs::write(
        &path,
        r#"{"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "a", "expiresAt": "2026-12-04T10:00:00UTC", "someFutureField": 7}"#,
    )
    .unwrap();
    let t = token::read(&path).unwrap().unwrap();
    assert_eq!(t.expires_at, datetime!(2026-12-04 10:00 UTC));
    assert!(t.registration.is_none() && t.refresh_token.is_none());
    token::write(&path, &t).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["someFutureField"], 7);
    assert!(
        token::read(&dir.path().join("none.json"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_damaged_token_file_is_named_without_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    for (text, want) in [
        ("{not json", "not JSON"),
        (
            r#"{"startUrl": "u", "region": "r", "expiresAt": "2026-12-04T10:00:00Z"}"#,
            "missing field `accessToken`",
        ),
        (
            r#"{"startUrl": "u", "region": "r", "accessToken": "secret-abc", "expiresAt": "tomorrow"}"#,
            "expiresAt is not a time",
        ),
        (
            r#"{"startUrl": "u", "region": "r", "accessToken": 12345, "expiresAt": "x"}"#,
            "a field has the wrong type",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let err = token::read(&path).unwrap_err().to_string();
        assert!(err.contains(want), "{text}: {err}");
        assert!(
            !err.contains("secret-abc") && !err.contains("12345"),
            "{err}"
        );
    }
}
