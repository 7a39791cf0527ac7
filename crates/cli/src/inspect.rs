//! `whoami`, `list` and `clear`: what identity a profile gives, which profiles and cached
//! sessions exist, and forgetting them. Nothing here prints a secret.

use tempcreds_core::cache::{Cache, CacheKey};
use tempcreds_core::engine::{Files, Last, Source};
use tempcreds_core::keys::KeyStore;
use tempcreds_core::plan;
use tempcreds_core::profile::{Profile, Profiles};
use tempcreds_core::sso;
use tempcreds_core::sts::{SdkSts, Sts};
use tempcreds_core::{Env, Error};
use time::OffsetDateTime;

use crate::args::PositionalProfile;
use crate::common;
use crate::profiles::{EXEC_MARKER, credentials, prepare};
use crate::run::{self, Context};

fn left(until: OffsetDateTime) -> String {
    let d = until - OffsetDateTime::now_utc();
    if d.is_negative() {
        "expired".to_owned()
    } else {
        format!("{}h {:02}m left", d.whole_hours(), d.whole_minutes() % 60)
    }
}

/// A profile's identity: through its chain (from the cache when possible), or, with no
/// profile named and none from `tempcreds exec`, the caller's own credentials.
pub(crate) async fn whoami(args: &PositionalProfile, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let named = args
        .profile
        .clone()
        .or_else(|| env.get(EXEC_MARKER).map(str::to_owned));
    let mut lines = Vec::new();
    let (creds, region) = match named {
        Some(name) => {
            let p = prepare(Some(&name), &args.opts)?;
            let region = p.region(&args.opts)?;
            let creds = credentials(&p, &args.opts, quiet).await?.credentials;
            lines.push(format!(
                "profile:   {} (chain {})",
                p.name,
                p.chain.profiles.join(" -> ")
            ));
            let mfa = if p.chain.uses_mfa() { "yes" } else { "no" };
            lines.push(format!("mfa:       {mfa}"));
            if let Source::Stored { profile } = &p.chain.source {
                lines.push(stored_key_line(profile, quiet)?);
            }
            (creds, region.name)
        }
        None => {
            let files = Files::read(&env)?;
            let ctx = Context {
                env: &env,
                files: &files,
                mfa_code: run::mfa_code(args.opts.mfa_code.as_deref())?,
                quiet,
            };
            let chain = plan::source_chain(None, &env, &files)?;
            let region = run::region(args.opts.region.as_deref(), &env, &chain)?;
            let creds = run::run(&chain, &region.name, Last::MayBeCached, &ctx)
                .await?
                .credentials;
            let from = match chain.profiles.first() {
                Some(p) => format!("(none named: profile {p} from AWS_PROFILE or default)"),
                None => format!("(none named: {})", chain.source),
            };
            lines.push(format!("profile:   {from}"));
            (creds, region.name)
        }
    };
    let arn = SdkSts::with_credentials(&region, &creds)
        .await?
        .caller_arn()
        .await?;
    let expiration = creds.expiration;
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

/// The stored key behind a profile: its id, store and age, with a warning past 90 days.
fn stored_key_line(profile: &str, quiet: bool) -> Result<String, Error> {
    let store = run::key_store();
    let Some(key) = store.get(profile)? else {
        return Ok(format!("key:       none in {}", store.describe()));
    };
    let now = OffsetDateTime::now_utc();
    let days = (now - key.created).whole_days();
    if key.is_old(now) {
        crate::ui::warn(
            quiet,
            &format!(
                "the key of profile {profile} is {days} days old: tempcreds keys rotate {profile}"
            ),
        );
    }
    Ok(format!(
        "key:       {} in {} ({days} days old)",
        key.access_key_id,
        store.describe()
    ))
}

fn kind(p: &Profile) -> String {
    match (&p.role_arn, &p.source_profile, &p.credential_process) {
        (Some(role), Some(src), _) => format!(
            "role via {src}{}: {role}",
            if p.mfa_serial.is_some() { " (MFA)" } else { "" }
        ),
        (Some(role), None, _) => match &p.credential_source {
            Some(cs) => format!("role via credential_source {cs}: {role}"),
            None => format!("role (no source_profile): {role}"),
        },
        (None, _, Some(_)) if p.is_stored() => format!(
            "stored key{}",
            if p.mfa_serial.is_some() {
                " (MFA device)"
            } else {
                ""
            }
        ),
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

/// Each IAM Identity Center session the files name, and its sign-in's time left.
fn sign_ins(profiles: &Profiles, env: &Env) -> String {
    let mut sessions: Vec<sso::SsoSession> = profiles
        .set()
        .sso_sessions()
        .filter_map(|(name, _)| sso::config::session(profiles.set(), name).ok())
        .collect();
    for p in profiles.iter() {
        if let Ok(Some(r)) = sso::config::of_profile(profiles.set(), &p.name)
            && !sessions
                .iter()
                .any(|s| s.cache_key() == r.session.cache_key())
        {
            sessions.push(r.session);
        }
    }
    if sessions.is_empty() {
        return String::new();
    }
    let mut out = format!("\nSSO sign-ins ({}):\n", sessions.len());
    for s in sessions {
        let state = match sso::token::read(&sso::token::path(env, &s.cache_key())) {
            Ok(Some(t)) if t.expires_at > OffsetDateTime::now_utc() => left(t.expires_at),
            Ok(Some(t)) if t.refresh_token.is_some() => "expired, refreshable".to_owned(),
            Ok(Some(_)) => "expired".to_owned(),
            Ok(None) => "not signed in".to_owned(),
            Err(e) => e.to_string(),
        };
        out.push_str(&format!("  {}  [{state}]\n", s.label()));
    }
    out
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
        let k = match sso::config::of_profile(profiles.set(), &p.name) {
            Ok(Some(r)) => format!(
                "SSO role {} in {} ({})",
                r.role_name,
                r.account_id,
                r.session.label()
            ),
            Err(e) => format!("SSO, not usable: {e}"),
            Ok(None) => kind(p),
        };
        out.push_str(&format!("{:width$}  {k}\n", p.name));
    }
    out.push_str(&sign_ins(&profiles, &env));
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

/// The cache label of an SSO profile's role credentials.
fn sso_role_label(env: &Env, name: &str) -> Option<String> {
    let files = Files::read(env).ok()?;
    let profiles = Profiles::from_texts(&files.config, &files.credentials);
    let role = sso::config::of_profile(profiles.set(), name).ok()??;
    Some(tempcreds_core::engine::sso_key(&role).label())
}

pub(crate) fn clear(profile: Option<&str>, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let cache = Cache::from_env(&env)?;
    let n = match profile {
        // A profile's own role sessions, and the MFA session of a source profile.
        Some(name) => {
            let sso_label = sso_role_label(&env, name);
            cache.clear(|e| {
                e.label.starts_with(&format!("profile {name}:"))
                    || CacheKey::is_session_of(&e.label, name)
                    || sso_label.as_deref() == Some(e.label.as_str())
            })?
        }
        // Everything, unreadable entries and the key included.
        None => cache.clear_all()?,
    };
    crate::ui::notice(
        quiet,
        &format!("forgot {n} cached session{}", if n == 1 { "" } else { "s" }),
    );
    Ok(())
}
