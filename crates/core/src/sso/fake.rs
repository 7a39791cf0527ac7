//! A fake portal and OIDC for the hermetic tier: tokens it knows, refresh tokens that work
//! once, role credentials for assigned roles, and a log of every call (no secret in it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use super::service::{
    Account, ClientKind, DeviceAuthorization, Grant, Oidc, Page, Portal, Token, TokenError,
};
use super::session::SsoConnect;
use super::token::Registration;
use crate::{Credentials, Error, Origin};

#[derive(Debug, Default)]
pub struct State {
    pub log: Vec<String>,
    /// access token -> still accepted
    pub access: BTreeMap<String, bool>,
    /// refresh token -> unused
    pub refresh: BTreeMap<String, bool>,
    /// (account, role) assigned
    pub roles: Vec<(String, String)>,
    pub accounts: Vec<Account>,
    pub issued: usize,
    pub now: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Default)]
pub struct FakeSso(pub Arc<Mutex<State>>);

impl FakeSso {
    pub fn with_role(account: &str, role: &str) -> Self {
        let s = Self::default();
        s.state().roles.push((account.to_owned(), role.to_owned()));
        s
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("fake sso state")
    }

    pub fn log(&self) -> Vec<String> {
        self.state().log.clone()
    }

    /// An access token the portal accepts.
    pub fn accept(&self, token: &str) {
        self.state().access.insert(token.to_owned(), true);
    }

    /// A refresh token OIDC accepts once.
    pub fn refreshable(&self, token: &str) {
        self.state().refresh.insert(token.to_owned(), true);
    }
}

fn unauthorized() -> Error {
    Error::Aws {
        service: "SSO",
        operation: "GetRoleCredentials",
        code: "UnauthorizedException".into(),
        message: "Session token not found or invalid".into(),
        hint: None,
    }
}

impl Portal for FakeSso {
    async fn role_credentials(
        &self,
        token: &SecretString,
        account_id: &str,
        role_name: &str,
    ) -> Result<Credentials, Error> {
        let mut s = self.state();
        s.log
            .push(format!("GetRoleCredentials {account_id} {role_name}"));
        if !s
            .access
            .get(token.expose_secret())
            .copied()
            .unwrap_or(false)
        {
            return Err(unauthorized());
        }
        if !s
            .roles
            .iter()
            .any(|(a, r)| a == account_id && r == role_name)
        {
            return Err(Error::Aws {
                service: "SSO",
                operation: "GetRoleCredentials",
                code: "ForbiddenException".into(),
                message: "No access".into(),
                hint: None,
            });
        }
        s.issued += 1;
        let now = s.now.unwrap_or_else(OffsetDateTime::now_utc);
        Ok(Credentials {
            access_key_id: format!("ASIASSO{}", s.issued),
            secret_access_key: SecretString::from(format!("sso-secret-{}", s.issued)),
            session_token: Some(SecretString::from(format!("sso-token-{}", s.issued))),
            expiration: Some(now + Duration::hours(1)),
            origin: Origin::AssumedRole { chained: false },
        })
    }

    async fn accounts(
        &self,
        _token: &SecretString,
        next: Option<String>,
    ) -> Result<Page<Account>, Error> {
        let mut s = self.state();
        s.log.push(format!("ListAccounts {next:?}"));
        let start: usize = next.and_then(|n| n.parse().ok()).unwrap_or(0);
        let items: Vec<Account> = s.accounts.iter().skip(start).take(2).cloned().collect();
        let next = (start + 2 < s.accounts.len()).then(|| (start + 2).to_string());
        Ok(Page { items, next })
    }

    async fn roles(
        &self,
        _token: &SecretString,
        account_id: &str,
        _next: Option<String>,
    ) -> Result<Page<String>, Error> {
        let mut s = self.state();
        s.log.push(format!("ListAccountRoles {account_id}"));
        let items = s
            .roles
            .iter()
            .filter(|(a, _)| a == account_id)
            .map(|(_, r)| r.clone())
            .collect();
        Ok(Page { items, next: None })
    }

    async fn logout(&self, token: &SecretString) -> Result<(), Error> {
        let mut s = self.state();
        s.log.push("Logout".into());
        s.access.insert(token.expose_secret().to_owned(), false);
        Ok(())
    }
}

impl Oidc for FakeSso {
    fn authorize_base(&self) -> String {
        "https://oidc.fake".to_owned()
    }

    async fn register(
        &self,
        _name: &str,
        _kind: &ClientKind,
        _scopes: &[String],
    ) -> Result<Registration, Error> {
        self.state().log.push("RegisterClient".into());
        Ok(Registration {
            client_id: "client-1".into(),
            client_secret: SecretString::from("client-secret"),
            expires_at: OffsetDateTime::now_utc() + Duration::days(90),
        })
    }

    async fn start_device(
        &self,
        _r: &Registration,
        _start_url: &str,
    ) -> Result<DeviceAuthorization, Error> {
        Err(Error::refused("fake: no device flow", None))
    }

    async fn create_token(&self, _r: &Registration, grant: &Grant) -> Result<Token, TokenError> {
        let mut s = self.state();
        s.log.push("CreateToken".into());
        let Grant::Refresh(rt) = grant else {
            return Err(TokenError::InvalidGrant("fake: refresh only".into()));
        };
        if !s
            .refresh
            .insert(rt.expose_secret().to_owned(), false)
            .unwrap_or(false)
        {
            return Err(TokenError::InvalidGrant("unknown refresh token".into()));
        }
        s.issued += 1;
        let access = format!("access-{}", s.issued);
        let refresh = format!("refresh-{}", s.issued);
        s.access.insert(access.clone(), true);
        s.refresh.insert(refresh.clone(), true);
        let now = s.now.unwrap_or_else(OffsetDateTime::now_utc);
        Ok(Token {
            access_token: SecretString::from(access),
            expires_at: now + Duration::hours(8),
            refresh_token: Some(SecretString::from(refresh)),
        })
    }
}

impl SsoConnect for FakeSso {
    type Portal = FakeSso;
    type Oidc = FakeSso;

    async fn portal(&self, _region: &str) -> Result<FakeSso, Error> {
        Ok(self.clone())
    }

    async fn oidc(&self, _region: &str) -> Result<FakeSso, Error> {
        Ok(self.clone())
    }
}
