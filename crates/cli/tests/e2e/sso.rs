//! IAM Identity Center end to end, against the SSO fake (OIDC and portal) and moto: a token
//! the AWS CLI's code wrote (botocore's own device-code login and cache) is used by
//! tempcreds for `exec`, `credential-process` and a role chained on the SSO profile; boto3,
//! reading the same profile and cache itself, gets the same identity.

use crate::profiles::exec_arn;
use crate::support::*;
use tempcreds_testkit::{Account, Sso};

pub(crate) const DEV_ADMIN: &str = "arn:aws:sts::111111111111:assumed-role/Admin/sso-user";

/// The ARN boto3 reports for `profile`, resolving it (and its SSO token) itself.
pub(crate) fn boto3_arn(sb: &Sandbox, profile: &str) -> String {
    sb.python(&format!(
        "import boto3\nprint(boto3.Session(profile_name='{profile}').client('sts').get_caller_identity()['Arn'])"
    ))
    .ok()
    .stdout
    .trim()
    .to_owned()
}

pub(crate) fn accounts() -> Vec<Account> {
    vec![
        Account {
            id: "111111111111",
            name: "Dev",
            roles: vec!["Admin", "ReadOnly"],
        },
        Account {
            id: "222222222222",
            name: "Prod",
            roles: vec!["ReadOnly", "Deploy"],
        },
        Account {
            id: "333333333333",
            name: "Sandbox",
            roles: vec!["Admin", "ReadOnly"],
        },
    ]
}

/// A sandbox with an sso-session, an SSO profile, a role chained on it and a legacy
/// profile; the SDKs' SSO endpoints at the fake.
pub(crate) fn sso_sandbox(sso: &Sso) -> Sandbox {
    let mut sb = Sandbox::new(&sso.sts_url);
    sb.write(
        "aws/config",
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n\n\
         [profile corp-dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\nregion = eu-west-1\n\n\
         [profile deploy]\nrole_arn = arn:aws:iam::222222222222:role/Deploy\nsource_profile = corp-dev\nrole_session_name = me\n",
    );
    let cache = sb.path("cache");
    sb.set("AWS_ENDPOINT_URL_SSO", &sso.url)
        .set("AWS_ENDPOINT_URL_SSO_OIDC", &sso.url)
        .set("TEMPCREDS_CACHE_DIR", cache.to_str().unwrap())
        .unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    sb
}

/// What `aws sso login --use-device-code` does, with botocore's own client and cache:
/// register, start the device flow, approve (the fake's hook stands in for the browser),
/// poll, and save the token where the AWS CLI saves it.
pub(crate) fn aws_cli_login(sb: &Sandbox, sso: &Sso) {
    let script = format!(
        r#"
import datetime, os, time, urllib.request
import boto3
from botocore.tokens import _sso_json_dumps
from botocore.utils import JSONFileCache, SSOTokenLoader
oidc = boto3.client("sso-oidc", region_name="eu-west-1")
c = oidc.register_client(clientName="botocore-client", clientType="public", scopes=["sso:account:access"])
d = oidc.start_device_authorization(clientId=c["clientId"], clientSecret=c["clientSecret"], startUrl="https://corp.awsapps.com/start")
urllib.request.urlopen("{url}/_fake/approve?user_code=" + d["userCode"])
time.sleep(d["interval"])
t = oidc.create_token(clientId=c["clientId"], clientSecret=c["clientSecret"], grantType="urn:ietf:params:oauth:grant-type:device_code", deviceCode=d["deviceCode"])
now = datetime.datetime.now(datetime.timezone.utc)
cache = JSONFileCache(os.path.expanduser("~/.aws/sso/cache"), dumps_func=_sso_json_dumps)
SSOTokenLoader(cache).save_token("https://corp.awsapps.com/start", {{
    "startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1",
    "accessToken": t["accessToken"], "expiresAt": now + datetime.timedelta(seconds=t["expiresIn"]),
    "clientId": c["clientId"], "clientSecret": c["clientSecret"],
    "registrationExpiresAt": datetime.datetime.fromtimestamp(c["clientSecretExpiresAt"], datetime.timezone.utc),
    "refreshToken": t["refreshToken"]}}, session_name="corp")
"#,
        url = sso.url
    );
    sb.python(&script).ok();
}

#[test]
fn a_token_the_aws_cli_wrote_signs_tempcreds_in_and_boto3_agrees() {
    let sso = Sso::start(&accounts());
    let sb = sso_sandbox(&sso);
    aws_cli_login(&sb, &sso);
    assert_eq!(exec_arn(&sb, "corp-dev"), DEV_ADMIN);
    assert_eq!(
        boto3_arn(&sb, "corp-dev"),
        DEV_ADMIN,
        "botocore reads the same profile and cache"
    );
    let portal_calls = || {
        sso.log()
            .iter()
            .filter(|c| c["op"] == "/federation/credentials")
            .count()
    };
    let before = portal_calls();
    let json = sb
        .tempcreds(&["credential-process", "corp-dev"])
        .ok()
        .json();
    assert_eq!(json["Version"], 1);
    assert_eq!(portal_calls(), before, "credential-process is a cache hit");
    assert_eq!(
        exec_arn(&sb, "deploy"),
        "arn:aws:sts::222222222222:assumed-role/Deploy/me"
    );
}

#[test]
fn without_a_sign_in_one_line_says_to_log_in_and_bad_settings_are_exit_2() {
    let sso = Sso::start(&accounts());
    let sb = sso_sandbox(&sso);
    let run = sb.tempcreds(&["env", "corp-dev"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("not signed in to sso-session corp"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("tempcreds sso login --sso-session corp"),
        "{}",
        run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines.len() == 2 && lines[0].starts_with("error: ") && lines[1].starts_with("hint: "),
        "one error line and its hint: {}",
        run.stderr
    );
    let config = std::fs::read_to_string(sb.path("aws/config")).unwrap();
    for (extra, want) in [
        (
            "[profile x]\nsso_session = nope\nsso_account_id = 111111111111\nsso_role_name = Admin\n",
            "sso_session nope: names no [sso-session] section",
        ),
        (
            "[profile x]\nsso_session = corp\nsso_account_id = 1111\nsso_role_name = Admin\n",
            "sso_account_id (profile x): must be a 12-digit account id",
        ),
        (
            "[profile x]\nsso_start_url = http://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111111111111\nsso_role_name = Admin\n",
            "sso_start_url (profile x): must be an https:// URL",
        ),
        (
            "[profile x]\nsso_start_url = https://corp.awsapps.com/start\nsso_account_id = 111111111111\nsso_role_name = Admin\n",
            "sso_region (profile x): is required",
        ),
    ] {
        sb.write("aws/config", &format!("{config}\n{extra}"));
        let run = sb.tempcreds(&["env", "x"]);
        assert_eq!(run.code, 2, "{extra}: {}", run.stderr);
        assert!(run.stderr.contains(want), "{extra}: {}", run.stderr);
    }
    assert!(sso.log().is_empty(), "nothing was sent: {:?}", sso.log());
}

/// The console from the SSO role itself sends SessionDuration (a person's role session);
/// from a role chained on it, not (role chaining: at most an hour). `list` and `whoami`
/// show the SSO profile and the sign-in's time left.
#[test]
fn console_list_and_whoami_for_sso_profiles() {
    let console = Console::start();
    let sso = Sso::start_with_sts(&accounts(), &console.url);
    let mut sb = sso_sandbox(&sso);
    sb.set(
        "TEMPCREDS_FEDERATION_ENDPOINT",
        &format!("{}/federation", console.url),
    );
    aws_cli_login(&sb, &sso);
    let link = sb
        .tempcreds(&["console", "corp-dev", "--duration", "8h"])
        .ok()
        .stdout;
    assert!(link.contains("/federation?Action=login"), "{link}");
    let log = console.log();
    assert_eq!(log.last().unwrap()["SessionDuration"], "28800", "{log:?}");
    let out = sb
        .tempcreds(&["console", "deploy", "--duration", "4h"])
        .ok();
    assert!(out.stderr.contains("capped at 1h"), "{}", out.stderr);
    let log = console.log();
    assert!(
        log.last().unwrap().get("SessionDuration").is_none(),
        "{log:?}"
    );
    let list = sb.tempcreds(&["list"]).ok().stdout;
    assert!(
        list.contains("corp-dev  SSO role Admin in 111111111111 (sso-session corp)"),
        "{list}"
    );
    assert!(
        list.contains("SSO sign-ins (1):\n  sso-session corp  [7h 59m left]")
            || list.contains("SSO sign-ins (1):\n  sso-session corp  [8h 00m left]"),
        "{list}"
    );
    assert!(
        list.contains("SSO role Admin in 111111111111 (sso-session corp)  ["),
        "cached: {list}"
    );
    let who = sb.tempcreds(&["whoami", "corp-dev"]).ok().stdout;
    assert!(who.starts_with(&format!("identity:  {DEV_ADMIN}")), "{who}");
}

/// Every profile command takes SSO profiles: `assume --profile`, `exec --server` (the
/// endpoint serves the SSO role); a throttled portal is exit 1 with a hint.
#[test]
fn assume_and_exec_server_take_sso_profiles_and_a_throttled_portal_says_so() {
    let sso = Sso::start(&accounts());
    let mut sb = sso_sandbox(&sso);
    aws_cli_login(&sb, &sso);
    let json = sb
        .tempcreds(&["assume", "--profile", "corp-dev", "-o", "json"])
        .ok()
        .json();
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    // GetRoleCredentials names no role: one GetCallerIdentity does, cached with the
    // credentials, so a hit sends nothing (STS unreachable now, and the ARN still there).
    assert_eq!(json["AssumedRoleArn"], DEV_ADMIN, "{json}");
    sb.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    let hit = sb
        .tempcreds(&["assume", "--profile", "corp-dev", "-o", "json"])
        .ok();
    assert!(!hit.stderr.contains("warn"), "{}", hit.stderr);
    let again = hit.json();
    assert_eq!(again["AssumedRoleArn"], DEV_ADMIN, "{again}");
    assert_eq!(again["AccessKeyId"], json["AccessKeyId"]);
    sb.unset("AWS_ENDPOINT_URL_STS");
    let out = sb
        .tempcreds(&[
            "exec",
            "corp-dev",
            "--server",
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ])
        .ok()
        .stdout;
    assert_eq!(out.trim(), DEV_ADMIN);
    let s = crate::server::serve(&sb, &["corp-dev"]);
    let (code, body) = crate::server::fetch(&s);
    assert_eq!(code, "200", "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["AccountId"], "111111111111", "the SSO role's account");
    drop(s);
    sb.tempcreds(&["clear"]).ok();
    sso.throttle(true);
    let run = sb.tempcreds(&["env", "corp-dev"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("TooManyRequestsException"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: IAM Identity Center is throttling"),
        "{}",
        run.stderr
    );
    sso.throttle(false);
    let config = std::fs::read_to_string(sb.path("aws/config")).unwrap();
    sb.write(
        "aws/config",
        &format!("{config}\n[profile not-mine]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = Admin\n"),
    );
    let run = sb.tempcreds(&["env", "not-mine"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("ForbiddenException"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("hint: this user is not assigned that account and role"),
        "{}",
        run.stderr
    );
    sso.expire_tokens(); // revoked at the portal while the file still says valid
    let run = sb.tempcreds(&["env", "corp-dev"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("IAM Identity Center refused the sign-in to sso-session corp"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: run `tempcreds sso login --sso-session corp`"),
        "{}",
        run.stderr
    );
}
