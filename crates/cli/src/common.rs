//! What `assume` and `console` share: turning role options into a request (reading the
//! policy file), link options, and handing out a link.

use std::path::Path;

use tempcreds_core::console::LinkOptions;
use tempcreds_core::plan::AssumeRequest;
use tempcreds_core::rules::{Field, Invalid};
use tempcreds_core::{Env, Error};

use crate::args::{LinkArgs, RoleOptions};
use crate::ui;

/// The inline policy and the flag it came from.
pub(crate) fn policy(role: &RoleOptions) -> Result<Option<(Field, String)>, Error> {
    Ok(match (&role.policy, &role.policy_file) {
        (Some(p), _) => Some((Field::Policy, p.clone())),
        (None, Some(path)) => Some((Field::PolicyFile, read_policy_file(path)?)),
        (None, None) => None,
    })
}

fn read_policy_file(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| {
        Invalid::new(
            "--policy-file",
            format!("cannot read {}: {e}", path.display()),
        )
        .into()
    })
}

pub(crate) fn request(role_arn: &str, role: &RoleOptions) -> Result<AssumeRequest, Error> {
    if role.mfa_code.is_some() && role.mfa_serial.is_none() {
        return Err(Invalid::new(
            "--mfa-code",
            "needs --mfa-serial (the device the code is from)",
        )
        .into());
    }
    Ok(AssumeRequest {
        role_arn: role_arn.to_owned(),
        session_name: role.session_name.clone(),
        duration: role.duration.clone(),
        external_id: role.external_id.clone(),
        mfa_serial: role.mfa_serial.clone(),
        mfa_code: role.mfa_code.clone(),
        policy: policy(role)?,
        policy_arns: role.policy_arn.clone(),
        tags: role.tag.clone(),
        transitive_tags: role.transitive_tag.clone(),
        source_identity: role.source_identity.clone(),
        region: role.region.clone(),
        source_profile: role.source_profile.clone(),
    })
}

pub(crate) fn link_options(link: &LinkArgs, env: &Env) -> LinkOptions {
    LinkOptions {
        issuer: link.issuer.clone(),
        service: link.service.clone(),
        destination: link.destination.clone(),
        logout_first: link.logout_first,
        federation_override: env.get("TEMPCREDS_FEDERATION_ENDPOINT").map(str::to_owned),
    }
}

/// Prints the link on stdout, or opens it in the browser without printing it.
pub(crate) fn deliver(link: &str, open: bool, quiet: bool) -> Result<(), Error> {
    if open {
        webbrowser::open(link).map_err(|e| Error::Transport {
            message: format!("could not open a browser: {e}"),
            hint: Some(
                "run without --open and paste the printed link into a browser (valid 15 minutes)"
                    .to_owned(),
            ),
        })?;
        ui::notice(
            quiet,
            "opened the console sign-in link in your browser (valid 15 minutes)",
        );
        return Ok(());
    }
    print(&format!("{link}\n"))
}

pub(crate) fn print(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::file("write to", Path::new("standard output"), e)),
    }
}
