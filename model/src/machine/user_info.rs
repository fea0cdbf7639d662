//! `IdentityProvider.getUserInfo(config)` (spec
//! `#dom-identityprovider-getuserinfo`): an IdP's iframe, embedded by an
//! RP, asks for the accounts the person has used with that RP, to show a
//! personalised button. A small machine with the same polling API as
//! [`DisconnectFlow`](super::disconnect::DisconnectFlow): validation, the
//! config (and well-known) fetch, the accounts fetch, then the returning
//! accounts filter (decisions A42).

use super::browser::{BrowserState, Connection, LoginStatus};
use super::fetch::{FetchRequest, FetchResult, Pending, RequestId};
use super::manifests::Manifests;
use super::outbox::Outbox;
use super::outcome::{ErrorName, Reason, Rejection};
use super::state::State;
use super::trace::{Event, ResponseResult, Trace};
use crate::idp::accounts::{self, Account};
use crate::mutation::mutant;
use crate::problem::{Document, Problem, Rule};
use crate::profile::rules::{UserInfo, UserInfoReturning};
use crate::profile::Profile;
use crate::urls::{origin_string, ConfigUrl, UrlError};
use serde::Serialize;
use std::sync::Arc;
use url::Url;

/// Who calls `getUserInfo()`: the calling document and the frames around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The calling document's origin (an IdP's iframe).
    pub origin: Url,
    /// Its parent document's origin: the RP the connection is keyed by.
    /// `None` for a top-level document.
    pub parent: Option<Url>,
    /// The top-level document's origin.
    pub top: Url,
    /// Whether the `identity-credentials-get` policy allows the document
    /// (a cross-origin iframe needs `allow="identity-credentials-get"`).
    pub allowed: bool,
    /// The calling document's `connect-src`, if its CSP restricts connections.
    pub connect_src: Option<crate::csp::SourceList>,
}

impl Caller {
    fn may_connect(&self, url: &Url) -> bool {
        self.connect_src.as_ref().is_none_or(|l| l.allows(url, &self.origin)) || mutant!(IgnoreCsp)
    }
}

/// `IdentityProviderConfig`: `configURL` and `clientId`, both required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct UserInfoOptions {
    /// `configURL`, as passed.
    #[serde(rename = "configURL")]
    pub config_url: String,
    /// `clientId`, as passed.
    #[serde(rename = "clientId")]
    pub client_id: String,
}

/// One `IdentityUserInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfoEntry {
    /// `email` (empty when the account has none).
    pub email: String,
    /// `name`.
    pub name: String,
    /// `givenName`, from `given_name`.
    pub given_name: String,
    /// `picture`, serialized (empty when absent).
    pub picture: String,
}

/// What `getUserInfo()` settles with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum UserInfoOutcome {
    /// The promise resolves with these, returning accounts first.
    Resolve {
        /// The accounts, as JavaScript sees them.
        accounts: Vec<UserInfoEntry>,
    },
    /// The promise rejects.
    Reject {
        /// The exception, with the model's reason.
        error: Rejection,
    },
}

/// What the machine needs next.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum UserInfoStep {
    /// Send this request and report with [`UserInfoFlow::on_response`].
    Fetch(Arc<FetchRequest>),
    /// Nothing until a request handed out earlier is answered.
    Idle,
    /// Settled; the same outcome is returned from now on.
    Done(UserInfoOutcome),
}

#[derive(Debug, Clone)]
enum Phase {
    Start,
    Validate,
    Manifests(Box<Manifests>),
    Accounts(RequestId),
    Done(UserInfoOutcome),
}

impl Phase {
    fn label(&self) -> Option<(State, Option<usize>)> {
        Some(match self {
            Phase::Start => return None,
            Phase::Validate => (State::RequestValidation, None),
            Phase::Manifests(_) => (State::FetchConfig, Some(0)),
            Phase::Accounts(_) => (State::FetchAccounts, Some(0)),
            Phase::Done(UserInfoOutcome::Resolve { .. }) => (State::Resolved, None),
            Phase::Done(UserInfoOutcome::Reject { .. }) => (State::Rejected, None),
        })
    }
}

/// One call of `IdentityProvider.getUserInfo()`.
#[derive(Debug, Clone)]
pub struct UserInfoFlow {
    profile: Profile,
    caller: Caller,
    browser: BrowserState,
    options: UserInfoOptions,
    idp: String,
    phase: Phase,
    outbox: Outbox,
    trace: Trace,
}

impl UserInfoFlow {
    /// Starts the call from the options' JSON form; validation runs now.
    pub fn from_json(caller: Caller, browser: BrowserState, options: &serde_json::Value, profile: Profile) -> Self {
        let member =
            |name: &str| options.get(name).map(|v| crate::idl::to_js_string(&crate::json::Json::from_value(v)));
        let parsed = UserInfoOptions {
            config_url: member("configURL").unwrap_or_default(),
            client_id: member("clientId").unwrap_or_default(),
        };
        let mut flow = UserInfoFlow {
            profile,
            caller,
            browser,
            options: parsed,
            idp: String::new(),
            phase: Phase::Start,
            outbox: Outbox::default(),
            trace: Trace::default(),
        };
        flow.trace.push(Event::StartUserInfo {
            profile,
            caller: origin_string(&flow.caller.origin),
            parent: flow.caller.parent.as_ref().map(origin_string),
            top: origin_string(&flow.caller.top),
            options: flow.options.clone(),
            browser: flow.browser.clone(),
        });
        flow.transition(Phase::Validate);
        let missing = ["configURL", "clientId"].into_iter().find(|m| options.get(*m).is_none());
        flow.start(missing);
        flow
    }

    /// Everything the call did so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The browser state, with the login status the accounts fetch set.
    pub fn browser(&self) -> &BrowserState {
        &self.browser
    }

    /// How the call settled, once it has.
    pub fn outcome(&self) -> Option<&UserInfoOutcome> {
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
    pub fn next_step(&mut self) -> UserInfoStep {
        if let Phase::Done(o) = &self.phase {
            return UserInfoStep::Done(o.clone());
        }
        match self.outbox.pop() {
            Some(r) => UserInfoStep::Fetch(r),
            None => UserInfoStep::Idle,
        }
    }

    fn transition(&mut self, next: Phase) {
        if let Some((state, provider)) = next.label() {
            self.trace.push(Event::Enter { state, provider });
        }
        self.phase = next;
    }

    fn send(&mut self, request: FetchRequest) {
        let request = Arc::new(request);
        self.outbox.push(Arc::clone(&request));
        self.trace.push(Event::Request { request });
    }

    fn fail(&mut self, name: ErrorName, reason: Reason, message: impl Into<String>) {
        let error = Rejection::new(name, reason, false, message);
        self.settle(UserInfoOutcome::Reject { error });
    }

    fn settle(&mut self, outcome: UserInfoOutcome) {
        self.outbox.close();
        self.transition(Phase::Done(outcome));
    }

    /// The checks before any fetch, in Chromium's order (the renderer's,
    /// then the browser's), which the spec's agrees with where both speak.
    fn start(&mut self, missing: Option<&str>) {
        let rules = self.profile.rules();
        if rules.user_info == UserInfo::Missing {
            let msg = "IdentityProvider.getUserInfo is not a function in this browser";
            return self.fail(ErrorName::TypeError, Reason::UserInfoNotSupported, msg);
        }
        if !self.caller.allowed {
            let msg = "the identity-credentials-get policy does not allow this document";
            return self.fail(ErrorName::NotAllowedError, Reason::UserInfoNotAllowed, msg);
        }
        if let Some(m) = missing {
            return self.fail(ErrorName::TypeError, Reason::InvalidOptions, format!("{m} is required"));
        }
        let config_url = match ConfigUrl::parse(&self.options.config_url) {
            Ok(u) if !self.options.client_id.is_empty() => u,
            Ok(_) => {
                return self.fail(ErrorName::InvalidStateError, Reason::UserInfoInvalidConfig, "clientId is empty")
            }
            Err(e @ UrlError::Unparsable { .. }) => {
                return self.fail(ErrorName::InvalidStateError, Reason::UserInfoInvalidConfig, e.to_string())
            }
            Err(e) => return self.fail(ErrorName::NetworkError, Reason::UntrustworthyConfigUrl, e.to_string()),
        };
        if config_url.url().origin() != self.caller.origin.origin() {
            let msg =
                format!("the caller {} is not same-origin with the configURL", origin_string(&self.caller.origin));
            return self.fail(ErrorName::InvalidStateError, Reason::UserInfoNotSameOrigin, msg);
        }
        if !self.caller.may_connect(config_url.url()) {
            let msg = "the calling document's Content Security Policy (connect-src) blocks the configURL";
            return self.fail(ErrorName::NetworkError, Reason::CspBlocked, msg);
        }
        let Some(parent) = self.caller.parent.clone() else {
            let msg = "getUserInfo() is called from a top-level document, not from an iframe";
            return self.fail(ErrorName::NetworkError, Reason::UserInfoTopLevel, msg);
        };
        self.idp = origin_string(config_url.url());
        if rules.user_info_reads_login_status && self.browser.login_status(&self.idp) == LoginStatus::LoggedOut {
            let msg = format!("{} is logged out", self.idp);
            return self.fail(ErrorName::NetworkError, Reason::UserInfoNotSignedIn, msg);
        }
        let (top, rp) = (origin_string(&self.caller.top), origin_string(&parent));
        if !self.browser.has_connection(&top, &rp, &self.idp) && !mutant!(UserInfoWithoutConnection) {
            let msg = format!("no account of {} is connected to {rp}", self.idp);
            return self.fail(ErrorName::NetworkError, Reason::UserInfoNoConnection, msg);
        }
        let mut out = Vec::new();
        let manifests = Manifests::start(config_url, &parent, 0, self.profile, &mut self.outbox.ids, &mut out);
        self.transition(Phase::Manifests(Box::new(manifests)));
        for r in out {
            self.send(r);
        }
    }

    /// The driver's answer to a request.
    pub fn on_response(&mut self, id: RequestId, result: FetchResult) {
        let Some(request) = self.outbox.answer(id) else {
            let text = format!("response to unknown or finished request {id:?} ignored");
            return self.trace.push(Event::Note { text });
        };
        let status = result.as_ref().ok().map(|r| r.status);
        let record = |flow: &mut Self, result| {
            flow.trace.push(Event::Response { id, kind: request.kind, status, result, access_control: Vec::new() })
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
                    Some(Err(p)) => self.fail(ErrorName::NetworkError, Reason::UserInfoConfigFailed, p.to_string()),
                    Some(Ok(config)) => {
                        let mut url = config.accounts_endpoint.url().clone();
                        if mutant!(UserInfoCarriesClientId) {
                            url.query_pairs_mut().append_pair("client_id", &self.options.client_id);
                        }
                        let id = self.outbox.ids.request();
                        self.transition(Phase::Accounts(id));
                        self.send(FetchRequest::accounts(id, 0, url));
                    }
                }
            }
            Phase::Accounts(want) if *want == id => {
                let parsed = match &result {
                    Ok(r) => accounts::parse(r, self.profile).map_err(|e| e.first().clone()),
                    Err(e) => {
                        Err(Problem::error(Document::Accounts, None, Rule::NoResponse { reason: e.reason.clone() }))
                    }
                };
                match parsed {
                    Ok(p) if !p.value.accounts.is_empty() => {
                        record(self, ResponseResult::Accepted);
                        self.after_accounts(p.value.accounts);
                    }
                    Ok(_) => {
                        record(self, ResponseResult::Accepted);
                        self.set_status_from_accounts(LoginStatus::LoggedOut);
                        self.fail(ErrorName::NetworkError, Reason::UserInfoNoReturningAccount, "no accounts");
                    }
                    Err(problem) => {
                        record(self, ResponseResult::Rejected { problems: vec![problem.clone()] });
                        self.set_status_from_accounts(LoginStatus::LoggedOut);
                        let msg = format!("the accounts fetch failed: {problem}");
                        self.fail(ErrorName::NetworkError, Reason::UserInfoAccountsFailed, msg);
                    }
                }
            }
            _ => record(self, ResponseResult::Ignored),
        }
    }

    /// Chromium writes the login status from this accounts fetch as from
    /// `get()`'s; the spec does not (decisions A42).
    fn set_status_from_accounts(&mut self, status: LoginStatus) {
        if self.profile.rules().user_info_sets_login_status {
            self.browser.set_login_status(&self.idp, status);
            self.trace.push(Event::LoginStatusSet { origin: self.idp.clone(), status });
        }
    }

    /// The returning accounts first, then the rest; none returning rejects.
    fn after_accounts(&mut self, list: Vec<Account>) {
        self.set_status_from_accounts(LoginStatus::LoggedIn);
        let (top, rp) = (origin_string(&self.caller.top), self.caller.parent.as_ref().map(origin_string));
        let rp = rp.unwrap_or_default();
        let client = self.options.client_id.clone();
        let returning = |a: &Account, browser: &BrowserState| {
            let key =
                Connection { embedder: top.clone(), rp: rp.clone(), idp: self.idp.clone(), account: a.id.clone() };
            let stored = browser.connections.contains(&key);
            let claims = a.approved_clients.as_ref().map(|c| c.contains(&client));
            match self.profile.rules().user_info_returning {
                // A list without the client vetoes; the client in the
                // list is a connection by itself.
                UserInfoReturning::Spec => match (&a.approved_clients, claims) {
                    (Some(list), Some(false)) if !list.is_empty() => false,
                    (_, Some(true)) => true,
                    _ => stored,
                },
                // Any list without the client vetoes; the browser's own
                // record is always needed.
                UserInfoReturning::Chromium => claims != Some(false) && stored,
            }
        };
        let (first, rest): (Vec<&Account>, Vec<&Account>) = list.iter().partition(|a| returning(a, &self.browser));
        if first.is_empty() && !mutant!(UserInfoWithoutConnection) {
            let msg = format!("no account is returning to {rp}");
            return self.fail(ErrorName::NetworkError, Reason::UserInfoNoReturningAccount, msg);
        }
        for a in &first {
            self.trace.push(Event::Note { text: format!("account {} is returning", a.id) });
        }
        let entry = |a: &&Account| UserInfoEntry {
            email: a.email.clone().unwrap_or_default(),
            name: a.name.clone().unwrap_or_default(),
            given_name: a.given_name.clone().unwrap_or_default(),
            picture: a.picture.as_ref().map(Url::to_string).unwrap_or_default(),
        };
        let accounts = first.iter().chain(rest.iter()).map(entry).collect();
        self.settle(UserInfoOutcome::Resolve { accounts });
    }
}
