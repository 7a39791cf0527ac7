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

#[test]
fn every_config_value_is_checked_before_anything_is_created() {
    for (change, key) in [
        (("127.0.0.1:0", "127.0.0.1:99999"), "listen:"),
        (
            ("issuer = \"https://labs.example.com\"", "issuer = \"\""),
            "issuer:",
        ),
    ] {
        let b = Broker::configured("http://127.0.0.1:9", &CONFIG.replace(change.0, change.1));
        for args in [&["serve"][..], &["user", "list"], &["user", "add", "alice"]] {
            let out = b.run(args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            let err = stderr(&out);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(
                err.starts_with("error: ") && err.contains(key),
                "{key}: {err}"
            );
            assert!(!err.contains("--"), "no CLI flag of tempcreds: {err}");
            assert!(
                !b.dir.path().join("broker.db").exists(),
                "{args:?} created the database"
            );
        }
    }
}

#[test]
fn two_operators_adding_one_user_at_once_get_exists_not_a_database_error() {
    let b = Broker::configured("http://127.0.0.1:9", CONFIG);
    b.add_user("first", &[], false); // the database exists before the race
    for round in 0..3 {
        let name = format!("racer{round}");
        let mut children: Vec<_> = (0..2)
            .map(|_| {
                b.command()
                    .args(["user", "add", &name, "--grant", "lab"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<_> = children
            .drain(..)
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let codes: Vec<_> = outs.iter().map(|o| o.status.code()).collect();
        assert!(
            codes.contains(&Some(0)) && codes.contains(&Some(2)),
            "{codes:?}"
        );
        let loser = outs.iter().find(|o| o.status.code() == Some(2)).unwrap();
        assert!(
            stderr(loser).starts_with(&format!("error: user {name} already exists")),
            "{}",
            stderr(loser)
        );
    }
}

#[test]
fn an_admin_revoke_whose_cut_off_fails_says_the_user_is_revoked() {
    let console = Console::start();
    // The catalogue names roles that IAM does not have: the deny policy cannot be put.
    let b = Broker::start(&console, CONFIG);
    let alice = b.add_user("alice", &["lab"], false);
    let root = b.add_user("root", &[], true);
    let r = b.post("/v1/admin/users/alice/revoke", Some(&root));
    assert_eq!(r.status(), 502);
    let e: Value = r.json().unwrap();
    let msg = e["error"].as_str().unwrap();
    assert!(
        msg.starts_with("user alice is revoked (no new credentials), but their live sessions are not cut off yet"),
        "{msg}"
    );
    assert_eq!(b.post("/v1/credentials/lab", Some(&alice)).status(), 403);
}
