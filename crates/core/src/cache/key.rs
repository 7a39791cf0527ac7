//! The typed cache key: everything that makes two credentials interchangeable, hashed into
//! a file name. Credentials are only reused for exactly the same request.

use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum CacheKey {
    /// An MFA session: shared by every role that names the same source keys and device.
    SessionToken {
        source_profile: String,
        /// The source key id: rotated keys do not reuse a session made with the old ones.
        access_key_id: String,
        /// None: a stored key's session without MFA. (Serialised as the bare string when
        /// present, so the ids of existing entries do not change.)
        mfa_serial: Option<String>,
    },
    /// Role credentials for one profile and its exact options.
    AssumeRole {
        profile: String,
        role_arn: String,
        session_name: Option<String>,
        external_id: Option<String>,
        duration_seconds: Option<u32>,
        mfa_serial: Option<String>,
    },
    /// IAM Identity Center role credentials: one account and role of one session.
    SsoRole {
        /// `sso-session NAME`, or the start URL of a legacy profile.
        session: String,
        account_id: String,
        role_name: String,
    },
}

impl CacheKey {
    /// `session-<hash>` or `role-<hash>`: stable across runs, safe as a file name, and
    /// revealing nothing of the key's content.
    pub fn id(&self) -> String {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&canonical);
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let kind = match self {
            CacheKey::SessionToken { .. } => "session",
            CacheKey::AssumeRole { .. } => "role",
            CacheKey::SsoRole { .. } => "sso",
        };
        format!("{kind}-{hex}")
    }

    /// What `list` shows.
    pub fn label(&self) -> String {
        match self {
            CacheKey::SessionToken {
                source_profile,
                mfa_serial,
                ..
            } => match mfa_serial {
                Some(serial) => format!("MFA session of profile {source_profile} ({serial})"),
                None => format!("session of profile {source_profile} (stored key, no MFA)"),
            },
            CacheKey::AssumeRole {
                profile, role_arn, ..
            } => format!("profile {profile}: {role_arn}"),
            CacheKey::SsoRole {
                session,
                account_id,
                role_name,
            } => format!("SSO role {role_name} in {account_id} ({session})"),
        }
    }

    /// Whether a cache entry's label (`label`) is a session made from the long-term keys of
    /// `profile` (with MFA or without): what a changed key must not leave behind.
    pub fn is_session_of(entry_label: &str, profile: &str) -> bool {
        [
            format!("MFA session of profile {profile} ("),
            format!("session of profile {profile} ("),
        ]
        .iter()
        .any(|p| entry_label.starts_with(p.as_str()))
    }

    /// Whether a cache entry's label (`label`) is a role of the SSO session labelled
    /// `session` (for logout).
    pub fn is_sso_role_of(entry_label: &str, session: &str) -> bool {
        entry_label.starts_with("SSO role ") && entry_label.ends_with(&format!(" ({session})"))
    }
}
