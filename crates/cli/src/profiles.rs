//! The profile commands (`session`, `env`, `exec`, `credential-process`): resolve a profile
//! from the shared files into a plan, run it through the cache, and hand the credentials
//! over. `credential-process` on a cache hit reads files and prints: no runtime, no SDK.

use std::os::unix::process::CommandExt;
use std::process::Command;

use tempcreds_core::cache::Cache;
use tempcreds_core::engine::{Chain, Files, Issued, Last, Source, Step, last_key};
use tempcreds_core::output::{self, Shell};
use tempcreds_core::profile::{self, Profiles};
use tempcreds_core::region::ResolvedRegion;
use tempcreds_core::rules::{self, Invalid};
use tempcreds_core::{Env, Error};
use time::OffsetDateTime;

use crate::args::{EnvArgs, ExecArgs, PositionalProfile, ProfileOptions, SessionArgs};
use crate::run::{self, Context};
use crate::{common, ui};

/// The variable `exec` sets in the child, naming the profile, so that a nested `exec` is
/// refused. `env` never prints it: a shell that evaluated `env`'s output is not inside exec.
pub(crate) const EXEC_MARKER: &str = "TEMPCREDS_EXEC_PROFILE";

/// Everything a profile command needs before any call.
pub(crate) struct Prepared {
    pub(crate) env: Env,
    pub(crate) name: String,
    pub(crate) files: Files,
    pub(crate) chain: Chain,
    /// `--mfa-code`, checked.
    pub(crate) mfa_code: Option<String>,
}

impl Prepared {
    pub(crate) fn ctx(&self, quiet: bool) -> Context<'_> {
        Context {
            env: &self.env,
            files: &self.files,
            mfa_code: self.mfa_code.clone(),
            quiet,
        }
    }

    pub(crate) fn region(&self, opts: &ProfileOptions) -> Result<ResolvedRegion, Invalid> {
        run::region(opts.region.as_deref(), &self.env, &self.chain)
    }
}

/// What a profile whose key is stored hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handout {
    /// A session made from the key (GetSessionToken): the default.
    Session,
    /// The key itself (`--no-session`).
    StoredKey,
}

pub(crate) fn prepare(named: Option<&str>, opts: &ProfileOptions) -> Result<Prepared, Error> {
    prepare_as(named, opts, Handout::Session)
}

/// `--no-session`: the stored key itself, for a profile whose key is stored (only).
fn stored_key_itself(mut chain: Chain, name: &str) -> Result<Chain, Error> {
    let has_role = chain.steps.iter().any(|s| matches!(s, Step::AssumeRole(_)));
    if !matches!(chain.source, Source::Stored { .. }) || has_role {
        return Err(Invalid::new(
            "--no-session",
            format!("only applies to a profile whose long-term key is in the key store (profile {name} is not one)"),
        )
        .into());
    }
    chain.steps.clear();
    Ok(chain)
}

pub(crate) fn prepare_as(
    named: Option<&str>,
    opts: &ProfileOptions,
    handout: Handout,
) -> Result<Prepared, Error> {
    let env = Env::from_process();
    let name = profile::profile_name(named, &env);
    rules::profile_name("--profile", &name)?;
    let mfa_code = run::mfa_code(opts.mfa_code.as_deref())?;
    let files = Files::read(&env)?;
    let profiles = Profiles::from_texts(&files.config, &files.credentials);
    let chain = profile::resolve(&profiles, &name, None)?;
    let chain = match handout {
        Handout::Session => profile::hand_out(&profiles, chain)?,
        Handout::StoredKey => stored_key_itself(chain, &name)?,
    };
    tracing::info!(chain = %chain.to_string().trim_end().replace('\n', "; "), "profile chain");
    Ok(Prepared {
        env,
        name,
        files,
        chain,
        mfa_code,
    })
}

pub(crate) async fn credentials(
    p: &Prepared,
    opts: &ProfileOptions,
    quiet: bool,
) -> Result<Issued, Error> {
    issue(p, opts, Last::MayBeCached, quiet).await
}

/// As `credentials`, choosing whether the last step may come from the cache.
pub(crate) async fn issue(
    p: &Prepared,
    opts: &ProfileOptions,
    last: Last,
    quiet: bool,
) -> Result<Issued, Error> {
    let region = p.region(opts)?;
    run::run(&p.chain, &region.name, last, &p.ctx(quiet)).await
}

/// `tempcreds credential-process PROFILE`, exactly, answered from the cache before the
/// argument parser runs: clap builds every subcommand's arguments, which is a fifth of a hit
/// (every AWS SDK call through `credential_process` is one). Anything else — another form,
/// a miss, an error, a damaged entry — returns None, and the full path runs and reports.
pub(crate) fn cached_credential_process(args: &[std::ffi::OsString]) -> Option<Result<(), Error>> {
    let [_, command, name] = args else {
        return None;
    };
    let name = name.to_str().filter(|n| !n.starts_with('-'))?;
    if command != "credential-process" {
        return None;
    }
    let p = prepare(Some(name), &ProfileOptions::default()).ok()?;
    let key = last_key(&p.chain, &p.files)?;
    let cache = Cache::from_env(&p.env).ok()?;
    let hit = cache.peek(&key, OffsetDateTime::now_utc())?;
    Some(common::print(&output::credential_process(&hit.credentials)))
}

/// `credential-process`: the cache first, synchronously; the runtime only on a miss.
pub(crate) fn credential_process(args: &PositionalProfile, quiet: bool) -> Result<(), Error> {
    let p = prepare(args.profile.as_deref(), &args.opts)?;
    let ctx = p.ctx(quiet);
    if last_key(&p.chain, &p.files).is_some() {
        let cache = Cache::from_env(&p.env)?;
        if let Some(hit) = run::with_cache(&ctx, &cache, |e| e.cached(&p.chain)) {
            return common::print(&output::credential_process(&hit.credentials));
        }
    }
    let c = crate::runtime().block_on(credentials(&p, &args.opts, quiet))?;
    common::print(&output::credential_process(&c.credentials))
}

pub(crate) async fn session(s: &SessionArgs, quiet: bool) -> Result<(), Error> {
    let args = &s.profile;
    let duration = s
        .duration
        .as_deref()
        .map(|d| {
            rules::bounded_duration(
                "--duration",
                d,
                rules::SESSION_TOKEN_MIN_SECONDS,
                rules::SESSION_TOKEN_MAX_SECONDS,
            )
        })
        .transpose()?;
    let mut p = prepare(args.profile.as_deref(), &args.opts)?;
    let Some(i) = p
        .chain
        .steps
        .iter()
        .position(|s| matches!(s, Step::SessionToken(_)))
    else {
        return Err(Error::refused(
            format!(
                "profile {} uses no MFA session: it has no mfa_serial, or its role is assumed directly with MFA (duration over 1h)",
                p.name
            ),
            Some(
                "add mfa_serial to the profile, or use `tempcreds env`/`exec` directly".to_owned(),
            ),
        ));
    };
    p.chain.steps.truncate(i + 1);
    if let Some(d) = duration {
        if let Some(Step::SessionToken(s)) = p.chain.steps.last_mut() {
            s.duration_seconds = Some(d);
        }
        let cache = Cache::from_env(&p.env)?;
        run::with_cache(&p.ctx(quiet), &cache, |e| e.forget_last(&p.chain))?;
    }
    let c = credentials(&p, &args.opts, quiet).await?.credentials;
    let left = c
        .expiration
        .map(|e| e - OffsetDateTime::now_utc())
        .unwrap_or_default();
    ui::notice(
        false,
        &format!(
            "{} of profile {} valid until {} ({}h {:02}m left), shared by the roles that use it",
            if p.chain.uses_mfa() {
                "MFA session"
            } else {
                "session"
            },
            p.chain
                .profiles
                .last()
                .map_or(p.name.as_str(), String::as_str),
            c.expiration_rfc3339().unwrap_or_default(),
            left.whole_hours(),
            left.whole_minutes() % 60
        ),
    );
    Ok(())
}

/// `env PROFILE` prints exactly what `assume --profile PROFILE -o env` prints.
pub(crate) async fn env(args: &EnvArgs, quiet: bool) -> Result<(), Error> {
    let p = prepare_as(
        args.profile.as_deref(),
        &args.opts,
        handout(args.no_session),
    )?;
    let region = p.region(&args.opts)?;
    let c = credentials(&p, &args.opts, quiet).await?.credentials;
    warn_if_key(&p, quiet);
    let vars = output::env_vars(&c, region.known(), args.legacy_ec2);
    common::print(&output::env(
        &vars,
        args.shell.map_or(Shell::Sh, Shell::from),
    ))
}

fn handout(no_session: bool) -> Handout {
    if no_session {
        Handout::StoredKey
    } else {
        Handout::Session
    }
}

/// Said whenever a stored key leaves tempcreds itself (only ever with `--no-session`).
fn warn_if_key(p: &Prepared, quiet: bool) {
    if matches!(p.chain.source, Source::Stored { .. }) && p.chain.steps.is_empty() {
        ui::warn(
            quiet,
            &format!(
                "handing out the long-term key of profile {} itself (--no-session): it does not expire",
                p.name
            ),
        );
    }
}

/// A nested `exec` would hand the inner command a second profile's credentials while the
/// user believes the outer one is in force: refused unless `--force`.
pub(crate) fn refuse_nested(args: &ExecArgs) -> Result<(), Error> {
    match std::env::var_os(EXEC_MARKER).filter(|_| !args.force) {
        Some(outer) => Err(Error::refused(
            format!(
                "already inside `tempcreds exec` for profile {}",
                outer.to_string_lossy()
            ),
            Some("exit that shell first, or pass --force to nest".to_owned()),
        )),
        None => Ok(()),
    }
}

/// Variables removed from the child's environment before ours are set, so that no stale
/// credential, profile or region can win over the ones given.
pub(crate) const SCRUBBED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AWS_DELEGATION_TOKEN",
];

/// `exec`: the process becomes the command (exec), so its exit code and every signal —
/// Ctrl-C, SIGTERM — reach it directly, with nothing in between to forward or lose them.
pub(crate) fn exec(args: &ExecArgs, quiet: bool) -> Result<(), Error> {
    refuse_nested(args)?;
    let p = prepare_as(Some(&args.profile), &args.opts, handout(args.no_session))?;
    let region = p.region(&args.opts)?;
    let c = crate::runtime()
        .block_on(credentials(&p, &args.opts, quiet))?
        .credentials;
    warn_if_key(&p, quiet);
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..]);
    for v in SCRUBBED {
        cmd.env_remove(v);
    }
    for (k, v) in output::env_vars(&c, region.known(), false) {
        cmd.env(k, v);
    }
    cmd.env(EXEC_MARKER, &p.name);
    let err = cmd.exec();
    Err(Error::Transport {
        message: format!("could not run {}: {err}", args.command[0]),
        hint: Some("check the command name and PATH".to_owned()),
    })
}
