//! The invariants on traces no correct machine writes: a checker reports a
//! violation, it never panics.

use fedcm_check::drive::drive;
use fedcm_check::fixtures::{self, IDP, IDP_CONFIG_URL};
use fedcm_check::invariants;
use fedcm_model::machine::browser::{BrowserState, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult};
use fedcm_model::machine::prompt::UserAction;
use fedcm_model::machine::Flow;
use fedcm_model::trace::Event;
use fedcm_model::{HttpResponse, Profile};
use serde_json::json;

/// One logged-in IdP with one account, `1234`.
fn respond(r: &FetchRequest) -> FetchResult {
    let body = match r.kind {
        FetchKind::WellKnown => json!({ "provider_urls": [IDP_CONFIG_URL] }).to_string(),
        FetchKind::Config => fixtures::CONFIG.to_string(),
        FetchKind::Accounts => json!({"accounts": [{"id": "1234", "name": "John Doe"}]}).to_string(),
        FetchKind::Assertion => json!({"token": "t0k3n"}).to_string(),
        _ => return Ok(HttpResponse::json("").with_status(404)),
    };
    Ok(fixtures::cors_json(body))
}

/// The invariants read provider indices from the trace; a trace that names
/// a provider the options do not have is reported, never a panic. (Moved
/// here from `model/tests/flow.rs` with the invariants.)
#[test]
fn invariants_report_a_provider_the_options_lack_instead_of_panicking() {
    let mut browser = BrowserState::default();
    browser.set_login_status(IDP, LoginStatus::LoggedIn);
    let options = json!({"identity": {"providers": [{"configURL": IDP_CONFIG_URL, "clientId": "123"}]}});
    let mut flow = Flow::from_json(fixtures::rp(), browser, &options, Profile::Spec);
    drive(&mut flow, respond, |_| UserAction::Choose { account_id: "1234".into(), config_url: None })
        .expect("the sign-in settles");
    let mut trace = flow.trace().clone();
    for e in &mut trace.events {
        if let Event::Request { request } = e {
            std::sync::Arc::make_mut(request).provider = 7;
        }
    }
    let violations = invariants::check_all(&trace);
    assert!(
        violations.iter().any(|v| v.message.contains("names provider 7, but the options have 1")),
        "{violations:?}"
    );
}
