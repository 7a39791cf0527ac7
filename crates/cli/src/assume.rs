//! `tempcreds assume`: check every input, resolve the source credentials, ask for an MFA
//! code if needed, call AssumeRole, and put the credentials where the user asked.

use std::path::Path;

use tempcreds_core::awsfile::{self, EXPIRATION_KEY, paths};
use tempcreds_core::console;
use tempcreds_core::output::{self, Format, Shell};
use tempcreds_core::plan::{self, AssumePlan};
use tempcreds_core::rules::{self, Invalid};
use tempcreds_core::sts::{SdkSts, Sts};
use tempcreds_core::{Credentials, Env, Error};
use tracing::info;

use crate::args::{AssumeArgs, OutputArg};
use crate::common;
use crate::ui;

pub(crate) async fn run(args: &AssumeArgs, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    check_output_flags(args)?;
    let plan = resolve(args, &env)?;
    let wants_link = args.output == OutputArg::Link || args.console_link;
    // Every link input is checked before anything is sent.
    let link = wants_link
        .then(|| {
            console::prepare(
                plan.input.role_arn.partition,
                &plan.source.region,
                &common::link_options(&args.link, &env),
            )
        })
        .transpose()?;
    let cred_file = paths::credentials_file(&env);
    let write_profile = profile_name(args, &plan);
    if args.output == OutputArg::Write {
        // Checked before the call so that a refusal costs no MFA code and no STS call;
        // checked again under the lock when writing.
        let current = awsfile::read_to_string_if_exists(&cred_file)?.unwrap_or_default();
        refuse_long_term(&current, &write_profile, args.force, &cred_file)?;
    }

    let sts = SdkSts::connect(&plan.source).await?;
    plan.check_chaining(sts.caller_is_temporary())?;
    let input = plan.input.clone();
    let assumed = common::assume_role(&sts, input, plan.mfa_prompt.as_deref(), quiet).await?;
    info!(assumed_role_arn = %assumed.assumed_role_arn, expiration = ?assumed.credentials.expiration_rfc3339(), "role assumed");
    let creds = &assumed.credentials;
    // A link is always minted from the credentials just issued, never from older ones.
    let link = match &link {
        Some(l) => Some(
            l.mint(
                creds,
                console::session_duration(creds.origin, plan.input.duration_seconds)?,
            )
            .await?,
        ),
        None => None,
    };

    let text = match Format::from(args.output) {
        Format::Json => output::json(creds, Some(&assumed.assumed_role_arn), link.as_deref()),
        Format::CredentialProcess => output::credential_process(creds),
        Format::Env => {
            let shell = args.shell.map_or(Shell::Sh, Shell::from);
            output::env(
                &output::env_vars(creds, plan.known_region(), args.legacy_ec2),
                shell,
            )
        }
        Format::Ini => output::ini(creds, &write_profile),
        Format::Write => {
            write_profile_to(&cred_file, &write_profile, creds, args.force, quiet)?;
            return Ok(());
        }
        Format::Link => format!("{}\n", link.unwrap_or_default()),
    };
    common::print(&text)
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
    if args.output == OutputArg::Write
        && args.write_profile.is_none()
        && args.role.session_name.is_none()
    {
        return Err(Invalid::new(
            "--write-profile",
            "is needed with --output write when no --session-name is given (the profile is named after the session)",
        )
        .into());
    }
    Ok(())
}

/// Reads the files the plan depends on (policy file, config file) and resolves.
fn resolve(args: &AssumeArgs, env: &Env) -> Result<AssumePlan, Error> {
    let req = common::request(&args.role_arn, &args.role)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let plan = plan::assume(&req, env, common::config_text(env)?.as_deref(), now)?;
    info!(region = %plan.source.region, region_source = ?plan.region_source, session_name = %plan.input.session_name, "plan");
    Ok(plan)
}

fn profile_name(args: &AssumeArgs, plan: &AssumePlan) -> String {
    args.write_profile
        .clone()
        .unwrap_or_else(|| plan.input.session_name.clone())
}

/// A profile with an access key and no session token holds long-term keys: overwriting it
/// would destroy credentials that cannot be recovered.
fn refuse_long_term(text: &str, profile: &str, force: bool, path: &Path) -> Result<(), Error> {
    if force {
        return Ok(());
    }
    let long_term = awsfile::parse(text)
        .iter()
        .filter(|s| s.name == profile)
        .any(|s| s.get("aws_access_key_id").is_some() && s.get("aws_session_token").is_none());
    if long_term {
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
        let edit = awsfile::set_section(current, profile, &pairs);
        outcome = Some((edit.updated, edit.occurrences));
        Ok(Some(edit.text))
    })?;
    let (updated, occurrences) = outcome.unwrap_or((false, 1));
    if occurrences > 1 {
        ui::warn(
            quiet,
            &format!(
                "{} has {occurrences} [{profile}] sections; updated the first (the AWS CLI refuses files with duplicate sections)",
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
