//! `Store` on sqlx's `any` driver: one set of runtime queries (`$N` placeholders, which both
//! SQLite and PostgreSQL take) for both databases. SQLite files are created 0600 and run in
//! WAL mode, so the broker's readers never wait for its audit writes. This file opens the
//! database and reads users; `changes` writes them and `audit` keeps the log.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::{Grant, Result, StoreError, TokenRecord, User, UserQuery, migrate};

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

    /// Closes the pool (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Users with their grants and token expiry in one round trip: one row per grant (a NULL
/// role for a user with none), `FROM users u` so a query can filter on the token too.
pub(crate) const USERS_WITH_GRANTS: &str = "SELECT u.name, u.admin, u.created_at, u.revoked_at, \
     g.role, g.not_before, g.not_after, t.expires_at AS token_expires_at";
pub(crate) const FROM_USERS: &str = "FROM users u LEFT JOIN grants g ON g.user_name = u.name \
     LEFT JOIN tokens t ON t.user_name = u.name";

/// Folds rows of `USERS_WITH_GRANTS`, ordered by name then role, into users.
pub(crate) fn users_from(rows: &[AnyRow]) -> Result<Vec<User>> {
    let mut users: Vec<User> = Vec::new();
    for row in rows {
        let name: String = row.try_get("name")?;
        if users.last().is_none_or(|u| u.name != name) {
            users.push(User {
                name,
                grants: Vec::new(),
                admin: row.try_get::<i64, _>("admin")? != 0,
                created_at: row.try_get("created_at")?,
                revoked_at: row.try_get("revoked_at")?,
                token_expires_at: row.try_get("token_expires_at")?,
            });
        }
        if let (Some(user), Some(role)) =
            (users.last_mut(), row.try_get::<Option<String>, _>("role")?)
        {
            user.grants.push(Grant {
                role,
                not_before: row.try_get("not_before")?,
                not_after: row.try_get("not_after")?,
            });
        }
    }
    Ok(users)
}

impl SqlStore {
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub(crate) async fn read_user(&self, name: &str) -> Result<Option<User>> {
        let rows = sqlx::query(&format!(
            "{USERS_WITH_GRANTS} {FROM_USERS} WHERE u.name = $1 ORDER BY g.role"
        ))
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        Ok(users_from(&rows)?.pop())
    }

    pub(crate) async fn read_users(&self, q: &UserQuery) -> Result<Vec<User>> {
        // The page is chosen on users alone (a LIMIT on the joined rows would cut a user's
        // grants in half), then joined.
        let mut pick = String::from("SELECT name FROM users WHERE name > $1");
        if q.role.is_some() {
            pick.push_str(" AND name IN (SELECT user_name FROM grants WHERE role = $2)");
        }
        pick.push_str(" ORDER BY name");
        if q.limit > 0 {
            pick.push_str(&format!(" LIMIT {}", q.limit));
        }
        let sql = format!(
            "{USERS_WITH_GRANTS} {FROM_USERS} WHERE u.name IN ({pick}) ORDER BY u.name, g.role"
        );
        let mut query = sqlx::query(&sql).bind(q.after.clone().unwrap_or_default());
        if let Some(role) = &q.role {
            query = query.bind(role.clone());
        }
        users_from(&query.fetch_all(&self.pool).await?)
    }

    pub(crate) async fn read_token(&self, id: &str) -> Result<Option<(User, TokenRecord)>> {
        // Every authenticated request does this: the token, its user and the grants at once.
        let rows = sqlx::query(&format!(
            "{USERS_WITH_GRANTS}, t.hash {FROM_USERS} WHERE t.id = $1 ORDER BY g.role"
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
            expires_at: first.try_get("token_expires_at")?,
        };
        Ok(users_from(&rows)?.pop().map(|u| (u, record)))
    }

    pub(crate) async fn ping_db(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
