//! `tempcreds serve` when a renewal needs an MFA code: from mfa_process, on the terminal ahead
//! of time (a pty), or — with neither — the old credentials while 10 minutes are left, then a
//! 503 naming MFA.

use crate::profiles::{codes_used, profiles_at};
use crate::server::{fetch, fetch_path, serve, started};
use crate::support::*;

#[test]
fn a_renewal_that_needs_a_code_takes_it_from_mfa_process_and_one_that_does_not_asks_none() {
    let console = Console::start();
    let mut sb = profiles_at(&console.url);
    console.expire_in(900);
    sb.set("TEMPCREDS_RENEW_BEFORE", "897");
    // lab1 goes through the shared MFA session, cached: renewals need no code.
    let s = serve(&sb, &["lab1", "long"]);
    assert_eq!(
        codes_used(&sb),
        2,
        "lab1's MFA session, and long's own AssumeRole with MFA"
    );
    std::thread::sleep(std::time::Duration::from_secs(5));
    let (code, body) = fetch(&s);
    assert_eq!(code, "200", "{body}");
    let (code, body) = fetch_path(&s, "profiles/long");
    assert_eq!(code, "200", "{body}");
    // long (over an hour, so assumed directly with MFA) needed a code at each renewal;
    // lab1 none.
    let used = codes_used(&sb);
    assert!(
        used >= 3,
        "long's renewals took their codes from mfa_process: {used}"
    );
    assert!(console.sts_calls() >= 5, "lab1 renewed too");
}

/// The MFA session ends (its cache entry is gone) and the profile has no mfa_process, and
/// tempcreds no terminal: the old credentials are served while 10 minutes are left, then a
/// 503 naming MFA at once, and stderr says so.
#[test]
fn a_renewal_that_needs_a_code_with_no_mfa_process_and_no_terminal_is_a_503_naming_mfa() {
    let console = Console::start();
    let mut sb = profiles_at(&console.url);
    console.expire_in(608);
    sb.set("TEMPCREDS_RENEW_BEFORE", "606");
    let log = sb.path("serve.log");
    let mut cmd = sb.command("setsid");
    cmd.args([
        tempcreds_bin().as_str(),
        "serve",
        "tty",
        "--mfa-code",
        "123456",
    ])
    .stderr(std::fs::File::create(&log).unwrap());
    let s = started(cmd);
    let (code, body) = fetch(&s);
    assert_eq!(code, "200", "{body}");
    let first: serde_json::Value = serde_json::from_str(&body).unwrap();
    std::fs::remove_dir_all(sb.path("cache")).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let (code, body) = fetch(&s);
    assert_eq!(
        code, "200",
        "old credentials while 10 minutes are left: {body}"
    );
    let still: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(still["AccessKeyId"], first["AccessKeyId"]);
    std::thread::sleep(std::time::Duration::from_secs(6));
    let started_at = std::time::Instant::now();
    let (code, body) = fetch(&s);
    assert!(
        started_at.elapsed() < std::time::Duration::from_secs(3),
        "no hang"
    );
    assert_eq!(code, "503", "{body}");
    assert!(
        body.contains("a new MFA session needs a code for arn:aws:iam::123456789012:mfa/alice, and there is no terminal to ask on"),
        "{body}"
    );
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(
        stderr.contains("a new MFA session needs a code"),
        "{stderr}"
    );
    assert!(!stderr.contains(still["SecretAccessKey"].as_str().unwrap()));
}

/// With a terminal, a renewal whose MFA session ended asks there, ahead of expiry (the
/// renewal is due long before the credentials run out), not inside an SDK's request.
#[test]
fn a_renewal_that_needs_a_code_asks_on_the_terminal_ahead_of_time() {
    let console = Console::start();
    let mut sb = profiles_at(&console.url);
    console.expire_in(1800);
    sb.set("TEMPCREDS_RENEW_BEFORE", "1797");
    let script = r#"
import json, os, re, shutil, signal, sys, urllib.request
from pty_session import Session
cache = sys.argv[1]
s = Session(sys.argv[2:])
s.expect(b"MFA code for")
s.send("123456")
s.expect(b"AWS_CONTAINER_AUTHORIZATION_TOKEN='")
s.expect(b"until Ctrl-C")
uri = re.search(rb"FULL_URI='([^']*)'", s.seen).group(1).decode()
token = re.search(rb"TOKEN='([^']*)'", s.seen).group(1).decode()
def key():
    req = urllib.request.Request(uri, headers={"Authorization": token})
    return json.load(urllib.request.urlopen(req, timeout=5))["AccessKeyId"]
first = key()
shutil.rmtree(cache)
s.expect(b"MFA code for", count=2)
print("asked again; still served:", key() == first, file=sys.stderr)
s.send("654321")
import time
for _ in range(50):
    if key() != first:
        print("renewed with the code", file=sys.stderr)
        break
    time.sleep(0.1)
os.kill(s.pid, signal.SIGINT)
s.finish()
"#;
    let run = Run::of(
        sb.pty_python(script)
            .arg(sb.path("cache"))
            .args([tempcreds_bin().as_str(), "serve", "tty"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("asked again; still served: True"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("renewed with the code"),
        "{}",
        run.stderr
    );
}
