//! The key store as a person meets it: at a terminal (the key id echoed, the secret and a
//! new store's passphrase not, a wrong passphrase changing nothing), and keys past 90 days
//! named by `keys list` and `whoami`.

use crate::keys::{has_row, store_file};
use crate::support::*;

/// At a terminal: the key id is asked (echoed), the secret and a new store's passphrase (twice)
/// are not echoed; a later run asks the passphrase once and a wrong one changes nothing.
#[test]
fn at_a_terminal_the_secret_and_the_passphrase_are_not_echoed() {
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    sb.unset("TEMPCREDS_KEY_STORE_PASSPHRASE");
    let script = r#"
import sys
from pty_session import Session
s = Session(sys.argv[1:])
s.expect(b"access key id for profile tty: ")
s.send("AKIATTYKEY0000000001")
s.expect(b"secret access key (not shown): ")
s.send("tty/secret/never+echoed")
s.expect(b"new passphrase for the key store")
s.send("pass phrase one")
s.expect(b"the same passphrase again: ")
s.send("pass phrase one")
s.finish()
"#;
    let run = Run::of(
        sb.pty_python(script)
            .args([tempcreds_bin().as_str(), "keys", "add", "tty"])
            .output()
            .unwrap(),
    )
    .ok();
    // The transcript is the terminal: what was typed in the clear shows, nothing else does.
    assert!(
        run.stderr.contains("AKIATTYKEY0000000001"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("tty/secret/never+echoed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("pass phrase one"), "{}", run.stderr);
    let list = r#"
import sys
from pty_session import Session
s = Session(sys.argv[1:])
s.expect(b"passphrase of the key store")
s.send("pass phrase one")
s.finish()
"#;
    let listed = Run::of(
        sb.pty_python(list)
            .args([tempcreds_bin().as_str(), "keys", "list"])
            .output()
            .unwrap(),
    )
    .ok();
    assert!(
        listed.stderr.contains("AKIATTYKEY0000000001"),
        "{}",
        listed.stderr
    );
    let wrong = list.replace("\"pass phrase one\"", "\"not it\"");
    let refused = Run::of(
        sb.pty_python(&wrong)
            .args([tempcreds_bin().as_str(), "keys", "list"])
            .output()
            .unwrap(),
    )
    .fails(2);
    assert!(
        refused.stderr.contains("passphrase does not open"),
        "{}",
        refused.stderr
    );
}

/// The passphrase the sandbox gives (TEMPCREDS_KEY_STORE_PASSPHRASE), for writing a store here.
struct SandboxPassphrase;

impl tempcreds_core::keys::Passphrase for SandboxPassphrase {
    fn passphrase(
        &self,
        _: &std::path::Path,
        _: bool,
    ) -> Result<secrecy::SecretString, tempcreds_core::Error> {
        Ok(secrecy::SecretString::from("test passphrase"))
    }
}

#[test]
fn keys_older_than_ninety_days_are_named_by_list_and_whoami() {
    use tempcreds_core::keys::{FileStore, KeyStore, StoredKey};
    let moto = Moto::start();
    let mut sb = Sandbox::new(&moto.url);
    let store = FileStore::new(store_file(&sb), Box::new(SandboxPassphrase));
    let created = time::OffsetDateTime::now_utc() - time::Duration::days(120);
    let key = StoredKey {
        access_key_id: "AKIAOLDKEY0000000001".into(),
        secret: secrecy::SecretString::from("old/secret"),
        created,
    };
    store.put("old", &key).unwrap();
    sb.write(
        "aws/config",
        "[profile old]\ncredential_process = tempcreds credential-process old\n",
    );
    sb.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    let listed = sb.tempcreds(&["keys", "list"]).ok();
    assert!(
        has_row(
            &listed.stdout,
            &["old", "AKIAOLDKEY0000000001", "file", "120d"]
        ),
        "{}",
        listed.stdout
    );
    assert!(
        listed
            .stderr
            .contains("older than 90 days: tempcreds keys rotate old"),
        "{}",
        listed.stderr
    );
    let who = sb.tempcreds(&["whoami", "old"]).ok();
    assert!(who.stdout.contains("(120 days old)"), "{}", who.stdout);
    assert!(
        who.stderr
            .contains("120 days old: tempcreds keys rotate old"),
        "{}",
        who.stderr
    );
}
