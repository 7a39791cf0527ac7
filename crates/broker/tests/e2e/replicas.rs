//! Several brokers on one PostgreSQL (`TEMPCREDS_TEST_POSTGRES_URL`, started by
//! scripts/test): users added through one are served by the other, the audit log is one,
//! and a revocation through one is enforced by the other at once.

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
