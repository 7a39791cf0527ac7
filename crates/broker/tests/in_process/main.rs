//! The broker's service in-process, on a fake STS and an SQLite store in a temporary
//! directory (no emulator: the hermetic tier): every body over the limit is 413 before any
//! handler, a wrong method is 405 in JSON, a bad query parameter is named as the client
//! sends it (never as a CLI flag), a vend goes through the one engine as the learner, and
//! the admin API (`admin`) keeps its rules.

// A failed unwrap in a test is a failed test with its location: what we want here.
#![allow(clippy::unwrap_used)]

mod admin;
mod harness;

use std::path::Path;

use harness::{error_of, request, start};
use tempcreds_broker::config::Config;

#[test]
fn bodies_over_the_limit_are_refused_before_any_handler_on_every_route() {
    let s = start();
    // Learners' routes take max_body_bytes (1024 here), the admin routes
    // max_admin_body_bytes (4096).
    let big = vec![b'x'; 2048];
    let bigger = vec![b'x'; 8192];
    for (path, body) in [
        ("/v1/credentials/lab", &big),
        ("/v1/login", &big),
        ("/v1/logout", &big),
        ("/v1/admin/users/bob/revoke", &bigger),
        ("/v1/admin/enrol", &bigger),
        ("/v1/admin/users", &bigger),
    ] {
        for chunked in [false, true] {
            let (status, answer) = request(&s, "POST", path, body, chunked);
            assert_eq!(status, 413, "{path} chunked={chunked}: {answer}");
        }
    }
    assert!(s.sts.asked.lock().unwrap().is_empty(), "nothing vended");
    let (status, _) = request(&s, "POST", "/v1/credentials/lab", b"", false);
    assert_eq!(status, 200);
}

#[test]
fn a_wrong_method_is_405_naming_the_one_to_use() {
    let s = start();
    let (status, body) = request(&s, "GET", "/v1/credentials/lab", b"", false);
    assert_eq!(status, 405, "{body}");
    assert_eq!(error_of(&body), "GET is not allowed here: use POST");
    let (status, body) = request(&s, "POST", "/v1/me", b"", false);
    assert_eq!(status, 405);
    assert!(error_of(&body).contains("use GET"), "{body}");
}

#[test]
fn a_vend_is_the_learner_through_the_engine_and_errors_name_query_parameters() {
    let s = start();
    let (status, body) = request(&s, "POST", "/v1/credentials/lab?duration=5m", b"", false);
    assert_eq!(status, 400);
    let e = error_of(&body);
    assert!(e.starts_with("?duration=: "), "{e}");
    assert!(!e.contains("--"), "no CLI flag reaches an HTTP client: {e}");
    let (status, body) = request(&s, "GET", "/v1/console/lab?service=s3/../x", b"", false);
    assert_eq!(status, 400);
    assert!(error_of(&body).starts_with("?service=: "), "{body}");
    assert!(s.sts.asked.lock().unwrap().is_empty());

    let (status, body) = request(&s, "POST", "/v1/credentials/lab?duration=30m", b"", false);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("assumed-role/Lab/alice"), "{body}");
    let asked = s.sts.asked.lock().unwrap();
    let input = &asked[0];
    assert_eq!(input.session_name, "alice");
    assert_eq!(input.source_identity.as_deref(), Some("alice"));
    assert_eq!(input.duration_seconds, Some(1800));
    let tags: Vec<(&str, &str)> = input
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    assert_eq!(tags, [("course", "aws101"), ("user", "alice")]);
    drop(asked);
    let (status, body) = request(&s, "GET", "/v1/sessions", b"", false);
    assert_eq!(status, 200);
    assert!(body.contains("ASIAVENDED"), "the audit row: {body}");
}

#[test]
fn a_config_with_a_port_that_cannot_exist_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:99999\"\n").unwrap();
    let e = Config::load(&path).unwrap_err().to_string();
    assert!(e.contains("listen: must be HOST:PORT"), "{e}");
    assert!(!Path::new(&dir.path().join("broker.db")).exists());
}
