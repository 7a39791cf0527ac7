//! The broker as a long-running service: HTTPS with the configured certificate (and exit 2
//! for a wrong one, before anything listens), and its own AWS credentials fetched again as
//! they expire rather than used past their expiry.

use std::path::Path;
use std::time::Duration;

use crate::harness::{Broker, CONFIG, create_roles};
use tempcreds_testkit::Console;

/// A self-signed certificate for 127.0.0.1 and localhost, written as cert.pem and key.pem.
fn certificate(dir: &Path) -> reqwest::Certificate {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), ck.cert.pem()).unwrap();
    private(&dir.join("key.pem"), &ck.signing_key.serialize_pem());
    reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap()
}

/// A private key file, 0600 as an operator keeps it (the broker warns otherwise).
fn private(path: &Path, pem: &str) {
    std::fs::write(path, pem).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
}

fn tls_config() -> String {
    format!("tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n{CONFIG}")
}

#[test]
fn https_with_the_configured_certificate_vends_and_marks_the_cookie_secure() {
    let console = Console::start();
    let mut b = Broker::configured(&console.url, &tls_config());
    let ca = certificate(b.dir.path());
    b.serve();
    assert!(b.url.starts_with("https://127.0.0.1:"), "{}", b.url);
    create_roles(&b);
    let alice = b.add_user("alice", &["lab"], false);

    let client = reqwest::blocking::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let health = client.get(format!("{}/healthz", b.url)).send().unwrap();
    assert_eq!(health.status(), 200);

    let keys = client
        .post(format!("{}/v1/credentials/lab", b.url))
        .bearer_auth(&alice)
        .send()
        .unwrap();
    assert_eq!(keys.status(), 200);
    let c: serde_json::Value = keys.json().unwrap();
    assert!(
        c["AccessKeyId"].as_str().unwrap().starts_with("ASIA"),
        "{c}"
    );

    let login = client
        .post(format!("{}/v1/login", b.url))
        .json(&serde_json::json!({ "token": alice }))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");

    // A client that does not trust the certificate is refused, and so is plain HTTP.
    let untrusting = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(untrusting.get(format!("{}/healthz", b.url)).send().is_err());
    let plain = b.url.replace("https://", "http://");
    let answer = Broker::client().get(format!("{plain}/healthz")).send();
    assert!(
        answer.is_err() || answer.is_ok_and(|r| r.status() != 200),
        "plain HTTP was answered on the TLS port"
    );

    // SIGTERM still shuts down cleanly over TLS.
    assert!(b.stop().is_some_and(|s| s.success()));
}

#[test]
fn a_missing_or_mismatched_key_stops_the_start_with_exit_2() {
    let b = Broker::configured("http://127.0.0.1:9", &tls_config());
    certificate(b.dir.path());

    std::fs::remove_file(b.dir.path().join("key.pem")).unwrap();
    let out = b.run(&["serve"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tls_key: cannot read"), "{err}");
    assert!(out.stdout.is_empty(), "nothing may listen");

    // Another key than the certificate's.
    let other = rcgen::KeyPair::generate().unwrap();
    private(&b.dir.path().join("key.pem"), &other.serialize_pem());
    let out = b.run(&["serve"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tls_cert/tls_key"), "{err}");
    assert_eq!(
        err.trim().lines().count(),
        2,
        "one error line and a hint: {err}"
    );
    assert!(out.stdout.is_empty(), "nothing may listen");
}

/// The broker's source credentials come from a `credential_process` that hands out keys
/// expiring in seconds, and counts how often it is asked.
#[test]
fn the_brokers_own_credentials_are_fetched_again_as_they_expire() {
    let console = Console::start();
    let mut b = Broker::configured(&console.url, CONFIG);
    create_roles(&b);
    let alice = b.add_user("alice", &["lab"], false);

    let home = b.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let count = b.dir.path().join("asked");
    let process = b.dir.path().join("source-creds.sh");
    std::fs::write(
        &process,
        format!(
            "#!/bin/sh\necho asked >> '{}'\nexp=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)\n\
             printf '{{\"Version\":1,\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\",\
             \"SecretAccessKey\":\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\",\
             \"Expiration\":\"%s\"}}' \"$exp\"\n",
            count.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &process,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(
        home.join("aws-config"),
        format!("[default]\ncredential_process = {}\n", process.display()),
    )
    .unwrap();
    b.serve_with(|cmd| {
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
    });
    let asked = || {
        std::fs::read_to_string(&count)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let at_start = asked();
    assert!(at_start >= 1, "the source is resolved at start");

    for _ in 0..2 {
        assert_eq!(b.post("/v1/credentials/lab", Some(&alice)).status(), 200);
        std::thread::sleep(Duration::from_secs(1));
    }
    // Keys a few seconds from expiry are never reused: each vend asked for fresh ones.
    assert!(
        asked() >= at_start + 2,
        "asked {} times after {at_start} at start",
        asked()
    );
}

#[test]
fn oversized_bodies_and_wrong_methods_are_refused_on_every_route_by_the_binary() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    create_roles(&b);
    let alice = b.add_user("alice", &["lab"], false);
    let client = Broker::client();
    let big = "x".repeat(20 * 1024); // the default max_body_bytes is 16 KiB
    let before = console.sts_calls();
    for path in ["/v1/credentials/lab", "/v1/login", "/v1/logout"] {
        let r = client
            .post(format!("{}{path}", b.url))
            .bearer_auth(&alice)
            .body(big.clone())
            .send()
            .unwrap();
        assert_eq!(r.status(), 413, "{path}");
    }
    assert_eq!(
        console.sts_calls(),
        before,
        "nothing was vended for an oversized body"
    );
    let r = client
        .get(format!("{}/v1/credentials/lab", b.url))
        .bearer_auth(&alice)
        .send()
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let e: serde_json::Value = r.json().unwrap();
    assert_eq!(e["error"], "GET is not allowed here: use POST");
}
