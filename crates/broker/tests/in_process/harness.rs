//! The service under test: the broker's router on 127.0.0.1:0 in its own runtime, over a
//! fake STS that answers every AssumeRole and keeps what it was asked, with two users made
//! through the store — alice (a learner, role lab) and root (an administrator).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
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
use tempcreds_store::{Change, Grant, SqlStore, Store, User};
use time::OffsetDateTime;

pub const CONFIG: &str = "listen = \"127.0.0.1:0\"\nmax_body_bytes = 1024\nmax_admin_body_bytes = 4096\n[roles.lab]\narn = \"arn:aws:iam::123456789012:role/Lab\"\nmax_duration = \"2h\"\ntags = { course = \"aws101\" }\n[roles.prod]\narn = \"arn:aws:iam::123456789012:role/Prod\"\n";

/// STS that answers every AssumeRole and keeps what it was asked.
#[derive(Debug)]
pub struct FakeSts {
    caller: Credentials,
    pub asked: Mutex<Vec<AssumeRoleInput>>,
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
    async fn get_session_token(
        &self,
        _: Option<&Mfa>,
        _: Option<u32>,
    ) -> Result<Credentials, Error> {
        Err(Error::refused("not in this test", None))
    }
    async fn caller_arn(&self) -> Result<String, Error> {
        Ok("arn:aws:iam::123456789012:user/broker".into())
    }
}

pub struct Service {
    pub addr: SocketAddr,
    pub url: String,
    /// alice's token (a learner with role lab).
    pub token: String,
    /// root's token (an administrator).
    pub root: String,
    pub sts: Arc<FakeSts>,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

pub fn start() -> Service {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(CONFIG, dir.path()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sts = Arc::new(FakeSts {
        caller: creds("AKIABROKER", false),
        asked: Mutex::new(Vec::new()),
    });
    let (addr, token, root) = rt.block_on(async {
        let store = SqlStore::open(&config.database).await.unwrap();
        let alice = add(&store, "alice", false, &["lab"]).await;
        let root = add(&store, "root", true, &[]).await;
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
        (addr, alice, root)
    });
    Service {
        addr,
        url: format!("http://{addr}"),
        token,
        root,
        sts,
        _dir: dir,
        _rt: rt,
    }
}

/// Adds a user through the store; returns their token.
async fn add(store: &SqlStore, name: &str, admin: bool, roles: &[&str]) -> String {
    let (secret, record) = token::mint();
    let user = User {
        name: name.into(),
        admin,
        grants: roles.iter().map(|r| Grant::open(*r)).collect(),
        created_at: 0,
        revoked_at: None,
        token_expires_at: None,
    };
    let change = Change {
        actor: "test".into(),
        at: 0,
        client_addr: "local".into(),
        detail: "{}".into(),
    };
    store.add_user(&user, &record, &change).await.unwrap();
    secret.expose_secret().to_owned()
}

/// One raw HTTP/1.1 request: (status, body). `chunked` sends the body without a length.
pub fn request(s: &Service, method: &str, path: &str, body: &[u8], chunked: bool) -> (u16, String) {
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

pub fn error_of(body: &str) -> String {
    let start = body.find('{').unwrap_or(0);
    let end = body.rfind('}').map_or(body.len(), |i| i + 1);
    let v: Value = serde_json::from_str(&body[start..end]).unwrap_or(Value::Null);
    v["error"].as_str().unwrap_or_default().to_owned()
}
