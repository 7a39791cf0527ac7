//! Which IAM Identity Center sign-in a profile uses, checked once into typed values: the
//! `[sso-session NAME]` it names with `sso_session`, or (legacy) its own `sso_start_url` and
//! `sso_region`; and the account and role it signs in to (`sso_account_id`,
//! `sso_role_name`). Keys and rules as botocore (`SSOProvider._load_sso_config`,
//! `SSOTokenProvider`) and the Rust SDK (`profile::credentials::repr`) read them.

use crate::awsfile::{ProfileSet, Properties};
use crate::rules::{self, Invalid};

/// An IAM Identity Center session: where to sign in, and the token cache's name for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    /// The `[sso-session NAME]`; None for a legacy profile (its own `sso_start_url`).
    pub name: Option<String>,
    /// `sso_start_url`: https, checked.
    pub start_url: String,
    /// `sso_region`: where the OIDC and portal endpoints are, checked.
    pub region: String,
    /// `sso_registration_scopes` (comma-separated): with none, the client registered at
    /// login gets no refresh token, so the token cannot be refreshed.
    pub scopes: Vec<String>,
}

impl SsoSession {
    /// The token cache's file stem: the SHA-1 (hex) of the session name, or of the start
    /// URL for a legacy profile (botocore `SSOTokenLoader._generate_cache_key`; the AWS CLI
    /// and the Rust SDK use the same name).
    pub fn cache_key(&self) -> String {
        use sha1::{Digest, Sha1};
        let input = self.name.as_deref().unwrap_or(&self.start_url);
        hex::encode(Sha1::digest(input.as_bytes()))
    }

    /// How messages name it: `sso-session corp`, or the start URL.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("sso-session {n}"),
            None => self.start_url.clone(),
        }
    }
}

/// A profile's sign-in to one account and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoRole {
    pub profile: String,
    pub session: SsoSession,
    /// `sso_account_id`: 12 digits, checked.
    pub account_id: String,
    /// `sso_role_name`: the permission set's name, checked.
    pub role_name: String,
}

fn in_session(name: &str, key: &str) -> String {
    format!("{key} (sso-session {name})")
}

fn in_profile(name: &str, key: &str) -> String {
    format!("{key} (profile {name})")
}

fn required<'a>(props: &'a Properties, key: &str, field: &str) -> Result<&'a str, Invalid> {
    props
        .get(key)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Invalid::new(field.to_owned(), "is required"))
}

/// `sso_start_url`: the AWS access portal's URL, over https (the token is sent there).
pub fn start_url(field: String, value: &str) -> Result<String, Invalid> {
    let rest = value.strip_prefix("https://").ok_or_else(|| {
        Invalid::new(
            field.clone(),
            format!("must be an https:// URL (got \"{value}\")"),
        )
    })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(Invalid::new(
            field,
            format!("must be an https:// URL with a host (got \"{value}\")"),
        ));
    }
    Ok(value.to_owned())
}

fn scopes(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `[sso-session NAME]`, checked.
pub fn session(set: &ProfileSet, name: &str) -> Result<SsoSession, Invalid> {
    let props = set.sso_session(name).ok_or_else(|| {
        Invalid::new(
            format!("sso_session {name}"),
            "names no [sso-session] section in the config file",
        )
    })?;
    let url = required(props, "sso_start_url", &in_session(name, "sso_start_url"))?;
    let region = required(props, "sso_region", &in_session(name, "sso_region"))?;
    rules::region(in_session(name, "sso_region"), region)?;
    Ok(SsoSession {
        name: Some(name.to_owned()),
        start_url: start_url(in_session(name, "sso_start_url"), url)?,
        region: region.to_owned(),
        scopes: scopes(props.get("sso_registration_scopes")),
    })
}

/// Whether a profile signs in through IAM Identity Center.
pub fn is_sso(props: &Properties) -> bool {
    [
        "sso_session",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
    ]
    .iter()
    .any(|k| props.get(k).is_some())
}

/// The profile's sign-in, or None when it has no SSO keys.
pub fn of_profile(set: &ProfileSet, profile: &str) -> Result<Option<SsoRole>, Invalid> {
    let Some(props) = set.profile(profile).filter(|p| is_sso(p)) else {
        return Ok(None);
    };
    let session = match props.get("sso_session").map(str::trim) {
        Some(name) => {
            let s = session(set, name)?;
            // botocore refuses a profile whose own values contradict its session's.
            for (key, theirs) in [("sso_start_url", &s.start_url), ("sso_region", &s.region)] {
                if let Some(own) = props.get(key).map(str::trim)
                    && own != theirs
                {
                    return Err(Invalid::new(
                        in_profile(profile, key),
                        format!("is \"{own}\" but sso-session {name} says \"{theirs}\""),
                    ));
                }
            }
            s
        }
        None => {
            let url = required(
                props,
                "sso_start_url",
                &in_profile(profile, "sso_start_url"),
            )?;
            let region = required(props, "sso_region", &in_profile(profile, "sso_region"))?;
            rules::region(in_profile(profile, "sso_region"), region)?;
            SsoSession {
                name: None,
                start_url: start_url(in_profile(profile, "sso_start_url"), url)?,
                region: region.to_owned(),
                scopes: Vec::new(),
            }
        }
    };
    let account_id = required(
        props,
        "sso_account_id",
        &in_profile(profile, "sso_account_id"),
    )?;
    if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new(
            in_profile(profile, "sso_account_id"),
            format!("must be a 12-digit account id (got \"{account_id}\")"),
        ));
    }
    let role_name = required(
        props,
        "sso_role_name",
        &in_profile(profile, "sso_role_name"),
    )?;
    role_name_rule(&in_profile(profile, "sso_role_name"), role_name)?;
    Ok(Some(SsoRole {
        profile: profile.to_owned(),
        session,
        account_id: account_id.to_owned(),
        role_name: role_name.to_owned(),
    }))
}

/// A permission set's name: 1 to 32 characters of A-Z a-z 0-9 and `+=,.@-_`
/// (IAM Identity Center's `PermissionSetName` pattern).
fn role_name_rule(field: &str, value: &str) -> Result<(), Invalid> {
    let ok = (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@-_".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            field.to_owned(),
            format!("must be 1 to 32 characters of A-Z a-z 0-9 +=,.@-_ (got \"{value}\")"),
        ))
    }
}
