//! The one credential engine: a typed chain (where the first credentials come from, then
//! the STS calls that turn them into the ones asked for) and the executor that runs it
//! through the STS seam, with the cache as a decorator. Every command and the broker get
//! credentials through here.

mod chain;
mod connect;
mod display;
#[cfg(test)]
mod fake;
mod mfa;
mod renew;
#[cfg(test)]
mod renew_tests;
mod run;
mod sources;
#[cfg(test)]
mod sso_tests;
#[cfg(test)]
mod stored_tests;
#[cfg(test)]
mod tests;

pub use chain::{
    Chain, FederationStep, GivenKeys, MfaDevice, OverChainingCap, ProfileRegion, RoleExtras,
    RoleStep, SdkSource, SessionStep, ShellCommand, Source, Step,
};
pub use connect::{Caller, Connect, Prebuilt, SdkConnect};
pub use mfa::{MfaChooser, MfaCodes, NoPrompt, Prompt};
pub use renew::{
    Answer, DEFAULT_RENEW_BEFORE, MANDATORY_LEFT, RETRY_AFTER, RETRY_INSIDE, Renew, RenewPolicy,
    Renewer,
};
pub use run::{
    Clock, Engine, Issued, Last, NoCache, StepCache, SystemClock, chain_keys, default_session_name,
    last_key, role_input, sso_key, step_keys,
};
pub use sources::{Files, environment_credentials, run_process, static_credentials};
