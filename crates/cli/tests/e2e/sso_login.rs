//! `tempcreds sso login` (PKCE with the redirect followed by an HTTP client, and the device
//! flow approved after some polls), the token it writes used by boto3 and the AWS CLI, its
//! refresh, `sso populate` against 3 accounts x 2 roles with hand-written profiles left
//! byte-identical, and `sso logout`.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use crate::sso::{DEV_ADMIN, accounts, sso_sandbox};
use crate::support::*;
use tempcreds_testkit::{Account, Sso};

/// Runs `tempcreds sso login ARGS`, hands each stderr line to `on_line` until it returns
/// true, then waits for the exit.
fn login(sb: &Sandbox, args: &[&str], mut on_line: impl FnMut(&str) -> bool) -> (i32, String) {
    let mut child = sb
        .command(tempcreds_bin())
        .args(["sso", "login"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break;
        }
        seen.push_str(&line);
        if on_line(line.trim_end()) {
            break;
        }
    }
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    seen.push_str(&rest);
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), seen)
}

fn pkce_login(sb: &Sandbox) -> String {
    let (code, stderr) = login(sb, &["--sso-session", "corp", "--no-browser"], |line| {
        if line.starts_with("http") && line.contains("/authorize?") {
            // The browser: the fake's authorize page redirects to tempcreds' loopback.
            let out = std::process::Command::new("curl")
                .args(["-s", "-L", line])
                .output()
                .unwrap();
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("Signed in"),
                "{out:?}"
            );
            return true;
        }
        false
    });
    assert_eq!(code, 0, "{stderr}");
    stderr
}

fn token_file(sb: &Sandbox) -> std::path::PathBuf {
    // sha1("corp"), the AWS CLI's name for the session's token.
    sb.path("home/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json")
}

fn arn_via(sb: &Sandbox, profile: &str) -> String {
    sb.tempcreds(&[
        "exec",
        profile,
        "--",
        "aws",
        "sts",
        "get-caller-identity",
        "--query",
        "Arn",
        "--output",
        "text",
    ])
    .ok()
    .stdout
    .trim()
    .to_owned()
}

#[test]
fn pkce_login_writes_the_cli_cache_that_boto3_and_the_aws_cli_use() {
    let sso = Sso::start(&accounts());
    let sb = sso_sandbox(&sso);
    let stderr = pkce_login(&sb);
    assert!(
        stderr.contains("signed in to sso-session corp until"),
        "{stderr}"
    );
    let file = token_file(&sb);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for key in [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert!(json["expiresAt"].as_str().unwrap().ends_with('Z'));
    let boto3 = sb
        .python("import boto3\nprint(boto3.Session(profile_name='corp-dev').client('sts').get_caller_identity()['Arn'])")
        .ok()
        .stdout;
    assert_eq!(boto3.trim(), DEV_ADMIN);
    let cli = sb.aws(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "corp-dev",
        "--query",
        "Arn",
        "--output",
        "text",
    ]);
    assert_eq!(
        cli.ok().stdout.trim(),
        DEV_ADMIN,
        "the AWS CLI reads it too"
    );
    assert_eq!(arn_via(&sb, "corp-dev"), DEV_ADMIN);
    // A second login reuses the client registration.
    pkce_login(&sb);
    let registers = sso
        .log()
        .iter()
        .filter(|c| c["op"] == "/client/register")
        .count();
    assert_eq!(registers, 1, "{:?}", sso.log());
}

#[test]
fn device_code_login_polls_until_approved_then_the_token_is_refreshed_near_its_end() {
    let sso = Sso::start(&accounts());
    let sb = sso_sandbox(&sso);
    sso.token_life(600); // within the 15-minute window: the next use refreshes it
    let (code, stderr) = login(
        &sb,
        &["--sso-session", "corp", "--device-code", "--no-browser"],
        |line| {
            if let Some(code) = line.strip_prefix("and check that it shows the code ") {
                std::thread::sleep(std::time::Duration::from_millis(2500));
                sso.approve(code);
                return true;
            }
            false
        },
    );
    assert_eq!(code, 0, "{stderr}");
    let polls = sso
        .log()
        .iter()
        .filter(|c| c["grantType"] == "urn:ietf:params:oauth:grant-type:device_code")
        .count();
    assert!(polls >= 2, "pending polls before the approval: {polls}");
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(token_file(&sb)).unwrap()).unwrap();
    assert_eq!(arn_via(&sb, "corp-dev"), DEV_ADMIN);
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(token_file(&sb)).unwrap()).unwrap();
    assert_ne!(
        before["accessToken"], after["accessToken"],
        "refreshed and written back"
    );
    assert!(sso.log().iter().any(|c| c["grantType"] == "refresh_token"));
    let boto3 = sb
        .python("import boto3\nprint(boto3.Session(profile_name='corp-dev').client('sts').get_caller_identity()['Arn'])")
        .ok()
        .stdout;
    assert_eq!(boto3.trim(), DEV_ADMIN, "boto3 uses the refreshed token");
}

#[test]
fn populate_writes_every_account_and_role_and_keeps_hand_written_profiles() {
    let sso = Sso::start(&accounts());
    let sb = sso_sandbox(&sso);
    pkce_login(&sb);
    sso.page_cap(1); // every account and role on a page of its own: the pages are followed
    let config = sb.path("aws/config");
    let hand = std::fs::read_to_string(&config).unwrap();
    let dry = sb
        .tempcreds(&[
            "sso",
            "populate",
            "--sso-session",
            "corp",
            "--prefix",
            "corp-",
            "--dry-run",
        ])
        .ok();
    assert!(
        dry.stdout.contains("+[profile corp-Prod-Deploy]"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        hand,
        "--dry-run changes nothing"
    );
    let templated = sb
        .tempcreds(&[
            "sso",
            "populate",
            "--sso-session",
            "corp",
            "--template",
            "{role_name}@{account_id}",
            "--dry-run",
        ])
        .ok();
    assert!(
        templated.stdout.contains("+[profile Deploy@222222222222]"),
        "{}",
        templated.stdout
    );
    let bad = sb.tempcreds(&[
        "sso",
        "populate",
        "--sso-session",
        "corp",
        "--template",
        "{account}",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("--template: may only hold"),
        "{}",
        bad.stderr
    );
    let run = sb
        .tempcreds(&[
            "sso",
            "populate",
            "--sso-session",
            "corp",
            "--prefix",
            "corp-",
        ])
        .ok();
    assert!(
        run.stderr
            .contains("6 roles in 3 accounts of sso-session corp: 6 added"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.starts_with(&hand),
        "hand-written profiles byte-identical"
    );
    assert_eq!(
        arn_via(&sb, "corp-Prod-Deploy"),
        "arn:aws:sts::222222222222:assumed-role/Deploy/sso-user"
    );
    let again = sb
        .tempcreds(&[
            "sso",
            "populate",
            "--sso-session",
            "corp",
            "--prefix",
            "corp-",
        ])
        .ok();
    assert!(
        again.stderr.contains("0 added, 0 updated, 0 removed"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    let mut fewer = accounts();
    fewer[1].roles.retain(|r| *r != "Deploy");
    sso.set_accounts(&fewer);
    let run = sb
        .tempcreds(&[
            "sso",
            "populate",
            "--sso-session",
            "corp",
            "--prefix",
            "corp-",
        ])
        .ok();
    assert!(run.stderr.contains("1 removed"), "{}", run.stderr);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.starts_with(&hand) && !text.contains("corp-Prod-Deploy"),
        "{text}"
    );
    // A name taken by a hand-written profile is reported, not overwritten.
    sso.set_accounts(&[Account {
        id: "444444444444",
        name: "dev",
        roles: vec!["x"],
    }]);
    std::fs::write(
        &config,
        format!("{text}\n[profile corp-dev-x]\nregion = us-west-2\n"),
    )
    .unwrap();
    let before = std::fs::read_to_string(&config).unwrap();
    let run = sb
        .tempcreds(&[
            "sso",
            "populate",
            "--sso-session",
            "corp",
            "--prefix",
            "corp-",
        ])
        .ok();
    assert!(
        run.stderr
            .contains("profile corp-dev-x exists and was not generated by tempcreds"),
        "{}",
        run.stderr
    );
    let after = std::fs::read_to_string(&config).unwrap();
    assert!(
        after.contains("[profile corp-dev-x]\nregion = us-west-2\n"),
        "{after}"
    );
    assert!(before.starts_with(&hand) && after.starts_with(&hand));
}

#[test]
fn logout_revokes_the_token_and_forgets_its_credentials() {
    let sso = Sso::start(&accounts());
    let sb = sso_sandbox(&sso);
    pkce_login(&sb);
    assert_eq!(arn_via(&sb, "corp-dev"), DEV_ADMIN);
    let out = sb
        .tempcreds(&["sso", "logout", "--sso-session", "corp"])
        .ok();
    assert!(
        out.stderr.contains("signed out of sso-session corp"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("1 cached role credentials"),
        "{}",
        out.stderr
    );
    assert!(!token_file(&sb).exists());
    assert!(sso.log().iter().any(|c| c["op"] == "/logout"));
    let run = sb.tempcreds(&["env", "corp-dev"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("not signed in to sso-session corp"),
        "{}",
        run.stderr
    );
    let again = sb
        .tempcreds(&["sso", "logout", "--sso-session", "corp"])
        .ok();
    assert!(again.stderr.contains("not signed in"), "{}", again.stderr);
    let bad = sb.tempcreds(&["sso", "login", "--sso-session", "nope"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("sso_session nope: names no [sso-session] section"),
        "{}",
        bad.stderr
    );
}

/// A redirect that brings back another `state` is not this sign-in's: refused, nothing
/// stored. A device code nobody approves ends at its expiry with a clear error.
#[test]
fn a_foreign_state_and_an_unapproved_device_code_end_the_login_with_nothing_stored() {
    let sso = Sso::start(&accounts());
    let sb = sso_sandbox(&sso);
    let (code, stderr) = login(&sb, &["--sso-session", "corp", "--no-browser"], |line| {
        if line.starts_with("http") && line.contains("/authorize?") {
            let out = std::process::Command::new("curl")
                .args(["-s", "-i", line])
                .output()
                .unwrap();
            let head = String::from_utf8_lossy(&out.stdout).into_owned();
            let location = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Location: ")
                        .or_else(|| l.strip_prefix("location: "))
                })
                .unwrap()
                .trim()
                .to_owned();
            let forged = location.split("&state=").next().unwrap().to_owned() + "&state=forged";
            std::process::Command::new("curl")
                .args(["-s", &forged])
                .output()
                .unwrap();
            return true;
        }
        false
    });
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the redirect's state is not this sign-in's"),
        "{stderr}"
    );
    assert!(!token_file(&sb).exists());
    sso.device_life(3);
    let (code, stderr) = login(
        &sb,
        &["--sso-session", "corp", "--device-code", "--no-browser"],
        |_| false,
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the device code expired before it was approved"),
        "{stderr}"
    );
    assert!(!token_file(&sb).exists());
}

/// The Rust SDK (aws-config's own SSO provider, in `examples/rust_sdk_credentials`, which
/// `cargo test` builds) reads the token tempcreds wrote: it refuses an `expiresAt` that does
/// not end in `Z`.
#[test]
fn the_rust_sdk_reads_the_token_tempcreds_wrote() {
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("examples/rust_sdk_credentials"))
        .unwrap();
    assert!(
        example.exists(),
        "{} is built by `cargo test` (scripts/test), or `cargo build --example rust_sdk_credentials`",
        example.display()
    );
    let sso = Sso::start(&accounts());
    let sb = sso_sandbox(&sso);
    pkce_login(&sb);
    let out = Run::of(
        sb.command(&example)
            .env("AWS_PROFILE", "corp-dev")
            .output()
            .unwrap(),
    )
    .ok();
    assert!(out.stdout.trim().starts_with("ASIA"), "{}", out.stdout);
    assert!(
        sso.log()
            .iter()
            .any(|c| c["op"] == "/federation/credentials"),
        "the SDK called GetRoleCredentials with the token"
    );
}
