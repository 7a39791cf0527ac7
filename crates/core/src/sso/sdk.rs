//! `Portal` on the official SDK (`aws-sdk-sso`; `Oidc` is in `sdk_oidc`): unsigned
//! clients in the session's `sso_region`, endpoints from the standard settings
//! (`AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL_SSO_OIDC`, then `AWS_ENDPOINT_URL`), the same
//! timeouts and proxy handling as STS. Errors become one line with a hint; the token is
//! scrubbed from any text.

use aws_config::BehaviorVersion;
use aws_sdk_sso::config::Region;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use super::service::{Account, Page, Portal};
use crate::sts::{Context, from_sdk};
use crate::{Credentials, Error, Origin};

/// Portal pages: the largest the service allows (100), fewer round trips for `populate`.
const PAGE: i32 = 100;

pub(super) async fn sdk_config(region: &str, service_var: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .http_client(crate::sts::client_for(service_var))
        .timeout_config(crate::sts::timeouts())
        .no_credentials()
        .load()
        .await
}

pub(super) fn ctx<'a>(
    service: &'static str,
    operation: &'static str,
    region: &'a str,
    secrets: &'a [SecretString],
) -> Context<'a> {
    Context {
        service,
        operation,
        region,
        role_arn: None,
        duration: None,
        mfa: false,
        secrets,
    }
}

/// The portal of one region.
#[derive(Debug, Clone)]
pub struct SdkPortal {
    client: aws_sdk_sso::Client,
    region: String,
}

impl SdkPortal {
    pub async fn new(region: &str) -> Self {
        let config = sdk_config(region, "AWS_ENDPOINT_URL_SSO").await;
        Self {
            client: aws_sdk_sso::Client::new(&config),
            region: region.to_owned(),
        }
    }
}

fn epoch_millis(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

impl Portal for SdkPortal {
    async fn role_credentials(
        &self,
        token: &SecretString,
        account_id: &str,
        role_name: &str,
    ) -> Result<Credentials, Error> {
        let secrets = [token.clone()];
        let out = self
            .client
            .get_role_credentials()
            .access_token(token.expose_secret())
            .account_id(account_id)
            .role_name(role_name)
            .send()
            .await
            .map_err(|e| from_sdk(e, &ctx("SSO", "GetRoleCredentials", &self.region, &secrets)))?;
        let c = out.role_credentials.ok_or_else(|| Error::Transport {
            message: "SSO GetRoleCredentials answered without credentials".to_owned(),
            hint: None,
        })?;
        let (Some(id), Some(secret)) = (c.access_key_id, c.secret_access_key) else {
            return Err(Error::Transport {
                message: "SSO GetRoleCredentials answered without a key".to_owned(),
                hint: None,
            });
        };
        Ok(Credentials {
            access_key_id: id,
            secret_access_key: SecretString::from(secret),
            session_token: c.session_token.map(SecretString::from),
            expiration: epoch_millis(c.expiration),
            // A role session issued to a person, not to temporary credentials: the console
            // accepts SessionDuration for it (role chaining applies to roles assumed from it).
            origin: Origin::AssumedRole { chained: false },
        })
    }

    async fn accounts(
        &self,
        token: &SecretString,
        next: Option<String>,
    ) -> Result<Page<Account>, Error> {
        let secrets = [token.clone()];
        let out = self
            .client
            .list_accounts()
            .access_token(token.expose_secret())
            .max_results(PAGE)
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| from_sdk(e, &ctx("SSO", "ListAccounts", &self.region, &secrets)))?;
        let items = out
            .account_list
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| {
                Some(Account {
                    id: a.account_id?,
                    name: a.account_name.unwrap_or_default(),
                })
            })
            .collect();
        Ok(Page {
            items,
            next: out.next_token,
        })
    }

    async fn roles(
        &self,
        token: &SecretString,
        account_id: &str,
        next: Option<String>,
    ) -> Result<Page<String>, Error> {
        let secrets = [token.clone()];
        let out = self
            .client
            .list_account_roles()
            .access_token(token.expose_secret())
            .account_id(account_id)
            .max_results(PAGE)
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| from_sdk(e, &ctx("SSO", "ListAccountRoles", &self.region, &secrets)))?;
        Ok(Page {
            items: out
                .role_list
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| r.role_name)
                .collect(),
            next: out.next_token,
        })
    }

    async fn logout(&self, token: &SecretString) -> Result<(), Error> {
        let secrets = [token.clone()];
        self.client
            .logout()
            .access_token(token.expose_secret())
            .send()
            .await
            .map_err(|e| from_sdk(e, &ctx("SSO", "Logout", &self.region, &secrets)))?;
        Ok(())
    }
}
