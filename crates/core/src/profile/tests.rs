//! Resolution on fixture directories (`fixtures/profiles/CASE/`): `config`, `credentials`,
//! optional `env` (KEY=VALUE lines) and `args` (profile name, then a duration override),
//! and `expected`: the plan's text form, or `error: …`.

use std::path::Path;

use super::*;
use crate::env::Env;

fn run_case(dir: &Path) -> (String, String) {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    let env = Env::from_pairs(
        read("env")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let args = read("args");
    let mut words = args.split_whitespace();
    let name = profile_name(words.next(), &env);
    let duration = words.next().map(|d| d.parse().expect("duration"));
    let profiles = Profiles::from_texts(&read("config"), &read("credentials"));
    let got = match resolve(&profiles, &name, duration) {
        Ok(plan) => plan.to_string(),
        Err(e) => format!("error: {e}\n"),
    };
    (got, read("expected"))
}

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/profiles");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 15, "fixtures missing: {}", root.display());
    let mut failures = Vec::new();
    for dir in &dirs {
        let (got, want) = run_case(dir);
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                dir.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

#[test]
fn credentials_file_keys_win_and_later_sections_override() {
    let p = Profiles::from_texts(
        "[profile a]\naws_access_key_id = FROMCONFIG\nregion = r1\n[profile a]\nregion = eu-west-1\n",
        "[a]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n",
    );
    let a = p.get("a").expect("a");
    assert_eq!(a.access_key_id.as_deref(), Some("FROMCREDS"));
    assert_eq!(a.region.as_deref(), Some("eu-west-1"));
    assert!(a.has_secret && !a.has_session_token);
}

#[test]
fn five_thousand_profiles_resolve() {
    // Correctness at size; the time is measured by scripts/bench, not asserted here.
    let mut config = String::new();
    for i in 0..5000 {
        config.push_str(&format!("[profile p{i}]\nrole_arn = arn:aws:iam::123456789012:role/R{i}\nsource_profile = base\nregion = eu-west-1\n\n"));
    }
    let p = Profiles::from_texts(
        &config,
        "[base]\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
    );
    let plan = resolve(&p, "p4999", None).expect("plan");
    assert_eq!(plan.profiles, ["p4999", "base"]);
    assert_eq!(plan.steps.len(), 1);
}
