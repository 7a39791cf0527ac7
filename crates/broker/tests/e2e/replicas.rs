//! Several brokers on one PostgreSQL (`TEMPCREDS_TEST_POSTGRES_URL`, started by
//! scripts/test): users added through one are served by the other, the audit log is one,
//! a revocation or a token rotation through one is enforced by the other at once, and two
//! administrators changing one user through both lose no grant.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::harness::{Broker, CONFIG, create_roles};
use tempcreds_testkit::Console;

/// A new, empty database on the test server (a missing server fails the test).
fn fresh_database() -> String {
    let admin_url = std::env::var("TEMPCREDS_TEST_POSTGRES_URL")
        .expect("set TEMPCREDS_TEST_POSTGRES_URL (scripts/test starts PostgreSQL and does)");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let db = format!("tempcreds_replicas_{nanos}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let base = admin_url.rsplit_once('/').unwrap().0;
    format!("{base}/{db}")
}

#[test]
fn two_brokers_on_one_postgres_serve_the_same_users() {
    let url = fresh_database();
    let console = Console::start();
    let config = format!("database = \"{url}\"\n{CONFIG}");
    let a = Broker::start(&console, &config);
    let b = Broker::start(&console, &config);
    create_roles(&a);
    let alice = a.add_user("alice", &["lab"], false);
    let root = b.add_user("root", &[], true);

    assert_eq!(a.post("/v1/credentials/lab", Some(&alice)).status(), 200);
    assert_eq!(b.post("/v1/credentials/lab", Some(&alice)).status(), 200);
    let all: Value = a.get("/v1/sessions", Some(&root)).json().unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");

    assert_eq!(
        a.post("/v1/admin/users/alice/revoke", Some(&root)).status(),
        200
    );
    let r = b.post("/v1/credentials/lab", Some(&alice));
    assert_eq!(
        r.status(),
        403,
        "the other broker enforces the revocation at once"
    );
    let again = b.run(&["user", "add", "alice"]);
    assert_eq!(again.status.code(), Some(2), "one set of users");
}

#[test]
fn two_brokers_rotate_and_change_one_user_without_losing_a_grant() {
    let url = fresh_database();
    let console = Console::start();
    let config = format!("database = \"{url}\"\n{CONFIG}");
    let a = Broker::start(&console, &config);
    let b = Broker::start(&console, &config);
    let root = a.add_user("root", &[], true);
    let ann = a.add_user("ann", &["lab"], false);
    // A token rotated through one broker is dead on the other at once.
    let (status, rotated) = a.call("POST", "/v1/admin/users/ann/token", Some(&root), None);
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(b.call("GET", "/v1/me", Some(&ann), None).0, 401);
    let new = rotated["token"].as_str().unwrap();
    assert_eq!(b.call("GET", "/v1/me", Some(new), None).0, 200);

    // Two administrators who read ann's grants, then replace them at once through both
    // brokers: one succeeds, the other is told they changed (409), and the winner's stand.
    for round in 0..3 {
        let read = Broker::client()
            .get(format!("{}/v1/admin/users/ann", a.url))
            .bearer_auth(&root)
            .send()
            .unwrap();
        let tag = read.headers()["etag"].to_str().unwrap().to_owned();
        let put = |br: &Broker, with_prod: bool| {
            let until = format!("2030-01-0{}T00:00:00Z", round + 1);
            let mut grants = vec![serde_json::json!({"role": "lab", "not_after": until})];
            if with_prod {
                grants.push(serde_json::json!({"role": "prod"}));
            }
            let body = serde_json::json!({ "grants": grants });
            Broker::client()
                .put(format!("{}/v1/admin/users/ann/grants", br.url))
                .bearer_auth(&root)
                .header("If-Match", &tag)
                .json(&body)
                .send()
                .unwrap()
                .status()
                .as_u16()
        };
        let (x, y) = std::thread::scope(|s| {
            let x = s.spawn(|| put(&a, true));
            let y = s.spawn(|| put(&b, false));
            (x.join().unwrap(), y.join().unwrap())
        });
        let mut got = [x, y];
        got.sort_unstable();
        assert_eq!(got, [200, 409], "round {round}");
    }
    // Two operators granting different roles at once (merges): both land.
    let children: Vec<_> = [(&a, "prod"), (&b, "lab")]
        .iter()
        .map(|(br, role)| {
            br.command()
                .args(["user", "grant", "root", "--grant", role])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        assert!(c.wait_with_output().unwrap().status.success());
    }
    let (_, r) = b.call("GET", "/v1/admin/users/root", Some(&root), None);
    assert_eq!(r["grants"].as_array().unwrap().len(), 2, "{r}");
    // One audit log: every change above is in it once, whichever broker made it.
    let rows = a.audit(&root, "kind=user.grants", 100);
    assert_eq!(rows.len(), 3 + 2, "{rows:?}");
}
