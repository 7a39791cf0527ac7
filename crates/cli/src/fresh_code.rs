//! A second MFA code that is not the first again (`keys rotate` needs one session per key):
//! STS refuses a TOTP code used twice in its 30-second window (field evidence), so a repeat
//! from `mfa_process` waits for the next window and asks once more.

use tempcreds_core::Error;
use tempcreds_core::engine::{MfaChooser, MfaCodes, MfaDevice};
use tempcreds_core::rules::Invalid;

use crate::ui;

/// The chooser's codes, a repeat replaced by the next one.
pub(crate) struct FreshCode<'a> {
    inner: &'a MfaChooser<'a>,
}

impl<'a> FreshCode<'a> {
    pub(crate) fn new(inner: &'a MfaChooser<'a>) -> Self {
        Self { inner }
    }
}

impl MfaCodes for FreshCode<'_> {
    fn code(&self, device: &MfaDevice) -> Result<String, Error> {
        let code = self.inner.code(device)?;
        if self.inner.repeated(&code) {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let wait = 30 - now.rem_euclid(30) + 1;
            ui::notice(
                false,
                &format!("waiting {wait} s for the next MFA code (a code is used only once)"),
            );
            std::thread::sleep(std::time::Duration::from_secs(wait as u64));
            let next = self.inner.code(device)?;
            if self.inner.repeated(&next) {
                return Err(Invalid::new("--mfa-code", "needs a new code for the new key's session: the first code cannot be used twice").into());
            }
            return Ok(next);
        }
        Ok(code)
    }
}
