//! Writers killed with SIGKILL at random points (200 times) leave the credentials file whole
//! (the old or the new profile, never torn), every other profile byte-identical, and at most
//! one temporary file: the next writer removes what a killed one left.

use std::time::Instant;

use tempcreds_core::awsfile::ProfileSet;

use crate::ini_oracle::outside;
use crate::support::*;

const KILLS: usize = 200;

/// A large file (about 2 MB, so a write takes long enough to be interrupted) with the
/// profile `victim` holding temporary credentials.
fn big_file() -> String {
    let mut text = String::from("# many profiles\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "[p{i}] # profile {i}\naws_access_key_id = AKIA{i:016}\naws_secret_access_key = {}\n\n",
            "s".repeat(40)
        ));
    }
    text.push_str("[victim]\naws_access_key_id = ASIAOLD\naws_secret_access_key = old\naws_session_token = old\n");
    text
}

fn temporaries(sb: &Sandbox) -> Vec<String> {
    std::fs::read_dir(sb.path("aws"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn killed_writers_leave_a_whole_file_and_no_secrets_behind() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    let original = big_file();
    sb.write("aws/credentials", &original);
    let args = ["assume", "-r", ROLE, "-s", "victim", "-o", "write", "-q"];
    // How long one whole run takes here (the fastest of three: the first is slowed by
    // start-up costs the others do not pay): kills land anywhere from start-up to its end.
    let full = (0..3)
        .map(|_| {
            let t = Instant::now();
            sb.tempcreds(&args).ok();
            t.elapsed()
        })
        .min()
        .unwrap();
    let before = outside(&original, "victim");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let (mut killed, mut most_temporaries) = (0, 0);
    for _ in 0..KILLS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = full.mul_f64((seed % 1000) as f64 / 1000.0);
        let mut child = sb.command(tempcreds_bin()).args(args).spawn().unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        child.kill().ok();
        child.wait().unwrap();
        let text = std::fs::read_to_string(sb.credentials_file()).unwrap();
        assert_eq!(outside(&text, "victim"), before, "another profile changed");
        let set = ProfileSet::from_texts("", &text);
        let victim = set.profile("victim").expect("victim is there");
        let key = victim.get("aws_access_key_id").unwrap_or_default();
        assert!(key == "ASIAOLD" || key.starts_with("ASIA"), "torn: {key}");
        assert!(victim.get("aws_session_token").is_some());
        most_temporaries = most_temporaries.max(temporaries(&sb).len());
        assert!(most_temporaries <= 1, "{:?}", temporaries(&sb));
    }
    eprintln!("killed: {killed} of {KILLS} runs killed before they finished (one run: {full:?})");
    assert!(
        killed > KILLS / 2,
        "too few runs were interrupted to mean anything"
    );
    // One more run completes and removes whatever a killed one left.
    sb.tempcreds(&args).ok();
    assert_eq!(temporaries(&sb), Vec::<String>::new());
    // botocore reads the whole file.
    let py = sb
        .python(&format!(
            "import botocore.configloader as c; d = c.raw_config_parse({:?}); print(len(d))",
            sb.credentials_file().to_str().unwrap()
        ))
        .ok();
    assert_eq!(py.json(), serde_json::json!(20_001));
}
