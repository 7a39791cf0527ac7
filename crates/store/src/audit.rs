//! The audit log: one table of vends and changes, numbered in commit order. Every insert
//! goes through `append`, which on PostgreSQL first takes one transaction-scoped advisory
//! lock, so a row's id is drawn and committed before the next row's is drawn (SQLite has
//! one writer at a time anyway). A reader paging by id therefore never skips a row that
//! commits later with a smaller id, however many vends are being written meanwhile.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::sql::Backend;
use crate::{Result, Session};

/// The kinds of vend rows (the others are `crate::kind`).
pub const VEND_KINDS: &[&str] = &["credentials", "ecs", "console"];

/// The key of the lock audit inserts take (any fixed number but the migrations').
const APPEND_LOCK: i64 = 0x0074_6361_7564_6974;

/// One row of the log as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Increasing in commit order; the page cursor.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Who acted: the learner for a vend, the administrator (or `cli`) for a change.
    pub actor: String,
    pub kind: String,
    /// Whom it concerns.
    pub user: String,
    pub role: Option<String>,
    pub session_name: Option<String>,
    pub access_key_id: Option<String>,
    pub expires_at: Option<i64>,
    pub client_addr: String,
    /// JSON text describing a change.
    pub detail: Option<String>,
}

/// Which rows: all filters optional, `after` is the id of the last row of the previous page.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub user: Option<String>,
    pub role: Option<String>,
    pub kind: Option<String>,
    pub after: Option<i64>,
    pub limit: u32,
}

/// A row to write (the id is the database's).
#[derive(Debug, Clone, Default)]
pub(crate) struct NewRow<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub user: &'a str,
    pub role: Option<&'a str>,
    pub session_name: Option<&'a str>,
    pub access_key_id: Option<&'a str>,
    pub expires_at: Option<i64>,
    pub client_addr: &'a str,
    pub detail: Option<&'a str>,
}

pub(crate) async fn append(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    row: &NewRow<'_>,
) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(APPEND_LOCK)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO audit (at, actor, kind, user_name, role, session_name, access_key_id, expires_at, client_addr, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(row.at)
    .bind(row.actor)
    .bind(row.kind)
    .bind(row.user)
    .bind(row.role)
    .bind(row.session_name)
    .bind(row.access_key_id)
    .bind(row.expires_at)
    .bind(row.client_addr)
    .bind(row.detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The vend row of a session.
pub(crate) fn of_session(s: &Session) -> NewRow<'_> {
    NewRow {
        at: s.issued_at,
        actor: &s.user,
        kind: &s.kind,
        user: &s.user,
        role: Some(&s.role),
        session_name: Some(&s.session_name),
        access_key_id: Some(&s.access_key_id),
        expires_at: Some(s.expires_at),
        client_addr: &s.client_addr,
        detail: None,
    }
}

const COLUMNS: &str = "SELECT id, at, actor, kind, user_name, role, session_name, access_key_id, \
     expires_at, client_addr, detail FROM audit";

fn row_of(r: &AnyRow) -> Result<AuditRow> {
    Ok(AuditRow {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        kind: r.try_get("kind")?,
        user: r.try_get("user_name")?,
        role: r.try_get("role")?,
        session_name: r.try_get("session_name")?,
        access_key_id: r.try_get("access_key_id")?,
        expires_at: r.try_get("expires_at")?,
        client_addr: r.try_get("client_addr")?,
        detail: r.try_get("detail")?,
    })
}

/// One page, oldest first.
pub(crate) async fn page(pool: &sqlx::AnyPool, q: &AuditQuery) -> Result<Vec<AuditRow>> {
    let mut sql = format!("{COLUMNS} WHERE id > $1");
    let mut n = 1;
    let mut texts: Vec<&str> = Vec::new();
    let mut numbers: Vec<i64> = Vec::new();
    for (column, value) in [("user_name", &q.user), ("role", &q.role), ("kind", &q.kind)] {
        if let Some(v) = value {
            texts.push(v);
            n += 1;
            sql.push_str(&format!(" AND {column} = ${n}"));
        }
    }
    for (cond, value) in [("at >=", q.since), ("at <", q.until)] {
        if let Some(v) = value {
            numbers.push(v);
            n += 1;
            sql.push_str(&format!(" AND {cond} ${n}"));
        }
    }
    sql.push_str(" ORDER BY id");
    if q.limit > 0 {
        sql.push_str(&format!(" LIMIT {}", q.limit));
    }
    let mut query = sqlx::query(&sql).bind(q.after.unwrap_or(0));
    for t in texts {
        query = query.bind(t);
    }
    for v in numbers {
        query = query.bind(v);
    }
    query.fetch_all(pool).await?.iter().map(row_of).collect()
}

/// Vends, newest first, everyone's or one user's.
pub(crate) async fn sessions(pool: &sqlx::AnyPool, user: Option<&str>) -> Result<Vec<Session>> {
    let quoted: Vec<String> = VEND_KINDS.iter().map(|k| format!("'{k}'")).collect();
    let vends = format!("kind IN ({})", quoted.join(", "));
    let sql = match user {
        Some(_) => format!("{COLUMNS} WHERE {vends} AND user_name = $1 ORDER BY at DESC, id DESC"),
        None => format!("{COLUMNS} WHERE {vends} ORDER BY at DESC, id DESC"),
    };
    let mut query = sqlx::query(&sql);
    if let Some(u) = user {
        query = query.bind(u);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            let row = row_of(r)?;
            Ok(Session {
                user: row.user,
                role: row.role.unwrap_or_default(),
                kind: row.kind,
                session_name: row.session_name.unwrap_or_default(),
                access_key_id: row.access_key_id.unwrap_or_default(),
                expires_at: row.expires_at.unwrap_or_default(),
                client_addr: row.client_addr,
                issued_at: row.at,
            })
        })
        .collect()
}
