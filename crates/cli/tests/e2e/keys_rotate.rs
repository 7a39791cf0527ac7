//! `keys rotate` against moto behind the recording proxy, which shows which key signed each
//! IAM call and injects IAM's failures: the happy path (stored and credentials-file keys), a
//! second key present, the new key's proof failing (rolled back), the old key's delete
//! failing (reported with the command that finishes), MFA-signed IAM calls, `--dry-run`.

use crate::keys::{add_env, has_row, iam_user};
use crate::support::*;

/// moto's keys of user `name`, in its order.
fn iam_keys(sb: &Sandbox, name: &str) -> Vec<String> {
    let out = sb
        .aws(&[
            "iam",
            "list-access-keys",
            "--user-name",
            name,
            "--query",
            "AccessKeyMetadata[].[AccessKeyId,Status]",
            "--output",
            "text",
        ])
        .ok()
        .stdout;
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The stored key id of `profile`, from `keys list`.
fn stored_id(sb: &Sandbox, profile: &str) -> String {
    let out = sb.tempcreds(&["keys", "list"]).ok().stdout;
    out.lines()
        .find_map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (cells.first() == Some(&profile)).then(|| cells[1].to_owned())
        })
        .unwrap_or_default()
}

/// The recorder's calls from `from` on, as (action, key) pairs.
fn calls_since(rec: &Recorder, from: usize) -> Vec<(String, String)> {
    rec.calls()[from..].to_vec()
}

fn pair(a: &str, k: &str) -> (String, String) {
    (a.to_owned(), k.to_owned())
}

#[test]
fn a_stored_key_is_replaced_proved_first_and_the_old_one_deleted_with_the_new() {
    let rec = Recorder::start();
    let mut sb = rec.sandbox();
    let (old, secret) = iam_user(&sb, "base");
    add_env(&sb, "base", &old, &secret).ok();
    // The administrator's keys leave: every call below is signed by the user's own keys.
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    let admin = rec.sandbox();

    let mut config = std::fs::read_to_string(sb.path("aws/config")).unwrap();
    config.push_str(
        "[profile lab]\nrole_arn = arn:aws:iam::123456789012:role/Lab\nsource_profile = base\n",
    );
    sb.write("aws/config", &config);
    let role = sb.tempcreds(&["keys", "rotate", "lab"]).fails(2);
    assert!(
        role.stderr.contains("no long-term key of its own"),
        "{}",
        role.stderr
    );
    let from = rec.calls().len();
    let dry = sb.tempcreds(&["keys", "rotate", "base", "--dry-run"]).ok();
    assert!(
        dry.stdout.contains("CreateAccessKey for user base"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        calls_since(&rec, from),
        [pair("GetCallerIdentity", &old)],
        "a dry run only asks who"
    );
    assert_eq!(iam_keys(&admin, "base"), [format!("{old} Active")]);

    let from = rec.calls().len();
    let done = sb.tempcreds(&["-vv", "keys", "rotate", "base"]).ok();
    let new = stored_id(&sb, "base");
    let raw = sb.tempcreds(&["env", "base", "--no-session"]).ok().stdout;
    let new_secret = raw
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_SECRET_ACCESS_KEY='"))
        .unwrap()
        .trim_end_matches('\'');
    for s in [secret.as_str(), new_secret] {
        assert!(
            !done.stderr.contains(s) && !done.stdout.contains(s),
            "a secret in -vv: {}",
            done.stderr
        );
    }
    assert_ne!(new, old);
    assert!(
        done.stderr
            .contains(&format!("{old} is deactivated and deleted")),
        "{}",
        done.stderr
    );
    assert_eq!(
        calls_since(&rec, from),
        [
            pair("GetCallerIdentity", &old),
            pair("ListAccessKeys", &old),
            pair("CreateAccessKey", &old),
            pair("GetCallerIdentity", &new),
            pair("UpdateAccessKey", &new),
            pair("DeleteAccessKey", &new),
        ]
    );
    assert_eq!(iam_keys(&admin, "base"), [format!("{new} Active")]);
    // The profile works with the new key (a new session, signed with it).
    let from = rec.calls().len();
    sb.tempcreds(&["credential-process", "base"]).ok();
    assert_eq!(
        calls_since(&rec, from),
        [pair("GetSessionToken", &new)],
        "the old key's session was forgotten"
    );
    assert!(
        !sb.tempcreds(&["-vv", "keys", "list"])
            .ok()
            .stderr
            .contains(&secret)
    );
}

#[test]
fn a_second_key_a_failed_proof_and_a_failed_delete_each_leave_a_safe_state() {
    let rec = Recorder::start();
    let mut sb = rec.sandbox();
    let admin = rec.sandbox();
    let (old, secret) = iam_user(&sb, "base");
    add_env(&sb, "base", &old, &secret).ok();
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    sb.set("TEMPCREDS_IAM_WAIT", "2");

    // A second key already there: named, nothing created.
    let second = admin
        .aws(&[
            "iam",
            "create-access-key",
            "--user-name",
            "base",
            "--output",
            "json",
        ])
        .ok()
        .json();
    let second = second["AccessKey"]["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let from = rec.calls().len();
    let refused = sb.tempcreds(&["keys", "rotate", "base"]).fails(1);
    assert!(refused.stderr.contains(&second), "{}", refused.stderr);
    assert!(
        !calls_since(&rec, from)
            .iter()
            .any(|c| c.0 == "CreateAccessKey")
    );
    admin
        .aws(&[
            "iam",
            "delete-access-key",
            "--user-name",
            "base",
            "--access-key-id",
            &second,
        ])
        .ok();

    // The new key never works (IAM's eventual consistency, forever): it is deleted again.
    rec.fail("GetCallerIdentity", "InvalidClientTokenId", Some(&old));
    let from = rec.log().len();
    let failed = sb.tempcreds(&["keys", "rotate", "base"]).fails(1);
    assert!(
        failed.stderr.contains("deleted again and nothing changed"),
        "{}",
        failed.stderr
    );
    assert_eq!(iam_keys(&admin, "base"), [format!("{old} Active")]);
    assert_eq!(stored_id(&sb, "base"), old);
    let deleted: Vec<_> = rec.log()[from..]
        .iter()
        .filter(|e| e["action"] == "DeleteAccessKey")
        .cloned()
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(
        deleted[0]["key"],
        old.as_str(),
        "the rollback is signed with the old key"
    );
    rec.clear_failures();

    // The old key's delete fails: the new key is kept, the old one named with the fix.
    rec.fail("DeleteAccessKey", "AccessDenied", None);
    let half = sb.tempcreds(&["keys", "rotate", "base"]).fails(1);
    let new = stored_id(&sb, "base");
    assert_ne!(new, old);
    assert!(
        half.stderr.contains(&old) && half.stderr.contains("finish with:"),
        "{}",
        half.stderr
    );
    assert!(
        half.stderr.contains(&format!("--access-key-id {old}")),
        "{}",
        half.stderr
    );
    assert_eq!(
        iam_keys(&admin, "base"),
        [format!("{old} Inactive"), format!("{new} Active")]
    );
    rec.clear_failures();
}

#[test]
fn keys_in_the_credentials_file_rotate_in_place() {
    let rec = Recorder::start();
    let mut sb = rec.sandbox();
    let admin = rec.sandbox();
    let (old, secret) = iam_user(&sb, "plain");
    let text = format!(
        "# mine\n[plain]\naws_access_key_id = {old}\nregion = eu-west-1\naws_secret_access_key = {secret}\n[other]\nx = 1\n"
    );
    sb.write("aws/credentials", &text);
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    sb.tempcreds(&["keys", "rotate", "plain"]).ok();
    let after = std::fs::read_to_string(sb.credentials_file()).unwrap();
    let keys = iam_keys(&admin, "plain");
    assert_eq!(keys.len(), 1);
    let new = keys[0].split(' ').next().unwrap().to_owned();
    assert!(after.starts_with(&format!("# mine\n[plain]\naws_access_key_id = {new}\nregion = eu-west-1\naws_secret_access_key = ")), "{after}");
    assert!(after.ends_with("[other]\nx = 1\n"), "{after}");
    assert!(!after.contains(&secret));
    assert!(has_row(
        &sb.tempcreds(&["keys", "list"]).ok().stdout,
        &["plain", &new, "credentials", "file", "(plaintext)", "-"]
    ));
}

#[test]
fn with_mfa_serial_iam_is_called_with_mfa_sessions_of_each_key() {
    let rec = Recorder::start();
    let mut sb = rec.sandbox();
    let (old, secret) = iam_user(&sb, "base");
    // Each run of mfa_process gives the next code: a code is never used twice.
    let counter = sb.path("code");
    sb.write(
        "aws/config",
        &format!(
            "[profile base]\nmfa_serial = arn:aws:iam::123456789012:mfa/base\n\
             mfa_process = n=$(cat {0} 2>/dev/null || echo 100000); n=$((n+1)); echo $n > {0}; echo $n\n",
            counter.display()
        ),
    );
    add_env(&sb, "base", &old, &secret).ok();
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    let from = rec.log().len();
    sb.tempcreds(&["keys", "rotate", "base"]).ok();
    let new = stored_id(&sb, "base");
    let log = rec.log()[from..].to_vec();
    let step = |action: &str| {
        log.iter()
            .filter(|e| e["action"] == action)
            .cloned()
            .collect::<Vec<_>>()
    };
    let sessions = step("GetSessionToken");
    assert_eq!(sessions.len(), 2, "{log:?}");
    assert_eq!(sessions[0]["key"], old.as_str());
    assert_eq!(sessions[1]["key"], new.as_str());
    assert_ne!(
        sessions[0]["params"]["TokenCode"],
        sessions[1]["params"]["TokenCode"]
    );
    for action in [
        "ListAccessKeys",
        "CreateAccessKey",
        "UpdateAccessKey",
        "DeleteAccessKey",
    ] {
        let calls = step(action);
        assert_eq!(calls.len(), 1, "{action}: {log:?}");
        assert_eq!(
            calls[0]["token"], true,
            "{action} is signed with an MFA session"
        );
    }
}
