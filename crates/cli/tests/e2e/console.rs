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
    sb.set("AWS_ACCESS_KEY_ID", first["AccessKeyId"].as_str().unwrap())
        .set(
            "AWS_SECRET_ACCESS_KEY",
            first["SecretAccessKey"].as_str().unwrap(),
        )
        .set("AWS_SESSION_TOKEN", first["SessionToken"].as_str().unwrap());
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
    let set = |sb: &mut Sandbox, c: &serde_json::Value| {
        sb.set("AWS_ACCESS_KEY_ID", c["AccessKeyId"].as_str().unwrap())
            .set(
                "AWS_SECRET_ACCESS_KEY",
                c["SecretAccessKey"].as_str().unwrap(),
            )
            .set("AWS_SESSION_TOKEN", c["SessionToken"].as_str().unwrap());
    };
    set(&mut sb, &st["Credentials"]);
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
    set(
        &mut sb,
        &serde_json::json!({"AccessKeyId": role["AccessKeyId"], "SecretAccessKey": role["SecretAccessKey"], "SessionToken": role["SessionToken"]}),
    );
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

#[test]
fn endpoint_errors_are_one_line_without_secrets() {
    let c = Console::start();
    let mut sb = c.sandbox();
    // A server that is not a federation endpoint: the fake's 404.
    sb.set(
        "TEMPCREDS_FEDERATION_ENDPOINT",
        &format!("{}/nothing/federation", c.url),
    );
    let out = sb
        .tempcreds(&["console", "-r", ROLE, "-s", "alice"])
        .fails(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with("error: sign-in endpoint") && lines[0].contains("HTTP 404"),
        "{}",
        out.stderr
    );
    assert_eq!(lines.len(), 2);
    assert!(!out.stderr.contains("sessionKey") && !out.stderr.contains(SOURCE_SECRET));
}

#[test]
fn bad_console_input_is_refused_before_anything_is_sent() {
    let c = Console::start();
    let sb = c.sandbox();
    let cases: &[(&[&str], &str)] = &[
        (&["console", "-r", ROLE, "--service", "s3/x"], "--service"),
        (
            &[
                "console",
                "-r",
                ROLE,
                "--destination",
                "http://console.aws.amazon.com/",
            ],
            "--destination",
        ),
        (&["console", "-r", ROLE, "--duration", "13h"], "--duration"),
        (
            &["console", "-r", ROLE, "--region", "cn-north-1"],
            "--region",
        ),
        (
            &["console", "-r", ROLE, "--region", "us-iso-east-1"],
            "--region",
        ),
        (
            &[
                "console",
                "--federated-user",
                &"a".repeat(33),
                "--policy",
                "{}",
            ],
            "--federated-user",
        ),
        (
            &[
                "console",
                "--federated-user",
                "alice",
                "--policy",
                "{}",
                "--tag",
                "a=b",
            ],
            "--tag",
        ),
        (
            &[
                "console",
                "--federated-user",
                "alice",
                "--policy",
                "{}",
                "--duration",
                "37h",
            ],
            "--duration",
        ),
        (&["console", "--duration", "2h"], "--duration"),
        (
            &["assume", "-r", ROLE, "--service", "s3"],
            "only apply to --output link",
        ),
        (
            &["assume", "-r", ROLE, "-o", "env", "--console-link"],
            "--console-link",
        ),
    ];
    for (args, flag) in cases {
        let out = sb.tempcreds(args).fails(2);
        assert!(
            out.stderr.starts_with("error: ") && out.stderr.contains(flag),
            "{args:?}: {}",
            out.stderr
        );
    }
    let mut bad = c.sandbox();
    bad.set("TEMPCREDS_FEDERATION_ENDPOINT", "http://127.0.0.1:9/");
    assert!(
        bad.tempcreds(&["console", "-r", ROLE])
            .fails(2)
            .stderr
            .contains("TEMPCREDS_FEDERATION_ENDPOINT")
    );
    assert!(c.log().is_empty(), "nothing reached the sign-in endpoint");
    assert_eq!(c.sts_calls(), 0, "nothing reached STS");
}

#[test]
fn answers_without_a_signin_token_are_one_line_errors() {
    let c = Console::start();
    for (path, what) in [("html", "not JSON"), ("empty", "without a SigninToken")] {
        let mut sb = c.sandbox();
        sb.set(
            "TEMPCREDS_FEDERATION_ENDPOINT",
            &format!("{}/_fake/{path}/federation", c.url),
        );
        let out = sb
            .tempcreds(&["console", "-r", ROLE, "-s", "alice"])
            .fails(1);
        assert!(
            out.stderr.starts_with("error: sign-in endpoint") && out.stderr.contains(what),
            "{}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    }
}

/// The fake must refuse what AWS refuses, or the tests above could pass for the wrong
/// reason: each rule is checked here with hand-made requests.
#[test]
fn the_fake_enforces_the_documented_rules() {
    let c = Console::start();
    let sb = c.sandbox();
    let role = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "rules"])
        .ok()
        .json();
    let fed = format!("{}/federation", c.url);
    let session = |extra: &str| {
        let s = format!(
            r#"{{"sessionId":{},"sessionKey":{},"sessionToken":{}{extra}}}"#,
            role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"]
        );
        url_encode(&s)
    };
    let get = |query: String| http_get(&format!("{fed}?{query}"));
    assert_eq!(
        get(format!("Action=getSigninToken&Session={}", session(""))).0,
        200
    );
    assert_eq!(
        get(format!(
            "Action=getSigninToken&Session={}&SessionDuration=3600",
            session("")
        ))
        .0,
        200
    );
    let refused = [
        format!("Action=getSigninToken&Session={}&sessionDuration=3600", session("")),
        format!("Action=getSigninToken&Session={}", session(r#","extra":"x""#)),
        format!("Action=getSigninToken&Session={}&SessionDuration=899", session("")),
        format!("Action=getSigninToken&Session={}&SessionDuration=43201", session("")),
        "Action=getSigninToken&Session=%7B%7D".to_owned(),
        "Action=login&Issuer=x&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=forged".to_owned(),
    ];
    for q in refused {
        assert_eq!(get(q.clone()).0, 400, "{q}");
    }
    // Role-chained credentials take no SessionDuration.
    let mut chained_sb = c.sandbox();
    chained_sb
        .set("AWS_ACCESS_KEY_ID", role["AccessKeyId"].as_str().unwrap())
        .set(
            "AWS_SECRET_ACCESS_KEY",
            role["SecretAccessKey"].as_str().unwrap(),
        )
        .set("AWS_SESSION_TOKEN", role["SessionToken"].as_str().unwrap());
    let chained = chained_sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "hop"])
        .ok()
        .json();
    let s = format!(
        r#"{{"sessionId":{},"sessionKey":{},"sessionToken":{}}}"#,
        chained["AccessKeyId"], chained["SecretAccessKey"], chained["SessionToken"]
    );
    assert_eq!(
        get(format!(
            "Action=getSigninToken&Session={}&SessionDuration=3600",
            url_encode(&s)
        ))
        .0,
        400
    );
    assert_eq!(
        get(format!("Action=getSigninToken&Session={}", url_encode(&s))).0,
        200
    );
    // GetSessionToken credentials may not sign in at all.
    let st = sb
        .aws(&["sts", "get-session-token", "--output", "json"])
        .ok()
        .json()["Credentials"]
        .clone();
    let s = format!(
        r#"{{"sessionId":{},"sessionKey":{},"sessionToken":{}}}"#,
        st["AccessKeyId"], st["SecretAccessKey"], st["SessionToken"]
    );
    let (code, body) = get(format!("Action=getSigninToken&Session={}", url_encode(&s)));
    assert_eq!(
        (code, body.contains("Only federation tokens")),
        (400, true),
        "{body}"
    );
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
