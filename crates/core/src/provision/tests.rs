//! The setup and teardown plans on in-memory states, and the TOTP check on RFC 6238's
//! test vector.

use serde_json::json;

use super::totp::{Seed, terminal_qr};
use super::*;

fn want() -> Desired {
    Desired {
        name: "lab".into(),
        access_policy: Some(json!({"Version": "2012-10-17", "Statement": []})),
        policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        max_session_seconds: 3600,
        require_mfa: false,
        profile: "lab".into(),
        force: false,
    }
}

fn empty() -> State {
    State {
        partition: "aws".into(),
        account: "123456789012".into(),
        ..State::default()
    }
}

/// The state a full setup of `want` leaves.
fn done(w: &Desired) -> State {
    let mut s = empty();
    let tags: BTreeMap<String, String> = [(MANAGED_TAG, MANAGED_VALUE), (PROFILE_TAG, "lab")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    s.user = Some(Entity {
        arn: "arn:aws:iam::123456789012:user/lab".into(),
        tags: tags.clone(),
        inline: [(
            USER_POLICY.to_owned(),
            user_policy("arn:aws:iam::123456789012:role/lab", w.require_mfa),
        )]
        .into(),
        attached: vec![],
    });
    s.role = Some(Entity {
        arn: "arn:aws:iam::123456789012:role/lab".into(),
        tags,
        inline: [(ROLE_POLICY.to_owned(), w.access_policy.clone().unwrap())].into(),
        attached: w.policy_arns.clone(),
    });
    s.trust = Some(trust_policy(
        "arn:aws:iam::123456789012:user/lab",
        w.require_mfa,
    ));
    s.max_session_seconds = Some(w.max_session_seconds);
    s.access_keys = vec!["AKIA1".into()];
    s.profile_key = Some("AKIA1".into());
    s
}

#[test]
fn a_new_setup_creates_everything_in_order() {
    let changes = plan(&want(), &empty()).unwrap();
    let names: Vec<String> = changes
        .iter()
        .map(|c| {
            format!("{c:?}")
                .split(['(', ' '])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "CreateUser",
            "PutUserPolicy",
            "CreateRole",
            "SetMaxSession",
            "PutRolePolicy",
            "AttachRolePolicy",
            "CreateAccessKey"
        ]
    );
    // Least privilege: one action on one role; the trust names the exact user.
    assert_eq!(
        changes[1],
        Change::PutUserPolicy(
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "AssumeOneRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::123456789012:role/lab"}]})
        )
    );
}

#[test]
fn a_done_setup_plans_nothing_and_changes_only_what_differs() {
    let w = want();
    assert_eq!(plan(&w, &done(&w)).unwrap(), vec![]);
    let mut w2 = w.clone();
    w2.access_policy = Some(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}));
    w2.policy_arns = vec!["arn:aws:iam::aws:policy/Other".into()];
    assert_eq!(
        plan(&w2, &done(&w)).unwrap(),
        vec![
            Change::PutRolePolicy(w2.access_policy.clone().unwrap()),
            Change::AttachRolePolicy("arn:aws:iam::aws:policy/Other".into()),
            Change::DetachRolePolicy("arn:aws:iam::aws:policy/ReadOnlyAccess".into()),
        ]
    );
    // Requiring MFA later: both policies gain the condition, and a device is made.
    let mut w3 = w.clone();
    w3.require_mfa = true;
    let c = plan(&w3, &done(&w)).unwrap();
    assert!(
        matches!(&c[0], Change::PutUserPolicy(d) if d.to_string().contains("aws:MultiFactorAuthPresent"))
    );
    assert!(
        matches!(&c[1], Change::UpdateTrust(d) if d.to_string().contains("aws:MultiFactorAuthPresent"))
    );
    assert_eq!(c[2], Change::CreateMfaDevice);
}

#[test]
fn keys_and_ownership() {
    let w = want();
    let mut s = done(&w);
    s.profile_key = None; // the profile was deleted: a new key is needed
    assert_eq!(plan(&w, &s).unwrap(), vec![Change::CreateAccessKey]);
    s.access_keys.push("AKIA2".into());
    assert_eq!(
        plan(&w, &s),
        Err(Refusal::TwoKeys {
            name: "lab".into(),
            profile: "lab".into()
        })
    );
    let mut s = done(&w);
    s.user.as_mut().unwrap().tags.clear();
    assert_eq!(
        plan(&w, &s),
        Err(Refusal::NotManaged {
            kind: "user",
            name: "lab".into()
        })
    );
    assert!(teardown("lab", &s, false).is_err());
    let mut forced = w.clone();
    forced.force = true;
    assert_eq!(plan(&forced, &s).unwrap(), vec![Change::TagUser]);
}

#[test]
fn teardown_goes_in_the_order_iam_requires_and_only_its_own_profile() {
    let w = want();
    let mut s = done(&w);
    s.mfa_devices = vec!["arn:aws:iam::123456789012:mfa/lab".into()];
    let steps = teardown("lab", &s, false).unwrap();
    let user_at = steps.iter().position(|r| *r == Removal::User).unwrap();
    for before in [
        Removal::AccessKey("AKIA1".into()),
        Removal::MfaDevice("arn:aws:iam::123456789012:mfa/lab".into()),
        Removal::UserPolicy(USER_POLICY.into()),
    ] {
        assert!(
            steps.iter().position(|r| *r == before).unwrap() < user_at,
            "{before:?}"
        );
    }
    assert!(steps.contains(&Removal::Profile("lab".into())));
    assert_eq!(steps.last(), Some(&Removal::Role));
    // A profile now holding other keys is left alone.
    s.profile_key = Some("AKIAOTHER".into());
    assert!(
        !teardown("lab", &s, false)
            .unwrap()
            .contains(&Removal::Profile("lab".into()))
    );
    assert_eq!(teardown("lab", &empty(), false).unwrap(), vec![]);
    // A stored key of the user's goes with it (and only one of the user's keys).
    s.stored_key = Some("AKIA1".into());
    assert!(
        teardown("lab", &s, false)
            .unwrap()
            .contains(&Removal::StoredKey("lab".into()))
    );
    s.stored_key = Some("AKIAOTHER".into());
    assert!(
        !teardown("lab", &s, false)
            .unwrap()
            .contains(&Removal::StoredKey("lab".into()))
    );
}

#[test]
fn totp_matches_rfc_6238_and_checks_consecutive_codes() {
    // RFC 6238 appendix B, SHA-1: secret "12345678901234567890", T=59 -> 94287082 (8
    // digits); its last 6 digits are the 6-digit code.
    let seed = Seed::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_eq!(seed.code_at(59).unwrap(), "287082");
    let now = 1_700_000_000;
    let (a, b) = (seed.code_at(now).unwrap(), seed.code_at(now + 30).unwrap());
    assert!(seed.consecutive(&a, &b, now));
    assert!(!seed.consecutive(&b, &a, now), "order matters");
    assert!(!seed.consecutive(&a, &a, now));
    assert!(
        !seed.consecutive(&a, &b, now + 3600),
        "an hour later they are stale"
    );
    let uri = seed.uri("lab@123456789012");
    assert_eq!(
        uri,
        "otpauth://totp/lab%40123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=AWS&algorithm=SHA1&digits=6&period=30"
    );
    let qr = terminal_qr(&uri).unwrap();
    let width = qr.lines().next().unwrap().chars().count();
    assert!(qr.lines().all(|l| l.chars().count() == width) && width >= 25 + 4);
}
