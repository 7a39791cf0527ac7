//! The profiles of both shared files merged as the AWS SDKs read them: the one place that
//! answers "what is key K of profile P". Within a file, duplicate sections merge and the
//! last value of a key wins; across files, the credentials file wins key by key; in the
//! config file `[profile default]` hides `[default]`.

use std::collections::BTreeMap;

use super::document::{Document, FileKind, Problem, SectionName, is_identifier};

/// One profile's (or sso-session's) keys, lower-cased, with their full values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: BTreeMap<String, String>,
}

impl Properties {
    /// The value of a key (keys are case-insensitive, as in every AWS reader).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Every profile and sso-session of the two files.
#[derive(Debug, Clone, Default)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Properties>,
    sso_sessions: BTreeMap<String, Properties>,
    /// Lines the SDKs reject, per file (config first).
    pub problems: Vec<(FileKind, Problem)>,
}

impl ProfileSet {
    pub fn from_texts(config: &str, credentials: &str) -> Self {
        let mut set = ProfileSet::default();
        for (text, kind) in [
            (config, FileKind::Config),
            (credentials, FileKind::Credentials),
        ] {
            set.merge(&Document::parse(text, kind));
        }
        set
    }

    fn merge(&mut self, doc: &Document<'_>) {
        self.problems
            .extend(doc.problems.iter().map(|p| (doc.kind(), p.clone())));
        // `[default]` counts only where `profile_spans` says so (no `[profile default]`).
        let defaults: Vec<usize> = doc
            .profile_spans("default")
            .iter()
            .map(|s| s.header)
            .collect();
        for span in &doc.spans {
            let target = match &span.name {
                SectionName::Profile(_)
                    if span.unprefixed_default && !defaults.contains(&span.header) =>
                {
                    continue;
                }
                SectionName::Profile(name) => self.profiles.entry(name.clone()).or_default(),
                SectionName::SsoSession(name) => self.sso_sessions.entry(name.clone()).or_default(),
                SectionName::Other { .. } | SectionName::Ignored => continue,
            };
            for e in doc.entries(span) {
                if let Some(key) = e.key.filter(|k| is_identifier(k)) {
                    target.entries.insert(key, e.value);
                }
            }
        }
    }

    pub fn profile(&self, name: &str) -> Option<&Properties> {
        self.profiles.get(name)
    }

    pub fn profiles(&self) -> impl Iterator<Item = (&str, &Properties)> {
        self.profiles.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn sso_session(&self, name: &str) -> Option<&Properties> {
        self.sso_sessions.get(name)
    }

    pub fn sso_sessions(&self) -> impl Iterator<Item = (&str, &Properties)> {
        self.sso_sessions.iter().map(|(k, v)| (k.as_str(), v))
    }
}
