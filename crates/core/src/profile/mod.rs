//! Profiles from `~/.aws/config` and `~/.aws/credentials`, typed, and their resolution into a
//! plan of STS calls (`resolve`). Pure: the files' texts and the environment in, a plan or
//! an error naming the chain out.

mod resolve;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use resolve::{Plan, ResolveError, Source, Step, resolve};

use crate::awsfile::parse;
use crate::env::Env;

/// The profile to use: the one named, else `AWS_PROFILE`, else `default`.
pub fn profile_name(named: Option<&str>, env: &Env) -> String {
    named
        .or_else(|| env.get("AWS_PROFILE"))
        .unwrap_or("default")
        .to_owned()
}

/// The settings of one profile that tempcreds understands, merged from both files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub role_arn: Option<String>,
    pub source_profile: Option<String>,
    pub mfa_serial: Option<String>,
    pub external_id: Option<String>,
    pub role_session_name: Option<String>,
    pub duration_seconds: Option<String>,
    pub region: Option<String>,
    pub credential_process: Option<String>,
    pub mfa_process: Option<String>,
    pub access_key_id: Option<String>,
    /// Only whether a secret is there: the value stays in the file until it is used.
    pub has_secret: bool,
    pub has_session_token: bool,
}

/// All profiles by name.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    by_name: BTreeMap<String, Profile>,
}

impl Profiles {
    /// Reads both files. Config sections are `[default]` or `[profile NAME]`; credentials
    /// sections are `[NAME]`. Keys found in the credentials file win for the keys, as in the
    /// AWS CLI; later duplicate sections win over earlier ones.
    pub fn from_texts(config: &str, credentials: &str) -> Self {
        let mut by_name: BTreeMap<String, Profile> = BTreeMap::new();
        let config_sections = parse(config).into_iter().filter_map(|s| {
            let name = if s.name == "default" {
                Some("default".to_owned())
            } else {
                s.name.strip_prefix("profile ").map(|n| n.trim().to_owned())
            };
            name.map(|n| (n, s))
        });
        let cred_sections = parse(credentials).into_iter().map(|s| (s.name.clone(), s));
        for (name, section) in config_sections.chain(cred_sections) {
            let p = by_name.entry(name.clone()).or_insert_with(|| Profile {
                name,
                ..Default::default()
            });
            for (k, v) in &section.entries {
                let v = Some(v.clone());
                match k.as_str() {
                    "role_arn" => p.role_arn = v,
                    "source_profile" => p.source_profile = v,
                    "mfa_serial" => p.mfa_serial = v,
                    "external_id" => p.external_id = v,
                    "role_session_name" => p.role_session_name = v,
                    "duration_seconds" => p.duration_seconds = v,
                    "region" => p.region = v,
                    "credential_process" => p.credential_process = v,
                    "mfa_process" => p.mfa_process = v,
                    "aws_access_key_id" => p.access_key_id = v,
                    "aws_secret_access_key" => p.has_secret = true,
                    "aws_session_token" => p.has_session_token = true,
                    _ => {}
                }
            }
        }
        Self { by_name }
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.by_name.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.by_name.values()
    }
}
