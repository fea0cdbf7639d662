//! `IdentityCredential.disconnect()` (spec
//! `#browser-api-identity-credential-disconnect`, `#disconnect-request`):
//! a smaller machine with the same polling API as [`super::Flow`].

use super::browser::{BrowserState, Connection};
use super::fetch::{FetchKind, FetchRequest, FetchResult, Pending, RequestId};
use super::manifests::Manifests;
use super::outbox::Outbox;
use super::outcome::{ErrorName, Reason, Rejection};
use super::state::State;
use super::trace::{Event, ResponseResult, Trace};
use super::Rp;
use crate::idp::config::Checked;
use crate::idp::disconnect;
use crate::json::Json;
use crate::mutation::mutant;
use crate::problem::{Document, Problem, Rule};
use crate::profile::rules::{DisconnectFailure, PermissionsPolicy};
use crate::profile::Profile;
use crate::urls::{origin_string, ConfigUrl, UrlError};
use serde::Serialize;
use std::sync::Arc;

/// `IdentityCredentialDisconnectOptions`: all three members are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisconnectOptions {
    /// `configURL`, as the RP passed it (checked by the machine, not here).
    #[serde(rename = "configURL")]
    pub config_url: String,
    /// `clientId`, sent in the POST body.
    #[serde(rename = "clientId")]
    pub client_id: String,
    /// `accountHint`: an account id or email the IdP resolves.
    #[serde(rename = "accountHint")]
    pub account_hint: String,
}

impl DisconnectOptions {
    /// From the JSON form JavaScript passes; a missing member is a TypeError.
    pub fn parse(value: &serde_json::Value) -> Result<DisconnectOptions, Problem> {
        let json = Json::from_value(value);
        let Json::Object(obj) = &json else {
            return Err(Problem::error(Document::RequestOptions, None, Rule::NotAnObject { found: json.json_type() }));
        };
        let get = |name: &str| -> Result<String, Problem> {
            match obj.get(name) {
                None => Err(Problem::error(Document::RequestOptions, Some(name.into()), Rule::MissingRequired)),
                Some(v) => Ok(crate::idl::to_js_string(v)),
            }
        };
        Ok(DisconnectOptions {
            config_url: get("configURL")?,
            client_id: get("clientId")?,
            account_hint: get("accountHint")?,
        })
    }
}

/// What `disconnect()` settles with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum DisconnectOutcome {
    /// The promise resolves: the IdP disconnected the account.
    Resolve,
    /// The promise rejects.
    Reject {
        /// The exception, with the model's reason.
        error: Rejection,
    },
}

/// What the `disconnect()` machine needs next.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum DisconnectStep {
    /// Send this request and report with [`DisconnectFlow::on_response`].
    Fetch(Arc<FetchRequest>),
    /// Nothing to do until a request handed out earlier is answered.
    Idle,
    /// The call settled; the same outcome is returned from now on.
    Done(DisconnectOutcome),
}

/// Where the call is; changed only by [`DisconnectFlow::transition`],
/// which writes the step's trace label.
#[derive(Debug, Clone)]
enum Phase {
    /// Before the first step; never at rest.
    Start,
    /// The options, the config URL and the connection gate.
    Validate,
    Manifests(Box<Manifests>),
    Request(RequestId),
    Done(DisconnectOutcome),
}

impl Phase {
    /// The trace label of this step and its provider.
    fn label(&self) -> Option<(State, Option<usize>)> {
        Some(match self {
            Phase::Start => return None,
            Phase::Validate => (State::DisconnectValidation, None),
            Phase::Manifests(_) => (State::FetchConfig, Some(0)),
            Phase::Request(_) => (State::DisconnectRequest, Some(0)),
            Phase::Done(DisconnectOutcome::Resolve) => (State::Resolved, None),
            Phase::Done(DisconnectOutcome::Reject { .. }) => (State::Rejected, None),
        })
    }
}

/// One call of `IdentityCredential.disconnect()`.
#[derive(Debug, Clone)]
pub struct DisconnectFlow {
    profile: Profile,
    rp: Rp,
    browser: BrowserState,
    options: DisconnectOptions,
    idp: String,
    phase: Phase,
    outbox: Outbox,
    trace: Trace,
    /// Another `disconnect()` of the page was pending when this one began.
    another_pending: bool,
}

impl DisconnectFlow {
    /// Starts the call: validation and the connection gate run now.
    pub fn new(rp: Rp, browser: BrowserState, options: DisconnectOptions, profile: Profile) -> DisconnectFlow {
        let mut flow = DisconnectFlow::unstarted(rp, browser, options, profile);
        flow.start();
        flow
    }

    /// A call that has done nothing yet.
    fn unstarted(rp: Rp, browser: BrowserState, options: DisconnectOptions, profile: Profile) -> DisconnectFlow {
        DisconnectFlow {
            profile,
            rp,
            browser,
            options,
            idp: String::new(),
            phase: Phase::Start,
            outbox: Outbox::default(),
            trace: Trace::default(),
            another_pending: false,
        }
    }

    /// Starts the call from the options' JSON form (what JavaScript
    /// passes). Options WebIDL refuses (a missing member) reject the call
    /// with the `TypeError` a page gets, after the validation step, and
    /// nothing is sent.
    pub fn from_json(rp: Rp, browser: BrowserState, options: &serde_json::Value, profile: Profile) -> DisconnectFlow {
        DisconnectFlow::from_json_in_page(rp, browser, options, profile, false)
    }

    /// As [`DisconnectFlow::from_json`], in a page where another
    /// `disconnect()` is pending when `another_pending`: the call then
    /// rejects once its `configURL` parses (spec
    /// `#browser-api-identity-credential-disconnect`, before the
    /// trustworthiness check), and nothing is sent.
    pub fn from_json_in_page(
        rp: Rp,
        browser: BrowserState,
        options: &serde_json::Value,
        profile: Profile,
        another_pending: bool,
    ) -> DisconnectFlow {
        let problem = match DisconnectOptions::parse(options) {
            Ok(options) => {
                let mut flow = DisconnectFlow::unstarted(rp, browser, options, profile);
                flow.another_pending = another_pending;
                flow.start();
                return flow;
            }
            Err(problem) => problem,
        };
        // What the page passed, as far as it goes, for the trace.
        let member = |name: &str| options.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let options = DisconnectOptions {
            config_url: member("configURL"),
            client_id: member("clientId"),
            account_hint: member("accountHint"),
        };
        let mut flow = DisconnectFlow::unstarted(rp, browser, options, profile);
        flow.record_start();
        flow.transition(Phase::Validate);
        let message = format!("the disconnect options are invalid: {problem}");
        flow.fail(ErrorName::TypeError, Reason::InvalidOptions, message, Some(problem));
        flow
    }

    /// Everything the call did so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The browser state, with the connections this call removed.
    pub fn browser(&self) -> &BrowserState {
        &self.browser
    }

    /// How the call settled, once it has.
    pub fn outcome(&self) -> Option<&DisconnectOutcome> {
        match &self.phase {
            Phase::Done(o) => Some(o),
            _ => None,
        }
    }

    /// Requests handed out (or queued) and not yet answered.
    pub fn pending_requests(&self) -> impl Iterator<Item = &Pending> {
        self.outbox.pending()
    }

    /// The next thing the machine needs.
    pub fn next_step(&mut self) -> DisconnectStep {
        if let Phase::Done(o) = &self.phase {
            return DisconnectStep::Done(o.clone());
        }
        match self.outbox.pop() {
            Some(r) => DisconnectStep::Fetch(r),
            None => DisconnectStep::Idle,
        }
    }

    /// Enters a step: its trace label, then the step.
    fn transition(&mut self, next: Phase) {
        if let Some((state, provider)) = next.label() {
            self.trace.push(Event::Enter { state, provider });
        }
        self.phase = next;
    }

    fn record_start(&mut self) {
        self.trace.push(Event::StartDisconnect {
            rp: origin_string(&self.rp.origin),
            embedder: origin_string(&self.rp.embedder),
            config_url: self.options.config_url.clone(),
            client_id: self.options.client_id.clone(),
            browser: self.browser.clone(),
        });
    }

    fn start(&mut self) {
        self.record_start();
        self.transition(Phase::Validate);
        if self.profile.rules().permissions_policy == PermissionsPolicy::Checked
            && !self.rp.policy_allowed
            && !mutant!(SkipPermissionsPolicy)
        {
            let msg = "the identity-credentials-get permissions policy does not allow this frame";
            return self.fail(ErrorName::NotAllowedError, Reason::PolicyNotAllowed, msg.into(), None);
        }
        let parsed = ConfigUrl::parse(&self.options.config_url);
        let blocked = match &parsed {
            Ok(u) => !self.rp.may_connect(u.url()),
            Err(UrlError::NotTrustworthy { url }) => url::Url::parse(url).is_ok_and(|u| !self.rp.may_connect(&u)),
            Err(_) => false,
        };
        if blocked {
            let msg = "the page's Content Security Policy (connect-src) blocks the configURL";
            return self.fail(ErrorName::NetworkError, Reason::CspBlocked, msg.into(), None);
        }
        if self.another_pending && !matches!(parsed, Err(UrlError::Unparsable { .. })) {
            let msg = "another IdentityCredential.disconnect() of this page is pending";
            return self.fail(ErrorName::NetworkError, Reason::DisconnectPending, msg.into(), None);
        }
        let config_url = match parsed {
            Ok(u) => u,
            Err(e @ UrlError::NotTrustworthy { .. }) => {
                return self.fail(ErrorName::NetworkError, Reason::DisconnectUntrustworthy, e.to_string(), None)
            }
            Err(e) => {
                return self.fail(ErrorName::InvalidStateError, Reason::DisconnectInvalidConfigUrl, e.to_string(), None)
            }
        };
        self.idp = origin_string(config_url.url());
        let (embedder, rp) = (origin_string(&self.rp.embedder), origin_string(&self.rp.origin));
        // No credentialed request unless some account is connected.
        if !self.browser.has_connection(&embedder, &rp, &self.idp) && !mutant!(DisconnectWithoutConnection) {
            let msg = format!("no account of {} is connected to {rp}; nothing is sent", self.idp);
            return self.fail(ErrorName::NetworkError, Reason::DisconnectNoConnection, msg, None);
        }
        let mut out = Vec::new();
        let manifests = Manifests::start(config_url, &self.rp.origin, 0, self.profile, &mut self.outbox.ids, &mut out);
        self.transition(Phase::Manifests(Box::new(manifests)));
        for r in out {
            self.send(r);
        }
    }

    fn send(&mut self, request: FetchRequest) {
        let request = Arc::new(request);
        self.outbox.push(Arc::clone(&request));
        self.trace.push(Event::Request { request });
    }

    fn fail(&mut self, name: ErrorName, reason: Reason, message: String, problem: Option<Problem>) {
        let error = Rejection::new(name, reason, false, message).with_problems(problem);
        self.settle(DisconnectOutcome::Reject { error });
    }

    fn settle(&mut self, outcome: DisconnectOutcome) {
        self.outbox.close();
        self.transition(Phase::Done(outcome));
    }

    /// The driver's answer to a request from [`DisconnectFlow::next_step`].
    pub fn on_response(&mut self, id: RequestId, result: FetchResult) {
        let Some(request) = self.outbox.answer(id) else {
            let text = format!("response to unknown or finished request {id:?} ignored");
            return self.trace.push(Event::Note { text });
        };
        let status = result.as_ref().ok().map(|r| r.status);
        let access_control = Trace::access_control(&result);
        let record = |flow: &mut Self, result| {
            flow.trace.push(Event::Response { id, kind: request.kind, status, result, access_control })
        };
        match &mut self.phase {
            Phase::Manifests(m) if m.waits_for(id) => {
                let (follow, res) = m.on_response(&request, &result, self.profile, &mut self.outbox.ids);
                record(self, res);
                if let Some(f) = follow {
                    return self.send(f);
                }
                let Phase::Manifests(m) = &mut self.phase else { return };
                match m.take_result(self.profile) {
                    None => {}
                    Some(Err(p)) => {
                        self.fail(ErrorName::NetworkError, Reason::DisconnectConfigFailed, p.to_string(), Some(p))
                    }
                    Some(Ok(config)) => match config.disconnect_endpoint {
                        None => self.fail(
                            ErrorName::NetworkError,
                            Reason::DisconnectEndpointMissing,
                            "the config has no disconnect_endpoint".into(),
                            None,
                        ),
                        Some(Checked::Invalid(p)) => self.fail(
                            ErrorName::NetworkError,
                            Reason::DisconnectEndpointInvalid,
                            p.to_string(),
                            Some(p),
                        ),
                        Some(Checked::Valid(endpoint)) => self.send_request(endpoint.url().clone()),
                    },
                }
            }
            Phase::Request(want) if *want == id => {
                let parsed = match &result {
                    Ok(r) => disconnect::parse(r, self.profile).map_err(|e| e.first().clone()),
                    Err(e) => {
                        Err(Problem::error(Document::Disconnect, None, Rule::NoResponse { reason: e.reason.clone() }))
                    }
                };
                let (embedder, rp) = (origin_string(&self.rp.embedder), origin_string(&self.rp.origin));
                match parsed {
                    Ok(p) => {
                        record(self, ResponseResult::Accepted);
                        let c = Connection {
                            embedder: embedder.clone(),
                            rp: rp.clone(),
                            idp: self.idp.clone(),
                            account: p.value.account_id,
                        };
                        if self.browser.disconnect(&c) {
                            self.trace.push(Event::ConnectionRemoved { connection: c });
                        } else {
                            // An unknown id still removes every connection.
                            self.remove_all(&embedder, &rp);
                        }
                        self.settle(DisconnectOutcome::Resolve);
                    }
                    Err(problem) => {
                        record(self, ResponseResult::Rejected { problems: vec![problem.clone()] });
                        self.remove_all(&embedder, &rp);
                        if self.profile.rules().disconnect_failure == DisconnectFailure::ForgetsAndResolves {
                            // Firefox forgets the RP's accounts of this IdP and
                            // resolves whatever the IdP answered (decisions F5).
                            let text = format!("the disconnect response is unusable ({problem}); resolved anyway");
                            self.trace.push(Event::Note { text });
                            return self.settle(DisconnectOutcome::Resolve);
                        }
                        self.fail(
                            ErrorName::NetworkError,
                            Reason::DisconnectFailedOnServer,
                            format!("the disconnect response is unusable: {problem}"),
                            Some(problem),
                        );
                    }
                }
            }
            _ => record(self, ResponseResult::Ignored),
        }
    }

    /// The disconnect POST (spec `#disconnect-request`).
    fn send_request(&mut self, endpoint: url::Url) {
        let id = self.outbox.ids.request();
        let form = [
            ("client_id".to_string(), self.options.client_id.clone()),
            ("account_hint".to_string(), self.options.account_hint.clone()),
        ];
        let rp = origin_string(&self.rp.origin);
        let r = FetchRequest::credentialed_post(id, FetchKind::Disconnect, 0, endpoint, &rp, &form);
        self.transition(Phase::Request(id));
        self.send(r);
    }

    fn remove_all(&mut self, embedder: &str, rp: &str) {
        let removed: Vec<Connection> = self
            .browser
            .connections
            .iter()
            .filter(|c| c.embedder == embedder && c.rp == rp && c.idp == self.idp)
            .cloned()
            .collect();
        self.browser.disconnect_all(embedder, rp, &self.idp);
        for connection in removed {
            self.trace.push(Event::ConnectionRemoved { connection });
        }
    }
}
