//! `tempcreds console`: a console sign-in link for a role (`-r`), a federated user
//! (`--federated-user`, GetFederationToken) or the caller's own credentials, always minted
//! from freshly issued credentials; printed, or opened with `--open`.

use tempcreds_core::console::{self, PreparedLink};
use tempcreds_core::plan;
use tempcreds_core::rules::{self, CHAINED_MAX_SECONDS, Invalid, partition_of_region};
use tempcreds_core::sts::{FederationInput, SdkSts, SourceSettings, Sts};
use tempcreds_core::{Env, Error, Origin};
use tracing::info;

use crate::args::{ConsoleArgs, RoleOptions};
use crate::{common, ui};

pub(crate) async fn run(args: &ConsoleArgs, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let link = match (&args.role_arn, &args.federated_user) {
        (Some(role), _) => role_link(role, args, &env, quiet).await?,
        (None, Some(name)) => federated_link(name, args, &env).await?,
        (None, None) => own_link(args, &env, quiet).await?,
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

async fn role_link(
    role_arn: &str,
    args: &ConsoleArgs,
    env: &Env,
    quiet: bool,
) -> Result<String, Error> {
    let wanted = console_duration(&args.role)?;
    let mut req = common::request(role_arn, &args.role)?;
    req.duration = None; // decided below, once it is known whether this is role chaining
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let plan = plan::assume(&req, env, common::config_text(env)?.as_deref(), now)?;
    let link = console::prepare(
        plan.input.role_arn.partition,
        &plan.source.region,
        &common::link_options(&args.link, env),
    )?;

    let sts = SdkSts::connect(&plan.source).await?;
    let chained = sts.caller_is_temporary();
    let mut input = plan.input.clone();
    let session_duration = if chained {
        // Role chaining: no SessionDuration; the console lasts as long as the credentials,
        // which STS caps at one hour.
        if wanted.is_some_and(|d| d > CHAINED_MAX_SECONDS) {
            ui::warn(
                quiet,
                "the console session is capped at 1h: the source credentials are temporary, so this is role chaining (use long-term keys as the source for longer sessions)",
            );
        }
        input.duration_seconds = wanted.map(|d| d.min(CHAINED_MAX_SECONDS));
        None
    } else {
        wanted
    };
    info!(chained, session_duration = ?session_duration, "console link for a role");
    let assumed = common::assume_role(&sts, input, plan.mfa_prompt.as_deref(), quiet).await?;
    let creds = &assumed.credentials;
    mint(
        &link,
        creds,
        console::session_duration(creds.origin, session_duration)?,
        quiet,
    )
    .await
}

/// Flags that only mean something for AssumeRole.
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
        Some((flag, _)) => Err(Invalid::new(flag, format!("does not apply {why}"))),
        None => Ok(()),
    }
}

fn source(args: &ConsoleArgs, env: &Env) -> Result<(SourceSettings, PreparedLink), Error> {
    let (settings, _) = plan::source_only(
        args.role.region.as_deref(),
        args.role.source_profile.as_deref(),
        env,
        common::config_text(env)?.as_deref(),
    )?;
    let link = console::prepare(
        partition_of_region(&settings.region),
        &settings.region,
        &common::link_options(&args.link, env),
    )?;
    Ok((settings, link))
}

async fn federated_link(name: &str, args: &ConsoleArgs, env: &Env) -> Result<String, Error> {
    rules::federated_user_name("--federated-user", name)?;
    refuse_role_flags(
        &args.role,
        "to --federated-user (GetFederationToken takes a name, a duration and session policies)",
    )?;
    let duration = match args.role.duration.as_deref() {
        Some(d) => rules::bounded_duration(
            "--duration",
            d,
            rules::FEDERATION_MIN_SECONDS,
            rules::FEDERATION_MAX_SECONDS,
        )?,
        None => 3600,
    };
    let policy_text = common::policy(&args.role)?;
    let (flag, text) = match &policy_text {
        Some((f, t)) => (*f, Some(t.as_str())),
        None => ("--policy", None),
    };
    let policy = rules::session_policies(flag, text, &args.role.policy_arn)?;
    if policy.is_none() && args.role.policy_arn.is_empty() {
        return Err(Error::refused(
            "--federated-user needs a session policy: without one the federated user's console session has no permissions",
            Some("add --policy-file POLICY.json, --policy JSON or --policy-arn ARN".to_owned()),
        ));
    }
    rules::policy_arns("--policy-arn", &args.role.policy_arn)?;
    let (settings, link) = source(args, env)?;
    let sts = SdkSts::connect(&settings).await?;
    if sts.caller_is_temporary() {
        return Err(Error::refused(
            "--federated-user needs long-term IAM user keys as the source (GetFederationToken), but the source credentials are temporary",
            Some(
                "use the IAM user's access keys, or sign in through a role with -r ROLE_ARN"
                    .to_owned(),
            ),
        ));
    }
    let input = FederationInput {
        name: name.to_owned(),
        duration_seconds: Some(duration),
        policy,
        policy_arns: args.role.policy_arn.clone(),
    };
    let creds = sts.get_federation_token(&input).await?;
    mint(
        &link,
        &creds,
        console::session_duration(Origin::FederationToken, None)?,
        true,
    )
    .await
}

async fn own_link(args: &ConsoleArgs, env: &Env, quiet: bool) -> Result<String, Error> {
    let why = "without -r or --federated-user (the caller's own credentials are used as they are)";
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
    let (settings, link) = source(args, env)?;
    let sts = SdkSts::connect(&settings).await?;
    let mut creds = sts.source_credentials().clone();
    creds.origin = if creds.is_temporary() {
        // Only STS knows what kind of temporary credentials these are.
        let arn = sts.caller_arn().await?;
        info!(caller = %arn, "console link for the caller's own credentials");
        if arn.contains(":assumed-role/") {
            // Whether they were chained is not known: never send SessionDuration.
            Origin::AssumedRole { chained: true }
        } else if arn.contains(":federated-user/") {
            Origin::FederationToken
        } else {
            Origin::SessionToken
        }
    } else {
        Origin::LongTerm
    };
    let session_duration = console::session_duration(creds.origin, None)?;
    if let Some(exp) = creds.expiration {
        let left = exp - time::OffsetDateTime::now_utc();
        if left < time::Duration::minutes(15) {
            ui::warn(
                quiet,
                &format!(
                    "these credentials expire in {} min, and the console session ends with them: use -r to sign in with fresh ones",
                    left.whole_minutes().max(0)
                ),
            );
        }
    }
    mint(&link, &creds, session_duration, quiet).await
}

async fn mint(
    link: &PreparedLink,
    creds: &tempcreds_core::Credentials,
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
