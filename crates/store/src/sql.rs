//! `Store` on sqlx's `any` driver: one set of runtime queries (`$N` placeholders, which both
//! SQLite and PostgreSQL take) for both databases. SQLite files are created 0600 and run in
//! WAL mode, so the broker's readers never wait for its audit writes.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::{Result, Session, Store, StoreError, TokenRecord, User, migrate};

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::BadUrl(redact_url(url)))
        }
    }
}

/// The path of a `sqlite:PATH` or `sqlite://PATH` URL, with any `?options` kept; None for
/// other URLs.
pub fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite:")
        .map(|rest| rest.strip_prefix("//").unwrap_or(rest))
}

/// A database URL may hold a password: errors show the URL without it.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// The store on an open connection pool.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Creates the SQLite file 0600 before sqlx opens it (it would use the umask): it holds
/// token hashes and the audit log.
fn create_sqlite_file(url: &str) -> Result<String> {
    let path = sqlite_path(url)
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(url.to_owned());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(StoreError::Db(sqlx::Error::Configuration(
                    format!("cannot create the database file {path}: {e}").into(),
                )));
            }
        }
    }
    Ok(format!("sqlite://{path}"))
}

impl SqlStore {
    /// Connects (`sqlite:PATH` or `postgres://…`) and runs the migrations.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)?;
        let url = match backend {
            Backend::Sqlite => create_sqlite_file(url)?,
            Backend::Postgres => url.to_owned(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers do not block on the audit writes; busy_timeout: a
                        // writer waits for another instead of failing with SQLITE_BUSY.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        migrate::run(&pool, backend, now()).await?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers (for `/healthz`).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Users with their grants in one round trip: one row per grant (a NULL role for a user with
/// none), `FROM users u` so a query can join more (the token) and filter.
const USERS_WITH_GRANTS: &str = "SELECT u.name, u.admin, u.created_at, u.revoked_at, g.role";
const FROM_USERS: &str = "FROM users u LEFT JOIN grants g ON g.user_name = u.name";

/// Folds rows of `USERS_WITH_GRANTS`, ordered by name then role, into users.
fn users_from(rows: &[AnyRow]) -> Result<Vec<User>> {
    let mut users: Vec<User> = Vec::new();
    for row in rows {
        let name: String = row.try_get("name")?;
        if users.last().is_none_or(|u| u.name != name) {
            users.push(User {
                name,
                roles: Vec::new(),
                admin: row.try_get::<i64, _>("admin")? != 0,
                created_at: row.try_get("created_at")?,
                revoked_at: row.try_get("revoked_at")?,
            });
        }
        if let (Some(user), Some(role)) =
            (users.last_mut(), row.try_get::<Option<String>, _>("role")?)
        {
            user.roles.push(role);
        }
    }
    Ok(users)
}

impl Store for SqlStore {
    async fn add_user(&self, user: &User, token: &TokenRecord) -> Result<()> {
        // The insert comes first and the primary key decides: two operators adding the same
        // name at once get "exists" for the second, never a lost write or a deadlock (a read
        // first would make SQLite upgrade a shared lock, which fails under contention).
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (name, admin, created_at, revoked_at) VALUES ($1, $2, $3, NULL)",
        )
        .bind(&user.name)
        .bind(i64::from(user.admin))
        .bind(user.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| exists_or(e, &user.name))?;
        for role in &user.roles {
            sqlx::query("INSERT INTO grants (user_name, role) VALUES ($1, $2)")
                .bind(&user.name)
                .bind(role)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO tokens (id, user_name, hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&token.id)
            .bind(&user.name)
            .bind(&token.hash_hex)
            .bind(user.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        let rows = sqlx::query(&format!(
            "{USERS_WITH_GRANTS} {FROM_USERS} WHERE u.name = $1 ORDER BY g.role"
        ))
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        Ok(users_from(&rows)?.pop())
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "{USERS_WITH_GRANTS} {FROM_USERS} ORDER BY u.name, g.role"
        ))
        .fetch_all(&self.pool)
        .await?;
        users_from(&rows)
    }

    async fn token(&self, id: &str) -> Result<Option<(User, TokenRecord)>> {
        // Every authenticated request does this: the token, its user and the grants at once.
        let rows = sqlx::query(&format!(
            "{USERS_WITH_GRANTS}, t.hash {FROM_USERS} JOIN tokens t ON t.user_name = u.name \
             WHERE t.id = $1 ORDER BY g.role"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let record = TokenRecord {
            id: id.to_owned(),
            hash_hex: first.try_get("hash")?,
        };
        Ok(users_from(&rows)?.pop().map(|u| (u, record)))
    }

    async fn revoke(&self, name: &str, at: i64) -> Result<bool> {
        // One transaction, the write first (it takes the write lock before any read).
        let mut tx = self.pool.begin().await?;
        let done =
            sqlx::query("UPDATE users SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
                .bind(at)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 && !exists(&mut tx, name).await? {
            return Err(StoreError::NoUser(name.to_owned()));
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn grant(&self, name: &str, roles: &[String]) -> Result<()> {
        // One transaction; a grant the user has already is left as it is (ON CONFLICT: the
        // same in SQLite and PostgreSQL), so concurrent grants of one role both succeed.
        let mut tx = self.pool.begin().await?;
        for role in roles {
            sqlx::query(
                "INSERT INTO grants (user_name, role) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM users WHERE name = $1) ON CONFLICT DO NOTHING",
            )
            .bind(name)
            .bind(role)
            .execute(&mut *tx)
            .await?;
        }
        if !exists(&mut tx, name).await? {
            return Err(StoreError::NoUser(name.to_owned()));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn record(&self, s: &Session) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (user_name, role, kind, session_name, access_key_id, expires_at, client_addr, issued_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&s.user)
        .bind(&s.role)
        .bind(&s.kind)
        .bind(&s.session_name)
        .bind(&s.access_key_id)
        .bind(s.expires_at)
        .bind(&s.client_addr)
        .bind(s.issued_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn sessions(&self, user: Option<&str>) -> Result<Vec<Session>> {
        const COLUMNS: &str = "SELECT user_name, role, kind, session_name, access_key_id, expires_at, client_addr, issued_at FROM sessions";
        let query = match user {
            Some(_) => {
                format!("{COLUMNS} WHERE user_name = $1 ORDER BY issued_at DESC, access_key_id")
            }
            None => format!("{COLUMNS} ORDER BY issued_at DESC, access_key_id"),
        };
        let mut q = sqlx::query(&query);
        if let Some(u) = user {
            q = q.bind(u);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(Session {
                    user: r.try_get("user_name")?,
                    role: r.try_get("role")?,
                    kind: r.try_get("kind")?,
                    session_name: r.try_get("session_name")?,
                    access_key_id: r.try_get("access_key_id")?,
                    expires_at: r.try_get("expires_at")?,
                    client_addr: r.try_get("client_addr")?,
                    issued_at: r.try_get("issued_at")?,
                })
            })
            .collect()
    }
}

/// Whether the user exists, inside the transaction.
async fn exists(tx: &mut sqlx::Transaction<'_, sqlx::Any>, name: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM users WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
}

/// A unique violation on the users table is "exists"; anything else stays a database error.
fn exists_or(e: sqlx::Error, name: &str) -> StoreError {
    match e.as_database_error().map(|d| d.kind()) {
        Some(sqlx::error::ErrorKind::UniqueViolation) => StoreError::UserExists(name.to_owned()),
        _ => StoreError::Db(e),
    }
}
