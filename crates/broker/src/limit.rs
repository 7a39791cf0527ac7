//! The per-user rate limit: a token bucket per user name, refilled continuously at
//! `rate_limit_per_minute`, holding at most that many. In memory, per broker process: with
//! N replicas a user gets at most N times the rate, which bounds abuse without a shared
//! counter on every request. (A dozen lines of arithmetic; `governor` would bring a keyed
//! store and clock crates for the same.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug)]
pub struct Limiter {
    per_minute: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: f64::from(per_minute),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the user's bucket: Ok, or the seconds until one is free.
    pub fn take(&self, user: &str, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (level, at) = buckets
            .entry(user.to_owned())
            .or_insert((self.per_minute, now));
        let refill = now.saturating_duration_since(*at).as_secs_f64() * self.per_minute / 60.0;
        *level = (*level + refill).min(self.per_minute);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - *level) * 60.0 / self.per_minute).ceil() as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_up_to_the_rate_then_429_then_refilled() {
        let l = Limiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.take("alice", t0), Ok(()));
        }
        assert_eq!(l.take("alice", t0), Err(20));
        assert_eq!(l.take("bob", t0), Ok(()), "buckets are per user");
        assert_eq!(l.take("alice", t0 + Duration::from_secs(20)), Ok(()));
        assert!(l.take("alice", t0 + Duration::from_secs(21)).is_err());
    }
}
