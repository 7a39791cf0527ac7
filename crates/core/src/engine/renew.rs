//! Credentials held for a long-running consumer (the local credential endpoint of
//! `exec --server` and `serve`): when they are renewed — ahead of the SDKs, which refresh
//! 15 (botocore's advisory window) and 10 minutes (its mandatory window) before expiry — and
//! what is answered while a renewal fails. Requests never wait for STS: `answer` reads what
//! is held, `settled` waits briefly for a renewal in flight; `renew_if_due` runs one
//! renewal at a time, whoever calls it.

use std::sync::RwLock;

use time::{Duration, OffsetDateTime};

use super::run::{Clock, Issued};
use crate::Error;

/// botocore's advisory refresh window: the default lead of a renewal.
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::minutes(15);
/// botocore's mandatory refresh window: credentials with less left are never served.
pub const MANDATORY_LEFT: Duration = Duration::minutes(10);
/// A failed renewal is tried again at most this much after it started: sooner as the
/// mandatory window nears (half the time left until it), and `RETRY_INSIDE` once inside it.
pub const RETRY_AFTER: Duration = Duration::seconds(30);
/// How often a failing renewal is tried once the held credentials are no longer served: a
/// consumer gets answers again at most this long after STS does.
pub const RETRY_INSIDE: Duration = Duration::seconds(5);

/// When to try again after a failed attempt that started at `started`, for credentials
/// expiring at `expires`. Counted from the start, so that the time an attempt spends on
/// the SDK's own retries and timeouts is not added to the wait.
fn retry_at(started: OffsetDateTime, expires: OffsetDateTime) -> OffsetDateTime {
    let until_mandatory = expires - MANDATORY_LEFT - started;
    let wait = if until_mandatory <= Duration::ZERO {
        RETRY_INSIDE
    } else {
        let half: Duration = until_mandatory / 2;
        half.clamp(Duration::seconds(1), RETRY_AFTER)
    };
    started + wait
}

/// When held credentials are renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewPolicy {
    before: Duration,
    /// Given by the user (`TEMPCREDS_RENEW_BEFORE`): applied as it is, with no halving.
    given: bool,
}

impl Default for RenewPolicy {
    fn default() -> Self {
        Self {
            before: DEFAULT_RENEW_BEFORE,
            given: false,
        }
    }
}

impl RenewPolicy {
    /// A lead given in seconds, applied as given (a knob for tests and short sessions).
    pub fn before_seconds(seconds: u32) -> Self {
        Self {
            before: Duration::seconds(i64::from(seconds)),
            given: true,
        }
    }

    /// When credentials obtained at `obtained` and expiring at `expires` are renewed:
    /// `before` ahead of expiry; by default, a session of at most twice that is renewed at
    /// half its life instead (else a 20-minute session would be renewed at once). Never
    /// sooner than one second after it was obtained, so a lead longer than the session
    /// cannot make every request a renewal.
    pub fn renew_at(&self, obtained: OffsetDateTime, expires: OffsetDateTime) -> OffsetDateTime {
        let life = expires - obtained;
        let at = if !self.given && life <= self.before * 2 {
            obtained + life / 2
        } else {
            expires - self.before
        };
        at.max(obtained + Duration::seconds(1))
    }
}

/// How credentials are renewed (the engine, with the last step fresh).
pub trait Renew: Sync {
    fn renew(&self) -> impl Future<Output = Result<Issued, Error>> + Send;
}

/// What a request gets.
#[derive(Debug, Clone)]
pub enum Answer {
    Credentials(Issued),
    /// No credentials with at least the mandatory window left: why (one line, no secret).
    Unavailable(String),
}

#[derive(Debug, Clone)]
struct Held {
    issued: Issued,
    obtained: OffsetDateTime,
    /// The last renewal's failure, and when to try again.
    failed: Option<(String, OffsetDateTime)>,
}

/// The credentials of one profile, kept fresh.
pub struct Renewer<R> {
    policy: RenewPolicy,
    renew: R,
    held: RwLock<Held>,
    /// One renewal at a time: concurrent callers wait for it and then find it done.
    renewing: tokio::sync::Mutex<()>,
    /// Told when a renewal ends, for requests waiting in `settled`.
    done: tokio::sync::Notify,
}

impl<R> std::fmt::Debug for Renewer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renewer")
    }
}

fn expiry(i: &Issued) -> OffsetDateTime {
    // Credentials without an expiry (long-term keys) never need renewing.
    i.credentials
        .expiration
        .unwrap_or(OffsetDateTime::UNIX_EPOCH + Duration::days(365 * 1000))
}

impl<R: Renew> Renewer<R> {
    /// Starts from credentials obtained now (fetched before the consumer starts, so that
    /// any MFA prompt happens then).
    pub fn new(policy: RenewPolicy, renew: R, first: Issued, now: OffsetDateTime) -> Self {
        Self {
            policy,
            renew,
            held: RwLock::new(Held {
                issued: first,
                obtained: now,
                failed: None,
            }),
            renewing: tokio::sync::Mutex::new(()),
            done: tokio::sync::Notify::new(),
        }
    }

    fn held(&self) -> Held {
        self.held
            .read()
            .map(|h| h.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// When the next renewal (or retry) is due.
    pub fn due_at(&self) -> OffsetDateTime {
        let h = self.held();
        let at = self.policy.renew_at(h.obtained, expiry(&h.issued));
        match h.failed {
            Some((_, retry)) => retry.max(at),
            None => at,
        }
    }

    /// What a request is answered now: the held credentials while they have at least the
    /// mandatory window left, else why not. Never waits.
    pub fn answer(&self, now: OffsetDateTime) -> Answer {
        let h = self.held();
        if expiry(&h.issued) - now >= MANDATORY_LEFT {
            return Answer::Credentials(h.issued);
        }
        Answer::Unavailable(match h.failed {
            Some((why, _)) => why,
            None => "the credentials are being renewed".to_owned(),
        })
    }

    /// If a renewal is due, waits at most `limit` for whoever runs it (the server's
    /// background task) to finish; never runs it. A request must not wait past an SDK's
    /// timeout for STS, or for a person typing an MFA code.
    pub async fn settled(&self, clock: &dyn Clock, limit: std::time::Duration) {
        if clock.now() < self.due_at() {
            return; // the common case: no registration, no wait
        }
        let mut done = std::pin::pin!(self.done.notified());
        done.as_mut().enable();
        if clock.now() < self.due_at() {
            return; // it ended between the two looks
        }
        let _ = tokio::time::timeout(limit, done).await;
    }

    /// Renews if due at `clock`'s time; one renewal at a time. Returns whether STS was
    /// asked. A failure keeps the old credentials (served while `answer` allows) and is
    /// tried again as `retry_at` says.
    pub async fn renew_if_due(&self, clock: &dyn Clock) -> bool {
        let _one = self.renewing.lock().await;
        let started = clock.now();
        if started < self.due_at() {
            return false; // another caller renewed while this one waited
        }
        let result = self.renew.renew().await;
        let now = clock.now();
        let mut h = self.held.write().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(issued) => {
                *h = Held {
                    issued,
                    obtained: now,
                    failed: None,
                };
            }
            Err(e) => {
                let why = format!("renewing the credentials failed: {e}");
                tracing::warn!("{why}");
                let retry = retry_at(started, expiry(&h.issued));
                h.failed = Some((why, retry));
            }
        }
        drop(h);
        self.done.notify_waiters();
        true
    }
}
