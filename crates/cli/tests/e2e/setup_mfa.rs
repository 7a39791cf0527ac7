//! `setup --require-mfa` end to end: a virtual MFA device enabled from two codes typed on
//! a (pseudo-)terminal, made by pyotp from the seed setup wrote; a setup stopped half-way
//! by wrong codes, completed by a re-run; and teardown of it all.

use crate::setup::{admin, iam_inventory};
use crate::support::*;

/// Drives `setup --require-mfa` in a pseudo-terminal: when the prompt appears, reads the
/// seed setup wrote to --totp-secret-out and types two consecutive codes made by pyotp.
fn setup_with_mfa(sb: &Sandbox, first_code_wrong: bool) -> Run {
    let script = r#"
import sys, time, pyotp
from pty_session import Session
seed_file, wrong, argv = sys.argv[1], sys.argv[2] == "1", sys.argv[3:]
s = Session(argv)
s.expect(b"(first code)")
totp = pyotp.TOTP(open(seed_file).read().strip())
now = time.time()
s.send("000000" if wrong else totp.at(now))
s.expect(b"(the next code")
s.send(totp.at(now + 30))
s.finish()
"#;
    let seed = sb.path("seed.txt");
    let file = sb.path("access.json");
    let png = sb.path("mfa.png");
    Run::of(
        sb.pty_python(script)
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
