//! Vending, as a learner sees it: keys that work with the AWS CLI, the container-credentials
//! endpoint the CLI refreshes from by itself, the console redirect, and the audit log.

use serde_json::Value;

use crate::harness::{Broker, CONFIG, aws};
use tempcreds_testkit::{Console, http_get};

/// Who the vended keys `c` (credential_process JSON) sign as, by the AWS CLI at `endpoint`.
pub fn keys_arn(b: &Broker, endpoint: &str, c: &Value) -> String {
    let field = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
    caller_arn(
        b,
        &[
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", &field("AccessKeyId")),
            ("AWS_SECRET_ACCESS_KEY", &field("SecretAccessKey")),
            ("AWS_SESSION_TOKEN", &field("SessionToken")),
        ],
    )
}

pub fn caller_arn(b: &Broker, env: &[(&str, &str)]) -> String {
    let out = aws(
        b.dir.path(),
        env,
        &["sts", "get-caller-identity", "--output", "json"],
    );
    assert!(
        out.status.success(),
        "aws: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["Arn"].as_str().unwrap().to_owned()
}

#[test]
fn credentials_are_the_learners_own_and_audited_before_they_leave() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    let alice = b.add_user("alice", &["lab"], false);

    let resp = b.post("/v1/credentials/lab?duration=15m", Some(&alice));
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let c: Value = resp.json().unwrap();
    assert_eq!(c["Version"], 1);
    assert_eq!(c["Role"], "lab");
    assert_eq!(
        c["AssumedRoleArn"],
        "arn:aws:sts::123456789012:assumed-role/Lab/alice"
    );
    let expires = time::OffsetDateTime::parse(
        c["Expiration"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = (expires - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!(
        (800..=900).contains(&left),
        "asked for 15 minutes, got {left} s"
    );

    let arn = keys_arn(&b, &console.url, &c);
    assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/Lab/alice");

    let rows: Value = b.get("/v1/sessions", Some(&alice)).json().unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["user"], "alice");
    assert_eq!(row["role"], "lab");
    assert_eq!(row["kind"], "credentials");
    assert_eq!(row["session_name"], "alice");
    assert_eq!(row["access_key_id"], c["AccessKeyId"]);
    assert_eq!(row["expires_at"], c["Expiration"]);
    assert_eq!(row["client_addr"], "127.0.0.1");
    let text = row.to_string();
    assert!(
        !text.contains(c["SecretAccessKey"].as_str().unwrap()),
        "no secret in the audit"
    );

    // Beyond the role's maximum (2h) is refused, naming the query parameter and the rule.
    let resp = b.post("/v1/credentials/lab?duration=3h", Some(&alice));
    assert_eq!(resp.status(), 400);
    let e: Value = resp.json().unwrap();
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .starts_with("?duration=: must be between"),
        "{e}"
    );
}

#[test]
fn the_aws_cli_reads_the_container_endpoint_with_the_token() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    let alice = b.add_user("alice", &["lab"], false);
    let uri = format!("{}/v1/ecs/lab", b.url);
    let arn = caller_arn(
        &b,
        &[
            ("AWS_ENDPOINT_URL", &console.url),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", &alice),
        ],
    );
    assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/Lab/alice");
    let rows: Value = b.get("/v1/sessions", Some(&alice)).json().unwrap();
    assert_eq!(rows[0]["kind"], "ecs");

    // A wrong token: the CLI finds no credentials, and says so.
    let out = aws(
        b.dir.path(),
        &[
            ("AWS_ENDPOINT_URL", &console.url),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                "tcb_000000000000_00000000000000000000000000000000",
            ),
        ],
        &["sts", "get-caller-identity"],
    );
    assert!(!out.status.success());
}

#[test]
fn the_console_is_a_fresh_redirect_never_cached() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    let alice = b.add_user("alice", &["lab"], false);
    let first = b.get("/v1/console/lab?service=s3", Some(&alice));
    assert_eq!(first.status(), 302);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let link = first.headers()["location"].to_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("{}/federation?Action=login&Issuer=https%3A%2F%2Flabs.example.com&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3", console.url)), "{link}");
    assert!(link.contains("&SigninToken="), "{link}");
    // The fake took the credentials as AssumeRole ones, without SessionDuration: the console
    // session lasts as long as the credentials (the role's 2 hours).
    let log = console.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].get("SessionDuration").is_none(), "{log:?}");
    assert_eq!(log[0]["console_seconds"], 7200, "{log:?}");
    // And the link signs in: the fake redirects to the console page.
    let (status, to) = http_get(&link);
    assert_eq!(
        (status, to.as_str()),
        (
            302,
            "https://console.aws.amazon.com/s3/home?region=us-east-1"
        )
    );
    let second = b.get("/v1/console/lab", Some(&alice));
    assert_ne!(
        second.headers()["location"].to_str().unwrap(),
        link,
        "minted anew"
    );
    let rows: Value = b.get("/v1/sessions", Some(&alice)).json().unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["kind"] == "console")
    );
}
