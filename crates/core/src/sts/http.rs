//! The HTTP client under the SDK: the SDK's own hyper + rustls stack, plus the proxy settings
//! from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), which the SDK's default
//! client does not read but every other AWS tool honours.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, Connector, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpClient};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// A client for HTTPS (and HTTP) endpoints. The trusted roots are loaded from the system on
/// its first request, not before.
pub(crate) fn client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        base(settings, components)
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .build()
    })
}

/// A client for a plain `http://` endpoint (an emulator on localhost). Loading the system's
/// trusted roots reads ~150 files and costs more than the whole AssumeRole call to a local
/// emulator; a plain-HTTP endpoint never needs them.
pub(crate) fn plain_http_client() -> SharedHttpClient {
    Builder::new()
        .build_with_connector_fn(|settings, components| base(settings, components).build_http())
}

fn base(
    settings: Option<&HttpConnectorSettings>,
    components: Option<&RuntimeComponents>,
) -> ConnectorBuilder {
    let mut b = Connector::builder().proxy_config(ProxyConfig::from_env());
    if let Some(s) = settings {
        b = b.connector_settings(s.clone());
    }
    if let Some(sleep) = components.and_then(|c| c.sleep_impl()) {
        b.set_sleep_impl(Some(sleep));
    }
    b
}

/// The timeouts of every AWS client tempcreds makes: a dead endpoint fails in seconds, a
/// slow one within a minute.
pub(crate) fn timeouts() -> aws_config::timeout::TimeoutConfig {
    use std::time::Duration;
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(20))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

/// The HTTP client for the service whose own endpoint variable is `service_var`: plain HTTP
/// (no trusted roots to load) when the configured endpoint is `http://`.
pub(crate) fn client_for(service_var: &str) -> SharedHttpClient {
    if endpoint_is_plain_http(service_var, |k| std::env::var(k).ok()) {
        plain_http_client()
    } else {
        client()
    }
}

/// The endpoint configured in the environment for the service whose own variable is
/// `service_var` (`AWS_ENDPOINT_URL_STS`, `…_SSO`, `…_SSO_OIDC`), then `AWS_ENDPOINT_URL`,
/// unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`. Environment settings win over any in the
/// config file (service-specific first), so when one is set it is the endpoint the SDK calls.
pub(crate) fn configured_endpoint(
    service_var: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    if env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    [service_var, "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| env(v).filter(|s| !s.is_empty()))
}

/// Whether that endpoint is plain HTTP.
pub(crate) fn endpoint_is_plain_http(
    service_var: &str,
    env: impl Fn(&str) -> Option<String>,
) -> bool {
    configured_endpoint(service_var, env)
        .is_some_and(|url| url.to_ascii_lowercase().starts_with("http://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_detection_follows_precedence() {
        let sts = |env| endpoint_is_plain_http("AWS_ENDPOINT_URL_STS", env);
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(sts(env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")])));
        assert!(!sts(env(&[])));
        assert!(!sts(env(&[
            ("AWS_ENDPOINT_URL_STS", "https://sts.example"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ])));
        assert!(!sts(env(&[
            ("AWS_ENDPOINT_URL", "http://x"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ])));
    }
}
