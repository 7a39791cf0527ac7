//! broker.toml: what is accepted, and each rule a bad value breaks (the key and the rule).

use std::path::Path;

use super::*;

const GOOD: &str = r#"
listen = "127.0.0.1:0"
database = "sqlite:data/broker.db"

[roles.lab]
arn = "arn:aws:iam::123456789012:role/Lab"
max_duration = "2h"
session_policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::labs/${user}/*"}]}'
tags = { course = "aws101" }
"#;

fn parse(text: &str) -> Result<Config, ParseError> {
    Config::parse(text, Path::new("/etc/broker"))
}

fn invalid(text: &str) -> String {
    match parse(text) {
        Err(ParseError::Invalid(i)) => i.to_string(),
        other => panic!("expected an invalid value, got {other:?}"),
    }
}

#[test]
fn a_good_config_with_defaults_and_the_user_placeholder() {
    let c = parse(GOOD).expect("good");
    assert_eq!(
        c.database, "sqlite:/etc/broker/data/broker.db",
        "relative to the config file"
    );
    assert_eq!(c.rate_limit_per_minute, 60);
    let lab = &c.roles["lab"];
    assert_eq!(lab.max_duration, 7200);
    assert_eq!(
        lab.tags,
        [Tag {
            key: "course".into(),
            value: "aws101".into()
        }]
    );
    let policy = lab.policy_for("alice").expect("policy");
    assert!(policy.contains("arn:aws:s3:::labs/alice/*"), "{policy}");
    assert!(!policy.contains(' '), "minified: {policy}");
}

#[test]
fn each_bad_value_names_its_key_and_rule() {
    let arn = GOOD.replace(
        "arn:aws:iam::123456789012:role/Lab",
        "arn:aws:iam::1234:role/Lab",
    );
    assert!(
        invalid(&arn).starts_with("roles.lab.arn:"),
        "{}",
        invalid(&arn)
    );
    let dur = GOOD.replace("\"2h\"", "\"13h\"");
    assert!(
        invalid(&dur).starts_with("roles.lab.max_duration: must be between"),
        "{}",
        invalid(&dur)
    );
    let tag = GOOD.replace("course = ", "user = ");
    assert!(
        invalid(&tag).contains("roles.lab.tags"),
        "{}",
        invalid(&tag)
    );
    let name = GOOD.replace("[roles.lab]", "[roles.\"la b\"]");
    assert!(invalid(&name).contains("roles.la b"), "{}", invalid(&name));
    let db = GOOD.replace("sqlite:data/broker.db", "mysql://h/db");
    assert!(invalid(&db).starts_with("database:"), "{}", invalid(&db));
    let rate = format!("rate_limit_per_minute = 0\n{GOOD}");
    assert!(
        invalid(&rate).starts_with("rate_limit_per_minute"),
        "{}",
        invalid(&rate)
    );
}

#[test]
fn a_policy_that_fits_only_for_short_names_is_refused() {
    // 2048 characters with "${user}" (7), but more with a 64-character name.
    let pad = "a".repeat(2048 - 110);
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{pad}","Effect":"Allow","Action":"s3:*","Resource":"${{user}}"}}]}}"#
    );
    assert!(policy.len() <= 2048, "{}", policy.len());
    let text = format!(
        "[roles.lab]\narn = \"arn:aws:iam::123456789012:role/Lab\"\nsession_policy = '{policy}'\n"
    );
    let e = invalid(&text);
    assert!(
        e.contains("roles.lab.session_policy") && e.contains("longest"),
        "{e}"
    );
}

#[test]
fn unknown_keys_and_bad_toml_are_syntax_errors() {
    assert!(matches!(parse("lisen = \"x\""), Err(ParseError::Syntax(_))));
    assert!(matches!(
        parse("[roles.lab]\narn = "),
        Err(ParseError::Syntax(_))
    ));
}

#[test]
fn oidc_needs_issuer_audience_and_keys_over_tls_or_loopback() {
    let with = |url: &str| {
        format!(
            "{GOOD}\n[oidc]\nissuer = \"https://idp.example.com\"\naudience = \"broker\"\njwks_url = \"{url}\"\n"
        )
    };
    let c = parse(&with("https://idp.example.com/keys")).expect("good");
    let oidc = c.oidc.expect("oidc");
    assert_eq!(oidc.user_claim, "sub", "the default claim");
    assert!(parse(&with("http://127.0.0.1:8000/keys")).is_ok());
    assert!(parse(&with("http://localhost/keys")).is_ok());
    for bad in [
        "http://idp.example.com/keys",
        "file:///etc/keys",
        "keys.json",
    ] {
        let e = invalid(&with(bad));
        assert!(e.starts_with("oidc.jwks_url:"), "{bad}: {e}");
    }
    let empty = with("https://idp.example.com/keys").replace("\"broker\"", "\" \"");
    assert!(invalid(&empty).starts_with("oidc.audience:"));
}

#[test]
fn the_example_config_in_the_readme_is_valid() {
    let c = parse(include_str!("../../../examples/broker.toml")).expect("examples/broker.toml");
    assert!(c.roles.contains_key("lab"));
}

#[test]
fn listen_issuer_and_limits_are_checked_at_load() {
    for (bad, key) in [
        (GOOD.replace("127.0.0.1:0", "127.0.0.1:99999"), "listen:"),
        (GOOD.replace("127.0.0.1:0", "127.0.0.1"), "listen:"),
        (GOOD.replace("127.0.0.1:0", ":8080"), "listen:"),
        (format!("issuer = \"\"\n{GOOD}"), "issuer:"),
        (format!("issuer = \"  \"\n{GOOD}"), "issuer:"),
        (format!("max_body_bytes = 0\n{GOOD}"), "max_body_bytes:"),
        (
            format!("federation_endpoint = \"ftp://x/federation\"\n{GOOD}"),
            "federation_endpoint:",
        ),
    ] {
        let e = invalid(&bad);
        assert!(e.starts_with(key), "{key} {e}");
        assert!(!e.contains("--"), "no CLI flag: {e}");
    }
    assert!(parse(&GOOD.replace("127.0.0.1:0", "[::1]:8443")).is_ok());
    assert!(parse(&GOOD.replace("127.0.0.1:0", "localhost:8080")).is_ok());
}
