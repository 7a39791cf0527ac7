//! The key store on a real Secret Service: GNOME Keyring on a private D-Bus session
//! (`dbus-run-session`), its login keyring unlocked with a passphrase on stdin, as a desktop
//! session would have it. With `TEMPCREDS_KEY_STORE` unset the bus's Secret Service is
//! chosen; tempcreds, the AWS CLI and boto3 then use the stored profile, and no file store
//! is made.

use crate::keys::{assert_nowhere_but_the_store, has_row, iam_user, store_file};
use crate::support::*;

/// Starts GNOME Keyring in the foreground (its PID kept, so the script stops exactly it),
/// waits for org.freedesktop.secrets on the bus, runs `body`, and stops the daemon.
const HARNESS: &str = r#"
set -e
printf 'keyring passphrase' | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
GK=$!
trap 'kill $GK 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  dbus-send --session --dest=org.freedesktop.DBus --print-reply /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.1
done
"#;

#[test]
fn a_key_in_gnome_keyring_is_used_by_tempcreds_the_aws_cli_and_boto3() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    let (id, secret) = iam_user(&sb, "desk");
    sb.unset("TEMPCREDS_KEY_STORE")
        .unset("TEMPCREDS_KEY_STORE_PASSPHRASE");
    let body = r#"
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET tempcreds keys add desk --env
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
echo "== list"; tempcreds keys list
aws sts get-caller-identity --profile desk --output json >/dev/null && echo "== aws ok"
python -c "import boto3; c = boto3.Session(profile_name='desk').get_credentials().get_frozen_credentials(); print('== boto3', c.access_key != '$KEY' and bool(c.token))"
echo "== env"; tempcreds env desk
echo "== raw"; tempcreds env desk --no-session 2>/dev/null | grep -c "$SECRET"
tempcreds keys remove desk
echo "== after"; tempcreds keys list
"#;
    let mut c = sb.command("dbus-run-session");
    c.args(["--", "sh", "-c", &format!("{HARNESS}{body}")])
        .env("KEY", &id)
        .env("SECRET", &secret);
    let run = Run::of(c.output().unwrap()).ok();
    let out = &run.stdout;
    let section = |name: &str| {
        out.split(&format!("== {name}"))
            .nth(1)
            .unwrap_or_default()
            .split("== ")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        has_row(&section("list"), &["desk", &id, "secret-service", "0d"]),
        "{out}\n{}",
        run.stderr
    );
    assert!(out.contains("== aws ok"), "{out}\n{}", run.stderr);
    assert!(out.contains("== boto3 True"), "{out}\n{}", run.stderr);
    let env = section("env");
    assert!(
        env.contains("AWS_SESSION_TOKEN") && !env.contains(&secret),
        "{env}"
    );
    assert_eq!(
        section("raw").trim(),
        "1",
        "--no-session hands out the key itself"
    );
    assert!(
        !has_row(&section("after"), &["desk", &id, "secret-service", "0d"]),
        "{out}"
    );
    assert!(
        !store_file(&sb).exists(),
        "the Secret Service was used, not a file"
    );
    assert_eq!(
        std::fs::read_to_string(sb.path("aws/config")).unwrap_or_default(),
        "[profile desk]\n",
        "remove took the credential_process line"
    );
    // GNOME Keyring's own file is encrypted with its passphrase: the secret is nowhere.
    assert_nowhere_but_the_store(&sb, &secret);
}
