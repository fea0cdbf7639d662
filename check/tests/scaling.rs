//! The machine stays linear in the number of providers.
//!
//! A `get()` with thousands of providers used to cost quadratic time: every
//! response looked its request up by scanning the whole trace, every settled
//! provider re-checked all the others, and the duplicate check compared
//! every pair. Time is not asserted here (no clocks in tests); the
//! machine's own count of the entries its bookkeeping visits
//! ([`Flow::work`]) is, and so is the trace's length. Both must grow like
//! the input: four times the providers, at most ~four times the work.

use fedcm_check::drive::Driver;
use fedcm_check::fixtures::{self, idp_origin};
use fedcm_check::invariants;
use fedcm_model::machine::browser::BrowserState;
use fedcm_model::machine::prompt::UserAction;
use fedcm_model::machine::{Flow, Step};
use fedcm_model::Profile;
use serde_json::json;

/// A sign-in over `n` providers on `n` IdP origins, each logged in with one
/// account; the person picks provider 0's account. Returns the finished flow.
fn sign_in(n: usize) -> Flow {
    let (options, browser) = fixtures::many_providers(n);
    let mut flow = Flow::from_json(fixtures::rp(), browser, &options, Profile::Spec);
    let mut idp = fedcm_check::drive::Closures {
        respond: fixtures::many_providers_response,
        answer: |_: &_| UserAction::Choose { account_id: "a0".into(), config_url: None },
    };
    Driver::new()
        .without_timers()
        .max_steps(20 * n + 100)
        .run(&mut flow, &mut idp)
        .unwrap_or_else(|stuck| panic!("{n} providers did not settle: {stuck}"));
    flow
}

#[test]
fn many_providers_cost_linear_work() {
    let (small, large) = (250, 1000);
    let a = sign_in(small);
    let b = sign_in(large);
    for flow in [&a, &b] {
        let token = flow.outcome().and_then(|o| o.credential()).map(|c| c.token().clone());
        assert_eq!(token, Some(json!("t")));
        assert_eq!(invariants::check_all(flow.trace()), []);
    }
    let ratio = |x: u64, y: u64| y as f64 / x as f64;
    let scale = (large / small) as f64;
    let events = ratio(a.trace().events.len() as u64, b.trace().events.len() as u64);
    let work = ratio(a.work(), b.work());
    assert!(events <= scale * 1.1, "trace grew {events:.2}x for {scale}x the providers");
    assert!(work <= scale * 1.1, "bookkeeping work grew {work:.2}x for {scale}x the providers");
    // A constant per provider, too: one scan of the trace (or of the
    // providers) per response would put this in the hundreds.
    let per_provider = b.work() as f64 / large as f64;
    assert!(per_provider <= 16.0, "{per_provider:.1} entries visited per provider");
}

#[test]
fn duplicates_are_still_found_among_many_providers() {
    let mut providers: Vec<_> =
        (0..2000).map(|i| json!({"configURL": format!("{}/config.json", idp_origin(i)), "clientId": "c"})).collect();
    providers.push(json!({"configURL": format!("{}/other.json", idp_origin(1234)), "clientId": "c"}));
    let options = json!({"identity": {"providers": providers}});
    let mut flow = Flow::from_json(fixtures::rp(), BrowserState::default(), &options, Profile::Spec);
    let Step::Done(outcome) = flow.next_step() else { panic!("not rejected at once") };
    let error = outcome.rejection().expect("rejected");
    assert_eq!(error.reason.id(), "duplicate-provider");
    assert!(error.message.contains("providers 1234 and 2000"), "{}", error.message);
}
