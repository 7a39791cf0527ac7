//! The one place that chooses an MFA code, in the same order on every path: the code given
//! (`--mfa-code`: used once, as STS refuses a TOTP code a second time in its window), then
//! the device's `mfa_process`, then the prompt (the terminal, for the CLI).

use std::process::{Command, Stdio};
use std::sync::Mutex;

use super::chain::{MfaDevice, ShellCommand};
use crate::rules;
use crate::{Error, rules::Invalid};

/// Asks a person for a code (the CLI: on `/dev/tty`).
pub trait Prompt: Sync {
    fn ask(&self, serial: &str) -> Result<String, Error>;
}

/// Where the engine gets the code for a device.
pub trait MfaCodes: Sync {
    fn code(&self, device: &MfaDevice) -> Result<String, Error>;
}

/// No person to ask (the broker, tests): a code must come from elsewhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPrompt;

impl Prompt for NoPrompt {
    fn ask(&self, serial: &str) -> Result<String, Error> {
        Err(Error::refused(
            format!("an MFA code for {serial} is needed and there is no one to ask"),
            Some("give the code, or set mfa_process in the profile".to_owned()),
        ))
    }
}

/// The order: given code (once), `mfa_process`, prompt.
pub struct MfaChooser<'a> {
    given: Mutex<Option<String>>,
    prompt: &'a dyn Prompt,
    /// Every code handed out, so that a caller needing a second session can tell a repeat.
    handed: Mutex<Vec<String>>,
}

impl std::fmt::Debug for MfaChooser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaChooser")
    }
}

impl<'a> MfaChooser<'a> {
    /// `given` must already have passed `rules::mfa_code` (the caller names its own input).
    pub fn new(given: Option<String>, prompt: &'a dyn Prompt) -> Self {
        Self {
            given: Mutex::new(given),
            prompt,
            handed: Mutex::new(Vec::new()),
        }
    }

    /// Whether `code` was handed out more than once (STS refuses a TOTP code used twice in
    /// its 30-second window).
    pub fn repeated(&self, code: &str) -> bool {
        let handed = self.handed.lock().unwrap_or_else(|p| p.into_inner());
        handed.iter().filter(|c| *c == code).count() > 1
    }

    fn choose(&self, device: &MfaDevice) -> Result<String, Error> {
        let given = self.given.lock().map(|mut g| g.take()).unwrap_or_default();
        if let Some(code) = given {
            return Ok(code);
        }
        if let Some(cmd) = &device.process {
            return run_mfa_process(cmd);
        }
        self.prompt.ask(&device.serial)
    }
}

impl MfaCodes for MfaChooser<'_> {
    fn code(&self, device: &MfaDevice) -> Result<String, Error> {
        let code = self.choose(device)?;
        self.handed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(code.clone());
        Ok(code)
    }
}

/// Runs `mfa_process` and takes its trimmed output as the code. Its stderr reaches the
/// user (it may ask for a touch of a key); the command itself is never shown.
fn run_mfa_process(cmd: &ShellCommand) -> Result<String, Error> {
    let out = Command::new("sh")
        .args(["-c", cmd.text()])
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::Transport {
            message: format!("mfa_process could not start: {e}"),
            hint: None,
        })?;
    if !out.status.success() {
        return Err(Error::refused(
            format!("mfa_process failed ({})", out.status),
            Some("run the profile's mfa_process by hand to see its error".to_owned()),
        ));
    }
    let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    rules::mfa_code("mfa_process", &code).map_err(|e: Invalid| {
        Error::from(Invalid::new(
            "mfa_process",
            format!("{} (its output)", e.rule),
        ))
    })?;
    Ok(code)
}
