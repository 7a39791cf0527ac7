//! `sso populate`, the part without calls: from the accounts and roles a user can reach, the
//! profiles to have, and the config file's new text through the lossless writer. Generated
//! profiles carry `tempcreds_generated = sso-session NAME` (a key the AWS CLI and SDKs
//! ignore), so a re-run updates them and removes those whose role is gone, and never
//! changes, reorders or deletes a profile it did not generate; a name taken by such a
//! profile is reported, not overwritten.

use crate::awsfile::{self, FileKind, ProfileSet};

/// The key marking a generated profile, and the session it came from.
pub const MARKER: &str = "tempcreds_generated";

/// One account and role, to become a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachable {
    pub account_id: String,
    pub account_name: String,
    pub role_name: String,
}

/// What a run changes (or, with --dry-run, would).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub text: String,
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    /// Names taken by a profile tempcreds did not generate: (name, account id, role).
    pub clashes: Vec<(String, String, String)>,
}

/// The default name template (the prefix goes before it).
pub const DEFAULT_TEMPLATE: &str = "{account_name}-{role_name}";

/// A name template's placeholders.
const PLACEHOLDERS: [&str; 3] = ["{account_name}", "{account_id}", "{role_name}"];

/// Checks a template: only the known placeholders, and at least the role and an account
/// (else two roles or two accounts would get one name).
pub fn check_template(template: &str) -> Result<(), String> {
    let mut rest = template.to_owned();
    for p in PLACEHOLDERS {
        rest = rest.replace(p, "");
    }
    if rest.contains('{') || rest.contains('}') {
        return Err(format!(
            "may only hold {} (got \"{template}\")",
            PLACEHOLDERS.join(", ")
        ));
    }
    let account = template.contains("{account_name}") || template.contains("{account_id}");
    if !account || !template.contains("{role_name}") {
        return Err("must hold {role_name} and {account_name} or {account_id}".to_owned());
    }
    Ok(())
}

/// `PREFIX` + the template filled in, made a valid profile name: runs of characters other
/// than A-Z a-z 0-9 and `_.@+=,` (dashes included) become one `-`.
pub fn profile_name(prefix: &str, template: &str, r: &Reachable) -> String {
    let filled = template
        .replace("{account_name}", &r.account_name)
        .replace("{account_id}", &r.account_id)
        .replace("{role_name}", &r.role_name);
    let raw = format!("{prefix}{filled}");
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let ok = c.is_ascii_alphanumeric() || "_.@+=,".contains(c);
        if ok {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        format!("{prefix}{}-{}", r.account_id, r.role_name)
    } else {
        trimmed.chars().take(128).collect()
    }
}

fn marker(session: &str) -> String {
    format!("sso-session {session}")
}

/// The new config text for `reachable` of `session`, given the current text.
/// How generated profiles are named and set.
#[derive(Debug, Clone)]
pub struct Naming<'a> {
    pub prefix: &'a str,
    /// Checked by `check_template`.
    pub template: &'a str,
    pub region: &'a str,
}

pub fn plan(config: &str, session: &str, naming: &Naming<'_>, reachable: &[Reachable]) -> Plan {
    let set = ProfileSet::from_texts(config, "");
    let mine = marker(session);
    let generated = |name: &str| {
        set.profile(name)
            .and_then(|p| p.get(MARKER))
            .is_some_and(|m| m.trim() == mine)
    };
    let mut p = Plan {
        text: config.to_owned(),
        ..Plan::default()
    };
    let mut wanted: Vec<String> = Vec::new();
    for r in reachable {
        let name = profile_name(naming.prefix, naming.template, r);
        if wanted.contains(&name) {
            continue; // two accounts with one name: the first keeps it
        }
        wanted.push(name.clone());
        let exists = set.profile(&name).is_some();
        if exists && !generated(&name) {
            p.clashes
                .push((name, r.account_id.clone(), r.role_name.clone()));
            continue;
        }
        let entries = [
            ("sso_session", session),
            ("sso_account_id", r.account_id.as_str()),
            ("sso_role_name", r.role_name.as_str()),
            ("region", naming.region),
            (MARKER, mine.as_str()),
        ];
        let edit = awsfile::set_profile(&p.text, FileKind::Config, &name, &entries);
        if edit.text != p.text {
            if exists {
                p.updated.push(name);
            } else {
                p.added.push(name);
            }
            p.text = edit.text;
        }
    }
    let stale: Vec<String> = set
        .profiles()
        .map(|(n, _)| n.to_owned())
        .filter(|n| generated(n) && !wanted.contains(n))
        .collect();
    for name in stale {
        if let Some(text) = awsfile::remove_profile(&p.text, FileKind::Config, &name) {
            p.text = text;
            p.removed.push(name);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str, name: &str, role: &str) -> Reachable {
        Reachable {
            account_id: id.into(),
            account_name: name.into(),
            role_name: role.into(),
        }
    }

    fn n<'a>(prefix: &'a str, region: &'a str) -> Naming<'a> {
        Naming {
            prefix,
            template: DEFAULT_TEMPLATE,
            region,
        }
    }

    const HAND: &str = "# mine\n[profile corp-Dev-Admin]\nregion = us-east-1 ; hand-written\n\n[default]\nregion = eu-west-1\n";

    #[test]
    fn generated_profiles_are_added_updated_and_removed_and_hand_written_ones_kept() {
        let all = [
            r("111111111111", "Dev", "Admin"),
            r("111111111111", "Dev", "ReadOnly"),
            r("222222222222", "Prod Account!", "ReadOnly"),
        ];
        let first = plan(HAND, "corp", &n("corp-", "eu-west-1"), &all);
        assert_eq!(
            first.added,
            ["corp-Dev-ReadOnly", "corp-Prod-Account-ReadOnly"]
        );
        assert_eq!(
            first.clashes,
            [(
                "corp-Dev-Admin".into(),
                "111111111111".into(),
                "Admin".into()
            )]
        );
        assert!(
            first.text.starts_with(HAND),
            "hand-written bytes first and untouched"
        );
        let again = plan(&first.text, "corp", &n("corp-", "eu-west-1"), &all);
        assert_eq!(again.text, first.text, "a re-run changes nothing");
        assert!(again.added.is_empty() && again.updated.is_empty() && again.removed.is_empty());
        let fewer = plan(&first.text, "corp", &n("corp-", "eu-west-2"), &all[..2]);
        assert_eq!(fewer.removed, ["corp-Prod-Account-ReadOnly"]);
        assert_eq!(fewer.updated, ["corp-Dev-ReadOnly"], "the region changed");
        assert!(fewer.text.starts_with(HAND));
        assert!(!fewer.text.contains("Prod"));
        let other = plan(&fewer.text, "other", &n("corp-", "eu-west-2"), &[]);
        assert_eq!(
            other.text, fewer.text,
            "another session's profiles are not touched"
        );
    }

    #[test]
    fn names_follow_the_template_sanitised() {
        let t = DEFAULT_TEMPLATE;
        assert_eq!(
            profile_name("", t, &r("1", "My  Team / Dev", "Admin")),
            "My-Team-Dev-Admin"
        );
        assert_eq!(profile_name("x-", t, &r("123", "   ", "R")), "x-R");
        assert_eq!(
            profile_name("", "{role_name}@{account_id}", &r("123", "A", "R")),
            "R@123"
        );
        assert!(check_template("{account_id}.{role_name}").is_ok());
        assert!(
            check_template("{role_name}")
                .unwrap_err()
                .contains("must hold")
        );
        assert!(
            check_template("{account}-{role_name}")
                .unwrap_err()
                .contains("may only hold")
        );
    }
}
