//! The test ground: a moto server per test (127.0.0.1, free port, stopped by its own PID on
//! drop), a sandbox with its own HOME and AWS files, and runners for the real tempcreds
//! binary, the AWS CLI and boto3 from the project's pinned virtualenv.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub use tempcreds_testkit::{Console, Moto, Recorder, fakes_dir, free_port, http_get, venv};

pub const ROLE: &str = "arn:aws:iam::123456789012:role/Lab";
/// moto's default account for requests signed with unknown keys.
pub const SOURCE_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SOURCE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A private HOME with its own AWS files and environment; nothing of the real user's.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: BTreeMap<String, String>,
}

impl Sandbox {
    pub fn new(endpoint: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        let mut env = BTreeMap::new();
        for (k, v) in [
            ("HOME", home.to_str().unwrap_or_default()),
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", SOURCE_KEY),
            ("AWS_SECRET_ACCESS_KEY", SOURCE_SECRET),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            // The AWS CLI insists on a region; tempcreds does not need one.
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("NO_COLOR", "1"),
            // The key file under the sandbox's HOME, not the user's kernel keyring: the
            // keyring is per user and outlives the test (one test uses it, and clears it).
            ("TEMPCREDS_CACHE_KEY_STORE", "file"),
            // Long-term keys in the file store under HOME, never a desktop's Secret Service.
            ("TEMPCREDS_KEY_STORE", "file"),
            ("TEMPCREDS_KEY_STORE_PASSPHRASE", "test passphrase"),
        ] {
            env.insert(k.to_owned(), v.to_owned());
        }
        let mut s = Self { dir, env };
        let cfg = s.path("aws/config");
        let creds = s.path("aws/credentials");
        s.set("AWS_CONFIG_FILE", cfg.to_str().unwrap_or_default());
        s.set(
            "AWS_SHARED_CREDENTIALS_FILE",
            creds.to_str().unwrap_or_default(),
        );
        s
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.insert(k.to_owned(), v.to_owned());
        self
    }

    /// Makes these credentials (JSON with AccessKeyId, SecretAccessKey, SessionToken) the
    /// source, as if exported in the shell.
    pub fn use_credentials(&mut self, c: &serde_json::Value) -> &mut Self {
        for (var, key) in [
            ("AWS_ACCESS_KEY_ID", "AccessKeyId"),
            ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
            ("AWS_SESSION_TOKEN", "SessionToken"),
        ] {
            self.set(var, c[key].as_str().expect(key));
        }
        self
    }

    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.env.remove(k);
        self
    }

    pub fn credentials_file(&self) -> PathBuf {
        self.path("aws/credentials")
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// A command with exactly the sandbox's environment (PATH kept so tools are found).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear();
        c.env("PATH", path_with_venv());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.stdin(Stdio::null());
        c
    }

    pub fn tempcreds(&self, args: &[&str]) -> Run {
        Run::of(
            self.command(tempcreds_bin())
                .args(args)
                .output()
                .expect("run tempcreds"),
        )
    }

    pub fn aws(&self, args: &[&str]) -> Run {
        Run::of(
            self.command(venv().join("bin/aws"))
                .args(args)
                .output()
                .expect("run aws"),
        )
    }

    /// The ARN the AWS CLI reports for `profile`, with the source keys removed from its
    /// environment so that only the profile can be what it uses.
    pub fn aws_caller_arn(&self, profile: &str) -> String {
        let mut c = self.command(venv().join("bin/aws"));
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        c.args([
            "sts",
            "get-caller-identity",
            "--profile",
            profile,
            "--output",
            "json",
        ]);
        // The CLI insists on a region; a sandbox for profiles may have none set.
        if !self.env.contains_key("AWS_DEFAULT_REGION") {
            c.args(["--region", "us-east-1"]);
        }
        let run = Run::of(c.output().expect("run aws")).ok();
        run.json()["Arn"].as_str().unwrap_or_default().to_owned()
    }

    /// A Python `script` that drives a command through a pseudo-terminal with
    /// the testkit's fakes/pty_session.py (importable as `pty_session`); add its arguments.
    pub fn pty_python(&self, script: &str) -> Command {
        let mut c = self.command(venv().join("bin/python"));
        c.env("PYTHONPATH", fakes_dir()).args(["-c", script]);
        c
    }

    pub fn python(&self, script: &str) -> Run {
        Run::of(
            self.command(venv().join("bin/python"))
                .args(["-c", script])
                .output()
                .expect("run python"),
        )
    }

    pub fn shell(&self, shell: &str, script: &str) -> Run {
        Run::of(
            self.command(shell)
                .args(["-c", script])
                .output()
                .expect("run shell"),
        )
    }
}

/// The binary under test: `TEMPCREDS_TEST_BIN` (scripts/test sets it to the static
/// release build that ships), else the one cargo built for this test run.
pub fn tempcreds_bin() -> String {
    std::env::var("TEMPCREDS_TEST_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tempcreds").to_owned())
}

/// The virtualenv's tools, then the binary under test (a profile's `credential_process =
/// tempcreds credential-process NAME` runs it by name, as on a user's PATH), then the rest.
fn path_with_venv() -> String {
    let bin = PathBuf::from(tempcreds_bin());
    format!(
        "{}:{}:{}",
        venv().join("bin").display(),
        bin.parent()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A finished process, with its output as text.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn fails(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// A sandbox pointed at a server of the testkit.
pub trait Sandboxed {
    fn sandbox(&self) -> Sandbox;
}

impl Sandboxed for Recorder {
    /// A sandbox whose STS and IAM endpoint is the recording proxy.
    fn sandbox(&self) -> Sandbox {
        Sandbox::new(&self.url)
    }
}

impl Sandboxed for Console {
    /// A sandbox whose STS endpoint and federation endpoint are the fake.
    fn sandbox(&self) -> Sandbox {
        let mut sb = Sandbox::new(&self.url);
        sb.set(
            "TEMPCREDS_FEDERATION_ENDPOINT",
            &format!("{}/federation", self.url),
        );
        sb
    }
}
