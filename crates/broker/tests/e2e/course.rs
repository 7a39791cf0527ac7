//! A platform's course, end to end on the real binary against moto: a class of 50 enrolled
//! in one call, each learner vending keys (checked with the AWS CLI) and opening the
//! console, the window closing — vends refused for STS's 15-minute minimum with the reason,
//! then, once the (moved-up) end has passed, 403 naming the window — and the audit export
//! listing every vend and every change exactly once.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::harness::{Broker, CONFIG, create_roles};
use crate::vend::keys_arn;
use tempcreds_testkit::Console;

const CLASS: usize = 50;

fn rfc3339(t: OffsetDateTime) -> String {
    tempcreds_core::credentials::rfc3339(t)
}

fn learner(i: usize) -> String {
    format!("learner{i:02}")
}

/// Enrols the class with `lab` until `until`; returns each result.
fn enrol(b: &Broker, root: &str, until: &str) -> Vec<Value> {
    let class: Vec<Value> = (0..CLASS)
        .map(|i| json!({"name": learner(i), "grants": [{"role": "lab", "not_after": until}]}))
        .collect();
    let (status, v) = b.call("POST", "/v1/admin/enrol", Some(root), Some(&json!(class)));
    assert_eq!(status, 200, "{v}");
    v["results"].as_array().unwrap().clone()
}

fn error(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_default()
}

#[test]
fn a_course_from_enrolment_to_its_end_is_audited_exactly_once() {
    let console = Console::start();
    // The auditor below polls the log faster than a person would.
    let config = format!("rate_limit_per_minute = 100000\n{CONFIG}");
    let b = Broker::start(&console, &config);
    create_roles(&b);
    let root = b.add_user("root", &[], true);
    // The window ends 15 minutes and 45 s from now: every vend in the next 40 s works (a
    // session ends a few seconds before the window does: `window::SLACK_SECONDS`).
    let start = Instant::now();
    let end = (OffsetDateTime::now_utc() + time::Duration::seconds(900 + 45))
        .replace_nanosecond(0)
        .unwrap();
    let results = enrol(&b, &root, &rfc3339(end));
    let tokens: Vec<String> = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            assert_eq!(
                (r["name"].as_str(), r["status"].as_str()),
                (Some(learner(i).as_str()), Some("created"))
            );
            r["token"].as_str().unwrap().to_owned()
        })
        .collect();

    // The vends, while an auditor pages through the log (3 rows a page) as they are written.
    let done = AtomicBool::new(false);
    let (keys, paged) = std::thread::scope(|s| {
        let auditor = s.spawn(|| follow_audit(&b, &root, &done));
        let keys = vend_all(&b, &tokens, end);
        done.store(true, Ordering::SeqCst);
        (keys, auditor.join().unwrap())
    });
    let mut sorted = paged.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        paged, sorted,
        "pages read during the vends: ids in order, none twice"
    );
    let all: Vec<i64> = b
        .audit(&root, "", 1000)
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(paged, all, "and none lost");
    let arn = keys_arn(&b, &console.url, &keys[7]);
    assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/Lab/learner07");
    assert!(
        start.elapsed() < Duration::from_secs(39),
        "the vends took {:?}",
        start.elapsed()
    );

    // Under 15 minutes left: refused with the reason, for keys and the console alike.
    std::thread::sleep(Duration::from_secs(46).saturating_sub(start.elapsed()));
    let (status, v) = b.call("POST", "/v1/credentials/lab", Some(&tokens[0]), None);
    assert_eq!(status, 403, "{v}");
    assert!(
        error(&v).contains("too soon for the 15-minute minimum of an STS session"),
        "{v}"
    );
    assert!(error(&v).contains(&rfc3339(end)), "{v}");
    assert_eq!(b.get("/v1/console/lab", Some(&tokens[1])).status(), 403);

    // The platform moves the course's end to two seconds from now; once it has passed, a
    // vend is 403 naming the window.
    let moved = rfc3339(OffsetDateTime::now_utc() + time::Duration::seconds(2));
    assert!(
        enrol(&b, &root, &moved)
            .iter()
            .all(|r| r["status"] == "updated")
    );
    std::thread::sleep(Duration::from_millis(2500));
    let (status, v) = b.call("POST", "/v1/credentials/lab", Some(&tokens[2]), None);
    assert_eq!(status, 403, "{v}");
    assert!(
        error(&v).contains(&format!("ended at {moved} (not_after)")),
        "{v}"
    );

    audit_has_everything_once(&b, &root, &keys);
}

/// Each learner vends keys (ending by the window's `end`) and opens the console.
fn vend_all(b: &Broker, tokens: &[String], end: OffsetDateTime) -> Vec<Value> {
    let mut keys: Vec<Value> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let r = b.post("/v1/credentials/lab", Some(token));
        assert_eq!(r.status(), 200, "{}", learner(i));
        let c: Value = r.json().unwrap();
        let expires = OffsetDateTime::parse(c["Expiration"].as_str().unwrap(), &Rfc3339).unwrap();
        assert!(
            expires <= end,
            "a session never outlives the grant: {expires} > {end}"
        );
        keys.push(c);
        let r = b.get("/v1/console/lab", Some(token));
        assert_eq!(r.status(), 302, "{}", learner(i));
    }
    keys
}

/// Follows the audit log page by page until `done` and the last page is read: the ids seen.
fn follow_audit(b: &Broker, root: &str, done: &AtomicBool) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let mut path = "/v1/admin/audit?limit=3".to_owned();
        if let Some(t) = &next {
            path.push_str(&format!("&page_token={t}"));
        }
        let (status, page) = b.call("GET", &path, Some(root), None);
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        seen.extend(items.iter().map(|r| r["id"].as_i64().unwrap()));
        match page["next_page_token"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            // The end for now: ask again from the last row seen (or wait for the first).
            None => {
                if finished {
                    return seen;
                }
                if let Some(last) = seen.last() {
                    next = Some(hex_token(*last));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// The page token that continues after row `id` (as `admin::paging` encodes it), to poll
/// the end of the log for rows written after it was reached.
fn hex_token(id: i64) -> String {
    format!("a{id}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn audit_has_everything_once(b: &Broker, root: &str, keys: &[Value]) {
    // Small pages, so the export crosses many page boundaries.
    let rows = b.audit(root, "", 7);
    let ids: HashSet<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), rows.len(), "no row twice");
    let count = |kind: &str, actor: &str| {
        rows.iter()
            .filter(|r| r["kind"] == kind && r["actor"] == actor)
            .count()
    };
    assert_eq!(count("user.created", "cli"), 1, "root, by the command line");
    assert_eq!(count("user.created", "root"), CLASS);
    assert_eq!(count("user.grants", "root"), CLASS, "the moved end");
    let vends: Vec<&Value> = rows.iter().filter(|r| r["kind"] == "credentials").collect();
    let keys_seen: HashSet<&str> = vends
        .iter()
        .map(|r| r["access_key_id"].as_str().unwrap())
        .collect();
    let keys_sent: HashSet<&str> = keys
        .iter()
        .map(|c| c["AccessKeyId"].as_str().unwrap())
        .collect();
    assert_eq!(keys_seen, keys_sent, "every key vended is audited, once");
    assert_eq!(vends.len(), CLASS);
    for i in 0..CLASS {
        let name = learner(i);
        let consoles = rows
            .iter()
            .filter(|r| r["kind"] == "console" && r["user"] == name.as_str());
        assert_eq!(consoles.count(), 1, "{name}");
    }
    assert_eq!(
        rows.len(),
        1 + 3 * CLASS + CLASS,
        "nothing else: {}",
        rows.len()
    );
    // The CSV export has the same rows.
    let csv = Broker::client()
        .get(format!("{}/v1/admin/audit?format=csv&limit=1000", b.url))
        .bearer_auth(root)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + rows.len(),
        "a header and every row"
    );
}
