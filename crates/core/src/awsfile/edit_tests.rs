//! The editor on the files people really have: header comments, whitespace botocore and
//! the SDKs read differently, continuations, byte order marks, bad encodings, and the
//! temporary files of killed writers.

use super::tests::{NEW, set_section};
use super::*;

#[test]
fn a_byte_order_mark_is_refused_when_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("credentials");
    std::fs::write(&path, "\u{feff}[a]\n").expect("write");
    let e = read_to_string_if_exists(&path).expect_err("refused");
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains("starts with a byte order mark"),
        "{e}"
    );
    let r = update_file(&path, |c| Ok(Some(set_section(c, "b", NEW).text)));
    assert_eq!(r.expect_err("refused").exit_code(), 2);
    assert_eq!(
        std::fs::read(&path).expect("read"),
        "\u{feff}[a]\n".as_bytes()
    );
}

#[test]
fn header_whitespace_botocore_and_the_sdks_disagree_on_gets_a_section_both_read() {
    // The SDKs read `[ alice ]` as alice, botocore as " alice ": the keys leave it and a
    // `[alice]` that both read holds the new ones. `[Alice]` is another profile.
    let before = "[ alice ]\nk = 1\nregion = x\n[Alice]\nk = 2\n";
    assert_eq!(
        set_section(before, "alice", &[("k", "9")]).text,
        "[ alice ]\nregion = x\n[Alice]\nk = 2\n\n[alice]\nk = 9\n"
    );
}

#[test]
fn headers_with_comments_are_the_profile() {
    for header in [
        "[work] # my work account",
        "[work]\t; note",
        "[work]; adjacent",
        "[work]#x",
        "[work]   ",
    ] {
        let before =
            format!("{header}\naws_access_key_id = ASIAOLD\naws_session_token = old\n[b]\nk = v\n");
        let e = set_section(&before, "work", NEW);
        assert_eq!(
            e.text,
            format!(
                "{header}\naws_access_key_id = ASIANEW\naws_session_token = newtoken\naws_secret_access_key = newsecret\n[b]\nk = v\n"
            ),
            "{header:?}"
        );
        assert!(e.updated);
        let long_term = format!("{header}\naws_access_key_id = AKIA\naws_secret_access_key = s\n");
        assert!(
            holds_long_term_keys(&long_term, FileKind::Credentials, "work"),
            "{header:?}"
        );
    }
    let creds = FileKind::Credentials;
    let temporary = "[work]\naws_access_key_id = ASIA\naws_session_token = t\n";
    assert!(!holds_long_term_keys(temporary, creds, "work"));
    assert!(holds_long_term_keys(
        "[ work ]\naws_access_key_id = A\n",
        creds,
        "work"
    ));
    assert!(holds_long_term_keys(
        "[work]x\naws_access_key_id = A\n",
        creds,
        "work"
    ));
}

#[test]
fn continuation_after_a_blank_or_comment_line_goes_with_its_key() {
    let before = "[a]\naws_session_token = old\n\n# c\n  more\nnext = 1\n";
    assert_eq!(
        set_section(before, "a", &[("aws_session_token", "new")]).text,
        "[a]\naws_session_token = new\n\n# c\nnext = 1\n"
    );
}

#[test]
fn duplicate_keys_in_the_section_collapse_to_one() {
    assert_eq!(
        set_section("[a]\nk = 1\nx = y\nK = 2\n", "a", &[("k", "3")]).text,
        "[a]\nk = 3\nx = y\n"
    );
}

#[test]
fn config_file_profiles_use_the_profile_prefix() {
    let before = "[default]\nregion = a\n[profile lab] ; note\nregion = b\n";
    assert_eq!(
        set_profile(before, FileKind::Config, "lab", &[("region", "c")]).text,
        "[default]\nregion = a\n[profile lab] ; note\nregion = c\n"
    );
    assert_eq!(
        set_profile(before, FileKind::Config, "new", &[("region", "d")]).text,
        format!("{before}\n[profile new]\nregion = d\n")
    );
    assert_eq!(
        remove_profile(before, FileKind::Config, "lab").as_deref(),
        Some("[default]\nregion = a\n")
    );
}

#[test]
fn non_utf8_is_refused_with_the_byte_offset() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("credentials");
    std::fs::write(&path, b"[a]\nk = caf\xe9\n").expect("write");
    let e = read_to_string_if_exists(&path).expect_err("refused");
    assert_eq!(e.exit_code(), 2);
    let msg = e.to_string();
    assert!(
        msg.contains("is not UTF-8 text (invalid byte 0xe9 at offset 11)"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}

#[test]
fn remove_keys_takes_just_those_lines() {
    let text = "# top\n[base] # mine\naws_access_key_id = AKIA1\n  continued\nregion = eu-west-1\n\
                aws_secret_access_key = s\n[other]\naws_access_key_id = AKIA2\n";
    let out = remove_keys(
        text,
        FileKind::Credentials,
        "base",
        &["aws_access_key_id", "aws_secret_access_key"],
    )
    .expect("removed");
    assert_eq!(
        out,
        "# top\n[base] # mine\nregion = eu-west-1\n[other]\naws_access_key_id = AKIA2\n"
    );
    assert_eq!(
        remove_keys(&out, FileKind::Credentials, "base", &["aws_access_key_id"]),
        None
    );
}

#[test]
fn colon_delimited_keys_are_found_replaced_and_counted() {
    // botocore reads `k: v` as key k (configparser's second delimiter); the SDKs reject the
    // line. The editor writes such a key back with `=`, which both read.
    let creds = FileKind::Credentials;
    let before =
        "[work]\naws_access_key_id: AKIAOLD\naws_secret_access_key :s\n  cont\nregion: x\n";
    assert!(holds_long_term_keys(before, creds, "work"));
    assert_eq!(
        set_section(before, "work", NEW).text,
        "[work]\naws_access_key_id = ASIANEW\naws_secret_access_key = newsecret\nregion: x\naws_session_token = newtoken\n"
    );
    // `a:b = c` is key `a` to botocore and `a:b` to the SDKs: the line names both.
    let both = "[work]\naws_session_token:x = t\naws_access_key_id = ASIA\n";
    assert!(!holds_long_term_keys(both, creds, "work"));
    assert_eq!(
        set_section(both, "work", &[("aws_session_token", "n")]).text,
        "[work]\naws_session_token = n\naws_access_key_id = ASIA\n"
    );
    // A temporary key whose token is colon-written is not long-term to botocore.
    let temporary = "[work]\naws_access_key_id = ASIA\naws_session_token: t\n";
    assert!(!holds_long_term_keys(temporary, creds, "work"));
    // Other sections lose the colon line too, and removal finds it.
    assert_eq!(
        set_section("[ work ]\nregion: a\n[work]\n", "work", &[("region", "b")]).text,
        "[ work ]\n[work]\nregion = b\n"
    );
    assert_eq!(
        remove_keys(
            "[work]\nx = 1\naws_access_key_id:A\n",
            creds,
            "work",
            &["aws_access_key_id"]
        )
        .as_deref(),
        Some("[work]\nx = 1\n")
    );
    // A line with nothing before its delimiter is no key to botocore; the SDKs still read
    // `:a = b` as key `:a`.
    assert!(!holds_long_term_keys("[work]\n: AKIA\n", creds, "work"));
    let set = ProfileSet::from_texts("", "[work]\n:a = b\n");
    assert_eq!(set.profile("work").and_then(|p| p.get(":a")), Some("b"));
}
