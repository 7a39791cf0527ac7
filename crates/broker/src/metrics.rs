//! Prometheus metrics at `/metrics` (OpenMetrics text, through `prometheus-client`, the
//! Prometheus project's Rust client): credentials vended by role, kind and outcome, failed
//! sign-ins, and the latency of the STS calls behind them.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Vend {
    role: String,
    kind: String,
    outcome: String,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    vends: Family<Vend, Counter>,
    auth_failures: Counter,
    sts_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tempcreds_broker");
        let vends = Family::<Vend, Counter>::default();
        let auth_failures = Counter::default();
        let sts_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        registry.register(
            "vends",
            "Credentials and console links handed out (or refused by AWS)",
            vends.clone(),
        );
        registry.register(
            "auth_failures",
            "Requests with a missing, unknown or revoked token",
            auth_failures.clone(),
        );
        registry.register(
            "sts_assume_role_seconds",
            "Latency of the AssumeRole calls behind each vend",
            sts_seconds.clone(),
        );
        Self {
            registry,
            vends,
            auth_failures,
            sts_seconds,
        }
    }

    pub fn vend(&self, role: &str, kind: &str, ok: bool, sts: Duration) {
        self.vends
            .get_or_create(&Vend {
                role: role.to_owned(),
                kind: kind.to_owned(),
                outcome: if ok { "ok" } else { "error" }.to_owned(),
            })
            .inc();
        self.sts_seconds.observe(sts.as_secs_f64());
    }

    pub fn auth_failure(&self) {
        self.auth_failures.inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
