//! The one engine behind every command, end to end: `env` and `assume --profile -o env`
//! agree, JSON keeps the role ARN from the cache, `credential_source` (environment,
//! container endpoint, instance metadata) is honoured and read by the AWS CLI, the source
//! profile's `mfa_process` serves `-r --mfa-serial`, and no command line of a
//! `credential_process` or `mfa_process` is ever shown.

use tempcreds_testkit::Metadata;

use crate::profiles::{codes_used, profiles};
use crate::support::*;

const LAB1: &str = "arn:aws:sts::123456789012:assumed-role/Lab1/alice";

fn exported_names(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split('=').next())
        .collect()
}

#[test]
fn env_and_assume_profile_print_the_same_and_json_keeps_the_role_arn() {
    let moto = Moto::start();
    let sb = profiles(&moto);
    let env = sb.tempcreds(&["env", "lab1"]).ok();
    let assume = sb
        .tempcreds(&["assume", "--profile", "lab1", "-o", "env"])
        .ok();
    assert_eq!(exported_names(&env.stdout), exported_names(&assume.stdout));
    assert_eq!(env.stdout, assume.stdout, "the same cached credentials");
    assert!(!env.stdout.contains("TEMPCREDS"), "{}", env.stdout);
    // The first JSON is from the cache (env issued the role): the ARN is kept with it.
    for _ in 0..2 {
        let j = sb
            .tempcreds(&["assume", "--profile", "lab1", "-o", "json"])
            .ok()
            .json();
        assert_eq!(j["AssumedRoleArn"], LAB1, "{j}");
    }
    assert_eq!(codes_used(&sb), 1);
}

/// A sandbox whose only profile is `r`: a role with `credential_source = SOURCE`.
fn credential_source(moto: &Moto, source: &str) -> Sandbox {
    let mut sb = Sandbox::new(&moto.url);
    sb.write(
        "aws/config",
        &format!(
            "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/FromSource\ncredential_source = {source}\nrole_session_name = src\n"
        ),
    );
    let cache = sb.path("cache");
    sb.set("TEMPCREDS_CACHE_DIR", cache.to_str().unwrap());
    sb
}

const FROM_SOURCE: &str = "arn:aws:sts::123456789012:assumed-role/FromSource/src";

#[test]
fn credential_source_environment_is_honoured() {
    let moto = Moto::start();
    let sb = credential_source(&moto, "Environment");
    let j = sb
        .tempcreds(&["assume", "--profile", "r", "-o", "json"])
        .ok()
        .json();
    assert_eq!(j["AssumedRoleArn"], FROM_SOURCE);
    let out = sb.tempcreds(&["whoami", "r"]).ok();
    assert!(out.stdout.contains(FROM_SOURCE), "{}", out.stdout);
    let mut bare = credential_source(&moto, "Environment");
    bare.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    let out = bare.tempcreds(&["env", "r"]).fails(2);
    assert!(out.stderr.contains("AWS_ACCESS_KEY_ID"), "{}", out.stderr);
}

#[test]
fn credential_source_container_and_instance_metadata_are_read_through_the_sdk() {
    let moto = Moto::start();
    let meta = Metadata::start();
    let mut ecs = credential_source(&moto, "EcsContainer");
    ecs.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("{}/ecs/creds", meta.url),
        );
    let out = ecs
        .shell(
            "bash",
            &format!(
                "eval \"$({} env r)\" && aws sts get-caller-identity --output json",
                tempcreds_bin()
            ),
        )
        .ok();
    assert_eq!(out.json()["Arn"], FROM_SOURCE);
    assert_eq!(meta.hits(), 1);

    let mut imds = credential_source(&moto, "Ec2InstanceMetadata");
    imds.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .unset("AWS_EC2_METADATA_DISABLED")
        .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &meta.url);
    let j = imds
        .tempcreds(&["assume", "--profile", "r", "-o", "json"])
        .ok()
        .json();
    assert_eq!(j["AssumedRoleArn"], FROM_SOURCE);
    assert_eq!(meta.hits(), 2);
    // Nothing listening: one line naming the source, no Debug text.
    let mut gone = credential_source(&moto, "EcsContainer");
    gone.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("http://127.0.0.1:{}/ecs/creds", free_port()),
        );
    let out = gone.tempcreds(&["env", "r"]).fails(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines.len() <= 2 && lines.iter().all(|l| l.len() <= 200),
        "{}",
        out.stderr
    );
    assert!(lines[0].starts_with("error: "), "{}", out.stderr);
    assert!(
        !out.stderr.contains("Error {") && !out.stderr.contains("Some("),
        "{}",
        out.stderr
    );
}

#[test]
fn the_source_profiles_mfa_process_gives_the_code_for_flags() {
    let moto = Moto::start();
    let sb = profiles(&moto);
    let j = sb
        .tempcreds(&[
            "assume",
            "-r",
            ROLE,
            "-s",
            "flags",
            "--source-profile",
            "base",
            "--mfa-serial",
            "arn:aws:iam::123456789012:mfa/alice",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(
        j["AssumedRoleArn"],
        "arn:aws:sts::123456789012:assumed-role/Lab/flags"
    );
    assert_eq!(codes_used(&sb), 1, "base's mfa_process gave the code");
}

#[test]
fn a_source_profiles_keys_win_over_its_role() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    sb.write(
        "aws/config",
        "[profile top]\nrole_arn = arn:aws:iam::123456789012:role/Top\nsource_profile = mid\nrole_session_name = tt\n\
         [profile mid]\nrole_arn = arn:aws:iam::123456789012:role/NeverAssumed\nsource_profile = nowhere\n",
    );
    sb.write(
        "aws/credentials",
        &format!(
            "[mid]\naws_access_key_id = {SOURCE_KEY}\naws_secret_access_key = {SOURCE_SECRET}\n"
        ),
    );
    let cache = sb.path("cache");
    sb.set("TEMPCREDS_CACHE_DIR", cache.to_str().unwrap());
    let j = sb
        .tempcreds(&["assume", "--profile", "top", "-o", "json"])
        .ok()
        .json();
    assert_eq!(
        j["AssumedRoleArn"],
        "arn:aws:sts::123456789012:assumed-role/Top/tt"
    );
    // botocore reads the chain the same way.
    assert_eq!(
        sb.aws_caller_arn("top"),
        "arn:aws:sts::123456789012:assumed-role/Top/tt"
    );
}

#[test]
fn no_command_line_is_ever_shown() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    let marker = "s3cr3t-vault-token";
    let process = format!(
        "sh -c 'echo {{\\\"Version\\\": 1, \\\"AccessKeyId\\\": \\\"{SOURCE_KEY}\\\", \\\"SecretAccessKey\\\": \\\"x{marker}\\\"}}'"
    );
    sb.write(
        "aws/config",
        &format!(
            "[profile proc]\ncredential_process = {process}\n\
             [profile role]\nrole_arn = {ROLE}\nsource_profile = proc\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nmfa_process = echo 123456 # {marker}\n\
             [profile broken]\ncredential_process = false {marker}\n\
             [profile badcode]\nrole_arn = {ROLE}\nsource_profile = proc\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nmfa_process = echo nope {marker}\n"
        ),
    );
    let cache = sb.path("cache");
    sb.set("TEMPCREDS_CACHE_DIR", cache.to_str().unwrap());
    for v in ["-v", "-vv", "-vvv"] {
        sb.tempcreds(&["clear"]).ok();
        let out = sb.tempcreds(&["env", "role", v]).ok();
        assert!(!out.stderr.contains(marker), "{v}: {}", out.stderr);
        assert!(
            out.stderr.contains("mfa_process"),
            "{v} says one is used: {}",
            out.stderr
        );
        for failing in ["broken", "badcode"] {
            let out = sb.tempcreds(&["env", failing, v]);
            assert_ne!(out.code, 0);
            assert!(
                !out.stderr.contains(marker),
                "{failing} {v}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn whoami_against_an_unreachable_endpoint_is_one_line() {
    let mut sb = Sandbox::new(&format!("http://127.0.0.1:{}", free_port()));
    sb.set("AWS_MAX_ATTEMPTS", "1");
    let out = sb.tempcreds(&["whoami"]).fails(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(
        lines[0].starts_with("error: STS GetCallerIdentity could not connect"),
        "{}",
        out.stderr
    );
    assert!(lines[1].starts_with("hint: "), "{}", out.stderr);
    assert!(lines.iter().all(|l| l.len() <= 200), "{}", out.stderr);
    assert!(
        !out.stderr.contains("DispatchFailure") && !out.stderr.contains("ConnectorError"),
        "{}",
        out.stderr
    );
}
