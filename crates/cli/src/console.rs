//! `tempcreds console`: a console sign-in link for a profile (`console PROFILE`), a role
//! (`-r`), a federated user (`--federated-user`, GetFederationToken) or the caller's own
//! credentials, always minted from freshly issued credentials; printed, or opened with
//! `--open`. Every path gets its credentials from the one engine.

use tempcreds_core::console::{self, PreparedLink};
use tempcreds_core::engine::{
    Chain, FederationStep, Files, Issued, Last, OverChainingCap, Source, Step,
};
use tempcreds_core::plan::{self, FlagsPlan};
use tempcreds_core::profile::{self, Profiles, ResolveError};
use tempcreds_core::region::ResolvedRegion;
use tempcreds_core::rules::{
    self, CHAINED_MAX_SECONDS, Field, Invalid, Partition, partition_of_region,
};
use tempcreds_core::sts::{SdkSts, Sts};
use tempcreds_core::{Credentials, Env, Error, Origin};
use tracing::info;

use crate::args::{ConsoleArgs, RoleOptions};
use crate::run::{self, Context};
use crate::{common, ui};

pub(crate) async fn run(args: &ConsoleArgs, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let files = Files::read(&env)?;
    let ctx = Context {
        env: &env,
        files: &files,
        mfa_code: run::mfa_code(args.role.mfa_code.as_deref())?,
        quiet,
    };
    let profile = args.profile_name.as_deref().or(args.profile.as_deref());
    let link = match (profile, &args.role_arn, &args.federated_user) {
        (Some(name), _, _) => profile_link(name, args, &ctx).await?,
        (None, Some(role), _) => role_link(role, args, &ctx).await?,
        (None, None, Some(name)) => federated_link(name, args, &ctx).await?,
        (None, None, None) => own_link(args, &ctx).await?,
    };
    common::deliver(&link, args.open, quiet)
}

/// `--duration` as the console session length (SessionDuration's 15m..12h).
fn console_duration(role: &RoleOptions) -> Result<Option<u32>, Invalid> {
    role.duration
        .as_deref()
        .map(|d| {
            rules::bounded_duration(
                "--duration",
                d,
                console::SESSION_DURATION_MIN,
                console::SESSION_DURATION_MAX,
            )
        })
        .transpose()
}

fn prepare_link(
    partition: Partition,
    region: &ResolvedRegion,
    args: &ConsoleArgs,
    env: &Env,
) -> Result<PreparedLink, Error> {
    Ok(console::prepare(
        partition,
        &region.name,
        &common::link_options(&args.link, env),
    )?)
}

fn warn_capped(wanted: Option<u32>, quiet: bool) {
    if wanted.is_some_and(|d| d > CHAINED_MAX_SECONDS) {
        ui::warn(
            quiet,
            "the console session is capped at 1h: the role is assumed with temporary credentials (role chaining); a profile whose role has mfa_serial and long-term source keys gets longer sessions",
        );
    }
}

/// `-r ARN`: the source's chain, then the role, its duration capped at one hour when the
/// source turns out to be temporary (then SessionDuration is not sent).
async fn role_link(role_arn: &str, args: &ConsoleArgs, ctx: &Context<'_>) -> Result<String, Error> {
    let wanted = console_duration(&args.role)?;
    let mut req = common::request(role_arn, &args.role)?;
    req.duration = None; // the console's bounds, checked above
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut plan: FlagsPlan = plan::assume(&req, ctx.env, ctx.files, now)?;
    let role = plan.role_mut();
    role.duration_seconds = wanted;
    role.over_cap = OverChainingCap::Cap;
    let link = prepare_link(plan.role().role_arn.partition, &plan.region, args, ctx.env)?;
    let issued = run::run(&plan.chain, &plan.region.name, Last::Fresh, ctx).await?;
    if issued.credentials.origin == (Origin::AssumedRole { chained: true }) {
        warn_capped(wanted, ctx.quiet);
    }
    mint_issued(&link, &issued, wanted, ctx.quiet).await
}

/// Flags that only mean something for AssumeRole named by flags.
fn refuse_role_flags(role: &RoleOptions, why: &str) -> Result<(), Invalid> {
    let set = [
        ("--session-name", role.session_name.is_some()),
        ("--external-id", role.external_id.is_some()),
        ("--mfa-serial", role.mfa_serial.is_some()),
        ("--mfa-code", role.mfa_code.is_some()),
        ("--tag", !role.tag.is_empty()),
        ("--transitive-tag", !role.transitive_tag.is_empty()),
        ("--source-identity", role.source_identity.is_some()),
    ];
    match set.iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(Invalid::new(*flag, format!("does not apply {why}"))),
        None => Ok(()),
    }
}

/// The session policy a federated user needs (without one its console has no permissions).
fn federation_policy(role: &RoleOptions, who: &str) -> Result<Option<String>, Error> {
    let policy_text = common::policy(role)?;
    let (flag, text) = match &policy_text {
        Some((f, t)) => (f.clone(), Some(t.as_str())),
        None => (Field::Policy, None),
    };
    rules::policy_arns("--policy-arn", &role.policy_arn)?;
    let policy = rules::session_policies(flag, text, &role.policy_arn)?;
    if policy.is_none() && role.policy_arn.is_empty() {
        return Err(Error::refused(
            format!(
                "{who} needs a session policy: without one the federated user's console session has no permissions"
            ),
            Some("add --policy-file POLICY.json, --policy JSON or --policy-arn ARN".to_owned()),
        ));
    }
    Ok(policy)
}

/// GetFederationToken's duration: 15m..36h, default one hour.
fn federation_duration(role: &RoleOptions) -> Result<u32, Invalid> {
    match role.duration.as_deref() {
        Some(d) => rules::bounded_duration(
            "--duration",
            d,
            rules::FEDERATION_MIN_SECONDS,
            rules::FEDERATION_MAX_SECONDS,
        ),
        None => Ok(3600),
    }
}

fn federation_step(name: String, role: &RoleOptions, who: &str) -> Result<Step, Error> {
    Ok(Step::FederationToken(FederationStep {
        name,
        duration_seconds: Some(federation_duration(role)?),
        policy: federation_policy(role, who)?,
        policy_arns: role.policy_arn.clone(),
    }))
}

/// The caller's own chain (`--source-profile`, else the environment's) and its region.
fn own_chain(args: &ConsoleArgs, ctx: &Context<'_>) -> Result<(Chain, ResolvedRegion), Error> {
    if let Some(p) = &args.role.source_profile {
        rules::profile_name("--source-profile", p)?;
    }
    let chain = plan::source_chain(args.role.source_profile.as_deref(), ctx.env, ctx.files)?;
    let region = run::region(args.role.region.as_deref(), ctx.env, &chain)?;
    Ok((chain, region))
}

async fn federated_link(
    name: &str,
    args: &ConsoleArgs,
    ctx: &Context<'_>,
) -> Result<String, Error> {
    rules::federated_user_name("--federated-user", name)?;
    refuse_role_flags(
        &args.role,
        "to --federated-user (GetFederationToken takes a name, a duration and session policies)",
    )?;
    let step = federation_step(name.to_owned(), &args.role, "--federated-user")?;
    let (mut chain, region) = own_chain(args, ctx)?;
    let link = prepare_link(partition_of_region(&region.name), &region, args, ctx.env)?;
    chain.steps.push(step);
    let issued = run::run(&chain, &region.name, Last::Fresh, ctx).await?;
    mint_issued(&link, &issued, None, true).await
}

/// `console PROFILE`: the profile's role, minted from credentials issued now. A role with
/// `mfa_serial` asked for over an hour is assumed directly from the long-term keys with the
/// code (the resolver's rule), so its SessionDuration is sent; through the MFA session or
/// another role it is chaining: at most one hour, no SessionDuration. A keys-only profile
/// signs in as a federated user named `--federated-user`, else after the profile.
async fn profile_link(name: &str, args: &ConsoleArgs, ctx: &Context<'_>) -> Result<String, Error> {
    rules::profile_name("--profile", name)?;
    let why = "to a profile (its own settings name the role)";
    refuse_role_flags(&args.role, why).or_else(|e| {
        // --mfa-code is a profile option too.
        if e.field == Field::from("--mfa-code") {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    if args.role.source_profile.is_some() {
        return Err(Invalid::new("--source-profile", format!("does not apply {why}")).into());
    }
    let profiles = Profiles::from_texts(&ctx.files.config, &ctx.files.credentials);
    let plain = profile::resolve(&profiles, name, None)?;
    if matches!(plain.steps.last(), Some(Step::AssumeRole(_))) {
        return role_profile_link(name, &profiles, args, ctx).await;
    }
    if matches!(plain.source, Source::Sso(_)) && plain.steps.is_empty() {
        // The SSO role itself: fresh role credentials of a person, not chained, so the
        // console session may be longer than an hour (SessionDuration is sent).
        let wanted = console_duration(&args.role)?;
        let region = run::region(args.role.region.as_deref(), ctx.env, &plain)?;
        let link = prepare_link(partition_of_region(&region.name), &region, args, ctx.env)?;
        let issued = run::run(&plain, &region.name, Last::Fresh, ctx).await?;
        return mint_issued(&link, &issued, wanted, ctx.quiet).await;
    }
    // Keys only: GetFederationToken from the long-term keys (an MFA session cannot sign in).
    let user = match &args.federated_user {
        Some(u) => {
            rules::federated_user_name("--federated-user", u)?;
            u.clone()
        }
        None => {
            let cut: String = name.chars().take(32).collect();
            rules::federated_user_name("--federated-user", &cut).map_err(|e| {
                Invalid::new(
                    "--federated-user",
                    format!(
                        "is needed: the profile name does not make a federated user name ({})",
                        e.rule
                    ),
                )
            })?;
            cut
        }
    };
    let step = federation_step(
        user,
        &args.role,
        &format!("profile {name} (keys only, so a federated user)"),
    )?;
    let mut chain = plain;
    chain.steps = vec![step];
    let region = run::region(args.role.region.as_deref(), ctx.env, &chain)?;
    let link = prepare_link(partition_of_region(&region.name), &region, args, ctx.env)?;
    let issued = run::run(&chain, &region.name, Last::Fresh, ctx).await?;
    mint_issued(&link, &issued, None, ctx.quiet).await
}

async fn role_profile_link(
    name: &str,
    profiles: &Profiles,
    args: &ConsoleArgs,
    ctx: &Context<'_>,
) -> Result<String, Error> {
    for (flag, given) in [
        ("--federated-user", args.federated_user.is_some()),
        (
            "--policy",
            args.role.policy.is_some() || args.role.policy_file.is_some(),
        ),
        ("--policy-arn", !args.role.policy_arn.is_empty()),
    ] {
        if given {
            return Err(Invalid::new(flag, "only applies to a keys-only profile (GetFederationToken); this profile names a role").into());
        }
    }
    let wanted = console_duration(&args.role)?;
    let chain = match profile::resolve(profiles, name, wanted) {
        Ok(c) => c,
        // Over an hour and chained (through another role or temporary keys): one hour,
        // said once the credentials show they are chained (below).
        Err(ResolveError::Invalid(_)) if wanted.is_some_and(|d| d > CHAINED_MAX_SECONDS) => {
            profile::resolve(profiles, name, Some(CHAINED_MAX_SECONDS))?
        }
        Err(e) => return Err(e.into()),
    };
    let region = run::region(args.role.region.as_deref(), ctx.env, &chain)?;
    let link = prepare_link(
        chain.partition().unwrap_or(Partition::Aws),
        &region,
        args,
        ctx.env,
    )?;
    let issued = run::run(&chain, &region.name, Last::Fresh, ctx).await?;
    info!(origin = ?issued.credentials.origin, "console link for profile {name}");
    if issued.credentials.origin == (Origin::AssumedRole { chained: true }) {
        warn_capped(wanted, ctx.quiet);
    }
    mint_issued(&link, &issued, chain.last_role_duration(), ctx.quiet).await
}

/// The caller's own credentials, as they are.
async fn own_link(args: &ConsoleArgs, ctx: &Context<'_>) -> Result<String, Error> {
    let why = "without a profile, -r or --federated-user (the caller's own credentials are used as they are)";
    refuse_role_flags(&args.role, why)?;
    for (flag, given) in [
        ("--duration", args.role.duration.is_some()),
        (
            "--policy",
            args.role.policy.is_some() || args.role.policy_file.is_some(),
        ),
        ("--policy-arn", !args.role.policy_arn.is_empty()),
    ] {
        if given {
            return Err(Invalid::new(flag, format!("does not apply {why}")).into());
        }
    }
    let (chain, region) = own_chain(args, ctx)?;
    let link = prepare_link(partition_of_region(&region.name), &region, args, ctx.env)?;
    let issued = run::run(&chain, &region.name, Last::Fresh, ctx).await?;
    let mut creds = issued.credentials;
    if chain.steps.is_empty() {
        creds.origin = own_origin(&creds, &region.name).await?;
    }
    let session_duration =
        console::session_duration(creds.origin, None).map_err(|e| in_our_words(e, creds.origin))?;
    if let Some(exp) = creds.expiration {
        let left = exp - time::OffsetDateTime::now_utc();
        if left < time::Duration::minutes(15) {
            ui::warn(
                ctx.quiet,
                &format!(
                    "these credentials expire in {} min, and the console session ends with them: use -r to sign in with fresh ones",
                    left.whole_minutes().max(0)
                ),
            );
        }
    }
    mint(&link, &creds, session_duration, ctx.quiet).await
}

/// What kind of credentials the caller holds: only STS knows for temporary ones.
async fn own_origin(creds: &Credentials, region: &str) -> Result<Origin, Error> {
    if !creds.is_temporary() {
        return Ok(Origin::LongTerm);
    }
    let arn = SdkSts::with_credentials(region, creds)
        .await?
        .caller_arn()
        .await?;
    info!(caller = %arn, "console link for the caller's own credentials");
    Ok(if arn.contains(":assumed-role/") {
        // Whether they were chained is not known: never send SessionDuration.
        Origin::AssumedRole { chained: true }
    } else if arn.contains(":federated-user/") {
        Origin::FederationToken
    } else {
        Origin::SessionToken
    })
}

/// A link from credentials just issued, SessionDuration as their origin allows.
async fn mint_issued(
    link: &PreparedLink,
    issued: &Issued,
    wanted: Option<u32>,
    quiet: bool,
) -> Result<String, Error> {
    let creds = &issued.credentials;
    let duration = console::session_duration(creds.origin, wanted)
        .map_err(|e| in_our_words(e, creds.origin))?;
    mint(link, creds, duration, quiet).await
}

async fn mint(
    link: &PreparedLink,
    creds: &Credentials,
    session_duration: Option<u32>,
    quiet: bool,
) -> Result<String, Error> {
    ui::with_spinner(
        quiet,
        "waiting for the sign-in endpoint…",
        link.mint(creds, session_duration),
    )
    .await
}

/// The library's refusal of credentials that cannot sign in, with the hint in this command
/// line's words (its flags).
fn in_our_words(e: Error, origin: Origin) -> Error {
    let hint = match origin {
        Origin::LongTerm => {
            "use --federated-user NAME --policy-file POLICY.json (GetFederationToken), or -r ROLE_ARN"
        }
        Origin::SessionToken => "assume a role with them: tempcreds console -r ROLE_ARN",
        Origin::Process => "name the role with -r ROLE_ARN",
        _ => return e,
    };
    match e {
        Error::Refused { message, .. } => Error::refused(message, Some(hint.to_owned())),
        other => other,
    }
}
