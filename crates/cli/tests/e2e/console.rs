//! Console sign-in links against moto and the federation fake: every kind of credential,
//! the SessionDuration rule for each, destinations, logout, expiry, --open, and refusals.

use crate::support::*;

/// Follows a login link: the fake answers with a redirect to the console destination.
#[track_caller]
fn follow(link: &str) -> String {
    let (status, location) = http_get(link);
    assert_eq!(status, 302, "login link refused: {location}");
    location
}

#[test]
fn role_from_long_term_keys_sends_session_duration() {
    let c = Console::start();
    let sb = c.sandbox();
    let out = sb
        .tempcreds(&[
            "console",
            "-r",
            ROLE,
            "-s",
            "alice",
            "--duration",
            "8h",
            "--region",
            "eu-west-1",
        ])
        .ok();
    let link = out.stdout.trim();
    assert!(
        link.starts_with(&format!(
            "{}/federation?Action=login&Issuer=tempcreds&Destination=",
            c.url
        )),
        "{link}"
    );
    assert_eq!(
        follow(link),
        "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
    );
    let log = c.log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["SessionDuration"], "28800");
    assert_eq!(log[0]["console_seconds"], 28800);
}

#[test]
fn role_chained_sends_no_session_duration_and_says_so() {
    let c = Console::start();
    let mut sb = c.sandbox();
    // Source credentials that are themselves role credentials: AssumeRole is role chaining.
    let first = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "hop1"])
        .ok()
        .json();
    sb.use_credentials(&first);
    let out = sb
        .tempcreds(&[
            "console",
            "-r",
            ROLE,
            "-s",
            "hop2",
            "--duration",
            "4h",
            "--service",
            "s3",
        ])
        .ok();
    assert!(
        out.stderr.contains("capped at 1h") && out.stderr.contains("role chaining"),
        "{}",
        out.stderr
    );
    assert_eq!(
        follow(out.stdout.trim()),
        "https://console.aws.amazon.com/s3/home?region=us-east-1"
    );
    let log = c.log();
    assert!(log[0].get("SessionDuration").is_none(), "{log:?}");
    assert_eq!(log[0]["console_seconds"], 3600);
}

#[test]
fn federated_user_needs_a_policy_and_sends_no_session_duration() {
    let c = Console::start();
    let sb = c.sandbox();
    let out = sb
        .tempcreds(&["console", "--federated-user", "alice"])
        .fails(2);
    assert!(
        out.stderr.contains("needs a session policy"),
        "{}",
        out.stderr
    );
    assert!(c.log().is_empty());
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let out = sb
        .tempcreds(&[
            "console",
            "--federated-user",
            "alice",
            "--policy",
            policy,
            "--duration",
            "36h",
            "--service",
            "iam",
        ])
        .ok();
    assert_eq!(
        follow(out.stdout.trim()),
        "https://console.aws.amazon.com/iam/home"
    );
    let log = c.log();
    assert!(log[0].get("SessionDuration").is_none(), "{log:?}");
    assert_eq!(log[0]["console_seconds"], 129600);
}

#[test]
fn own_credentials_role_works_session_token_and_long_term_are_refused() {
    let c = Console::start();
    let mut sb = c.sandbox();
    // Long-term keys: refused before anything reaches the sign-in endpoint.
    let out = sb.tempcreds(&["console"]).fails(2);
    assert!(
        out.stderr
            .contains("long-term IAM user keys cannot sign in"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: use --federated-user"),
        "{}",
        out.stderr
    );
    // GetSessionToken credentials: refused with the explanation.
    let st = sb
        .aws(&["sts", "get-session-token", "--output", "json"])
        .ok()
        .json();
    sb.use_credentials(&st["Credentials"]);
    let out = sb.tempcreds(&["console"]).fails(2);
    assert!(
        out.stderr
            .contains("Only federation tokens or assume role tokens"),
        "{}",
        out.stderr
    );
    assert!(
        c.log().is_empty(),
        "nothing was sent to the sign-in endpoint"
    );
    // Role credentials of the caller's own: a link, without SessionDuration.
    let mut sb = c.sandbox();
    let role = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "me"])
        .ok()
        .json();
    sb.use_credentials(&role);
    let out = sb.tempcreds(&["console", "--region", "eu-central-1"]).ok();
    assert_eq!(
        follow(out.stdout.trim()),
        "https://eu-central-1.console.aws.amazon.com/console/home?region=eu-central-1"
    );
    assert!(c.log()[0].get("SessionDuration").is_none());
}

#[test]
fn assume_prints_a_link_alone_or_in_the_json() {
    let c = Console::start();
    let sb = c.sandbox();
    let out = sb
        .tempcreds(&[
            "assume",
            "-r",
            ROLE,
            "-s",
            "alice",
            "-o",
            "link",
            "--issuer",
            "https://lab.example/",
        ])
        .ok();
    assert!(
        out.stdout.contains("Issuer=https%3A%2F%2Flab.example%2F"),
        "{}",
        out.stdout
    );
    follow(out.stdout.trim());
    let out = sb
        .tempcreds(&[
            "assume",
            "-r",
            ROLE,
            "-s",
            "alice",
            "--console-link",
            "-d",
            "2h",
        ])
        .ok();
    let j = out.json();
    assert_eq!(
        j["AssumedRoleArn"],
        "arn:aws:sts::123456789012:assumed-role/Lab/alice"
    );
    follow(j["ConsoleMagicLink"].as_str().unwrap());
    // Credentials from long-term keys: the console session matches the credentials' 2h.
    assert_eq!(c.log()[1]["SessionDuration"], "7200");
}

#[test]
fn logout_first_wraps_the_login_link() {
    let c = Console::start();
    let sb = c.sandbox();
    let out = sb
        .tempcreds(&[
            "console",
            "-r",
            ROLE,
            "-s",
            "alice",
            "--logout-first",
            "--destination",
            "https://console.aws.amazon.com/ec2/home",
        ])
        .ok();
    let link = out.stdout.trim();
    assert!(
        link.starts_with(&format!("{}/oauth?Action=logout&redirect_uri=", c.url)),
        "{link}"
    );
    let login = follow(link);
    assert!(
        login.starts_with(&format!("{}/federation?Action=login", c.url)),
        "{login}"
    );
    assert_eq!(follow(&login), "https://console.aws.amazon.com/ec2/home");
}

#[test]
fn sign_in_tokens_expire_after_fifteen_minutes() {
    let c = Console::start();
    let sb = c.sandbox();
    let link = sb
        .tempcreds(&["console", "-r", ROLE, "-s", "alice"])
        .ok()
        .stdout;
    c.advance(16 * 60);
    let (status, body) = http_get(link.trim());
    assert_eq!(status, 400);
    assert!(body.contains("expired"), "{body}");
}

#[test]
fn open_hands_the_link_to_the_browser_and_prints_nothing() {
    let c = Console::start();
    let mut sb = c.sandbox();
    let seen = sb.path("browser-got");
    let browser = sb.path("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf %s \"$1\" > {}\n", seen.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.set("BROWSER", browser.to_str().unwrap());
    let out = sb
        .tempcreds(&["console", "-r", ROLE, "-s", "alice", "--open"])
        .ok();
    assert_eq!(out.stdout, "");
    // The browser is started in the background, as a desktop would: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    let link = std::fs::read_to_string(&seen).unwrap();
    follow(&link);
    assert!(!out.stderr.contains(&link));
}

#[test]
fn the_link_is_never_logged() {
    let c = Console::start();
    let sb = c.sandbox();
    let out = sb
        .tempcreds(&["console", "-r", ROLE, "-s", "alice", "-vv"])
        .ok();
    let link = out.stdout.trim();
    let token = link.rsplit("SigninToken=").next().unwrap();
    assert!(out.stderr.contains("getSigninToken"), "{}", out.stderr);
    assert!(
        !out.stderr.contains(token) && !out.stderr.contains("Session="),
        "{}",
        out.stderr
    );
}

const MFA: &str = "arn:aws:iam::123456789012:mfa/alice";
const POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

/// `admin`: a role with mfa_serial over `base`'s long-term keys (codes from mfa_process);
/// `keys`: keys only.
fn console_profiles(c: &Console) -> Sandbox {
    let mut sb = c.sandbox();
    sb.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .unset("AWS_DEFAULT_REGION");
    sb.write(
        "aws/config",
        &format!(
            "[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\nmfa_serial = {MFA}\nmfa_process = echo 123456\nrole_session_name = admin\n\
             [profile keys]\nregion = eu-west-1\n"
        ),
    );
    sb.write(
        "aws/credentials",
        &format!(
            "[base]\naws_access_key_id = {SOURCE_KEY}\naws_secret_access_key = {SOURCE_SECRET}\n\
             [keys]\naws_access_key_id = {SOURCE_KEY}\naws_secret_access_key = {SOURCE_SECRET}\n"
        ),
    );
    let cache = sb.path("cache");
    sb.set("TEMPCREDS_CACHE_DIR", cache.to_str().unwrap());
    sb
}

#[test]
fn console_profile_over_an_hour_with_mfa_is_assumed_directly() {
    let c = Console::start();
    let sb = console_profiles(&c);
    let out = sb.tempcreds(&["console", "admin", "--duration", "8h"]).ok();
    follow(out.stdout.trim());
    let log = c.log();
    assert_eq!(log[0]["SessionDuration"], "28800", "{log:?}");
    assert_eq!(
        c.sts_calls(),
        1,
        "one AssumeRole with the code, no MFA session"
    );
}

#[test]
fn console_profile_through_the_mfa_session_is_fresh_and_sends_no_session_duration() {
    let c = Console::start();
    let sb = console_profiles(&c);
    sb.tempcreds(&["env", "admin"]).ok();
    assert_eq!(c.sts_calls(), 2, "MFA session, then the role");
    for args in [
        &["console", "--profile", "admin"][..],
        &["console", "admin", "--duration", "30m"],
    ] {
        let out = sb.tempcreds(args).ok();
        follow(out.stdout.trim());
    }
    assert_eq!(
        c.sts_calls(),
        4,
        "the role anew each time, from the cached MFA session"
    );
    for entry in c.log() {
        assert!(entry.get("SessionDuration").is_none(), "chained: {entry}");
    }
}

#[test]
fn console_keys_only_profile_signs_in_as_a_federated_user() {
    let c = Console::start();
    let sb = console_profiles(&c);
    let out = sb.tempcreds(&["console", "keys"]).fails(2);
    assert!(out.stderr.contains("session policy"), "{}", out.stderr);
    assert_eq!(c.sts_calls(), 0);
    let out = sb.tempcreds(&["console", "keys", "--policy", POLICY]).ok();
    assert!(
        follow(out.stdout.trim()).starts_with("https://eu-west-1.console.aws.amazon.com/"),
        "the profile's region"
    );
    sb.tempcreds(&[
        "console",
        "keys",
        "--policy",
        POLICY,
        "--federated-user",
        "bob",
    ])
    .ok();
    assert_eq!(c.sts_calls(), 2);
    let out = sb
        .tempcreds(&["console", "admin", "--policy", POLICY])
        .fails(2);
    assert!(
        out.stderr
            .starts_with("error: --policy: only applies to a keys-only profile"),
        "{}",
        out.stderr
    );
}
