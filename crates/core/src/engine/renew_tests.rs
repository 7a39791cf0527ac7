//! Renewal against the fake STS on an injected clock: the lead (default, halved for short
//! sessions, given), one STS call for concurrent callers, re-assuming from the cached MFA
//! session without a code, a failing STS (old credentials served until the mandatory window,
//! then a reason), recovery, and a one-time code never sent twice.

use std::sync::atomic::Ordering;

use time::Duration;
use time::macros::datetime;

use super::fake::FakePrompt;
use super::tests::{World, block_on};
use super::*;

#[test]
fn the_lead_is_fifteen_minutes_halved_for_short_sessions_and_as_given_when_set() {
    let t0 = datetime!(2026-12-01 12:00 UTC);
    let d = RenewPolicy::default();
    assert_eq!(
        d.renew_at(t0, t0 + Duration::hours(1)),
        t0 + Duration::minutes(45)
    );
    assert_eq!(
        d.renew_at(t0, t0 + Duration::minutes(30)),
        t0 + Duration::minutes(15)
    );
    assert_eq!(
        d.renew_at(t0, t0 + Duration::minutes(20)),
        t0 + Duration::minutes(10)
    );
    let given = RenewPolicy::before_seconds(895);
    assert_eq!(
        given.renew_at(t0, t0 + Duration::minutes(15)),
        t0 + Duration::seconds(5)
    );
    assert_eq!(
        RenewPolicy::before_seconds(7200).renew_at(t0, t0 + Duration::hours(1)),
        t0 + Duration::seconds(1),
        "never sooner than a second after"
    );
}

/// Renews a chain through the engine with its last step fresh, as the server does.
struct ViaEngine<'a> {
    w: &'a World,
    chain: Chain,
    mfa: MfaChooser<'a>,
}

impl Renew for ViaEngine<'_> {
    async fn renew(&self) -> Result<Issued, crate::Error> {
        let engine = self.w.engine(&self.mfa);
        engine.run(&self.chain, "eu-west-1", Last::Fresh).await
    }
}

fn renewer<'a>(
    w: &'a World,
    profile: &str,
    mfa: MfaChooser<'a>,
    policy: RenewPolicy,
) -> Renewer<ViaEngine<'a>> {
    let chain = w.chain(profile);
    let first = w.run_chain(&chain, &mfa, Last::MayBeCached).expect("first");
    let now = w.clock.now();
    Renewer::new(policy, ViaEngine { w, chain, mfa }, first, now)
}

/// Profile `lab` (a role through the shared MFA session), the default policy, no code given.
fn lab<'a>(w: &'a World, prompt: &'a FakePrompt) -> Renewer<ViaEngine<'a>> {
    renewer(
        w,
        "lab",
        MfaChooser::new(None, prompt),
        RenewPolicy::default(),
    )
}

fn key_of(a: Answer) -> String {
    match a {
        Answer::Credentials(i) => i.credentials.access_key_id,
        Answer::Unavailable(why) => format!("unavailable: {why}"),
    }
}

#[test]
fn a_role_is_renewed_ahead_from_the_cached_mfa_session_once_for_concurrent_callers() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["111111"]);
    let r = lab(&w, &prompt);
    assert_eq!(w.calls().len(), 2, "MFA session, then the role");
    let first = key_of(r.answer(w.clock.now()));
    w.clock.advance(Duration::minutes(44));
    assert!(!block_on(r.renew_if_due(&w.clock)), "not due yet");
    w.clock.advance(Duration::minutes(1));
    let (a, b) =
        block_on(async { tokio::join!(r.renew_if_due(&w.clock), r.renew_if_due(&w.clock)) });
    assert!(a != b, "one of the two renewed, the other found it done");
    let calls = w.calls();
    assert_eq!(calls.len(), 3, "one STS call: {calls:?}");
    assert!(
        calls[2].starts_with("AssumeRole") && calls[2].contains("as ASIAFAKE1"),
        "{calls:?}"
    );
    assert_eq!(prompt.asked(), 1, "no code: the MFA session was reused");
    assert_ne!(key_of(r.answer(w.clock.now())), first);
    assert_eq!(r.due_at(), w.clock.now() + Duration::minutes(45));
}

/// A request past the renewal's time waits for the renewal another task runs, briefly, and
/// never runs it itself; before that time it does not wait at all.
#[test]
fn settled_waits_for_the_renewal_in_flight_without_running_it() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["111111"]);
    let r = lab(&w, &prompt);
    let short = std::time::Duration::from_millis(50);
    block_on(r.settled(&w.clock, std::time::Duration::from_secs(60)));
    assert_eq!(w.calls().len(), 2, "not due: no wait, no call");
    let first = key_of(r.answer(w.clock.now()));
    w.clock.advance(Duration::minutes(45));
    block_on(r.settled(&w.clock, short));
    assert_eq!(w.calls().len(), 2, "due: waited, ran nothing");
    assert_eq!(key_of(r.answer(w.clock.now())), first);
    let renewed = block_on(async {
        let ((), renewed) = tokio::join!(
            r.settled(&w.clock, std::time::Duration::from_secs(60)),
            r.renew_if_due(&w.clock)
        );
        renewed
    });
    assert!(renewed);
    assert_ne!(
        key_of(r.answer(w.clock.now())),
        first,
        "woken by the renewal"
    );
}

#[test]
fn a_failing_sts_keeps_the_old_credentials_until_the_mandatory_window_then_says_why() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["111111"]);
    let r = lab(&w, &prompt);
    let first = key_of(r.answer(w.clock.now()));
    w.connect.down.store(true, Ordering::SeqCst);
    w.clock.advance(Duration::minutes(45));
    assert!(block_on(r.renew_if_due(&w.clock)));
    assert_eq!(
        key_of(r.answer(w.clock.now())),
        first,
        "15 minutes left: still served"
    );
    assert!(
        !block_on(r.renew_if_due(&w.clock)),
        "retried only after RETRY_AFTER"
    );
    w.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    let why = key_of(r.answer(w.clock.now()));
    assert!(
        why.starts_with("unavailable: renewing the credentials failed: STS"),
        "{why}"
    );
    w.connect.down.store(false, Ordering::SeqCst);
    assert!(
        block_on(r.renew_if_due(&w.clock)),
        "the next renewal recovers"
    );
    assert_ne!(key_of(r.answer(w.clock.now())), first);
}

#[test]
fn a_renewal_that_needs_a_code_takes_mfa_process_or_the_prompt_never_the_given_code_twice() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["222222"]);
    // `long` is assumed directly with MFA (8 h): every renewal needs a new code.
    let r = renewer(
        &w,
        "long",
        MfaChooser::new(Some("999999".into()), &prompt),
        RenewPolicy::default(),
    );
    w.clock.advance(Duration::hours(8) - Duration::minutes(15));
    assert!(block_on(r.renew_if_due(&w.clock)));
    let calls = w.calls();
    assert!(
        calls[0].ends_with("mfa=999999") && calls[1].ends_with("mfa=222222"),
        "{calls:?}"
    );
    // With mfa_process, no one is asked.
    let w2 = World::new();
    let r2 = renewer(
        &w2,
        "piped",
        MfaChooser::new(None, &NoPrompt),
        RenewPolicy::default(),
    );
    w2.clock.advance(Duration::hours(12));
    assert!(block_on(r2.renew_if_due(&w2.clock)));
    let calls = w2.calls();
    assert_eq!(
        calls.len(),
        4,
        "a new MFA session, then the role: {calls:?}"
    );
    assert!(calls[2].ends_with("mfa=654321"), "{calls:?}");
}

/// A renewal whose attempts spend `took` (the SDK's own retries and timeouts) before the
/// engine answers.
struct Slow<'a> {
    inner: ViaEngine<'a>,
    took: Duration,
}

impl Renew for Slow<'_> {
    async fn renew(&self) -> Result<Issued, crate::Error> {
        self.inner.w.clock.advance(self.took);
        self.inner.renew().await
    }
}

#[test]
fn failed_attempts_start_at_most_five_seconds_apart_once_inside_the_mandatory_window() {
    let w = World::new();
    let prompt = FakePrompt::typing(&["111111"]);
    let mfa = MfaChooser::new(None, &prompt);
    let chain = w.chain("lab");
    let first = w.run_chain(&chain, &mfa, Last::MayBeCached).expect("first");
    let inner = ViaEngine { w: &w, chain, mfa };
    let took = Duration::seconds(4);
    let r = Renewer::new(
        RenewPolicy::default(),
        Slow { inner, took },
        first,
        w.clock.now(),
    );
    let t0 = w.clock.now();
    w.connect.down.store(true, Ordering::SeqCst);
    // 15 minutes left: half the time until the mandatory window, at most 30 s.
    w.clock.advance(Duration::minutes(45));
    assert!(block_on(r.renew_if_due(&w.clock)));
    assert_eq!(r.due_at(), t0 + Duration::minutes(45) + RETRY_AFTER);
    // 10 s before the window: 5 s after the attempt started.
    w.clock
        .advance(Duration::minutes(5) - Duration::seconds(14));
    let started = w.clock.now();
    assert!(block_on(r.renew_if_due(&w.clock)));
    assert_eq!(r.due_at(), started + Duration::seconds(5));
    // Inside it: every RETRY_INSIDE from each start, the attempt's own 4 s included.
    w.clock.advance(Duration::seconds(7));
    for _ in 0..3 {
        w.clock
            .advance((r.due_at() - w.clock.now()).max(Duration::ZERO));
        let started = w.clock.now();
        assert!(block_on(r.renew_if_due(&w.clock)));
        assert_eq!(r.due_at(), started + RETRY_INSIDE);
        assert!(matches!(r.answer(w.clock.now()), Answer::Unavailable(_)));
    }
    w.connect.down.store(false, Ordering::SeqCst);
    w.clock
        .advance((r.due_at() - w.clock.now()).max(Duration::ZERO));
    assert!(block_on(r.renew_if_due(&w.clock)));
    assert!(matches!(r.answer(w.clock.now()), Answer::Credentials(_)));
}
