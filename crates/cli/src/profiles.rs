//! The profile commands (`session`, `env`, `exec`, `credential-process`): resolve a profile
//! from the shared files into a plan, run it through the cache, and hand the credentials
//! over. `credential-process` on a cache hit reads files and prints: no runtime, no SDK.

use std::os::unix::process::CommandExt;
use std::process::Command;

use tempcreds_core::cache::Cache;
use tempcreds_core::output::{self, Shell};
use tempcreds_core::plan;
use tempcreds_core::profile::{self, Plan, Profiles, Step};
use tempcreds_core::rules::{self, Invalid, Partition};
use tempcreds_core::source::{self, Files, MfaCodes};
use tempcreds_core::{Credentials, Env, Error};
use time::OffsetDateTime;

use crate::args::{EnvArgs, ExecArgs, PositionalProfile, ProfileOptions, SessionArgs};
use crate::{common, ui};

/// Everything a profile command needs before any call.
pub(crate) struct Prepared {
    pub(crate) env: Env,
    pub(crate) name: String,
    pub(crate) files: Files,
    pub(crate) plan: Plan,
    pub(crate) cache: Cache,
}

pub(crate) fn prepare(named: Option<&str>) -> Result<Prepared, Error> {
    let env = Env::from_process();
    let name = profile::profile_name(named, &env);
    rules::profile_name("--profile", &name)?;
    let files = Files::read(&env)?;
    let profiles = Profiles::from_texts(&files.config, &files.credentials);
    let plan = profile::resolve(&profiles, &name, None)?;
    tracing::info!(plan = %plan.to_string().trim_end().replace('\n', "; "), "profile plan");
    let cache = Cache::from_env(&env)?;
    Ok(Prepared {
        env,
        name,
        files,
        plan,
        cache,
    })
}

/// `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION` (as everywhere), the profile chain's
/// `region`, else the first region of the role's partition.
pub(crate) fn region(p: &Prepared, opts: &ProfileOptions) -> Result<(String, bool), Invalid> {
    if let Some((r, _)) = plan::explicit_region(opts.region.as_deref(), &p.env)? {
        return Ok((r, true));
    }
    if let Some(r) = &p.plan.region {
        rules::region("region (profile config)", r)?;
        return Ok((r.clone(), true));
    }
    Ok((partition(&p.plan).default_region().to_owned(), false))
}

/// The partition of the plan's roles (they cannot cross partitions), else `aws`.
pub(crate) fn partition(plan: &Plan) -> Partition {
    plan.steps
        .iter()
        .find_map(|s| match s {
            Step::AssumeRole { role_arn, .. } => rules::role_arn("role_arn", role_arn)
                .ok()
                .map(|a| a.partition),
            Step::SessionToken { .. } => None,
        })
        .unwrap_or(Partition::Aws)
}

/// MFA codes: `--mfa-code`, then the profile's `mfa_process`, then the terminal.
struct Codes {
    flag: Option<String>,
}

impl MfaCodes for Codes {
    fn code(&self, serial: &str, mfa_process: Option<&str>) -> Result<String, Error> {
        if let Some(c) = &self.flag {
            rules::mfa_code("--mfa-code", c)?;
            return Ok(c.clone());
        }
        if let Some(cmd) = mfa_process {
            let out =
                Command::new("sh")
                    .args(["-c", cmd])
                    .output()
                    .map_err(|e| Error::Transport {
                        message: format!("mfa_process could not start: {e}"),
                        hint: None,
                    })?;
            let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if !out.status.success() {
                return Err(Error::refused(
                    format!("mfa_process failed ({})", out.status),
                    Some(format!("run it by hand: {cmd}")),
                ));
            }
            rules::mfa_code("mfa_process", &code)?;
            return Ok(code);
        }
        ui::prompt_mfa_code(serial)
    }
}

pub(crate) async fn credentials(
    p: &Prepared,
    opts: &ProfileOptions,
    quiet: bool,
) -> Result<Credentials, Error> {
    let (region, _) = region(p, opts)?;
    let codes = Codes {
        flag: opts.mfa_code.clone(),
    };
    let now = OffsetDateTime::now_utc();
    ui::with_spinner(
        quiet,
        "waiting for STS…",
        source::execute(&p.plan, &p.files, &region, Some(&p.cache), &codes, now),
    )
    .await
}

/// `credential-process`: the cache first, synchronously; the runtime only on a miss.
pub(crate) fn credential_process(args: &PositionalProfile, quiet: bool) -> Result<(), Error> {
    let p = prepare(args.profile.as_deref())?;
    if let Some(c) = source::cached(&p.plan, &p.files, &p.cache, OffsetDateTime::now_utc()) {
        return common::print(&output::credential_process(&c));
    }
    let c = crate::runtime().block_on(credentials(&p, &args.opts, quiet))?;
    common::print(&output::credential_process(&c))
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
    let mut p = prepare(args.profile.as_deref())?;
    let Some(i) = p
        .plan
        .steps
        .iter()
        .position(|s| matches!(s, Step::SessionToken { .. }))
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
    p.plan.steps.truncate(i + 1);
    if let Some(d) = duration {
        if let Some(Step::SessionToken {
            duration_seconds, ..
        }) = p.plan.steps.last_mut()
        {
            *duration_seconds = Some(d);
        }
        source::forget_last(&p.plan, &p.files, &p.cache)?;
    }
    let c = credentials(&p, &args.opts, quiet).await?;
    let left = c
        .expiration
        .map(|e| e - OffsetDateTime::now_utc())
        .unwrap_or_default();
    ui::notice(
        false,
        &format!(
            "MFA session of profile {} valid until {} ({}h {:02}m left), shared by the roles that use it",
            p.plan.chain.last().map_or(p.name.as_str(), String::as_str),
            c.expiration_rfc3339().unwrap_or_default(),
            left.whole_hours(),
            left.whole_minutes() % 60
        ),
    );
    Ok(())
}

pub(crate) async fn env(args: &EnvArgs, quiet: bool) -> Result<(), Error> {
    let p = prepare(args.profile.as_deref())?;
    let c = credentials(&p, &args.opts, quiet).await?;
    let (region, known) = region(&p, &args.opts)?;
    let mut vars = output::env_vars(&c, known.then_some(region.as_str()), args.legacy_ec2);
    vars.push(("TEMPCREDS_PROFILE", p.name.clone()));
    common::print(&output::env(
        &vars,
        args.shell.map_or(Shell::Sh, Shell::from),
    ))
}

/// Variables removed from the child's environment before ours are set, so that no stale
/// credential, profile or region can win over the ones given.
const SCRUBBED: &[&str] = &[
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
    "TEMPCREDS_PROFILE",
];

/// `exec`: the process becomes the command (exec), so its exit code and every signal —
/// Ctrl-C, SIGTERM — reach it directly, with nothing in between to forward or lose them.
pub(crate) fn exec(args: &ExecArgs, quiet: bool) -> Result<(), Error> {
    if let Some(outer) = std::env::var_os("TEMPCREDS_PROFILE").filter(|_| !args.force) {
        return Err(Error::refused(
            format!(
                "already inside `tempcreds exec` for profile {}",
                outer.to_string_lossy()
            ),
            Some("exit that shell first, or pass --force to nest".to_owned()),
        ));
    }
    let p = prepare(Some(&args.profile))?;
    let c = crate::runtime().block_on(credentials(&p, &args.opts, quiet))?;
    let (region, known) = region(&p, &args.opts)?;
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..]);
    for v in SCRUBBED {
        cmd.env_remove(v);
    }
    for (k, v) in output::env_vars(&c, known.then_some(region.as_str()), false) {
        cmd.env(k, v);
    }
    cmd.env("TEMPCREDS_PROFILE", &p.name);
    let err = cmd.exec();
    Err(Error::Transport {
        message: format!("could not run {}: {err}", args.command[0]),
        hint: Some("check the command name and PATH".to_owned()),
    })
}
