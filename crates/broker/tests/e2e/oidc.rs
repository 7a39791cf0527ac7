//! Sign-in with an identity provider's ID token: a stand-in provider publishes an ES256 key
//! as a JWKS file; tokens it signs let a broker user in (API, container endpoint read by the
//! AWS CLI), and every token that fails a check (signature, expiry, audience, issuer,
//! algorithm, key id, user claim) is refused with 401. Grants and revocation stay the
//! broker's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::harness::{Broker, CONFIG, create_roles};
use crate::vend::caller_arn;
use tempcreds_testkit::{Console, Files};

const ISSUER: &str = "https://idp.example.com";
const AUDIENCE: &str = "tempcreds-broker";

/// The provider: its signing key, and its key set served over HTTP on 127.0.0.1.
struct Idp {
    _dir: tempfile::TempDir,
    files: Files,
    key: EncodingKey,
}

fn es256_key() -> (EncodingKey, Value) {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    // public_key_raw is the uncompressed point: 0x04, then x and y, 32 bytes each.
    let point = pair.public_key_raw();
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": "k1",
        "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65]),
    });
    (EncodingKey::from_ec_der(&pair.serialize_der()), jwk)
}

impl Idp {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (key, jwk) = es256_key();
        std::fs::write(
            dir.path().join("jwks.json"),
            json!({ "keys": [jwk] }).to_string(),
        )
        .unwrap();
        let files = Files::serve(dir.path());
        Self {
            _dir: dir,
            files,
            key,
        }
    }

    fn config(&self) -> String {
        format!(
            "{CONFIG}\n[oidc]\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\n\
             jwks_url = \"{}/jwks.json\"\nuser_claim = \"preferred_username\"\n",
            self.files.url
        )
    }

    /// Claims valid for 10 minutes for `user`, with `change` applied.
    fn claims(user: &str, change: impl FnOnce(&mut Value)) -> Value {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut c = json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "00u1abc", "preferred_username": user,
            "iat": now, "exp": now + 600,
        });
        change(&mut c);
        c
    }

    fn sign(&self, claims: &Value) -> String {
        sign_with(&self.key, claims)
    }
}

fn sign_with(key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k1".into());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

#[test]
fn an_id_token_signs_a_broker_user_in_to_the_api_and_the_container_endpoint() {
    let console = Console::start();
    let idp = Idp::start();
    let b = Broker::start(&console, &idp.config());
    create_roles(&b);
    let broker_token = b.add_user("alice", &["lab"], false);
    let id_token = idp.sign(&Idp::claims("alice", |_| {}));

    let me: Value = b.get("/v1/me", Some(&id_token)).json().unwrap();
    assert_eq!(me["name"], "alice");
    assert_eq!(
        b.post("/v1/credentials/prod", Some(&id_token)).status(),
        403
    );
    assert_eq!(b.post("/v1/credentials/lab", Some(&id_token)).status(), 200);

    let arn = caller_arn(
        &b,
        &[
            ("AWS_ENDPOINT_URL", &console.url),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                &format!("{}/v1/ecs/lab", b.url),
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", &id_token),
        ],
    );
    assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/Lab/alice");

    // Both ways in lead to the same user and the same audit log.
    let rows: Value = b.get("/v1/sessions", Some(&broker_token)).json().unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");

    // The web page's sign-in takes the ID token too, and its label says so.
    let page = b.get("/", None).text().unwrap();
    assert!(
        page.contains(&format!(
            ">Your broker token, or an ID token from {ISSUER}<"
        )),
        "{page}"
    );
    let login = Broker::client()
        .post(format!("{}/v1/login", b.url))
        .json(&json!({ "token": id_token }))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);

    // A revoked user is refused whichever token they bring.
    let out = b.run(&["user", "revoke", "alice"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(b.get("/v1/me", Some(&id_token)).status(), 403);
}

#[test]
fn id_tokens_failing_any_check_are_refused() {
    let console = Console::start();
    let idp = Idp::start();
    let b = Broker::start(&console, &idp.config());
    b.add_user("alice", &["lab"], false);
    let (stranger_key, _) = es256_key();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    let unsigned = {
        let header = B64.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        let body = B64.encode(Idp::claims("alice", |_| {}).to_string());
        format!("{header}.{body}.")
    };
    let hmac = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &Idp::claims("alice", |_| {}),
        &EncodingKey::from_secret(b"guessable"),
    )
    .unwrap();
    let unknown_kid = {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("k9".into());
        jsonwebtoken::encode(&header, &Idp::claims("alice", |_| {}), &idp.key).unwrap()
    };
    let refused = [
        (
            "expired",
            idp.sign(&Idp::claims("alice", |c| c["exp"] = json!(now - 3600))),
        ),
        (
            "not yet valid",
            idp.sign(&Idp::claims("alice", |c| c["nbf"] = json!(now + 3600))),
        ),
        (
            "another audience",
            idp.sign(&Idp::claims("alice", |c| c["aud"] = json!("other-app"))),
        ),
        (
            "another issuer",
            idp.sign(&Idp::claims("alice", |c| {
                c["iss"] = json!("https://evil.example.com")
            })),
        ),
        (
            "no expiry",
            idp.sign(&Idp::claims("alice", |c| {
                c.as_object_mut().unwrap().remove("exp");
            })),
        ),
        (
            "no user claim",
            idp.sign(&Idp::claims("alice", |c| {
                c.as_object_mut().unwrap().remove("preferred_username");
            })),
        ),
        (
            "signed by another key",
            sign_with(&stranger_key, &Idp::claims("alice", |_| {})),
        ),
        ("alg none", unsigned),
        ("HMAC", hmac),
        ("unknown key id", unknown_kid),
        ("tampered", {
            let t = idp.sign(&Idp::claims("bob", |_| {}));
            let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
            parts[1] = B64.encode(Idp::claims("alice", |_| {}).to_string());
            parts.join(".")
        }),
    ];
    for (what, token) in &refused {
        let resp = b.get("/v1/me", Some(token));
        assert_eq!(resp.status(), 401, "{what} was not refused");
    }

    // A valid token for someone the broker does not know: authenticated, not authorised.
    let bob = idp.sign(&Idp::claims("bob", |_| {}));
    let resp = b.get("/v1/me", Some(&bob));
    assert_eq!(resp.status(), 403);
    let err: Value = resp.json().unwrap();
    assert!(
        err["error"].as_str().unwrap().contains("user add bob"),
        "{err}"
    );

    // Each refusal is logged with its reason (each case fails the check it is there for),
    // and never with the token.
    let log = std::fs::read_to_string(b.log()).unwrap();
    let reasons: Vec<&str> = log
        .lines()
        .filter_map(|l| l.split_once("OIDC token refused: ").map(|(_, r)| r))
        .collect();
    let expected = [
        "ExpiredSignature",
        "ImmatureSignature",
        "InvalidAudience",
        "InvalidIssuer",
        "Missing required claim: exp",
        "no string claim \"preferred_username\"",
        "InvalidSignature",
        "not a signed JWT",
        "algorithm HS256 is not accepted",
        "no key Some(\"k9\")",
        "InvalidSignature",
    ];
    assert_eq!(reasons.len(), expected.len(), "{reasons:#?}");
    for (reason, want) in reasons.iter().zip(expected) {
        assert!(
            reason.contains(want),
            "refused for {reason:?}, expected {want:?}"
        );
    }
    for (_, token) in &refused {
        assert!(!log.contains(token.as_str()), "a token reached the log");
    }
}
