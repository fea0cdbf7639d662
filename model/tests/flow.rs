//! The machine driven directly: the polling API, parallel fetches answered
//! in any order, abort, and answers that do not fit the question.

use fedcm_check::drive::{collect, Actor, Closures, Driver};
use fedcm_check::fixtures::{self, rp, IDP, IDP_CONFIG_URL, RP};
use fedcm_model::machine::browser::{BrowserState, Connection, LoginStatus};
use fedcm_model::machine::fetch::{Credentials, FetchKind, FetchRequest, FetchResult, NetworkError};
use fedcm_model::machine::outcome::{ErrorName, Outcome, Reason};
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::{Flow, Step};
use fedcm_model::trace::{Event, ResponseResult};
use fedcm_model::{HttpResponse, Profile};
use serde_json::json;

const ACCOUNTS: &str = r#"{"accounts":[{"id":"1234","name":"John Doe","email":"john@idp.example"}]}"#;

fn options() -> serde_json::Value {
    json!({"identity": {"providers": [{"configURL": IDP_CONFIG_URL, "clientId": "123"}]}})
}

fn logged_in() -> BrowserState {
    let mut b = BrowserState::default();
    b.set_login_status(IDP, LoginStatus::LoggedIn);
    b
}

/// The IdP of these tests.
fn respond(r: &FetchRequest) -> HttpResponse {
    let body = match (r.kind, r.url.path()) {
        (FetchKind::WellKnown, _) => r#"{"provider_urls":["https://idp.example/config.json"]}"#,
        (FetchKind::Config, _) => fixtures::CONFIG,
        (FetchKind::Accounts, _) => ACCOUNTS,
        (FetchKind::Assertion, _) => r#"{"token":"t0k3n"}"#,
        _ => return HttpResponse::json("").with_status(404),
    };
    fixtures::cors_json(body)
}

#[test]
fn parallel_fetches_are_handed_out_together_and_answered_in_any_order() {
    let mut outcomes = Vec::new();
    for reverse in [false, true] {
        let mut flow = Flow::from_json(rp(), logged_in(), &options(), Profile::Spec);
        let (mut batch, step) = collect(&mut flow);
        assert_eq!(step, Step::Idle, "waits for the two manifests");
        assert_eq!(batch.iter().map(|r| r.kind).collect::<Vec<_>>(), [FetchKind::WellKnown, FetchKind::Config]);
        if reverse {
            batch.reverse();
        }
        for r in &batch {
            flow.on_response(r.id, Ok(respond(r)));
        }
        let (batch, step) = collect(&mut flow);
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].kind, FetchKind::Accounts);
        assert_eq!(step, Step::Idle);
        flow.on_response(batch[0].id, Ok(respond(&batch[0])));
        let (_, step) = collect(&mut flow);
        let Step::Ask(prompt) = &step else { panic!("{step:?}") };
        let Prompt::AccountChooser { accounts, .. } = prompt.as_ref() else { panic!("{step:?}") };
        assert_eq!(accounts[0].account_id, "1234");
        flow.on_user(UserAction::Choose { account_id: "1234".into(), config_url: None }).unwrap();
        let (batch, _) = collect(&mut flow);
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
        let (batch, _) = collect(&mut flow);
        for r in &batch {
            flow.on_response(r.id, Ok(respond(r)));
        }
    }
    let first = flow.next_step();
    assert!(matches!(&first, Step::Ask(p) if matches!(**p, Prompt::AccountChooser { .. })));
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
    let (batch, _) = collect(&mut flow);
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
    let (batch, _) = collect(&mut flow);
    for r in &batch {
        assert_eq!(r.credentials, Credentials::Omit);
        assert_eq!(r.origin, None);
        assert_eq!(r.header("Sec-Fetch-Dest"), Some("webidentity"));
        flow.on_response(r.id, Ok(respond(r)));
    }
    let (batch, _) = collect(&mut flow);
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
        let (batch, step) = collect(&mut flow);
        assert!(batch.is_empty(), "{profile}");
        let rejection = match step {
            Step::Wait(t) => {
                assert!(matches!(profile, Profile::Spec | Profile::Spec2024), "the spec delays this rejection");
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
    browser.connect(Connection { embedder: RP.into(), rp: RP.into(), idp: IDP.into(), account: "1234".into() });
    let mut flow = Flow::from_json(rp(), browser, &options(), Profile::Spec);
    let mut idp = Closures {
        respond: |r: &FetchRequest| Ok(respond(r)),
        answer: |p: &Prompt| -> UserAction { panic!("asked: {p:?}") },
    };
    let o = Driver::new().without_timers().run(&mut flow, &mut idp).expect("settles without waiting");
    assert!(o.credential().unwrap().is_auto_selected());
    let assertion = flow.trace().requests().find(|r| r.kind == FetchKind::Assertion).unwrap();
    assert_eq!(assertion.form_field("is_auto_selected").as_deref(), Some("true"));
    assert_eq!(assertion.form_field("account_id").as_deref(), Some("1234"));
}

#[test]
fn an_assertion_network_error_is_an_identity_credential_error_after_the_dialog() {
    /// The IdP fails the assertion; the person picks 1234 and dismisses
    /// the error dialog.
    struct Person;
    impl Actor for Person {
        fn respond(&mut self, r: &FetchRequest) -> FetchResult {
            match r.kind {
                FetchKind::Assertion => Err(NetworkError::new("reset")),
                _ => Ok(respond(r)),
            }
        }
        fn answer(&mut self, prompt: &Prompt, flow: &Flow) -> UserAction {
            match prompt {
                Prompt::AccountChooser { .. } => UserAction::Choose { account_id: "1234".into(), config_url: None },
                Prompt::ErrorDialog { code, url } => {
                    assert_eq!((code.as_str(), url), ("", &None));
                    assert!(flow.outcome().is_none(), "no rejection before the dialog is dismissed");
                    UserAction::Dismiss
                }
                other => panic!("{other:?}"),
            }
        }
    }
    let mut flow = Flow::from_json(rp(), logged_in(), &options(), Profile::Spec);
    let o = Driver::new().without_timers().run(&mut flow, &mut Person).expect("settles");
    let e = o.rejection().unwrap();
    assert_eq!((e.name, e.code.as_deref(), e.url.as_deref()), (ErrorName::IdentityCredentialError, Some(""), Some("")));
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
        {"configURL": IDP_CONFIG_URL, "clientId": "1", "nonce": "a"},
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

/// WebIDL conversion throws before any step reads the converted values:
/// a provider that is not a dictionary is a `TypeError`, even when an
/// earlier provider's `configURL` would fail Chromium's own check.
#[test]
fn a_conversion_error_comes_before_the_checks_of_the_values() {
    let o =
        json!({"identity": {"providers": [{"configURL": "\"https://idp.example/config.json\"", "clientId": "c"}, ""]}});
    for profile in Profile::ALL {
        let mut flow = Flow::from_json(rp(), logged_in(), &o, profile);
        let (batch, step) = collect(&mut flow);
        assert!(batch.is_empty(), "{profile}");
        let Step::Done(outcome) = step else { panic!("{profile}: {step:?}") };
        assert_eq!(outcome.rejection().unwrap().name, ErrorName::TypeError, "{profile}");
    }
}
