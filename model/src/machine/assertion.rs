//! "fetch an identity assertion" (spec `#fetch-identity-assertion`): the
//! credentialed CORS POST for the chosen account, and what its response
//! leads to: a token, the error dialog, or a continuation pop-up.

use super::continuation::Continuation;
use super::control::Control;
use super::fetch::{FetchKind, FetchRequest, FetchResult, RequestId};
use super::outcome::{Reason, Rejection};
use super::providers::ProviderIx;
use super::trace::{Event, ResponseResult};
use super::{Answer, Flow};
use crate::idp::assertion::AssertionResponse;
use crate::idp::config::Checked;
use crate::mutation::mutant;
use crate::options::{Mediation, Mode};
use crate::profile::rules::{AssertionForm, AssertionStatus};
use crate::urls::origin_string;
use std::borrow::Cow;

/// The account the assertion is for, and how it was chosen.
#[derive(Debug, Clone, PartialEq, Hash)]
pub(super) struct Selection {
    pub(super) provider: ProviderIx,
    pub(super) account_id: String,
    pub(super) auto: bool,
    /// A sign-up disclosure was shown for the chosen (new) account.
    pub(super) permission_requested: bool,
}

/// The assertion POST is out. `id` is `None` only while an assertion
/// endpoint that cannot be used sends the call on to the error dialog.
#[derive(Debug, Clone, Hash)]
pub(super) struct FetchAssertion {
    pub(super) selection: Selection,
    id: Option<RequestId>,
}

impl Flow {
    pub(super) fn fetch_assertion(&mut self, selection: Selection) {
        let i = selection.provider;
        let endpoint = match self.providers[i].config.as_ref().map(|c| &c.id_assertion_endpoint) {
            Some(Checked::Valid(e)) => Ok(e.url().clone()),
            Some(Checked::Invalid(problem)) => {
                let problem = problem.clone();
                Err(Rejection::identity_error(
                    Reason::AssertionEndpointInvalid,
                    String::new(),
                    None,
                    format!("id_assertion_endpoint cannot be used: {problem}"),
                )
                .with_problems([problem]))
            }
            None => Err(Rejection::identity_error(Reason::AssertionEndpointInvalid, String::new(), None, "no config")),
        };
        let endpoint = match endpoint {
            Ok(url) => url,
            Err(rejection) => {
                // The step is entered, and fails before it sends anything.
                self.transition(Control::FetchAssertion(FetchAssertion { selection, id: None }));
                return self.show_error(rejection);
            }
        };
        let id = self.id();
        let form = self.assertion_form(&selection);
        let mut request =
            FetchRequest::credentialed_post(id, FetchKind::Assertion, i.get(), endpoint, &self.rp_origin, &form);
        if mutant!(AssertionWithoutOrigin) {
            request.origin = None;
            request.headers.retain(|(k, _)| *k != "Origin");
        }
        self.transition(Control::FetchAssertion(FetchAssertion { selection, id: Some(id) }));
        if mutant!(AssertionTwice) {
            let mut again = request.clone();
            again.id = self.id();
            self.send(again);
        }
        self.send(request);
    }

    /// The assertion's form fields, borrowing what the flow already holds.
    fn assertion_form<'a>(&'a self, s: &'a Selection) -> Vec<(Cow<'static, str>, Cow<'a, str>)> {
        let req = &self.providers[s.provider].request;
        let fields = self.fields(s.provider);
        const RECOGNIZED: [&str; 5] = ["name", "email", "tel", "username", "picture"];
        let shown: Vec<&str> = fields.iter().copied().filter(|f| RECOGNIZED.contains(f)).collect();
        let text_shown = s.permission_requested && ["name", "email", "picture"].iter().all(|f| shown.contains(f));
        let params = req.params.as_ref().filter(|p| !p.is_null() && p.as_object().is_none_or(|o| !o.is_empty()));
        let bool_str = |b: bool| Cow::Borrowed(if b { "true" } else { "false" });
        let mut form: Vec<(Cow<'static, str>, Cow<'a, str>)> = Vec::with_capacity(8);
        let mut push = |k: &'static str, v: Cow<'a, str>| form.push((Cow::Borrowed(k), v));
        if self.rules.assertion_form == AssertionForm::Firefox {
            // Firefox's order (its test `test_is_auto_selected.html` pins
            // the whole body; decisions F1): no disclosure is shown, and
            // there are no `params` or `fields`.
            push("account_id", Cow::Borrowed(&s.account_id));
            push("client_id", Cow::Borrowed(&req.client_id));
            if let Some(nonce) = req.nonce.as_ref() {
                push("nonce", Cow::Borrowed(nonce));
            }
            push("disclosure_text_shown", Cow::Borrowed("false"));
            push("is_auto_selected", bool_str(s.auto && !mutant!(BodyNeverAuto)));
            return form;
        }
        push("client_id", Cow::Borrowed(&req.client_id));
        match self.rules.assertion_form {
            AssertionForm::Firefox => {}
            AssertionForm::Spec => {
                push("account_id", Cow::Borrowed(&s.account_id));
                push("is_auto_selected", bool_str(s.auto && !mutant!(BodyNeverAuto)));
                if s.permission_requested && !fields.is_empty() {
                    push("fields", Cow::Owned(fields.join(",")));
                    push("disclosure_shown_for", Cow::Owned(shown.join(",")));
                    if text_shown {
                        push("disclosure_text_shown", Cow::Borrowed("true"));
                    }
                }
                if let Some(p) = params {
                    push("params", Cow::Owned(crate::idl::json_stringify(p)));
                }
            }
            AssertionForm::Spec2024 => {
                // The 2024 text: the provider-level nonce, and no disclosure
                // fields or params (decisions P13).
                if let Some(nonce) = req.nonce.as_ref() {
                    push("nonce", Cow::Borrowed(nonce));
                }
                push("account_id", Cow::Borrowed(&s.account_id));
                push("disclosure_text_shown", bool_str(text_shown));
                push("is_auto_selected", bool_str(s.auto && !mutant!(BodyNeverAuto)));
            }
            AssertionForm::Chromium => {
                // Chromium's order and rules (measured on Chromium 156 by
                // `fedcm browser`; decisions A26, A34): `mode` always;
                // `fields` whenever the list is not empty, returning
                // accounts included; `disclosure_shown_for` only when a
                // disclosure listed something; `params` as its JSON text,
                // with no `param_<key>` copies.
                if let Some(nonce) = req.nonce.as_ref().filter(|n| !n.is_empty()) {
                    push("nonce", Cow::Borrowed(nonce));
                }
                push("account_id", Cow::Borrowed(&s.account_id));
                push("disclosure_text_shown", bool_str(text_shown));
                push("is_auto_selected", bool_str(s.auto));
                push("mode", Cow::Borrowed(if self.mode == Mode::Active { "active" } else { "passive" }));
                if !fields.is_empty() {
                    push("fields", Cow::Owned(fields.join(",")));
                }
                if s.permission_requested && !shown.is_empty() {
                    push("disclosure_shown_for", Cow::Owned(shown.join(",")));
                }
                if let Some(p) = params {
                    push("params", Cow::Owned(crate::idl::json_stringify(p)));
                }
            }
        }
        form
    }

    pub(super) fn on_assertion_response(&mut self, answer: Answer, result: FetchResult) {
        let Control::FetchAssertion(step) = &self.control else {
            return answer.record(self, ResponseResult::Ignored);
        };
        if step.id != Some(answer.id) {
            return answer.record(self, ResponseResult::Ignored);
        }
        let selection = step.selection.clone();
        self.assertion_done(selection, answer, result);
    }

    fn assertion_done(&mut self, selection: Selection, answer: Answer, result: FetchResult) {
        let response = match result {
            Err(e) => {
                answer.record(self, ResponseResult::NetworkError { reason: e.reason.clone() });
                let r = Rejection::identity_error(
                    Reason::AssertionNetworkError,
                    String::new(),
                    None,
                    format!("the identity assertion request failed: {}", e.reason),
                );
                return self.show_error(r);
            }
            Ok(r) => r,
        };
        // The request went out, so the endpoint was valid (`fetch_assertion`).
        let config = self.providers[selection.provider].config.as_ref();
        let Some(endpoint) = config.and_then(|c| c.id_assertion_endpoint.valid()).cloned() else { return };
        // A CORS failure is a network error (spec `#fetch-identity-assertion`).
        // Fetch judges CORS only across origins: an IdP on the RP's own
        // origin answers without Access-Control headers.
        let cross_origin = origin_string(endpoint.url()) != self.rp_origin;
        let cors = if cross_origin { cors_problem(&response, &self.rp_origin) } else { None };
        if let Some(cors) = cors.filter(|_| !mutant!(SkipCorsCheck)) {
            answer.record(self, ResponseResult::NetworkError { reason: cors.clone() });
            let r = Rejection::identity_error(
                Reason::AssertionNetworkError,
                String::new(),
                None,
                format!("the identity assertion response fails CORS: {cors}"),
            );
            return self.show_error(r);
        }
        match crate::idp::assertion::parse(&response, &endpoint, self.profile) {
            Err(_) if mutant!(ResolveInvalidAssertion) => self.resolve(&selection, serde_json::Value::Null),
            Err(rejected) => {
                answer.record(self, ResponseResult::Rejected { problems: rejected.errors().cloned().collect() });
                // Chromium names 500 and 503 (the spec MAY, unreachable as
                // written: ambiguity A23).
                let code = match (self.rules.assertion_status, response.status) {
                    (AssertionStatus::AnyBut404, 500) => "server_error",
                    (AssertionStatus::AnyBut404, 503) => "temporarily_unavailable",
                    _ => "",
                };
                let r = Rejection::identity_error(
                    Reason::AssertionInvalidResponse,
                    code.to_string(),
                    None,
                    format!("the identity assertion response is unusable: {}", rejected.first()),
                )
                .with_problems(rejected.into_errors());
                self.show_error(r);
            }
            Ok(parsed) => {
                answer.record(self, ResponseResult::Accepted);
                match parsed.value {
                    AssertionResponse::Token(token) => {
                        self.trace
                            .push(Event::TokenReceived { provider: selection.provider.get(), token: token.clone() });
                        self.resolve(&selection, token)
                    }
                    AssertionResponse::Error(e) => {
                        let msg = format!("the IdP answered with error {:?}", e.code);
                        let r = Rejection::identity_error(Reason::IdpError, e.code, e.url.as_ref(), msg);
                        self.show_error(r);
                    }
                    AssertionResponse::ContinueOnRejected(problem) => {
                        let msg = format!("continue_on cannot be opened: {problem}");
                        self.reject_with(Reason::ContinueOnRejected, false, msg, vec![problem]);
                    }
                    AssertionResponse::ContinueOn(url) => {
                        // Chromium allows the pop-up only where a user gesture
                        // or an explicit choice backs it.
                        let allowed = !self.rules.continuation_needs_gesture
                            || (self.mediation != Mediation::Silent
                                && (!selection.auto || self.mode == Mode::Active || self.browser.transient_activation));
                        if !allowed {
                            let msg = "a continuation pop-up is not allowed without a user gesture";
                            return self.reject_with(Reason::ContinuationNotAllowed, false, msg, Vec::new());
                        }
                        self.ask(Control::Continuation(Continuation { selection, url }));
                    }
                }
            }
        }
    }
}

/// The assertion POST is credentialed CORS: the IdP must name the RP's
/// exact origin and allow credentials.
fn cors_problem(response: &crate::HttpResponse, rp_origin: &str) -> Option<String> {
    match response.header("access-control-allow-origin") {
        None => return Some("no Access-Control-Allow-Origin header".into()),
        Some(v) if v.trim() != rp_origin => {
            return Some(format!("Access-Control-Allow-Origin is {v:?}, not the RP origin {rp_origin}"))
        }
        _ => {}
    }
    match response.header("access-control-allow-credentials") {
        Some(v) if v.trim() == "true" => None,
        _ => Some("Access-Control-Allow-Credentials is not \"true\"".into()),
    }
}
