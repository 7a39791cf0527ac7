//! `exec PROFILE --server -- CMD`: tempcreds stays the parent, serving the profile on a
//! local endpoint that renews itself; the child gets the endpoint's two variables and no
//! key, and tempcreds exits with the child's status once it ends.
//!
//! Signals are relayed as sudo(8) relays them ("Signal handling"): the child stays in
//! tempcreds' process group, so what the terminal sends the foreground group (Ctrl-C,
//! Ctrl-\, a resize, a hang-up) reaches it directly, once, and Ctrl-Z stops both; a signal
//! another process sent tempcreds (`kill PID`, a supervisor's SIGTERM) is passed on. One
//! the kernel sent, or the child itself, is not passed on: the child already has it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::{Cause, Origin};
use tempcreds_core::Error;
use tempcreds_core::profile::Profiles;

use super::Endpoint;
use crate::args::ExecArgs;
use crate::profiles::{self, EXEC_MARKER, Prepared, SCRUBBED};

/// The endpoint's address: loopback, a free port.
const LOOPBACK: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

const RELAYED: [i32; 7] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH];

/// What an SDK in the child would find before the container endpoint (botocore's chain:
/// environment, assume-role, web identity, SSO, the credentials file, process, config,
/// …, container; the Rust SDK's likewise) and is removed, on top of `SCRUBBED`.
const SCRUBBED_TOO: &[&str] = &[
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// The child reads the `default` profile (no `AWS_PROFILE`), and the SDKs take a profile's
/// credentials before the endpoint's. Keys for `default` in the credentials file are hidden
/// from the child (it reads `/dev/null` instead); credentials of `default` in the config
/// file are refused, as hiding that file would take the rest of the user's settings away.
fn credentials_file_for_child(p: &Prepared) -> Result<Option<&'static str>, Error> {
    let gives = |profiles: &Profiles| -> Option<&'static str> {
        let d = profiles.get("default")?;
        if d.role_arn.is_some() {
            Some("role_arn")
        } else if d.credential_process.is_some() {
            Some("credential_process")
        } else if d.access_key_id.is_some() && d.has_secret {
            Some("aws_access_key_id")
        } else {
            None
        }
    };
    let both = Profiles::from_texts(&p.files.config, &p.files.credentials);
    if gives(&both).is_none() {
        return Ok(None);
    }
    match gives(&Profiles::from_texts(&p.files.config, "")) {
        None => Ok(Some("/dev/null")),
        Some(key) => Err(Error::refused(
            format!(
                "profile default in AWS_CONFIG_FILE has {key}: an SDK in the command would use it before the endpoint"
            ),
            Some(
                "move those settings to a named profile, or run `tempcreds exec` without --server"
                    .to_owned(),
            ),
        )),
    }
}

/// Whether a signal tempcreds received is passed on to the child.
fn relayed(origin: &Origin, child: i32) -> bool {
    match origin.cause {
        // Terminal-generated: the whole foreground group, the child too, has it already.
        Cause::Kernel => false,
        _ => origin.process.is_none_or(|p| p.pid != child),
    }
}

/// The status tempcreds exits with: the child's, or 128+N when signal N ended it.
fn exit_code(status: ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    let code = match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    };
    ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1))
}

fn io_error(what: &str, e: std::io::Error) -> Error {
    Error::Transport {
        message: format!("{what}: {e}"),
        hint: None,
    }
}

pub(crate) async fn exec(args: &ExecArgs, quiet: bool) -> Result<ExitCode, Error> {
    profiles::refuse_nested(args)?;
    let p = profiles::prepare(Some(&args.profile), &args.opts)?;
    let region = p.region(&args.opts)?.known().map(str::to_owned);
    let hidden_credentials = credentials_file_for_child(&p)?;
    let name = p.name.clone();
    let endpoint = Endpoint::open(vec![p], &args.opts, LOOPBACK, quiet).await?;

    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..])
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    for v in SCRUBBED.iter().chain(SCRUBBED_TOO) {
        cmd.env_remove(v);
    }
    if let Some(r) = &region {
        cmd.env("AWS_REGION", r).env("AWS_DEFAULT_REGION", r);
    }
    if let Some(path) = hidden_credentials {
        tracing::info!(
            "the command reads no credentials file: profile default's keys would win over the endpoint"
        );
        cmd.env("AWS_SHARED_CREDENTIALS_FILE", path);
    }
    cmd.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.uri())
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", endpoint.token())
        .env(EXEC_MARKER, &name);

    // Handlers before the child exists: a Ctrl-C from then on must not end tempcreds.
    let mut signals = SignalsInfo::<WithOrigin>::new(RELAYED)
        .map_err(|e| io_error("cannot handle signals", e))?;
    let handle = signals.handle();
    let mut child = cmd.spawn().map_err(|e| Error::Transport {
        message: format!("could not run {}: {e}", args.command[0]),
        hint: Some("check the command name and PATH".to_owned()),
    })?;
    let child_pid = Pid::from_child(&child);
    let relay = std::thread::spawn(move || {
        for origin in signals.forever() {
            if relayed(&origin, child_pid.as_raw_nonzero().get())
                && let Some(sig) = Signal::from_named_raw(origin.signal)
            {
                let _ = kill_process(child_pid, sig);
            }
        }
    });

    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = Arc::clone(&stop);
    let server = tokio::spawn(endpoint.run(false, quiet, async move {
        stopped.notified().await;
    }));
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .map_err(|e| io_error("lost the command", std::io::Error::other(e)))?
        .map_err(|e| io_error("lost the command", e))?;
    handle.close();
    let _ = relay.join();
    stop.notify_one();
    // The child is gone, and with it its connections: this returns at once.
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    Ok(exit_code(status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_signal_is_exit_128_plus_n_and_a_code_is_itself() {
        assert_eq!(exit_code(ExitStatus::from_raw(0)), ExitCode::from(0));
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), ExitCode::from(3));
        assert_eq!(exit_code(ExitStatus::from_raw(2)), ExitCode::from(130));
        assert_eq!(exit_code(ExitStatus::from_raw(15)), ExitCode::from(143));
    }
}
