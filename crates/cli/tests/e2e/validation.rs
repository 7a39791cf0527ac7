//! Every bad input: exit 2, one line naming the flag and the rule, nothing sent (the
//! endpoint is a listener that records any connection), every file byte-for-byte as it was.

use std::net::TcpListener;

use crate::support::*;

const FILE: &str =
    "# keep me\n[default]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n";

/// A fake endpoint that only records whether anyone connected.
struct Trap(TcpListener);

impl Trap {
    fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Self(l)
    }
    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }
    fn touched(&self) -> bool {
        self.0.accept().is_ok()
    }
}

#[track_caller]
fn rejects(args: &[&str], flag: &str, rule: &str) {
    rejects_with(args, flag, rule, &[]);
}

#[track_caller]
fn rejects_with(args: &[&str], flag: &str, rule: &str, env: &[(&str, &str)]) {
    let trap = Trap::new();
    let mut sb = Sandbox::new(&trap.url());
    for (k, v) in env {
        sb.set(k, v);
    }
    sb.write("aws/credentials", FILE);
    sb.write("aws/config", FILE);
    let mut full = vec!["assume"];
    full.extend_from_slice(args);
    let out = sb.tempcreds(&full).fails(2);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(flag) && lines[0].contains(rule),
        "{args:?}: expected '{flag}' and '{rule}' in: {}",
        out.stderr
    );
    assert!(
        lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
        "one line (+hint): {}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
    assert!(!trap.touched(), "{args:?}: something was sent");
    assert_eq!(
        std::fs::read_to_string(sb.credentials_file()).unwrap(),
        FILE
    );
    assert_eq!(
        std::fs::read_to_string(sb.path("aws/config")).unwrap(),
        FILE
    );
    let names: Vec<_> = std::fs::read_dir(sb.path("aws")).unwrap().collect();
    assert_eq!(names.len(), 2, "no other file appeared");
}

const MFA: &str = "arn:aws:iam::123456789012:mfa/alice";

#[test]
fn role_arn_rules() {
    rejects(
        &["-r", "Lab", "-s", "ab"],
        "--role-arn",
        "arn:PARTITION:iam::ACCOUNT:role/NAME",
    );
    rejects(
        &["-r", "arn:aws:iam::12345:role/Lab", "-s", "ab"],
        "--role-arn",
        "12-digit",
    );
    rejects(
        &["-r", "arn:aws:iam::123456789012:user/Lab", "-s", "ab"],
        "--role-arn",
        "role/NAME",
    );
    rejects(
        &["-r", "arn:aws-moon:iam::123456789012:role/Lab", "-s", "ab"],
        "--role-arn",
        "unknown partition",
    );
}

#[test]
fn session_name_rules() {
    rejects(&["-r", ROLE, "-s", "a"], "--session-name", "2 to 64");
    rejects(
        &["-r", ROLE, "-s", "alice smith"],
        "--session-name",
        "found \" \"",
    );
    rejects(
        &["-r", ROLE, "-s", &"x".repeat(65)],
        "--session-name",
        "got 65",
    );
}

#[test]
fn duration_rules() {
    rejects(
        &["-r", ROLE, "-s", "ab", "-d", "10m"],
        "--duration",
        "between 15m (900) and 12h",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "-d", "13h"],
        "--duration",
        "got 46800",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "-d", "soon"],
        "--duration",
        "not a duration",
    );
    // Temporary source credentials: AssumeRole is role chaining, capped at one hour.
    rejects_with(
        &["-r", ROLE, "-s", "ab", "-d", "2h"],
        "--duration",
        "role chaining",
        &[("AWS_SESSION_TOKEN", "tok")],
    );
}

#[test]
fn external_id_and_source_identity_rules() {
    rejects(
        &["-r", ROLE, "-s", "ab", "--external-id", "x"],
        "--external-id",
        "2 to 1224",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--external-id", "a b"],
        "--external-id",
        "found",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--source-identity", "a"],
        "--source-identity",
        "2 to 64",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--source-identity", "aws:me"],
        "--source-identity",
        "found ':'",
    );
}

#[test]
fn mfa_rules() {
    rejects(
        &["-r", ROLE, "-s", "ab", "--mfa-serial", "1234"],
        "--mfa-serial",
        "9 to 256",
    );
    rejects(
        &[
            "-r",
            ROLE,
            "-s",
            "ab",
            "--mfa-serial",
            MFA,
            "--mfa-code",
            "12345",
        ],
        "--mfa-code",
        "exactly 6 digits",
    );
    rejects(
        &[
            "-r",
            ROLE,
            "-s",
            "ab",
            "--mfa-serial",
            MFA,
            "--mfa-code",
            "12345a",
        ],
        "--mfa-code",
        "exactly 6 digits",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--mfa-code", "123456"],
        "--mfa-code",
        "needs --mfa-serial",
    );
}

#[test]
fn mfa_prompt_without_a_terminal_is_refused() {
    // setsid: no controlling terminal, as under cron or CI.
    let trap = Trap::new();
    let sb = Sandbox::new(&trap.url());
    let out = sb
        .command("setsid")
        .args([
            "--wait",
            &tempcreds_bin(),
            "assume",
            "-r",
            ROLE,
            "-s",
            "ab",
            "--mfa-serial",
            MFA,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: --mfa-code: is needed: there is no terminal"),
        "{err}"
    );
    assert!(!trap.touched());
}

#[test]
fn policy_rules() {
    rejects(
        &["-r", ROLE, "-s", "ab", "--policy", "{"],
        "--policy",
        "valid JSON",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--policy", "[1]"],
        "--policy",
        "JSON object",
    );
    let long = format!("{{\"Sid\":\"{}\"}}", "x".repeat(2100));
    rejects(
        &["-r", ROLE, "-s", "ab", "--policy", &long],
        "--policy",
        "at most 2048",
    );
    rejects(
        &[
            "-r",
            ROLE,
            "-s",
            "ab",
            "--policy-file",
            "/nonexistent/p.json",
        ],
        "--policy-file",
        "cannot read",
    );
    let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let mut eleven = vec!["-r", ROLE, "-s", "ab"];
    for _ in 0..11 {
        eleven.extend(["--policy-arn", arn]);
    }
    rejects(&eleven, "--policy-arn", "at most 10");
    rejects(
        &["-r", ROLE, "-s", "ab", "--policy-arn", "ReadOnlyAccess"],
        "--policy-arn",
        "policy/NAME",
    );
}

#[test]
fn tag_rules() {
    rejects(
        &["-r", ROLE, "-s", "ab", "--tag", "team"],
        "--tag",
        "KEY=VALUE",
    );
    rejects(
        &[
            "-r",
            ROLE,
            "-s",
            "ab",
            "--tag",
            &format!("{}=v", "k".repeat(129)),
        ],
        "--tag",
        "1 to 128",
    );
    rejects(
        &[
            "-r",
            ROLE,
            "-s",
            "ab",
            "--tag",
            &format!("k={}", "v".repeat(257)),
        ],
        "--tag",
        "0 to 256",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--tag", "Team=a", "--tag", "team=b"],
        "--tag",
        "case-insensitive",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--tag", "aws:x=1"],
        "--tag",
        "reserved",
    );
    let mut many = vec!["-r", ROLE, "-s", "ab"];
    let tags: Vec<String> = (0..51).map(|i| format!("k{i}=v")).collect();
    for t in &tags {
        many.extend(["--tag", t.as_str()]);
    }
    rejects(&many, "--tag", "at most 50");
    rejects(
        &[
            "-r",
            ROLE,
            "-s",
            "ab",
            "--tag",
            "a=1",
            "--transitive-tag",
            "b",
        ],
        "--transitive-tag",
        "the key of one of the session tags",
    );
}

#[test]
fn region_rules() {
    rejects(
        &["-r", ROLE, "-s", "ab", "--region", "moon-1"],
        "--region",
        "not a region name",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--region", "cn-north-1"],
        "--region",
        "partition aws-cn",
    );
    rejects_with(
        &["-r", ROLE, "-s", "ab"],
        "AWS_REGION",
        "not a region name",
        &[("AWS_REGION", "Frankfurt")],
    );
    rejects(
        &[
            "-r",
            "arn:aws-us-gov:iam::123456789012:role/Lab",
            "-s",
            "ab",
            "--region",
            "eu-west-1",
        ],
        "--region",
        "partition aws-us-gov",
    );
}

#[test]
fn output_flag_rules() {
    rejects(
        &[
            "-r",
            ROLE,
            "-s",
            "ab",
            "-o",
            "write",
            "--write-profile",
            "a b",
        ],
        "--write-profile",
        "visible ASCII",
    );
    rejects(
        &["-r", ROLE, "-o", "write"],
        "--write-profile",
        "is needed with --output write",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--shell", "fish"],
        "--shell",
        "only applies to --output env",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--force"],
        "--force",
        "only applies to --output write",
    );
    rejects(
        &[
            "-r",
            ROLE,
            "-s",
            "ab",
            "--policy",
            "{}",
            "--policy-file",
            "x",
        ],
        "--policy",
        "cannot be used with",
    );
    rejects(
        &["-r", ROLE, "-s", "ab", "--bogus"],
        "--bogus",
        "unexpected argument",
    );
    rejects(&["-s", "ab"], "--role-arn", "required");
}
