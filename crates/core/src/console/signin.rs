//! The federation endpoint: `getSigninToken`, then the login URL. The link and the sign-in
//! token are secrets: never logged; errors quote the endpoint's status and message only.

use std::time::Duration;

use serde_json::json;
use url::form_urlencoded::byte_serialize;

use crate::credentials::scrub;
use crate::{Credentials, Error};

/// A federation endpoint (`https://…/federation`, or `TEMPCREDS_FEDERATION_ENDPOINT`).
#[derive(Debug, Clone)]
pub struct Federation {
    pub url: String,
}

fn enc(s: &str) -> String {
    byte_serialize(s.as_bytes()).collect()
}

impl Federation {
    /// Exchanges credentials for a sign-in token. Parameter names are case-sensitive:
    /// `Action`, `Session` (exactly `sessionId`, `sessionKey`, `sessionToken`) and, only when
    /// given, `SessionDuration`.
    pub async fn signin_token(
        &self,
        creds: &Credentials,
        session_duration: Option<u32>,
    ) -> Result<String, Error> {
        let session = json!({
            "sessionId": creds.access_key_id,
            "sessionKey": creds.secret(),
            "sessionToken": creds.token().unwrap_or_default(),
        })
        .to_string();
        let mut url = format!(
            "{}?Action=getSigninToken&Session={}",
            self.url,
            enc(&session)
        );
        if let Some(d) = session_duration {
            url.push_str(&format!("&SessionDuration={d}"));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| transport(&self.url, &e))?;
        tracing::debug!(endpoint = %self.url, session_duration = ?session_duration, "federation:getSigninToken");
        let resp = client
            .get(&url)
            .send()
            .await
            .map_err(|e| transport(&self.url, &e))?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| transport(&self.url, &e))?;
        let scrub = |s: &str| {
            scrub(s, creds.secrets())
                .chars()
                .take(300)
                .collect::<String>()
        };
        if !status.is_success() {
            return Err(Error::Transport {
                message: format!(
                    "sign-in endpoint {} answered HTTP {}: {}",
                    self.url,
                    status.as_u16(),
                    scrub(&body)
                ),
                hint: Some(hint_for(&body)),
            });
        }
        let token = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("SigninToken")
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
            });
        token.ok_or_else(|| Error::Transport {
            message: format!(
                "sign-in endpoint {} answered without a SigninToken (HTTP {}, {} bytes{})",
                self.url,
                status.as_u16(),
                body.len(),
                if serde_json::from_str::<serde_json::Value>(&body).is_ok() {
                    ""
                } else {
                    ", not JSON"
                }
            ),
            hint: Some(
                "check TEMPCREDS_FEDERATION_ENDPOINT points at a …/federation endpoint".to_owned(),
            ),
        })
    }
}

fn hint_for(body: &str) -> String {
    if body.contains("Only federation tokens or assume role tokens") {
        "only role and federation-token credentials can sign in".to_owned()
    } else if body.contains("SessionDuration") {
        "the console session length was refused: role-chained and federation-token credentials take no console session length".to_owned()
    } else {
        "the credentials may have expired, or belong to another partition than the sign-in endpoint's".to_owned()
    }
}

fn transport(url: &str, e: &reqwest::Error) -> Error {
    // reqwest's message names the URL; ours has the secret Session in its query, so only the
    // endpoint is quoted.
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    Error::Transport {
        message: format!("sign-in endpoint {url} {what}"),
        hint: Some(
            "check the network, any HTTPS_PROXY, and TEMPCREDS_FEDERATION_ENDPOINT".to_owned(),
        ),
    }
}

/// The login link: `{federation}?Action=login&Issuer=…&Destination=…&SigninToken=…`. Valid
/// for 15 minutes, and a secret.
pub fn login_url(federation: &Federation, issuer: &str, destination: &str, token: &str) -> String {
    format!(
        "{}?Action=login&Issuer={}&Destination={}&SigninToken={}",
        federation.url,
        enc(issuer),
        enc(destination),
        enc(token)
    )
}

/// Wraps a login link in the sign-out redirect, so that a browser signed in to another
/// account is signed out first (else: "You must first log out before logging into a
/// different AWS account").
pub fn logout_wrapped(oauth_url: &str, login: &str) -> String {
    format!("{oauth_url}?Action=logout&redirect_uri={}", enc(login))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_and_logout_urls_are_encoded() {
        let f = Federation {
            url: "https://signin.aws.amazon.com/federation".into(),
        };
        let l = login_url(
            &f,
            "https://lab.example/x?y=1",
            "https://console.aws.amazon.com/console/home?region=us-east-1",
            "t+k/n=",
        );
        assert_eq!(
            l,
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=https%3A%2F%2Flab.example%2Fx%3Fy%3D1&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Dus-east-1&SigninToken=t%2Bk%2Fn%3D"
        );
        assert!(logout_wrapped("https://signin.aws.amazon.com/oauth", &l)
            .starts_with("https://signin.aws.amazon.com/oauth?Action=logout&redirect_uri=https%3A%2F%2Fsignin.aws.amazon.com%2Ffederation%3FAction%3Dlogin%26Issuer"));
    }
}
