//! A stored key is a source everywhere a keys profile is: `-r … --source-profile`, `session`,
//! `console` (GetFederationToken), `exec --server`, setup's administrator; and `setup
//! --key-store` puts a new user's key straight into the store, which `teardown` empties.

use crate::keys::{add_env, assert_nowhere_but_the_store, has_row, iam_user};
use crate::setup::{ACCESS, ROLE_ARN};
use crate::support::*;

const POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

#[test]
fn a_stored_key_signs_roles_sessions_servers_and_setup() {
    let rec = Recorder::start();
    let mut sb = rec.sandbox();
    let (id, secret) = iam_user(&sb, "base");
    add_env(&sb, "base", &id, &secret).ok();
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    let signed_by = |from: usize, action: &str| -> Vec<String> {
        rec.calls()[from..]
            .iter()
            .filter(|c| c.0 == action)
            .map(|c| c.1.clone())
            .collect()
    };

    let from = rec.calls().len();
    sb.tempcreds(&[
        "assume",
        "-r",
        ROLE,
        "--source-profile",
        "base",
        "-s",
        "flags",
    ])
    .ok();
    assert_eq!(
        signed_by(from, "AssumeRole"),
        std::slice::from_ref(&id),
        "-r from the stored key itself"
    );

    let from = rec.calls().len();
    let s = sb
        .tempcreds(&["session", "--profile", "base", "-d", "2h"])
        .ok();
    assert!(
        s.stderr.contains("session of profile base valid until"),
        "{}",
        s.stderr
    );
    assert_eq!(
        signed_by(from, "GetSessionToken"),
        std::slice::from_ref(&id)
    );

    let out = sb
        .tempcreds(&["exec", "base", "--server", "--", "sh", "-c", "echo key=${AWS_ACCESS_KEY_ID:-none}; aws sts get-caller-identity --query Account --output text"])
        .ok();
    assert!(
        out.stdout.contains("key=none") && out.stdout.contains("123456789012"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );

    // setup's administrator from the store: every IAM call signed with the stored key.
    sb.write("access.json", ACCESS);
    let from = rec.calls().len();
    let file = sb.path("access.json");
    sb.tempcreds(&[
        "setup",
        "lab",
        "--policy-file",
        file.to_str().unwrap(),
        "--source-profile",
        "base",
        "--write-profile",
        "lab",
    ])
    .ok();
    let iam: Vec<_> = rec.calls()[from..]
        .iter()
        .filter(|c| c.0.starts_with("Create"))
        .cloned()
        .collect();
    assert!(!iam.is_empty() && iam.iter().all(|c| c.1 == id), "{iam:?}");
    assert_nowhere_but_the_store(&sb, &secret);
}

#[test]
fn console_of_a_stored_keys_profile_is_a_federated_user() {
    let c = Console::start();
    let sb = c.sandbox();
    add_env(&sb, "fed", "AKIAFEDERATEDKEY0001", "fed/secret").ok();
    let out = sb
        .tempcreds(&[
            "console",
            "--profile",
            "fed",
            "--federated-user",
            "alice",
            "--policy",
            POLICY,
            "--service",
            "iam",
        ])
        .ok();
    assert!(out.stdout.starts_with("http"), "{}", out.stdout);
    let log = c.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].get("SessionDuration").is_none(), "{log:?}");
}

#[test]
fn setup_key_store_puts_the_new_key_in_the_store_and_teardown_takes_it_out() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    sb.write("access.json", ACCESS);
    let file = sb.path("access.json");
    let setup = [
        "setup",
        "lab",
        "--policy-file",
        file.to_str().unwrap(),
        "--key-store",
    ];
    let out = sb.tempcreds(&setup).ok();
    assert_eq!(out.json()["Profile"], "lab");
    assert!(
        out.stderr.contains("stored the new access key"),
        "{}",
        out.stderr
    );
    assert!(
        !sb.credentials_file().exists(),
        "no secret in the credentials file"
    );
    assert_eq!(
        std::fs::read_to_string(sb.path("aws/config")).unwrap(),
        "[profile lab]\ncredential_process = tempcreds credential-process lab\n"
    );
    let listed = sb.tempcreds(&["keys", "list"]).ok().stdout;
    let key = listed
        .lines()
        .find(|l| l.starts_with("lab "))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(has_row(&listed, &["lab", &key, "file", "0d"]), "{listed}");
    // A second run finds the stored key and makes none.
    let again = sb.tempcreds(&setup).ok();
    assert!(
        again.stderr.contains("nothing to change"),
        "{}",
        again.stderr
    );

    // The learner: the AWS CLI and tempcreds use the stored profile.
    let mut user = sb_without_admin(&sb);
    assert!(
        user.aws_caller_arn("lab").starts_with("arn:aws:"),
        "the AWS CLI reads it"
    );
    user.set("AWS_PROFILE", "lab");
    user.tempcreds(&[
        "assume",
        "-r",
        ROLE_ARN,
        "--source-profile",
        "lab",
        "-s",
        "learner",
    ])
    .ok();

    let down = sb.tempcreds(&["teardown", "lab"]).ok();
    assert!(
        down.stderr.contains("remove the stored key of profile lab"),
        "{}",
        down.stderr
    );
    assert!(!has_row(
        &sb.tempcreds(&["keys", "list"]).ok().stdout,
        &["lab", &key, "file", "0d"]
    ));
    assert_eq!(
        std::fs::read_to_string(sb.path("aws/config")).unwrap(),
        "[profile lab]\n"
    );
}

/// The same HOME and files, without the administrator's keys in the environment.
fn sb_without_admin(sb: &Sandbox) -> Sandbox {
    let mut user = Sandbox::new(sb.env.get("AWS_ENDPOINT_URL").unwrap());
    for k in ["HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
        user.set(k, sb.env.get(k).unwrap());
    }
    user.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    user
}
