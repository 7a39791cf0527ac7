//! The changes to users, each one transaction that commits its audit row with it. A change
//! to an existing user first writes the user's row (a no-op update): on PostgreSQL that
//! locks the row, on SQLite it takes the write lock before anything is read, so two
//! administrators changing one user at once run one after the other — the second sees the
//! first's grants — and neither fails on a lock upgrade. A change that would leave the
//! user as they are is rolled back and writes no audit row.

use sqlx::{Any, Transaction};

use crate::audit::{self, NewRow};
use crate::sql::{FROM_USERS, SqlStore, USERS_WITH_GRANTS, users_from};
use crate::{
    AuditQuery, AuditRow, Change, Enrolment, Grant, Outcome, Result, Session, Store, StoreError,
    TokenRecord, User, UserQuery, kind,
};

type Tx<'a> = Transaction<'a, Any>;

/// A change row about `user`.
fn change_row<'a>(c: &'a Change, kind: &'a str, user: &'a str) -> NewRow<'a> {
    NewRow {
        at: c.at,
        actor: &c.actor,
        kind,
        user,
        client_addr: &c.client_addr,
        detail: Some(&c.detail),
        ..NewRow::default()
    }
}

/// Locks the user for the rest of the transaction and reads them.
async fn lock_user(tx: &mut Tx<'_>, name: &str) -> Result<User> {
    let done = sqlx::query("UPDATE users SET admin = admin WHERE name = $1")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NoUser(name.to_owned()));
    }
    let rows = sqlx::query(&format!(
        "{USERS_WITH_GRANTS} {FROM_USERS} WHERE u.name = $1 ORDER BY g.role"
    ))
    .bind(name)
    .fetch_all(&mut **tx)
    .await?;
    users_from(&rows)?
        .pop()
        .ok_or_else(|| StoreError::NoUser(name.to_owned()))
}

async fn insert_grants(tx: &mut Tx<'_>, name: &str, grants: &[Grant]) -> Result<()> {
    for g in grants {
        sqlx::query(
            "INSERT INTO grants (user_name, role, not_before, not_after) VALUES ($1, $2, $3, $4)",
        )
        .bind(name)
        .bind(&g.role)
        .bind(g.not_before)
        .bind(g.not_after)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_token(tx: &mut Tx<'_>, name: &str, t: &TokenRecord, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO tokens (id, user_name, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&t.id)
    .bind(name)
    .bind(&t.hash_hex)
    .bind(at)
    .bind(t.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Grants in the stored order (by role), so that equal sets compare equal.
fn sorted(mut grants: Vec<Grant>) -> Vec<Grant> {
    grants.sort_by(|a, b| a.role.cmp(&b.role));
    grants.dedup_by(|a, b| a.role == b.role);
    grants
}

/// `grants` with `more` added, a role already held taking the new window.
fn merged(grants: &[Grant], more: &[Grant]) -> Vec<Grant> {
    let mut all: Vec<Grant> = more.to_vec();
    all.extend(
        grants
            .iter()
            .filter(|g| !more.iter().any(|m| m.role == g.role))
            .cloned(),
    );
    sorted(all)
}

impl SqlStore {
    /// The user's grants become `want(current)`, inside `tx`, with its audit row.
    async fn regrant(
        &self,
        tx: &mut Tx<'_>,
        name: &str,
        change: &Change,
        if_tag: Option<&str>,
        want: impl FnOnce(&[Grant]) -> Vec<Grant>,
    ) -> Result<Outcome> {
        let user = lock_user(tx, name).await?;
        if user.revoked_at.is_some() {
            return Err(StoreError::Revoked(name.to_owned()));
        }
        if if_tag.is_some_and(|t| t != user.grants_tag()) {
            return Err(StoreError::Changed(name.to_owned()));
        }
        let new = sorted(want(&user.grants));
        if new == user.grants {
            return Ok(Outcome::Unchanged);
        }
        sqlx::query("DELETE FROM grants WHERE user_name = $1")
            .bind(name)
            .execute(&mut **tx)
            .await?;
        insert_grants(tx, name, &new).await?;
        let row = change_row(change, kind::GRANTS_CHANGED, name);
        audit::append(tx, self.backend(), &row).await?;
        Ok(Outcome::Updated)
    }

    /// Inserts the user unless the name is taken (then false, nothing written).
    async fn create(
        &self,
        tx: &mut Tx<'_>,
        user: &User,
        token: &TokenRecord,
        change: &Change,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO users (name, admin, created_at, revoked_at) VALUES ($1, $2, $3, NULL) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&user.name)
        .bind(i64::from(user.admin))
        .bind(user.created_at)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        insert_grants(tx, &user.name, &sorted(user.grants.clone())).await?;
        insert_token(tx, &user.name, token, user.created_at).await?;
        let row = change_row(change, kind::USER_CREATED, &user.name);
        audit::append(tx, self.backend(), &row).await?;
        Ok(true)
    }

    async fn enrol_one(&self, tx: &mut Tx<'_>, e: &Enrolment, c: &Change) -> Result<Outcome> {
        let change = Change {
            detail: e.detail.clone(),
            ..c.clone()
        };
        if self.create(tx, &e.user, &e.token, &change).await? {
            return Ok(Outcome::Created);
        }
        let grants = e.user.grants.clone();
        self.regrant(tx, &e.user.name, &change, None, |_| grants)
            .await
    }
}

/// Commits when something changed; an unchanged transaction is dropped (rolled back).
async fn finish(tx: Tx<'_>, outcome: Outcome) -> Result<Outcome> {
    if outcome != Outcome::Unchanged {
        tx.commit().await?;
    }
    Ok(outcome)
}

impl Store for SqlStore {
    async fn add_user(&self, user: &User, token: &TokenRecord, change: &Change) -> Result<()> {
        // The insert comes first and the primary key decides: two operators adding the same
        // name at once get "exists" for the second, never a lost write or a deadlock.
        let mut tx = self.pool().begin().await?;
        if !self.create(&mut tx, user, token, change).await? {
            return Err(StoreError::UserExists(user.name.clone()));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        self.read_user(name).await
    }

    async fn users(&self, query: &UserQuery) -> Result<Vec<User>> {
        self.read_users(query).await
    }

    async fn token(&self, id: &str) -> Result<Option<(User, TokenRecord)>> {
        self.read_token(id).await
    }

    async fn revoke(&self, name: &str, change: &Change) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let user = lock_user(&mut tx, name).await?;
        if user.revoked_at.is_some() {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET revoked_at = $1 WHERE name = $2")
            .bind(change.at)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let row = change_row(change, kind::USER_REVOKED, name);
        audit::append(&mut tx, self.backend(), &row).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_grants(
        &self,
        name: &str,
        grants: &[Grant],
        if_tag: Option<&str>,
        change: &Change,
    ) -> Result<Outcome> {
        let mut tx = self.pool().begin().await?;
        let outcome = self
            .regrant(&mut tx, name, change, if_tag, |_| grants.to_vec())
            .await?;
        finish(tx, outcome).await
    }

    async fn grant(&self, name: &str, grants: &[Grant], change: &Change) -> Result<Outcome> {
        let mut tx = self.pool().begin().await?;
        let outcome = self
            .regrant(&mut tx, name, change, None, |had| merged(had, grants))
            .await?;
        finish(tx, outcome).await
    }

    async fn rotate_token(&self, name: &str, token: &TokenRecord, change: &Change) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let user = lock_user(&mut tx, name).await?;
        if user.revoked_at.is_some() {
            return Err(StoreError::Revoked(name.to_owned()));
        }
        sqlx::query("DELETE FROM tokens WHERE user_name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        insert_token(&mut tx, name, token, change.at).await?;
        let row = change_row(change, kind::TOKEN_ROTATED, name);
        audit::append(&mut tx, self.backend(), &row).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn enrol(
        &self,
        entries: &[Enrolment],
        actor: &Change,
        dry_run: bool,
    ) -> Result<Vec<Result<Outcome>>> {
        // One transaction for the whole batch (a thousand commits would be a thousand
        // fsyncs); an entry's own refusal is its result, a database failure fails all.
        let mut tx = self.pool().begin().await?;
        let mut results = Vec::with_capacity(entries.len());
        for e in entries {
            match self.enrol_one(&mut tx, e, actor).await {
                Err(StoreError::Revoked(n)) => results.push(Err(StoreError::Revoked(n))),
                other => results.push(Ok(other?)),
            }
        }
        if !dry_run {
            tx.commit().await?;
        }
        Ok(results)
    }

    async fn record(&self, session: &Session) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        audit::append(&mut tx, self.backend(), &audit::of_session(session)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.ping_db().await
    }

    async fn sessions(&self, user: Option<&str>) -> Result<Vec<Session>> {
        audit::sessions(self.pool(), user).await
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditRow>> {
        audit::page(self.pool(), query).await
    }
}
