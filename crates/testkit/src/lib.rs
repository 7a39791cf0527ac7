//! What the end-to-end suites of the CLI and the broker share: moto (127.0.0.1, a free port,
//! stopped by its own PID on drop), the project's fakes of what nobody emulates (`fakes/`:
//! the federation endpoint, IAM Identity Center's OIDC and portal, container and instance
//! metadata, a pty driver, the botocore INI oracle), the pinned virtualenv.

// A failed expectation in a test helper is a failed test with its location.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod sso;
pub use sso::{Account, Sso};

/// The project's fakes (Python scripts run with the virtualenv's interpreter).
pub fn fakes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fakes")
}

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
#[derive(Debug)]
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
pub(crate) fn spawn_listening(what: &str, make: impl Fn(u16) -> Command) -> (Child, String) {
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

/// A folder served over plain HTTP by Python's `http.server` (an identity provider's
/// published keys, say), stopped on drop.
#[derive(Debug)]
pub struct Files {
    child: Child,
    pub url: String,
}

impl Files {
    pub fn serve(dir: &Path) -> Self {
        let (child, url) = spawn_listening("http.server", |port| {
            let mut cmd = Command::new(venv().join("bin/python"));
            cmd.args(["-m", "http.server", "--bind", "127.0.0.1"])
                .arg("--directory")
                .arg(dir)
                .arg(port.to_string());
            cmd
        });
        Self { child, url }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fake container-credentials endpoint and instance metadata service
/// (`fakes/metadata.py`), stopped on drop.
#[derive(Debug)]
pub struct Metadata {
    child: Child,
    pub url: String,
}

impl Metadata {
    pub fn start() -> Self {
        let script = fakes_dir().join("metadata.py");
        let (child, url) = spawn_listening("the metadata fake", |port| {
            let mut cmd = Command::new(venv().join("bin/python"));
            cmd.arg(&script).arg(port.to_string());
            cmd
        });
        Self { child, url }
    }

    /// How many credential answers it has given.
    pub fn hits(&self) -> u64 {
        http_get(&format!("{}/_fake/hits", self.url))
            .1
            .trim()
            .parse()
            .expect("count")
    }
}

impl Drop for Metadata {
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

/// moto behind the federation fake (`fakes/federation.py`): STS requests go through
/// the fake, which learns how each credential was issued; `/federation` follows AWS's rules.
#[derive(Debug)]
pub struct Console {
    _moto: Moto,
    child: Child,
    pub url: String,
}

impl Console {
    pub fn start() -> Self {
        let moto = Moto::start();
        let script = fakes_dir().join("federation.py");
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

    /// moto itself, behind the fake (calls made there are not counted by `sts_calls`).
    pub fn moto_url(&self) -> &str {
        &self._moto.url
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

    /// While `down`, every STS call through the fake is answered 503 ServiceUnavailable.
    pub fn sts_down(&self, down: bool) {
        http_get(&format!(
            "{}/_fake/sts-down?on={}",
            self.url,
            u8::from(down)
        ));
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

/// moto behind the recording proxy (`fakes/recorder.py`): which key signed each STS and
/// IAM call, and failures injected as IAM would give them.
#[derive(Debug)]
pub struct Recorder {
    pub moto: Moto,
    child: Child,
    pub url: String,
}

impl Recorder {
    pub fn start() -> Self {
        let moto = Moto::start();
        let script = fakes_dir().join("recorder.py");
        let (child, url) = spawn_listening("the recording proxy", |port| {
            let mut cmd = Command::new(venv().join("bin/python"));
            cmd.arg(&script).args([&port.to_string(), &moto.url]);
            cmd
        });
        Self { moto, child, url }
    }

    /// Every call so far: `{"action", "key", "token", "params", "failed"}`.
    pub fn log(&self) -> Vec<serde_json::Value> {
        let (_, body) = http_get(&format!("{}/_fake/log", self.url));
        serde_json::from_str(&body).expect("recorder log")
    }

    /// (action, signing key) of every call so far.
    pub fn calls(&self) -> Vec<(String, String)> {
        self.log()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap_or_default().to_owned(),
                    e["key"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// From now on `action` fails with `code` (HTTP 403), except when signed by `unless_key`.
    pub fn fail(&self, action: &str, code: &str, unless_key: Option<&str>) {
        let unless = unless_key
            .map(|k| format!("&unless_key={k}"))
            .unwrap_or_default();
        http_get(&format!(
            "{}/_fake/fail?action={action}&code={code}{unless}",
            self.url
        ));
    }

    pub fn clear_failures(&self) {
        http_get(&format!("{}/_fake/clear", self.url));
    }
}

impl Drop for Recorder {
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
    let (status, body) = status_and_body(&raw);
    let location = raw
        .lines()
        .find_map(|l| {
            l.strip_prefix("Location: ")
                .or_else(|| l.strip_prefix("location: "))
        })
        .map(str::to_owned);
    (status, location.unwrap_or(body))
}

/// The status code and the body of a raw HTTP/1.1 response.
pub fn status_and_body(raw: &str) -> (u16, String) {
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
