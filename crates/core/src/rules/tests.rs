//! The validation table, case by case: each rule's edges, and that errors name the flag.

use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

#[test]
fn session_name_bounds_and_alphabet() {
    assert!(session_name("-s", "ab").is_ok());
    assert!(session_name("-s", "alice@example.com").is_ok());
    assert!(session_name("-s", "a_b+c=d,e.f@g-h").is_ok());
    assert!(session_name("-s", &"x".repeat(64)).is_ok());
    let e = session_name("-s", "a").unwrap_err();
    assert_eq!(e.field, Field::from("-s"));
    assert!(
        e.rule.contains("2 to 64") && e.rule.contains("got 1"),
        "{e}"
    );
    assert!(session_name("-s", &"x".repeat(65)).is_err());
    let e = session_name("-s", "alice smith").unwrap_err();
    assert!(e.rule.contains("found \" \""), "{e}");
    assert!(session_name("-s", "alice/smith").is_err());
    assert!(session_name("-s", "jörg").is_err());
}

#[test]
fn external_id_allows_colon_and_slash() {
    assert!(external_id("--external-id", "ab").is_ok());
    assert!(external_id("--external-id", "urn:lab/123").is_ok());
    assert!(external_id("--external-id", &"a".repeat(1224)).is_ok());
    assert!(external_id("--external-id", &"a".repeat(1225)).is_err());
    assert!(external_id("--external-id", "a").is_err());
    assert!(external_id("--external-id", "a b").is_err());
}

#[test]
fn mfa_serial_and_code() {
    assert!(mfa_serial("--mfa-serial", "arn:aws:iam::123456789012:mfa/alice").is_ok());
    assert!(mfa_serial("--mfa-serial", "GAHT12345678").is_ok());
    assert!(mfa_serial("--mfa-serial", "12345678").is_err());
    assert!(mfa_serial("--mfa-serial", &"a".repeat(257)).is_err());
    assert!(mfa_serial("--mfa-serial", "arn:aws:iam::1:mfa/a b").is_err());
    assert!(mfa_code("--mfa-code", "012345").is_ok());
    for bad in ["12345", "1234567", "12345a", " 12345", "١٢٣٤٥٦"] {
        let e = mfa_code("--mfa-code", bad).unwrap_err();
        assert_eq!(e.to_string(), "--mfa-code: must be exactly 6 digits");
    }
}

#[test]
fn source_identity_rules() {
    assert!(source_identity("--source-identity", "alice").is_ok());
    assert!(source_identity("--source-identity", "a").is_err());
    assert!(source_identity("--source-identity", &"a".repeat(65)).is_err());
    assert!(source_identity("--source-identity", "aws:alice").is_err());
}

#[test]
fn durations_parse() {
    assert_eq!(parse_duration("3600"), Some(3600));
    assert_eq!(parse_duration("1h"), Some(3600));
    assert_eq!(parse_duration("90m"), Some(5400));
    assert_eq!(parse_duration("1h30m"), Some(5400));
    assert_eq!(parse_duration("1h0m15s"), Some(3615));
    assert_eq!(parse_duration("45s"), Some(45));
    for bad in [
        "",
        "h",
        "1d",
        "30m1h",
        "1h1h",
        "1.5h",
        "-1",
        "1 h",
        "99999999999",
    ] {
        assert_eq!(parse_duration(bad), None, "{bad}");
    }
}

#[test]
fn assume_role_duration_bounds_and_chaining() {
    assert_eq!(assume_role_duration("-d", "15m", false), Ok(900));
    assert_eq!(assume_role_duration("-d", "12h", false), Ok(43200));
    assert!(assume_role_duration("-d", "899", false).is_err());
    assert!(assume_role_duration("-d", "43201", false).is_err());
    assert_eq!(assume_role_duration("-d", "1h", true), Ok(3600));
    let e = assume_role_duration("-d", "2h", true).unwrap_err();
    assert!(e.rule.contains("role chaining"), "{e}");
    let e = assume_role_duration("-d", "soon", false).unwrap_err();
    assert!(e.rule.contains("not a duration"), "{e}");
}

#[test]
fn role_arns() {
    let a = role_arn("-r", "arn:aws:iam::123456789012:role/Lab").unwrap();
    assert_eq!(
        (
            a.partition,
            a.account.as_str(),
            a.path.as_str(),
            a.name.as_str()
        ),
        (Partition::Aws, "123456789012", "/", "Lab")
    );
    let a = role_arn("-r", "arn:aws-cn:iam::123456789012:role/team/a/Lab").unwrap();
    assert_eq!(
        (a.partition, a.path.as_str(), a.name.as_str()),
        (Partition::AwsCn, "/team/a/", "Lab")
    );
    assert_eq!(
        a.to_string(),
        "arn:aws-cn:iam::123456789012:role/team/a/Lab"
    );
    assert!(role_arn("-r", "arn:aws-us-gov:iam::123456789012:role/x").is_ok());
    assert!(role_arn("-r", "arn:aws-iso-b:iam::123456789012:role/x").is_ok());
    for bad in [
        "Lab",
        "arn:aws:iam::12345678901:role/Lab",
        "arn:aws:iam::1234567890123:role/Lab",
        "arn:aws:iam::123456789012:user/Lab",
        "arn:aws:sts::123456789012:role/Lab",
        "arn:aws:iam:us-east-1:123456789012:role/Lab",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role//Lab",
        "arn:aws:iam::123456789012:role/La b",
        "arn:azure:iam::123456789012:role/Lab",
        "arn:aws:iam::123456789012:role",
    ] {
        let e = role_arn("--role-arn", bad).unwrap_err();
        assert_eq!(e.field, Field::from("--role-arn"), "{bad}");
    }
    let e = role_arn("-r", "arn:azure:iam::123456789012:role/Lab").unwrap_err();
    assert!(e.rule.contains("unknown partition \"azure\""), "{e}");
    assert!(
        role_arn(
            "-r",
            &format!("arn:aws:iam::123456789012:role/{}", "x".repeat(65))
        )
        .is_err()
    );
}

#[test]
fn regions_and_partitions() {
    for ok in [
        "us-east-1",
        "eu-central-2",
        "us-gov-west-1",
        "cn-north-1",
        "us-isob-east-1",
        "ap-southeast-5",
    ] {
        assert!(region("--region", ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "us-east",
        "useast1",
        "US-EAST-1",
        "us-east-1a",
        "eu--1",
        "e-west-1",
    ] {
        assert!(region("--region", bad).is_err(), "{bad}");
    }
    assert_eq!(partition_of_region("eu-west-1"), Partition::Aws);
    assert_eq!(partition_of_region("cn-northwest-1"), Partition::AwsCn);
    assert_eq!(partition_of_region("us-gov-east-1"), Partition::AwsUsGov);
    assert_eq!(partition_of_region("us-iso-east-1"), Partition::AwsIso);
    assert_eq!(partition_of_region("us-isob-east-1"), Partition::AwsIsoB);
    for p in Partition::ALL {
        assert_eq!(partition_of_region(p.default_region()), p);
    }
}

#[test]
fn policy_arn_list() {
    assert!(
        policy_arns(
            "--policy-arn",
            &s(&[
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::123456789012:policy/team/Mine"
            ])
        )
        .is_ok()
    );
    assert!(
        policy_arns(
            "--policy-arn",
            &s(&["arn:aws:iam::aws:role/ReadOnlyAccess"])
        )
        .is_err()
    );
    assert!(policy_arns("--policy-arn", &s(&["arn:aws:iam::amazon:policy/X"])).is_err());
    let eleven = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned(); 11];
    let e = policy_arns("--policy-arn", &eleven).unwrap_err();
    assert!(e.rule.contains("at most 10"), "{e}");
}

#[test]
fn session_policy_json_size_and_minify() {
    let p = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n";
    assert_eq!(
        session_policies("--policy", Some(p), &[])
            .unwrap()
            .as_deref(),
        Some(r#"{"Version":"2012-10-17","Statement":[]}"#)
    );
    assert!(
        session_policies("--policy", Some("{not json"), &[])
            .unwrap_err()
            .rule
            .contains("valid JSON")
    );
    assert!(
        session_policies("--policy", Some("[]"), &[])
            .unwrap_err()
            .rule
            .contains("JSON object")
    );
    assert!(session_policies("--policy", Some(""), &[]).is_err());
    // 2048 characters exactly is fine, one more is not; ARNs count towards the same limit.
    let pad = |n: usize| format!(r#"{{"Sid":"{}"}}"#, "x".repeat(n - 10));
    assert_eq!(pad(2048).len(), 2048);
    assert!(session_policies("--policy", Some(&pad(2048)), &[]).is_ok());
    assert!(session_policies("--policy", Some(&pad(2049)), &[]).is_err());
    let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned();
    let e = session_policies("--policy", Some(&pad(2048 - arn.len() + 1)), &[arn]).unwrap_err();
    assert!(e.rule.contains("together"), "{e}");
    assert_eq!(session_policies("--policy", None, &[]), Ok(None));
}

#[test]
fn tag_rules() {
    let t = tags("--tag", &s(&["team=lab", "empty=", "Path=a/b:c=d"])).unwrap();
    assert_eq!(
        t[1],
        Tag {
            key: "empty".into(),
            value: String::new()
        }
    );
    assert_eq!(
        t[2],
        Tag {
            key: "Path".into(),
            value: "a/b:c=d".into()
        }
    );
    assert!(tags("--tag", &s(&["Ünïcode key=välue"])).is_ok());
    assert!(
        tags("--tag", &s(&["novalue"]))
            .unwrap_err()
            .rule
            .contains("KEY=VALUE")
    );
    assert!(tags("--tag", &s(&["=v"])).is_err());
    assert!(tags("--tag", &s(&[&format!("{}=v", "k".repeat(129))])).is_err());
    assert!(tags("--tag", &s(&[&format!("k={}", "v".repeat(257))])).is_err());
    assert!(tags("--tag", &s(&[&format!("k={}", "v".repeat(256))])).is_ok());
    assert!(tags("--tag", &s(&["k=a*b"])).is_err());
    assert!(
        tags("--tag", &s(&["aws:x=1"]))
            .unwrap_err()
            .rule
            .contains("reserved")
    );
    assert!(
        tags("--tag", &s(&["Team=a", "team=b"]))
            .unwrap_err()
            .rule
            .contains("case-insensitive")
    );
    let many: Vec<String> = (0..51).map(|i| format!("k{i}=v")).collect();
    assert!(
        tags("--tag", &many)
            .unwrap_err()
            .rule
            .contains("at most 50")
    );
    assert!(tags("--tag", &many[..50]).is_ok());
}

#[test]
fn transitive_tag_rules() {
    let t = tags("--tag", &s(&["Team=lab", "cost=1"])).unwrap();
    assert_eq!(
        transitive_tags("--transitive-tag", &s(&["team"]), &t),
        Ok(s(&["Team"]))
    );
    let e = transitive_tags("--transitive-tag", &s(&["owner"]), &t).unwrap_err();
    assert!(e.rule.contains("one of the session tags"), "{e}");
}

#[test]
fn profile_names() {
    assert!(profile_name("--write-profile", "alice@example.com").is_ok());
    for bad in ["", "a b", "a]b", "[a", "a#b", "a;b", "a\nb"] {
        assert!(profile_name("--write-profile", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn federation_name_and_bounded_durations() {
    assert!(federated_user_name("--federated-user", "alice").is_ok());
    assert!(federated_user_name("--federated-user", &"a".repeat(33)).is_err());
    assert!(federated_user_name("--federated-user", "a").is_err());
    assert_eq!(
        bounded_duration("--duration", "36h", 900, 129600),
        Ok(129600)
    );
    let e = bounded_duration("--duration", "37h", 900, 129600).unwrap_err();
    assert!(e.rule.contains("between 15m (900) and 36h (129600)"), "{e}");
}
