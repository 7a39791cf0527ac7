//! The key store end to end, with the file store: `keys add` (asked, `--env`, `--move`),
//! `list`, `remove`; the AWS CLI and boto3 using a stored profile through its
//! `credential_process` line; sessions handed out instead of the key; and no secret in any
//! file but the store, in `-vv` logs, in `ps` or in an error. The helpers are shared with
//! `keys_rotate` and `keys_secret_service`.

use crate::support::*;

/// A user `NAME` in moto with one access key: (key id, secret).
pub(crate) fn iam_user(sb: &Sandbox, name: &str) -> (String, String) {
    sb.aws(&["iam", "create-user", "--user-name", name]).ok();
    let k = sb
        .aws(&[
            "iam",
            "create-access-key",
            "--user-name",
            name,
            "--output",
            "json",
        ])
        .ok()
        .json();
    let key = &k["AccessKey"];
    (
        key["AccessKeyId"].as_str().unwrap().to_owned(),
        key["SecretAccessKey"].as_str().unwrap().to_owned(),
    )
}

/// `keys add NAME --env` with this key.
pub(crate) fn add_env(sb: &Sandbox, name: &str, id: &str, secret: &str) -> Run {
    let mut c = sb.command(tempcreds_bin());
    c.args(["keys", "add", name, "--env"])
        .env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret);
    Run::of(c.output().unwrap())
}

pub(crate) fn store_file(sb: &Sandbox) -> std::path::PathBuf {
    sb.path("home/.local/share/tempcreds/keys.json")
}

/// Every file under the sandbox except the store, as text, for "no secret here".
pub(crate) fn assert_nowhere_but_the_store(sb: &Sandbox, secret: &str) {
    let store = store_file(sb);
    let mut stack = vec![sb.dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p != store {
                let bytes = std::fs::read(&p).unwrap_or_default();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(secret),
                    "the secret is in {}",
                    p.display()
                );
            }
        }
    }
}

/// The credentials boto3 resolves for `profile` (the source keys removed from its environment).
pub(crate) fn boto3_keys(sb: &Sandbox, profile: &str) -> serde_json::Value {
    let script = format!(
        "import boto3, json, os\n\
         for v in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'): os.environ.pop(v, None)\n\
         c = boto3.Session(profile_name='{profile}').get_credentials().get_frozen_credentials()\n\
         print(json.dumps({{'id': c.access_key, 'secret': c.secret_key, 'token': c.token}}))"
    );
    serde_json::from_str(&sb.python(&script).ok().stdout).unwrap()
}

/// Whether a line of a table holds exactly these cells.
pub(crate) fn has_row(table: &str, cells: &[&str]) -> bool {
    table
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>() == cells)
}

const CONFIG: &str = "# my profiles\n[profile base]\nregion = eu-west-1 ; kept\n\n\
                      [profile lab]\nrole_arn = arn:aws:iam::123456789012:role/Lab\nsource_profile = base\n";

#[test]
fn a_stored_profile_is_used_by_tempcreds_the_aws_cli_and_boto3_with_sessions_not_the_key() {
    let rec = Recorder::start();
    let mut sb = rec.sandbox();
    let (id, secret) = iam_user(&sb, "base");
    sb.write("aws/config", CONFIG);
    add_env(&sb, "base", &id, &secret).ok();
    let config = std::fs::read_to_string(sb.path("aws/config")).unwrap();
    assert_eq!(
        config,
        CONFIG.replace(
            "; kept\n",
            "; kept\ncredential_process = tempcreds credential-process base\n"
        )
    );
    assert!(!sb.credentials_file().exists(), "no plaintext key written");
    let sealed = std::fs::read_to_string(store_file(&sb)).unwrap();
    for plain in [id.as_str(), secret.as_str(), "base"] {
        assert!(
            !sealed.contains(plain),
            "{plain} in the store file in the clear"
        );
    }
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");

    let listed = sb.tempcreds(&["keys", "list"]).ok();
    assert!(
        has_row(&listed.stdout, &["base", &id, "file", "0d"]),
        "{}",
        listed.stdout
    );
    assert!(!listed.stdout.contains(&secret));

    // The AWS CLI and boto3 run tempcreds' credential_process: a session, not the key.
    sb.aws(&["sts", "get-caller-identity", "--profile", "base"])
        .ok();
    let b = boto3_keys(&sb, "base");
    assert!(b["token"].is_string(), "a session token: {b}");
    assert_ne!(b["secret"], secret.as_str());
    // A role on it, in the AWS CLI (chaining from the session) and in tempcreds (AssumeRole
    // signed with the stored key inside, no session in between).
    assert!(sb.aws_caller_arn("lab").contains(":assumed-role/Lab/"));
    let before = rec.calls().len();
    let lab = sb
        .tempcreds(&["assume", "--profile", "lab", "-o", "json"])
        .ok()
        .json();
    assert!(
        lab["AssumedRoleArn"]
            .as_str()
            .unwrap()
            .contains("assumed-role/Lab")
    );
    assert_eq!(
        rec.calls()[before..],
        [("AssumeRole".to_owned(), id.clone())]
    );

    let sessions: Vec<_> = rec
        .calls()
        .into_iter()
        .filter(|c| c.0 == "GetSessionToken")
        .collect();
    assert_eq!(
        sessions,
        [("GetSessionToken".to_owned(), id.clone())],
        "one session, cached, signed with the stored key"
    );

    for args in [
        vec!["env", "base"],
        vec!["credential-process", "base"],
        vec!["assume", "--profile", "base", "-o", "json"],
    ] {
        let out = sb.tempcreds(&args).ok();
        assert!(
            !out.stdout.contains(&secret) && !out.stdout.contains(&id),
            "{args:?} handed out the key: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains("SessionToken") || out.stdout.contains("AWS_SESSION_TOKEN"),
            "{}",
            out.stdout
        );
    }
    let child = sb
        .tempcreds(&[
            "exec",
            "base",
            "--",
            "sh",
            "-c",
            "echo $AWS_ACCESS_KEY_ID; ps -eo args",
        ])
        .ok();
    assert!(
        !child.stdout.contains(&id) && !child.stdout.contains(&secret),
        "{}",
        child.stdout
    );

    // Written into its own section, session keys would shadow the stored key: refused.
    let shadow = sb
        .tempcreds(&["assume", "--profile", "base", "-o", "write", "--force"])
        .fails(2);
    assert!(shadow.stderr.contains("shadow"), "{}", shadow.stderr);
    assert!(!sb.credentials_file().exists());
    let who = sb.tempcreds(&["whoami", "base"]).ok().stdout;
    assert!(
        who.contains(&format!("key:       {id} in the key store file"))
            && who.contains("(0 days old)"),
        "{who}"
    );
    let kinds = sb.tempcreds(&["list"]).ok().stdout;
    assert!(kinds.contains("base     stored key\n"), "{kinds}");

    // --no-session: the key itself, asked for explicitly, with a warning.
    let raw = sb
        .tempcreds(&[
            "exec",
            "base",
            "--no-session",
            "--",
            "sh",
            "-c",
            "echo $AWS_ACCESS_KEY_ID $AWS_SESSION_TOKEN.",
        ])
        .ok();
    assert_eq!(raw.stdout.trim(), format!("{id} ."));
    assert!(raw.stderr.contains("--no-session"), "{}", raw.stderr);
    let env = sb.tempcreds(&["env", "base", "--no-session"]).ok();
    assert!(env.stdout.contains(&secret));
    sb.tempcreds(&["env", "lab", "--no-session"]).fails(2);

    // -vv logs no secret; no file but the store holds it.
    sb.tempcreds(&["clear"]).ok();
    let verbose = sb.tempcreds(&["-vv", "credential-process", "base"]).ok();
    assert!(!verbose.stderr.contains(&secret), "{}", verbose.stderr);
    assert_nowhere_but_the_store(&sb, &secret);

    // remove: the line goes, every other byte stays; the key still exists in IAM.
    let removed = sb.tempcreds(&["keys", "remove", "base"]).ok();
    assert!(
        removed.stderr.contains("still exists in IAM"),
        "{}",
        removed.stderr
    );
    assert_eq!(
        std::fs::read_to_string(sb.path("aws/config")).unwrap(),
        CONFIG
    );
    sb.tempcreds(&["keys", "remove", "base"]).fails(2);
}

#[test]
fn move_takes_the_two_lines_only_after_the_store_gave_the_key_back() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    let creds = "# keys\n[base] ; mine\naws_access_key_id = AKIAMOVEDKEY00000001\nregion = us-west-2\n\
                 aws_secret_access_key = moved/secret/value+1\n\n[temp]\naws_access_key_id = ASIATEMP\n\
                 aws_secret_access_key = t\naws_session_token = tok\n";
    sb.write("aws/credentials", creds);
    // A store that cannot be written (its directory would be under a file): exit 1, unchanged.
    sb.write("blocker", "");
    sb.set(
        "TEMPCREDS_KEY_STORE_FILE",
        sb.path("blocker/keys.json").to_str().unwrap(),
    );
    sb.tempcreds(&["keys", "add", "base", "--move"]).fails(1);
    assert_eq!(
        std::fs::read_to_string(sb.credentials_file()).unwrap(),
        creds
    );
    assert!(!sb.path("aws/config").exists());
    sb.unset("TEMPCREDS_KEY_STORE_FILE");
    // A session token is not a long-term key.
    let temp = sb.tempcreds(&["keys", "add", "temp", "--move"]).fails(2);
    assert!(temp.stderr.contains("session token"), "{}", temp.stderr);
    // A key already in the credentials file, added again without --move: both places.
    let twice = add_env(&sb, "base", "AKIAOTHERKEY00000001", "s").fails(2);
    assert!(twice.stderr.contains("--move"), "{}", twice.stderr);

    sb.tempcreds(&["keys", "add", "base", "--move"]).ok();
    assert_eq!(
        std::fs::read_to_string(sb.credentials_file()).unwrap(),
        creds
            .replace("aws_access_key_id = AKIAMOVEDKEY00000001\n", "")
            .replace("aws_secret_access_key = moved/secret/value+1\n", "")
    );
    assert_eq!(
        std::fs::read_to_string(sb.path("aws/config")).unwrap(),
        "[profile base]\ncredential_process = tempcreds credential-process base\n"
    );
    let listed = sb.tempcreds(&["keys", "list"]).ok().stdout;
    assert!(
        has_row(&listed, &["base", "AKIAMOVEDKEY00000001", "file", "0d"]),
        "{listed}"
    );
    assert_nowhere_but_the_store(&sb, "moved/secret/value+1");

    // Keys in both places (put back by hand): every command refuses, naming both.
    let mut text = std::fs::read_to_string(sb.credentials_file()).unwrap();
    text = text.replace(
        "[base] ; mine\n",
        "[base] ; mine\naws_access_key_id = AKIAMOVEDKEY00000001\naws_secret_access_key = x\n",
    );
    sb.write("aws/credentials", &text);
    let both = sb.tempcreds(&["env", "base"]).fails(2);
    assert!(
        both.stderr.contains("two places") && both.stderr.contains("key store"),
        "{}",
        both.stderr
    );
}

#[test]
fn bad_input_is_refused_before_the_store_or_aws_and_nothing_is_written() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    sb.write("aws/config", CONFIG);
    let cases: &[(&[&str], &str, &str, &str)] = &[
        (
            &["keys", "add", "base", "--env"],
            "ASIAIOSFODNN7EXAMPLE",
            "s",
            "temporary key",
        ),
        (&["keys", "add", "base", "--env"], "NOTAKEY", "s", "AKIA"),
        (
            &["keys", "add", "base", "--env"],
            "AKIA12",
            "s",
            "16 to 128",
        ),
        (
            &["keys", "add", "base", "--env"],
            "AKIAIOSFODNN7EXAMPLE",
            "",
            "must not be empty",
        ),
        (
            &["keys", "add", "lab", "--env"],
            "AKIAIOSFODNN7EXAMPLE",
            "s",
            "role profile",
        ),
        (
            &["keys", "add", "bad;name", "--env"],
            "AKIAIOSFODNN7EXAMPLE",
            "s",
            "PROFILE",
        ),
        (
            &["keys", "remove", "nosuch"],
            "AKIAIOSFODNN7EXAMPLE",
            "s",
            "no key",
        ),
        (
            &["keys", "rotate", "nosuch"],
            "AKIAIOSFODNN7EXAMPLE",
            "s",
            "does not exist",
        ),
        (
            &["keys", "rotate", "lab"],
            "AKIAIOSFODNN7EXAMPLE",
            "s",
            "no credentials",
        ),
    ];
    for (args, id, secret, says) in cases {
        let mut c = sb.command(tempcreds_bin());
        c.args(*args)
            .env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret);
        let run = Run::of(c.output().unwrap()).fails(2);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: ") && run.stderr.lines().count() <= 2,
            "one line (and a hint): {}",
            run.stderr
        );
        assert!(secret.len() < 2 || !run.stderr.contains(secret));
    }
    // No terminal and no --env: exit 2, naming the flag.
    sb.tempcreds(&["keys", "add", "base"]).fails(2);
    assert_eq!(
        std::fs::read_to_string(sb.path("aws/config")).unwrap(),
        CONFIG
    );
    assert!(!store_file(&sb).exists());
    // An unknown store is input; an unreachable one is the store's failure.
    sb.set("TEMPCREDS_KEY_STORE", "keychain");
    let bad = sb.tempcreds(&["keys", "list"]).fails(2);
    assert!(bad.stderr.contains("TEMPCREDS_KEY_STORE"), "{}", bad.stderr);
    sb.set("TEMPCREDS_KEY_STORE", "secret-service");
    sb.set(
        "DBUS_SESSION_BUS_ADDRESS",
        &format!("unix:path={}", sb.path("no-bus").display()),
    );
    let down = sb.tempcreds(&["keys", "list"]).fails(1);
    assert!(down.stderr.contains("Secret Service"), "{}", down.stderr);
    // A wrong passphrase: exit 2 naming the store, the store unchanged.
    sb.set("TEMPCREDS_KEY_STORE", "file");
    add_env(&sb, "base", "AKIAIOSFODNN7EXAMPLE", "right-secret").ok();
    let sealed = std::fs::read(store_file(&sb)).unwrap();
    sb.set("TEMPCREDS_KEY_STORE_PASSPHRASE", "wrong");
    let wrong = add_env(&sb, "other", "AKIAIOSFODNN7EXAMPL2", "s").fails(2);
    assert!(
        wrong.stderr.contains("passphrase") && wrong.stderr.contains("keys.json"),
        "{}",
        wrong.stderr
    );
    assert_eq!(std::fs::read(store_file(&sb)).unwrap(), sealed);
    assert!(
        !std::fs::read_to_string(sb.path("aws/config"))
            .unwrap()
            .contains("profile other")
    );
}
