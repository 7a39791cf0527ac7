//! The executor: one for every command and the broker. It resumes after the deepest step
//! the cache still holds (so the source is read, or its process run, only when none is),
//! then makes each later call through the STS seam and caches what it may. The cache is a
//! decorator (`StepCache`), as aws-vault's `CachedSessionProvider`; `NoCache` runs bare.

use time::OffsetDateTime;
use tracing::{info, warn};

use super::chain::{Chain, OverChainingCap, RoleStep, Source, Step};
use super::connect::{Caller, Connect};
use super::mfa::MfaCodes;
use super::sources::{self, Files};
use crate::cache::{Cache, CacheKey};
use crate::keys::{KeyStore, STORED_KEY_MARKER};
use crate::rules::{CHAINED_MAX_SECONDS, Field, Invalid};
use crate::sts::{AssumeRoleInput, FederationInput, Mfa, Sts};
use crate::{Credentials, Env, Error};

/// Credentials as issued, with the ARN AssumeRole returned for them.
#[derive(Debug, Clone)]
pub struct Issued {
    pub credentials: Credentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` for role credentials.
    pub assumed_role_arn: Option<String>,
}

/// The time, injected so that tests can move it.
pub trait Clock: Sync {
    fn now(&self) -> OffsetDateTime;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Where issued credentials are kept between runs.
pub trait StepCache: Sync {
    /// Served only while valid for more than the refresh margin at `now`.
    fn get(&self, key: &CacheKey, now: OffsetDateTime) -> Option<Issued>;
    fn put(&self, key: &CacheKey, issued: &Issued) -> Result<(), Error>;
    fn remove(&self, key: &CacheKey) -> Result<(), Error>;
}

impl StepCache for Cache {
    fn get(&self, key: &CacheKey, now: OffsetDateTime) -> Option<Issued> {
        self.get_issued(key, now)
    }
    fn put(&self, key: &CacheKey, issued: &Issued) -> Result<(), Error> {
        self.put_issued(key, issued)
    }
    fn remove(&self, key: &CacheKey) -> Result<(), Error> {
        Cache::remove(self, key)
    }
}

/// No cache: every step is called.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCache;

impl StepCache for NoCache {
    fn get(&self, _: &CacheKey, _: OffsetDateTime) -> Option<Issued> {
        None
    }
    fn put(&self, _: &CacheKey, _: &Issued) -> Result<(), Error> {
        Ok(())
    }
    fn remove(&self, _: &CacheKey) -> Result<(), Error> {
        Ok(())
    }
}

/// Whether the last step may come from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Last {
    /// Cached credentials are as good as new ones.
    MayBeCached,
    /// Called now, whatever the cache holds (console links are made from fresh credentials).
    Fresh,
}

/// Everything a run needs besides the chain.
pub struct Engine<'a, C, K: ?Sized> {
    pub connect: &'a C,
    pub cache: &'a K,
    pub mfa: &'a dyn MfaCodes,
    pub clock: &'a dyn Clock,
    pub files: &'a Files,
    pub env: &'a Env,
    /// The long-term key store, read only for a `Source::Stored`.
    pub keys: &'a dyn KeyStore,
}

impl<C, K: ?Sized> std::fmt::Debug for Engine<'_, C, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engine")
    }
}

/// The session name used when none is given: unique per second, and valid by construction.
pub fn default_session_name(unix_seconds: i64) -> String {
    format!("tempcreds-{unix_seconds}")
}

/// The cache key of each step (None: not cached). Only a session's key holds the source key
/// id, and only long-term keys start one: those in the files by their id, a stored one by
/// a marker (the store is not opened for a cache hit; sessions of a stored key are forgotten
/// whenever it changes), so the keys are known without running anything.
pub fn step_keys(chain: &Chain, files: &Files) -> Vec<Option<CacheKey>> {
    let key_id = || match &chain.source {
        Source::StaticKeys { profile, .. } => {
            sources::static_credentials(files, profile).map(|c| c.access_key_id)
        }
        Source::Stored { .. } => Some(STORED_KEY_MARKER.to_owned()),
        _ => None,
    };
    chain
        .steps
        .iter()
        .map(|s| match s {
            Step::SessionToken(s) => Some(CacheKey::SessionToken {
                source_profile: chain.source_profile()?.to_owned(),
                access_key_id: key_id()?,
                mfa_serial: s.mfa.as_ref().map(|m| m.serial.clone()),
            }),
            Step::AssumeRole(r) => Some(CacheKey::AssumeRole {
                profile: r.profile.clone()?,
                role_arn: r.role_arn.to_string(),
                session_name: r.session_name.clone(),
                external_id: r.external_id.clone(),
                duration_seconds: r.duration_seconds,
                mfa_serial: r.mfa.as_ref().map(|m| m.serial.clone()),
            }),
            Step::FederationToken(_) => None,
        })
        .collect()
}

/// The cache key of the source, for a source that is cached (IAM Identity Center's role
/// credentials: a portal call each time otherwise).
fn source_key(chain: &Chain) -> Option<CacheKey> {
    match &chain.source {
        Source::Sso(r) => Some(sso_key(r)),
        _ => None,
    }
}

/// The cache key of an SSO role's credentials.
pub fn sso_key(r: &crate::sso::SsoRole) -> CacheKey {
    CacheKey::SsoRole {
        session: r.session.label(),
        account_id: r.account_id.clone(),
        role_name: r.role_name.clone(),
    }
}

/// The cache key of every credential the chain produces, in order: the source's, then each
/// step's (None: not cached).
pub fn chain_keys(chain: &Chain, files: &Files) -> Vec<Option<CacheKey>> {
    let mut keys = vec![source_key(chain)];
    keys.extend(step_keys(chain, files));
    keys
}

/// The key of the chain's final credentials: its last step's, or with no steps its source's.
pub fn last_key(chain: &Chain, files: &Files) -> Option<CacheKey> {
    chain_keys(chain, files).pop().flatten()
}

/// The one place an AssumeRole request is built from a step: the chaining cap applied now
/// that the caller is known, the default session name, the MFA code.
pub fn role_input(
    step: &RoleStep,
    caller_temporary: bool,
    mfa: Option<Mfa>,
    now: OffsetDateTime,
) -> Result<AssumeRoleInput, Invalid> {
    let mut duration_seconds = step.duration_seconds;
    if let Some(d) = duration_seconds.filter(|d| caller_temporary && *d > CHAINED_MAX_SECONDS) {
        match step.over_cap {
            OverChainingCap::Cap => duration_seconds = Some(CHAINED_MAX_SECONDS),
            OverChainingCap::Refuse => {
                let field = match &step.profile {
                    Some(p) => Field::Named(format!("duration_seconds (profile {p})")),
                    None => Field::Duration,
                };
                return Err(Invalid::new(
                    field,
                    format!(
                        "must be at most 3600 (got {d}): the source credentials are temporary, so this is role chaining, which STS limits to one hour"
                    ),
                ));
            }
        }
    }
    Ok(AssumeRoleInput {
        role_arn: step.role_arn.clone(),
        session_name: step
            .session_name
            .clone()
            .unwrap_or_else(|| default_session_name(now.unix_timestamp())),
        duration_seconds,
        external_id: step.external_id.clone(),
        mfa,
        policy: step.extras.policy.clone(),
        policy_arns: step.extras.policy_arns.clone(),
        tags: step.extras.tags.clone(),
        transitive_tag_keys: step.extras.transitive_tag_keys.clone(),
        source_identity: step.extras.source_identity.clone(),
    })
}

impl<C: Connect, K: StepCache + ?Sized> Engine<'_, C, K> {
    /// The final credentials from the cache alone, with nothing run or sent: the
    /// `credential_process` fast path. None when any part would need a call.
    pub fn cached(&self, chain: &Chain) -> Option<Issued> {
        let key = last_key(chain, self.files)?;
        self.cache.get(&key, self.clock.now())
    }

    /// Forgets the cached credentials of the chain's last step.
    pub fn forget_last(&self, chain: &Chain) -> Result<(), Error> {
        match last_key(chain, self.files) {
            Some(key) => self.cache.remove(&key),
            None => Ok(()),
        }
    }

    /// Runs the chain; STS is called in `region`.
    pub async fn run(&self, chain: &Chain, region: &str, last: Last) -> Result<Issued, Error> {
        let now = self.clock.now();
        // keys[0] is the source's, keys[i + 1] step i's: a hit at keys[i] resumes at step i.
        let keys = chain_keys(chain, self.files);
        let usable = match last {
            Last::MayBeCached => keys.len(),
            Last::Fresh => keys.len() - 1,
        };
        let resumed = keys[..usable].iter().enumerate().rev().find_map(|(i, k)| {
            let k = k.as_ref()?;
            let hit = self.cache.get(k, now)?;
            info!(cached = %k.label(), "using cached credentials");
            Some((i, hit))
        });
        let (start, mut current, mut client) = match resumed {
            Some((start, hit)) => (start, hit, None),
            None => {
                let (read, client) = self.source(chain, region).await?;
                if let Some(k) = &keys[0] {
                    self.cache.put(k, &read)?;
                }
                (0, read, client)
            }
        };
        for (step, key) in chain.steps.iter().zip(&keys[1..]).skip(start) {
            let client = match client.take() {
                Some(c) => c,
                None => {
                    let caller = Caller::Credentials(&current.credentials);
                    self.connect.connect(region, caller).await?
                }
            };
            current = self.call(&client, step, now).await?;
            if let Some(k) = key {
                self.cache.put(k, &current)?;
            }
        }
        Ok(current)
    }

    /// The source's credentials, and the client the SDK made for them, if it did.
    async fn source(
        &self,
        chain: &Chain,
        region: &str,
    ) -> Result<(Issued, Option<C::Client>), Error> {
        let issued = |credentials| Issued {
            credentials,
            assumed_role_arn: None,
        };
        match &chain.source {
            Source::Sdk(s) => {
                let client = self.connect.connect(region, Caller::Sdk(s)).await?;
                let creds = client.caller_credentials().clone();
                Ok((issued(creds), Some(client)))
            }
            Source::Stored { profile } => {
                let key = self.keys.get(profile)?.ok_or_else(|| {
                    Error::refused(
                        format!(
                            "profile {profile} keeps its key in the key store, but {} holds none for it",
                            self.keys.describe()
                        ),
                        Some(format!(
                            "add it (tempcreds keys add {profile}), or remove the profile's credential_process line"
                        )),
                    )
                })?;
                Ok((issued(key.credentials()), None))
            }
            Source::Sso(role) => {
                let now = self.clock.now();
                // Boxed: the portal's futures would otherwise deepen every command's future
                // past the compiler's layout limit.
                let creds = Box::pin(crate::sso::role_credentials(
                    role,
                    self.env,
                    self.connect.sso(),
                    now,
                ))
                .await?;
                if !chain.steps.is_empty() {
                    return Ok((issued(creds), None));
                }
                // The role's ARN (GetRoleCredentials names none): the credentials are the
                // chain's last, shown and served with it; cached with them, so a hit sends
                // nothing.
                let client = self
                    .connect
                    .connect(region, Caller::Credentials(&creds))
                    .await?;
                let assumed_role_arn = match client.caller_arn().await {
                    Ok(arn) => Some(arn),
                    Err(e) => {
                        warn!("the role's ARN is left out (GetCallerIdentity failed: {e})");
                        None
                    }
                };
                let issued = Issued {
                    credentials: creds,
                    assumed_role_arn,
                };
                Ok((issued, Some(client)))
            }
            other => {
                let creds = sources::read(other, self.files, self.env)
                    .unwrap_or_else(|| Err(Error::refused("this source needs the SDK", None)))?;
                Ok((issued(creds), None))
            }
        }
    }

    async fn call(
        &self,
        client: &C::Client,
        step: &Step,
        now: OffsetDateTime,
    ) -> Result<Issued, Error> {
        match step {
            Step::SessionToken(s) => {
                let mfa = match &s.mfa {
                    Some(device) => {
                        info!(mfa_serial = %device.serial, "new MFA session (GetSessionToken), shared by the roles that use this device");
                        Some(Mfa {
                            serial: device.serial.clone(),
                            code: self.mfa.code(device)?,
                        })
                    }
                    None => {
                        info!(
                            "new session (GetSessionToken) from the stored key, which stays inside tempcreds"
                        );
                        None
                    }
                };
                let credentials = client
                    .get_session_token(mfa.as_ref(), s.duration_seconds)
                    .await?;
                Ok(Issued {
                    credentials,
                    assumed_role_arn: None,
                })
            }
            Step::AssumeRole(r) => {
                let temporary = client.caller_is_temporary();
                // The cap is checked before a code is asked for: a refusal costs no code.
                role_input(r, temporary, None, now)?;
                let mfa = match &r.mfa {
                    Some(device) => {
                        if temporary {
                            info!(role_arn = %r.role_arn, "assuming the role with an MFA code");
                        } else {
                            info!(role_arn = %r.role_arn, "assuming the role directly with MFA from the long-term keys: over one hour, a shared MFA session would be role chaining");
                        }
                        Some(Mfa {
                            serial: device.serial.clone(),
                            code: self.mfa.code(device)?,
                        })
                    }
                    None => None,
                };
                let input = role_input(r, temporary, mfa, now)?;
                let assumed = client.assume_role(&input).await?;
                info!(assumed_role_arn = %assumed.assumed_role_arn, "role assumed");
                Ok(Issued {
                    credentials: assumed.credentials,
                    assumed_role_arn: Some(assumed.assumed_role_arn),
                })
            }
            Step::FederationToken(t) => {
                if client.caller_is_temporary() {
                    return Err(Error::refused(
                        "GetFederationToken needs long-term IAM user keys as the source, but the source credentials are temporary",
                        Some(
                            "use the IAM user's access keys, or sign in through a role".to_owned(),
                        ),
                    ));
                }
                let input = FederationInput {
                    name: t.name.clone(),
                    duration_seconds: t.duration_seconds,
                    policy: t.policy.clone(),
                    policy_arns: t.policy_arns.clone(),
                };
                let credentials = client.get_federation_token(&input).await?;
                Ok(Issued {
                    credentials,
                    assumed_role_arn: None,
                })
            }
        }
    }
}
