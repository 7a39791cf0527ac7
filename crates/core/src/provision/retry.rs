//! Waiting out IAM's eventual consistency (aws-rules.md: a just-created key or role can fail
//! with `InvalidClientTokenId`/`AccessDenied` for some seconds): retry with backoff, say
//! what is awaited, and give up after a bounded time (`TEMPCREDS_IAM_WAIT` seconds, default
//! 90) with an error that says setup can simply be run again.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::Error;

fn limit() -> Duration {
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
    mut attempt: F,
) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, Error>>,
{
    let (start, limit) = (Instant::now(), limit());
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
