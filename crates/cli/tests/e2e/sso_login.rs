//! `tempcreds sso login` (PKCE with the redirect followed by an HTTP client, and the device
//! flow approved after some polls), the token it writes used by boto3, the AWS CLI and the
//! Rust SDK, its refresh, a foreign `state` and an unapproved device code.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use crate::profiles::exec_arn;
use crate::sso::{DEV_ADMIN, accounts, boto3_arn, sso_sandbox};
use crate::support::*;
use tempcreds_testkit::Sso;

/// Runs `tempcreds sso login ARGS`, hands each stderr line to `on_line` until it returns
/// true, then waits for the exit.
pub(crate) fn login(
    sb: &Sandbox,
    args: &[&str],
    mut on_line: impl FnMut(&str) -> bool,
) -> (i32, String) {
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

pub(crate) fn pkce_login(sb: &Sandbox) -> String {
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

pub(crate) fn token_file(sb: &Sandbox) -> std::path::PathBuf {
    // sha1("corp"), the AWS CLI's name for the session's token.
    sb.path("home/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json")
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
    assert_eq!(boto3_arn(&sb, "corp-dev"), DEV_ADMIN);
    assert_eq!(
        sb.aws_caller_arn("corp-dev"),
        DEV_ADMIN,
        "the AWS CLI reads it too"
    );
    assert_eq!(exec_arn(&sb, "corp-dev"), DEV_ADMIN);
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
    assert_eq!(exec_arn(&sb, "corp-dev"), DEV_ADMIN);
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(token_file(&sb)).unwrap()).unwrap();
    assert_ne!(
        before["accessToken"], after["accessToken"],
        "refreshed and written back"
    );
    assert!(sso.log().iter().any(|c| c["grantType"] == "refresh_token"));
    assert_eq!(
        boto3_arn(&sb, "corp-dev"),
        DEV_ADMIN,
        "boto3 uses the refreshed token"
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
