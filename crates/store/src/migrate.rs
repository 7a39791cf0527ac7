//! The schema, as numbered migrations run at start. Several brokers may start at once on
//! one PostgreSQL: they take turns on an advisory lock (even `CREATE TABLE IF NOT EXISTS`
//! races there). Each migration runs in its own transaction with its version row, and a
//! failed one is re-checked (another SQLite process may have won the write lock). The DDL is
//! the common subset of SQLite and PostgreSQL (TEXT, BIGINT; times are unix seconds), so
//! one list serves both.

use sqlx::{AnyConnection, AnyPool, Connection, Row};

use crate::sql::Backend;
use crate::{Result, StoreError};

/// Any fixed number: the key of the advisory lock the brokers migrate under.
const LOCK_KEY: i64 = 0x7465_6d70_6372_6473;

/// Append only: a released migration is never edited.
/// `{SERIAL}` is the one word the two databases spell differently: an auto-numbered key.
const MIGRATIONS: &[(i64, &[&str])] = &[
    (
        1,
        &[
        "CREATE TABLE users (
            name TEXT PRIMARY KEY,
            admin BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            revoked_at BIGINT
        )",
        "CREATE TABLE grants (
            user_name TEXT NOT NULL REFERENCES users(name),
            role TEXT NOT NULL,
            PRIMARY KEY (user_name, role)
        )",
        "CREATE TABLE tokens (
            id TEXT PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users(name),
            hash TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )",
        "CREATE TABLE sessions (
            user_name TEXT NOT NULL REFERENCES users(name),
            role TEXT NOT NULL,
            kind TEXT NOT NULL,
            session_name TEXT NOT NULL,
            access_key_id TEXT NOT NULL,
            expires_at BIGINT NOT NULL,
            client_addr TEXT NOT NULL,
            issued_at BIGINT NOT NULL
        )",
        "CREATE INDEX sessions_by_user ON sessions (user_name, issued_at)",
        ],
    ),
    (
        2,
        &[
            // Course windows and expiring tokens.
            "ALTER TABLE grants ADD COLUMN not_before BIGINT",
            "ALTER TABLE grants ADD COLUMN not_after BIGINT",
            "ALTER TABLE tokens ADD COLUMN expires_at BIGINT",
            // One log of vends and changes. `id` orders it: every insert takes one lock
            // (`audit::append`), so ids become visible in order and a page that ends at an
            // id never misses a row committed later with a smaller one.
            "CREATE TABLE audit (
                id {SERIAL},
                at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                kind TEXT NOT NULL,
                user_name TEXT NOT NULL,
                role TEXT,
                session_name TEXT,
                access_key_id TEXT,
                expires_at BIGINT,
                client_addr TEXT NOT NULL,
                detail TEXT
            )",
            "CREATE INDEX audit_by_user ON audit (user_name, id)",
            "CREATE INDEX audit_by_at ON audit (at)",
            "INSERT INTO audit (at, actor, kind, user_name, role, session_name, access_key_id, expires_at, client_addr)
             SELECT issued_at, user_name, kind, user_name, role, session_name, access_key_id, expires_at, client_addr
             FROM sessions ORDER BY issued_at, access_key_id",
            "DROP TABLE sessions",
        ],
    ),
];

async fn applied(conn: &mut AnyConnection) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT version FROM tempcreds_migrations")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
        .collect()
}

pub(crate) async fn run(pool: &AnyPool, backend: Backend, now: i64) -> Result<()> {
    let mut conn = pool.acquire().await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    let outcome = run_locked(&mut conn, backend, now).await;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    outcome
}

async fn run_locked(conn: &mut AnyConnection, backend: Backend, now: i64) -> Result<()> {
    let serial = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS tempcreds_migrations (
            version BIGINT PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&mut *conn)
    .await?;
    for (version, statements) in MIGRATIONS {
        if applied(conn).await?.contains(version) {
            continue;
        }
        let outcome: Result<()> = async {
            let mut tx = conn.begin().await?;
            // The version row first: a concurrent starter blocks on it (PostgreSQL) or on
            // the write lock (SQLite) instead of failing half-way through the DDL.
            sqlx::query("INSERT INTO tempcreds_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            for sql in *statements {
                sqlx::query(&sql.replace("{SERIAL}", serial))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        }
        .await;
        if let Err(e) = outcome {
            if applied(conn).await?.contains(version) {
                tracing::info!(version, "migration applied by another broker");
                continue;
            }
            return Err(StoreError::Migration {
                version: *version,
                message: e.to_string(),
            });
        }
        tracing::info!(version, "migration applied");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuditQuery, SqlStore, Store, UserQuery};

    /// A broker's database from before course windows and the audit table: its users,
    /// grants, tokens and vends come through the upgrade as they were.
    #[tokio::test]
    async fn a_first_version_database_keeps_its_users_and_vends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
        sqlx::any::install_default_drivers();
        let pool = AnyPool::connect(&url).await.expect("sqlite");
        let (_, first) = MIGRATIONS[0];
        let old: Vec<&str> = first
            .iter()
            .copied()
            .chain([
                "CREATE TABLE tempcreds_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                "INSERT INTO tempcreds_migrations VALUES (1, 1)",
                "INSERT INTO users VALUES ('alice', 0, 10, NULL)",
                "INSERT INTO grants VALUES ('alice', 'lab')",
                "INSERT INTO tokens VALUES ('t1', 'alice', 'hash', 10)",
                "INSERT INTO sessions VALUES ('alice', 'lab', 'credentials', 'alice', 'ASIA1', 4000, '127.0.0.1', 400)",
                "INSERT INTO sessions VALUES ('alice', 'lab', 'console', 'alice', 'ASIA2', 5000, '127.0.0.1', 500)",
            ])
            .collect();
        for sql in old {
            sqlx::query(sql).execute(&pool).await.expect(sql);
        }
        pool.close().await;

        let store = SqlStore::open(&format!("sqlite:{}", dir.path().join("old.db").display()))
            .await
            .expect("upgrade");
        let (alice, record) = store.token("t1").await.expect("lookup").expect("token");
        assert_eq!(alice.grants, [crate::Grant::open("lab")]);
        assert_eq!((record.expires_at, alice.token_expires_at), (None, None));
        let keys: Vec<String> = store
            .sessions(Some("alice"))
            .await
            .expect("vends")
            .into_iter()
            .map(|s| s.access_key_id)
            .collect();
        assert_eq!(keys, ["ASIA2", "ASIA1"]);
        let rows = store.audit(&AuditQuery::default()).await.expect("audit");
        assert_eq!(
            rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            [1, 2],
            "oldest first"
        );
        assert_eq!(rows[0].actor, "alice");
        assert_eq!(
            store
                .users(&UserQuery::default())
                .await
                .expect("users")
                .len(),
            1
        );
    }
}
