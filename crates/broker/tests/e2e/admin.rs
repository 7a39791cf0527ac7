//! The admin API and the operator's commands on the real binary: every admin route refuses
//! no token, a bad token, an expired token and a learner; tokens rotate (the old one dead at
//! once) and expire (401 saying so), from the API and the command line; a class imported
//! from a CSV file with a bad row (the others applied, `--dry-run` changing nothing); and
//! bad input to the new commands is exit 2, naming the flag, with nothing written.

use serde_json::json;

use crate::harness::{Broker, CONFIG};
use tempcreds_testkit::Console;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const ROUTES: [(&str, &str); 8] = [
    ("GET", "/v1/admin/users"),
    ("POST", "/v1/admin/users"),
    ("GET", "/v1/admin/users/alice"),
    ("PUT", "/v1/admin/users/alice/grants"),
    ("POST", "/v1/admin/users/alice/token"),
    ("POST", "/v1/admin/users/alice/revoke"),
    ("POST", "/v1/admin/enrol"),
    ("GET", "/v1/admin/audit"),
];

#[test]
fn every_admin_route_is_for_administrators_only() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    let alice = b.add_user("alice", &["lab"], false);
    let root = b.add_user("root", &[], true);
    // An administrator whose token has expired is no administrator.
    let out = b.run(&["user", "add", "old", "--admin", "--token-ttl", "1s"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let old = text(&out.stdout).trim().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let body = json!({"name": "mallory", "grants": [{"role": "lab"}]});
    for (method, path) in ROUTES {
        for (token, want, says) in [
            (None, 401, "token"),
            (
                Some("tcb_000000000000_00000000000000000000000000000000"),
                401,
                "token",
            ),
            (Some(old.as_str()), 401, "expired at"),
            (Some(alice.as_str()), 403, "not an administrator"),
        ] {
            let (status, v) = b.call(method, path, token, Some(&body));
            assert_eq!(status, want, "{method} {path} {token:?}: {v}");
            assert!(
                v["error"].as_str().unwrap().contains(says),
                "{method} {path}: {v}"
            );
        }
    }
    // Nothing was changed by any of it: alice as she was, no mallory, no rows but creations.
    let (_, a) = b.call("GET", "/v1/admin/users/alice", Some(&root), None);
    assert_eq!(
        a["grants"],
        json!([{"role": "lab", "not_before": null, "not_after": null}])
    );
    assert_eq!(
        b.call("GET", "/v1/admin/users/mallory", Some(&root), None)
            .0,
        404
    );
    let rows = b.audit(&root, "", 100);
    assert!(rows.iter().all(|r| r["kind"] == "user.created"), "{rows:?}");
}

#[test]
fn tokens_rotate_at_once_and_expire_from_the_api_and_the_command_line() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    let root = b.add_user("root", &[], true);
    let (status, bob) = b.call(
        "POST",
        "/v1/admin/users",
        Some(&root),
        Some(&json!({"name": "bob", "grants": [{"role": "lab"}]})),
    );
    assert_eq!(status, 201, "{bob}");
    let first = bob["token"].as_str().unwrap().to_owned();
    assert_eq!(b.call("GET", "/v1/me", Some(&first), None).0, 200);
    let (status, again) = b.call(
        "POST",
        "/v1/admin/users",
        Some(&root),
        Some(&json!({"name": "bob"})),
    );
    assert_eq!(status, 409, "{again}");
    assert!(again.get("token").is_none());

    let (status, rotated) = b.call("POST", "/v1/admin/users/bob/token", Some(&root), None);
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["token"].as_str().unwrap().to_owned();
    assert_eq!(
        b.call("GET", "/v1/me", Some(&first), None).0,
        401,
        "the old token is dead at once"
    );
    assert_eq!(b.call("GET", "/v1/me", Some(&second), None).0, 200);

    // The command line rotates too, with an expiry; the list shows it.
    let out = b.run(&["user", "token", "bob", "--token-ttl", "2s"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let third = text(&out.stdout).trim().to_owned();
    assert!(
        text(&out.stderr).contains("expires at"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(b.call("GET", "/v1/me", Some(&second), None).0, 401);
    let (_, listed) = b.call("GET", "/v1/admin/users", Some(&root), None);
    let shown = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "bob")
        .unwrap()
        .clone();
    assert!(
        shown["token_expires_at"].as_str().unwrap().ends_with('Z'),
        "{shown}"
    );
    assert_eq!(
        b.call("POST", "/v1/credentials/lab", Some(&third), None).0,
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let (status, v) = b.call("POST", "/v1/credentials/lab", Some(&third), None);
    assert_eq!(status, 401);
    assert!(v["error"].as_str().unwrap().contains("expired at"), "{v}");
    let kinds: Vec<String> = b
        .audit(&root, "user=bob", 100)
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["kind"].as_str().unwrap(),
                r["actor"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "user.created:root",
            "user.token:root",
            "user.token:cli",
            "credentials:bob"
        ]
    );
    let list = b.run(&["user", "list"]);
    let line = text(&list.stdout)
        .lines()
        .find(|l| l.starts_with("bob"))
        .unwrap()
        .to_owned();
    assert!(line.contains("Z") && line.contains("lab"), "{line}");
}

const LEARNERS: &str = "name,roles,not_before,not_after
ann,lab,,2027-06-30
ben,lab;prod,2026-01-01T09:00:00Z,
\"cat\",nope,,
dan,,,
";

#[test]
fn a_csv_import_applies_the_good_rows_and_names_the_bad_one() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    let root = b.add_user("root", &[], true);
    b.add_user("dan", &["lab"], false);
    let file = b.dir.path().join("learners.csv");
    std::fs::write(&file, LEARNERS).unwrap();
    let path = file.to_str().unwrap();

    let dry = b.run(&["user", "import", path, "--dry-run"]);
    assert_eq!(
        dry.status.code(),
        Some(1),
        "a bad row: {}",
        text(&dry.stderr)
    );
    let out = text(&dry.stdout);
    assert!(out.starts_with("name,status,token,error\nann,created,,\nben,created,,\ncat,error,,\"row 3: roles: no role nope"), "{out}");
    assert!(out.contains("dan,updated,,"), "{out}");
    assert!(
        text(&dry.stderr).contains("dry run: nothing changed"),
        "{}",
        text(&dry.stderr)
    );
    assert_eq!(
        b.call("GET", "/v1/admin/users/ann", Some(&root), None).0,
        404
    );

    let done = b.run(&["user", "import", path]);
    assert_eq!(done.status.code(), Some(1));
    let out = text(&done.stdout);
    let ann_token = out
        .lines()
        .find(|l| l.starts_with("ann,created,tcb_"))
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .to_owned();
    assert_eq!(b.call("GET", "/v1/me", Some(&ann_token), None).0, 200);
    assert!(
        text(&done.stderr).contains("1 of 4 rows were refused"),
        "{}",
        text(&done.stderr)
    );
    let (_, ann) = b.call("GET", "/v1/admin/users/ann", Some(&root), None);
    assert_eq!(
        ann["grants"][0]["not_after"], "2027-07-01T00:00:00Z",
        "the whole day included"
    );
    let (_, ben) = b.call("GET", "/v1/admin/users/ben", Some(&root), None);
    assert_eq!(ben["grants"].as_array().unwrap().len(), 2);
    let (_, dan) = b.call("GET", "/v1/admin/users/dan", Some(&root), None);
    assert_eq!(dan["grants"], json!([]), "an update replaces the grants");
    let rows = b.audit(&root, "", 100);
    let cli_rows = rows.iter().filter(|r| r["actor"] == "cli").count();
    assert_eq!(
        cli_rows,
        2 + 3,
        "root and dan added, then ann, ben created and dan changed"
    );
    // Again: nothing changes, nothing is written.
    let again = b.run(&["user", "import", path]);
    assert!(
        text(&again.stdout).contains("ann,unchanged"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(b.audit(&root, "", 100).len(), rows.len());
}

#[test]
fn bad_input_to_the_new_commands_is_exit_2_and_writes_nothing() {
    let b = Broker::configured("http://127.0.0.1:9", CONFIG);
    b.add_user("alice", &["lab"], false);
    let headless = b.dir.path().join("headless.csv");
    std::fs::write(&headless, "ann,lab,,\n").unwrap();
    let headless = headless.to_str().unwrap().to_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["user", "add", "bob", "--token-ttl", "soon"],
            "error: --token-ttl: \"soon\" is not a duration",
        ),
        (
            vec!["user", "add", "bob", "--grant", "lab", "--until", "someday"],
            "error: --until: \"someday\" is not a time",
        ),
        (
            vec![
                "user",
                "grant",
                "alice",
                "--grant",
                "lab",
                "--from",
                "2027-01-02",
                "--until",
                "2027-01-01",
            ],
            "error: --until: the window of role lab",
        ),
        (
            vec!["user", "grant", "alice", "--grant", "nope"],
            "error: --grant: no role nope",
        ),
        (
            vec!["user", "add", "bob", "--until", "2027-01-31"],
            "error: --until: a window belongs to the roles given with --grant",
        ),
        (vec!["user", "token", "nobody"], "error: no user nobody"),
        (vec!["user", "import", &headless], "error: "),
        (
            vec!["user", "import", "/nonexistent.csv"],
            "error: cannot read /nonexistent.csv",
        ),
    ];
    let list = || text(&b.run(&["user", "list"]).stdout);
    let before = list();
    for (args, want) in cases {
        let out = b.run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(err.starts_with(want), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(
        text(&b.run(&["user", "import", &headless]).stderr)
            .contains("the first row must be the header name,roles,not_before,not_after")
    );
    assert_eq!(list(), before, "nothing written");
    let out = b.run(&[
        "user",
        "grant",
        "alice",
        "--grant",
        "lab",
        "--until",
        "2027-01-31",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("lab (until 2027-02-01T00:00:00Z)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_example_script_enrols_a_class_through_the_api() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    let root = b.add_user("root", &[], true);
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let run = |extra: &[&str]| {
        std::process::Command::new(tempcreds_testkit::venv().join("bin/python"))
            .arg(examples.join("enrol_class.py"))
            .arg(&b.url)
            .arg(examples.join("learners.csv"))
            .args(extra)
            .env("TEMPCREDS_BROKER_TOKEN", &root)
            .output()
            .unwrap()
    };
    let dry = run(&["--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert_eq!(
        b.call("GET", "/v1/admin/users/ada.lovelace", Some(&root), None)
            .0,
        404
    );
    let out = run(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[1].starts_with("ada.lovelace,created,tcb_"),
        "{lines:?}"
    );
    let token = lines[2].split(',').nth(2).unwrap();
    let (_, me) = b.call("GET", "/v1/me", Some(token), None);
    assert_eq!(me["roles"][0]["not_before"], "2027-01-11T09:00:00Z", "{me}");
    assert_eq!(me["roles"][0]["not_after"], "2027-07-01T00:00:00Z", "{me}");
    let again = run(&[]);
    assert!(
        text(&again.stdout).contains("grace.hopper,unchanged"),
        "{}",
        text(&again.stdout)
    );
}
