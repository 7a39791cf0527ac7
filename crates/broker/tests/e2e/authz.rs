//! Who gets what: no token, a bad token, a role not granted, a role not in the catalogue,
//! administrators only, the rate limit, the body limit — and what AWS being down looks like.

use serde_json::Value;

use crate::harness::{Broker, CONFIG};
use tempcreds_testkit::{Console, free_port};

fn status(r: reqwest::blocking::Response) -> u16 {
    r.status().as_u16()
}

#[test]
fn every_endpoint_but_health_and_the_page_needs_a_valid_token() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    let alice = b.add_user("alice", &["lab"], false);
    let root = b.add_user("root", &["lab", "prod"], true);

    assert_eq!(status(b.get("/healthz", None)), 200);
    assert_eq!(status(b.get("/", None)), 200);
    assert_eq!(status(b.get("/openapi.json", None)), 200);
    for path in [
        "/v1/me",
        "/v1/sessions",
        "/v1/ecs/lab",
        "/v1/console/lab",
        "/metrics",
    ] {
        let r = b.get(path, None);
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer", "{path}");
        let e: Value = r.json().unwrap();
        assert!(
            e["error"].as_str().unwrap().contains("token"),
            "{path}: {e}"
        );
    }
    assert_eq!(status(b.post("/v1/credentials/lab", None)), 401);
    // Malformed, unknown id, right id with a wrong secret: all 401, none vended.
    let (id, _) = alice.trim_start_matches("tcb_").split_once('_').unwrap();
    let wrong_secret = format!("tcb_{id}_{}", "0".repeat(32));
    for bad in [
        "nonsense",
        "tcb_000000000000_00000000000000000000000000000000",
        &wrong_secret,
    ] {
        assert_eq!(
            status(b.post("/v1/credentials/lab", Some(bad))),
            401,
            "{bad}"
        );
    }
    // Granted vs not granted vs unknown.
    assert_eq!(status(b.post("/v1/credentials/lab", Some(&alice))), 200);
    let r = b.post("/v1/credentials/prod", Some(&alice));
    assert_eq!(r.status(), 403);
    let e: Value = r.json().unwrap();
    assert_eq!(e["error"], "user alice has no grant for role prod");
    assert_eq!(status(b.get("/v1/console/prod", Some(&alice))), 403);
    assert_eq!(status(b.post("/v1/credentials/nope", Some(&alice))), 404);
    // Administrators only.
    assert_eq!(status(b.get("/metrics", Some(&alice))), 403);
    assert_eq!(
        status(b.post("/v1/admin/users/root/revoke", Some(&alice))),
        403
    );
    let metrics = b.get("/metrics", Some(&root)).text().unwrap();
    assert!(
        metrics.contains(
            r#"tempcreds_broker_vends_total{role="lab",kind="credentials",outcome="ok"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("tempcreds_broker_auth_failures_total 3"),
        "{metrics}"
    );
    // Sessions: alice sees her own; root sees everyone's.
    assert_eq!(status(b.post("/v1/credentials/prod", Some(&root))), 200);
    let own: Value = b.get("/v1/sessions", Some(&alice)).json().unwrap();
    assert_eq!(own.as_array().unwrap().len(), 1);
    let all: Value = b.get("/v1/sessions", Some(&root)).json().unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let me: Value = b.get("/v1/me", Some(&alice)).json().unwrap();
    assert_eq!(me["name"], "alice");
    assert_eq!(me["roles"][0]["arn"], "arn:aws:iam::123456789012:role/Lab");
    assert_eq!(me["roles"].as_array().unwrap().len(), 1);
}

#[test]
fn the_rate_limit_and_the_body_limit() {
    let console = Console::start();
    let config = format!("rate_limit_per_minute = 3\nmax_body_bytes = 1024\n{CONFIG}");
    let b = Broker::start(&console, &config);
    let alice = b.add_user("alice", &["lab"], false);
    let bob = b.add_user("bob", &["lab"], false);
    for _ in 0..3 {
        assert_eq!(status(b.get("/v1/me", Some(&alice))), 200);
    }
    let r = b.get("/v1/me", Some(&alice));
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "20");
    assert_eq!(status(b.get("/v1/me", Some(&bob))), 200, "per user");
    let big = Broker::client()
        .post(format!("{}/v1/login", b.url))
        .header("content-type", "application/json")
        .body(format!(r#"{{"token":"{}"}}"#, "x".repeat(4096)))
        .send()
        .unwrap();
    assert_eq!(big.status(), 413);
}

#[test]
fn aws_unreachable_is_503_with_retry_after_never_500() {
    // Nothing listens on this port: STS is unreachable.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let b = Broker::start_at(&endpoint, CONFIG);
    let alice = b.add_user("alice", &["lab"], false);
    let r = b.post("/v1/credentials/lab", Some(&alice));
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    let e: Value = r.json().unwrap();
    let msg = e["error"].as_str().unwrap();
    assert!(msg.starts_with("AWS is unreachable"), "{msg}");
    assert!(!msg.contains('\n'), "one line: {msg}");
    // Nothing was handed out, so nothing is in the audit log.
    let rows: Value = b.get("/v1/sessions", Some(&alice)).json().unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 0);
}
