//! The web page in headless Chromium: sign in with the token, the roles with their "Open
//! console" buttons and windows, keys with an expiry countdown and export snippets for bash, fish and
//! PowerShell, and a screenshot of it (checked to be a real, non-blank PNG).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{Broker, CONFIG};
use tempcreds_testkit::{Console, venv};

#[test]
fn the_page_signs_in_and_shows_keys_and_console_buttons() {
    let console = Console::start();
    let b = Broker::start(&console, CONFIG);
    let alice = b.add_user("alice", &["lab", "prod"], false);
    // prod only until a course's end: the page shows each role's window.
    let out = b.run(&[
        "user",
        "grant",
        "alice",
        "--grant",
        "prod",
        "--until",
        "2030-06-30",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shot = b.dir.path().join("page.png");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/page.py");
    let out = Command::new(venv().join("bin/python"))
        .arg(&script)
        .args([&format!("{}/", b.url), &alice, shot.to_str().unwrap()])
        .output()
        .expect("run the browser script (needs chromium and chromium-driver: scripts/test installs them)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        seen["bad_token_error"],
        "a valid broker token is required (Authorization: Bearer TOKEN)"
    );
    assert_eq!(seen["who"], "alice");
    // Without [oidc] the page asks for a broker token only.
    let page = b.get("/", None).text().unwrap();
    assert!(page.contains(">Your broker token<"), "{page}");
    assert_eq!(seen["roles"], serde_json::json!(["lab", "prod"]));
    assert_eq!(seen["windows"][0], "always");
    assert!(
        seen["windows"][1].as_str().unwrap().starts_with("until "),
        "{seen}"
    );
    assert!(
        seen["windows"][1].as_str().unwrap().contains("2030"),
        "{seen}"
    );
    assert_eq!(
        seen["console_buttons"],
        serde_json::json!([
            format!("{}/v1/console/lab", b.url),
            format!("{}/v1/console/prod", b.url)
        ])
    );
    assert!(seen["keys_visible"].as_bool().unwrap());
    let key = seen["key_id"].as_str().unwrap();
    assert!(key.starts_with("ASIA"), "{key}");
    let countdown = seen["countdown"].as_str().unwrap();
    assert!(
        countdown.starts_with("1h 59m") || countdown == "2h",
        "{countdown}"
    );
    let sn = &seen["snippets"];
    assert!(
        sn["bash"]
            .as_str()
            .unwrap()
            .starts_with(&format!("export AWS_ACCESS_KEY_ID='{key}'")),
        "{sn}"
    );
    assert!(
        sn["fish"]
            .as_str()
            .unwrap()
            .starts_with(&format!("set -gx AWS_ACCESS_KEY_ID '{key}'")),
        "{sn}"
    );
    assert!(
        sn["powershell"]
            .as_str()
            .unwrap()
            .starts_with(&format!("$Env:AWS_ACCESS_KEY_ID = '{key}'")),
        "{sn}"
    );
    assert_eq!(seen["document_cookie"], "", "the token cookie is HttpOnly");
    // The audit log has the page's vend.
    let rows: Value = b.get("/v1/sessions", Some(&alice)).json().unwrap();
    assert_eq!(rows[0]["access_key_id"], key);
    // A real screenshot: a PNG of the window's size, not one colour.
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 20_000,
        "a page with text, not a blank image ({} bytes)",
        png.len()
    );
    if let Ok(dir) = std::env::var("TEMPCREDS_TEST_SCREENSHOTS") {
        std::fs::copy(&shot, Path::new(&dir).join("broker-page.png")).unwrap();
    }
}
