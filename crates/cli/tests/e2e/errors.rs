//! Failures reported by AWS or the network: exit 1, one line with the code and a hint, and
//! never a secret at any verbosity.

use crate::support::*;

#[test]
fn unknown_source_keys_give_invalid_client_token_id_and_a_hint() {
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let sb = Sandbox::new(&moto.url);
    let out = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "alice"])
        .fails(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with("error: STS AssumeRole failed: InvalidClientTokenId: "),
        "{}",
        out.stderr
    );
    assert!(
        lines[1].starts_with("hint: ") && lines[1].contains("AWS_ACCESS_KEY_ID"),
        "{}",
        out.stderr
    );
    assert_eq!(lines.len(), 2);
    assert!(!out.stderr.contains(SOURCE_SECRET));
}

/// moto with signature and policy checks after four set-up calls: a user allowed to assume
/// one role, whose trust policy names that user.
fn provisioned() -> (Moto, Sandbox, String, String) {
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")]);
    let sb = Sandbox::new(&moto.url);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/learner"},"Action":"sts:AssumeRole"}]}"#;
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/Lab"}]}"#;
    sb.aws(&[
        "iam",
        "create-role",
        "--role-name",
        "Lab",
        "--assume-role-policy-document",
        trust,
    ])
    .ok();
    sb.aws(&["iam", "create-user", "--user-name", "learner"])
        .ok();
    let key = sb
        .aws(&[
            "iam",
            "create-access-key",
            "--user-name",
            "learner",
            "--output",
            "json",
        ])
        .ok()
        .json();
    sb.aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "learner",
        "--policy-name",
        "assume",
        "--policy-document",
        allow,
    ])
    .ok();
    let id = key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = key["AccessKey"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_owned();
    (moto, sb, id, secret)
}

#[test]
fn signed_requests_work_and_wrong_secret_or_role_fail_with_hints() {
    let (_moto, mut sb, id, secret) = provisioned();
    sb.set("AWS_ACCESS_KEY_ID", &id)
        .set("AWS_SECRET_ACCESS_KEY", &secret);
    let ok = sb.tempcreds(&["assume", "-r", ROLE, "-s", "learner"]).ok();
    assert_eq!(
        ok.json()["AssumedRoleArn"],
        "arn:aws:sts::123456789012:assumed-role/Lab/learner"
    );

    let out = sb
        .tempcreds(&[
            "assume",
            "-r",
            "arn:aws:iam::123456789012:role/Other",
            "-s",
            "learner",
        ])
        .fails(1);
    assert!(
        out.stderr
            .starts_with("error: STS AssumeRole failed: AccessDenied: "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "hint: either the caller lacks sts:AssumeRole on arn:aws:iam::123456789012:role/Other"
        ),
        "{}",
        out.stderr
    );

    sb.set(
        "AWS_SECRET_ACCESS_KEY",
        "wrong-secret-wrong-secret-wrong-secret00",
    );
    let out = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "learner"])
        .fails(1);
    assert!(
        out.stderr
            .starts_with("error: STS AssumeRole failed: SignatureDoesNotMatch: "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: the source secret access key does not match"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("wrong-secret"));
}

#[test]
fn unreachable_endpoint_is_one_line_with_a_hint() {
    let port = free_port();
    let sb = Sandbox::new(&format!("http://127.0.0.1:{port}"));
    let out = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "alice"])
        .fails(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(
        lines[0].starts_with("error: STS AssumeRole could not connect"),
        "{}",
        out.stderr
    );
    assert!(lines[1].contains("AWS_ENDPOINT_URL"), "{}", out.stderr);
}

#[test]
fn no_source_credentials_is_explained() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    let out = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "alice"])
        .fails(1);
    // One error line naming, in words, every source tried; one hint; no Debug text.
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(
        lines[0].starts_with("error: no credentials found: tried the environment"),
        "{}",
        out.stderr
    );
    for source in ["shared files", "container", "instance metadata"] {
        assert!(lines[0].contains(source), "{source}: {}", out.stderr);
    }
    assert!(lines.iter().all(|l| l.len() <= 200), "{}", out.stderr);
    assert!(
        !out.stderr.contains("Error {") && !out.stderr.contains("(\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: set AWS_ACCESS_KEY_ID"),
        "{}",
        out.stderr
    );
    let out = sb
        .tempcreds(&[
            "assume",
            "-r",
            ROLE,
            "-s",
            "alice",
            "--source-profile",
            "nope",
        ])
        .fails(2);
    assert!(out.stderr.contains("profile \"nope\""), "{}", out.stderr);
}

#[test]
fn no_secret_in_logs_at_any_verbosity() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    for v in ["-v", "-vv", "-vvv"] {
        let out = sb.tempcreds(&["assume", "-r", ROLE, "-s", "alice", v]).ok();
        let j = out.json();
        assert!(
            out.stderr.contains("AssumeRole") || v == "-v",
            "{v}: {}",
            out.stderr
        );
        for secret in [
            SOURCE_SECRET,
            j["SecretAccessKey"].as_str().unwrap(),
            j["SessionToken"].as_str().unwrap(),
        ] {
            assert!(
                !out.stderr.contains(secret),
                "{v} leaked a secret: {}",
                out.stderr
            );
        }
    }
}
