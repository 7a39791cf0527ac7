//! `Oidc` on the official SDK (`aws-sdk-ssooidc`): registration, the device flow's start,
//! CreateToken for each grant with its refusals typed (pending, slow down, expired, invalid
//! grant), and the endpoint the browser is sent to for `/authorize`.

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use super::sdk::{ctx, sdk_config};
use super::service::{ClientKind, DeviceAuthorization, Grant, Oidc, Token, TokenError};
use super::token::Registration;
use crate::Error;
use crate::sts::from_sdk;

/// OIDC of one region.
#[derive(Debug, Clone)]
pub struct SdkOidc {
    client: aws_sdk_ssooidc::Client,
    region: String,
    base: String,
}

impl SdkOidc {
    pub async fn new(region: &str) -> Self {
        let config = sdk_config(region, "AWS_ENDPOINT_URL_SSO_OIDC").await;
        Self {
            client: aws_sdk_ssooidc::Client::new(&config),
            region: region.to_owned(),
            base: oidc_base(region).await,
        }
    }
}

/// The OIDC endpoint the client calls: the configured one (`AWS_ENDPOINT_URL_SSO_OIDC`, then
/// `AWS_ENDPOINT_URL`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), else the SDK's own
/// rules for the region (partition-aware).
async fn oidc_base(region: &str) -> String {
    use aws_sdk_ssooidc::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    if let Some(url) =
        crate::sts::configured_endpoint("AWS_ENDPOINT_URL_SSO_OIDC", |k| std::env::var(k).ok())
    {
        return url;
    }
    let fallback = format!("https://oidc.{region}.amazonaws.com");
    let Ok(params) = Params::builder().region(region).build() else {
        return fallback;
    };
    DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
        .map(|e| e.url().to_owned())
        .unwrap_or(fallback)
}

fn epoch_seconds(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Oidc for SdkOidc {
    fn authorize_base(&self) -> String {
        self.base.clone()
    }

    async fn register(
        &self,
        client_name: &str,
        kind: &ClientKind,
        scopes: &[String],
    ) -> Result<Registration, Error> {
        let mut req = self
            .client
            .register_client()
            .client_name(client_name)
            .client_type("public")
            .set_scopes((!scopes.is_empty()).then(|| scopes.to_vec()));
        if let ClientKind::Pkce {
            redirect_uri,
            issuer_url,
        } = kind
        {
            req = req
                .grant_types("authorization_code")
                .grant_types("refresh_token")
                .redirect_uris(redirect_uri)
                .issuer_url(issuer_url);
        }
        let out = req
            .send()
            .await
            .map_err(|e| from_sdk(e, &ctx("SSO OIDC", "RegisterClient", &self.region, &[])))?;
        let (Some(id), Some(secret)) = (out.client_id, out.client_secret) else {
            return Err(Error::Transport {
                message: "SSO OIDC RegisterClient answered without a client".to_owned(),
                hint: None,
            });
        };
        Ok(Registration {
            client_id: id,
            client_secret: SecretString::from(secret),
            expires_at: epoch_seconds(out.client_secret_expires_at),
        })
    }

    async fn start_device(
        &self,
        registration: &Registration,
        start_url: &str,
    ) -> Result<DeviceAuthorization, Error> {
        let secrets = [registration.client_secret.clone()];
        let out = self
            .client
            .start_device_authorization()
            .client_id(&registration.client_id)
            .client_secret(registration.client_secret.expose_secret())
            .start_url(start_url)
            .send()
            .await
            .map_err(|e| {
                from_sdk(
                    e,
                    &ctx(
                        "SSO OIDC",
                        "StartDeviceAuthorization",
                        &self.region,
                        &secrets,
                    ),
                )
            })?;
        let (Some(device_code), Some(user_code), Some(uri)) =
            (out.device_code, out.user_code, out.verification_uri)
        else {
            return Err(Error::Transport {
                message: "SSO OIDC StartDeviceAuthorization answered without a code".to_owned(),
                hint: None,
            });
        };
        Ok(DeviceAuthorization {
            device_code: SecretString::from(device_code),
            user_code,
            verification_uri: uri,
            verification_uri_complete: out.verification_uri_complete,
            expires_at: OffsetDateTime::now_utc()
                + time::Duration::seconds(i64::from(out.expires_in)),
            interval_seconds: u64::try_from(out.interval).unwrap_or(5).max(1),
        })
    }

    async fn create_token(
        &self,
        registration: &Registration,
        grant: &Grant,
    ) -> Result<Token, TokenError> {
        let mut secrets = vec![registration.client_secret.clone()];
        let req = self
            .client
            .create_token()
            .client_id(&registration.client_id)
            .client_secret(registration.client_secret.expose_secret());
        let req = match grant {
            Grant::DeviceCode(code) => {
                secrets.push(code.clone());
                req.grant_type("urn:ietf:params:oauth:grant-type:device_code")
                    .device_code(code.expose_secret())
            }
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                verifier,
            } => {
                secrets.extend([code.clone(), verifier.clone()]);
                req.grant_type("authorization_code")
                    .code(code.expose_secret())
                    .redirect_uri(redirect_uri)
                    .code_verifier(verifier.expose_secret())
            }
            Grant::Refresh(token) => {
                secrets.push(token.clone());
                req.grant_type("refresh_token")
                    .refresh_token(token.expose_secret())
            }
        };
        let out = match req.send().await {
            Ok(out) => out,
            Err(e) => {
                let code = e
                    .as_service_error()
                    .and_then(|s| s.code())
                    .unwrap_or_default()
                    .to_owned();
                let message = e
                    .as_service_error()
                    .and_then(|s| s.message())
                    .unwrap_or_default()
                    .to_owned();
                return Err(match code.as_str() {
                    "AuthorizationPendingException" => TokenError::Pending,
                    "SlowDownException" => TokenError::SlowDown,
                    "ExpiredTokenException" => TokenError::Expired,
                    "InvalidGrantException" => TokenError::InvalidGrant(crate::credentials::scrub(
                        &message,
                        secrets.iter().map(|s| s.expose_secret()),
                    )),
                    _ => TokenError::Other(from_sdk(
                        e,
                        &ctx("SSO OIDC", "CreateToken", &self.region, &secrets),
                    )),
                });
            }
        };
        let access = out.access_token.ok_or_else(|| {
            TokenError::Other(Error::Transport {
                message: "SSO OIDC CreateToken answered without a token".to_owned(),
                hint: None,
            })
        })?;
        Ok(Token {
            access_token: SecretString::from(access),
            expires_at: OffsetDateTime::now_utc()
                + time::Duration::seconds(i64::from(out.expires_in)),
            refresh_token: out.refresh_token.map(SecretString::from),
        })
    }
}
