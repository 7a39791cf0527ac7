//! The admin API on the in-process service: administrators only, users created once with
//! their token returned once, grants replaced idempotently (one audit row per change, none
//! for no change), course windows on every vend, expiring and rotated tokens, bulk
//! enrolment with a result per entry, and the audit log paged as JSON and CSV.

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::harness::{Service, start};

fn at(offset_secs: i64) -> String {
    let t = OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
    tempcreds_core::credentials::rfc3339(t)
}

fn call(s: &Service, token: Option<&str>, method: &str, path: &str) -> RequestBuilder {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let req = Client::new().request(m, format!("{}{path}", s.url));
    match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
}

fn json_of(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn admin(s: &Service, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let req = call(s, Some(&s.root), method, path);
    json_of(match body {
        Some(b) => req.json(&b).send().unwrap(),
        None => req.send().unwrap(),
    })
}

fn kinds(s: &Service, user: &str) -> Vec<String> {
    let (_, page) = admin(
        s,
        "GET",
        &format!("/v1/admin/audit?user={user}&limit=1000"),
        None,
    );
    let items = page["items"].as_array().unwrap();
    items
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn admin_routes_need_an_administrator() {
    let s = start();
    for (method, path) in [
        ("GET", "/v1/admin/users"),
        ("POST", "/v1/admin/users"),
        ("GET", "/v1/admin/users/alice"),
        ("PUT", "/v1/admin/users/alice/grants"),
        ("POST", "/v1/admin/users/alice/token"),
        ("POST", "/v1/admin/users/alice/revoke"),
        ("POST", "/v1/admin/enrol"),
        ("GET", "/v1/admin/audit"),
    ] {
        let body = json!({"name": "eve", "grants": []});
        let none = call(&s, None, method, path).json(&body).send().unwrap();
        assert_eq!(none.status().as_u16(), 401, "{method} {path}");
        let learner = call(&s, Some(&s.token), method, path)
            .json(&body)
            .send()
            .unwrap();
        let (status, v) = json_of(learner);
        assert_eq!(status, 403, "{method} {path}: {v}");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("not an administrator"),
            "{v}"
        );
    }
    assert_eq!(kinds(&s, "alice"), ["user.created"], "only the harness's");
    assert!(kinds(&s, "eve").is_empty());
}

#[test]
fn a_user_is_created_once_and_grants_replaced_idempotently() {
    let s = start();
    let until = at(3600);
    let bob = json!({"name": "bob", "grants": [{"role": "lab", "not_after": until}]});
    let (status, made) = admin(&s, "POST", "/v1/admin/users", Some(bob.clone()));
    assert_eq!(status, 201, "{made}");
    assert!(
        made["token"].as_str().unwrap().starts_with("tcb_"),
        "{made}"
    );
    assert_eq!(made["grants"][0]["not_after"], until.as_str());
    let (status, again) = admin(&s, "POST", "/v1/admin/users", Some(bob));
    assert_eq!((status, again.get("token")), (409, None), "{again}");
    for (body, names) in [
        (json!({"name": "x", "grants": []}), "name:"),
        (json!({"grants": []}), "missing field `name`"),
        (
            json!({"name": "carl", "grant": []}),
            "grant: unknown field `grant`",
        ),
        (
            json!({"name": "carl", "grants": [{"role": "nope"}]}),
            "grants[0].role: no role nope",
        ),
        (
            json!({"name": "carl", "grants": [{"role": "lab", "not_after": "soon"}]}),
            "grants[0].not_after:",
        ),
        (
            json!({"name": "carl", "token_expires_at": at(-60)}),
            "token_expires_at:",
        ),
    ] {
        let (status, v) = admin(&s, "POST", "/v1/admin/users", Some(body));
        assert_eq!(status, 422, "{v}");
        assert!(v["error"].as_str().unwrap().starts_with(names), "{v}");
    }
    let put = json!({"grants": [{"role": "lab"}, {"role": "prod", "not_before": at(60)}]});
    let (status, first) = admin(&s, "PUT", "/v1/admin/users/bob/grants", Some(put.clone()));
    assert_eq!(
        (status, first["status"].as_str()),
        (200, Some("updated")),
        "{first}"
    );
    let (_, second) = admin(&s, "PUT", "/v1/admin/users/bob/grants", Some(put));
    assert_eq!(second["status"], "unchanged");
    assert_eq!(kinds(&s, "bob"), ["user.created", "user.grants"]);
    // If-Match: a writer that read before another's change gets 409, and nothing changes.
    let read = call(&s, Some(&s.root), "GET", "/v1/admin/users/bob")
        .send()
        .unwrap();
    let tag = read.headers()["etag"].to_str().unwrap().to_owned();
    let stale = call(&s, Some(&s.root), "PUT", "/v1/admin/users/bob/grants")
        .header("If-Match", "\"0000000000000000\"")
        .json(&json!({"grants": []}))
        .send()
        .unwrap();
    assert_eq!(stale.status().as_u16(), 409);
    let fresh = call(&s, Some(&s.root), "PUT", "/v1/admin/users/bob/grants")
        .header("If-Match", &tag)
        .json(&json!({"grants": [{"role": "lab"}]}))
        .send()
        .unwrap();
    assert_eq!(fresh.status().as_u16(), 200);
    let (_, list) = admin(&s, "GET", "/v1/admin/users?role=lab&limit=1", None);
    assert_eq!(list["items"][0]["name"], "alice");
    let next = list["next_page_token"].as_str().unwrap();
    let (_, rest) = admin(
        &s,
        "GET",
        &format!("/v1/admin/users?role=lab&page_token={next}"),
        None,
    );
    assert_eq!(rest["items"][0]["name"], "bob");
    assert!(rest["next_page_token"].is_null(), "{rest}");
}

#[test]
fn a_grant_window_bounds_every_vend() {
    let s = start();
    let vend = |path: &str| json_of(call(&s, Some(&s.token), "POST", path).send().unwrap());
    let set = |grant: Value| {
        let (status, v) = admin(
            &s,
            "PUT",
            "/v1/admin/users/alice/grants",
            Some(json!({"grants": [grant]})),
        );
        assert_eq!(status, 200, "{v}");
    };
    set(json!({"role": "lab", "not_before": at(3600)}));
    let (status, v) = vend("/v1/credentials/lab");
    assert_eq!(status, 403);
    assert!(v["error"].as_str().unwrap().contains("starts at"), "{v}");
    set(json!({"role": "lab", "not_after": at(-1)}));
    let (_, v) = vend("/v1/credentials/lab");
    assert!(v["error"].as_str().unwrap().contains("ended at"), "{v}");
    set(json!({"role": "lab", "not_after": at(600)}));
    let (status, v) = vend("/v1/credentials/lab");
    assert_eq!(status, 403);
    assert!(
        v["error"].as_str().unwrap().contains("15-minute minimum"),
        "{v}"
    );
    assert!(
        s.sts.asked.lock().unwrap().is_empty(),
        "nothing was asked of STS"
    );
    // Inside the window the session ends by not_after, whatever was asked.
    set(json!({"role": "lab", "not_after": at(1800)}));
    let (status, v) = vend("/v1/credentials/lab?duration=2h");
    assert_eq!(status, 200, "{v}");
    let asked = s.sts.asked.lock().unwrap()[0].duration_seconds.unwrap();
    assert!((1785..=1795).contains(&asked), "ends by not_after: {asked}");
    let me = call(&s, Some(&s.token), "GET", "/v1/me").send().unwrap();
    let (_, me) = json_of(me);
    assert!(me["roles"][0]["not_after"].is_string(), "{me}");
}

#[test]
fn tokens_expire_and_rotate() {
    let s = start();
    let carol = json!({"name": "carol", "grants": [{"role": "lab"}], "token_expires_at": at(2)});
    let (_, made) = admin(&s, "POST", "/v1/admin/users", Some(carol));
    let old = made["token"].as_str().unwrap().to_owned();
    let me = |t: &str| json_of(call(&s, Some(t), "GET", "/v1/me").send().unwrap());
    assert_eq!(me(&old).0, 200);
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let (status, v) = me(&old);
    assert_eq!(status, 401);
    assert!(v["error"].as_str().unwrap().contains("expired at"), "{v}");
    let body = json!({"token_expires_at": at(3600)});
    let (status, rotated) = admin(&s, "POST", "/v1/admin/users/carol/token", Some(body));
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["token"].as_str().unwrap();
    assert_eq!(me(new).0, 200);
    assert_eq!(me(&old).0, 401);
    let (_, listed) = admin(&s, "GET", "/v1/admin/users/carol", None);
    assert_eq!(listed["token_expires_at"], rotated["token_expires_at"]);
    assert_eq!(kinds(&s, "carol"), ["user.created", "user.token"]);
    let (status, _) = admin(&s, "POST", "/v1/admin/users/nobody/token", None);
    assert_eq!(status, 404);
}

#[test]
fn enrolment_answers_each_entry_in_order() {
    let s = start();
    let class = json!([
        {"name": "dora", "grants": [{"role": "lab"}]},
        {"name": "alice", "grants": [{"role": "lab"}, {"role": "prod"}]},
        {"name": "erin", "grants": [{"role": "nope"}]},
        {"name": "root"},
        {"name": "dora", "grants": []},
        {"nom": "x"},
    ]);
    let (status, dry) = admin(
        &s,
        "POST",
        "/v1/admin/enrol?dry_run=true",
        Some(class.clone()),
    );
    assert_eq!(status, 200, "{dry}");
    assert!(kinds(&s, "dora").is_empty(), "a dry run changes nothing");
    let (_, done) = admin(&s, "POST", "/v1/admin/enrol", Some(class));
    let r = done["results"].as_array().unwrap();
    let statuses: Vec<&str> = r.iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        ["created", "updated", "error", "unchanged", "error", "error"]
    );
    assert_eq!(dry["results"][1]["status"], "updated");
    assert!(
        dry["results"][0].get("token").is_none(),
        "no token for a dry run"
    );
    assert!(r[0]["token"].as_str().unwrap().starts_with("tcb_"));
    assert!(
        r[1].get("token").is_none(),
        "an update keeps the user's token"
    );
    let e = |i: usize| r[i]["error"].as_str().unwrap().to_owned();
    assert!(
        e(2).starts_with("row 3: grants[0].role: no role nope"),
        "{}",
        e(2)
    );
    assert!(
        e(4).starts_with("row 5: name:") && e(4).contains("row 1"),
        "{}",
        e(4)
    );
    assert!(e(5).starts_with("row 6: entry:"), "{}", e(5));
    assert_eq!(kinds(&s, "alice"), ["user.created", "user.grants"]);
    // Over 1,000 entries: refused whole.
    let many = Value::Array(vec![json!({}); 1001]);
    let (status, v) = admin(&s, "POST", "/v1/admin/enrol", Some(many));
    assert_eq!(status, 422, "{v}");
}

#[test]
fn the_audit_log_pages_as_json_and_csv() {
    let s = start();
    for i in 0..5 {
        let (status, _) = admin(
            &s,
            "POST",
            "/v1/admin/users",
            Some(json!({"name": format!("u{i}")})),
        );
        assert_eq!(status, 201);
    }
    let (_, all) = admin(&s, "GET", "/v1/admin/audit?kind=user.created", None);
    let all: Vec<Value> = all["items"].as_array().unwrap().clone();
    assert_eq!(all.len(), 7, "alice, root and five more");
    assert_eq!(all[2]["actor"], "root");
    let mut paged: Vec<Value> = Vec::new();
    let mut next = String::new();
    loop {
        let path = format!("/v1/admin/audit?kind=user.created&limit=2&page_token={next}");
        let path = if next.is_empty() {
            "/v1/admin/audit?kind=user.created&limit=2".to_owned()
        } else {
            path
        };
        let (_, page) = admin(&s, "GET", &path, None);
        paged.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_page_token"].as_str() {
            Some(t) => next = t.to_owned(),
            None => break,
        }
    }
    assert_eq!(paged, all);
    let csv = call(
        &s,
        Some(&s.root),
        "GET",
        "/v1/admin/audit?format=csv&limit=3",
    )
    .send()
    .unwrap();
    let token = csv.headers()["next-page-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = csv.text().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("id,at,actor,kind,user,role"), "{text}");
    assert_eq!(lines.len(), 4, "{text}");
    let rest = call(
        &s,
        Some(&s.root),
        "GET",
        &format!("/v1/admin/audit?format=csv&page_token={token}"),
    );
    assert!(
        rest.send()
            .unwrap()
            .text()
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("4,")
    );
    for bad in [
        "limit=0",
        "kind=nope",
        "since=yesterday",
        "format=xml",
        "page_token=zz",
    ] {
        let (status, v) = admin(&s, "GET", &format!("/v1/admin/audit?{bad}"), None);
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(v["error"].as_str().unwrap().starts_with('?'), "{v}");
    }
}
