//! Where the shared files are: `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else
//! `~/.aws/config` and `~/.aws/credentials` (a leading `~` expanded, as the AWS CLI does).

use std::path::PathBuf;

use crate::env::Env;

pub fn config_file(env: &Env) -> PathBuf {
    file(env, "AWS_CONFIG_FILE", "config")
}

pub fn credentials_file(env: &Env) -> PathBuf {
    file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

fn file(env: &Env, var: &str, name: &str) -> PathBuf {
    match env.get(var) {
        Some(p) => expand_home(env, p),
        None => home(env).join(".aws").join(name),
    }
}

/// `$HOME` (the current directory if unset).
pub(crate) fn home(env: &Env) -> PathBuf {
    env.get("HOME")
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
}

fn expand_home(env: &Env, p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => home(env).join(rest),
        None if p == "~" => home(env),
        None => PathBuf::from(p),
    }
}

/// The section name of a profile in the config file: `[default]` or `[profile NAME]`.
pub fn config_section(profile: &str) -> String {
    if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_and_tilde() {
        let env = Env::from_pairs([("HOME", "/h"), ("AWS_CONFIG_FILE", "~/cfg")]);
        assert_eq!(config_file(&env), PathBuf::from("/h/cfg"));
        assert_eq!(credentials_file(&env), PathBuf::from("/h/.aws/credentials"));
        assert_eq!(config_section("default"), "default");
        assert_eq!(config_section("lab"), "profile lab");
    }
}
