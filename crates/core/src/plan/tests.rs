//! Resolution is pure: every case here is inputs in, plan or error out.

use super::*;

fn req(role: &str) -> AssumeRequest {
    AssumeRequest {
        role_arn: role.into(),
        session_name: Some("alice".into()),
        ..Default::default()
    }
}
const ROLE: &str = "arn:aws:iam::123456789012:role/Lab";

#[test]
fn minimal_plan_uses_partition_default_region_and_no_duration() {
    let p = assume(&req(ROLE), &Env::default(), None, 0).unwrap();
    assert_eq!(p.source.region, "us-east-1");
    assert_eq!(p.region_source, RegionSource::PartitionDefault);
    assert_eq!(p.known_region(), None);
    assert_eq!(p.input.duration_seconds, None);
    assert_eq!(p.input.session_name, "alice");
}

#[test]
fn default_session_name_is_valid() {
    let r = AssumeRequest {
        session_name: None,
        ..req(ROLE)
    };
    let p = assume(&r, &Env::default(), None, 1_790_000_000).unwrap();
    assert_eq!(p.input.session_name, "tempcreds-1790000000");
    assert!(rules::session_name("-s", &p.input.session_name).is_ok());
}

#[test]
fn region_precedence_flag_env_default_env_profile() {
    let cfg = "[default]\nregion = eu-west-1\n[profile lab]\nregion = eu-north-1\n";
    let env = Env::from_pairs([("AWS_DEFAULT_REGION", "eu-west-2")]);
    let p = assume(&req(ROLE), &env, Some(cfg), 0).unwrap();
    assert_eq!(
        (p.source.region.as_str(), p.region_source),
        ("eu-west-2", RegionSource::Env("AWS_DEFAULT_REGION"))
    );
    let env2 = Env::from_pairs([
        ("AWS_DEFAULT_REGION", "eu-west-2"),
        ("AWS_REGION", "eu-west-3"),
    ]);
    assert_eq!(
        assume(&req(ROLE), &env2, Some(cfg), 0)
            .unwrap()
            .source
            .region,
        "eu-west-3"
    );
    let r = AssumeRequest {
        region: Some("ap-south-1".into()),
        ..req(ROLE)
    };
    assert_eq!(
        assume(&r, &env2, Some(cfg), 0).unwrap().known_region(),
        Some("ap-south-1")
    );
    let p = assume(&req(ROLE), &Env::default(), Some(cfg), 0).unwrap();
    assert_eq!(p.region_source, RegionSource::Profile("default".into()));
    let r = AssumeRequest {
        source_profile: Some("lab".into()),
        ..req(ROLE)
    };
    assert_eq!(
        assume(&r, &Env::default(), Some(cfg), 0)
            .unwrap()
            .source
            .region,
        "eu-north-1"
    );
    let env3 = Env::from_pairs([("AWS_PROFILE", "lab")]);
    assert_eq!(
        assume(&req(ROLE), &env3, Some(cfg), 0)
            .unwrap()
            .source
            .region,
        "eu-north-1"
    );
}

#[test]
fn partitions_must_agree() {
    let r = AssumeRequest {
        region: Some("cn-north-1".into()),
        ..req(ROLE)
    };
    let e = assume(&r, &Env::default(), None, 0).unwrap_err();
    assert_eq!(e.flag, "--region");
    assert!(e.rule.contains("partition aws-cn"), "{e}");
    let cn = req("arn:aws-cn:iam::123456789012:role/Lab");
    assert_eq!(
        assume(&cn, &Env::default(), None, 0).unwrap().source.region,
        "cn-north-1"
    );
    let env = Env::from_pairs([("AWS_REGION", "us-gov-west-1")]);
    assert_eq!(assume(&cn, &env, None, 0).unwrap_err().flag, "AWS_REGION");
}

#[test]
fn bad_region_names_the_variable() {
    let env = Env::from_pairs([("AWS_REGION", "Frankfurt")]);
    assert_eq!(
        assume(&req(ROLE), &env, None, 0).unwrap_err().flag,
        "AWS_REGION"
    );
    let cfg = "[default]\nregion = eu west\n";
    assert!(
        assume(&req(ROLE), &Env::default(), Some(cfg), 0)
            .unwrap_err()
            .flag
            .contains("config file")
    );
}

#[test]
fn mfa_code_needs_serial_and_serial_alone_prompts() {
    let r = AssumeRequest {
        mfa_code: Some("123456".into()),
        ..req(ROLE)
    };
    assert_eq!(
        assume(&r, &Env::default(), None, 0).unwrap_err().flag,
        "--mfa-code"
    );
    let serial = "arn:aws:iam::123456789012:mfa/alice";
    let r = AssumeRequest {
        mfa_serial: Some(serial.into()),
        ..req(ROLE)
    };
    let p = assume(&r, &Env::default(), None, 0).unwrap();
    assert_eq!(p.mfa_prompt.as_deref(), Some(serial));
    assert!(p.input.mfa.is_none());
    let r = AssumeRequest {
        mfa_serial: Some(serial.into()),
        mfa_code: Some("123456".into()),
        ..req(ROLE)
    };
    let p = assume(&r, &Env::default(), None, 0).unwrap();
    assert!(p.mfa_prompt.is_none());
    assert_eq!(p.input.mfa.unwrap().code, "123456");
}

#[test]
fn chaining_cap_applies_after_source_is_known() {
    let r = AssumeRequest {
        duration: Some("2h".into()),
        ..req(ROLE)
    };
    let p = assume(&r, &Env::default(), None, 0).unwrap();
    assert_eq!(p.input.duration_seconds, Some(7200));
    assert!(p.check_chaining(false).is_ok());
    assert_eq!(p.check_chaining(true).unwrap_err().flag, "--duration");
}

#[test]
fn policy_flag_is_named_in_errors() {
    let r = AssumeRequest {
        policy: Some(("--policy-file", "{oops".into())),
        ..req(ROLE)
    };
    assert_eq!(
        assume(&r, &Env::default(), None, 0).unwrap_err().flag,
        "--policy-file"
    );
}
