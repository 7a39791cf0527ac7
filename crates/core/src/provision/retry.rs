//! Waiting out IAM's eventual consistency (ARCHITECTURE.md: a just-created key or role can fail
//! with `InvalidClientTokenId`/`AccessDenied` for some seconds): retry with backoff, say
//! what is awaited, and give up after a bounded time (`TEMPCREDS_IAM_WAIT` seconds, default
//! 90) with an error that says setup can simply be run again.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::Error;

/// How long a wait for IAM lasts: `TEMPCREDS_IAM_WAIT` seconds, default 90.
pub fn limit() -> Duration {
    let secs = std::env::var("TEMPCREDS_IAM_WAIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(90);
    Duration::from_secs(secs)
}

/// Runs `attempt` until it returns `Ok(true)`; `Ok(false)` means "not yet" (the one error
/// that eventual consistency explains). `waiting` is told once, on the first "not yet".
pub async fn until_consistent<F, Fut>(
    what: &str,
    waiting: &(dyn Fn(&str) + Send + Sync),
    attempt: F,
) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, Error>>,
{
    within(limit(), what, waiting, attempt).await
}

async fn within<F, Fut>(
    limit: Duration,
    what: &str,
    waiting: &(dyn Fn(&str) + Send + Sync),
    mut attempt: F,
) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, Error>>,
{
    let start = Instant::now();
    let mut delay = Duration::from_millis(500);
    let mut told = false;
    loop {
        if attempt().await? {
            return Ok(());
        }
        if !told {
            waiting(&format!(
                "waiting for {what} (IAM is eventually consistent)…"
            ));
            told = true;
        }
        if start.elapsed() + delay > limit {
            return Err(Error::Transport {
                message: format!(
                    "gave up waiting for {what} after {} s",
                    start.elapsed().as_secs()
                ),
                hint: Some(
                    "IAM can take a while to propagate changes: run the same setup again (it is idempotent), or raise TEMPCREDS_IAM_WAIT".to_owned(),
                ),
            });
        }
        tracing::info!(
            what,
            delay_ms = delay.as_millis() as u64,
            "not yet consistent: retrying"
        );
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(8));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn push(messages: &Mutex<Vec<String>>, message: &str) {
        messages.lock().expect("lock").push(message.to_owned());
    }

    #[tokio::test]
    async fn gives_up_after_the_limit_with_a_hint_to_rerun() {
        let messages = Mutex::new(Vec::new());
        let waiting = |s: &str| push(&messages, s);
        let mut attempts = 0;
        let err = within(Duration::from_millis(700), "the role", &waiting, || {
            attempts += 1;
            async { Ok(false) }
        })
        .await
        .expect_err("never consistent");
        // 0 ms: try, sleep 500 ms; 500 ms: try, next sleep (1 s) would pass 700 ms: give up.
        assert_eq!(attempts, 2);
        assert_eq!(err.exit_code(), 1);
        let text = err.to_string();
        assert!(text.contains("gave up waiting for the role"), "{text}");
        let hint = err.hint().unwrap_or_default().to_owned();
        assert!(hint.contains("run the same setup again"), "{hint}");
        assert!(hint.contains("TEMPCREDS_IAM_WAIT"), "{hint}");
        let said = messages.lock().expect("lock").clone();
        assert_eq!(
            said,
            ["waiting for the role (IAM is eventually consistent)…"]
        );
    }

    #[tokio::test]
    async fn retries_until_consistent_and_tells_once() {
        let messages = Mutex::new(Vec::new());
        let waiting = |s: &str| push(&messages, s);
        let mut attempts = 0;
        within(Duration::from_secs(10), "the key", &waiting, || {
            attempts += 1;
            let now = attempts;
            async move { Ok(now == 3) }
        })
        .await
        .expect("consistent on the third try");
        assert_eq!(attempts, 3);
        assert_eq!(messages.lock().expect("lock").len(), 1);
    }

    #[tokio::test]
    async fn a_real_error_is_not_retried() {
        let waiting = |_: &str| panic!("a real error is not a wait");
        let mut attempts = 0;
        let err = within(Duration::from_secs(10), "the key", &waiting, || {
            attempts += 1;
            async { Err(Error::refused("boom", None)) }
        })
        .await
        .expect_err("passes the error through");
        assert_eq!(attempts, 1);
        assert_eq!(err.exit_code(), 2);
    }

    #[tokio::test]
    async fn consistent_at_once_says_nothing() {
        let waiting = |_: &str| panic!("nothing to wait for");
        within(Duration::ZERO, "the key", &waiting, || async { Ok(true) })
            .await
            .expect("consistent");
    }
}
