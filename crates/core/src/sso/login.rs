//! Signing in to an IAM Identity Center session, the parts that are not a terminal or a
//! browser: the OIDC client registration (cached beside the tokens and reused until it
//! expires, one per flow: a client registered for PKCE cannot run the device flow), the
//! device flow's polling (RFC 8628: the server's interval, 5 seconds more on `slow_down`,
//! stop at expiry), PKCE's verifier, challenge and state (RFC 7636, S256), the authorize
//! URL as the AWS CLI builds it, and storing the token where the AWS CLI and SDKs read it.

use std::path::PathBuf;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::config::SsoSession;
use super::service::{ClientKind, DeviceAuthorization, Grant, Oidc, Token, TokenError};
use super::token::{self, CachedToken, Registration};
use crate::{Env, Error, awsfile};

/// The name clients are registered under (the portal shows it to administrators).
pub const CLIENT_NAME: &str = "tempcreds";

/// The redirect the client registers: loopback, no port (the port is sent on /authorize,
/// RFC 8252 §7.3), as the AWS CLI registers it.
pub const REDIRECT_REGISTERED: &str = "http://127.0.0.1/oauth/callback";

/// A registration as it is cached (botocore's registration cache has the same fields).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedRegistration {
    client_id: String,
    client_secret: String,
    expires_at: String,
    scopes: Vec<String>,
}

fn registration_path(env: &Env, session: &SsoSession, kind: &ClientKind) -> PathBuf {
    use sha1::Digest as _;
    let flow = match kind {
        ClientKind::Device => "device_code",
        ClientKind::Pkce { .. } => "authorization_code",
    };
    let args = serde_json::json!({
        "tool": "tempcreds",
        "startUrl": session.start_url,
        "region": session.region,
        "scopes": session.scopes,
        "sessionName": session.name,
        "grantType": flow,
    });
    let key = hex::encode(sha1::Sha1::digest(args.to_string().as_bytes()));
    token::cache_dir(env).join(format!("{key}.json"))
}

/// The cached registration for this session and flow while it has a day left, else a new
/// one (cached).
pub async fn registration<O: Oidc>(
    oidc: &O,
    env: &Env,
    session: &SsoSession,
    kind: &ClientKind,
    now: OffsetDateTime,
) -> Result<Registration, Error> {
    let path = registration_path(env, session, kind);
    if let Some(text) = awsfile::read_to_string_if_exists(&path)?
        && let Ok(c) = serde_json::from_str::<CachedRegistration>(&text)
        && let Some(expires_at) = token::parse_time(&c.expires_at)
        && expires_at - now > time::Duration::days(1)
        && c.scopes == session.scopes
    {
        return Ok(Registration {
            client_id: c.client_id,
            client_secret: SecretString::from(c.client_secret),
            expires_at,
        });
    }
    let r = oidc.register(CLIENT_NAME, kind, &session.scopes).await?;
    let cached = CachedRegistration {
        client_id: r.client_id.clone(),
        client_secret: r.client_secret.expose_secret().to_owned(),
        expires_at: token::format_time(r.expires_at),
        scopes: session.scopes.clone(),
    };
    let text = zeroize::Zeroizing::new(serde_json::to_string(&cached).unwrap_or_default());
    drop(cached);
    token::write_private(&path, text.as_bytes())?;
    Ok(r)
}

/// Polls CreateToken until the person approves the device code, it expires, or it is
/// refused.
pub async fn poll_device<O: Oidc>(
    oidc: &O,
    registration: &Registration,
    auth: &DeviceAuthorization,
) -> Result<Token, Error> {
    let mut interval = auth.interval_seconds.max(1);
    let grant = Grant::DeviceCode(auth.device_code.clone());
    loop {
        if OffsetDateTime::now_utc() >= auth.expires_at {
            return Err(expired());
        }
        tokio::time::sleep(std::time::Duration::from_secs(interval)).await;
        match oidc.create_token(registration, &grant).await {
            Ok(t) => return Ok(t),
            Err(TokenError::Pending) => {}
            Err(TokenError::SlowDown) => interval += 5,
            Err(TokenError::Expired) => return Err(expired()),
            Err(e) => return Err(not_signed_in(e)),
        }
    }
}

/// Why a sign-in's CreateToken gave no token, as the one line the user sees.
fn not_signed_in(e: TokenError) -> Error {
    let again = Some("run the login again".to_owned());
    match e {
        TokenError::InvalidGrant(m) => Error::SignIn {
            message: format!("the sign-in was refused: {m}"),
            hint: again,
        },
        TokenError::Expired => expired(),
        TokenError::Other(e) => e,
        other => Error::SignIn {
            message: format!("the sign-in did not complete ({other:?})"),
            hint: again,
        },
    }
}

/// The scopes sent on /authorize: the session's, else the portal's own (the AWS CLI's
/// default), as the authorize endpoint wants some.
pub fn authorize_scopes(session: &SsoSession) -> Vec<String> {
    if session.scopes.is_empty() {
        vec!["sso:account:access".to_owned()]
    } else {
        session.scopes.clone()
    }
}

/// The PKCE flow's last step: the code the redirect brought, for a token.
pub async fn exchange_code<O: Oidc>(
    oidc: &O,
    registration: &Registration,
    code: SecretString,
    redirect_uri: String,
    pkce: Pkce,
) -> Result<Token, Error> {
    let grant = Grant::AuthorizationCode {
        code,
        redirect_uri,
        verifier: pkce.verifier,
    };
    oidc.create_token(registration, &grant)
        .await
        .map_err(not_signed_in)
}

fn expired() -> Error {
    Error::SignIn {
        message: "the device code expired before it was approved".to_owned(),
        hint: Some("run the login again, and approve it in the browser within its time".to_owned()),
    }
}

/// PKCE for one authorization (RFC 7636): a random verifier, its S256 challenge, and a
/// random `state` the redirect must bring back.
#[derive(Debug)]
pub struct Pkce {
    pub verifier: SecretString,
    pub challenge: String,
    pub state: String,
}

fn random_url_safe(bytes: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Transport {
        message: format!("no randomness for the sign-in: {e}"),
        hint: None,
    })?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

impl Pkce {
    pub fn new() -> Result<Self, Error> {
        // 64 bytes: an 86-character verifier, within RFC 7636's 43 to 128.
        let verifier = random_url_safe(64)?;
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        Ok(Self {
            verifier: SecretString::from(verifier),
            challenge,
            state: random_url_safe(16)?,
        })
    }
}

/// The authorize URL the browser opens: `{OIDC endpoint}/authorize` with the query the AWS
/// CLI sends (`scopes`, not `scope`; an unpadded S256 challenge).
pub fn authorize_url(
    base: &str,
    client_id: &str,
    redirect_uri: &str,
    pkce: &Pkce,
    scopes: &[String],
) -> String {
    let mut url = url::Url::parse(&format!("{}/authorize", base.trim_end_matches('/')))
        .unwrap_or_else(|_| url::Url::parse("https://invalid./authorize").expect("static URL"));
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", &pkce.state)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scopes", &scopes.join(" "))
        .append_pair("code_challenge", &pkce.challenge);
    url.into()
}

/// Stores a new sign-in where the AWS CLI and SDKs read it; returns the file.
pub fn store(
    env: &Env,
    session: &SsoSession,
    registration: &Registration,
    token: Token,
) -> Result<PathBuf, Error> {
    let path = token::path(env, &session.cache_key());
    let t = CachedToken {
        start_url: session.start_url.clone(),
        region: session.region.clone(),
        access_token: token.access_token,
        expires_at: token.expires_at,
        registration: Some(registration.clone()),
        refresh_token: token.refresh_token,
        extra: serde_json::Map::new(),
    };
    token::write(&path, &t)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_is_s256_of_an_rfc_length_verifier_and_the_url_has_the_cli_query() {
        let p = Pkce::new().unwrap();
        let v = p.verifier.expose_secret();
        assert!((43..=128).contains(&v.len()), "{}", v.len());
        let want =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
        assert_eq!(p.challenge, want);
        assert!(!p.challenge.contains('='));
        let url = authorize_url(
            "https://oidc.eu-west-1.amazonaws.com/",
            "c1",
            "http://127.0.0.1:4321/oauth/callback",
            &p,
            &["sso:account:access".to_owned()],
        );
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(parsed.path(), "/authorize");
        let q: std::collections::BTreeMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:4321/oauth/callback");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["scopes"], "sso:account:access");
        assert_eq!(q["state"], p.state);
        assert_ne!(Pkce::new().unwrap().state, p.state);
    }
}
