//! The broker's service in-process, on a fake STS and an SQLite store in a temporary
//! directory (no emulator: the hermetic tier): every body over the limit is 413 before any
//! handler, a wrong method is 405 in JSON, a bad query parameter is named as the client
//! sends it (never as a CLI flag), and a vend goes through the one engine as the learner.

// A failed unwrap in a test is a failed test with its location: what we want here.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tempcreds_broker::app::{App, router};
use tempcreds_broker::config::Config;
use tempcreds_broker::limit::Limiter;
use tempcreds_broker::metrics::Metrics;
use tempcreds_broker::{api, token};
use tempcreds_core::provision::iam::SdkIam;
use tempcreds_core::sts::{AssumeRoleInput, AssumedRole, FederationInput, Mfa, SdkSts, Sts};
use tempcreds_core::{Credentials, Error, Origin};
use tempcreds_store::{SqlStore, Store, User};
use time::OffsetDateTime;

/// STS that answers every AssumeRole and keeps what it was asked.
#[derive(Debug)]
struct FakeSts {
    caller: Credentials,
    asked: Mutex<Vec<AssumeRoleInput>>,
}

fn creds(id: &str, token: bool) -> Credentials {
    Credentials {
        access_key_id: id.to_owned(),
        secret_access_key: SecretString::from(format!("secret-{id}")),
        session_token: token.then(|| SecretString::from(format!("token-{id}"))),
        expiration: Some(OffsetDateTime::now_utc() + time::Duration::hours(1)),
        origin: Origin::LongTerm,
    }
}

impl Sts for FakeSts {
    fn caller_is_temporary(&self) -> bool {
        false
    }
    fn caller_credentials(&self) -> &Credentials {
        &self.caller
    }
    async fn assume_role(&self, input: &AssumeRoleInput) -> Result<AssumedRole, Error> {
        self.asked.lock().unwrap().push(input.clone());
        Ok(AssumedRole {
            credentials: creds("ASIAVENDED", true),
            assumed_role_arn: format!(
                "arn:aws:sts::123456789012:assumed-role/{}/{}",
                input.role_arn.name, input.session_name
            ),
        })
    }
    async fn get_federation_token(&self, _: &FederationInput) -> Result<Credentials, Error> {
        Err(Error::refused("not in this test", None))
    }
    async fn get_session_token(&self, _: &Mfa, _: Option<u32>) -> Result<Credentials, Error> {
        Err(Error::refused("not in this test", None))
    }
    async fn caller_arn(&self) -> Result<String, Error> {
        Ok("arn:aws:iam::123456789012:user/broker".into())
    }
}

struct Service {
    addr: SocketAddr,
    token: String,
    sts: Arc<FakeSts>,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn start() -> Service {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(
        "listen = \"127.0.0.1:0\"\nmax_body_bytes = 1024\n[roles.lab]\narn = \"arn:aws:iam::123456789012:role/Lab\"\ntags = { course = \"aws101\" }\n",
        dir.path(),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sts = Arc::new(FakeSts {
        caller: creds("AKIABROKER", false),
        asked: Mutex::new(Vec::new()),
    });
    let (addr, token) = rt.block_on(async {
        let store = SqlStore::open(&config.database).await.unwrap();
        let (secret, record) = token::mint();
        let alice = User {
            name: "alice".into(),
            admin: false,
            roles: vec!["lab".into()],
            created_at: 0,
            revoked_at: None,
        };
        store.add_user(&alice, &record).await.unwrap();
        // IAM is only for revocations, which this test does not make.
        let offline = SdkSts::with_credentials("us-east-1", &creds("AKIAIAM", false))
            .await
            .unwrap();
        let app = Arc::new(App {
            limiter: Limiter::new(1000),
            metrics: Metrics::new(),
            page: api::page_html(&config),
            oidc: None,
            iam: SdkIam::new(&offline, Box::new(|_| {})),
            config,
            store,
            sts: Arc::clone(&sts),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await });
        (addr, secret.expose_secret().to_owned())
    });
    Service {
        addr,
        token,
        sts,
        _dir: dir,
        _rt: rt,
    }
}

/// One raw HTTP/1.1 request: (status, body). `chunked` sends the body without a length.
fn request(s: &Service, method: &str, path: &str, body: &[u8], chunked: bool) -> (u16, String) {
    let mut c = TcpStream::connect(s.addr).unwrap();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {}", body.len())
    };
    write!(
        c,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n{length}\r\n\r\n",
        s.token
    )
    .unwrap();
    // The broker may answer 413 and close before the whole body is sent: a write that
    // then fails is expected, the answer is what counts.
    if chunked {
        for part in body.chunks(256) {
            let _ = write!(c, "{:x}\r\n", part.len());
            let _ = c.write_all(part);
            let _ = c.write_all(b"\r\n");
        }
        let _ = c.write_all(b"0\r\n\r\n");
    } else {
        let _ = c.write_all(body);
    }
    let mut raw = String::new();
    let _ = c.read_to_string(&mut raw);
    tempcreds_testkit::status_and_body(&raw)
}

fn error_of(body: &str) -> String {
    let start = body.find('{').unwrap_or(0);
    let end = body.rfind('}').map_or(body.len(), |i| i + 1);
    let v: Value = serde_json::from_str(&body[start..end]).unwrap_or(Value::Null);
    v["error"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn bodies_over_the_limit_are_refused_before_any_handler_on_every_route() {
    let s = start();
    let big = vec![b'x'; 2048];
    for path in [
        "/v1/credentials/lab",
        "/v1/login",
        "/v1/logout",
        "/v1/admin/users/bob/revoke",
    ] {
        for chunked in [false, true] {
            let (status, body) = request(&s, "POST", path, &big, chunked);
            assert_eq!(status, 413, "{path} chunked={chunked}: {body}");
        }
    }
    assert!(s.sts.asked.lock().unwrap().is_empty(), "nothing vended");
    let (status, _) = request(&s, "POST", "/v1/credentials/lab", b"", false);
    assert_eq!(status, 200);
}

#[test]
fn a_wrong_method_is_405_naming_the_one_to_use() {
    let s = start();
    let (status, body) = request(&s, "GET", "/v1/credentials/lab", b"", false);
    assert_eq!(status, 405, "{body}");
    assert_eq!(error_of(&body), "GET is not allowed here: use POST");
    let (status, body) = request(&s, "POST", "/v1/me", b"", false);
    assert_eq!(status, 405);
    assert!(error_of(&body).contains("use GET"), "{body}");
}

#[test]
fn a_vend_is_the_learner_through_the_engine_and_errors_name_query_parameters() {
    let s = start();
    let (status, body) = request(&s, "POST", "/v1/credentials/lab?duration=5m", b"", false);
    assert_eq!(status, 400);
    let e = error_of(&body);
    assert!(e.starts_with("?duration=: "), "{e}");
    assert!(!e.contains("--"), "no CLI flag reaches an HTTP client: {e}");
    let (status, body) = request(&s, "GET", "/v1/console/lab?service=s3/../x", b"", false);
    assert_eq!(status, 400);
    assert!(error_of(&body).starts_with("?service=: "), "{body}");
    assert!(s.sts.asked.lock().unwrap().is_empty());

    let (status, body) = request(&s, "POST", "/v1/credentials/lab?duration=30m", b"", false);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("assumed-role/Lab/alice"), "{body}");
    let asked = s.sts.asked.lock().unwrap();
    let input = &asked[0];
    assert_eq!(input.session_name, "alice");
    assert_eq!(input.source_identity.as_deref(), Some("alice"));
    assert_eq!(input.duration_seconds, Some(1800));
    let tags: Vec<(&str, &str)> = input
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    assert_eq!(tags, [("course", "aws101"), ("user", "alice")]);
    drop(asked);
    let (status, body) = request(&s, "GET", "/v1/sessions", b"", false);
    assert_eq!(status, 200);
    assert!(body.contains("ASIAVENDED"), "the audit row: {body}");
}

#[test]
fn a_config_with_a_port_that_cannot_exist_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:99999\"\n").unwrap();
    let e = Config::load(&path).unwrap_err().to_string();
    assert!(e.contains("listen: must be HOST:PORT"), "{e}");
    assert!(!Path::new(&dir.path().join("broker.db")).exists());
}
