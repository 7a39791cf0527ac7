//! One story run on both backends (atuin's pattern): SQLite in a temporary file always, and,
//! in the end-to-end tier (feature `e2e`), PostgreSQL at `TEMPCREDS_TEST_POSTGRES_URL`
//! (scripts/test starts one on 127.0.0.1; without it the test fails rather than skips).

use super::*;

fn user(name: &str, admin: bool, roles: &[&str]) -> User {
    User {
        name: name.to_owned(),
        admin,
        grants: roles.iter().map(|r| Grant::open(*r)).collect(),
        created_at: 1_700_000_000,
        revoked_at: None,
        token_expires_at: None,
    }
}

fn token(id: &str) -> TokenRecord {
    TokenRecord {
        id: id.to_owned(),
        hash_hex: format!("{id:0>64}"),
        expires_at: None,
    }
}

fn by(actor: &str, at: i64) -> Change {
    Change {
        actor: actor.to_owned(),
        at,
        client_addr: "127.0.0.1".to_owned(),
        detail: "{}".to_owned(),
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

fn windowed(role: &str, from: Option<i64>, until: Option<i64>) -> Grant {
    Grant {
        role: role.to_owned(),
        not_before: from,
        not_after: until,
    }
}

async fn kinds(s: &SqlStore, user: &str) -> Vec<String> {
    let q = AuditQuery {
        user: Some(user.to_owned()),
        ..AuditQuery::default()
    };
    s.audit(&q)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| r.kind)
        .collect()
}

/// Users, tokens and the race for a name.
async fn users_story(a: &SqlStore, b: &SqlStore) {
    a.add_user(
        &user("alice", false, &["lab"]),
        &token("t1"),
        &by("cli", 10),
    )
    .await
    .expect("add alice");
    b.add_user(&user("root", true, &[]), &token("t2"), &by("cli", 11))
        .await
        .expect("add root");
    let again = b
        .add_user(&user("alice", false, &[]), &token("t3"), &by("cli", 12))
        .await;
    assert!(matches!(again, Err(StoreError::UserExists(n)) if n == "alice"));
    // Two operators adding one name at once, through both stores: one wins, the other is
    // told it exists (never a database error), and only the winner's row is in the log.
    for round in 0..5 {
        let name = format!("race{round}");
        let who = user(&name, false, &[]);
        let (ta, tb) = (token(&format!("ra{round}")), token(&format!("rb{round}")));
        let cli = by("cli", 20);
        let (x, y) = tokio::join!(a.add_user(&who, &ta, &cli), b.add_user(&who, &tb, &cli));
        let exists = [&x, &y]
            .iter()
            .filter(|r| matches!(r, Err(StoreError::UserExists(_))))
            .count();
        assert!(x.is_ok() != y.is_ok() && exists == 1, "{x:?} {y:?}");
        assert_eq!(kinds(a, &name).await, [kind::USER_CREATED]);
    }
    // The failed add left nothing behind: t3 is unknown, and alice has one creation row.
    assert!(a.token("t3").await.expect("lookup").is_none());
    assert_eq!(kinds(b, "alice").await, [kind::USER_CREATED]);
    let (found, rec) = b.token("t1").await.expect("lookup").expect("alice's token");
    assert_eq!(found, user("alice", false, &["lab"]));
    assert_eq!(rec, token("t1"));
    assert!(found.grant("lab").is_some() && found.grant("prod").is_none());

    // Rotation: the old token is gone when it commits, the new one carries its expiry.
    let mut fresh = token("t4");
    fresh.expires_at = Some(5_000);
    a.rotate_token("alice", &fresh, &by("admin", 30))
        .await
        .expect("rotate");
    assert!(b.token("t1").await.expect("lookup").is_none());
    let (found, rec) = b.token("t4").await.expect("lookup").expect("new token");
    assert_eq!(
        (rec.expires_at, found.token_expires_at),
        (Some(5_000), Some(5_000))
    );
    assert!(matches!(
        a.rotate_token("nobody", &token("t5"), &by("admin", 30))
            .await,
        Err(StoreError::NoUser(_))
    ));
}

/// Grants with windows: merged, replaced, unchanged (no row), and two writers at once.
async fn grants_story(a: &SqlStore, b: &SqlStore) {
    let course = windowed("prod", Some(100), Some(200));
    let both = [course.clone(), Grant::open("lab")];
    let got = a.grant("alice", &both, &by("cli", 40)).await;
    assert_eq!(got.expect("grant"), Outcome::Updated);
    let alice = b.user("alice").await.expect("user").expect("alice");
    assert_eq!(alice.grants, [Grant::open("lab"), course.clone()]);
    // The same grant again changes nothing and writes no row.
    let again = b
        .grant("alice", std::slice::from_ref(&course), &by("cli", 41))
        .await;
    assert_eq!(again.expect("grant"), Outcome::Unchanged);
    let tag = alice.grants_tag();
    let same = a
        .set_grants("alice", &both, Some(&tag), &by("api", 42))
        .await;
    assert_eq!(same.expect("put"), Outcome::Unchanged);
    assert_eq!(
        kinds(a, "alice").await,
        [
            kind::USER_CREATED,
            kind::TOKEN_ROTATED,
            kind::GRANTS_CHANGED
        ]
    );
    // Two administrators granting different roles to one user at once: both land.
    for round in 0..5 {
        let (ga, gb) = (
            [Grant::open(format!("a{round}"))],
            [Grant::open(format!("b{round}"))],
        );
        let (cx, cy) = (by("x", 50), by("y", 50));
        let (x, y) = tokio::join!(a.grant("root", &ga, &cx), b.grant("root", &gb, &cy));
        assert_eq!(
            (x.expect("x"), y.expect("y")),
            (Outcome::Updated, Outcome::Updated)
        );
    }
    let root = a.user("root").await.expect("user").expect("root");
    assert_eq!(root.grants.len(), 10, "{:?}", root.grants);
    let stale = a.set_grants("root", &[], Some(&tag), &by("api", 60)).await;
    assert!(matches!(stale, Err(StoreError::Changed(_))), "{stale:?}");
    let only = a
        .set_grants("root", &[Grant::open("lab")], None, &by("api", 60))
        .await;
    assert_eq!(only.expect("put"), Outcome::Updated);
    assert_eq!(
        b.user("root").await.expect("u").expect("root").grants,
        [Grant::open("lab")]
    );
    assert!(matches!(
        a.grant("nobody", &[], &by("cli", 1)).await,
        Err(StoreError::NoUser(_))
    ));
    // Listing by role, a page at a time.
    let q = UserQuery {
        role: Some("lab".to_owned()),
        after: None,
        limit: 1,
    };
    let first = b.users(&q).await.expect("page");
    assert_eq!(first.iter().map(|u| &u.name).collect::<Vec<_>>(), ["alice"]);
    let next = UserQuery {
        after: Some("alice".to_owned()),
        ..q
    };
    let second = b.users(&next).await.expect("page");
    assert_eq!(second.iter().map(|u| &u.name).collect::<Vec<_>>(), ["root"]);
    assert_eq!(
        second[0].grants,
        [Grant::open("lab")],
        "a whole user, not a cut join"
    );
}

/// Bulk enrolment: created, updated, unchanged and a revoked user's refusal in one call;
/// a dry run writes nothing.
async fn enrol_story(a: &SqlStore, b: &SqlStore) {
    assert!(a.revoke("race0", &by("cli", 70)).await.expect("revoke"));
    assert!(!b.revoke("race0", &by("cli", 71)).await.expect("again"));
    assert!(matches!(
        a.revoke("nobody", &by("cli", 1)).await,
        Err(StoreError::NoUser(_))
    ));
    let entry = |name: &str, roles: &[&str], t: &str| Enrolment {
        user: user(name, false, roles),
        token: token(t),
        detail: "{}".to_owned(),
    };
    let batch = [
        entry("carol", &["lab"], "e1"),
        entry("race1", &["lab"], "e2"),
        entry("race2", &[], "e3"),
        entry("race0", &["lab"], "e4"),
    ];
    let dry = b.enrol(&batch, &by("api", 80), true).await.expect("dry");
    assert!(
        matches!(
            dry[..],
            [
                Ok(Outcome::Created),
                Ok(Outcome::Updated),
                Ok(Outcome::Unchanged),
                Err(StoreError::Revoked(_))
            ]
        ),
        "{dry:?}"
    );
    assert!(
        a.user("carol").await.expect("user").is_none(),
        "a dry run writes nothing"
    );
    let done = b.enrol(&batch, &by("api", 81), false).await.expect("enrol");
    assert_eq!(format!("{dry:?}"), format!("{done:?}"));
    assert!(a.token("e1").await.expect("lookup").is_some());
    assert!(
        a.token("e2").await.expect("lookup").is_none(),
        "an update keeps the token"
    );
    assert_eq!(
        kinds(a, "race1").await,
        [kind::USER_CREATED, kind::GRANTS_CHANGED]
    );
    assert_eq!(kinds(a, "race2").await, [kind::USER_CREATED]);
    let again = a.enrol(&batch, &by("api", 82), false).await.expect("again");
    assert!(matches!(
        again[..3],
        [
            Ok(Outcome::Unchanged),
            Ok(Outcome::Unchanged),
            Ok(Outcome::Unchanged)
        ]
    ));
}

/// Vends and changes in one log, paged by id while both stores write: no row lost or twice.
async fn audit_story(a: &SqlStore, b: &SqlStore) {
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

    let before = a.audit(&AuditQuery::default()).await.expect("all").len();
    let writer = async {
        for i in 0..40 {
            let s = if i % 2 == 0 { a } else { b };
            s.record(&session("carol", &format!("ASIAW{i}"), 300 + i))
                .await
                .expect("vend");
        }
    };
    let reader = async {
        let mut seen: Vec<i64> = Vec::new();
        let mut after = None;
        for _ in 0..200 {
            let q = AuditQuery {
                after,
                limit: 3,
                ..AuditQuery::default()
            };
            let page = b.audit(&q).await.expect("page");
            if let Some(last) = page.last() {
                after = Some(last.id);
            }
            seen.extend(page.iter().map(|r| r.id));
            tokio::task::yield_now().await;
        }
        seen
    };
    let ((), mut seen) = tokio::join!(writer, reader);
    let rest = AuditQuery {
        after: seen.last().copied(),
        ..AuditQuery::default()
    };
    seen.extend(a.audit(&rest).await.expect("rest").iter().map(|r| r.id));
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(seen, sorted, "ids increase, none twice");
    assert_eq!(seen.len(), before + 40);
    let q = AuditQuery {
        user: Some("carol".to_owned()),
        kind: Some("credentials".to_owned()),
        since: Some(310),
        until: Some(320),
        ..AuditQuery::default()
    };
    let picked = a.audit(&q).await.expect("filtered");
    assert_eq!(
        picked.iter().map(|r| r.at).collect::<Vec<_>>(),
        (310..320).collect::<Vec<_>>()
    );
}

/// The story: two "brokers" (two pools) on one database see the same users and audit.
async fn story(a: &SqlStore, b: &SqlStore) {
    users_story(a, b).await;
    grants_story(a, b).await;
    enrol_story(a, b).await;
    audit_story(a, b).await;
    let names: Vec<_> = b
        .users(&UserQuery::default())
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(
        names,
        [
            "alice", "carol", "race0", "race1", "race2", "race3", "race4", "root"
        ]
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
    assert_eq!(
        c.users(&UserQuery::default()).await.expect("users").len(),
        8
    );
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
