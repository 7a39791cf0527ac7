//! A broker under test: the real `tempcreds-broker` binary serving on 127.0.0.1:0 with a
//! config in a temporary directory, its STS and IAM endpoint the federation fake in front of
//! moto, and its own commands (`user add|revoke`) run against the same config. Stopped with
//! SIGTERM (graceful shutdown) on drop.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use tempcreds_testkit::{Console, venv};

pub const CONFIG: &str = r#"
listen = "127.0.0.1:0"
issuer = "https://labs.example.com"

[roles.lab]
arn = "arn:aws:iam::123456789012:role/Lab"
max_duration = "2h"
session_policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::labs/${user}/*"}]}'
tags = { course = "aws101" }

[roles.prod]
arn = "arn:aws:iam::123456789012:role/Prod"
"#;

pub struct Broker {
    pub dir: tempfile::TempDir,
    pub url: String,
    endpoint: String,
    child: Option<Child>,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tempcreds-broker")
}

impl Broker {
    /// Writes `config` and starts serving it, with AWS at `endpoint`.
    pub fn start(console: &Console, config: &str) -> Self {
        Self::start_at(&console.url, config)
    }

    pub fn start_at(endpoint: &str, config: &str) -> Self {
        let mut b = Self::configured(endpoint, config);
        b.serve();
        b
    }

    /// Config written, not serving yet (for the operator's commands).
    pub fn configured(endpoint: &str, config: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("broker.toml"), config).expect("config");
        Self {
            dir,
            url: String::new(),
            endpoint: endpoint.to_owned(),
            child: None,
        }
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(bin());
        let home = self.dir.path().join("home");
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("AWS_CONFIG_FILE", home.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env(
                "TEMPCREDS_FEDERATION_ENDPOINT",
                format!("{}/federation", self.endpoint),
            )
            .env("NO_COLOR", "1")
            .arg("--config")
            .arg(self.dir.path().join("broker.toml"))
            .current_dir(self.dir.path());
        cmd
    }

    pub fn log(&self) -> PathBuf {
        self.dir.path().join("broker.log")
    }

    pub fn serve(&mut self) {
        self.serve_with(|_| {});
    }

    /// Serves with the environment changed by `adjust` (other source credentials, say).
    pub fn serve_with(&mut self, adjust: impl FnOnce(&mut Command)) {
        let log = std::fs::File::create(self.log()).expect("log");
        let mut cmd = self.command();
        adjust(&mut cmd);
        let mut child = cmd
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the broker");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        let url = line
            .trim()
            .strip_prefix("tempcreds-broker listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "broker did not start: {line}\n{}",
                    std::fs::read_to_string(self.log()).unwrap_or_default()
                )
            })
            .to_owned();
        self.url = url;
        self.child = Some(child);
    }

    /// Runs `tempcreds-broker ARGS` (the operator's commands).
    pub fn run(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .output()
            .expect("run tempcreds-broker")
    }

    /// `user add NAME --grant …`, returning the token it printed once.
    pub fn add_user(&self, name: &str, grants: &[&str], admin: bool) -> String {
        let mut args = vec!["user", "add", name];
        for g in grants {
            args.extend(["--grant", g]);
        }
        if admin {
            args.push("--admin");
        }
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "user add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned();
        assert!(token.starts_with("tcb_"), "{token}");
        token
    }

    pub fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> reqwest::blocking::Response {
        let mut req = Self::client().get(format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().expect("GET")
    }

    pub fn post(&self, path: &str, token: Option<&str>) -> reqwest::blocking::Response {
        let mut req = Self::client().post(format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().expect("POST")
    }

    /// `METHOD PATH` with a JSON body (or none) and a token (or none): status and JSON.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = Self::client().request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(serde_json::Value::Null))
    }

    /// Every row of the audit log with these filters (`&`-joined), followed page by page.
    pub fn audit(&self, token: &str, filters: &str, limit: u32) -> Vec<serde_json::Value> {
        let mut rows = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let mut path = format!("/v1/admin/audit?limit={limit}&{filters}");
            if let Some(t) = &next {
                path.push_str(&format!("&page_token={t}"));
            }
            let (status, page) = self.call("GET", &path, Some(token), None);
            assert_eq!(status, 200, "{page}");
            rows.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_page_token"].as_str() {
                Some(t) => next = Some(t.to_owned()),
                None => return rows,
            }
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The AWS CLI from the project's virtualenv, with only the given environment (plus PATH
/// and a private HOME).
pub fn aws(home: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(venv().join("bin/aws"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_DEFAULT_REGION", "us-east-1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("run aws")
}

/// `aws ARGS` as the broker's own administrator (moto's default keys), JSON out.
pub fn aws_admin(b: &Broker, args: &[&str]) -> serde_json::Value {
    let out = aws(
        b.dir.path(),
        &[
            ("AWS_ENDPOINT_URL", &b.endpoint),
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
        ],
        args,
    );
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Creates the catalogue's roles in moto's IAM (trusting the account).
pub fn create_roles(b: &Broker) {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"]}]}"#;
    for name in ["Lab", "Prod"] {
        aws_admin(
            b,
            &[
                "iam",
                "create-role",
                "--role-name",
                name,
                "--assume-role-policy-document",
                trust,
            ],
        );
    }
}
