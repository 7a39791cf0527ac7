//! The operator's side: adding users (the token shown once, stored hashed), revoking them
//! (the deny policy on the role, checked with the AWS CLI), bad input (exit 2, one line
//! naming the argument), and stopping gracefully.

use serde_json::Value;

use crate::harness::{Broker, CONFIG, aws_admin, create_roles};
use tempcreds_testkit::Console;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn revoking_a_user_denies_their_live_sessions_and_blocks_new_ones() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    create_roles(&b);
    let alice = b.add_user("alice", &["lab", "prod"], false);
    let bob = b.add_user("bob", &["lab"], false);
    let root = b.add_user("root", &[], true);
    assert_eq!(b.post("/v1/credentials/lab", Some(&alice)).status(), 200);

    let out = b.run(&["user", "revoke", "alice"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Lab, Prod"), "{}", stderr(&out));
    for role in ["Lab", "Prod"] {
        let got = aws_admin(
            &b,
            &[
                "iam",
                "get-role-policy",
                "--role-name",
                role,
                "--policy-name",
                "tempcreds-revoke-alice",
            ],
        );
        let st = &got["PolicyDocument"]["Statement"][0];
        assert_eq!(st["Effect"], "Deny");
        assert_eq!(st["Action"], "*");
        assert_eq!(
            st["Condition"]["StringEquals"]["aws:SourceIdentity"],
            "alice"
        );
        assert!(
            st["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
    }
    // Her token no longer works, for anything; bob's does.
    let r = b.post("/v1/credentials/lab", Some(&alice));
    assert_eq!(r.status(), 403);
    let e: Value = r.json().unwrap();
    assert_eq!(e["error"], "user alice has been revoked");
    assert_eq!(b.post("/v1/credentials/lab", Some(&bob)).status(), 200);

    // The admin endpoint does the same for bob.
    let r = b.post("/v1/admin/users/bob/revoke", Some(&root));
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["roles"], serde_json::json!(["Lab"]));
    aws_admin(
        &b,
        &[
            "iam",
            "get-role-policy",
            "--role-name",
            "Lab",
            "--policy-name",
            "tempcreds-revoke-bob",
        ],
    );
    assert_eq!(b.post("/v1/credentials/lab", Some(&bob)).status(), 403);
    assert_eq!(
        b.post("/v1/admin/users/nobody/revoke", Some(&root))
            .status(),
        404
    );

    let list = b.run(&["user", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("alice") && l.contains("revoked")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("root") && l.contains("yes") && l.contains("active")),
        "{text}"
    );
}

#[test]
fn tokens_are_shown_once_and_stored_only_as_hashes() {
    let b = Broker::configured("http://127.0.0.1:9", CONFIG);
    let token = b.add_user("alice", &["lab"], false);
    let secret = token.rsplit('_').next().unwrap();
    let db = std::fs::read(b.dir.path().join("broker.db")).unwrap();
    let wal = std::fs::read(b.dir.path().join("broker.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is not stored"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(b.dir.path().join("broker.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn bad_input_is_exit_2_with_one_line_naming_it() {
    let b = Broker::configured("http://127.0.0.1:9", CONFIG);
    let cases: &[(&[&str], &str)] = &[
        (
            &["user", "add", "a"],
            "error: NAME: must be 2 to 64 characters",
        ),
        (&["user", "add", "al ice"], "error: NAME:"),
        (
            &["user", "add", "alice", "--grant", "nope"],
            "error: --grant: no role nope in the catalogue",
        ),
        (&["user", "revoke", "nobody"], "error: no user nobody"),
    ];
    for (args, want) in cases {
        let out = b.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).starts_with(want), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    b.add_user("alice", &["lab"], false);
    let again = b.run(&["user", "add", "alice"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).starts_with("error: user alice already exists"),
        "{}",
        stderr(&again)
    );

    let bad = Broker::configured(
        "http://127.0.0.1:9",
        &CONFIG.replace("123456789012:role/Prod", "1234:role/Prod"),
    );
    let out = bad.run(&["serve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("roles.prod.arn:"), "{}", stderr(&out));
    let missing = std::process::Command::new(crate::harness::bin())
        .args(["--config", "/nonexistent/broker.toml", "serve"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("hint: pass --config PATH"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn sigterm_stops_the_broker_cleanly() {
    let console = Console::start();
    let mut b = Broker::start(&console, CONFIG);
    assert_eq!(b.get("/healthz", None).status(), 200);
    let status = b.stop().expect("was running");
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(b.log()).unwrap();
    assert!(log.contains("finishing in-flight requests"), "{log}");
}
