//! Profiles over time and at the edges, end to end: `assume --profile`, `session
//! --duration`, sessions nearing expiry, the kernel-keyring key store, MFA codes from the
//! terminal (and none without one), `env` in bash and fish, and signals reaching `exec`'s
//! command.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::profiles::{MFA, codes_used, exec_arn, profiles_at};
use crate::support::*;

const LAB1: &str = "arn:aws:sts::123456789012:assumed-role/Lab1/alice";

#[test]
fn assume_profile_reuses_the_mfa_session_and_writes_where_asked() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    sb.tempcreds(&["session", "--profile", "base"]).ok();
    let json = sb
        .tempcreds(&["assume", "--profile", "lab1", "-o", "json"])
        .ok()
        .json();
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert_eq!(
        codes_used(&sb),
        1,
        "assume --profile used the cached MFA session"
    );
    let out = sb
        .tempcreds(&[
            "assume",
            "--profile",
            "lab1",
            "-o",
            "write",
            "--write-profile",
            "lab1-keys",
        ])
        .ok();
    assert!(
        out.stderr.contains("profile \"lab1-keys\""),
        "{}",
        out.stderr
    );
    assert_eq!(sb.aws_caller_arn("lab1-keys"), LAB1);
    assert_eq!(codes_used(&sb), 1);
    // What a profile already says cannot be given again; nothing is sent or written.
    let before = std::fs::read(sb.credentials_file()).unwrap();
    let out = sb
        .tempcreds(&["assume", "--profile", "lab1", "-d", "2h"])
        .fails(2);
    assert!(
        out.stderr
            .contains("'--profile <PROFILE>' cannot be used with"),
        "{}",
        out.stderr
    );
    let out = sb
        .tempcreds(&["assume", "--profile", "lab1", "-o", "write"])
        .fails(2);
    assert!(
        out.stderr
            .starts_with("error: --write-profile: is needed with --output write and --profile"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(sb.credentials_file()).unwrap(), before);
}

#[test]
fn session_duration_starts_a_new_session_of_that_length() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    sb.tempcreds(&["session", "--profile", "base"]).ok();
    let out = sb.tempcreds(&["session", "--profile", "base"]).ok();
    assert!(out.stderr.contains("(11h 59m left)"), "{}", out.stderr);
    assert_eq!(
        codes_used(&sb),
        1,
        "without --duration the cached session is reused"
    );
    let out = sb
        .tempcreds(&["session", "--profile", "base", "-d", "36h"])
        .ok();
    assert!(out.stderr.contains("(35h 59m left)"), "{}", out.stderr);
    assert_eq!(codes_used(&sb), 2);
    // The roles share the new session.
    assert_eq!(exec_arn(&sb, "lab1"), LAB1);
    assert_eq!(codes_used(&sb), 2);
    let out = sb
        .tempcreds(&["session", "--profile", "base", "--duration", "37h"])
        .fails(2);
    assert_eq!(
        out.stderr.trim(),
        "error: --duration: must be between 15m (900) and 36h (129600) seconds (got 133200)"
    );
    assert_eq!(codes_used(&sb), 2);
}

/// Sessions that reach the last five minutes are refreshed, never served: the fake makes
/// STS issue credentials that expire 5 min + 10 s after issue; they are served while more
/// than 5 minutes are left, and fetched again (a new MFA code) once fewer are.
#[test]
fn sessions_nearing_expiry_are_refreshed_not_served() {
    let console = Console::start();
    let sb = profiles_at(&console.url);
    console.expire_in(310);
    let issued = Instant::now();
    let first = sb.tempcreds(&["env", "lab1"]).ok().stdout;
    assert_eq!((codes_used(&sb), console.sts_calls()), (1, 2));
    let again = sb.tempcreds(&["env", "lab1"]).ok().stdout;
    assert!(
        issued.elapsed() < Duration::from_secs(9),
        "the machine is too slow for this test"
    );
    assert_eq!(
        again, first,
        "more than 5 minutes left: served from the cache"
    );
    assert_eq!(console.sts_calls(), 2);
    console.expire_in(0);
    std::thread::sleep(Duration::from_secs(11).saturating_sub(issued.elapsed()));
    let late = sb.tempcreds(&["env", "lab1", "-v"]).ok();
    assert!(
        late.stderr.contains("expires within 5 minutes: refreshing"),
        "{}",
        late.stderr
    );
    assert_ne!(late.stdout, first);
    assert_eq!(
        (codes_used(&sb), console.sts_calls()),
        (2, 4),
        "both the MFA session and the role session were fetched again"
    );
}

#[test]
fn kernel_keyring_holds_the_key_and_clear_removes_it() {
    let moto = Moto::start();
    let mut sb = profiles_at(&moto.url);
    sb.unset("TEMPCREDS_CACHE_KEY_STORE"); // auto: the kernel keyring on Linux
    let description = format!("tempcreds:cache-key:{}", sb.path("cache").display());
    // A live key: /proc/keys flags without i (invalidated), R (revoked) or D (dead).
    let in_keyring = || {
        std::fs::read_to_string("/proc/keys")
            .unwrap()
            .lines()
            .any(|l| {
                let flags = l.split_whitespace().nth(1).unwrap_or_default();
                l.contains(&description) && !flags.contains(['i', 'R', 'D'])
            })
    };
    let out = sb.tempcreds(&["credential-process", "lab1"]).ok();
    assert_eq!(out.json()["Version"], 1);
    assert!(in_keyring(), "the key is in the user's kernel keyring");
    assert!(!sb.path("xdg-config/tempcreds").exists(), "and in no file");
    let list = sb.tempcreds(&["list"]).ok().stdout;
    assert!(
        list.contains(&format!(
            "\nkey:   kernel keyring (@u, \"{description}\")\n"
        )),
        "{list}"
    );
    sb.tempcreds(&["credential-process", "lab1"]).ok();
    assert_eq!(
        codes_used(&sb),
        1,
        "the second run decrypted the cached session"
    );
    sb.tempcreds(&["clear"]).ok();
    assert!(!in_keyring(), "clear forgets the key too");
}

/// The MFA prompt is on the terminal, not on stdout: under `credential_process` stdout is
/// a pipe to the AWS CLI. A pseudo-terminal stands in for the user.
#[test]
fn the_mfa_code_is_asked_on_the_terminal_while_stdout_is_captured() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let captured = sb.path("stdout.json");
    let script = r#"
import sys
from pty_session import Session
s = Session(sys.argv[2:], stdout_path=sys.argv[1])
s.expect(b"MFA code for")
s.send("12345")                      # five digits: asked again
s.expect(b"MFA code for", count=2)
s.send("123456")
s.finish()
"#;
    let run = Run::of(
        sb.pty_python(script)
            .arg(&captured)
            .args([tempcreds_bin().as_str(), "credential-process", "tty"])
            .output()
            .unwrap(),
    )
    .ok();
    assert!(
        run.stderr.contains(&format!("MFA code for {MFA}: ")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("an MFA code is 6 digits"),
        "{}",
        run.stderr
    );
    let stdout = std::fs::read_to_string(&captured).unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(!stdout.contains("MFA code"));
    assert_eq!(
        codes_used(&sb),
        0,
        "no mfa_process was run for this profile"
    );
}

#[test]
fn no_terminal_and_no_code_source_is_exit_2_and_nothing_cached() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    // setsid: a new session with no controlling terminal, as under cron or a CI runner.
    for args in [
        &["credential-process", "tty"][..],
        &["env", "tty"],
        &["assume", "--profile", "tty"],
    ] {
        let run = Run::of(
            sb.command("setsid")
                .arg("-w")
                .arg(tempcreds_bin())
                .args(args)
                .output()
                .unwrap(),
        )
        .fails(2);
        assert_eq!(
            run.stderr.trim(),
            "error: --mfa-code: is needed: there is no terminal to ask for the MFA code on (a profile can also name an mfa_process)",
            "{args:?}"
        );
    }
    assert!(
        std::fs::read_dir(sb.path("cache")).map_or(true, |d| d.count() == 0),
        "nothing was cached"
    );
    // --mfa-code is the first source of a code.
    sb.tempcreds(&["env", "tty", "--mfa-code", "654321"]).ok();
}

#[test]
fn env_of_a_profile_is_evaluated_by_bash_and_fish() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let bin = tempcreds_bin();
    let check = "aws sts get-caller-identity --output json";
    let bash = sb.shell(
        "bash",
        &format!("eval \"$({bin} env lab1)\" && [ -z \"$TEMPCREDS_EXEC_PROFILE\" ] && {check}"),
    );
    assert_eq!(bash.ok().json()["Arn"], LAB1);
    // A shell that evaluated `env` is not inside `exec`: exec of another profile runs.
    let nested = sb.shell(
        "bash",
        &format!("eval \"$({bin} env lab1)\" && {bin} exec lab2 -- {check}"),
    );
    assert!(
        nested.ok().json()["Arn"]
            .as_str()
            .unwrap()
            .contains("assumed-role/Lab2/"),
        "exec after env"
    );
    let fish = sb.shell(
        "fish",
        &format!("{bin} env lab1 --shell fish | source; and test \"$AWS_REGION\" = eu-west-1; and {check}"),
    );
    assert_eq!(fish.ok().json()["Arn"], LAB1);
    assert_eq!(codes_used(&sb), 1);
}

/// `exec` becomes the command, so a Ctrl-C (SIGINT) or SIGTERM sent to the pid that was
/// started reaches the command itself, whose own exit code comes back.
#[test]
fn signals_sent_to_exec_reach_the_command() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    sb.tempcreds(&["env", "lab1"]).ok(); // cache the session: the runs below start fast
    for (signal, code) in [("TERM", 42), ("INT", 43)] {
        let ready = sb.path(&format!("ready-{signal}"));
        let script = format!(
            "trap 'echo got-{signal}; exit {code}' {signal}; touch {}; while :; do sleep 0.05; done",
            ready.display()
        );
        let child = sb
            .command(tempcreds_bin())
            .args(["exec", "lab1", "--", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for(&ready);
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let run = Run::of(child.wait_with_output().unwrap());
        assert_eq!(
            (run.code, run.stdout.trim()),
            (code, format!("got-{signal}").as_str()),
            "{}",
            run.stderr
        );
    }
}

fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
