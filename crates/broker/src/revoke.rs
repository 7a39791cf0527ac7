//! Revoking a user's live sessions the way the IAM console's "Revoke active sessions" does:
//! an inline deny-all policy on the role, conditioned on `aws:TokenIssueTime` before now —
//! narrowed here by `aws:SourceIdentity` to the one learner, since every session the broker
//! vends carries the user's name as its SourceIdentity (which a session cannot change).
//! The user is marked revoked first, so no new session is vended while IAM catches up.

use serde_json::{Value, json};
use tempcreds_core::Error;
use tempcreds_core::provision::iam::SdkIam;
use tempcreds_store::{Change, Store, StoreError};
use time::OffsetDateTime;

use crate::config::Config;
use crate::error::ApiError;

/// Why a revocation did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The user is marked revoked, but a role's deny policy could not be put in place.
    #[error(
        "user {user} is revoked (no new credentials), but their live sessions are not cut off yet: {source}"
    )]
    Aws { user: String, source: Error },
}

impl From<RevokeError> for ApiError {
    fn from(e: RevokeError) -> Self {
        match e {
            RevokeError::Store(s) => s.into(),
            // Said as the CLI says it: the user is revoked; only the cut-off failed.
            e @ RevokeError::Aws { .. } => ApiError::Upstream(e.to_string()),
        }
    }
}

/// Marks the user revoked (no sign-in, no new vends), then puts the deny policy on each of
/// their roles. Running it again re-puts the policies with a fresh time: harmless, and it
/// finishes a revocation that IAM failed half-way.
pub async fn user(
    config: &Config,
    store: &impl Store,
    iam: &SdkIam,
    name: &str,
    change: &Change,
) -> Result<Vec<String>, RevokeError> {
    let user = store
        .user(name)
        .await?
        .ok_or_else(|| StoreError::NoUser(name.to_owned()))?;
    let now = OffsetDateTime::from_unix_timestamp(change.at)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    store.revoke(name, change).await?;
    let roles: Vec<String> = user.roles().map(str::to_owned).collect();
    on_roles(config, iam, name, &roles, now)
        .await
        .map_err(|source| RevokeError::Aws {
            user: name.to_owned(),
            source,
        })
}

/// `tempcreds-revoke-USER`: IAM policy names allow `[\w+=,.@-]`, as user names do.
pub fn policy_name(user: &str) -> String {
    format!("tempcreds-revoke-{user}")
}

/// Denies everything to the user's sessions issued before `before`.
pub fn deny_policy(user: &str, before: OffsetDateTime) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TempcredsRevokeOlderSessions",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "StringEquals": { "aws:SourceIdentity": user },
                "DateLessThan": { "aws:TokenIssueTime": tempcreds_core::credentials::rfc3339(before) }
            }
        }]
    })
}

/// Puts the deny policy on every catalogue role the user was granted; returns their names.
pub async fn on_roles(
    config: &Config,
    iam: &SdkIam,
    user: &str,
    granted: &[String],
    before: OffsetDateTime,
) -> Result<Vec<String>, Error> {
    let doc = deny_policy(user, before);
    let mut done: Vec<String> = Vec::new();
    for role in granted.iter().filter_map(|g| config.roles.get(g)) {
        if done.contains(&role.arn.name) {
            continue;
        }
        iam.put_role_policy(&role.arn.name, &policy_name(user), &doc)
            .await?;
        tracing::info!(user, role = %role.arn, "revocation policy in place");
        done.push(role.arn.name.clone());
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deny_policy_names_the_user_and_the_time() {
        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let doc = deny_policy("alice", at);
        let cond = &doc["Statement"][0]["Condition"];
        assert_eq!(cond["StringEquals"]["aws:SourceIdentity"], "alice");
        assert_eq!(
            cond["DateLessThan"]["aws:TokenIssueTime"],
            "2027-01-15T08:00:00Z"
        );
        assert_eq!(doc["Statement"][0]["Effect"], "Deny");
        assert_eq!(policy_name("alice"), "tempcreds-revoke-alice");
    }
}
