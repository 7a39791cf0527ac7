//! `tempcreds sso login` and `logout`: which session (named, through a profile, the profile
//! in use, or the only one), the browser or the device code, the wait with a spinner, and
//! the token stored where the AWS CLI keeps it. The loopback redirect of the PKCE flow is
//! served here (`sso_callback`).

use tempcreds_core::awsfile::ProfileSet;
use tempcreds_core::cache::{Cache, CacheKey};
use tempcreds_core::engine::Files;
use tempcreds_core::rules::Invalid;
use tempcreds_core::sso::config::{self, SsoSession};
use tempcreds_core::sso::login::{self, Pkce, REDIRECT_REGISTERED};
use tempcreds_core::sso::service::ClientKind;
use tempcreds_core::sso::{Oidc, Portal, SdkOidc, SdkPortal, token};
use tempcreds_core::{Env, Error, profile};
use time::OffsetDateTime;

use crate::args::{SsoLoginArgs, SsoWhich};
use crate::{sso_callback, ui};

/// The session a command is about, and the profile it was found through.
pub(crate) fn which(w: &SsoWhich, env: &Env) -> Result<(SsoSession, Option<String>), Error> {
    let files = Files::read(env)?;
    let set = ProfileSet::from_texts(&files.config, &files.credentials);
    if let Some(name) = &w.sso_session {
        return Ok((config::session(&set, name)?, None));
    }
    let named = w.profile.is_some();
    let name = profile::profile_name(w.profile.as_deref(), env);
    if let Some(role) = config::of_profile(&set, &name)? {
        return Ok((role.session, Some(name)));
    }
    if named {
        return Err(Invalid::new(
            "--profile",
            format!(
                "profile {name} has no IAM Identity Center settings (sso_session or sso_start_url)"
            ),
        )
        .into());
    }
    let sessions: Vec<&str> = set.sso_sessions().map(|(n, _)| n).collect();
    match sessions[..] {
        [one] => Ok((config::session(&set, one)?, None)),
        [] => Err(Invalid::new(
            "--sso-session",
            "is needed: the config file has no [sso-session] section and the profile in use is not an SSO profile",
        )
        .into()),
        _ => Err(Invalid::new(
            "--sso-session",
            format!("is needed to choose one of {}", sessions.join(", ")),
        )
        .into()),
    }
}

pub(crate) async fn login(args: &SsoLoginArgs, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let (session, _) = which(&args.which, &env)?;
    let oidc = SdkOidc::new(&session.region).await;
    let now = OffsetDateTime::now_utc();
    let (registration, token) = if args.device_code {
        device(&oidc, &env, &session, args, quiet, now).await?
    } else {
        pkce(&oidc, &env, &session, args, quiet, now).await?
    };
    let expires = token.expires_at;
    let path = login::store(&env, &session, &registration, token)?;
    ui::notice(
        quiet,
        &format!(
            "signed in to {} until {} (token in {})",
            session.label(),
            token::format_time(expires),
            path.display()
        ),
    );
    Ok(())
}

fn open(url: &str, args: &SsoLoginArgs) {
    if !args.no_browser && webbrowser::open(url).is_err() {
        eprintln!("tempcreds: could not open a browser; open the URL above yourself");
    }
}

async fn device(
    oidc: &SdkOidc,
    env: &Env,
    session: &SsoSession,
    args: &SsoLoginArgs,
    quiet: bool,
    now: OffsetDateTime,
) -> Result<(token::Registration, tempcreds_core::sso::service::Token), Error> {
    let registration = login::registration(oidc, env, session, &ClientKind::Device, now).await?;
    let auth = oidc.start_device(&registration, &session.start_url).await?;
    let url = auth
        .verification_uri_complete
        .clone()
        .unwrap_or_else(|| auth.verification_uri.clone());
    // Always shown, even with --quiet: without it nobody can approve the sign-in.
    eprintln!(
        "To sign in to {}, open {url}\nand check that it shows the code {}",
        session.label(),
        auth.user_code
    );
    open(&url, args);
    let wait = async {
        tokio::select! {
            t = login::poll_device(oidc, &registration, &auth) => t,
            _ = tokio::signal::ctrl_c() => Err(Error::SignIn {
                message: "stopped (Ctrl-C): not signed in".to_owned(),
                hint: None,
            }),
        }
    };
    let token = ui::with_spinner(
        quiet,
        "waiting for the sign-in to be approved in the browser… (Ctrl-C to stop)",
        wait,
    )
    .await?;
    Ok((registration, token))
}

async fn pkce(
    oidc: &SdkOidc,
    env: &Env,
    session: &SsoSession,
    args: &SsoLoginArgs,
    quiet: bool,
    now: OffsetDateTime,
) -> Result<(token::Registration, tempcreds_core::sso::service::Token), Error> {
    let callback = sso_callback::Callback::bind().await?;
    let redirect = callback.redirect_uri();
    let kind = ClientKind::Pkce {
        redirect_uri: REDIRECT_REGISTERED.to_owned(),
        issuer_url: session.start_url.clone(),
    };
    let registration = login::registration(oidc, env, session, &kind, now).await?;
    let pkce = Pkce::new()?;
    let url = login::authorize_url(
        &oidc.authorize_base(),
        &registration.client_id,
        &redirect,
        &pkce,
        &login::authorize_scopes(session),
    );
    eprintln!("To sign in to {}, open\n{url}", session.label());
    open(&url, args);
    let code = ui::with_spinner(
        quiet,
        "waiting for the browser to sign in… (Ctrl-C to stop)",
        callback.code(&pkce.state),
    )
    .await?;
    let token = login::exchange_code(oidc, &registration, code, redirect, pkce).await?;
    Ok((registration, token))
}

/// `sso logout`: the portal revokes the token, tempcreds forgets the session's role
/// credentials, the token file goes. Signed out already is fine.
pub(crate) async fn logout(w: &SsoWhich, quiet: bool) -> Result<(), Error> {
    let env = Env::from_process();
    let (session, _) = which(w, &env)?;
    let path = token::path(&env, &session.cache_key());
    let Some(cached) = token::read(&path)? else {
        ui::notice(quiet, &format!("not signed in to {}", session.label()));
        return Ok(());
    };
    if cached.expires_at > OffsetDateTime::now_utc() {
        let portal = SdkPortal::new(&session.region).await;
        if let Err(e) = portal.logout(&cached.access_token).await {
            // The token goes from this machine either way; say what the portal answered.
            ui::warn(
                quiet,
                &format!("the portal did not confirm the sign-out: {e}"),
            );
        }
    }
    let cache = Cache::from_env(&env)?;
    let label = session.label();
    let forgot = cache.clear(|e| CacheKey::is_sso_role_of(&e.label, &label))?;
    token::remove(&path)?;
    ui::notice(
        quiet,
        &format!(
            "signed out of {label}: removed {} and {forgot} cached role credentials",
            path.display()
        ),
    );
    Ok(())
}
