//! The editor on exact output: whatever it does not set stays byte for byte.

use super::*;

pub(super) const NEW: &[(&str, &str)] = &[
    ("aws_access_key_id", "ASIANEW"),
    ("aws_secret_access_key", "newsecret"),
    ("aws_session_token", "newtoken"),
];

pub(super) fn set(text: &str, name: &str) -> String {
    set_profile(text, FileKind::Credentials, name, NEW).text
}

pub(super) fn set_section(text: &str, name: &str, entries: &[(&str, &str)]) -> Edit {
    set_profile(text, FileKind::Credentials, name, entries)
}

#[test]
fn appends_a_new_section_to_an_empty_file() {
    assert_eq!(
        set("", "alice"),
        "[alice]\naws_access_key_id = ASIANEW\naws_secret_access_key = newsecret\naws_session_token = newtoken\n"
    );
}

#[test]
fn appends_after_a_blank_line_keeping_everything_else() {
    let before =
        "# my keys\n[default]\naws_access_key_id = AKIA1 ; not a comment\n\n; trailing comment\n";
    assert_eq!(
        set(before, "alice"),
        format!(
            "{before}\n[alice]\naws_access_key_id = ASIANEW\naws_secret_access_key = newsecret\naws_session_token = newtoken\n"
        )
    );
    let no_blank = "[default]\nregion=x\n";
    assert!(set(no_blank, "a").starts_with("[default]\nregion=x\n\n[a]\n"));
}

#[test]
fn file_without_trailing_newline() {
    assert_eq!(
        set("[default]\nx = 1", "alice"),
        "[default]\nx = 1\n\n[alice]\naws_access_key_id = ASIANEW\naws_secret_access_key = newsecret\naws_session_token = newtoken\n"
    );
    // Updating the last key in place keeps the missing newline missing.
    assert_eq!(
        set_section(
            "[a]\naws_session_token = old",
            "a",
            &[("aws_session_token", "new")]
        )
        .text,
        "[a]\naws_session_token = new"
    );
    // Adding after a last line without newline adds one before the new lines.
    assert_eq!(
        set_section("[a]\nx = 1", "a", &[("y", "2")]).text,
        "[a]\nx = 1\ny = 2\n"
    );
}

#[test]
fn updates_in_place_keeping_position_and_comments() {
    let before = "\
# header comment
[alice]
# comment inside, before keys
aws_access_key_id = ASIAOLD
aws_secret_access_key=oldsecret
# comment between keys
aws_session_token = oldtoken
custom_key = kept
x_security_token_expires = 2020-01-01T00:00:00Z

# comment about bob
[bob]
aws_access_key_id = AKIABOB
";
    let after = "\
# header comment
[alice]
# comment inside, before keys
aws_access_key_id = ASIANEW
aws_secret_access_key = newsecret
# comment between keys
aws_session_token = newtoken
custom_key = kept
x_security_token_expires = 2026-11-22T23:02:59Z

# comment about bob
[bob]
aws_access_key_id = AKIABOB
";
    let mut entries = NEW.to_vec();
    entries.push(("x_security_token_expires", "2026-11-22T23:02:59Z"));
    let e = set_section(before, "alice", &entries);
    assert_eq!(e.text, after);
    assert!(e.updated);
    assert_eq!(e.occurrences, 1);
}

#[test]
fn missing_keys_go_after_the_last_entry_not_after_trailing_comments() {
    let before = "[alice]\naws_access_key_id = AKIA\n\n# about bob\n[bob]\nk = v\n";
    assert_eq!(
        set(before, "alice"),
        "[alice]\naws_access_key_id = ASIANEW\naws_secret_access_key = newsecret\naws_session_token = newtoken\n\n# about bob\n[bob]\nk = v\n"
    );
    // An empty section gets the keys right after its header.
    assert_eq!(
        set_section("[alice]\n# nothing yet\n", "alice", &[("k", "v")]).text,
        "[alice]\nk = v\n# nothing yet\n"
    );
}

#[test]
fn crlf_files_stay_crlf() {
    let before = "[default]\r\nx = 1\r\n\r\n[alice]\r\naws_access_key_id = OLD\r\n";
    assert_eq!(
        set(before, "alice"),
        "[default]\r\nx = 1\r\n\r\n[alice]\r\naws_access_key_id = ASIANEW\r\naws_secret_access_key = newsecret\r\naws_session_token = newtoken\r\n"
    );
    assert_eq!(
        set("[default]\r\nx = 1\r\n", "b"),
        "[default]\r\nx = 1\r\n\r\n[b]\r\naws_access_key_id = ASIANEW\r\naws_secret_access_key = newsecret\r\naws_session_token = newtoken\r\n"
    );
}

#[test]
fn duplicate_sections_first_is_updated_later_lose_our_keys() {
    let before = "[alice]\naws_access_key_id = A1\n[bob]\nk = v\n[alice]\naws_session_token = T2\nother = kept\n";
    let e = set_section(before, "alice", NEW);
    assert_eq!(
        e.text,
        "[alice]\naws_access_key_id = ASIANEW\naws_secret_access_key = newsecret\naws_session_token = newtoken\n[bob]\nk = v\n[alice]\nother = kept\n"
    );
    assert_eq!(e.occurrences, 2);
}

#[test]
fn continuation_lines_of_a_replaced_key_go_with_it() {
    let before = "[a]\naws_session_token = old\n    continued\nnext = 1\n";
    assert_eq!(
        set_section(before, "a", &[("aws_session_token", "new")]).text,
        "[a]\naws_session_token = new\nnext = 1\n"
    );
    // Nested settings of another key are left alone.
    let nested = "[a]\ns3 =\n  max_concurrent_requests = 10\n";
    assert_eq!(
        set_section(nested, "a", &[("k", "v")]).text,
        "[a]\ns3 =\n  max_concurrent_requests = 10\nk = v\n"
    );
}

#[test]
fn keys_match_case_insensitively() {
    assert_eq!(
        set_section(
            "[a]\nAWS_Session_Token = old\n",
            "a",
            &[("aws_session_token", "new")]
        )
        .text,
        "[a]\naws_session_token = new\n"
    );
}

#[test]
fn profile_set_reads_sections_and_entries() {
    let s = ProfileSet::from_texts("", "# c\n[default]\nKey = V\n  cont\n[p] # note\na=b\n");
    assert_eq!(
        s.profile("default").and_then(|p| p.get("key")),
        Some("V\ncont")
    );
    assert_eq!(s.profile("p").and_then(|p| p.get("a")), Some("b"));
}

#[test]
fn update_file_creates_private_dir_and_file_and_keeps_symlinks() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("new/dir/credentials");
    update_file(&path, |cur| Ok(Some(set(cur, "a")))).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&tmp.path().join("new")), 0o700);

    let real = tmp.path().join("real");
    std::fs::write(&real, "[x]\nk = v\n").unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink("real", &link).unwrap();
    let written = update_file(&link, |cur| Ok(Some(set(cur, "a")))).unwrap();
    assert_eq!(written, tmp.path().join("real"));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&real)
            .unwrap()
            .starts_with("[x]\nk = v\n\n[a]\n")
    );
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn update_file_refusal_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("credentials");
    std::fs::write(&path, "[a]\n").unwrap();
    let r = update_file(&path, |_| Err(crate::Error::refused("no", None)));
    assert!(r.is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "[a]\n");
}

#[test]
fn every_writer_removes_what_killed_writers_left_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ours = [
        ".credentials.tempcreds-4242-0.tmp",
        ".config.tempcreds-1-17.tmp",
        ".0123abcd.tempcreds-99-3.tmp",
        ".key.tempcreds-7-0.tmp",
    ];
    let not_ours = [
        "notes.tmp",
        ".credentials.tmp",
        ".x.tempcreds-12a-0.tmp",
        ".x.tempcreds--0.tmp",
        "credentials.tempcreds-1-0.tmp",
    ];
    for n in ours.iter().chain(&not_ours) {
        std::fs::write(dir.join(n), "aws_secret_access_key = old").unwrap();
    }
    // Each of the three ways of writing sweeps: an edit, a whole replacement, a held lock.
    for write in 0..3 {
        for n in &ours {
            std::fs::write(dir.join(n), "stale").unwrap();
        }
        match write {
            0 => drop(update_file(&dir.join("credentials"), |c| Ok(Some(set(c, "a")))).unwrap()),
            1 => drop(replace_file(&dir.join("entry"), b"bytes").unwrap()),
            _ => drop(lock_dir_of(&dir.join("key")).unwrap()),
        }
        for n in &ours {
            assert!(!dir.join(n).exists(), "{n} is left after writer {write}");
        }
        for n in &not_ours {
            assert!(dir.join(n).exists(), "{n} is not ours and must stay");
        }
    }
}
