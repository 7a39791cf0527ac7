//! The credentials-file editor against botocore: thousands of generated, realistic files
//! (header comments, comments of both kinds, CRLF/LF mixes, no final newline, unicode, tabs,
//! duplicate sections, `[default]`, long lines, `key: value` lines), each edited by the writer tempcreds runs,
//! each read before and after by botocore in one long-lived process (the testkit's `fakes/botocore_ini.py`).
//! A failure shrinks to a minimal file, printed to become a fixed case in `REGRESSIONS`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;
use tempcreds_core::awsfile::{FileKind, holds_long_term_keys, set_profile};

use crate::support::venv;

const CASES: usize = 3000;
const NEW: [(&str, &str); 4] = [
    ("aws_access_key_id", "ASIANEWKEY"),
    ("aws_secret_access_key", "new/secret+key"),
    ("aws_session_token", "newtoken=="),
    ("x_security_token_expires", "2026-12-02T12:00:00Z"),
];
/// Files that once failed, shrunk (target profile, text).
const REGRESSIONS: &[(&str, &str)] = &[
    ("work", "[work] # my work account\naws_session_token = t\n"),
    (
        "work",
        "[work]\t; note\naws_session_token = t\n[other]\nk = v",
    ),
    ("work", "[work]; adjacent\r\naws_session_token = t\r\n"),
    ("a", "[ a ]\naws_session_token = t\nregion = x\n"),
    ("a", "[a]\naws_session_token = t\n\n  continued\n"),
    (
        "a",
        "[a]\naws_access_key_id: AKIAOLD\naws_secret_access_key: s\n",
    ),
    (
        "a",
        "[a]\naws_session_token:x = t\n  continued\n[b]\nk: v\n",
    ),
];

/// botocore, answering batches of paths.
struct Oracle {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    dir: tempfile::TempDir,
    n: usize,
}

impl Oracle {
    fn start() -> Self {
        let script = tempcreds_testkit::fakes_dir().join("botocore_ini.py");
        let mut child = Command::new(venv().join("bin/python"))
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let dir = tempfile::tempdir().unwrap();
        Self {
            _child: child,
            stdin,
            stdout,
            dir,
            n: 0,
        }
    }

    /// How botocore reads each text.
    fn read(&mut self, texts: &[&str]) -> Vec<Value> {
        let paths: Vec<PathBuf> = texts
            .iter()
            .map(|t| {
                self.n += 1;
                let p = self.dir.path().join(format!("f{}", self.n));
                std::fs::write(&p, t).unwrap();
                p
            })
            .collect();
        writeln!(self.stdin, "{}", serde_json::to_string(&paths).unwrap()).unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        paths.iter().for_each(|p| std::fs::remove_file(p).unwrap());
        serde_json::from_str::<Vec<Value>>(&line).unwrap()
    }
}

/// A small deterministic generator (xorshift64*): the same seed, the same files.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const NAMES: &[&str] = &["default", "work", "alice", "dev", "prod-1", "lab"];
const KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "region",
    "output",
    "x_security_token_expires",
    "my key",
    "Region",
];

fn value(r: &mut Rng) -> String {
    match r.below(9) {
        0 => String::new(),
        1 => "AKIAOLD ; not a comment for botocore".to_owned(),
        2 => "v#adjacent".to_owned(),
        3 => "caf\u{e9} \u{20ac} \u{1f600}".to_owned(),
        4 => "x".repeat(3000 + r.below(2000)),
        5 => "a=b:c".to_owned(),
        6 => "eu-west-1\t# tab comment".to_owned(),
        _ => format!("val{}", r.below(1000)),
    }
}

fn header(r: &mut Rng, name: &str) -> String {
    match r.below(10) {
        0 => format!("[{name}] # my {name} account"),
        1 => format!("[{name}]\t; note"),
        2 => format!("[{name}]; adjacent"),
        3 => format!("[{name}]#x"),
        4 => format!("[ {name} ]"),
        5 => format!("[{name}]  "),
        _ => format!("[{name}]"),
    }
}

/// One realistic credentials file, as lines without their terminators.
fn file(r: &mut Rng, target: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if r.chance(30) {
        lines.push(
            r.pick(&["# my AWS keys", "; managed by hand", ""])
                .to_owned(),
        );
    }
    let mut names: Vec<&str> = Vec::new();
    for _ in 0..1 + r.below(5) {
        let mut name = if r.chance(35) { target } else { r.pick(NAMES) };
        // Duplicate sections make botocore reject the whole file, leaving only the bytes to
        // compare; one file in ten or so has one, the rest check what botocore reads.
        if names.contains(&name) && !r.chance(10) {
            match NAMES.iter().find(|n| !names.contains(n)) {
                Some(n) => name = n,
                None => continue,
            }
        }
        names.push(name);
        lines.push(header(r, name));
        let mut used = Vec::new();
        for _ in 0..r.below(6) {
            let key = r.pick(KEYS);
            if used.contains(&key.to_ascii_lowercase()) && !r.chance(5) {
                continue;
            }
            used.push(key.to_ascii_lowercase());
            // `:` is configparser's other delimiter (botocore reads `k: v` as key k).
            let sep = r.pick(&[" = ", "=", "\t=\t", " =", "= ", ": ", ":", " : "]);
            lines.push(format!("{key}{sep}{}", value(r)));
            if r.chance(5) {
                lines.push("s3 =".to_owned());
                lines.push("  max_concurrent_requests = 10".to_owned());
            }
            if r.chance(15) {
                lines.push(
                    r.pick(&["# between keys", "; between", "", "  # indented"])
                        .to_owned(),
                );
            }
        }
        if name == target && !used.iter().any(|k| k == "aws_session_token") && r.chance(80) {
            lines.push("aws_session_token = oldtoken".to_owned());
        }
        if r.chance(30) {
            lines.push(String::new());
        }
    }
    lines
}

fn join(r: &mut Rng, lines: &[String]) -> String {
    let crlf = r.chance(25);
    let mut text = String::new();
    for (i, l) in lines.iter().enumerate() {
        text.push_str(l);
        let last = i + 1 == lines.len();
        if !(last && r.chance(20)) {
            text.push_str(if crlf ^ r.chance(5) { "\r\n" } else { "\n" });
        }
    }
    text
}

/// The text without the sections any reader takes for `profile` (headers at the start of a
/// line, named exactly or with whitespace around the name), trailing line ends ignored.
pub(crate) fn outside(text: &str, profile: &str) -> String {
    let mut keep = true;
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with('[') {
            let inner = line.trim_end().trim_start_matches('[');
            let name = inner.split(']').next().unwrap_or_default();
            keep = name.trim() != profile;
        }
        if keep {
            out.push_str(line);
        }
    }
    out.trim_end_matches(['\r', '\n']).to_owned()
}

/// Checks one case; the reason when it fails.
fn check(oracle: &mut Oracle, profile: &str, before: &str) -> Result<(), String> {
    let long_term = holds_long_term_keys(before, FileKind::Credentials, profile);
    let entries: Vec<(&str, &str)> = NEW.to_vec();
    let after = set_profile(before, FileKind::Credentials, profile, &entries).text;
    let read = oracle.read(&[before, &after]);
    let (b, a) = (&read[0]["ok"], &read[1]["ok"]);
    if let Some(p) = b.get(profile) {
        let temporary = p.get("aws_session_token").is_some();
        if p.get("aws_access_key_id").is_some() && !temporary && !long_term {
            return Err("botocore sees long-term keys the writer would overwrite".into());
        }
    }
    if long_term {
        // The writer refuses (exit 2, the file untouched): covered by the e2e write tests.
        return Ok(());
    }
    if outside(before, profile) != outside(&after, profile) {
        return Err(format!("bytes outside [{profile}] changed:\n{after:?}"));
    }
    if b.is_null() {
        // botocore rejects the file as it was: only the bytes outside are ours to keep.
        return Ok(());
    }
    if a.is_null() {
        return Err(format!("botocore rejects the result: {}", read[1]["error"]));
    }
    for (k, v) in NEW {
        if a[profile][k] != *v {
            return Err(format!(
                "[{profile}] {k} reads {} after:\n{after:?}",
                a[profile][k]
            ));
        }
    }
    let others = |v: &Value| -> BTreeMap<String, Value> {
        v.as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.trim() != profile)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    if others(b) != others(a) {
        return Err(format!(
            "another profile reads differently after:\n{after:?}"
        ));
    }
    Ok(())
}

/// Drops lines while the case still fails.
fn shrink(oracle: &mut Oracle, profile: &str, text: &str) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    let mut i = 0;
    while i < lines.len() {
        let mut fewer = lines.clone();
        fewer.remove(i);
        if check(oracle, profile, &fewer.concat()).is_err() {
            lines = fewer;
        } else {
            i += 1;
        }
    }
    lines.concat()
}

#[test]
fn the_writer_keeps_every_other_profile_as_botocore_reads_it() {
    let mut oracle = Oracle::start();
    for (profile, text) in REGRESSIONS {
        if let Err(why) = check(&mut oracle, profile, text) {
            panic!("regression {text:?}: {why}");
        }
    }
    let mut r = Rng(0x7e3c_9a5d_1f2b_4c68);
    let mut failures = Vec::new();
    let mut rejected = 0;
    for _ in 0..CASES {
        let target = r.pick(NAMES);
        let lines = file(&mut r, target);
        let text = join(&mut r, &lines);
        if oracle.read(&[&text])[0]["ok"].is_null() {
            rejected += 1;
        }
        if let Err(why) = check(&mut oracle, target, &text) {
            let small = shrink(&mut oracle, target, &text);
            failures.push(format!("profile {target}, file {small:?}: {why}"));
            if failures.len() >= 3 {
                break;
            }
        }
    }
    eprintln!(
        "ini_oracle: {CASES} generated files, {rejected} of them rejected by botocore as written"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
