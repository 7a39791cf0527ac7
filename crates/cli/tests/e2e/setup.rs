//! `setup` and `teardown` against moto's IAM and STS, checked with the AWS CLI: the full
//! round trip, idempotence, a policy update, MFA with codes from the seed (pyotp, driven
//! through a pseudo-terminal), refusals, a half-finished setup completed by a re-run, and
//! least privilege with moto's policy checks on.

use crate::support::*;

const ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;
const USER: &str = "arn:aws:iam::123456789012:user/lab";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/lab";

fn admin(moto: &Moto) -> Sandbox {
    let sb = Sandbox::new(&moto.url);
    sb.write("access.json", ACCESS);
    sb
}

/// The provisioned user's side: the profile setup wrote is its only source.
fn learner(moto: &Moto, admin: &Sandbox) -> Sandbox {
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
fn iam_inventory(sb: &Sandbox) -> String {
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

fn setup(sb: &Sandbox, extra: &[&str]) -> Run {
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

/// Drives `setup --require-mfa` in a pseudo-terminal: when the prompt appears, reads the
/// seed setup wrote to --totp-secret-out and types two consecutive codes made by pyotp.
fn setup_with_mfa(sb: &Sandbox, first_code_wrong: bool) -> Run {
    let script = r#"
import os, pty, sys, time, pyotp
seed_file, wrong, argv = sys.argv[1], sys.argv[2] == "1", sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen = b""
def until(text):
    global seen
    while text not in seen:
        chunk = os.read(fd, 4096)
        if not chunk:
            raise SystemExit("ended before %r: %s" % (text, seen.decode(errors="replace")))
        seen += chunk
until(b"(first code)")
totp = pyotp.TOTP(open(seed_file).read().strip())
now = time.time()
first, second = totp.at(now), totp.at(now + 30)
os.write(fd, (("000000" if wrong else first) + "\n").encode())
until(b"(the next code")
os.write(fd, (second + "\n").encode())
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
sys.stderr.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let seed = sb.path("seed.txt");
    let file = sb.path("access.json");
    let png = sb.path("mfa.png");
    Run::of(
        sb.command(venv().join("bin/python"))
            .args(["-c", script])
            .arg(&seed)
            .arg(if first_code_wrong { "1" } else { "0" })
            .args([tempcreds_bin().as_str(), "setup", "lab", "--policy-file"])
            .arg(&file)
            .args(["--require-mfa", "--totp-secret-out"])
            .arg(&seed)
            .arg("--qr-png")
            .arg(&png)
            .output()
            .unwrap(),
    )
}

#[test]
fn require_mfa_enables_a_device_from_two_codes_and_a_rerun_completes_a_half_setup() {
    let moto = Moto::start();
    let sb = admin(&moto);
    // Half-way: user, role and device created, the device not enabled (the codes fail
    // the local check before EnableMFADevice is called).
    let failed = setup_with_mfa(&sb, true).fails(2);
    assert!(
        failed
            .stderr
            .contains("must be two consecutive codes of the new device"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("Scan this QR code"),
        "the QR code is shown on the terminal"
    );
    assert_eq!(
        iam_inventory(&sb),
        "lab | lab | arn:aws:iam::123456789012:mfa/lab"
    );

    // A re-run completes it: the unfinished device is replaced, the new one enabled.
    let done = setup_with_mfa(&sb, false).ok();
    assert!(
        done.stderr
            .contains("done: delete the unfinished MFA device"),
        "{}",
        done.stderr
    );
    let summary: serde_json::Value = serde_json::from_str(
        &done.stderr[done.stderr.find('{').unwrap()..done.stderr.rfind('}').unwrap() + 1],
    )
    .unwrap();
    assert_eq!(summary["MfaSerial"], "arn:aws:iam::123456789012:mfa/lab");
    let devices = sb
        .aws(&[
            "iam",
            "list-mfa-devices",
            "--user-name",
            "lab",
            "--output",
            "json",
        ])
        .ok();
    assert!(
        devices.stdout.contains("arn:aws:iam::123456789012:mfa/lab"),
        "{}",
        devices.stdout
    );
    let png = std::fs::read(sb.path("mfa.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    use std::os::unix::fs::PermissionsExt;
    for f in ["mfa.png", "seed.txt"] {
        assert_eq!(
            std::fs::metadata(sb.path(f)).unwrap().permissions().mode() & 0o777,
            0o600,
            "{f}"
        );
    }
    // Both policies carry the MFA condition.
    let trust = sb
        .aws(&["iam", "get-role", "--role-name", "lab", "--output", "json"])
        .ok();
    assert!(
        trust.stdout.contains("aws:MultiFactorAuthPresent"),
        "{}",
        trust.stdout
    );

    sb.tempcreds(&["teardown", "lab"]).ok();
    assert_eq!(iam_inventory(&sb), " |  | ");
}

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
