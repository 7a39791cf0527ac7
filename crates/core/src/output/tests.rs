//! The formatters, on exact output; the shell quoting is also run through real shells by the
//! end-to-end tests.

use secrecy::SecretString;

use super::*;
use crate::{Credentials, Origin};

fn creds(secret: &str) -> Credentials {
    Credentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: SecretString::from(secret),
        session_token: Some(SecretString::from("TOKEN")),
        expiration: Some(time::macros::datetime!(2026-11-22 23:02:59 UTC)),
        origin: Origin::AssumedRole { chained: false },
    }
}

#[test]
fn json_has_the_contract_keys_in_order() {
    let out = json(
        &creds("SECRET"),
        Some("arn:aws:sts::123456789012:assumed-role/Lab/alice"),
        None,
    );
    assert_eq!(
        out,
        "{\n  \"AccessKeyId\": \"ASIAEXAMPLE\",\n  \"SecretAccessKey\": \"SECRET\",\n  \"SessionToken\": \"TOKEN\",\n  \"Expiration\": \"2026-11-22T23:02:59Z\",\n  \"AssumedRoleArn\": \"arn:aws:sts::123456789012:assumed-role/Lab/alice\"\n}\n"
    );
    assert!(
        json(&creds("S"), None, Some("https://link"))
            .contains("\"ConsoleMagicLink\": \"https://link\"")
    );
}

#[test]
fn credential_process_is_version_1_on_one_line() {
    assert_eq!(
        credential_process(&creds("SECRET")),
        "{\"Version\":1,\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"SECRET\",\"SessionToken\":\"TOKEN\",\"Expiration\":\"2026-11-22T23:02:59Z\"}\n"
    );
}

#[test]
fn env_names_exactly_the_contract_variables() {
    let names = |region, legacy| -> Vec<&str> {
        env_vars(&creds("S"), region, legacy)
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    };
    assert_eq!(
        names(None, false),
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION"
        ]
    );
    assert_eq!(
        names(Some("eu-west-1"), true)[5..],
        [
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY",
            "AWS_SECRET_KEY",
            "AWS_DELEGATION_TOKEN"
        ]
    );
}

#[test]
fn env_quotes_for_each_shell() {
    let vars = vec![("V", r#"a'b"c$d\e`f"#.to_owned())];
    assert_eq!(env(&vars, Shell::Sh), "export V='a'\\''b\"c$d\\e`f'\n");
    assert_eq!(env(&vars, Shell::Fish), "set -gx V 'a\\'b\"c$d\\\\e`f'\n");
    assert_eq!(env(&vars, Shell::PowerShell), "$Env:V = 'a''b\"c$d\\e`f'\n");
    let curly = vec![("V", "x\u{2019}y".to_owned())];
    assert_eq!(
        env(&curly, Shell::PowerShell),
        "$Env:V = 'x\u{2019}\u{2019}y'\n"
    );
}

#[test]
fn ini_section() {
    assert_eq!(
        ini(&creds("SECRET"), "alice"),
        "[alice]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = SECRET\naws_session_token = TOKEN\nx_security_token_expires = 2026-11-22T23:02:59Z\n"
    );
}
