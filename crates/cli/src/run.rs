//! The engine as the CLI runs it: MFA codes from `--mfa-code`, then `mfa_process`, then the
//! terminal; the encrypted cache when the chain has a step to cache (a role named by flags
//! alone opens no cache and creates no key); a spinner while STS takes more than a second.

use std::sync::OnceLock;
use tempcreds_core::cache::Cache;
use tempcreds_core::engine::{
    Chain, Engine, Files, Issued, Last, MfaChooser, MfaCodes, NoCache, Prompt, SdkConnect,
    StepCache, SystemClock, chain_keys,
};

use tempcreds_core::keys;
use tempcreds_core::region::{self, ResolvedRegion};
use tempcreds_core::rules::{self, Field, Invalid};
use tempcreds_core::{Env, Error};

use crate::ui;

/// The terminal, as the engine's prompt.
pub(crate) struct Terminal;

impl Prompt for Terminal {
    fn ask(&self, serial: &str) -> Result<String, Error> {
        ui::prompt_mfa_code(serial)
    }
}

/// What a command passes to every run.
pub(crate) struct Context<'a> {
    pub(crate) env: &'a Env,
    pub(crate) files: &'a Files,
    /// `--mfa-code`, checked.
    pub(crate) mfa_code: Option<String>,
    pub(crate) quiet: bool,
}

/// Checks `--mfa-code` once, whichever path uses it.
pub(crate) fn mfa_code(flag: Option<&str>) -> Result<Option<String>, Invalid> {
    flag.map(|c| rules::mfa_code("--mfa-code", c).map(|()| c.to_owned()))
        .transpose()
}

/// The region for a chain: `--region`, the environment, the chain's profiles, else the
/// partition's default.
pub(crate) fn region(
    flag: Option<&str>,
    env: &Env,
    chain: &Chain,
) -> Result<ResolvedRegion, Invalid> {
    region::resolve(
        flag,
        Field::Region,
        env,
        chain.region.as_ref(),
        chain.partition(),
    )
}

/// The cache, opened only when the chain has a step to keep.
pub(crate) fn cache_for(chain: &Chain, ctx: &Context<'_>) -> Result<Box<dyn StepCache>, Error> {
    if chain_keys(chain, ctx.files).iter().any(Option::is_some) {
        Ok(Box::new(Cache::from_env(ctx.env)?))
    } else {
        Ok(Box::new(NoCache))
    }
}

/// Runs the chain with the CLI's prompt, cache and spinner.
pub(crate) async fn run(
    chain: &Chain,
    region: &str,
    last: Last,
    ctx: &Context<'_>,
) -> Result<Issued, Error> {
    let cache = cache_for(chain, ctx)?;
    run_with(chain, region, last, ctx, cache.as_ref()).await
}

pub(crate) async fn run_with(
    chain: &Chain,
    region: &str,
    last: Last,
    ctx: &Context<'_>,
    cache: &dyn StepCache,
) -> Result<Issued, Error> {
    let mfa = MfaChooser::new(ctx.mfa_code.clone(), &Terminal);
    run_codes(chain, region, last, ctx, cache, &mfa).await
}

/// As `run_with`, with the caller's source of MFA codes (a rotation needs two).
pub(crate) async fn run_codes(
    chain: &Chain,
    region: &str,
    last: Last,
    ctx: &Context<'_>,
    cache: &dyn StepCache,
    mfa: &dyn MfaCodes,
) -> Result<Issued, Error> {
    let engine = engine(ctx, cache, mfa);
    ui::with_spinner(
        ctx.quiet,
        "waiting for STS…",
        engine.run(chain, region, last),
    )
    .await
}

/// The engine over the real cache without running anything (`credential-process`'s look
/// at the cache, `session --duration`'s forgetting).
pub(crate) fn with_cache<T>(
    ctx: &Context<'_>,
    cache: &Cache,
    f: impl FnOnce(&Engine<'_, SdkConnect, Cache>) -> T,
) -> T {
    let mfa = MfaChooser::new(None, &Terminal);
    f(&engine(ctx, cache, &mfa))
}

/// The CLI's engine: the SDK, the system clock, the command's files and environment.
fn engine<'a, K: StepCache + ?Sized>(
    ctx: &Context<'a>,
    cache: &'a K,
    mfa: &'a dyn MfaCodes,
) -> Engine<'a, SdkConnect, K> {
    Engine {
        connect: &SdkConnect,
        cache,
        mfa,
        clock: &SystemClock,
        files: ctx.files,
        env: ctx.env,
        keys: key_store(),
    }
}

/// The long-term key store of this run, opened when a key is first read or written (the
/// choice is the environment's: `TEMPCREDS_KEY_STORE`, `TEMPCREDS_KEY_STORE_FILE`).
pub(crate) fn key_store() -> &'static keys::Lazy<'static> {
    static STORE: OnceLock<keys::Lazy<'static>> = OnceLock::new();
    STORE.get_or_init(|| {
        keys::Lazy::new(|| {
            let choice = keys::choice(&Env::from_process())?;
            keys::open(&choice, Box::new(ui::StorePassphrase))
        })
    })
}
