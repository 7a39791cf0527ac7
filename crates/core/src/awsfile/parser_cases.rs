//! AWS's published profile-parser test cases (`test-data/profile-parser-tests.json` of the
//! `aws-runtime` crate, read where cargo keeps that crate) run against the project's reader.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::ProfileSet;

/// The cases that do not apply to this reader, by name, with the reason. None today.
const NOT_APPLICABLE: &[(&str, &str)] = &[];

/// The host's target triple (`rustc -vV`): `cargo metadata` for it alone needs no download.
fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host")
}

/// `aws-runtime`'s directory, from `cargo metadata` (its sources are on disk: it is a
/// dependency; metadata may still fetch the manifests of other platforms' crates).
fn aws_runtime_dir() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", &host()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata JSON");
    let manifest = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "aws-runtime")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("aws-runtime is a dependency of aws-config");
    PathBuf::from(manifest)
        .parent()
        .expect("crate dir")
        .to_path_buf()
}

type Profiles = BTreeMap<String, BTreeMap<String, String>>;

fn as_profiles(v: &Value) -> Profiles {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(name, props)| {
                    let props = props
                        .as_object()
                        .expect("properties")
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned()))
                        .collect();
                    (name.clone(), props)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn collect<'a>(it: impl Iterator<Item = (&'a str, &'a super::Properties)>) -> Profiles {
    it.map(|(n, p)| {
        let props = p
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        (n.to_owned(), props)
    })
    .collect()
}

/// Runs one case; returns why it failed.
fn run(case: &Value) -> Result<(), String> {
    let text = |k: &str| case["input"][k].as_str().unwrap_or_default().to_owned();
    let set = ProfileSet::from_texts(&text("configFile"), &text("credentialsFile"));
    let output = &case["output"];
    if let Some(want) = output["errorContaining"].as_str() {
        return match set.problems.iter().find(|(_, p)| p.message.contains(want)) {
            Some(_) => Ok(()),
            None => Err(format!(
                "wanted an error containing {want:?}, got {:?}",
                set.problems
            )),
        };
    }
    if !set.problems.is_empty() {
        return Err(format!("unexpected problems {:?}", set.problems));
    }
    let want = as_profiles(&output["config"]["profiles"]);
    let got = collect(set.profiles());
    if got != want {
        return Err(format!("profiles: wanted {want:?}, got {got:?}"));
    }
    if let Some(sessions) = output["config"].get("sso_sessions") {
        let (want, got) = (as_profiles(sessions), collect(set.sso_sessions()));
        if got != want {
            return Err(format!("sso_sessions: wanted {want:?}, got {got:?}"));
        }
    }
    Ok(())
}

#[test]
fn every_published_profile_parser_case_passes() {
    let path = aws_runtime_dir().join("test-data/profile-parser-tests.json");
    let text = std::fs::read_to_string(&path).expect("profile-parser-tests.json");
    let cases: Value = serde_json::from_str(&text).expect("JSON");
    let cases = cases["tests"].as_array().expect("tests");
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap_or_default();
        if NOT_APPLICABLE.iter().any(|(n, _)| *n == name) {
            continue;
        }
        ran += 1;
        if let Err(why) = run(case) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ran >= 60, "only {ran} cases in {}", path.display());
}
