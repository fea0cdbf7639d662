//! The machine driven directly: the polling API, parallel fetches answered
//! in any order, abort, and answers that do not fit the question.

use fedcm_model::machine::browser::{BrowserState, Connection, LoginStatus};
use fedcm_model::machine::fetch::{Credentials, FetchKind, FetchRequest, NetworkError};
use fedcm_model::machine::outcome::{ErrorName, Outcome, Reason};
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::{Flow, Rp, Step};
use fedcm_model::trace::{Event, ResponseResult};
use fedcm_model::{HttpResponse, Profile};
use serde_json::json;
use url::Url;

const CONFIG: &str = r#"{"accounts_endpoint":"/accounts","id_assertion_endpoint":"/assertion","login_url":"/login"}"#;
const ACCOUNTS: &str = r#"{"accounts":[{"id":"1234","name":"John Doe","email":"john@idp.example"}]}"#;

fn rp() -> Rp {
    Rp::new(Url::parse("https://rp.example").unwrap())
}

fn options() -> serde_json::Value {
    json!({"identity": {"providers": [{"configURL": "https://idp.example/config.json", "clientId": "123"}]}})
}

fn logged_in() -> BrowserState {
    let mut b = BrowserState::default();
    b.set_login_status("https://idp.example", LoginStatus::LoggedIn);
    b
}

/// The IdP of these tests.
fn respond(r: &FetchRequest) -> HttpResponse {
    let body = match (r.kind, r.url.path()) {
        (FetchKind::WellKnown, _) => r#"{"provider_urls":["https://idp.example/config.json"]}"#,
        (FetchKind::Config, _) => CONFIG,
        (FetchKind::Accounts, _) => ACCOUNTS,
        (FetchKind::Assertion, _) => r#"{"token":"t0k3n"}"#,
        _ => return HttpResponse::json("").with_status(404),
    };
    HttpResponse::json(body)
        .with_header("access-control-allow-origin", "https://rp.example")
        .with_header("access-control-allow-credentials", "true")
}

/// Collects every request handed out until the machine asks, waits or is done.
fn drain(flow: &mut Flow) -> (Vec<FetchRequest>, Step) {
    let mut out = Vec::new();
    loop {
        match flow.next_step() {
            Step::Fetch(r) => out.push(r),
            other => return (out, other),
        }
    }
}

#[test]
fn parallel_fetches_are_handed_out_together_and_answered_in_any_order() {
    let mut outcomes = Vec::new();
    for reverse in [false, true] {
        let mut flow = Flow::from_json(rp(), logged_in(), &options(), Profile::Spec);
        let (mut batch, step) = drain(&mut flow);
        assert_eq!(step, Step::Idle, "waits for the two manifests");
        assert_eq!(batch.iter().map(|r| r.kind).collect::<Vec<_>>(), [FetchKind::WellKnown, FetchKind::Config]);
        if reverse {
            batch.reverse();
        }
        for r in &batch {
            flow.on_response(r.id, Ok(respond(r)));
        }
        let (batch, step) = drain(&mut flow);
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].kind, FetchKind::Accounts);
        assert_eq!(step, Step::Idle);
        flow.on_response(batch[0].id, Ok(respond(&batch[0])));
        let (_, step) = drain(&mut flow);
        let Step::Ask(Prompt::AccountChooser { accounts, .. }) = step else { panic!("{step:?}") };
        assert_eq!(accounts[0].account_id, "1234");
        flow.on_user(UserAction::Choose { account_id: "1234".into(), config_url: None }).unwrap();
        let (batch, _) = drain(&mut flow);
        flow.on_response(batch[0].id, Ok(respond(&batch[0])));
        outcomes.push(flow.outcome().cloned().unwrap());
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert_eq!(outcomes[0].credential().unwrap().token(), &json!("t0k3n"));
}

#[test]
fn the_question_is_repeated_until_answered_and_wrong_answers_change_nothing() {
    let mut flow = Flow::from_json(rp(), logged_in(), &options(), Profile::Spec);
    for _ in 0..3 {
        let (batch, _) = drain(&mut flow);
        for r in &batch {
            flow.on_response(r.id, Ok(respond(r)));
        }
    }
    let first = flow.next_step();
    assert!(matches!(first, Step::Ask(Prompt::AccountChooser { .. })));
    assert_eq!(flow.next_step(), first);
    let err = flow.on_user(UserAction::Choose { account_id: "nobody".into(), config_url: None }).unwrap_err();
    assert_eq!(err.prompt(), Some("account-chooser"));
    assert!(flow.on_user(UserAction::Resolve { token: json!(1), account_id: None }).is_err());
    assert_eq!(flow.next_step(), first, "still asking");
    flow.on_user(UserAction::Cancel).unwrap();
    let Step::Done(Outcome::Reject { error }) = flow.next_step() else { panic!() };
    assert_eq!((error.name, error.reason, error.delayed), (ErrorName::NetworkError, Reason::UserCancelled, false));
    assert!(flow.on_user(UserAction::Cancel).is_err(), "nothing is asked once settled");
}

#[test]
fn abort_settles_at_once_and_later_responses_are_ignored() {
    let mut flow = Flow::from_json(rp(), logged_in(), &options(), Profile::Spec);
    let (batch, _) = drain(&mut flow);
    flow.abort();
    let Step::Done(Outcome::Reject { error }) = flow.next_step() else { panic!() };
    assert_eq!(error.name, ErrorName::AbortError);
    flow.on_response(batch[0].id, Ok(respond(&batch[0])));
    assert!(matches!(flow.trace().events.last(), Some(Event::Response { result: ResponseResult::Ignored, .. })));
    assert_eq!(flow.trace().requests().count(), 2, "no request after the abort");
}

#[test]
fn accounts_request_carries_cookies_but_not_the_rp_and_manifests_carry_neither() {
    let mut flow = Flow::from_json(rp(), logged_in(), &options(), Profile::Spec);
    let (batch, _) = drain(&mut flow);
    for r in &batch {
        assert_eq!(r.credentials, Credentials::Omit);
        assert_eq!(r.origin, None);
        assert_eq!(r.header("Sec-Fetch-Dest"), Some("webidentity"));
        flow.on_response(r.id, Ok(respond(r)));
    }
    let (batch, _) = drain(&mut flow);
    let accounts = &batch[0];
    assert_eq!(accounts.credentials, Credentials::Include);
    assert_eq!(accounts.origin, None);
    assert_eq!(accounts.header("Origin"), None);
    assert_eq!(accounts.header("Referer"), None);
    assert!(!accounts.url.as_str().contains("123"), "no client_id in the accounts URL");
}

#[test]
fn silent_mediation_without_a_connection_sends_nothing() {
    let mut o = options();
    o["mediation"] = json!("silent");
    for profile in Profile::ALL {
        let mut flow = Flow::from_json(rp(), logged_in(), &o, profile);
        let (batch, step) = drain(&mut flow);
        assert!(batch.is_empty(), "{profile}");
        let rejection = match step {
            Step::Wait(t) => {
                assert_eq!(profile, Profile::Spec, "the spec delays this rejection");
                flow.on_timer(t.id);
                flow.outcome().unwrap().rejection().unwrap().clone()
            }
            Step::Done(o) => o.rejection().unwrap().clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(rejection.name, ErrorName::NetworkError);
    }
}

#[test]
fn auto_reauthentication_uses_the_only_returning_account_without_asking() {
    let mut browser = logged_in();
    browser.connect(Connection {
        embedder: "https://rp.example".into(),
        rp: "https://rp.example".into(),
        idp: "https://idp.example".into(),
        account: "1234".into(),
    });
    let mut flow = Flow::from_json(rp(), browser, &options(), Profile::Spec);
    loop {
        match flow.next_step() {
            Step::Fetch(r) => flow.on_response(r.id, Ok(respond(&r))),
            Step::Done(o) => {
                assert!(o.credential().unwrap().is_auto_selected());
                break;
            }
            other => panic!("asked or waited: {other:?}"),
        }
    }
    let assertion = flow.trace().requests().find(|r| r.kind == FetchKind::Assertion).unwrap();
    assert_eq!(assertion.form_field("is_auto_selected").as_deref(), Some("true"));
    assert_eq!(assertion.form_field("account_id").as_deref(), Some("1234"));
}

#[test]
fn an_assertion_network_error_is_an_identity_credential_error_after_the_dialog() {
    let mut flow = Flow::from_json(rp(), logged_in(), &options(), Profile::Spec);
    loop {
        match flow.next_step() {
            Step::Fetch(r) if r.kind == FetchKind::Assertion => flow.on_response(r.id, Err(NetworkError::new("reset"))),
            Step::Fetch(r) => flow.on_response(r.id, Ok(respond(&r))),
            Step::Ask(Prompt::AccountChooser { .. }) => {
                flow.on_user(UserAction::Choose { account_id: "1234".into(), config_url: None }).unwrap()
            }
            Step::Ask(Prompt::ErrorDialog { code, url }) => {
                assert_eq!((code.as_str(), url), ("", None));
                assert!(flow.outcome().is_none(), "no rejection before the dialog is dismissed");
                flow.on_user(UserAction::Dismiss).unwrap();
            }
            Step::Done(o) => {
                let e = o.rejection().unwrap();
                assert_eq!(
                    (e.name, e.code.as_deref(), e.url.as_deref()),
                    (ErrorName::IdentityCredentialError, Some(""), Some(""))
                );
                break;
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn invalid_options_settle_immediately_with_the_javascript_error() {
    let mut flow =
        Flow::from_json(rp(), logged_in(), &json!({"identity": {"providers": [{"clientId": "1"}]}}), Profile::Spec);
    let Step::Done(Outcome::Reject { error }) = flow.next_step() else { panic!() };
    assert_eq!((error.name, error.reason), (ErrorName::TypeError, Reason::InvalidOptions));
    assert_eq!(error.problems[0].field.as_deref(), Some("identity.providers[0].configURL"));
}

/// The options' warnings follow the validation state in the order they were
/// found. (They were once inserted one by one at a fixed index, which
/// reversed them.)
#[test]
fn request_warnings_are_traced_in_the_order_found() {
    let options = json!({"identity": {"providers": [
        {"configURL": "https://idp.example/config.json", "clientId": "1", "nonce": "a"},
        {"configURL": "https://idp2.example/config.json", "clientId": "2", "nonce": "b"}
    ]}});
    let flow = Flow::from_json(rp(), logged_in(), &options, Profile::Spec);
    let notes: Vec<&str> = flow
        .trace()
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Note { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("providers[0].nonce") && notes[1].contains("providers[1].nonce"), "{notes:?}");
}
