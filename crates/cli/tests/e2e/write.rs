//! `-o write`: the credentials file keeps every other byte, refuses to clobber long-term
//! keys, and 32 concurrent runs lose nothing.

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use crate::support::*;

const EXISTING: &str = "\
# Team credentials — do not edit by hand
[default]
aws_access_key_id = AKIADEFAULTDEFAULT
aws_secret_access_key = keepme
; a comment with ; style

[alice]
# alice's old session (comment inside the section stays)
aws_access_key_id = ASIAOLD
aws_secret_access_key = old
aws_session_token = oldtoken
unknown_key = stays

# trailing comment
";

#[test]
fn update_in_place_keeps_every_other_byte() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    sb.write("aws/credentials", EXISTING);
    sb.tempcreds(&["assume", "-r", ROLE, "-s", "alice", "-o", "write"])
        .ok();
    let after = std::fs::read_to_string(sb.credentials_file()).unwrap();
    let got: Vec<&str> = after.lines().collect();
    // Only the three credential lines change, and the expiry is added after the last key.
    assert_eq!(got.len(), EXISTING.lines().count() + 1, "{after}");
    assert_eq!(&got[..7], &EXISTING.lines().collect::<Vec<_>>()[..7]);
    assert_eq!(
        got[7],
        "# alice's old session (comment inside the section stays)"
    );
    assert!(
        got[8].starts_with("aws_access_key_id = ASIA") && got[8] != "aws_access_key_id = ASIAOLD"
    );
    assert!(
        got[9].starts_with("aws_secret_access_key = ") && got[9] != "aws_secret_access_key = old"
    );
    assert!(
        got[10].starts_with("aws_session_token = ") && got[10] != "aws_session_token = oldtoken"
    );
    assert_eq!(got[11], "unknown_key = stays");
    assert!(got[12].starts_with("x_security_token_expires = 20"));
    assert_eq!(&got[13..], ["", "# trailing comment"]);
    let mode = std::fs::metadata(sb.credentials_file())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn missing_directory_and_file_are_created_private() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    let target = sb.path("fresh/dir/creds");
    sb.set("AWS_SHARED_CREDENTIALS_FILE", target.to_str().unwrap());
    sb.tempcreds(&[
        "assume",
        "-r",
        ROLE,
        "-s",
        "bob",
        "-o",
        "write",
        "--write-profile",
        "lab",
    ])
    .ok();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&target), 0o600);
    assert_eq!(mode(target.parent().unwrap()), 0o700);
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("[lab]\naws_access_key_id = ASIA")
    );
}

#[test]
fn long_term_keys_are_not_overwritten_without_force() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    sb.write("aws/credentials", EXISTING);
    let out = sb
        .tempcreds(&[
            "assume",
            "-r",
            ROLE,
            "-s",
            "alice",
            "-o",
            "write",
            "--write-profile",
            "default",
        ])
        .fails(2);
    assert!(
        out.stderr.contains("profile \"default\"") && out.stderr.contains("long-term keys"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: ") && out.stderr.contains("--force"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(sb.credentials_file()).unwrap(),
        EXISTING
    );
    sb.tempcreds(&[
        "assume",
        "-r",
        ROLE,
        "-s",
        "alice",
        "-o",
        "write",
        "--write-profile",
        "default",
        "--force",
    ])
    .ok();
    let after = std::fs::read_to_string(sb.credentials_file()).unwrap();
    assert!(!after.contains("AKIADEFAULTDEFAULT"));
    assert!(after.starts_with(
        "# Team credentials — do not edit by hand\n[default]\naws_access_key_id = ASIA"
    ));
}

#[test]
fn thirty_two_concurrent_writes_all_land() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    sb.write("aws/credentials", EXISTING);
    let children: Vec<_> = (0..32)
        .map(|i| {
            sb.command(tempcreds_bin())
                .args([
                    "assume",
                    "-r",
                    ROLE,
                    "-s",
                    &format!("worker{i}"),
                    "-o",
                    "write",
                    "-q",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let after = std::fs::read_to_string(sb.credentials_file()).unwrap();
    assert!(
        after.starts_with(EXISTING),
        "the original content is intact at the top"
    );
    // botocore's own parser (what the AWS CLI uses) reads all 32 profiles.
    let py = sb
        .python(&format!(
            "import botocore.configloader as c, json; d = c.raw_config_parse({:?}); \
             print(json.dumps(sorted(k for k, v in d.items() if k.startswith('worker') and v['aws_session_token'])))",
            sb.credentials_file().to_str().unwrap()
        ))
        .ok();
    let mut want: Vec<String> = (0..32).map(|i| format!("worker{i}")).collect();
    want.sort();
    assert_eq!(py.json(), serde_json::json!(want));
    assert_eq!(
        sb.aws_caller_arn("worker31"),
        "arn:aws:sts::123456789012:assumed-role/Lab/worker31"
    );
    // No temporary files are left next to it.
    let names: Vec<String> = std::fs::read_dir(sb.path("aws"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["credentials"]);
}
