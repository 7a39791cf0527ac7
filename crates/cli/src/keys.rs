//! `keys add`, `keys list` and `keys remove`: long-term keys into and out of the key store,
//! with the profile's `credential_process` line that sends the AWS CLI and SDKs to it.
//! Every input is checked before the store is opened; `--move` stores and reads back the
//! key before the credentials file loses its two lines, under that file's lock.

use secrecy::{ExposeSecret, SecretString};
use tempcreds_core::awsfile::{self, FileKind, paths};
use tempcreds_core::cache::{Cache, CacheKey};
use tempcreds_core::keys::{self, KeyStore, StoredKey};
use tempcreds_core::profile::Profiles;
use tempcreds_core::rules::{self, Invalid};
use tempcreds_core::{Env, Error};
use time::OffsetDateTime;

use crate::args::{KeysAddArgs, KeysProfileArg};
use crate::{common, run, ui};

const KEY_LINES: [&str; 2] = ["aws_access_key_id", "aws_secret_access_key"];

/// Forgets the sessions made from `profile`'s long-term key (the key changed or went).
pub(crate) fn forget_sessions(env: &Env, profile: &str) -> Result<usize, Error> {
    Cache::from_env(env)?.clear(|e| CacheKey::is_session_of(&e.label, profile))
}

/// What a profile holds, for deciding whether a key may be added to it.
fn check_profile(profiles: &Profiles, name: &str, moving: bool) -> Result<(), Error> {
    let Some(p) = profiles.get(name) else {
        return Ok(());
    };
    if p.role_arn.is_some() || p.credential_source.is_some() {
        return Err(Error::refused(
            format!(
                "profile {name} is a role profile (role_arn): its credentials come from its source"
            ),
            Some("store the key of the profile its source_profile names".to_owned()),
        ));
    }
    if p.credential_process.is_some() && !p.is_stored() {
        return Err(Error::refused(
            format!("profile {name} already has a credential_process that is not tempcreds'"),
            Some("remove that line first, or store the key under another profile name".to_owned()),
        ));
    }
    if p.access_key_id.is_some() && !moving {
        return Err(Error::refused(
            format!(
                "profile {name} already has keys in the shared files: a stored key beside them would be a second one"
            ),
            Some(format!(
                "move them into the store: tempcreds keys add {name} --move"
            )),
        ));
    }
    Ok(())
}

/// The key from the environment (`--env`) or typed on the terminal (the secret not echoed).
fn key_given(args: &KeysAddArgs) -> Result<(String, SecretString), Error> {
    if args.env {
        if std::env::var_os("AWS_SESSION_TOKEN").is_some() {
            return Err(Invalid::new(
                "--env",
                "found AWS_SESSION_TOKEN: the environment holds temporary credentials, not a long-term key",
            )
            .into());
        }
        let get = |v: &str| {
            std::env::var(v).map_err(|_| Invalid::new("--env", format!("needs {v} to be set")))
        };
        let id = get("AWS_ACCESS_KEY_ID")?;
        rules::access_key_id("AWS_ACCESS_KEY_ID", &id)?;
        let secret = SecretString::from(get("AWS_SECRET_ACCESS_KEY")?);
        rules::secret_access_key("AWS_SECRET_ACCESS_KEY", secret.expose_secret())?;
        return Ok((id, secret));
    }
    let no_terminal = || {
        Error::from(Invalid::new(
            "--env",
            "is needed: there is no terminal to ask for the key on",
        ))
    };
    let id = ui::read_line(&format!("access key id for profile {}: ", args.profile))
        .ok_or_else(no_terminal)??;
    rules::access_key_id("access key id", id.trim())?;
    let secret = ui::read_hidden("secret access key (not shown): ").ok_or_else(no_terminal)??;
    rules::secret_access_key("secret access key", secret.expose_secret())?;
    Ok((id.trim().to_owned(), secret))
}

/// Stores `key`, reads it back, and compares: only a key proved to be in the store lets a
/// copy elsewhere go.
pub(crate) fn store_and_verify(
    store: &dyn KeyStore,
    profile: &str,
    key: &StoredKey,
) -> Result<(), Error> {
    store.put(profile, key)?;
    let back = store.get(profile)?;
    let same = back.as_ref().is_some_and(|b| {
        b.access_key_id == key.access_key_id
            && b.secret.expose_secret() == key.secret.expose_secret()
    });
    if !same {
        return Err(Error::Transport {
            message: format!(
                "{} did not give back the key just stored for profile {profile}",
                store.describe()
            ),
            hint: Some(
                "nothing else was changed; check the store and run the command again".to_owned(),
            ),
        });
    }
    Ok(())
}

/// The two key lines of the profile rewritten in place (the lossless editor), then read back.
pub(crate) fn keep_in_file(
    path: &std::path::Path,
    profile: &str,
    key: &tempcreds_core::Credentials,
) -> Result<(), Error> {
    let pairs = [
        ("aws_access_key_id", key.access_key_id.as_str()),
        ("aws_secret_access_key", key.secret()),
    ];
    awsfile::update_file(path, |current| {
        Ok(Some(
            awsfile::set_profile(current, FileKind::Credentials, profile, &pairs).text,
        ))
    })?;
    let text = awsfile::read_to_string_if_exists(path)?.unwrap_or_default();
    let set = awsfile::ProfileSet::from_texts("", &text);
    let back = set.profile(profile);
    let same = back.is_some_and(|p| {
        p.get("aws_access_key_id") == Some(key.access_key_id.as_str())
            && p.get("aws_secret_access_key") == Some(key.secret_access_key.expose_secret())
    });
    if same {
        Ok(())
    } else {
        Err(Error::Transport {
            message: format!(
                "{} did not give back the key just written to profile {profile}",
                path.display()
            ),
            hint: None,
        })
    }
}

/// Writes `credential_process = tempcreds credential-process NAME` into `[profile NAME]`.
pub(crate) fn write_process_line(env: &Env, profile: &str) -> Result<(), Error> {
    let line = keys::process_line(profile);
    awsfile::update_file(&paths::config_file(env), |current| {
        Ok(Some(
            awsfile::set_profile(
                current,
                FileKind::Config,
                profile,
                &[("credential_process", &line)],
            )
            .text,
        ))
    })
    .map(|_| ())
    .map_err(|e| Error::Transport {
        message: format!(
            "the key of profile {profile} is stored, but the config file was not updated: {e}"
        ),
        hint: Some(format!(
            "add `credential_process = {line}` to [profile {profile}] by hand"
        )),
    })
}

/// Whether the config file names the key store for `profile` (its own credential_process
/// line): read without opening the store.
pub(crate) fn config_names_store(env: &Env, profile: &str) -> Result<bool, Error> {
    let config = awsfile::read_to_string_if_exists(&paths::config_file(env))?.unwrap_or_default();
    Ok(Profiles::from_texts(&config, "")
        .get(profile)
        .is_some_and(|p| p.is_stored()))
}

/// Removes the profile's `credential_process` line if it is tempcreds' own.
pub(crate) fn remove_process_line(env: &Env, profile: &str) -> Result<bool, Error> {
    let mut removed = false;
    awsfile::update_file(&paths::config_file(env), |current| {
        if !Profiles::from_texts(current, "")
            .get(profile)
            .is_some_and(|p| p.is_stored())
        {
            return Ok(None);
        }
        removed = true;
        Ok(awsfile::remove_keys(
            current,
            FileKind::Config,
            profile,
            &["credential_process"],
        ))
    })?;
    Ok(removed)
}

pub(crate) fn add(args: &KeysAddArgs, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let name = &args.profile;
    rules::stored_profile_name("PROFILE", name)?;
    let files = tempcreds_core::engine::Files::read(&env)?;
    check_profile(
        &Profiles::from_texts(&files.config, &files.credentials),
        name,
        args.move_keys,
    )?;
    let store = run::key_store();
    let now = OffsetDateTime::now_utc();
    let id = if args.move_keys {
        move_keys(&env, name, store, now)?
    } else {
        let (id, secret) = key_given(args)?;
        let key = StoredKey {
            access_key_id: id.clone(),
            secret,
            created: now,
        };
        store_and_verify(store, name, &key)?;
        id
    };
    forget_sessions(&env, name)?;
    write_process_line(&env, name)?;
    ui::notice(
        quiet,
        &format!(
            "stored the key {id} of profile {name} in {}; [profile {name}] has credential_process = {}",
            store.describe(),
            keys::process_line(name)
        ),
    );
    Ok(())
}

/// `--move`: under the credentials file's lock, the two key lines are read, stored, read
/// back, and only then removed; a failure of the store leaves the file as it was.
fn move_keys(
    env: &Env,
    name: &str,
    store: &dyn KeyStore,
    now: OffsetDateTime,
) -> Result<String, Error> {
    let cred_file = paths::credentials_file(env);
    let mut moved = String::new();
    awsfile::update_file(&cred_file, |current| {
        let set = awsfile::ProfileSet::from_texts("", current);
        let p = set.profile(name).ok_or_else(|| {
            Error::from(Invalid::new(
                "--move",
                format!("found no [{name}] with keys in {}", cred_file.display()),
            ))
        })?;
        if p.get("aws_session_token").is_some() {
            return Err(Invalid::new(
                "--move",
                format!(
                    "profile {name} holds a session token: its keys are temporary, not long-term"
                ),
            )
            .into());
        }
        let (Some(id), Some(secret)) = (p.get("aws_access_key_id"), p.get("aws_secret_access_key"))
        else {
            return Err(Invalid::new(
                "--move",
                format!(
                    "profile {name} in {} lacks aws_access_key_id or aws_secret_access_key",
                    cred_file.display()
                ),
            )
            .into());
        };
        rules::access_key_id(format!("aws_access_key_id (profile {name})"), id)?;
        rules::secret_access_key(format!("aws_secret_access_key (profile {name})"), secret)?;
        let key = StoredKey {
            access_key_id: id.to_owned(),
            secret: SecretString::from(secret),
            created: now,
        };
        store_and_verify(store, name, &key)?;
        moved = id.to_owned();
        Ok(awsfile::remove_keys(
            current,
            FileKind::Credentials,
            name,
            &KEY_LINES,
        ))
    })?;
    Ok(moved)
}

pub(crate) fn remove(args: &KeysProfileArg, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let name = &args.profile;
    rules::stored_profile_name("PROFILE", name)?;
    let store = run::key_store();
    let had = store.get(name)?;
    let line = remove_process_line(&env, name)?;
    if had.is_none() && !line {
        return Err(Error::refused(
            format!(
                "profile {name} has no key in {} and no credential_process line of tempcreds",
                store.describe()
            ),
            Some("tempcreds keys list shows the stored keys".to_owned()),
        ));
    }
    store.remove(name)?;
    forget_sessions(&env, name)?;
    let what = had.map_or_else(String::new, |k| format!("the key {} ", k.access_key_id));
    ui::notice(
        quiet,
        &format!(
            "removed {what}of profile {name} from {}{}; the key itself still exists in IAM",
            store.describe(),
            if line {
                " and its credential_process line"
            } else {
                ""
            }
        ),
    );
    Ok(())
}

/// Whole days, as `keys list` shows an age.
fn age(created: OffsetDateTime, now: OffsetDateTime) -> String {
    format!("{}d", (now - created).whole_days())
}

pub(crate) fn list(quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let now = OffsetDateTime::now_utc();
    let store = run::key_store();
    let mut rows = vec![[
        "PROFILE".to_owned(),
        "KEY ID".to_owned(),
        "STORE".to_owned(),
        "AGE".to_owned(),
    ]];
    let mut old = Vec::new();
    for k in store.list()? {
        if k.is_old(now) {
            old.push(k.profile.clone());
        }
        rows.push([
            k.profile,
            k.access_key_id,
            store.kind().to_owned(),
            age(k.created, now),
        ]);
    }
    let files = tempcreds_core::engine::Files::read(&env)?;
    let plain = awsfile::ProfileSet::from_texts("", &files.credentials);
    for (name, p) in plain.profiles() {
        if let (Some(id), None) = (p.get("aws_access_key_id"), p.get("aws_session_token")) {
            rows.push([
                name.to_owned(),
                id.to_owned(),
                "credentials file (plaintext)".to_owned(),
                "-".to_owned(),
            ]);
        }
    }
    let widths: Vec<usize> = (0..3)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        out.push_str(&format!(
            "{:w0$}  {:w1$}  {:w2$}  {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
    }
    common::print(&out)?;
    for p in old {
        ui::warn(
            quiet,
            &format!("the key of profile {p} is older than 90 days: tempcreds keys rotate {p}"),
        );
    }
    Ok(())
}
