//! `whoami`, `list` and `clear`: what identity a profile gives, which profiles and cached
//! sessions exist, and forgetting them. Nothing here prints a secret.

use tempcreds_core::cache::Cache;
use tempcreds_core::plan;
use tempcreds_core::profile::{Profile, Profiles, Step};
use tempcreds_core::source::Files;
use tempcreds_core::sts::{SdkSts, Sts};
use tempcreds_core::{Env, Error};
use time::OffsetDateTime;

use crate::args::PositionalProfile;
use crate::common;
use crate::profiles::{credentials, prepare, region};

fn left(until: OffsetDateTime) -> String {
    let d = until - OffsetDateTime::now_utc();
    if d.is_negative() {
        "expired".to_owned()
    } else {
        format!("{}h {:02}m left", d.whole_hours(), d.whole_minutes() % 60)
    }
}

/// A profile's identity: through its plan (from the cache when possible), or, with no
/// profile named and none from `tempcreds exec`, the environment's credentials.
pub(crate) async fn whoami(args: &PositionalProfile, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let named = args
        .profile
        .clone()
        .or_else(|| env.get("TEMPCREDS_PROFILE").map(str::to_owned));
    let mut lines = Vec::new();
    let (arn, expiration) = match named {
        Some(name) => {
            let p = prepare(Some(&name))?;
            let creds = credentials(&p, &args.opts, quiet).await?;
            let (region, _) = region(&p, &args.opts)?;
            let mfa = p.plan.steps.iter().any(|s| match s {
                Step::SessionToken { .. } => true,
                Step::AssumeRole { mfa_serial, .. } => mfa_serial.is_some(),
            });
            lines.push(format!(
                "profile:   {} (chain {})",
                p.name,
                p.plan.chain.join(" -> ")
            ));
            lines.push(format!("mfa:       {}", if mfa { "yes" } else { "no" }));
            let sts = SdkSts::with_credentials(&region, &creds).await?;
            (sts.caller_arn().await?, creds.expiration)
        }
        None => {
            let (settings, _) =
                plan::source_only(None, None, &env, common::config_text(&env)?.as_deref())?;
            let sts = SdkSts::connect(&settings).await?;
            lines.push("profile:   (the environment's credentials)".to_owned());
            let exp = sts.source_credentials().expiration;
            (sts.caller_arn().await?, exp)
        }
    };
    lines.insert(0, format!("identity:  {arn}"));
    lines.push(format!(
        "expires:   {}",
        expiration.map_or("never (long-term keys)".to_owned(), |e| format!(
            "{} ({})",
            tempcreds_core::credentials::rfc3339(e),
            left(e)
        ))
    ));
    common::print(&(lines.join("\n") + "\n"))
}

fn kind(p: &Profile) -> String {
    match (&p.role_arn, &p.source_profile, &p.credential_process) {
        (Some(role), Some(src), _) => format!(
            "role via {src}{}: {role}",
            if p.mfa_serial.is_some() { " (MFA)" } else { "" }
        ),
        (Some(role), None, _) => format!("role (no source_profile): {role}"),
        (None, _, Some(_)) => "credential_process".to_owned(),
        (None, _, None) if p.access_key_id.is_some() => format!(
            "{}{}",
            if p.has_session_token {
                "temporary keys"
            } else {
                "keys"
            },
            if p.mfa_serial.is_some() {
                " (MFA device)"
            } else {
                ""
            }
        ),
        _ => "settings only".to_owned(),
    }
}

pub(crate) fn list() -> Result<(), Error> {
    let env = Env::from_process();
    let files = Files::read(&env)?;
    let profiles = Profiles::from_texts(&files.config, &files.credentials);
    let width = profiles
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut out = format!("{:width$}  KIND\n", "PROFILE");
    for p in profiles.iter() {
        out.push_str(&format!("{:width$}  {}\n", p.name, kind(p)));
    }
    let cache = Cache::from_env(&env)?;
    let entries = cache.entries();
    out.push_str(&format!("\ncached sessions ({}):\n", entries.len()));
    for e in entries {
        out.push_str(&format!("  {}  [{}]\n", e.label, left(e.expiration)));
    }
    out.push_str(&format!(
        "cache: {}\nkey:   {}\n",
        cache.dir().display(),
        cache.key_store().describe()
    ));
    common::print(&out)
}

pub(crate) fn clear(profile: Option<&str>, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let cache = Cache::from_env(&env)?;
    let n = match profile {
        // A profile's own role sessions, and the MFA session of a source profile.
        Some(name) => cache.clear(|e| {
            e.label.starts_with(&format!("profile {name}:"))
                || e.label
                    .starts_with(&format!("MFA session of profile {name} "))
        })?,
        // Everything, unreadable entries and the key included.
        None => cache.clear_all()?,
    };
    crate::ui::notice(
        quiet,
        &format!("forgot {n} cached session{}", if n == 1 { "" } else { "s" }),
    );
    Ok(())
}
