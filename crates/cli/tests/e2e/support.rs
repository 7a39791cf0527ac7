//! The test ground: a moto server per test (127.0.0.1, free port, stopped by its own PID on
//! drop), a sandbox with its own HOME and AWS files, and runners for the real tempcreds
//! binary, the AWS CLI and boto3 from the project's pinned virtualenv.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const ROLE: &str = "arn:aws:iam::123456789012:role/Lab";
/// moto's default account for requests signed with unknown keys.
pub const SOURCE_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SOURCE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The project's virtualenv (made by scripts/venv).
pub fn venv() -> PathBuf {
    let p = std::env::var_os("TEMPCREDS_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"));
    assert!(
        p.join("bin/moto_server").exists(),
        "no moto server in {}: run ./scripts/test (it installs the pinned test tools into .venv)",
        p.display()
    );
    p
}

/// A moto server on a free port, stopped on drop.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// `env` for moto itself, e.g. INITIAL_NO_AUTH_ACTION_COUNT to check signatures.
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        let (child, url) = spawn_listening("moto_server", |port| {
            let mut cmd = Command::new(venv().join("bin/moto_server"));
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            for (k, v) in env {
                cmd.env(k, v);
            }
            cmd
        });
        Self { child, url }
    }
}

/// Starts the server `make` builds for a free port and waits until it listens. If it exits
/// first (the port was taken between our probe and its bind), it is tried on another port.
fn spawn_listening(what: &str, make: impl Fn(u16) -> Command) -> (Child, String) {
    for _attempt in 0..3 {
        let port = free_port();
        let mut child = make(port)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (child, format!("http://127.0.0.1:{port}"));
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("{what} did not start");
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

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
            ("TEMPCREDS_KEY_STORE", "file"),
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
    /// tests/fakes/pty_session.py (importable as `pty_session`); add its arguments.
    pub fn pty_python(&self, script: &str) -> Command {
        let mut c = self.command(venv().join("bin/python"));
        c.env(
            "PYTHONPATH",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakes"),
        )
        .args(["-c", script]);
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

fn path_with_venv() -> String {
    format!(
        "{}:{}",
        venv().join("bin").display(),
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

/// moto behind the federation fake (`tests/fakes/federation.py`): STS requests go through
/// the fake, which learns how each credential was issued; `/federation` follows AWS's rules.
pub struct Console {
    _moto: Moto,
    child: Child,
    pub url: String,
}

impl Console {
    pub fn start() -> Self {
        let moto = Moto::start();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakes/federation.py");
        let (child, url) = spawn_listening("the federation fake", |port| {
            let mut cmd = Command::new(venv().join("bin/python"));
            cmd.arg(&script).args([&port.to_string(), &moto.url]);
            cmd
        });
        Self {
            _moto: moto,
            child,
            url,
        }
    }

    /// A sandbox whose STS endpoint and federation endpoint are the fake.
    pub fn sandbox(&self) -> Sandbox {
        let mut sb = Sandbox::new(&self.url);
        sb.set(
            "TEMPCREDS_FEDERATION_ENDPOINT",
            &format!("{}/federation", self.url),
        );
        sb
    }

    /// What getSigninToken received, in order (without the Session secret).
    pub fn log(&self) -> Vec<serde_json::Value> {
        let (_, body) = http_get(&format!("{}/_fake/log", self.url));
        serde_json::from_str::<Vec<serde_json::Value>>(&body).expect("fake log")
    }

    /// How many STS requests went through the fake.
    pub fn sts_calls(&self) -> u64 {
        http_get(&format!("{}/_fake/sts", self.url))
            .1
            .trim()
            .parse()
            .expect("count")
    }

    /// From now on, STS answers say the credentials expire `seconds` after they are issued
    /// (0: as moto says).
    pub fn expire_in(&self, seconds: u64) {
        http_get(&format!("{}/_fake/expire-in?seconds={seconds}", self.url));
    }

    pub fn advance(&self, seconds: u64) {
        http_get(&format!("{}/_fake/advance?seconds={seconds}", self.url));
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET to 127.0.0.1 without following redirects: (status, Location or body).
pub fn http_get(url: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = TcpStream::connect(host).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read");
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let location = raw
        .lines()
        .find_map(|l| {
            l.strip_prefix("Location: ")
                .or_else(|| l.strip_prefix("location: "))
        })
        .map(str::to_owned);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, location.unwrap_or(body))
}
