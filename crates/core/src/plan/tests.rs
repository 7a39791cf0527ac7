//! Resolution is pure: every case here is inputs in, chain or error out.

use super::*;
use crate::region::RegionSource;

fn req(role: &str) -> AssumeRequest {
    AssumeRequest {
        role_arn: role.into(),
        session_name: Some("alice".into()),
        ..Default::default()
    }
}
const ROLE: &str = "arn:aws:iam::123456789012:role/Lab";

fn files(config: &str) -> Files {
    Files {
        config: config.to_owned(),
        credentials: String::new(),
    }
}

fn plan(r: &AssumeRequest, env: &Env, config: &str) -> FlagsPlan {
    assume(r, env, &files(config), 0).unwrap()
}

/// The field a refusal names.
fn refused(r: &AssumeRequest, env: &Env, config: &str) -> Invalid {
    match assume(r, env, &files(config), 0) {
        Err(Error::Invalid(i)) => i,
        other => panic!("wanted a refusal, got {other:?}"),
    }
}

#[test]
fn minimal_plan_uses_partition_default_region_and_no_duration() {
    let p = plan(&req(ROLE), &Env::default(), "");
    assert_eq!(p.region.name, "us-east-1");
    assert_eq!(p.region.source, RegionSource::PartitionDefault);
    assert_eq!(p.region.known(), None);
    assert_eq!(p.role().duration_seconds, None);
    assert_eq!(p.session_name(), "alice");
    assert_eq!(
        p.chain.source,
        Source::Sdk(SdkSource::DefaultChain { profile: None }),
        "no profile at all: the SDK's chain (container, instance metadata)"
    );
}

#[test]
fn default_session_name_is_valid() {
    let r = AssumeRequest {
        session_name: None,
        ..req(ROLE)
    };
    let p = assume(&r, &Env::default(), &Files::default(), 1_790_000_000).unwrap();
    assert_eq!(p.session_name(), "tempcreds-1790000000");
    assert!(rules::session_name("-s", p.session_name()).is_ok());
}

#[test]
fn region_precedence_flag_env_default_env_profile() {
    let cfg = "[default]\nregion = eu-west-1\n[profile lab]\nregion = eu-north-1\n";
    let env = Env::from_pairs([("AWS_DEFAULT_REGION", "eu-west-2")]);
    let p = plan(&req(ROLE), &env, cfg);
    assert_eq!(
        (p.region.name.as_str(), p.region.source),
        ("eu-west-2", RegionSource::Env("AWS_DEFAULT_REGION"))
    );
    let env2 = Env::from_pairs([
        ("AWS_DEFAULT_REGION", "eu-west-2"),
        ("AWS_REGION", "eu-west-3"),
    ]);
    assert_eq!(plan(&req(ROLE), &env2, cfg).region.name, "eu-west-3");
    let r = AssumeRequest {
        region: Some("ap-south-1".into()),
        ..req(ROLE)
    };
    assert_eq!(plan(&r, &env2, cfg).region.known(), Some("ap-south-1"));
    let p = plan(&req(ROLE), &Env::default(), cfg);
    assert_eq!(p.region.source, RegionSource::Profile("default".into()));
    let env3 = Env::from_pairs([("AWS_PROFILE", "lab")]);
    assert_eq!(plan(&req(ROLE), &env3, cfg).region.name, "eu-north-1");
}

#[test]
fn partitions_must_agree() {
    let r = AssumeRequest {
        region: Some("cn-north-1".into()),
        ..req(ROLE)
    };
    let e = refused(&r, &Env::default(), "");
    assert_eq!(e.field, Field::Region);
    assert!(e.rule.contains("partition aws-cn"), "{e}");
    let cn = req("arn:aws-cn:iam::123456789012:role/Lab");
    assert_eq!(plan(&cn, &Env::default(), "").region.name, "cn-north-1");
    let env = Env::from_pairs([("AWS_REGION", "us-gov-west-1")]);
    assert_eq!(refused(&cn, &env, "").field, Field::from("AWS_REGION"));
}

#[test]
fn bad_region_names_where_it_came_from() {
    let env = Env::from_pairs([("AWS_REGION", "Frankfurt")]);
    assert_eq!(
        refused(&req(ROLE), &env, "").field,
        Field::from("AWS_REGION")
    );
    let cfg = "[default]\nregion = eu west\n";
    assert_eq!(
        refused(&req(ROLE), &Env::default(), cfg).field,
        Field::from("region (profile default)")
    );
}

#[test]
fn mfa_code_needs_serial() {
    let r = AssumeRequest {
        mfa_code: Some("123456".into()),
        ..req(ROLE)
    };
    assert_eq!(refused(&r, &Env::default(), "").field, Field::MfaCode);
    let r = AssumeRequest {
        mfa_serial: Some("arn:aws:iam::123456789012:mfa/alice".into()),
        mfa_code: Some("12345".into()),
        ..req(ROLE)
    };
    assert_eq!(refused(&r, &Env::default(), "").field, Field::MfaCode);
}

#[test]
fn the_source_profiles_mfa_process_gives_the_code_for_mfa_serial() {
    let serial = "arn:aws:iam::123456789012:mfa/alice";
    let f = Files {
        config: "[profile base]\nmfa_process = pass otp\n".into(),
        credentials: "[base]\naws_access_key_id = AKIA\naws_secret_access_key = s\n".into(),
    };
    let r = AssumeRequest {
        mfa_serial: Some(serial.into()),
        source_profile: Some("base".into()),
        ..req(ROLE)
    };
    let p = assume(&r, &Env::default(), &f, 0).unwrap();
    let mfa = p.role().mfa.clone().expect("device");
    assert_eq!(mfa.serial, serial);
    assert_eq!(mfa.process, Some(ShellCommand::new("pass otp")));
    assert_eq!(
        p.chain.source,
        Source::StaticKeys {
            profile: "base".into(),
            temporary: false
        }
    );
}

#[test]
fn policy_flag_is_named_in_errors() {
    let r = AssumeRequest {
        policy: Some((Field::PolicyFile, "{oops".into())),
        ..req(ROLE)
    };
    assert_eq!(refused(&r, &Env::default(), "").field, Field::PolicyFile);
}

#[test]
fn the_callers_own_credentials_follow_botocore() {
    let keys = "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n";
    let f = Files {
        config: "[profile wi]\nrole_arn = arn:aws:iam::123456789012:role/W\nweb_identity_token_file = /t\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\n[profile sso]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n".into(),
        credentials: keys.into(),
    };
    let env_keys = Env::from_pairs([("AWS_ACCESS_KEY_ID", "A"), ("AWS_SECRET_ACCESS_KEY", "B")]);
    assert_eq!(
        source_chain(None, &env_keys, &f).unwrap().source,
        Source::Environment,
        "the environment's keys first"
    );
    assert!(
        matches!(
            source_chain(Some("default"), &env_keys, &f).unwrap().source,
            Source::StaticKeys { .. }
        ),
        "a named profile ignores them"
    );
    assert!(matches!(
        source_chain(None, &Env::default(), &f).unwrap().source,
        Source::StaticKeys { .. }
    ));
    let wi = Env::from_pairs([("AWS_PROFILE", "wi")]);
    assert_eq!(
        source_chain(None, &wi, &f).unwrap().source,
        Source::Sdk(SdkSource::DefaultChain {
            profile: Some("wi".into())
        }),
        "what tempcreds does not resolve (web identity), the SDK does"
    );
    let sso = Env::from_pairs([("AWS_PROFILE", "sso")]);
    assert!(
        matches!(source_chain(None, &sso, &f).unwrap().source, Source::Sso(ref r) if r.role_name == "Admin"),
        "IAM Identity Center is resolved by tempcreds"
    );
    let missing = Env::from_pairs([("AWS_PROFILE", "nope")]);
    assert!(source_chain(None, &missing, &f).is_err());
    assert_eq!(
        source_chain(None, &Env::default(), &Files::default())
            .unwrap()
            .source,
        Source::Sdk(SdkSource::DefaultChain { profile: None })
    );
}
