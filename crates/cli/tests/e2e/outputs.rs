//! Every `assume` output, read by a real consumer: the AWS CLI, boto3, bash and fish.

use crate::support::*;

fn caller_arn(run: Run) -> String {
    run.ok().json()["Arn"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// An endpoint given by host name is resolved (getaddrinfo: /etc/hosts here). The shipped
/// binary is statically linked, and this is what would break if its resolver did.
#[test]
fn an_endpoint_host_name_is_resolved() {
    let moto = Moto::start();
    let by_name = moto.url.replace("127.0.0.1", "localhost");
    let out = Sandbox::new(&by_name)
        .tempcreds(&["assume", "-r", ROLE, "-s", "by-name"])
        .ok();
    assert!(
        out.json()["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
}

#[test]
fn json_output_has_the_contract_fields() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    let out = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "alice@example.com"])
        .ok();
    let j = out.json();
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration",
            "AssumedRoleArn"
        ]
    );
    assert_eq!(
        j["AssumedRoleArn"],
        "arn:aws:sts::123456789012:assumed-role/Lab/alice@example.com"
    );
    assert!(j["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    let exp = j["Expiration"].as_str().unwrap();
    assert!(exp.ends_with('Z') && exp.len() == 20, "{exp}");
    assert_eq!(out.stderr, "", "nothing on stderr by default");
}

#[test]
fn written_profile_is_used_by_the_aws_cli() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    let out = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "alice", "-o", "write"])
        .ok();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("profile \"alice\""), "{}", out.stderr);
    // The AWS CLI must use the profile, not the source keys still in the environment.
    let arn = sb.aws_caller_arn("alice");
    assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/Lab/alice");
}

#[test]
fn env_output_evaluated_in_bash_is_used_by_the_aws_cli() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    let script = format!(
        "set -e; eval \"$({} assume -r {ROLE} -s bash-user --region eu-west-1 -o env)\"; \
         test \"$AWS_REGION\" = eu-west-1; test \"$AWS_DEFAULT_REGION\" = eu-west-1; \
         test \"$AWS_SECURITY_TOKEN\" = \"$AWS_SESSION_TOKEN\"; test -n \"$AWS_CREDENTIAL_EXPIRATION\"; \
         aws sts get-caller-identity --output json",
        tempcreds_bin()
    );
    let arn = caller_arn(sb.shell("bash", &script));
    assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/Lab/bash-user");
}

#[test]
fn env_output_for_fish_is_used_by_the_aws_cli() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    let script = format!(
        "{} assume -r {ROLE} -s fish-user -o env --shell fish --legacy-ec2 | source; \
         and test \"$AWS_SECRET_KEY\" = \"$AWS_SECRET_ACCESS_KEY\"; and aws sts get-caller-identity --output json",
        tempcreds_bin()
    );
    let arn = caller_arn(sb.shell("fish", &script));
    assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/Lab/fish-user");
}

#[test]
fn env_values_with_quotes_and_dollars_survive_eval() {
    // The values AWS returns are base64-ish; quoting is proven here on hostile values by
    // round-tripping the formatter's quoting through real shells.
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    let out = sb
        .tempcreds(&["assume", "-r", ROLE, "-s", "qq", "-o", "env"])
        .ok();
    let hostile = "it's $HOME `id` \"q\" \\ end";
    let line = out.stdout.lines().next().unwrap().to_owned();
    let value = line.split_once('=').unwrap().1.to_owned();
    let forged = out
        .stdout
        .replacen(&value, &format!("'{}'", hostile.replace('\'', r"'\''")), 1);
    let run = sb
        .shell(
            "bash",
            &format!("eval \"$(cat <<'X'\n{forged}X\n)\"; printf %s \"$AWS_ACCESS_KEY_ID\""),
        )
        .ok();
    assert_eq!(run.stdout, hostile);
}

#[test]
fn credential_process_is_read_by_the_aws_cli_and_boto3() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    // The process gets the source keys through the environment; the clients must not.
    let (key, secret) = (SOURCE_KEY, SOURCE_SECRET);
    let wrapper = sb.path("tc-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nAWS_ACCESS_KEY_ID={key} AWS_SECRET_ACCESS_KEY={secret} exec {} \"$@\"\n",
            tempcreds_bin()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.write(
        "aws/config",
        &format!("[profile cp]\ncredential_process = {} assume -r {ROLE} -s via-process -o credential-process\n", wrapper.display()),
    );
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    let arn = caller_arn(sb.aws(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "cp",
        "--output",
        "json",
    ]));
    assert_eq!(
        arn,
        "arn:aws:sts::123456789012:assumed-role/Lab/via-process"
    );
    let py = sb
        .python(
            "import boto3, json; s = boto3.Session(profile_name='cp', region_name='us-east-1'); \
             c = s.get_credentials().get_frozen_credentials(); \
             print(json.dumps({'Arn': s.client('sts').get_caller_identity()['Arn'], 'Token': bool(c.token)}))",
        )
        .ok();
    let j = py.json();
    assert_eq!(
        j["Arn"],
        "arn:aws:sts::123456789012:assumed-role/Lab/via-process"
    );
    assert_eq!(j["Token"], true);
}

#[test]
fn ini_output_is_a_profile_section() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    let out = sb
        .tempcreds(&[
            "assume",
            "-r",
            ROLE,
            "-s",
            "alice",
            "-o",
            "ini",
            "--write-profile",
            "lab",
        ])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "[lab]");
    let keys: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(" = ").next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token",
            "x_security_token_expires"
        ]
    );
    // Pasted into a credentials file, the AWS CLI uses it.
    sb.write("aws/credentials", &out.stdout);
    let arn = sb.aws_caller_arn("lab");
    assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/Lab/alice");
}

#[test]
fn all_assume_flags_reach_sts_and_source_profile_is_used() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    sb.write(
        "aws/credentials",
        &format!(
            "[src]\naws_access_key_id = {SOURCE_KEY}\naws_secret_access_key = {SOURCE_SECRET}\n"
        ),
    );
    sb.write("aws/config", "[profile src]\nregion = eu-central-1\n");
    sb.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .unset("AWS_DEFAULT_REGION");
    let policy = sb.path("policy.json");
    std::fs::write(&policy, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}\n").unwrap();
    let out = sb
        .tempcreds(&[
            "assume",
            "-r",
            ROLE,
            "-s",
            "full",
            "-d",
            "2h",
            "--external-id",
            "lab-123",
            "--mfa-serial",
            "arn:aws:iam::123456789012:mfa/alice",
            "--mfa-code",
            "123456",
            "--policy-file",
            policy.to_str().unwrap(),
            "--policy-arn",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "--tag",
            "team=lab",
            "--tag",
            "empty=",
            "--transitive-tag",
            "team",
            "--source-identity",
            "alice",
            "--source-profile",
            "src",
            "-o",
            "env",
            "-v",
        ])
        .ok();
    assert!(
        out.stdout.contains("export AWS_REGION='eu-central-1'"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("region=eu-central-1"),
        "-v shows the decision: {}",
        out.stderr
    );
    // moto gives 2h credentials when asked for 2h.
    let exp = out
        .stdout
        .lines()
        .find(|l| l.contains("AWS_CREDENTIAL_EXPIRATION"))
        .unwrap();
    let exp = exp.split('\'').nth(1).unwrap();
    let exp =
        time::OffsetDateTime::parse(exp, &time::format_description::well_known::Rfc3339).unwrap();
    let left = exp - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(115) && left <= time::Duration::minutes(120),
        "{left}"
    );
}
