//! The machine stays linear in the number of providers.
//!
//! A `get()` with thousands of providers used to cost quadratic time: every
//! response looked its request up by scanning the whole trace, every settled
//! provider re-checked all the others, and the duplicate check compared
//! every pair. Time is not asserted here (no clocks in tests); the
//! machine's own count of the entries its bookkeeping visits
//! ([`Flow::work`]) is, and so is the trace's length. Both must grow like
//! the input: four times the providers, at most ~four times the work.

use fedcm_check::invariants;
use fedcm_model::machine::browser::{BrowserState, LoginStatus};
use fedcm_model::machine::fetch::FetchKind;
use fedcm_model::machine::prompt::UserAction;
use fedcm_model::machine::{Flow, Rp, Step};
use fedcm_model::{HttpResponse, Profile};
use serde_json::json;
use url::Url;

const RP: &str = "https://rp.example";

fn origin(i: usize) -> String {
    format!("https://idp{i}.example")
}

/// A sign-in over `n` providers on `n` IdP origins, each logged in with one
/// account; the person picks provider 0's account. Returns the finished flow.
fn sign_in(n: usize) -> Flow {
    let providers: Vec<_> =
        (0..n).map(|i| json!({"configURL": format!("{}/config.json", origin(i)), "clientId": "c"})).collect();
    let mut browser = BrowserState::default();
    for i in 0..n {
        browser.set_login_status(&origin(i), LoginStatus::LoggedIn);
    }
    let rp = Rp::new(Url::parse(RP).expect("valid"));
    let options = json!({"identity": {"providers": providers}});
    let mut flow = Flow::from_json(rp, browser, &options, Profile::Spec);
    let config =
        json!({"accounts_endpoint": "/accounts", "id_assertion_endpoint": "/assertion", "login_url": "/login"});
    for _ in 0..20 * n + 100 {
        match flow.next_step() {
            Step::Fetch(r) => {
                let body = match r.kind {
                    FetchKind::WellKnown => json!({"provider_urls": [format!("{}/config.json", origin(r.provider))]}),
                    FetchKind::Config => config.clone(),
                    FetchKind::Accounts => {
                        json!({"accounts": [{"id": format!("a{}", r.provider), "name": "N", "email": "n@x.example"}]})
                    }
                    FetchKind::Assertion => json!({"token": "t"}),
                    other => panic!("unexpected {other:?} request"),
                };
                let response = HttpResponse::json(body.to_string())
                    .with_header("access-control-allow-origin", RP)
                    .with_header("access-control-allow-credentials", "true");
                flow.on_response(r.id, Ok(response));
            }
            Step::Ask(_) => {
                flow.on_user(UserAction::Choose { account_id: "a0".into(), config_url: None }).expect("a0 is shown")
            }
            Step::Done(_) => return flow,
            other => panic!("unexpected step {other:?}"),
        }
    }
    panic!("{n} providers did not settle");
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
        (0..2000).map(|i| json!({"configURL": format!("{}/config.json", origin(i)), "clientId": "c"})).collect();
    providers.push(json!({"configURL": format!("{}/other.json", origin(1234)), "clientId": "c"}));
    let rp = Rp::new(Url::parse(RP).expect("valid"));
    let options = json!({"identity": {"providers": providers}});
    let mut flow = Flow::from_json(rp, BrowserState::default(), &options, Profile::Spec);
    let Step::Done(outcome) = flow.next_step() else { panic!("not rejected at once") };
    let error = outcome.rejection().expect("rejected");
    assert_eq!(error.reason.id(), "duplicate-provider");
    assert!(error.message.contains("providers 1234 and 2000"), "{}", error.message);
}
