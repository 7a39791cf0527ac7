//! Profiles, the shared MFA session and the cache, end to end against moto: `env`, `exec`,
//! `credential-process` read by the AWS CLI, and `session`. `mfa_process` counts the codes
//! it hands out, so "one MFA prompt" is measured, not assumed.

use crate::support::*;

pub(crate) const MFA: &str = "arn:aws:iam::123456789012:mfa/alice";

pub(crate) fn profiles(moto: &Moto) -> Sandbox {
    profiles_at(&moto.url)
}

/// A sandbox with profiles: `base` (keys + MFA device), two roles sharing its MFA session,
/// one over an hour (assumed directly with MFA), and `tty`, whose codes come only from
/// the terminal; STS at `endpoint`.
pub(crate) fn profiles_at(endpoint: &str) -> Sandbox {
    let mut sb = Sandbox::new(endpoint);
    let counter = sb.path("codes-used");
    let mfa_process = format!("sh -c 'echo x >> {}; echo 123456'", counter.display());
    sb.write(
        "aws/config",
        &format!(
            "[profile base]\nregion = eu-west-1\nmfa_serial = {MFA}\nmfa_process = {mfa_process}\n\n\
             [profile lab1]\nrole_arn = arn:aws:iam::123456789012:role/Lab1\nsource_profile = base\nmfa_serial = {MFA}\nmfa_process = {mfa_process}\nrole_session_name = alice\n\n\
             [profile lab2]\nrole_arn = arn:aws:iam::123456789012:role/Lab2\nsource_profile = base\nmfa_serial = {MFA}\nmfa_process = {mfa_process}\n\n\
             [profile long]\nrole_arn = arn:aws:iam::123456789012:role/Long\nsource_profile = base\nmfa_serial = {MFA}\nmfa_process = {mfa_process}\nduration_seconds = 7200\n\n\
             [profile loop1]\nrole_arn = arn:aws:iam::123456789012:role/L\nsource_profile = loop2\n\n\
             [profile loop2]\nrole_arn = arn:aws:iam::123456789012:role/L\nsource_profile = loop1\n\n\
             [profile orphan]\nrole_arn = arn:aws:iam::123456789012:role/O\nsource_profile = gone\n\n\
             [profile tty]\nrole_arn = arn:aws:iam::123456789012:role/Tty\nsource_profile = base\nmfa_serial = {MFA}\nrole_session_name = at-the-terminal\n"
        ),
    );
    sb.write(
        "aws/credentials",
        &format!(
            "[base]\naws_access_key_id = {SOURCE_KEY}\naws_secret_access_key = {SOURCE_SECRET}\n"
        ),
    );
    let cache = sb.path("cache");
    let xdg = sb.path("xdg-config");
    sb.set("TEMPCREDS_CACHE_DIR", cache.to_str().unwrap())
        .set("XDG_CONFIG_HOME", xdg.to_str().unwrap());
    // Profile commands read the files, not these.
    sb.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .unset("AWS_DEFAULT_REGION");
    sb
}

pub(crate) fn codes_used(sb: &Sandbox) -> usize {
    std::fs::read_to_string(sb.path("codes-used"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

pub(crate) fn exec_arn(sb: &Sandbox, profile: &str) -> String {
    let out = sb
        .tempcreds(&[
            "exec",
            profile,
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--output",
            "json",
        ])
        .ok();
    out.json()["Arn"].as_str().unwrap().to_owned()
}

#[test]
fn two_roles_share_one_mfa_session_and_the_cache_serves_repeats() {
    let moto = Moto::start();
    let sb = profiles(&moto);
    assert_eq!(
        exec_arn(&sb, "lab1"),
        "arn:aws:sts::123456789012:assumed-role/Lab1/alice"
    );
    assert_eq!(codes_used(&sb), 1);
    let arn2 = exec_arn(&sb, "lab2");
    assert!(
        arn2.starts_with("arn:aws:sts::123456789012:assumed-role/Lab2/tempcreds-"),
        "{arn2}"
    );
    assert_eq!(codes_used(&sb), 1, "the second role reused the MFA session");
    exec_arn(&sb, "lab1");
    exec_arn(&sb, "lab2");
    assert_eq!(codes_used(&sb), 1, "repeats come from the cache");
    // Cached secrets are encrypted at rest.
    for f in std::fs::read_dir(sb.path("cache")).unwrap() {
        let raw = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("ASIA"));
    }
}

#[test]
fn over_one_hour_assumes_directly_with_mfa_and_says_so() {
    let moto = Moto::start();
    let sb = profiles(&moto);
    let out = sb.tempcreds(&["env", "long", "-v"]).ok();
    assert!(out.stderr.contains("directly with MFA"), "{}", out.stderr);
    assert!(
        out.stdout.contains("export AWS_REGION='eu-west-1'"),
        "{}",
        out.stdout
    );
    assert_eq!(codes_used(&sb), 1);
    // No MFA session was started: a role with one still needs its own code.
    sb.tempcreds(&["env", "lab1"]).ok();
    assert_eq!(codes_used(&sb), 2);
}

#[test]
fn credential_process_profile_is_read_by_the_aws_cli() {
    let moto = Moto::start();
    let sb = profiles(&moto);
    let mut cfg = std::fs::read_to_string(sb.path("aws/config")).unwrap();
    cfg.push_str(&format!(
        "\n[profile cp]\ncredential_process = {} credential-process lab1\n",
        tempcreds_bin()
    ));
    sb.write("aws/config", &cfg);
    let out = sb
        .aws(&[
            "sts",
            "get-caller-identity",
            "--profile",
            "cp",
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .ok();
    assert_eq!(
        out.json()["Arn"],
        "arn:aws:sts::123456789012:assumed-role/Lab1/alice"
    );
    let again = sb.tempcreds(&["credential-process", "lab1"]).ok().json();
    assert_eq!(again["Version"], 1);
    assert_eq!(codes_used(&sb), 1, "the second run was a cache hit");
}

#[test]
fn session_starts_the_shared_mfa_session() {
    let moto = Moto::start();
    let sb = profiles(&moto);
    let out = sb.tempcreds(&["session", "--profile", "base"]).ok();
    assert!(
        out.stderr
            .contains("MFA session of profile base valid until"),
        "{}",
        out.stderr
    );
    sb.tempcreds(&["env", "lab1"]).ok();
    sb.tempcreds(&["env", "lab2"]).ok();
    assert_eq!(codes_used(&sb), 1);
}

#[test]
fn damaged_cache_entries_are_replaced_not_fatal() {
    let moto = Moto::start();
    let sb = profiles(&moto);
    sb.tempcreds(&["env", "lab1"]).ok();
    for f in std::fs::read_dir(sb.path("cache")).unwrap() {
        std::fs::write(f.unwrap().path(), b"garbage").unwrap();
    }
    sb.tempcreds(&["env", "lab1"]).ok();
    assert_eq!(
        codes_used(&sb),
        2,
        "the damaged MFA session was fetched again"
    );
    sb.tempcreds(&["env", "lab1"]).ok();
    assert_eq!(codes_used(&sb), 2);
}

#[test]
fn exec_scrubs_the_environment_passes_the_exit_code_and_refuses_to_nest() {
    let moto = Moto::start();
    let mut sb = profiles(&moto);
    sb.set("AWS_PROFILE", "stale")
        .set("AWS_SESSION_TOKEN", "stale-token");
    let out = sb.tempcreds(&[
        "exec",
        "lab1",
        "--",
        "bash",
        "-c",
        "echo \"[$AWS_PROFILE][$TEMPCREDS_EXEC_PROFILE][${AWS_SESSION_TOKEN:0:4}]\"; exit 7",
    ]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "[][lab1][FQoG]");
    sb.set("TEMPCREDS_EXEC_PROFILE", "outer");
    let out = sb.tempcreds(&["exec", "lab2", "--", "true"]).fails(2);
    assert!(
        out.stderr
            .contains("already inside `tempcreds exec` for profile outer")
            && out.stderr.contains("--force"),
        "{}",
        out.stderr
    );
    sb.tempcreds(&["exec", "lab2", "--force", "--", "true"])
        .ok();
}

#[test]
fn loops_and_missing_profiles_name_the_chain() {
    let moto = Moto::start();
    let sb = profiles(&moto);
    let out = sb.tempcreds(&["env", "loop1"]).fails(2);
    assert!(
        out.stderr
            .starts_with("error: source_profile loop: loop1 -> loop2 -> loop1"),
        "{}",
        out.stderr
    );
    let out = sb.tempcreds(&["credential-process", "orphan"]).fails(2);
    assert!(
        out.stderr
            .starts_with("error: profile \"gone\" does not exist (chain: orphan -> gone)"),
        "{}",
        out.stderr
    );
    let out = sb.tempcreds(&["env", "nope"]).fails(2);
    assert!(
        out.stderr.contains("profile \"nope\" does not exist"),
        "{}",
        out.stderr
    );
}

#[test]
fn whoami_list_and_clear() {
    let moto = Moto::start();
    let sb = profiles(&moto);
    let out = sb.tempcreds(&["whoami", "lab1"]).ok();
    assert!(
        out.stdout
            .starts_with("identity:  arn:aws:sts::123456789012:assumed-role/Lab1/alice\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("profile:   lab1 (chain lab1 -> base)")
            && out.stdout.contains("mfa:       yes"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("m left)"), "{}", out.stdout);
    let out = sb.tempcreds(&["list"]).ok();
    assert!(
        out.stdout.contains("base     keys (MFA device)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("lab1     role via base (MFA): arn:aws:iam::123456789012:role/Lab1"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("cached sessions (2):"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(SOURCE_SECRET));
    let out = sb.tempcreds(&["clear", "lab1"]).ok();
    assert!(
        out.stderr.contains("forgot 1 cached session"),
        "{}",
        out.stderr
    );
    assert!(
        sb.tempcreds(&["list"])
            .ok()
            .stdout
            .contains("cached sessions (1):")
    );
    sb.tempcreds(&["clear"]).ok();
    assert!(
        sb.tempcreds(&["list"])
            .ok()
            .stdout
            .contains("cached sessions (0):")
    );
    // With the MFA session forgotten, the next run needs a new code.
    sb.tempcreds(&["env", "lab1"]).ok();
    assert_eq!(codes_used(&sb), 2);
}
