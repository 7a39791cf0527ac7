//! `tempcreds assume`: check every input, resolve the source credentials, ask for an MFA
//! code if needed, call AssumeRole (or run a profile's plan with `--profile`), and put the
//! credentials where the user asked.

use std::path::{Path, PathBuf};

use tempcreds_core::awsfile::{self, EXPIRATION_KEY, FileKind, paths};
use tempcreds_core::console;
use tempcreds_core::engine::{Files, Issued, Last};
use tempcreds_core::output::{self, Format, Shell};
use tempcreds_core::plan::{self, FlagsPlan};
use tempcreds_core::rules::{self, Invalid, Partition};
use tempcreds_core::{Credentials, Env, Error};
use tracing::info;

use crate::args::{AssumeArgs, OutputArg, ProfileOptions};
use crate::run::{self, Context};
use crate::{common, profiles, ui};

pub(crate) async fn run(args: &AssumeArgs, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    check_output_flags(args)?;
    match &args.profile {
        Some(name) => from_profile(args, name, &env, quiet).await,
        None => from_flags(args, &env, quiet).await,
    }
}

fn wants_link(args: &AssumeArgs) -> bool {
    args.output == OutputArg::Link || args.console_link
}

/// `-r ARN` and flags: the source's chain (cached as every profile's), then the role, which
/// is never cached.
async fn from_flags(args: &AssumeArgs, env: &Env, quiet: bool) -> Result<(), Error> {
    let files = Files::read(env)?;
    let plan = resolve(args, env, &files)?;
    let mfa_code = run::mfa_code(args.role.mfa_code.as_deref())?;
    // Every link input is checked before anything is sent.
    let link = wants_link(args)
        .then(|| {
            console::prepare(
                plan.role().role_arn.partition,
                &plan.region.name,
                &common::link_options(&args.link, env),
            )
        })
        .transpose()?;
    let out = Delivery::new(args, env, plan.session_name().to_owned())?;
    let ctx = Context {
        env,
        files: &files,
        mfa_code,
        quiet,
    };
    let issued = run::run(&plan.chain, &plan.region.name, Last::Fresh, &ctx).await?;
    info!(expiration = ?issued.credentials.expiration_rfc3339(), "role assumed");
    let link = mint(link, &issued.credentials, plan.role().duration_seconds).await?;
    out.deliver(&issued, link, plan.region.known(), quiet)
}

/// `--profile NAME`: the profile's chain, through the cache and its shared MFA session,
/// exactly as `env` and `exec` run it (a link is minted from freshly issued credentials).
async fn from_profile(args: &AssumeArgs, name: &str, env: &Env, quiet: bool) -> Result<(), Error> {
    let opts = ProfileOptions {
        mfa_code: args.role.mfa_code.clone(),
        region: args.role.region.clone(),
    };
    let p = profiles::prepare(Some(name), &opts)?;
    let region = p.region(&opts)?;
    let link = wants_link(args)
        .then(|| {
            console::prepare(
                p.chain.partition().unwrap_or(Partition::Aws),
                &region.name,
                &common::link_options(&args.link, env),
            )
        })
        .transpose()?;
    let out = Delivery::new(args, env, p.name.clone())?;
    let last = if link.is_some() {
        Last::Fresh
    } else {
        Last::MayBeCached
    };
    let issued = profiles::issue(&p, &opts, last, quiet).await?;
    // The console session of the profile's own role lasts its duration_seconds.
    let link = mint(link, &issued.credentials, p.chain.last_role_duration()).await?;
    out.deliver(&issued, link, region.known(), quiet)
}

/// A link is always minted from the credentials just obtained, never from older ones.
async fn mint(
    link: Option<console::PreparedLink>,
    creds: &Credentials,
    duration: Option<u32>,
) -> Result<Option<String>, Error> {
    match link {
        Some(l) => Ok(Some(
            l.mint(creds, console::session_duration(creds.origin, duration)?)
                .await?,
        )),
        None => Ok(None),
    }
}

/// Where the credentials go, decided (and a refusal to overwrite checked) before any call.
struct Delivery<'a> {
    args: &'a AssumeArgs,
    cred_file: PathBuf,
    write_profile: String,
}

impl<'a> Delivery<'a> {
    /// `default_profile` names the section for write and ini without --write-profile.
    fn new(args: &'a AssumeArgs, env: &Env, default_profile: String) -> Result<Self, Error> {
        let cred_file = paths::credentials_file(env);
        let write_profile = args.write_profile.clone().unwrap_or(default_profile);
        if args.output == OutputArg::Write {
            // Checked before the call so that a refusal costs no MFA code and no STS call;
            // checked again under the lock when writing.
            let current = awsfile::read_to_string_if_exists(&cred_file)?.unwrap_or_default();
            refuse_long_term(&current, &write_profile, args.force, &cred_file)?;
            refuse_stored(env, &write_profile)?;
        }
        Ok(Self {
            args,
            cred_file,
            write_profile,
        })
    }

    fn deliver(
        &self,
        issued: &Issued,
        link: Option<String>,
        region: Option<&str>,
        quiet: bool,
    ) -> Result<(), Error> {
        let args = self.args;
        let creds = &issued.credentials;
        let text = match Format::from(args.output) {
            Format::Json => {
                output::json(creds, issued.assumed_role_arn.as_deref(), link.as_deref())
            }
            Format::CredentialProcess => output::credential_process(creds),
            Format::Env => {
                let shell = args.shell.map_or(Shell::Sh, Shell::from);
                output::env(&output::env_vars(creds, region, args.legacy_ec2), shell)
            }
            Format::Ini => output::ini(creds, &self.write_profile),
            Format::Write => {
                return write_profile_to(
                    &self.cred_file,
                    &self.write_profile,
                    creds,
                    args.force,
                    quiet,
                );
            }
            Format::Link => format!("{}\n", link.unwrap_or_default()),
        };
        common::print(&text)
    }
}

/// Flags that only make sense with some outputs, and what is not built yet.
fn check_output_flags(args: &AssumeArgs) -> Result<(), Error> {
    let only = |set: bool, flag: &str, outputs: &[OutputArg], names: &str| {
        if set && !outputs.contains(&args.output) {
            Err(Error::from(Invalid::new(
                flag,
                format!("only applies to --output {names}"),
            )))
        } else {
            Ok(())
        }
    };
    only(args.shell.is_some(), "--shell", &[OutputArg::Env], "env")?;
    only(args.legacy_ec2, "--legacy-ec2", &[OutputArg::Env], "env")?;
    only(args.force, "--force", &[OutputArg::Write], "write")?;
    only(
        args.console_link,
        "--console-link",
        &[OutputArg::Json],
        "json (--output link prints the link alone)",
    )?;
    if args.link.any() && !(args.output == OutputArg::Link || args.console_link) {
        return Err(Invalid::new(
            "--issuer/--service/--destination/--logout-first",
            "only apply to --output link or --console-link",
        )
        .into());
    }
    only(
        args.write_profile.is_some(),
        "--write-profile",
        &[OutputArg::Write, OutputArg::Ini],
        "write or ini",
    )?;
    if let Some(p) = &args.write_profile {
        rules::profile_name("--write-profile", p)?;
    }
    if args.output == OutputArg::Write && args.write_profile.is_none() {
        if args.profile.is_some() {
            // A [lab] section of keys beside [profile lab]'s role_arn would change what
            // the profile means to every AWS client.
            return Err(Invalid::new(
                "--write-profile",
                "is needed with --output write and --profile (writing keys under the profile's own name would shadow its role)",
            )
            .into());
        }
        if args.role.session_name.is_none() {
            return Err(Invalid::new(
                "--write-profile",
                "is needed with --output write when no --session-name is given (the profile is named after the session)",
            )
            .into());
        }
    }
    Ok(())
}

/// Reads the policy file and resolves the flags into a chain.
fn resolve(args: &AssumeArgs, env: &Env, files: &Files) -> Result<FlagsPlan, Error> {
    let role_arn = args.role_arn.as_deref().unwrap_or_default();
    let req = common::request(role_arn, &args.role)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let plan = plan::assume(&req, env, files, now)?;
    info!(region = %plan.region.name, region_source = ?plan.region.source, chain = %plan.chain.to_string().trim_end().replace('\n', "; "), "plan");
    Ok(plan)
}

/// Refuses to overwrite a profile with an access key and no session token, whatever its
/// header looks like: those are long-term keys, which cannot be recovered once overwritten.
pub(crate) fn refuse_long_term(
    text: &str,
    profile: &str,
    force: bool,
    path: &Path,
) -> Result<(), Error> {
    if force {
        return Ok(());
    }
    if awsfile::holds_long_term_keys(text, FileKind::Credentials, profile) {
        return Err(Error::refused(
            format!(
                "profile \"{profile}\" in {} holds long-term keys (an access key without a session token); not overwriting it",
                path.display()
            ),
            Some(
                "choose another name with --write-profile, or pass --force to replace it"
                    .to_owned(),
            ),
        ));
    }
    Ok(())
}

/// Keys written into a profile whose key is stored would shadow it (the AWS CLI reads the
/// file's keys before `credential_process`) and put it in two places: refused, even with
/// `--force`.
fn refuse_stored(env: &Env, profile: &str) -> Result<(), Error> {
    if crate::keys::config_names_store(env, profile)? {
        return Err(Error::refused(
            format!(
                "profile \"{profile}\" keeps its long-term key in the key store: credentials written into it would shadow that key"
            ),
            Some("choose another name with --write-profile".to_owned()),
        ));
    }
    Ok(())
}

fn write_profile_to(
    path: &Path,
    profile: &str,
    creds: &Credentials,
    force: bool,
    quiet: bool,
) -> Result<(), Error> {
    let entries = output::profile_entries(creds);
    let pairs: Vec<(&str, &str)> = entries.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut outcome = None;
    let written = awsfile::update_file(path, |current| {
        refuse_long_term(current, profile, force, path)?;
        let edit = awsfile::set_profile(current, FileKind::Credentials, profile, &pairs);
        outcome = Some((edit.updated, edit.occurrences));
        Ok(Some(edit.text))
    })?;
    let (updated, occurrences) = outcome.unwrap_or((false, 1));
    if occurrences > 1 {
        ui::warn(
            quiet,
            &format!(
                "{} has {occurrences} [{profile}] sections; wrote the keys into one and removed them from the others (the AWS CLI refuses files with duplicate sections)",
                written.display()
            ),
        );
    }
    let expires = creds
        .expiration_rfc3339()
        .map(|e| format!(", expires {e}"))
        .unwrap_or_default();
    ui::notice(
        quiet,
        &format!(
            "{} profile \"{profile}\" in {}{expires} (expiry recorded as {EXPIRATION_KEY})",
            if updated { "updated" } else { "wrote" },
            written.display()
        ),
    );
    Ok(())
}
