//! A user's own access keys, for `keys rotate`: list, create, deactivate, delete. Each call
//! is signed as the client's caller (the old key, the new key, or an MFA session of one).

use aws_sdk_iam::types::StatusType;
use secrecy::SecretString;
use time::OffsetDateTime;

use super::SdkIam;
use crate::{Credentials, Error, Origin};

/// One key of a user as ListAccessKeys gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub access_key_id: String,
    pub active: bool,
}

/// A key just created, with IAM's CreateDate.
#[derive(Debug)]
pub struct NewKey {
    pub credentials: Credentials,
    pub created: OffsetDateTime,
}

impl SdkIam {
    pub async fn access_keys(&self, user: &str) -> Result<Vec<KeyInfo>, Error> {
        let out = self
            .client
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .map_err(self.err("ListAccessKeys"))?;
        Ok(out
            .access_key_metadata()
            .iter()
            .filter_map(|k| {
                Some(KeyInfo {
                    access_key_id: k.access_key_id()?.to_owned(),
                    active: k.status() != Some(&StatusType::Inactive),
                })
            })
            .collect())
    }

    pub async fn create_access_key(&self, user: &str) -> Result<NewKey, Error> {
        let out = self
            .client
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(self.err("CreateAccessKey"))?;
        let k = out.access_key().ok_or_else(|| Error::Transport {
            message: "CreateAccessKey returned no key".into(),
            hint: None,
        })?;
        let created = k
            .create_date()
            .and_then(|d| OffsetDateTime::from_unix_timestamp(d.secs()).ok())
            .unwrap_or_else(OffsetDateTime::now_utc);
        Ok(NewKey {
            credentials: Credentials {
                access_key_id: k.access_key_id().to_owned(),
                secret_access_key: SecretString::from(k.secret_access_key()),
                session_token: None,
                expiration: None,
                origin: Origin::LongTerm,
            },
            created,
        })
    }

    pub async fn deactivate_access_key(&self, user: &str, id: &str) -> Result<(), Error> {
        self.client
            .update_access_key()
            .user_name(user)
            .access_key_id(id)
            .status(StatusType::Inactive)
            .send()
            .await
            .map_err(self.err("UpdateAccessKey"))?;
        Ok(())
    }

    pub async fn delete_access_key(&self, user: &str, id: &str) -> Result<(), Error> {
        self.client
            .delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await
            .map_err(self.err("DeleteAccessKey"))?;
        Ok(())
    }
}
