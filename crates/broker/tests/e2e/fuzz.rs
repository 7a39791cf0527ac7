//! The API fuzzed from its own OpenAPI description (schemathesis, pinned in .venv): random
//! paths, queries and bodies, with an administrator's token and without; no answer may be a
//! 5xx other than the documented 502/503 from AWS — and here AWS (moto) is up, so none.

use std::process::Command;

use crate::harness::{Broker, CONFIG, create_roles};
use tempcreds_testkit::{Console, venv};

#[test]
fn fuzzed_requests_never_get_a_server_error() {
    let console = Console::start();
    let config = format!("rate_limit_per_minute = 100000\n{CONFIG}");
    let b = Broker::start(&console, &config);
    create_roles(&b);
    let root = b.add_user("root", &["lab", "prod"], true);
    b.add_user("alice", &["lab"], false);
    let schema = format!("{}/openapi.json", b.url);
    let out = Command::new(venv().join("bin/schemathesis"))
        .current_dir(b.dir.path())
        .env("SCHEMATHESIS_HOOKS", "")
        .args([
            "run",
            &schema,
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "30",
            "--seed",
            "1",
            "--no-color",
        ])
        .args(["-H", &format!("Authorization: Bearer {root}")])
        .output()
        .expect("run schemathesis (scripts/venv installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("passed"), "{text}");
    // The fuzzing reached the core: credentials were vended (and audited) along the way.
    let rows: serde_json::Value = b.get("/v1/sessions", Some(&root)).json().unwrap();
    assert!(rows.as_array().unwrap().len() >= 3, "{rows}");
    let log = std::fs::read_to_string(b.log()).unwrap();
    assert!(!log.contains("panicked"), "{log}");
}
