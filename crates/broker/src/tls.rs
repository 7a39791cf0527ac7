//! HTTPS for the broker: the certificate chain and private key named by `tls_cert` and
//! `tls_key` (PEM), loaded once at start into a rustls server config (aws-lc-rs, the
//! provider the AWS SDK already links), so a wrong file stops the start with exit 2.

use std::path::Path;

use axum_server::tls_rustls::RustlsConfig;

use crate::Failure;

/// Reads and checks the pair; each error names the config key and the file.
pub async fn load(cert: &Path, key: &Path) -> Result<RustlsConfig, Failure> {
    // One provider for the whole process, whatever else turns on rustls features later.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let read = |name: &'static str, path: &Path| {
        std::fs::read(path).map_err(|e| {
            Failure::input(
                format!("{name}: cannot read {}: {e}", path.display()),
                Some("tls_cert and tls_key are PEM files, relative to the config's folder"),
            )
        })
    };
    let cert_pem = read("tls_cert", cert)?;
    let key_pem = read("tls_key", key)?;
    warn_if_readable_by_all(key);
    RustlsConfig::from_pem(cert_pem, key_pem).await.map_err(|e| {
        Failure::input(
            format!(
                "tls_cert/tls_key: {} and {} are not a certificate chain and its private key: {e}",
                cert.display(),
                key.display()
            ),
            Some("tls_cert holds the server certificate first, then its chain; tls_key the matching private key"),
        )
    })
}

#[cfg(unix)]
fn warn_if_readable_by_all(key: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(key)
        && meta.permissions().mode() & 0o004 != 0
    {
        tracing::warn!(
            path = %key.display(),
            "tls_key is readable by every local user: chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_all(_key: &Path) {}
