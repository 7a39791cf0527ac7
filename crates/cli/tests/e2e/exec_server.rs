//! `exec PROFILE --server -- CMD`: the child reads its credentials from tempcreds' endpoint
//! (the AWS CLI and boto3, no key in its environment), signals reach it once — Ctrl-C from
//! the terminal directly, a `kill` of tempcreds relayed — and tempcreds exits with its
//! status, serving no longer.

use std::os::unix::process::CommandExt;

use crate::profiles::profiles_at;
use crate::support::*;

const LAB1: &str = "arn:aws:sts::123456789012:assumed-role/Lab1/alice";

/// Polls `done` for up to ten seconds.
fn wait_for(done: impl Fn() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("timed out");
}

fn exec_server(sb: &Sandbox, profile: &str, script: &str) -> Run {
    sb.tempcreds(&["exec", profile, "--server", "--", "sh", "-c", script])
}

#[test]
fn the_child_reads_the_endpoint_with_the_aws_cli_and_boto3_and_holds_no_key() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let python = venv().join("bin/python");
    let script = format!(
        "tr '\\0' '\\n' < /proc/$$/environ | sort; echo ---; \
         aws sts get-caller-identity --query Arn --output text; \
         {} -c 'import boto3; s = boto3.Session(); print(s.get_credentials().method); print(s.client(\"sts\").get_caller_identity()[\"Arn\"])'",
        python.display()
    );
    let out = exec_server(&sb, "lab1", &script).ok().stdout;
    let (environ, rest) = out.split_once("---\n").unwrap_or_else(|| panic!("{out}"));
    for key in [
        "AWS_ACCESS_KEY_ID=",
        "AWS_SECRET_ACCESS_KEY=",
        "AWS_SESSION_TOKEN=",
    ] {
        assert!(!environ.contains(key), "{key} in the child: {environ}");
    }
    assert!(
        environ.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:"),
        "{out}"
    );
    let token = environ
        .lines()
        .find_map(|l| l.strip_prefix("AWS_CONTAINER_AUTHORIZATION_TOKEN="))
        .unwrap();
    assert_eq!(token.len(), 64, "256 bits as hex");
    assert!(environ.contains("TEMPCREDS_EXEC_PROFILE=lab1"), "{environ}");
    assert!(environ.contains("AWS_REGION=eu-west-1"), "{environ}");
    let lines: Vec<&str> = rest.lines().collect();
    assert_eq!(lines, [LAB1, "container-role", LAB1], "{rest}");
}

#[test]
fn tempcreds_exits_with_the_childs_status_and_stops_serving() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let run = exec_server(
        &sb,
        "lab1",
        "echo $AWS_CONTAINER_CREDENTIALS_FULL_URI; exit 7",
    );
    assert_eq!(run.code, 7, "{}", run.stderr);
    let uri = run.stdout.trim().to_owned();
    let after = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &uri])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&after.stdout),
        "000",
        "nothing listens once the child ended"
    );
    let run = exec_server(&sb, "lab1", "kill -TERM $$");
    assert_eq!(run.code, 143, "128 + SIGTERM: {}", run.stderr);
}

/// A `kill` of tempcreds reaches the child once (relayed); so do USR1 and HUP. A signal
/// the child sends its own group comes back to it once too, not twice.
#[test]
fn signals_sent_to_tempcreds_are_relayed_once() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let marks = sb.path("marks");
    let script = format!(
        "trap 'echo usr1 >> {m}' USR1; trap 'echo hup >> {m}' HUP; \
         trap 'echo term >> {m}; exit 3' TERM; \
         kill -USR1 0; echo ready >> {m}; while :; do sleep 0.05; done",
        m = marks.display()
    );
    let mut child = sb
        .command(tempcreds_bin())
        .args(["exec", "lab1", "--server", "--", "sh", "-c", &script])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        // A group of its own, as a shell gives a job: `kill 0` in the child stays in it.
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let read = || std::fs::read_to_string(&marks).unwrap_or_default();
    wait_for(|| read().contains("ready"));
    let kill = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        assert!(ok.success());
    };
    kill("-USR1");
    wait_for(|| read().matches("usr1").count() == 2);
    kill("-HUP");
    wait_for(|| read().contains("hup"));
    kill("-TERM");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3), "the child's own exit status");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(read(), "usr1\nready\nusr1\nhup\nterm\n");
}

/// Ctrl-C at the terminal reaches the child once (the terminal signals the whole
/// foreground group: relaying it too would make it twice, and two Ctrl-C in a row stop a
/// Jupyter server unasked), and tempcreds, still there, exits with the child's status.
#[test]
fn ctrl_c_at_the_terminal_reaches_the_child_once() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let child = "import signal, sys, time\n\
                 n = [0]\n\
                 signal.signal(signal.SIGINT, lambda *a: n.__setitem__(0, n[0] + 1))\n\
                 print('ready', flush=True)\n\
                 time.sleep(2)\n\
                 print('sigints', n[0], flush=True)\n\
                 sys.exit(5)\n";
    let script = r#"
import os, sys
from pty_session import Session
s = Session(sys.argv[1:])
s.expect(b"ready")
os.write(s.fd, b"\x03")
s.finish()
"#;
    let python = venv().join("bin/python");
    let run = Run::of(
        sb.pty_python(script)
            .args([tempcreds_bin().as_str(), "exec", "lab1", "--server", "--"])
            .arg(&python)
            .args(["-c", child])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 5, "the child's status: {}", run.stderr);
    assert!(run.stderr.contains("sigints 1"), "{}", run.stderr);
}

/// The child's SDKs read the `default` profile before the endpoint: keys there are hidden
/// from it, a role there is refused before anything runs.
#[test]
fn a_default_profile_that_would_win_over_the_endpoint_is_hidden_or_refused() {
    let moto = Moto::start();
    let sb = profiles_at(&moto.url);
    let credentials = std::fs::read_to_string(sb.path("aws/credentials")).unwrap();
    sb.write(
        "aws/credentials",
        &format!(
            "{credentials}\n[default]\naws_access_key_id = {SOURCE_KEY}\naws_secret_access_key = {SOURCE_SECRET}\n"
        ),
    );
    let out = exec_server(
        &sb,
        "lab1",
        "echo $AWS_SHARED_CREDENTIALS_FILE; aws sts get-caller-identity --query Arn --output text",
    )
    .ok()
    .stdout;
    assert_eq!(out, format!("/dev/null\n{LAB1}\n"));
    let config = std::fs::read_to_string(sb.path("aws/config")).unwrap();
    sb.write(
        "aws/config",
        &format!("{config}\n[default]\nrole_arn = arn:aws:iam::123456789012:role/Lab2\nsource_profile = base\n"),
    );
    let run = exec_server(&sb, "lab1", "echo ran");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("profile default in AWS_CONFIG_FILE has role_arn"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("ran"));
}
