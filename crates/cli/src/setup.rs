//! `setup NAME` and `teardown NAME`: check the inputs, read what IAM holds, plan the changes
//! (tempcreds_core::provision), show them with --dry-run or apply them in order, wait out
//! IAM's eventual consistency, and keep the new key's secret out of stdout (it goes into
//! the credentials file). The summary on stdout is JSON.

use std::path::Path;

use serde_json::json;
use tempcreds_core::awsfile::{self, FileKind, paths};
use tempcreds_core::engine::{
    Chain, Files, GivenKeys, Last, NoCache, OverChainingCap, RoleExtras, RoleStep, Source, Step,
};
use tempcreds_core::plan;
use tempcreds_core::provision::iam::{Made, SdkIam};
use tempcreds_core::provision::{
    self, Change, Desired, PROFILE_TAG, Refusal, Removal, State, retry, totp,
};
use tempcreds_core::rules::{self, Invalid};
use tempcreds_core::sts::{SdkSts, Sts};
use tempcreds_core::{Credentials, Env, Error};

use crate::args::{ProvisionOptions, SetupArgs, TeardownArgs};
use crate::run::{self, Context};
use crate::{assume, common, keys, setup_store, ui};
use tempcreds_core::keys::KeyStore;

/// `--dry-run`: the changes, one a line, on stdout.
fn print_plan(command: &str, name: &str, items: &[impl std::fmt::Display]) -> Result<(), Error> {
    let n = items.len();
    let mut out = format!(
        "{command} {name} would make {n} change{}:\n",
        if n == 1 { "" } else { "s" }
    );
    for item in items {
        out.push_str(&format!("  - {item}\n"));
    }
    common::print(&out)
}

fn refusal(r: Refusal) -> Error {
    let hint = match &r {
        Refusal::NotManaged { .. } => {
            "choose another NAME, or pass --force to take it over (it will be tagged, and teardown will delete it)"
        }
        Refusal::TwoKeys { .. } => {
            "delete one (aws iam delete-access-key --user-name NAME --access-key-id ID), or run teardown and setup again"
        }
    };
    Error::refused(r.to_string(), Some(hint.to_owned()))
}

/// The administrator's STS and IAM clients, and IAM's state for `name`.
async fn connect(
    name: &str,
    opts: &ProvisionOptions,
    env: &Env,
    quiet: bool,
) -> Result<(SdkSts, SdkIam, State), Error> {
    // The administrator's credentials come through the one engine (so an administrator's
    // role profile with MFA works); IAM is called with them.
    if let Some(p) = &opts.source_profile {
        rules::profile_name("--source-profile", p)?;
    }
    let files = Files::read(env)?;
    let chain = plan::source_chain(opts.source_profile.as_deref(), env, &files)?;
    let region = run::region(None, env, &chain)?;
    let ctx = Context {
        env,
        files: &files,
        mfa_code: None,
        quiet,
    };
    let admin = run::run(&chain, &region.name, Last::MayBeCached, &ctx).await?;
    let sts = SdkSts::with_credentials(&region.name, &admin.credentials).await?;
    let iam = SdkIam::new(&sts, Box::new(move |m: &str| ui::notice(quiet, m)));
    let state = ui::with_spinner(quiet, "reading IAM…", iam.read(&sts, name)).await?;
    Ok((sts, iam, state))
}

/// The access key id the credentials-file profile holds, if any.
fn profile_key(cred_file: &Path, profile: &str) -> Result<Option<String>, Error> {
    let text = awsfile::read_to_string_if_exists(cred_file)?.unwrap_or_default();
    Ok(awsfile::ProfileSet::from_texts("", &text)
        .profile(profile)
        .and_then(|p| p.get("aws_access_key_id").map(str::to_owned)))
}

fn desired(args: &SetupArgs) -> Result<Desired, Error> {
    rules::iam_name("NAME", &args.name)?;
    let access_policy = match &args.policy_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Invalid::new(
                    "--policy-file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            Some(rules::role_access_policy("--policy-file", &text)?)
        }
        None => None,
    };
    rules::policy_arns("--policy-arn", &args.policy_arn)?;
    if access_policy.is_none() && args.policy_arn.is_empty() {
        return Err(Invalid::new(
            "--policy-file",
            "or --policy-arn is needed: the role would have no permissions",
        )
        .into());
    }
    let max = rules::bounded_duration(
        "--max-session-duration",
        &args.max_session_duration,
        rules::ROLE_MAX_SESSION_MIN_SECONDS,
        rules::ROLE_MAX_SESSION_MAX_SECONDS,
    )?;
    let profile = args
        .write_profile
        .clone()
        .unwrap_or_else(|| args.name.clone());
    rules::profile_name("--write-profile", &profile)?;
    for (flag, code) in [
        ("--mfa-code1", &args.mfa_code1),
        ("--mfa-code2", &args.mfa_code2),
    ] {
        if let Some(c) = code {
            rules::mfa_code(flag, c)?;
        }
    }
    Ok(Desired {
        name: args.name.clone(),
        access_policy,
        policy_arns: args.policy_arn.clone(),
        max_session_seconds: max,
        require_mfa: args.require_mfa,
        profile,
        force: args.common.force,
    })
}

pub(crate) async fn setup(args: &SetupArgs, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let want = desired(args)?;
    let cred_file = paths::credentials_file(&env);
    let (sts, iam, mut state) = connect(&want.name, &args.common, &env, quiet).await?;
    state.profile_key = if args.show_secret {
        None
    } else if args.key_store {
        setup_store::stored_key(&want.profile)?
    } else {
        profile_key(&cred_file, &want.profile)?
    };
    let changes = provision::plan(&want, &state).map_err(refusal)?;
    let writes_key = changes.contains(&Change::CreateAccessKey) && !args.show_secret;
    if writes_key {
        // Checked before any change: a profile holding other long-term keys is not lost,
        // and a stored key never sits beside keys in the credentials file.
        let current = awsfile::read_to_string_if_exists(&cred_file)?.unwrap_or_default();
        if args.key_store {
            setup_store::refuse_keys_in_file(&current, &want.profile, &cred_file)?;
        } else {
            assume::refuse_long_term(&current, &want.profile, args.common.force, &cred_file)?;
        }
    }
    let user_arn = provision::user_arn(&state, &want.name);
    let role_arn = provision::role_arn(&state, &want.name);
    if args.common.dry_run {
        return print_plan("setup", &want.name, &changes);
    }
    if changes.is_empty() {
        ui::notice(
            quiet,
            &format!(
                "nothing to change: user {0}, role {0} and profile {1} are as asked",
                want.name, want.profile
            ),
        );
    }
    let mut serial = state.mfa_devices.first().cloned();
    let mut new_key = None;
    for change in &changes {
        match ui::with_spinner(
            quiet,
            &format!("IAM: {change}…"),
            iam.apply(&want.name, &want.profile, change),
        )
        .await?
        {
            Made::Nothing => {}
            Made::Key(k) => new_key = Some(k),
            Made::Device { serial: s, seed } => {
                enable_device(args, &iam, &state, &s, &seed).await?;
                serial = Some(s);
            }
        }
        ui::notice(quiet, &format!("done: {change}"));
    }
    let mut summary =
        json!({"UserArn": user_arn, "RoleArn": role_arn, "MfaSerial": serial, "Profile": null});
    if let Some(key) = &new_key {
        wait_until_usable(&iam, &sts, key, &role_arn, want.require_mfa, quiet).await?;
        if args.show_secret {
            summary["AccessKeyId"] = json!(key.access_key_id);
            summary["SecretAccessKey"] = json!(key.secret());
        } else if args.key_store {
            setup_store::store_key(&env, &want.profile, key, quiet)?;
        } else {
            write_key(&cred_file, &want.profile, key, args.common.force, quiet)?;
        }
    }
    if !args.show_secret {
        summary["Profile"] = json!(want.profile);
    }
    let mfa = serial
        .as_deref()
        .map(|s| format!(" --mfa-serial {s}"))
        .unwrap_or_default();
    ui::notice(
        quiet,
        &format!(
            "next: tempcreds assume -r {role_arn} --source-profile {}{mfa}",
            want.profile
        ),
    );
    common::print(&format!(
        "{}\n",
        serde_json::to_string_pretty(&summary).unwrap_or_default()
    ))
}

/// Shows the new device's QR code, takes two consecutive codes, checks them against the
/// seed locally, and enables the device. The seed is written only to --totp-secret-out.
async fn enable_device(
    args: &SetupArgs,
    iam: &SdkIam,
    state: &State,
    serial: &str,
    seed: &totp::Seed,
) -> Result<(), Error> {
    let uri = seed.uri(&format!("{}@{}", args.name, state.account));
    if let Some(path) = &args.totp_secret_out {
        awsfile::replace_file(path, format!("{}\n", seed.expose()).as_bytes())?;
    }
    if let Some(path) = &args.qr_png {
        totp::write_png(&uri, path)?;
    }
    let (code1, code2) = match (&args.mfa_code1, &args.mfa_code2) {
        (Some(a), Some(b)) => (a.clone(), b.clone()),
        _ => {
            ui::show_on_terminal(&format!(
                "Scan this QR code with an authenticator app (virtual MFA device {serial}):\n{}",
                totp::terminal_qr(&uri)?
            ))?;
            let first = ui::prompt_mfa_code(&format!("{serial} (first code)"))?;
            let second =
                ui::prompt_mfa_code(&format!("{serial} (the next code, once it changes)"))?;
            (first, second)
        }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    if !seed.consecutive(&code1, &code2, now) {
        return Err(Invalid::new("--mfa-code1/--mfa-code2", "must be two consecutive codes of the new device (checked locally against its seed): run setup again and scan the new QR code").into());
    }
    iam.enable_mfa(&args.name, serial, &code1, &code2).await
}

fn not_yet(e: &Error, codes: &[&str]) -> bool {
    matches!(e, Error::Aws { code, .. } if codes.contains(&code.as_str()))
}

/// A new key's first use (GetCallerIdentity signed with it), retried with a spinner until
/// IAM has caught up, for at most `TEMPCREDS_IAM_WAIT` seconds (setup, and keys rotate).
pub(crate) async fn wait_for_key(
    waiting: &(dyn Fn(&str) + Send + Sync),
    region: &str,
    key: &Credentials,
    quiet: bool,
) -> Result<(), Error> {
    let user = SdkSts::with_credentials(region, key).await?;
    ui::with_spinner(
        quiet,
        "waiting for the new access key…",
        retry::until_consistent("the new access key", waiting, || async {
            match user.caller_arn().await {
                Ok(_) => Ok(true),
                Err(e) if not_yet(&e, &["InvalidClientTokenId", "AccessDenied"]) => Ok(false),
                Err(e) => Err(e),
            }
        }),
    )
    .await
}

/// The first use of a new key (and, without MFA, of the role) retried until IAM has caught up.
async fn wait_until_usable(
    iam: &SdkIam,
    sts: &SdkSts,
    key: &Credentials,
    role_arn: &str,
    require_mfa: bool,
    quiet: bool,
) -> Result<(), Error> {
    let region = sts
        .sdk_config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    wait_for_key(iam.waiting(), &region, key, quiet).await?;
    if require_mfa {
        return Ok(()); // the role needs a code now; the user's policy is checked on first use
    }
    // The role's first use, as every later one: through the engine, from the new key.
    let chain = Chain {
        profiles: Vec::new(),
        source: Source::Given(GivenKeys(key.clone())),
        steps: vec![Step::AssumeRole(RoleStep {
            profile: None,
            role_arn: rules::role_arn("RoleArn", role_arn)?,
            session_name: Some("tempcreds-setup-check".into()),
            external_id: None,
            mfa: None,
            duration_seconds: Some(900),
            over_cap: OverChainingCap::Refuse,
            extras: RoleExtras::default(),
        })],
        region: None,
    };
    let files = Files::default();
    let env = Env::default();
    let ctx = Context {
        env: &env,
        files: &files,
        mfa_code: None,
        quiet: true,
    };
    ui::with_spinner(
        quiet,
        "waiting for the role to trust the user…",
        retry::until_consistent(
            "the user to be allowed to assume the role",
            iam.waiting(),
            || async {
                match run::run_with(&chain, &region, Last::Fresh, &ctx, &NoCache).await {
                    Ok(_) => Ok(true),
                    Err(e) if not_yet(&e, &["AccessDenied", "InvalidClientTokenId"]) => Ok(false),
                    Err(e) => Err(e),
                }
            },
        ),
    )
    .await
}

fn write_key(
    cred_file: &Path,
    profile: &str,
    key: &Credentials,
    force: bool,
    quiet: bool,
) -> Result<(), Error> {
    let pairs = [
        ("aws_access_key_id", key.access_key_id.as_str()),
        ("aws_secret_access_key", key.secret()),
    ];
    let written = awsfile::update_file(cred_file, |current| {
        assume::refuse_long_term(current, profile, force, cred_file)?;
        // Temporary credentials that were in this profile must not sit beside the new keys.
        let had_token = awsfile::ProfileSet::from_texts("", current)
            .profile(profile)
            .is_some_and(|p| p.get("aws_session_token").is_some());
        let base = had_token
            .then(|| awsfile::remove_profile(current, FileKind::Credentials, profile))
            .flatten();
        Ok(Some(
            awsfile::set_profile(
                base.as_deref().unwrap_or(current),
                FileKind::Credentials,
                profile,
                &pairs,
            )
            .text,
        ))
    })?;
    ui::notice(
        quiet,
        &format!(
            "wrote the new access key {} to profile \"{profile}\" in {}",
            key.access_key_id,
            written.display()
        ),
    );
    Ok(())
}

pub(crate) async fn teardown(args: &TeardownArgs, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    rules::iam_name("NAME", &args.name)?;
    let cred_file = paths::credentials_file(&env);
    let (_sts, iam, mut state) = connect(&args.name, &args.common, &env, quiet).await?;
    let profile = state
        .user
        .as_ref()
        .and_then(|u| u.tags.get(PROFILE_TAG).cloned());
    if let Some(p) = &profile {
        state.profile_key = profile_key(&cred_file, p)?;
        state.stored_key = setup_store::stored_key_if_any(&env, p)?;
    }
    let steps = provision::teardown(&args.name, &state, args.common.force).map_err(refusal)?;
    if args.common.dry_run {
        return print_plan("teardown", &args.name, &steps);
    }
    if steps.is_empty() {
        ui::notice(
            quiet,
            &format!("nothing to remove: no user or role {} exists", args.name),
        );
    }
    for step in &steps {
        match step {
            Removal::Profile(p) => {
                awsfile::update_file(&cred_file, |current| {
                    Ok(awsfile::remove_profile(current, FileKind::Credentials, p))
                })?;
            }
            Removal::StoredKey(p) => {
                run::key_store().remove(p)?;
                keys::remove_process_line(&env, p)?;
                keys::forget_sessions(&env, p)?;
            }
            other => {
                ui::with_spinner(
                    quiet,
                    &format!("IAM: {other}…"),
                    iam.remove(&args.name, other),
                )
                .await?
            }
        }
        ui::notice(quiet, &format!("done: {step}"));
    }
    Ok(())
}
