//! `-o write` on the files people really have: a header with a comment is the profile (the
//! AWS CLI keeps working for every profile, long-term keys behind it are refused), and files
//! no AWS reader can read are refused with exit 2, byte for byte as they were.

use crate::support::*;

#[test]
fn a_header_with_a_comment_is_updated_in_place_and_every_profile_still_works() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    let before = "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\n\
                  [work] # my work account\naws_access_key_id = ASIAOLD\naws_secret_access_key = old\naws_session_token = old\n";
    sb.write("aws/credentials", before);
    sb.tempcreds(&["assume", "-r", ROLE, "-s", "work", "-o", "write"])
        .ok();
    let after = std::fs::read_to_string(sb.credentials_file()).unwrap();
    assert_eq!(after.matches("[work]").count(), 1, "{after}");
    assert!(after.contains("[work] # my work account\naws_access_key_id = ASIA"));
    assert_eq!(
        sb.aws_caller_arn("work"),
        "arn:aws:sts::123456789012:assumed-role/Lab/work"
    );
    // The AWS CLI still reads the file: the other profile works too.
    assert!(sb.aws_caller_arn("base").starts_with("arn:aws:"));
}

#[test]
fn colon_delimited_keys_are_replaced_with_equals_lines_the_aws_cli_reads() {
    // botocore reads `key: value` (configparser's second delimiter); left beside a new `=`
    // line it would make a duplicate key and botocore would reject the whole file.
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    sb.write(
        "aws/credentials",
        "[work]\naws_access_key_id: ASIAOLD\naws_secret_access_key : old\naws_session_token:old\n",
    );
    sb.tempcreds(&["assume", "-r", ROLE, "-s", "work", "-o", "write"])
        .ok();
    let after = std::fs::read_to_string(sb.credentials_file()).unwrap();
    assert!(!after.contains("old"), "{after}");
    assert_eq!(after.matches("aws_access_key_id").count(), 1, "{after}");
    assert!(
        after.starts_with("[work]\naws_access_key_id = ASIA"),
        "{after}"
    );
    assert_eq!(
        sb.aws_caller_arn("work"),
        "arn:aws:sts::123456789012:assumed-role/Lab/work"
    );
}

#[test]
fn long_term_keys_behind_any_header_are_refused() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    for (header, sep) in [
        ("[work] # my work account", " = "),
        ("[work]\t; note", " = "),
        ("[work]; adjacent", " = "),
        ("[ work ]", " = "),
        ("[work]", ": "),
        ("[work]", ":"),
    ] {
        let before = format!(
            "{header}\naws_access_key_id{sep}AKIALONGTERM\naws_secret_access_key{sep}keep\n"
        );
        sb.write("aws/credentials", &before);
        let run = sb
            .tempcreds(&["assume", "-r", ROLE, "-s", "work", "-o", "write"])
            .fails(2);
        assert!(
            run.stderr.contains("holds long-term keys"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("--force"), "{}", run.stderr);
        assert_eq!(
            std::fs::read_to_string(sb.credentials_file()).unwrap(),
            before
        );
    }
}

/// Every command that reads the shared files refuses one no AWS reader can read, the same
/// way: exit 2, one line naming the file and what is wrong, both files untouched.
#[test]
fn files_no_aws_reader_can_read_are_refused_untouched_by_every_command() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto.url);
    let commands: [&[&str]; 5] = [
        &["assume", "-r", ROLE, "-s", "work", "-o", "write"],
        &["assume", "--profile", "other", "-o", "json"],
        &["env", "other"],
        &["credential-process", "other"],
        &["list"],
    ];
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "aws/credentials",
            b"[other]\nregion = caf\xe9\n",
            "invalid byte 0xe9 at offset 20",
        ),
        (
            "aws/credentials",
            "\u{feff}[other]\nregion = x\n".as_bytes(),
            "starts with a byte order mark",
        ),
        (
            "aws/config",
            b"[profile other]\nregion = caf\xe9\n",
            "invalid byte 0xe9 at offset 28",
        ),
        (
            "aws/config",
            "\u{feff}[profile other]\nregion = x\n".as_bytes(),
            "starts with a byte order mark",
        ),
    ];
    for (rel, bytes, says) in cases {
        let file = sb.path(rel);
        let _ = std::fs::remove_file(sb.path("aws/credentials"));
        let _ = std::fs::remove_file(sb.path("aws/config"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, bytes).unwrap();
        for args in commands {
            let run = sb.tempcreds(args).fails(2);
            let first = run.stderr.lines().next().unwrap_or_default();
            assert!(first.starts_with("error: "), "{args:?}: {}", run.stderr);
            assert!(first.contains(file.to_str().unwrap()), "{args:?}: {first}");
            assert!(first.contains(says), "{args:?}: {first}");
            assert!(run.stderr.lines().count() <= 2, "{args:?}: {}", run.stderr);
            assert_eq!(std::fs::read(&file).unwrap(), bytes, "{args:?}");
            let other = if rel == "aws/config" {
                "aws/credentials"
            } else {
                "aws/config"
            };
            assert!(!sb.path(other).exists(), "{args:?} wrote {other}");
        }
    }
}
