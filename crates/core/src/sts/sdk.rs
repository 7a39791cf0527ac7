//! `Sts` on the official AWS SDK: source credentials from the standard chain (environment,
//! profile, shared files, `credential_process`, SSO, web identity, container, IMDS), the
//! endpoint from the standard settings (`AWS_ENDPOINT_URL[_STS]`), timeouts and the SDK's
//! standard retries.

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::config::Region;
use aws_sdk_sts::types::{PolicyDescriptorType, Tag as StsTag};
use secrecy::SecretString;
use time::OffsetDateTime;
use tracing::{debug, info};

use aws_config::ecs::EcsCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::provider_config::ProviderConfig;

use super::errors::{Context, Tried, from_sdk, no_source_credentials};
use super::{AssumeRoleInput, AssumedRole, FederationInput, Mfa, Sts};
use crate::engine::SdkSource;
use crate::{Credentials, Error, Origin};

/// Where the source credentials and the STS endpoint come from.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// The region STS is called in (already resolved: flag, environment, profile, default).
    pub region: String,
    /// `--source-profile`; None means the SDK's own choice (`AWS_PROFILE` or `default`).
    pub profile: Option<String>,
}

/// Which credentials provider the client is built with.
#[derive(Debug, Clone, Copy)]
enum Provider<'a> {
    Default,
    Given(&'a Credentials),
    Imds,
    Ecs,
}

/// Whether the client keeps the credentials resolved at start or the provider behind them.
#[derive(Debug, Clone, Copy)]
enum Resolve {
    Once,
    Refreshing,
}

/// An STS client holding the caller's resolved source credentials.
#[derive(Debug)]
pub struct SdkSts {
    client: aws_sdk_sts::Client,
    /// The resolved settings and credentials, for other services' clients (IAM).
    config: aws_config::SdkConfig,
    temporary: bool,
    region: String,
    /// The source secret and token, only to scrub them from error text (never shown).
    secrets: Vec<SecretString>,
    source: Credentials,
}

impl SdkSts {
    /// Resolves the source credentials (local: environment, files, or a credential process)
    /// and builds the client. Nothing is sent to STS yet.
    pub async fn connect(settings: &SourceSettings) -> Result<Self, Error> {
        Self::build(settings, Provider::Default, Resolve::Once).await
    }

    /// A client for a source only the SDK resolves (its default chain for a profile, the
    /// instance metadata service, the container endpoint).
    pub async fn from_source(region: &str, source: &SdkSource) -> Result<Self, Error> {
        let (profile, provider) = match source {
            SdkSource::DefaultChain { profile } => (profile.clone(), Provider::Default),
            SdkSource::Ec2InstanceMetadata => (None, Provider::Imds),
            SdkSource::EcsContainer => (None, Provider::Ecs),
        };
        let settings = SourceSettings {
            region: region.to_owned(),
            profile,
        };
        Self::build(&settings, provider, Resolve::Once).await
    }

    /// For a long-running service (the broker): the credentials are resolved now, to fail
    /// at start, and the client keeps the SDK's provider and its cache, so credentials
    /// that expire (a container or instance role, web identity, SSO, a process) are
    /// fetched again before they do instead of being used past their expiry.
    pub async fn connect_refreshing(settings: &SourceSettings) -> Result<Self, Error> {
        Self::build(settings, Provider::Default, Resolve::Refreshing).await
    }

    /// A client that signs with these credentials (a step of a profile chain), with the
    /// endpoint, proxy and timeout settings of `connect`.
    pub async fn with_credentials(region: &str, creds: &Credentials) -> Result<Self, Error> {
        let settings = SourceSettings {
            region: region.to_owned(),
            profile: None,
        };
        Self::build(&settings, Provider::Given(creds), Resolve::Once).await
    }

    async fn build(
        settings: &SourceSettings,
        provider: Provider<'_>,
        resolve: Resolve,
    ) -> Result<Self, Error> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .http_client(super::http::client_for("AWS_ENDPOINT_URL_STS"))
            .timeout_config(super::http::timeouts());
        if let Some(p) = &settings.profile {
            loader = loader.profile_name(p);
        }
        // The metadata endpoints are plain HTTP on a link-local or loopback address.
        let metadata = || {
            ProviderConfig::default()
                .with_http_client(super::http::plain_http_client())
                .with_region(Some(Region::new(settings.region.clone())))
        };
        // The profile the SDK reads when none is named (for the error's words only).
        let implied = std::env::var("AWS_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "default".to_owned());
        let what = match provider {
            Provider::Default => Tried::DefaultChain(settings.profile.as_deref(), &implied),
            Provider::Given(c) => {
                loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                    c.access_key_id.clone(),
                    c.secret().to_owned(),
                    c.token().map(str::to_owned),
                    c.expiration.map(std::time::SystemTime::from),
                    "tempcreds",
                ));
                Tried::Given
            }
            Provider::Imds => {
                loader = loader.credentials_provider(
                    ImdsCredentialsProvider::builder()
                        .configure(&metadata())
                        .build(),
                );
                Tried::Imds
            }
            Provider::Ecs => {
                loader = loader.credentials_provider(
                    EcsCredentialsProvider::builder()
                        .configure(&metadata())
                        .build(),
                );
                Tried::Ecs
            }
        };
        let config = loader.load().await;
        let provider = config
            .credentials_provider()
            .ok_or_else(|| no_source_credentials(what, None))?;
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| no_source_credentials(what, Some(&e)))?;
        let temporary = creds.session_token().is_some();
        info!(
            access_key_id = creds.access_key_id(),
            temporary,
            region = %settings.region,
            endpoint = config.endpoint_url().unwrap_or("(AWS default)"),
            "source credentials resolved"
        );
        let mut secrets = vec![SecretString::from(creds.secret_access_key())];
        secrets.extend(creds.session_token().map(SecretString::from));
        let source = Credentials {
            access_key_id: creds.access_key_id().to_owned(),
            secret_access_key: SecretString::from(creds.secret_access_key()),
            session_token: creds.session_token().map(SecretString::from),
            expiration: creds.expiry().map(OffsetDateTime::from),
            // What kind of temporary credentials these are is not known locally; the
            // console code asks STS (caller_arn) when it matters.
            origin: if temporary {
                Origin::SessionToken
            } else {
                Origin::LongTerm
            },
        };
        // A one-shot command's client gets the already-resolved credentials: resolving again
        // through the provider would run a credential_process a second time.
        let config = match resolve {
            Resolve::Once => config
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(creds))
                .build(),
            Resolve::Refreshing => config,
        };
        Ok(Self {
            client: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(&config).build(),
            ),
            config,
            temporary,
            region: settings.region.clone(),
            secrets,
            source,
        })
    }

    /// The same caller, endpoint settings and timeouts, for another service's client.
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.config
    }

    /// The caller's secrets, only to scrub them from error text.
    pub(crate) fn secrets(&self) -> &[SecretString] {
        &self.secrets
    }

    /// The caller's own credentials, as resolved from the chain.
    pub fn source_credentials(&self) -> &Credentials {
        &self.source
    }

    fn context(&self, operation: &'static str) -> Context<'_> {
        Context {
            service: "STS",
            operation,
            region: &self.region,
            role_arn: None,
            duration: None,
            mfa: false,
            secrets: &self.secrets,
        }
    }
}

fn credentials(c: &aws_sdk_sts::types::Credentials, origin: Origin) -> Credentials {
    Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: SecretString::from(c.secret_access_key()),
        session_token: Some(SecretString::from(c.session_token())),
        expiration: OffsetDateTime::from_unix_timestamp(c.expiration().secs()).ok(),
        origin,
    }
}

impl Sts for SdkSts {
    fn caller_is_temporary(&self) -> bool {
        self.temporary
    }

    fn caller_credentials(&self) -> &Credentials {
        &self.source
    }

    async fn assume_role(&self, input: &AssumeRoleInput) -> Result<AssumedRole, Error> {
        let mut req = self
            .client
            .assume_role()
            .role_arn(input.role_arn.to_string())
            .role_session_name(&input.session_name)
            .set_duration_seconds(input.duration_seconds.map(|d| d as i32))
            .set_external_id(input.external_id.clone())
            .set_policy(input.policy.clone())
            .set_source_identity(input.source_identity.clone());
        if let Some(mfa) = &input.mfa {
            req = req.serial_number(&mfa.serial).token_code(&mfa.code);
        }
        for arn in &input.policy_arns {
            req = req.policy_arns(PolicyDescriptorType::builder().arn(arn).build());
        }
        for t in &input.tags {
            let tag = StsTag::builder()
                .key(&t.key)
                .value(&t.value)
                .build()
                .map_err(|e| Error::refused(format!("a session tag: {e}"), None))?;
            req = req.tags(tag);
        }
        for k in &input.transitive_tag_keys {
            req = req.transitive_tag_keys(k);
        }
        debug!(
            role_arn = %input.role_arn,
            session_name = %input.session_name,
            duration_seconds = ?input.duration_seconds,
            mfa = input.mfa.is_some(),
            policy_chars = input.policy.as_ref().map(|p| p.len()),
            policy_arns = input.policy_arns.len(),
            tags = input.tags.len(),
            "sts:AssumeRole"
        );
        let started = std::time::Instant::now();
        let out = req.send().await.map_err(|e| {
            let ctx = Context {
                role_arn: Some(input.role_arn.to_string()),
                duration: input.duration_seconds,
                mfa: input.mfa.is_some(),
                ..self.context("AssumeRole")
            };
            from_sdk(e, &ctx)
        })?;
        debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "sts:AssumeRole answered"
        );
        let c = out.credentials().ok_or_else(|| Error::Transport {
            message: "STS AssumeRole answered without credentials".into(),
            hint: None,
        })?;
        Ok(AssumedRole {
            credentials: credentials(
                c,
                Origin::AssumedRole {
                    chained: self.temporary,
                },
            ),
            assumed_role_arn: out
                .assumed_role_user()
                .map(|u| u.arn().to_owned())
                .unwrap_or_default(),
        })
    }

    async fn get_federation_token(&self, input: &FederationInput) -> Result<Credentials, Error> {
        let mut req = self
            .client
            .get_federation_token()
            .name(&input.name)
            .set_duration_seconds(input.duration_seconds.map(|d| d as i32))
            .set_policy(input.policy.clone());
        for arn in &input.policy_arns {
            req = req.policy_arns(PolicyDescriptorType::builder().arn(arn).build());
        }
        debug!(name = %input.name, duration_seconds = ?input.duration_seconds, "sts:GetFederationToken");
        let out = req.send().await.map_err(|e| {
            let ctx = Context {
                duration: input.duration_seconds,
                ..self.context("GetFederationToken")
            };
            from_sdk(e, &ctx)
        })?;
        let c = out.credentials().ok_or_else(|| Error::Transport {
            message: "STS GetFederationToken answered without credentials".into(),
            hint: None,
        })?;
        Ok(credentials(c, Origin::FederationToken))
    }

    async fn get_session_token(
        &self,
        mfa: Option<&Mfa>,
        duration_seconds: Option<u32>,
    ) -> Result<Credentials, Error> {
        debug!(mfa_serial = ?mfa.map(|m| &m.serial), duration_seconds = ?duration_seconds, "sts:GetSessionToken");
        let out = self
            .client
            .get_session_token()
            .set_serial_number(mfa.map(|m| m.serial.clone()))
            .set_token_code(mfa.map(|m| m.code.clone()))
            .set_duration_seconds(duration_seconds.map(|d| d as i32))
            .send()
            .await
            .map_err(|e| {
                from_sdk(
                    e,
                    &Context {
                        mfa: mfa.is_some(),
                        ..self.context("GetSessionToken")
                    },
                )
            })?;
        let c = out.credentials().ok_or_else(|| Error::Transport {
            message: "STS GetSessionToken answered without credentials".into(),
            hint: None,
        })?;
        Ok(credentials(c, Origin::SessionToken))
    }

    async fn caller_arn(&self) -> Result<String, Error> {
        debug!("sts:GetCallerIdentity");
        let out = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| from_sdk(e, &self.context("GetCallerIdentity")))?;
        Ok(out.arn().unwrap_or_default().to_owned())
    }
}
