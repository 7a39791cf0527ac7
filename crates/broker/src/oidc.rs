//! Sign-in with an OpenID Connect ID token instead of a broker token: the token's signature
//! is checked against the identity provider's published keys (JWKS), and its issuer,
//! audience and expiry against broker.toml; a configured claim names the broker user, whose
//! grants (and revocation) stay in the broker's database. Only asymmetric algorithms are
//! accepted, each only with a key of its own kind (no `none`, no HMAC with a public key).

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use tokio::sync::RwLock;

use crate::config::OidcConfig;

/// A key id not in the set makes the broker fetch the set again, at most this often: the
/// provider rotates keys by publishing the new one first, and a flood of made-up key ids
/// must not turn into a flood of requests to the provider.
const REFETCH_AFTER: Duration = Duration::from_secs(60);

/// The algorithms an ID token may be signed with (RFC 7518), all with public keys.
const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

#[derive(Debug)]
pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    keys: RwLock<Keys>,
}

#[derive(Debug, Default)]
struct Keys {
    set: Option<JwkSet>,
    fetched: Option<Instant>,
}

/// Why a token was refused: for the log (the client only sees 401).
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    #[error("not a signed JWT: {0}")]
    Malformed(jsonwebtoken::errors::Error),
    #[error("algorithm {0:?} is not accepted")]
    Algorithm(Algorithm),
    #[error("no key {0:?} in the provider's key set")]
    UnknownKey(Option<String>),
    #[error("the provider's key set could not be fetched: {0}")]
    Jwks(String),
    #[error("the key is not for signatures")]
    NotASigningKey,
    #[error("{0}")]
    Invalid(jsonwebtoken::errors::Error),
    #[error("no string claim {0:?} to name the user")]
    NoUserClaim(String),
}

/// Whether a presented credential has the shape of a JWT (three base64url parts).
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("eyJ")
}

impl Oidc {
    pub fn new(config: OidcConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            config,
            http,
            keys: RwLock::new(Keys::default()),
        }
    }

    /// Fetches the key set at start, so a wrong URL shows in the log at once. Not fatal:
    /// broker tokens keep working, and the set is fetched again when a token needs it.
    pub async fn warm(&self) {
        let mut keys = self.keys.write().await;
        match self.fetch().await {
            Ok(set) => {
                tracing::info!(keys = set.keys.len(), url = %self.config.jwks_url, "OIDC keys fetched");
                keys.set = Some(set);
            }
            Err(e) => tracing::warn!(url = %self.config.jwks_url, "OIDC keys not fetched yet: {e}"),
        }
        keys.fetched = Some(Instant::now());
    }

    async fn fetch(&self) -> Result<JwkSet, Rejected> {
        let response = self
            .http
            .get(&self.config.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| Rejected::Jwks(e.without_url().to_string()))?;
        response
            .json::<JwkSet>()
            .await
            .map_err(|e| Rejected::Jwks(e.without_url().to_string()))
    }

    /// The broker user a valid ID token names.
    pub async fn user(&self, token: &str) -> Result<String, Rejected> {
        let header = jsonwebtoken::decode_header(token).map_err(Rejected::Malformed)?;
        if !ASYMMETRIC.contains(&header.alg) {
            return Err(Rejected::Algorithm(header.alg));
        }
        let jwk = self.key(header.kid.as_deref()).await?;
        let key = DecodingKey::from_jwk(&jwk).map_err(Rejected::Invalid)?;
        // The key's own algorithm if it names one (the header must then name the same), else
        // the header's, which must be of the key's family (jsonwebtoken refuses another).
        let alg = match jwk.common.key_algorithm {
            Some(a) => Algorithm::try_from(a).map_err(|_| Rejected::NotASigningKey)?,
            None => header.alg,
        };
        if !ASYMMETRIC.contains(&alg) {
            return Err(Rejected::Algorithm(alg));
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(Rejected::Invalid)?
            .claims;
        claims
            .get(&self.config.user_claim)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Rejected::NoUserClaim(self.config.user_claim.clone()))
    }

    /// The key with this id (or the only key, for a token without one), fetching the set
    /// again if it is not there and the last fetch is old enough.
    async fn key(&self, kid: Option<&str>) -> Result<Jwk, Rejected> {
        let find = |keys: &Keys| keys.set.as_ref().and_then(|s| pick(s, kid)).cloned();
        if let Some(k) = find(&*self.keys.read().await) {
            return Ok(k);
        }
        let mut keys = self.keys.write().await;
        if let Some(k) = find(&keys) {
            return Ok(k); // another request fetched it meanwhile
        }
        if keys.fetched.is_some_and(|t| t.elapsed() < REFETCH_AFTER) {
            return Err(Rejected::UnknownKey(kid.map(str::to_owned)));
        }
        keys.fetched = Some(Instant::now());
        keys.set = Some(self.fetch().await?);
        find(&keys).ok_or_else(|| Rejected::UnknownKey(kid.map(str::to_owned)))
    }
}

fn pick<'a>(set: &'a JwkSet, kid: Option<&str>) -> Option<&'a Jwk> {
    match kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
}
