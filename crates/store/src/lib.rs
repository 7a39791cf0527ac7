//! tempcreds-store: what the broker keeps — users, their role grants (with course windows),
//! token hashes (never a token), and the audit log of every credential handed out and every
//! change made — behind one trait, with one implementation on sqlx's `any` driver for
//! SQLite (the default, WAL) and PostgreSQL.

mod audit;
mod changes;
mod migrate;
mod sql;

use std::future::Future;

pub use audit::{AuditQuery, AuditRow, VEND_KINDS};
pub use sql::{Backend, SqlStore, redact_url, sqlite_path};

/// A role granted to a user, usable from `not_before` until `not_after` (unix seconds;
/// None is open on that side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: String,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
}

impl Grant {
    /// A grant with no window.
    pub fn open(role: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            not_before: None,
            not_after: None,
        }
    }
}

/// A broker user and the catalogue roles granted to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub admin: bool,
    /// Ordered by role; one per role.
    pub grants: Vec<Grant>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of `user revoke`; a revoked user can neither sign in nor be vended to.
    pub revoked_at: Option<i64>,
    /// Unix seconds after which the user's token is refused; None: it does not expire.
    pub token_expires_at: Option<i64>,
}

impl User {
    /// The user's grant of `role`, if any (its window is the caller's to check).
    pub fn grant(&self, role: &str) -> Option<&Grant> {
        self.grants.iter().find(|g| g.role == role)
    }

    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.grants.iter().map(|g| g.role.as_str())
    }

    /// A tag of the user's grants (an HTTP ETag): it changes whenever they do, so a writer
    /// can ask that nobody changed them since it read them.
    pub fn grants_tag(&self) -> String {
        // FNV-1a over the grants as stored (ordered by role): stable across processes and
        // versions, which std's hasher does not promise.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for g in &self.grants {
            let text = format!("{}|{:?}|{:?};", g.role, g.not_before, g.not_after);
            for b in text.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("\"{h:016x}\"")
    }
}

/// A token as stored: its public id (the lookup key), the SHA-256 of its secret part, and
/// when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub hash_hex: String,
    /// Unix seconds; None: never.
    pub expires_at: Option<i64>,
}

/// One credential handed out: the audit row, written before the credential leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub role: String,
    /// `credentials`, `ecs` or `console`.
    pub kind: String,
    pub session_name: String,
    /// The access key id only: the secret and the token are never stored.
    pub access_key_id: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub client_addr: String,
    /// Unix seconds.
    pub issued_at: i64,
}

/// Who makes a change, when, from where, and what it is (the audit row's `detail`, JSON
/// text the caller describes the change with). The command line's actor is `cli`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub actor: String,
    /// Unix seconds.
    pub at: i64,
    pub client_addr: String,
    pub detail: String,
}

/// The kinds of change rows in the audit log (vends are `credentials`, `ecs`, `console`).
pub mod kind {
    pub const USER_CREATED: &str = "user.created";
    pub const GRANTS_CHANGED: &str = "user.grants";
    pub const TOKEN_ROTATED: &str = "user.token";
    pub const USER_REVOKED: &str = "user.revoked";
    pub const ALL_CHANGES: &[&str] = &[USER_CREATED, GRANTS_CHANGED, TOKEN_ROTATED, USER_REVOKED];
}

/// What a change did: `Unchanged` wrote nothing (no audit row either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// One entry of a bulk enrolment: create the user with this token, or (if they exist)
/// replace their grants with these. `detail` describes the entry for the audit row.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub user: User,
    pub token: TokenRecord,
    pub detail: String,
}

/// A page of users, by name: those after `after`, optionally only holders of `role`.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub role: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

/// Storage failures. The message never holds a token or a secret (none is ever stored).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("user {0} already exists")]
    UserExists(String),
    #[error("no user {0}")]
    NoUser(String),
    #[error("user {0} is revoked: their grants and token can no longer change")]
    Revoked(String),
    #[error("the grants of {0} changed since they were read (If-Match): read them again")]
    Changed(String),
    #[error("unsupported database URL \"{0}\": use sqlite:PATH or postgres://…")]
    BadUrl(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration {version} failed: {message}")]
    Migration { version: i64, message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What the broker needs of its storage. Every method is one transaction, and every change
/// commits its audit row in the same transaction (a change that changes nothing writes none).
pub trait Store: Send + Sync {
    /// Adds a user with their grants and first token; fails if the name is taken.
    fn add_user(
        &self,
        user: &User,
        token: &TokenRecord,
        change: &Change,
    ) -> impl Future<Output = Result<()>> + Send;

    fn user(&self, name: &str) -> impl Future<Output = Result<Option<User>>> + Send;

    /// Users by name, at most `limit` (0: all).
    fn users(&self, query: &UserQuery) -> impl Future<Output = Result<Vec<User>>> + Send;

    /// The user a token id belongs to, with the stored record to compare against.
    fn token(&self, id: &str) -> impl Future<Output = Result<Option<(User, TokenRecord)>>> + Send;

    /// Marks the user revoked at `change.at`; false (and no audit row) if already revoked.
    fn revoke(&self, name: &str, change: &Change) -> impl Future<Output = Result<bool>> + Send;

    /// Replaces the user's grants with `grants`; with `if_tag`, only if their grants still
    /// have that `User::grants_tag` (else `Changed`).
    fn set_grants(
        &self,
        name: &str,
        grants: &[Grant],
        if_tag: Option<&str>,
        change: &Change,
    ) -> impl Future<Output = Result<Outcome>> + Send;

    /// Adds `grants` to the user's, replacing the window of a role they hold already.
    fn grant(
        &self,
        name: &str,
        grants: &[Grant],
        change: &Change,
    ) -> impl Future<Output = Result<Outcome>> + Send;

    /// Replaces the user's token: the old one stops working when this commits.
    fn rotate_token(
        &self,
        name: &str,
        token: &TokenRecord,
        change: &Change,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Creates or updates each entry, in one transaction; an entry's own failure (a revoked
    /// user) is its result and does not stop the others. `dry_run` rolls everything back.
    fn enrol(
        &self,
        entries: &[Enrolment],
        actor: &Change,
        dry_run: bool,
    ) -> impl Future<Output = Result<Vec<Result<Outcome>>>> + Send;

    fn record(&self, session: &Session) -> impl Future<Output = Result<()>> + Send;

    /// Whether the database answers (the health check).
    fn ping(&self) -> impl Future<Output = Result<()>> + Send;

    /// Vends, newest first; `user` None lists everyone's.
    fn sessions(&self, user: Option<&str>) -> impl Future<Output = Result<Vec<Session>>> + Send;

    /// The audit log, oldest first, one page.
    fn audit(&self, query: &AuditQuery) -> impl Future<Output = Result<Vec<AuditRow>>> + Send;
}

#[cfg(test)]
mod tests;
