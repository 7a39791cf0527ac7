//! tempcreds-store: what the broker keeps — users, their role grants, token hashes (never a
//! token), and the audit log of every credential handed out — behind one trait, with one
//! implementation on sqlx's `any` driver for SQLite (the default, WAL) and PostgreSQL.

mod migrate;
mod sql;

use std::future::Future;

pub use sql::{Backend, SqlStore, redact_url, sqlite_path};

/// A broker user and the catalogue roles granted to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub admin: bool,
    pub roles: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of `user revoke`; a revoked user can neither sign in nor be vended to.
    pub revoked_at: Option<i64>,
}

impl User {
    pub fn may_use(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// A token as stored: its public id (the lookup key) and the SHA-256 of its secret part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub hash_hex: String,
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

/// Storage failures. The message never holds a token or a secret (none is ever stored).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("user {0} already exists")]
    UserExists(String),
    #[error("no user {0}")]
    NoUser(String),
    #[error("unsupported database URL \"{0}\": use sqlite:PATH or postgres://…")]
    BadUrl(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration {version} failed: {message}")]
    Migration { version: i64, message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What the broker needs of its storage. Every method is one transaction.
pub trait Store: Send + Sync {
    /// Adds a user with their grants and first token; fails if the name is taken.
    fn add_user(&self, user: &User, token: &TokenRecord)
    -> impl Future<Output = Result<()>> + Send;

    fn user(&self, name: &str) -> impl Future<Output = Result<Option<User>>> + Send;

    fn users(&self) -> impl Future<Output = Result<Vec<User>>> + Send;

    /// The user a token id belongs to, with the stored hash to compare against.
    fn token(&self, id: &str) -> impl Future<Output = Result<Option<(User, TokenRecord)>>> + Send;

    /// Marks the user revoked at `at` (unix seconds); false if already revoked.
    fn revoke(&self, name: &str, at: i64) -> impl Future<Output = Result<bool>> + Send;

    /// Adds the roles to the user's grants (idempotent).
    fn grant(&self, name: &str, roles: &[String]) -> impl Future<Output = Result<()>> + Send;

    fn record(&self, session: &Session) -> impl Future<Output = Result<()>> + Send;

    /// Whether the database answers (the health check).
    fn ping(&self) -> impl Future<Output = Result<()>> + Send;

    /// Newest first; `user` None lists everyone's.
    fn sessions(&self, user: Option<&str>) -> impl Future<Output = Result<Vec<Session>>> + Send;
}

#[cfg(test)]
mod tests;
