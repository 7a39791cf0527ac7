//! One story run on both backends (atuin's pattern): SQLite in a temporary file always, and,
//! in the end-to-end tier (feature `e2e`), PostgreSQL at `TEMPCREDS_TEST_POSTGRES_URL`
//! (scripts/test starts one on 127.0.0.1; without it the test fails rather than skips).

use super::*;

fn user(name: &str, admin: bool, roles: &[&str]) -> User {
    User {
        name: name.to_owned(),
        admin,
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        created_at: 1_700_000_000,
        revoked_at: None,
    }
}

fn token(id: &str) -> TokenRecord {
    TokenRecord {
        id: id.to_owned(),
        hash_hex: format!("{id:0>64}"),
    }
}

fn session(user: &str, key: &str, issued_at: i64) -> Session {
    Session {
        user: user.to_owned(),
        role: "lab".to_owned(),
        kind: "credentials".to_owned(),
        session_name: user.to_owned(),
        access_key_id: key.to_owned(),
        expires_at: issued_at + 3600,
        client_addr: "127.0.0.1".to_owned(),
        issued_at,
    }
}

/// The story: two "brokers" (two pools) on one database see the same users and audit.
async fn story(a: &SqlStore, b: &SqlStore) {
    a.add_user(&user("alice", false, &["lab"]), &token("t1"))
        .await
        .expect("add alice");
    b.add_user(&user("root", true, &[]), &token("t2"))
        .await
        .expect("add root");
    let again = b.add_user(&user("alice", false, &[]), &token("t3")).await;
    assert!(matches!(again, Err(StoreError::UserExists(n)) if n == "alice"));
    // Two operators adding one name at once, through both stores: one wins, the other is
    // told it exists (never a database error).
    for round in 0..5 {
        let name = format!("race{round}");
        let who = user(&name, false, &[]);
        let (ta, tb) = (token(&format!("ra{round}")), token(&format!("rb{round}")));
        let (x, y) = tokio::join!(a.add_user(&who, &ta), b.add_user(&who, &tb));
        let exists = [&x, &y]
            .iter()
            .filter(|r| matches!(r, Err(StoreError::UserExists(_))))
            .count();
        assert!(x.is_ok() != y.is_ok() && exists == 1, "{x:?} {y:?}");
    }
    assert!(matches!(
        a.grant("nobody", &["lab".to_owned()]).await,
        Err(StoreError::NoUser(_))
    ));
    assert!(matches!(
        a.revoke("nobody", 1).await,
        Err(StoreError::NoUser(_))
    ));
    // The failed add left nothing behind: t3 is unknown.
    assert!(a.token("t3").await.expect("lookup").is_none());

    let (found, rec) = b.token("t1").await.expect("lookup").expect("alice's token");
    assert_eq!(found, user("alice", false, &["lab"]));
    assert_eq!(rec, token("t1"));
    assert!(found.may_use("lab") && !found.may_use("prod"));

    a.grant("alice", &["prod".to_owned(), "lab".to_owned()])
        .await
        .expect("grant");
    assert_eq!(
        b.user("alice").await.expect("user").expect("alice").roles,
        ["lab", "prod"]
    );
    // The token lookup reads the grants in the same query: one row per grant, or none.
    let (found, _) = a.token("t1").await.expect("lookup").expect("alice's token");
    assert_eq!(found.roles, ["lab", "prod"]);
    let (root, _) = a.token("t2").await.expect("lookup").expect("root's token");
    assert_eq!(root, user("root", true, &[]));
    assert!(matches!(
        a.grant("nobody", &[]).await,
        Err(StoreError::NoUser(_))
    ));

    a.record(&session("alice", "ASIA1", 100))
        .await
        .expect("audit");
    b.record(&session("alice", "ASIA2", 200))
        .await
        .expect("audit");
    a.record(&session("root", "ASIA3", 150))
        .await
        .expect("audit");
    let own: Vec<_> = b
        .sessions(Some("alice"))
        .await
        .expect("own")
        .into_iter()
        .map(|s| s.access_key_id)
        .collect();
    assert_eq!(own, ["ASIA2", "ASIA1"]);
    let all = a.sessions(None).await.expect("all");
    assert_eq!(all.len(), 3);
    assert_eq!(all[1], session("root", "ASIA3", 150));

    assert!(a.revoke("alice", 300).await.expect("revoke"));
    assert!(!b.revoke("alice", 400).await.expect("revoke again"));
    assert_eq!(
        b.user("alice")
            .await
            .expect("user")
            .expect("alice")
            .revoked_at,
        Some(300)
    );
    assert!(matches!(
        a.revoke("nobody", 1).await,
        Err(StoreError::NoUser(_))
    ));
    let names: Vec<_> = b
        .users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(
        names,
        ["alice", "race0", "race1", "race2", "race3", "race4", "root"]
    );
}

/// Two stores opened at once on one empty database: the migrations race and both succeed.
async fn open_two(url: &str) -> (SqlStore, SqlStore) {
    let (a, b) = tokio::join!(SqlStore::open(url), SqlStore::open(url));
    (a.expect("open a"), b.expect("open b"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broker.db");
    let url = format!("sqlite:{}", path.display());
    let (a, b) = open_two(&url).await;
    story(&a, &b).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("db file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the database holds token hashes");
    }
    // Re-opening runs no migration twice and keeps the data.
    let c = SqlStore::open(&url).await.expect("reopen");
    assert_eq!(c.users().await.expect("users").len(), 7);
}

#[cfg(feature = "e2e")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_on_postgres() {
    let admin_url = std::env::var("TEMPCREDS_TEST_POSTGRES_URL")
        .expect("set TEMPCREDS_TEST_POSTGRES_URL (scripts/test starts PostgreSQL and does)");
    use std::time::{SystemTime, UNIX_EPOCH};
    sqlx::any::install_default_drivers();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let db = format!("tempcreds_story_{nanos}");
    let admin = sqlx::AnyPool::connect(&admin_url).await.expect("postgres");
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&admin)
        .await
        .expect("create db");
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .expect("URL with a database");
    let url = format!("{base}/{db}");
    let (a, b) = open_two(&url).await;
    assert_eq!(a.backend(), Backend::Postgres);
    story(&a, &b).await;
    a.close().await;
    b.close().await;
    // WITH (FORCE): a pool's closed connections may still be ending on the server side.
    sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .execute(&admin)
        .await
        .expect("drop db");
}

#[test]
fn database_urls_are_checked_and_passwords_never_shown() {
    assert!(matches!(
        Backend::of("mysql://x"),
        Err(StoreError::BadUrl(_))
    ));
    let e = Backend::of("mongodb://u:hunter2@h/db").expect_err("unsupported");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert_eq!(redact_url("postgres://u:pw@h:5/d"), "postgres://…@h:5/d");
}
