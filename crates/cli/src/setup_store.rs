//! What `setup --key-store` and `teardown` do with the key store: find the key a profile
//! holds there, refuse a second copy beside keys in the credentials file, store a new key
//! (read back) with its profile's `credential_process` line.

use std::path::Path;

use tempcreds_core::awsfile::{self, FileKind};
use tempcreds_core::keys::{KeyStore, StoredKey};
use tempcreds_core::{Credentials, Env, Error};

use crate::{keys, run, ui};

/// The access key id the key store holds for `profile`, if any.
pub(crate) fn stored_key(profile: &str) -> Result<Option<String>, Error> {
    Ok(run::key_store().get(profile)?.map(|k| k.access_key_id))
}

/// The stored key of `profile` when its config names the store (the store is not opened,
/// nor a passphrase asked, for a profile that does not use it).
pub(crate) fn stored_key_if_any(env: &Env, profile: &str) -> Result<Option<String>, Error> {
    if keys::config_names_store(env, profile)? {
        stored_key(profile)
    } else {
        Ok(None)
    }
}

/// `--key-store`: keys for the profile in the credentials file would be a second copy.
pub(crate) fn refuse_keys_in_file(
    current: &str,
    profile: &str,
    cred_file: &Path,
) -> Result<(), Error> {
    if awsfile::holds_long_term_keys(current, FileKind::Credentials, profile) {
        return Err(Error::refused(
            format!(
                "profile {profile} holds keys in {}: with --key-store the new key would be a second one beside them",
                cred_file.display()
            ),
            Some(format!(
                "move them first (tempcreds keys add {profile} --move), or choose another --write-profile"
            )),
        ));
    }
    Ok(())
}

/// `--key-store`: the new key into the store (read back), its profile's credential_process
/// line into the config file.
pub(crate) fn store_key(
    env: &Env,
    profile: &str,
    key: &Credentials,
    quiet: bool,
) -> Result<(), Error> {
    let store = run::key_store();
    let stored = StoredKey {
        access_key_id: key.access_key_id.clone(),
        secret: key.secret_access_key.clone(),
        created: time::OffsetDateTime::now_utc(),
    };
    keys::store_and_verify(store, profile, &stored)?;
    keys::forget_sessions(env, profile)?;
    keys::write_process_line(env, profile)?;
    ui::notice(
        quiet,
        &format!(
            "stored the new access key {} for profile \"{profile}\" in {} (credential_process = {})",
            key.access_key_id,
            store.describe(),
            tempcreds_core::keys::process_line(profile)
        ),
    );
    Ok(())
}
