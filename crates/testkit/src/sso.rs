//! IAM Identity Center for the end-to-end suites: moto plus the SSO OIDC and portal fake
//! (`fakes/sso.py`) on one port, for `AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_SSO`.

use std::process::{Child, Command};

use crate::{Moto, fakes_dir, http_get, spawn_listening, venv};

/// An account the fake assigns to the user, with its permission sets (role names).
#[derive(Debug, Clone)]
pub struct Account {
    pub id: &'static str,
    pub name: &'static str,
    pub roles: Vec<&'static str>,
}

impl Account {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "accountId": self.id,
            "accountName": self.name,
            "emailAddress": format!("{}@example.com", self.name.to_lowercase()),
            "roles": self.roles,
        })
    }
}

fn accounts_json(accounts: &[Account]) -> String {
    serde_json::Value::Array(accounts.iter().map(Account::json).collect()).to_string()
}

/// The fake, and the STS it mints GetRoleCredentials' credentials at (its own moto, or a
/// given endpoint such as the federation fake's), stopped on drop.
#[derive(Debug)]
pub struct Sso {
    _moto: Option<Moto>,
    /// Where STS is: tests point the SDKs' AWS_ENDPOINT_URL here.
    pub sts_url: String,
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Sso {
    pub fn start(accounts: &[Account]) -> Self {
        let moto = Moto::start();
        let url = moto.url.clone();
        Self::with_sts(accounts, Some(moto), url)
    }

    /// Mints at `sts_url` (the federation fake, so that it learns how they were issued).
    pub fn start_with_sts(accounts: &[Account], sts_url: &str) -> Self {
        Self::with_sts(accounts, None, sts_url.to_owned())
    }

    fn with_sts(accounts: &[Account], moto: Option<Moto>, sts_url: String) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("accounts.json");
        std::fs::write(&file, accounts_json(accounts)).expect("accounts");
        let script = fakes_dir().join("sso.py");
        let (child, url) = spawn_listening("the SSO fake", |port| {
            let mut cmd = Command::new(venv().join("bin/python"));
            cmd.arg(&script)
                .args([&port.to_string(), &sts_url])
                .arg(&file);
            cmd
        });
        Self {
            _moto: moto,
            sts_url,
            child,
            url,
            _dir: dir,
        }
    }

    fn hook(&self, path: &str) -> String {
        let (status, body) = http_get(&format!("{}/_fake/{path}", self.url));
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// The person approves the device code `user_code` in the browser.
    pub fn approve(&self, user_code: &str) {
        self.hook(&format!("approve?user_code={user_code}"));
    }

    /// The calls made so far, in order (operation, grant type or query; no secret).
    pub fn log(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.hook("log")).expect("log")
    }

    /// Access tokens issued from now on last `seconds`.
    pub fn token_life(&self, seconds: u64) {
        self.hook(&format!("token-life?seconds={seconds}"));
    }

    /// Portal pages hold at most `n` items from now on (whatever `max_result` asks).
    pub fn page_cap(&self, n: u32) {
        self.hook(&format!("page-cap?n={n}"));
    }

    /// Device codes issued from now on expire after `seconds`.
    pub fn device_life(&self, seconds: u64) {
        self.hook(&format!("device-life?seconds={seconds}"));
    }

    /// Every access token issued so far expires now (refresh tokens still work).
    pub fn expire_tokens(&self) {
        self.hook("expire");
    }

    /// While `on`, the portal answers TooManyRequestsException.
    pub fn throttle(&self, on: bool) {
        self.hook(&format!("throttle?on={}", u8::from(on)));
    }

    /// Replaces the user's accounts and roles.
    pub fn set_accounts(&self, accounts: &[Account]) {
        let out = Command::new("curl")
            .args(["-sf", "-X", "PUT", "--data-binary"])
            .arg(accounts_json(accounts))
            .arg(format!("{}/_fake/accounts", self.url))
            .output()
            .expect("curl");
        assert!(out.status.success(), "PUT accounts");
    }
}

impl Drop for Sso {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
