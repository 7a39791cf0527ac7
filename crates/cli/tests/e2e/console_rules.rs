//! Console links that must not be made, and the fake they are tested against: bad input
//! refused before anything is sent, endpoint errors in one line, and the fake's own rules.

use crate::support::*;

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
    chained_sb.use_credentials(&role);
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
