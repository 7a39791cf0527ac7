//! The HTTP client under the SDK: the SDK's own hyper + rustls stack, plus the proxy settings
//! from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), which the SDK's default
//! client does not read but every other AWS tool honours.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

pub(crate) fn client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut b = Connector::builder().proxy_config(ProxyConfig::from_env());
        if let Some(s) = settings {
            b = b.connector_settings(s.clone());
        }
        if let Some(sleep) = components.and_then(|c| c.sleep_impl()) {
            b.set_sleep_impl(Some(sleep));
        }
        b.tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .build()
    })
}
