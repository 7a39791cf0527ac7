//! `tempcreds serve`: the container-credentials endpoint read by the AWS CLI and boto3 with
//! no key in their environment, renewed ahead of expiry while a boto3 loop keeps working
//! (one STS call per renewal, the MFA session reused), and refusing what it must.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::profiles::{codes_used, profiles_at};
use crate::support::*;

const LAB1: &str = "arn:aws:sts::123456789012:assumed-role/Lab1/alice";

pub(crate) struct Server {
    child: Child,
    pub(crate) uri: String,
    pub(crate) token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve(sb: &Sandbox, profiles: &[&str]) -> Server {
    serve_with(sb, profiles, &[])
}

pub(crate) fn serve_with(sb: &Sandbox, profiles: &[&str], flags: &[&str]) -> Server {
    let mut cmd = sb.command(tempcreds_bin());
    cmd.arg("serve")
        .args(profiles)
        .args(flags)
        .stderr(Stdio::null());
    started(cmd)
}

/// Starts the server `cmd` runs and reads the two variables it prints.
pub(crate) fn started(mut cmd: std::process::Command) -> Server {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut var = |name: &str| {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let prefix = format!("export {name}='");
        line.trim()
            .strip_prefix(&prefix)
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or_else(|| panic!("{name} in {line:?}"))
            .to_owned()
    };
    let uri = var("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    let token = var("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    assert_eq!(token.len(), 64, "256 bits as hex");
    Server { child, uri, token }
}

/// The sandbox as a consumer sees it: the endpoint's two variables and no key at all.
fn consumer(sb: &Sandbox, s: &Server, endpoint: &str) -> Sandbox {
    let mut c = Sandbox::new(endpoint);
    c.env = sb.env.clone();
    c.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .unset("AWS_SESSION_TOKEN")
        .set("AWS_ENDPOINT_URL", endpoint)
        .set("AWS_DEFAULT_REGION", "eu-west-1")
        .set("AWS_CONTAINER_CREDENTIALS_FULL_URI", &s.uri)
        .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", &s.token)
        // The consumer reads no profile: only the endpoint can be its source.
        .set("AWS_CONFIG_FILE", "/dev/null")
        .set("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    c
}

#[test]
fn the_aws_cli_uses_the_endpoint_with_no_key_in_its_environment() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let s = serve(&sb, &["lab1", "lab2"]);
    let c = consumer(&sb, &s, &moto.url);
    let out = c
        .aws(&["sts", "get-caller-identity", "--output", "json"])
        .ok();
    assert_eq!(out.json()["Arn"], LAB1);
    let mut lab2 = consumer(&sb, &s, &moto.url);
    lab2.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        &format!("{}profiles/lab2", s.uri),
    );
    let out = lab2
        .aws(&["sts", "get-caller-identity", "--output", "json"])
        .ok();
    assert!(
        out.json()["Arn"]
            .as_str()
            .unwrap()
            .contains("assumed-role/Lab2/")
    );
    assert_eq!(codes_used(&sb), 1, "one MFA session for both profiles");
}

#[test]
fn a_boto3_loop_keeps_working_across_renewals_with_one_sts_call_each() {
    let console = Console::start();
    let mut sb = profiles_at(&console.url);
    // Credentials that live 890 s, renewed 885 s before they expire: every 5 seconds, and
    // within botocore's own 15-minute window, so boto3 asks the endpoint on every call.
    console.expire_in(890);
    sb.set("TEMPCREDS_RENEW_BEFORE", "885");
    let s = serve(&sb, &["lab1"]);
    let before = console.sts_calls();
    assert_eq!(before, 2, "the MFA session and the role, before serving");
    let c = consumer(&sb, &s, console.moto_url());
    let out = c.python(
        "import boto3, time\n\
         sts = boto3.client('sts')\n\
         keys = []\n\
         for _ in range(13):\n\
         \x20   sts.get_caller_identity()\n\
         \x20   keys.append(sts._request_signer._credentials.get_frozen_credentials().access_key)\n\
         \x20   time.sleep(1)\n\
         print(len(set(keys)))\n",
    );
    let distinct: u64 = out.ok().stdout.trim().parse().unwrap();
    assert!(
        distinct >= 3,
        "at least two renewals seen by boto3: {distinct}"
    );
    let renewals = console.sts_calls() - before;
    assert!(
        renewals >= distinct - 1 && renewals <= distinct + 1,
        "one STS call per renewal: {renewals} calls, {distinct} keys"
    );
    assert_eq!(codes_used(&sb), 1, "renewals reuse the MFA session");
}

#[test]
fn wrong_tokens_paths_and_methods_are_refused() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let s = serve(&sb, &["lab1"]);
    let base = s.uri.trim_end_matches('/').to_owned();
    let get = |path: &str, token: Option<&str>, method: &str| {
        let mut c = sb.command("curl");
        c.args([
            "-s",
            "-o",
            "/dev/stderr",
            "-w",
            "%{http_code}",
            "-X",
            method,
        ]);
        if let Some(t) = token {
            c.args(["-H", &format!("Authorization: {t}")]);
        }
        let out = c.arg(format!("{base}{path}")).output().unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, body) = get("/", None, "GET");
    assert_eq!(code, "401", "{body}");
    assert!(!body.contains("SecretAccessKey"));
    assert_eq!(get("/", Some("wrong"), "GET").0, "403");
    assert_eq!(get("/", Some(&s.token), "GET").0, "200");
    assert_eq!(get("/profiles/nope", Some(&s.token), "GET").0, "404");
    assert_eq!(get("/elsewhere", Some(&s.token), "GET").0, "404");
    assert_eq!(get("/", Some(&s.token), "POST").0, "405");
    let (_, body) = get("/profiles/lab1", Some(&s.token), "GET");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["AccountId"], "123456789012");
    assert!(v["Token"].as_str().is_some() && v["Expiration"].as_str().is_some());
}

/// Wrong input is exit 2 naming the flag or variable, before any STS call; a port that
/// is taken is exit 1 naming the address.
#[test]
fn bad_input_is_exit_2_before_any_call_and_a_taken_port_exit_1_naming_it() {
    let console = Console::start();
    let mut sb = profiles_at(&console.url);
    let run = sb.tempcreds(&["serve", "lab1", "--listen", "localhost:80"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--listen: must be an IP address and a port, such as 127.0.0.1:0"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let run = sb.tempcreds(&["serve", "nope"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    sb.set("TEMPCREDS_RENEW_BEFORE", "soon");
    for args in [
        &["serve", "lab1"][..],
        &["exec", "lab1", "--server", "--", "true"],
    ] {
        let run = sb.tempcreds(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("TEMPCREDS_RENEW_BEFORE: must be a number of seconds"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(console.sts_calls(), 0, "nothing was sent");
    sb.unset("TEMPCREDS_RENEW_BEFORE");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let run = sb.tempcreds(&["serve", "lab1", "--listen", &addr]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("cannot listen on {addr}")),
        "{}",
        run.stderr
    );
}

/// One GET of the endpoint's `path` (after its `/`) with its token: (status, body).
pub(crate) fn fetch_path(s: &Server, path: &str) -> (String, String) {
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/stderr", "-w", "%{http_code}", "-H"])
        .arg(format!("Authorization: {}", s.token))
        .arg(format!("{}{path}", s.uri))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn fetch(s: &Server) -> (String, String) {
    fetch_path(s, "")
}

#[test]
fn sts_failing_keeps_the_old_credentials_until_ten_minutes_are_left_then_503_then_recovers() {
    let console = Console::start();
    let mut sb = profiles_at(&console.url);
    // 608 s of life, renewed 606 s ahead: due 2 s after issue; 8 s later only 10 minutes
    // (botocore's mandatory window) are left.
    console.expire_in(608);
    sb.set("TEMPCREDS_RENEW_BEFORE", "606");
    let s = serve(&sb, &["lab1"]);
    let (code, body) = fetch(&s);
    assert_eq!(code, "200", "{body}");
    let first: serde_json::Value = serde_json::from_str(&body).unwrap();
    console.sts_down(true);
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (code, body) = fetch(&s);
    assert_eq!(
        code, "200",
        "the old credentials while 10 minutes are left: {body}"
    );
    let still: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(still["AccessKeyId"], first["AccessKeyId"]);
    std::thread::sleep(std::time::Duration::from_secs(7));
    let (code, body) = fetch(&s);
    assert_eq!(code, "503", "{body}");
    assert!(body.contains("ServiceUnavailable"), "STS's reason: {body}");
    assert!(!body.contains("SecretAccessKey"));
    // Some failed attempts inside the window, then STS comes back: the gap until the
    // endpoint answers again is at most one retry interval (attempts start 5 s apart,
    // the SDK's own retries of each 503 included), plus slack for a loaded machine.
    std::thread::sleep(std::time::Duration::from_secs(4));
    console.sts_down(false);
    let back = std::time::Instant::now();
    let (code, body) = loop {
        let (code, body) = fetch(&s);
        if code == "200" || back.elapsed() > std::time::Duration::from_secs(30) {
            break (code, body);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let gap = back.elapsed();
    eprintln!("served again {gap:.2?} after STS recovered");
    assert_eq!(code, "200", "the next renewal that works recovers: {body}");
    assert!(
        gap < std::time::Duration::from_secs(7),
        "a retry interval is 5 s; recovered after {gap:?}"
    );
    let new: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_ne!(new["AccessKeyId"], first["AccessKeyId"]);
}

#[test]
fn boto3_reads_the_imdsv2_protocol_with_its_session_token() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let s = serve_with(&sb, &["lab1"], &["--imds"]);
    let base = s.uri.trim_end_matches('/').to_owned();
    let mut c = consumer(&sb, &s, &moto.url);
    c.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .unset("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        .unset("AWS_EC2_METADATA_DISABLED")
        .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &format!("{base}/"));
    let out = c.python(
        "import boto3\n\
         s = boto3.Session()\n\
         print(s.get_credentials().method)\n\
         print(s.client('sts').get_caller_identity()['Arn'])\n",
    );
    let text = out.ok().stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines, ["iam-role", LAB1], "{text}");
    // Without a session token, nothing; a token needs its TTL.
    let status = |args: &[&str]| {
        let out = std::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let creds = format!("{base}/latest/meta-data/iam/security-credentials/lab1");
    assert_eq!(status(&[creds.as_str()]), "401");
    assert_eq!(
        status(&["-H", "X-aws-ec2-metadata-token: made-up", creds.as_str()]),
        "401"
    );
    assert_eq!(
        status(&["-X", "PUT", &format!("{base}/latest/api/token")]),
        "400"
    );
    assert_eq!(status(&[&format!("{base}/latest/api/token")]), "405");
}
