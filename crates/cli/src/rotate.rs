//! `keys rotate PROFILE`: a new access key, proved before anything is deleted. The order
//! (peers lose keys by getting it wrong: aws-vault#132, #536, #190; granted#388): find the
//! user, refuse if it already has a second key, create the new key, wait until it works,
//! keep it (store or credentials file) and read it back, forget the old key's sessions, then
//! — signed with the new key — deactivate and delete the old one. Before the new key is
//! kept, any failure deletes it again; after, the error names the old key and the command
//! that finishes the job.

use std::path::PathBuf;

use tempcreds_core::awsfile::{self, paths};
use tempcreds_core::engine::{
    Chain, Files, GivenKeys, Last, MfaChooser, MfaDevice, NoCache, SessionStep, Source, Step,
};
use tempcreds_core::keys::{KeyStore, StoredKey};
use tempcreds_core::profile::{self, Profiles};
use tempcreds_core::provision::iam::{NewKey, SdkIam};
use tempcreds_core::rules;
use tempcreds_core::sts::{SdkSts, Sts};
use tempcreds_core::{Credentials, Env, Error};

use crate::args::KeysRotateArgs;
use crate::run::{self, Context};
use crate::{common, fresh_code, keys, setup, ui};

/// Where the profile's long-term key is kept.
enum Place {
    Store,
    File(PathBuf),
}

/// Everything known before the first call.
struct Rotation {
    name: String,
    place: Place,
    region: String,
    old: Credentials,
    /// The profile's chain: its source, and its MFA session when it has `mfa_serial`.
    chain: Chain,
    mfa: Option<MfaDevice>,
    env: Env,
    files: Files,
    quiet: bool,
}

pub(crate) async fn rotate(args: &KeysRotateArgs, quiet: bool) -> Result<(), Error> {
    let r = Rotation::prepare(args, quiet)?;
    let given = run::mfa_code(args.mfa_code.as_deref())?;
    let chooser = MfaChooser::new(given, &run::Terminal);
    let user = r.user().await?;
    if args.dry_run {
        return r.print_steps(&user);
    }
    let old_iam = r.iam(&r.old_signer(&chooser).await?).await?;
    if let Some(other) = old_iam
        .access_keys(&user)
        .await?
        .into_iter()
        .find(|k| k.access_key_id != r.old.access_key_id)
    {
        return Err(Error::Transport {
            message: format!(
                "user {user} already has a second access key, {} ({}): IAM allows two, so no new key was created",
                other.access_key_id,
                if other.active { "active" } else { "inactive" }
            ),
            hint: Some(format!(
                "delete it if nothing uses it (aws iam delete-access-key --user-name {user} --access-key-id {}), then rotate again",
                other.access_key_id
            )),
        });
    }
    let new = old_iam.create_access_key(&user).await?;
    ui::notice(
        quiet,
        &format!(
            "created the new key {} for user {user}",
            new.credentials.access_key_id
        ),
    );
    if let Err(e) = r.prove_and_keep(&new).await {
        return Err(r.roll_back(&old_iam, &user, &new, e).await);
    }
    keys::forget_sessions(&r.env, &r.name)?;
    r.retire_old(&user, &new, &chooser).await?;
    ui::notice(
        quiet,
        &format!(
            "rotated profile {}: {} is in use, {} is deactivated and deleted",
            r.name, new.credentials.access_key_id, r.old.access_key_id
        ),
    );
    Ok(())
}

impl Rotation {
    fn prepare(args: &KeysRotateArgs, quiet: bool) -> Result<Self, Error> {
        let env = Env::from_process();
        let name = args.profile.clone();
        rules::profile_name("PROFILE", &name)?;
        let files = Files::read(&env)?;
        let profiles = Profiles::from_texts(&files.config, &files.credentials);
        let chain = profile::resolve(&profiles, &name, None)?;
        let own = chain.source.profile() == Some(name.as_str())
            && !chain.steps.iter().any(|s| matches!(s, Step::AssumeRole(_)));
        let cred_file = paths::credentials_file(&env);
        let place = match &chain.source {
            Source::Stored { .. } if own => Place::Store,
            Source::StaticKeys {
                temporary: false, ..
            } if own => {
                let in_file = awsfile::ProfileSet::from_texts("", &files.credentials)
                    .profile(&name)
                    .is_some_and(|p| p.get("aws_access_key_id").is_some());
                if !in_file {
                    return Err(Error::refused(
                        format!(
                            "the keys of profile {name} are in the config file, which tempcreds does not rewrite with a secret"
                        ),
                        Some(format!(
                            "move them to {} (or into the store: tempcreds keys add {name} --move)",
                            cred_file.display()
                        )),
                    ));
                }
                Place::File(cred_file)
            }
            _ => {
                return Err(Error::refused(
                    format!("profile {name} holds no long-term key of its own (it is a role, temporary keys, a process or SSO)"),
                    Some("rotate the profile that holds the IAM user's access key (its source_profile)".to_owned()),
                ));
            }
        };
        let old = match &place {
            Place::Store => run::key_store()
                .get(&name)?
                .map(|k| k.credentials())
                .ok_or_else(|| {
                    Error::refused(
                        format!(
                            "profile {name} names the key store, but {} holds no key for it",
                            run::key_store().describe()
                        ),
                        Some(format!("tempcreds keys add {name}")),
                    )
                })?,
            Place::File(_) => tempcreds_core::engine::static_credentials(&files, &name)
                .ok_or_else(|| Error::refused(format!("profile {name} has no keys"), None))?,
        };
        let mfa = chain.steps.iter().find_map(|s| match s {
            Step::SessionToken(s) => s.mfa.clone(),
            _ => None,
        });
        let region = run::region(args.region.as_deref(), &env, &chain)?.name;
        Ok(Self {
            name,
            place,
            region,
            old,
            chain,
            mfa,
            env,
            files,
            quiet,
        })
    }

    /// The IAM user the old key belongs to (GetCallerIdentity needs no permission or MFA).
    async fn user(&self) -> Result<String, Error> {
        let arn = SdkSts::with_credentials(&self.region, &self.old)
            .await?
            .caller_arn()
            .await?;
        match arn.split_once(":user/") {
            Some((_, path)) => Ok(path.rsplit('/').next().unwrap_or(path).to_owned()),
            None => Err(Error::refused(
                format!(
                    "the key of profile {} belongs to {arn}, not to an IAM user",
                    self.name
                ),
                Some(if arn.ends_with(":root") {
                    "root keys are rotated in the console (better: deleted)".to_owned()
                } else {
                    "only an IAM user's access keys rotate".to_owned()
                }),
            )),
        }
    }

    fn where_kept(&self) -> String {
        match &self.place {
            Place::Store => run::key_store().describe(),
            Place::File(p) => format!("profile {} in {}", self.name, p.display()),
        }
    }

    fn print_steps(&self, user: &str) -> Result<(), Error> {
        let old = &self.old.access_key_id;
        let signed = if self.mfa.is_some() {
            ", with an MFA session (a code)"
        } else {
            ""
        };
        let steps = [
            format!(
                "ListAccessKeys{signed}: check that user {user} has no second key (IAM allows two)"
            ),
            format!("CreateAccessKey for user {user}"),
            format!(
                "wait until the new key works (GetCallerIdentity with it, up to {} s)",
                tempcreds_core::provision::retry::limit().as_secs()
            ),
            format!("keep the new key in {} and read it back", self.where_kept()),
            format!("forget the cached sessions made from {old}"),
            format!(
                "signed with the new key{signed}: UpdateAccessKey {old} Inactive, then DeleteAccessKey {old}"
            ),
        ];
        let mut out = format!(
            "keys rotate {} would (user {user}, key {old}), changing nothing now:\n",
            self.name
        );
        for (i, s) in steps.iter().enumerate() {
            out.push_str(&format!("  {}. {s}\n", i + 1));
        }
        common::print(&out)
    }

    /// What IAM calls are signed with as the old key: the profile's MFA session (cached, as
    /// every MFA session) when it has `mfa_serial`, else the key itself.
    async fn old_signer(&self, codes: &MfaChooser<'_>) -> Result<Credentials, Error> {
        if self.mfa.is_none() {
            return Ok(self.old.clone());
        }
        let ctx = self.ctx();
        let cache = run::cache_for(&self.chain, &ctx)?;
        Ok(run::run_codes(
            &self.chain,
            &self.region,
            Last::MayBeCached,
            &ctx,
            cache.as_ref(),
            codes,
        )
        .await?
        .credentials)
    }

    /// As the new key: an MFA session of it (a second code), else the key itself.
    async fn new_signer(
        &self,
        new: &Credentials,
        codes: &MfaChooser<'_>,
    ) -> Result<Credentials, Error> {
        let Some(mfa) = &self.mfa else {
            return Ok(new.clone());
        };
        let chain = Chain {
            profiles: Vec::new(),
            source: Source::Given(GivenKeys(new.clone())),
            steps: vec![Step::SessionToken(SessionStep {
                mfa: Some(mfa.clone()),
                duration_seconds: Some(900),
            })],
            region: None,
        };
        let fresh = fresh_code::FreshCode::new(codes);
        Ok(run::run_codes(
            &chain,
            &self.region,
            Last::Fresh,
            &self.ctx(),
            &NoCache,
            &fresh,
        )
        .await?
        .credentials)
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            env: &self.env,
            files: &self.files,
            mfa_code: None,
            quiet: self.quiet,
        }
    }

    async fn iam(&self, signer: &Credentials) -> Result<SdkIam, Error> {
        let sts = SdkSts::with_credentials(&self.region, signer).await?;
        let quiet = self.quiet;
        Ok(SdkIam::new(
            &sts,
            Box::new(move |m: &str| ui::notice(quiet, m)),
        ))
    }

    /// Waits until the new key works, then keeps it where the old one was and reads it back.
    async fn prove_and_keep(&self, new: &NewKey) -> Result<(), Error> {
        let quiet = self.quiet;
        let waiting = move |m: &str| ui::notice(quiet, m);
        setup::wait_for_key(&waiting, &self.region, &new.credentials, self.quiet).await?;
        let key = &new.credentials;
        match &self.place {
            Place::Store => keys::store_and_verify(
                run::key_store(),
                &self.name,
                &StoredKey {
                    access_key_id: key.access_key_id.clone(),
                    secret: key.secret_access_key.clone(),
                    created: new.created,
                },
            ),
            Place::File(path) => keys::keep_in_file(path, &self.name, key),
        }
    }

    /// A failure before the new key was kept: the new key is deleted again (as the old key).
    async fn roll_back(&self, old_iam: &SdkIam, user: &str, new: &NewKey, e: Error) -> Error {
        let id = &new.credentials.access_key_id;
        let hint = e.hint().map(str::to_owned);
        match old_iam.delete_access_key(user, id).await {
            Ok(()) => Error::Transport {
                message: format!(
                    "the rotation stopped before the new key was kept, so the new key {id} was deleted again and nothing changed: {e}"
                ),
                hint,
            },
            Err(e2) => Error::Transport {
                message: format!(
                    "the rotation stopped before the new key was kept ({e}), and the new key {id} could not be deleted again: {e2}"
                ),
                hint: Some(format!(
                    "delete it: aws iam delete-access-key --user-name {user} --access-key-id {id}"
                )),
            },
        }
    }

    /// Signed with the new key: the old one deactivated, then deleted.
    async fn retire_old(
        &self,
        user: &str,
        new: &NewKey,
        codes: &MfaChooser<'_>,
    ) -> Result<(), Error> {
        let old = &self.old.access_key_id;
        let unfinished = |what: &str, e: Error| {
            let finish = match (&self.place, self.mfa.is_some()) {
                (Place::Store, false) => format!("tempcreds exec {} --no-session -- ", self.name),
                (Place::Store, true) => format!("tempcreds exec {} -- ", self.name),
                (Place::File(_), _) => String::new(),
            };
            let profile = if finish.is_empty() {
                format!(" --profile {}", self.name)
            } else {
                String::new()
            };
            Error::Transport {
                message: format!(
                    "the new key {} is kept and works, but the old key {old} could not be {what}: {e}",
                    new.credentials.access_key_id
                ),
                hint: Some(format!(
                    "finish with: {finish}aws{profile} iam delete-access-key --user-name {user} --access-key-id {old}"
                )),
            }
        };
        let signer = self
            .new_signer(&new.credentials, codes)
            .await
            .map_err(|e| unfinished("deactivated", e))?;
        let iam = self
            .iam(&signer)
            .await
            .map_err(|e| unfinished("deactivated", e))?;
        iam.deactivate_access_key(user, old)
            .await
            .map_err(|e| unfinished("deactivated", e))?;
        iam.delete_access_key(user, old)
            .await
            .map_err(|e| unfinished("deleted", e))
    }
}
