//! What `setup` and `teardown` refuse (exit 2, nothing changed), and least privilege: with
//! moto's policy checks on, the provisioned user may assume its role and nothing else.

use crate::setup::{ROLE_ARN, USER, admin, iam_inventory, learner, setup};
use crate::support::*;

#[test]
fn refusals_change_nothing() {
    let moto = Moto::start();
    let sb = admin(&moto);
    let file = sb.path("access.json");
    let file = file.to_str().unwrap();
    for (args, message) in [
        (
            vec!["setup", "lab lab", "--policy-file", file],
            "error: NAME: must be 1 to 64 characters of A-Z a-z 0-9 _+=,.@- (found \" \")",
        ),
        (
            vec!["setup", "lab"],
            "error: --policy-file: or --policy-arn is needed: the role would have no permissions",
        ),
        (
            vec![
                "setup",
                "lab",
                "--policy-file",
                file,
                "--max-session-duration",
                "13h",
            ],
            "error: --max-session-duration: must be between 1h (3600) and 12h (43200) seconds (got 46800)",
        ),
        (
            vec!["setup", "lab", "--policy-arn", "nope"],
            "error: --policy-arn",
        ),
    ] {
        let out = sb.tempcreds(&args).fails(2);
        assert!(out.stderr.starts_with(message), "{args:?}: {}", out.stderr);
    }
    sb.write("bad.json", "{not json");
    let bad = sb.path("bad.json");
    let out = sb
        .tempcreds(&["setup", "lab", "--policy-file", bad.to_str().unwrap()])
        .fails(2);
    assert!(
        out.stderr
            .starts_with("error: --policy-file: must be a JSON policy document"),
        "{}",
        out.stderr
    );
    assert_eq!(iam_inventory(&sb), " |  | ");

    // A user tempcreds did not create is not taken over, nor torn down, without --force.
    sb.aws(&["iam", "create-user", "--user-name", "lab"]).ok();
    let out = setup(&sb, &[]).fails(2);
    assert!(
        out.stderr
            .contains("user lab exists and was not created by tempcreds"),
        "{}",
        out.stderr
    );
    let out = sb.tempcreds(&["teardown", "lab"]).fails(2);
    assert!(
        out.stderr.contains("was not created by tempcreds"),
        "{}",
        out.stderr
    );
    assert_eq!(iam_inventory(&sb), "lab |  | ");
    // Two keys already, neither in the profile: said plainly.
    sb.aws(&["iam", "create-access-key", "--user-name", "lab"])
        .ok();
    sb.aws(&["iam", "create-access-key", "--user-name", "lab"])
        .ok();
    let out = setup(&sb, &["--force"]).fails(2);
    assert!(
        out.stderr.contains(
            "user lab already has two access keys (IAM's limit) and profile lab holds neither"
        ),
        "{}",
        out.stderr
    );
    assert!(!sb.credentials_file().exists());
}

/// With moto's policy checks on, the provisioned user may assume its role and nothing else.
#[test]
fn the_provisioned_user_can_assume_its_role_and_nothing_else() {
    // The first 3 calls (the administrator's own user, policy and key) are unchecked.
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let mut sb = admin(&moto);
    sb.aws(&["iam", "create-user", "--user-name", "admin"]).ok();
    sb.aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "admin",
        "--policy-name",
        "all",
        "--policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ])
    .ok();
    let key = sb
        .aws(&[
            "iam",
            "create-access-key",
            "--user-name",
            "admin",
            "--output",
            "json",
        ])
        .ok()
        .json();
    sb.set(
        "AWS_ACCESS_KEY_ID",
        key["AccessKey"]["AccessKeyId"].as_str().unwrap(),
    )
    .set(
        "AWS_SECRET_ACCESS_KEY",
        key["AccessKey"]["SecretAccessKey"].as_str().unwrap(),
    );
    setup(&sb, &[]).ok();
    sb.aws(&["iam", "create-role", "--role-name", "other", "--assume-role-policy-document", &format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{USER}"}},"Action":"sts:AssumeRole"}}]}}"#)]).ok();

    let user = learner(&moto, &sb);
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
    let other = user
        .tempcreds(&[
            "assume",
            "-r",
            "arn:aws:iam::123456789012:role/other",
            "--source-profile",
            "lab",
            "-s",
            "learner",
        ])
        .fails(1);
    assert!(other.stderr.contains("AccessDenied"), "{}", other.stderr);
}
