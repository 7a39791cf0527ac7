//! The engine against the fake STS, with a real cache in a temporary directory and an
//! injected clock: cache hits and refreshes, the five-minute margin, resuming after the
//! deepest cached step, the order of MFA code sources, the role-chaining caps.

use time::Duration;

use super::fake::{FakeClock, FakeConnect, FakePrompt, calls, keys};
use super::*;
use crate::cache::{Cache, KeyStore};
use crate::profile::{Profiles, resolve};
use crate::rules;
use crate::{Env, Error, Origin};

const ALICE: &str = "arn:aws:iam::111111111111:mfa/alice";

fn config() -> String {
    format!(
        "[profile base]\nmfa_serial = {ALICE}\n\
         [profile lab]\nrole_arn = arn:aws:iam::222222222222:role/Lab\nsource_profile = base\nmfa_serial = {ALICE}\n\
         [profile dev]\nrole_arn = arn:aws:iam::222222222222:role/Dev\nsource_profile = base\nmfa_serial = {ALICE}\n\
         [profile long]\nrole_arn = arn:aws:iam::222222222222:role/Long\nsource_profile = base\nmfa_serial = {ALICE}\nduration_seconds = 8h\n\
         [profile next]\nrole_arn = arn:aws:iam::333333333333:role/Next\nsource_profile = lab\n\
         [profile piped]\nrole_arn = arn:aws:iam::222222222222:role/Piped\nsource_profile = keyed\nmfa_serial = {ALICE}\nmfa_process = echo 654321\n\
         [profile keyed]\n"
    )
}

const CREDENTIALS: &str = "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n\
                           [keyed]\naws_access_key_id = AKIAKEYED\naws_secret_access_key = s\n";

pub(super) struct World {
    _tmp: tempfile::TempDir,
    pub(super) clock: FakeClock,
    pub(super) connect: FakeConnect,
    pub(super) cache: Cache,
    pub(super) files: Files,
    pub(super) env: Env,
    pub(super) keys: crate::keys::MemoryStore,
}

impl World {
    pub(super) fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tmp");
        let cache = Cache::open(
            tmp.path().join("cache"),
            KeyStore::File(tmp.path().join("cache.key")),
        )
        .expect("cache");
        let clock = FakeClock::new();
        Self {
            connect: FakeConnect::new(&clock),
            clock,
            cache,
            files: Files {
                config: config(),
                credentials: CREDENTIALS.to_owned(),
            },
            env: Env::default(),
            keys: crate::keys::MemoryStore::default(),
            _tmp: tmp,
        }
    }

    pub(super) fn chain(&self, profile: &str) -> Chain {
        let p = Profiles::from_texts(&self.files.config, &self.files.credentials);
        resolve(&p, profile, None).expect("resolves")
    }

    pub(super) fn run_chain(
        &self,
        chain: &Chain,
        mfa: &dyn MfaCodes,
        last: Last,
    ) -> Result<Issued, Error> {
        block_on(self.engine(mfa).run(chain, "eu-west-1", last))
    }

    /// The engine on this world's fake STS, cache, clock, files and environment.
    pub(super) fn engine<'a>(&'a self, mfa: &'a dyn MfaCodes) -> Engine<'a, FakeConnect, Cache> {
        Engine {
            connect: &self.connect,
            cache: &self.cache,
            mfa,
            clock: &self.clock,
            files: &self.files,
            env: &self.env,
            keys: &self.keys,
        }
    }

    fn run(&self, profile: &str, mfa: &dyn MfaCodes) -> Result<Issued, Error> {
        self.run_chain(&self.chain(profile), mfa, Last::MayBeCached)
    }

    pub(super) fn calls(&self) -> Vec<String> {
        calls(&self.connect.log)
    }
}

pub(super) fn block_on<T>(f: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn one_code_for_every_role_then_all_from_the_cache() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["111111"]);
    let mfa = MfaChooser::new(None, &prompt);
    let lab = w.run("lab", &mfa).expect("lab");
    assert_eq!(
        w.calls(),
        [
            "GetSessionToken as AKIABASE mfa=111111",
            "AssumeRole arn:aws:iam::222222222222:role/Lab as ASIAFAKE1 duration=None"
        ]
    );
    assert_eq!(
        lab.assumed_role_arn.as_deref(),
        Some("arn:aws:sts::222222222222:assumed-role/Lab/tempcreds-1796126400")
    );
    assert_eq!(
        lab.credentials.origin,
        Origin::AssumedRole { chained: true }
    );
    w.run("dev", &mfa).expect("dev");
    assert_eq!(w.calls().len(), 3, "dev reuses the MFA session");
    assert_eq!(prompt.asked(), 1);
    let again = w.run("lab", &mfa).expect("again");
    assert_eq!(w.calls().len(), 3, "served from the cache");
    assert_eq!(
        again.credentials.access_key_id,
        lab.credentials.access_key_id
    );
    assert_eq!(
        again.assumed_role_arn, lab.assumed_role_arn,
        "the cache keeps the ARN"
    );
}

#[test]
fn the_cached_fast_path_needs_no_client() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["111111"]);
    let mfa = MfaChooser::new(None, &prompt);
    let engine = w.engine(&mfa);
    assert!(engine.cached(&w.chain("lab")).is_none());
    w.run("lab", &mfa).expect("lab");
    let hit = engine.cached(&w.chain("lab")).expect("hit");
    assert!(hit.assumed_role_arn.is_some());
    assert_eq!(w.calls().len(), 2);
}

#[test]
fn within_five_minutes_of_expiry_the_role_is_renewed_from_the_cached_session() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["111111"]);
    let mfa = MfaChooser::new(None, &prompt);
    w.run("lab", &mfa).expect("lab");
    w.clock.advance(Duration::minutes(54));
    w.run("lab", &mfa).expect("still cached");
    assert_eq!(w.calls().len(), 2, "6 minutes left: served");
    w.clock.advance(Duration::minutes(1) + Duration::seconds(1));
    w.run("lab", &mfa).expect("renewed");
    let c = w.calls();
    assert_eq!(c.len(), 3, "{c:?}");
    assert!(
        c[2].starts_with("AssumeRole") && c[2].contains("as ASIAFAKE1"),
        "{c:?}"
    );
    assert_eq!(
        prompt.asked(),
        1,
        "no second code: the MFA session is resumed"
    );
    // 12 hours later the MFA session is gone too: a new code.
    w.clock.advance(Duration::hours(12));
    let prompt2 = FakePrompt::typing(&["222222"]);
    w.run("lab", &MfaChooser::new(None, &prompt2))
        .expect("new session");
    assert_eq!(w.calls()[3], "GetSessionToken as AKIABASE mfa=222222");
}

#[test]
fn resumes_after_the_deepest_cached_step() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["111111"]);
    let mfa = MfaChooser::new(None, &prompt);
    w.run("next", &mfa).expect("next");
    assert_eq!(w.calls().len(), 3, "session, lab, next");
    // Forget only the last role: the engine starts from the cached lab role.
    w.engine(&mfa)
        .forget_last(&w.chain("next"))
        .expect("forget");
    w.run("next", &mfa).expect("again");
    let c = w.calls();
    assert_eq!(c.len(), 4);
    assert!(
        c[3].contains("role/Next as ASIAFAKE2"),
        "from lab's credentials: {c:?}"
    );
}

#[test]
fn fresh_last_calls_the_last_step_even_when_cached() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["111111"]);
    let mfa = MfaChooser::new(None, &prompt);
    w.run("lab", &mfa).expect("lab");
    w.run_chain(&w.chain("lab"), &mfa, Last::Fresh)
        .expect("fresh");
    let c = w.calls();
    assert_eq!(c.len(), 3, "{c:?}");
    assert!(
        c[2].contains("role/Lab as ASIAFAKE1"),
        "the session is still reused: {c:?}"
    );
}

#[test]
fn mfa_codes_come_from_the_flag_once_then_mfa_process_then_the_prompt() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["333333"]);
    let mfa = MfaChooser::new(Some("999999".into()), &prompt);
    w.run("long", &mfa).expect("long");
    assert!(w.calls()[0].ends_with("mfa=999999"), "the given code first");
    w.run("piped", &mfa).expect("piped");
    assert!(
        w.calls()[1] == "GetSessionToken as AKIAKEYED mfa=654321",
        "the given code is not sent twice; mfa_process next: {:?}",
        w.calls()
    );
    assert_eq!(prompt.asked(), 0);
    w.clock.advance(Duration::hours(9));
    w.run("long", &mfa).expect("long again");
    assert!(
        w.calls()[3].ends_with("mfa=333333"),
        "then the prompt: {:?}",
        w.calls()
    );
    assert_eq!(prompt.asked(), 1);
}

#[test]
fn a_role_over_one_hour_with_mfa_is_assumed_directly_from_the_keys() {
    let w = World::new();
    let mfa = MfaChooser::new(Some("123456".into()), &NoPrompt);
    let c = w.run("long", &mfa).expect("long");
    assert_eq!(
        w.calls(),
        [
            "AssumeRole arn:aws:iam::222222222222:role/Long as AKIABASE duration=Some(28800) mfa=123456"
        ]
    );
    assert_eq!(c.credentials.origin, Origin::AssumedRole { chained: false });
}

fn flags_role(duration: u32, over_cap: OverChainingCap) -> Chain {
    Chain {
        profiles: Vec::new(),
        source: Source::Sdk(SdkSource::DefaultChain { profile: None }),
        steps: vec![Step::AssumeRole(RoleStep {
            profile: None,
            role_arn: rules::role_arn("r", "arn:aws:iam::222222222222:role/Lab").expect("arn"),
            session_name: Some("alice".into()),
            external_id: None,
            mfa: None,
            duration_seconds: Some(duration),
            over_cap,
            extras: RoleExtras::default(),
        })],
        region: None,
    }
}

#[test]
fn role_chaining_cap_refuses_or_caps_before_sending() {
    let w = World::new();
    let mfa = MfaChooser::new(None, &NoPrompt);
    // The SDK source of the fake is temporary: over one hour is role chaining.
    let e = w
        .run_chain(
            &flags_role(7200, OverChainingCap::Refuse),
            &mfa,
            Last::MayBeCached,
        )
        .expect_err("refused");
    assert_eq!(e.exit_code(), 2);
    match &e {
        Error::Invalid(i) => assert_eq!(i.field, rules::Field::Duration, "{e}"),
        other => panic!("wanted a refusal naming the duration: {other}"),
    }
    assert!(e.to_string().contains("must be at most 3600"), "{e}");
    assert!(w.calls().is_empty(), "nothing sent");
    w.run_chain(
        &flags_role(7200, OverChainingCap::Cap),
        &mfa,
        Last::MayBeCached,
    )
    .expect("capped");
    assert_eq!(
        w.calls(),
        ["AssumeRole arn:aws:iam::222222222222:role/Lab as ASIASDK duration=Some(3600)"]
    );
    // A flags role is never cached.
    w.run_chain(
        &flags_role(3600, OverChainingCap::Refuse),
        &mfa,
        Last::MayBeCached,
    )
    .expect("again");
    assert_eq!(w.calls().len(), 2);
}

#[test]
fn federation_needs_long_term_keys() {
    let mut w = World::new();
    let mfa = MfaChooser::new(None, &NoPrompt);
    let step = Step::FederationToken(FederationStep {
        name: "alice".into(),
        duration_seconds: Some(3600),
        policy: Some("{}".into()),
        policy_arns: Vec::new(),
    });
    let mut chain = w.chain("keyed");
    chain.steps.push(step.clone());
    w.run_chain(&chain, &mfa, Last::Fresh)
        .expect("from long-term keys");
    assert_eq!(w.calls(), ["GetFederationToken alice as AKIAKEYED"]);
    w.connect.sdk_caller = keys("ASIATEMP", true, None);
    let chain = Chain {
        steps: vec![step],
        ..flags_role(900, OverChainingCap::Refuse)
    };
    let e = w
        .run_chain(&chain, &mfa, Last::Fresh)
        .expect_err("temporary");
    assert!(e.to_string().contains("long-term"), "{e}");
    assert_eq!(w.calls().len(), 1);
}

#[test]
fn environment_source_reads_the_variables() {
    let mut w = World::new();
    w.files.config.push_str(
        "[profile envrole]\nrole_arn = arn:aws:iam::222222222222:role/Env\ncredential_source = Environment\n",
    );
    w.env = Env::from_pairs([
        ("AWS_ACCESS_KEY_ID", "AKIAENV"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
    ]);
    let mfa = MfaChooser::new(None, &NoPrompt);
    w.run("envrole", &mfa).expect("env");
    assert_eq!(
        w.calls(),
        ["AssumeRole arn:aws:iam::222222222222:role/Env as AKIAENV duration=None"]
    );
    w.env = Env::default();
    w.clock.advance(Duration::hours(2));
    let e = w.run("envrole", &mfa).expect_err("no variables");
    assert!(e.to_string().contains("AWS_ACCESS_KEY_ID"), "{e}");
}

#[test]
fn no_prompt_and_no_process_is_a_clear_refusal() {
    let w = World::new();
    let e = w
        .run("lab", &MfaChooser::new(None, &NoPrompt))
        .expect_err("no code");
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains(ALICE), "{e}");
    assert!(w.calls().is_empty());
}

#[test]
fn commands_never_show_in_debug_or_display() {
    let w = World::new();
    let chain = w.chain("piped");
    for text in [format!("{chain:?}"), chain.to_string()] {
        assert!(!text.contains("echo 654321"), "{text}");
    }
}
