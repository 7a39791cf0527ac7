//! A fake of the STS seam for the engine's tests: every call is logged (with the MFA code
//! sent), credentials expire after the requested duration on the injected clock, and the
//! caller's kind (long-term or temporary) follows from the credentials it was made with.

use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use time::{Duration, OffsetDateTime};

use super::chain::SdkSource;
use super::connect::{Caller, Connect};
use super::mfa::Prompt;
use super::run::Clock;
use crate::sts::{AssumeRoleInput, AssumedRole, FederationInput, Mfa, Sts};
use crate::{Credentials, Error, Origin};

/// A clock the test moves; clones share the time.
#[derive(Debug, Clone)]
pub struct FakeClock(Arc<Mutex<OffsetDateTime>>);

impl FakeClock {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(
            time::macros::datetime!(2026-12-01 12:00 UTC),
        )))
    }
    pub fn advance(&self, d: Duration) {
        *self.0.lock().expect("clock") += d;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock")
    }
}

/// The calls made, as text: `AssumeRole ROLE_ARN as KEYID duration=… mfa=CODE`.
pub type Log = Arc<Mutex<Vec<String>>>;

pub fn calls(log: &Log) -> Vec<String> {
    log.lock().map(|l| l.clone()).unwrap_or_default()
}

#[derive(Debug)]
pub struct FakeConnect {
    pub log: Log,
    /// While set, every STS call fails as an unreachable endpoint would.
    pub down: Arc<std::sync::atomic::AtomicBool>,
    pub clock: FakeClock,
    /// What an SDK source resolves to.
    pub sdk_caller: Credentials,
    /// IAM Identity Center, for SSO sources.
    pub sso: crate::sso::fake::FakeSso,
}

#[derive(Debug)]
pub struct FakeSts {
    log: Log,
    down: Arc<std::sync::atomic::AtomicBool>,
    now: OffsetDateTime,
    caller: Credentials,
}

pub fn keys(id: &str, temporary: bool, expiration: Option<OffsetDateTime>) -> Credentials {
    Credentials {
        access_key_id: id.to_owned(),
        secret_access_key: SecretString::from(format!("secret-of-{id}")),
        session_token: temporary.then(|| SecretString::from(format!("token-of-{id}"))),
        expiration,
        origin: if temporary {
            Origin::SessionToken
        } else {
            Origin::LongTerm
        },
    }
}

impl FakeConnect {
    pub fn new(clock: &FakeClock) -> Self {
        Self {
            log: Log::default(),
            down: Arc::default(),
            clock: clock.clone(),
            sdk_caller: keys("ASIASDK", true, Some(clock.now() + Duration::hours(6))),
            sso: crate::sso::fake::FakeSso::default(),
        }
    }
}

impl Connect for FakeConnect {
    type Client = FakeSts;
    type Sso = crate::sso::fake::FakeSso;

    fn sso(&self) -> &crate::sso::fake::FakeSso {
        &self.sso
    }

    async fn connect(&self, _region: &str, caller: Caller<'_>) -> Result<FakeSts, Error> {
        let caller = match caller {
            Caller::Credentials(c) => c.clone(),
            Caller::Sdk(SdkSource::DefaultChain { .. }) => self.sdk_caller.clone(),
            Caller::Sdk(other) => {
                return Err(Error::refused(format!("fake: no {other:?} here"), None));
            }
        };
        Ok(FakeSts {
            log: Arc::clone(&self.log),
            down: Arc::clone(&self.down),
            now: self.clock.now(),
            caller,
        })
    }
}

impl FakeSts {
    fn record(&self, line: String) -> usize {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return 0;
        }
        let mut l = self.log.lock().expect("log");
        l.push(line);
        l.len()
    }

    fn unreachable(&self) -> Result<(), Error> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Transport {
                message: "STS AssumeRole could not connect: connection refused".into(),
                hint: None,
            });
        }
        Ok(())
    }

    fn issue(&self, n: usize, seconds: u32, origin: Origin) -> Credentials {
        let mut c = keys(
            &format!("ASIAFAKE{n}"),
            true,
            Some(self.now + Duration::seconds(i64::from(seconds))),
        );
        c.origin = origin;
        c
    }
}

fn code(m: Option<&Mfa>) -> String {
    m.map(|m| format!(" mfa={}", m.code)).unwrap_or_default()
}

impl Sts for FakeSts {
    fn caller_is_temporary(&self) -> bool {
        self.caller.is_temporary()
    }

    fn caller_credentials(&self) -> &Credentials {
        &self.caller
    }

    async fn assume_role(&self, input: &AssumeRoleInput) -> Result<AssumedRole, Error> {
        self.unreachable()?;
        let n = self.record(format!(
            "AssumeRole {} as {} duration={:?}{}",
            input.role_arn,
            self.caller.access_key_id,
            input.duration_seconds,
            code(input.mfa.as_ref())
        ));
        let chained = self.caller_is_temporary();
        if chained && input.duration_seconds.is_some_and(|d| d > 3600) {
            return Err(Error::Aws {
                service: "STS",
                operation: "AssumeRole",
                code: "ValidationError".into(),
                message: "exceeds the 1 hour session limit for roles assumed by role chaining"
                    .into(),
                hint: None,
            });
        }
        Ok(AssumedRole {
            credentials: self.issue(
                n,
                input.duration_seconds.unwrap_or(3600),
                Origin::AssumedRole { chained },
            ),
            assumed_role_arn: format!(
                "arn:aws:sts::{}:assumed-role/{}/{}",
                input.role_arn.account, input.role_arn.name, input.session_name
            ),
        })
    }

    async fn get_federation_token(&self, input: &FederationInput) -> Result<Credentials, Error> {
        let n = self.record(format!(
            "GetFederationToken {} as {}",
            input.name, self.caller.access_key_id
        ));
        Ok(self.issue(
            n,
            input.duration_seconds.unwrap_or(43200),
            Origin::FederationToken,
        ))
    }

    async fn get_session_token(
        &self,
        mfa: Option<&Mfa>,
        duration_seconds: Option<u32>,
    ) -> Result<Credentials, Error> {
        let n = self.record(format!(
            "GetSessionToken as {}{}",
            self.caller.access_key_id,
            code(mfa)
        ));
        Ok(self.issue(n, duration_seconds.unwrap_or(43200), Origin::SessionToken))
    }

    async fn caller_arn(&self) -> Result<String, Error> {
        self.unreachable()?;
        self.record(format!(
            "GetCallerIdentity as {}",
            self.caller.access_key_id
        ));
        // The fake portal's credentials are an SSO role's, as AWS names those.
        Ok(if self.caller.access_key_id.starts_with("ASIASSO") {
            "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice"
                .into()
        } else {
            "arn:aws:iam::111111111111:user/alice".into()
        })
    }
}

/// A person at the terminal who types the codes given, and counts the questions.
#[derive(Debug, Default)]
pub struct FakePrompt {
    pub codes: Mutex<Vec<String>>,
    pub asked: Mutex<usize>,
}

impl FakePrompt {
    pub fn typing(codes: &[&str]) -> Self {
        Self {
            codes: Mutex::new(codes.iter().rev().map(|c| (*c).to_owned()).collect()),
            asked: Mutex::new(0),
        }
    }
    pub fn asked(&self) -> usize {
        *self.asked.lock().expect("asked")
    }
}

impl Prompt for FakePrompt {
    fn ask(&self, _serial: &str) -> Result<String, Error> {
        *self.asked.lock().expect("asked") += 1;
        self.codes
            .lock()
            .expect("codes")
            .pop()
            .ok_or_else(|| Error::refused("fake prompt: no more codes", None))
    }
}
