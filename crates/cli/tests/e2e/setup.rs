//! `setup` and `teardown` against moto's IAM and STS, checked with the AWS CLI: the full
//! round trip, idempotence, a policy update, `--show-secret`; and the helpers the other
//! setup tests share (`setup_mfa`: MFA devices; `setup_rules`: refusals, least privilege).

use crate::support::*;

pub(crate) const ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;
pub(crate) const USER: &str = "arn:aws:iam::123456789012:user/lab";
pub(crate) const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/lab";

pub(crate) fn admin(moto: &Moto) -> Sandbox {
    let sb = Sandbox::new(&moto.url);
    sb.write("access.json", ACCESS);
    sb
}

/// The provisioned user's side: the profile setup wrote is its only source.
pub(crate) fn learner(moto: &Moto, admin: &Sandbox) -> Sandbox {
    let mut user = Sandbox::new(&moto.url);
    user.set(
        "AWS_SHARED_CREDENTIALS_FILE",
        admin.credentials_file().to_str().unwrap(),
    );
    user.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    user
}

fn names(sb: &Sandbox, args: &[&str]) -> String {
    sb.aws(args)
        .ok()
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What IAM holds, as the AWS CLI lists it.
pub(crate) fn iam_inventory(sb: &Sandbox) -> String {
    [
        names(
            sb,
            &[
                "iam",
                "list-users",
                "--query",
                "Users[].UserName",
                "--output",
                "text",
            ],
        ),
        names(
            sb,
            &[
                "iam",
                "list-roles",
                "--query",
                "Roles[].RoleName",
                "--output",
                "text",
            ],
        ),
        names(
            sb,
            &[
                "iam",
                "list-virtual-mfa-devices",
                "--query",
                "VirtualMFADevices[].SerialNumber",
                "--output",
                "text",
            ],
        ),
    ]
    .join(" | ")
}

pub(crate) fn setup(sb: &Sandbox, extra: &[&str]) -> Run {
    let file = sb.path("access.json");
    let mut args = vec!["setup", "lab", "--policy-file", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    sb.tempcreds(&args)
}

#[test]
fn setup_assume_rerun_update_and_teardown() {
    let moto = Moto::start();
    let sb = admin(&moto);
    let dry = setup(&sb, &["--dry-run"]).ok();
    assert!(
        dry.stdout.starts_with("setup lab would make 6 changes:\n"),
        "{}",
        dry.stdout
    );
    assert_eq!(iam_inventory(&sb), " |  | ", "--dry-run changed nothing");

    let out = setup(&sb, &[]).ok();
    let summary = out.json();
    assert_eq!(summary["UserArn"], USER);
    assert_eq!(summary["RoleArn"], ROLE_ARN);
    assert_eq!(summary["MfaSerial"], serde_json::Value::Null);
    assert_eq!(summary["Profile"], "lab");
    assert!(
        out.stderr.contains(&format!(
            "next: tempcreds assume -r {ROLE_ARN} --source-profile lab"
        )),
        "{}",
        out.stderr
    );
    let creds = std::fs::read_to_string(sb.credentials_file()).unwrap();
    let secret = creds
        .lines()
        .find_map(|l| l.strip_prefix("aws_secret_access_key = "))
        .unwrap();
    assert!(
        !out.stdout.contains(secret) && !out.stderr.contains(secret),
        "the secret is never printed"
    );

    // The written profile, the role from the summary, and the AWS CLI reading the result.
    let user = learner(&moto, &sb);
    let assumed = user
        .tempcreds(&[
            "assume",
            "-r",
            ROLE_ARN,
            "--source-profile",
            "lab",
            "-s",
            "learner",
            "-o",
            "write",
            "--write-profile",
            "lab-session",
        ])
        .ok();
    assert!(assumed.stderr.contains("lab-session"));
    assert_eq!(
        user.aws_caller_arn("lab-session"),
        "arn:aws:sts::123456789012:assumed-role/lab/learner"
    );

    // Again: nothing changes, and it says so.
    let again = setup(&sb, &[]).ok();
    assert!(
        again.stderr.contains("nothing to change"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(sb.credentials_file())
            .unwrap()
            .matches("[lab]")
            .count(),
        1
    );
    // A changed policy file updates just the policy.
    sb.write(
        "access.json",
        &ACCESS.replace("s3:ListAllMyBuckets", "s3:GetObject"),
    );
    let update = setup(&sb, &["--dry-run"]).ok();
    assert_eq!(
        update.stdout,
        "setup lab would make 1 change:\n  - set the role's access policy tempcreds-access\n"
    );
    setup(&sb, &[]).ok();
    let doc = sb
        .aws(&[
            "iam",
            "get-role-policy",
            "--role-name",
            "lab",
            "--policy-name",
            "tempcreds-access",
            "--output",
            "json",
        ])
        .ok();
    assert!(doc.stdout.contains("s3:GetObject"), "{}", doc.stdout);

    let td = sb.tempcreds(&["teardown", "lab"]).ok();
    assert!(td.stderr.contains("done: delete the role"), "{}", td.stderr);
    assert_eq!(iam_inventory(&sb), " |  | ", "nothing left behind");
    assert!(
        !std::fs::read_to_string(sb.credentials_file())
            .unwrap()
            .contains("[lab]"),
        "its profile is gone"
    );
    assert!(
        std::fs::read_to_string(sb.credentials_file())
            .unwrap()
            .contains("[lab-session]"),
        "and only its profile"
    );
    let again = sb.tempcreds(&["teardown", "lab"]).ok();
    assert!(
        again.stderr.contains("nothing to remove"),
        "{}",
        again.stderr
    );
}

#[test]
fn show_secret_prints_the_key_instead_of_writing_a_profile() {
    let moto = Moto::start();
    let sb = admin(&moto);
    let out = setup(&sb, &["--show-secret"]).ok();
    let summary = out.json();
    assert!(summary["AccessKeyId"].as_str().unwrap().starts_with("AKIA"));
    assert!(!summary["SecretAccessKey"].as_str().unwrap().is_empty());
    assert_eq!(summary["Profile"], serde_json::Value::Null);
    assert!(!sb.credentials_file().exists(), "no profile written");
    let both = sb
        .tempcreds(&["setup", "lab", "--show-secret", "--write-profile", "x"])
        .fails(2);
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
}
