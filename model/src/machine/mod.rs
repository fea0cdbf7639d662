//! The user agent's algorithm for `navigator.credentials.get({identity})`
//! as a sans-IO state machine (spec `#browser-api-rp-sign-in` and
//! `#create-identity-credential`).
//!
//! The machine never fetches, waits or draws a random number. A driver
//! polls [`Flow::next_step`] and answers: responses with
//! [`Flow::on_response`], the person with [`Flow::on_user`], timers with
//! [`Flow::on_timer`]. Fetches that the algorithm runs in parallel (the
//! well-known and config files, several providers) are all handed out
//! before the machine waits, so a driver may answer them in any order.

pub mod browser;
pub mod disconnect;
pub mod fetch;
mod manifests;
pub mod outcome;
pub mod prompt;
pub mod state;

use crate::idp::accounts::{self, Account};
use crate::idp::assertion::{self, AssertionResponse};
use crate::idp::client_metadata::{self, ClientMetadata};
use crate::idp::config::{Checked, Config};
use crate::idp::Rejected;
use crate::mutation::{on, Mutation};
use crate::options::{Mediation, Mode, ProviderRequest, RequestOptions};
use crate::problem::Problem;
use crate::profile::Profile;
use crate::trace::{Event, ResponseResult, Trace};
use crate::urls::{origin_string, same_site, ConfigUrl};
use browser::{BrowserState, Connection, LoginStatus};
use fetch::{FetchKind, FetchRequest, FetchResult, Pending, RequestId};
use manifests::Manifests;
use outcome::{ErrorName, IdentityCredential, Outcome, Reason, Rejection};
use prompt::{AccountChoice, ActionError, Prompt, UserAction};
use serde::Serialize;
use state::State;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use url::Url;

/// Who calls `get()`: the RP document and the top-level document it sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rp {
    /// The RP document's origin: `Origin` of its requests, the connected accounts key.
    pub origin: Url,
    /// The top-level document's origin; equal to `origin` when not framed.
    pub embedder: Url,
}

impl Rp {
    /// An RP that is not framed: the embedder is the RP itself.
    pub fn new(origin: Url) -> Rp {
        Rp { embedder: origin.clone(), origin }
    }
    fn origin_str(&self) -> String {
        origin_string(&self.origin)
    }
    fn embedder_str(&self) -> String {
        origin_string(&self.embedder)
    }
}

/// A timer the machine wants; the driver reports when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timer {
    /// Echoed back to [`Flow::on_timer`] when the timer fires.
    pub id: u64,
    /// What the timer is for (its length is the driver's choice).
    pub kind: TimerKind,
}

/// What a [`Timer`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimerKind {
    /// The randomised delay before some rejections (spec
    /// `#browser-api-rp-sign-in`); its length is the UA's choice.
    RejectionDelay,
}

/// What the machine needs next.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum Step {
    /// Send this request and report with [`Flow::on_response`]. Each
    /// request is handed out once.
    Fetch(FetchRequest),
    /// Ask the person; answer with [`Flow::on_user`]. Repeated until answered.
    Ask(Prompt),
    /// Start this timer; report with [`Flow::on_timer`].
    Wait(Timer),
    /// Nothing to do until a request handed out earlier is answered.
    Idle,
    /// The request settled; the same outcome is returned from now on.
    Done(Outcome),
}

/// What a provider contributes once its fetches are done (the spec's
/// provider map values).
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    LoggedOut,
    /// Credentials were sent to a logged-in IdP but no usable account came
    /// back: UI must follow, so silent tracking is impossible.
    Mismatch,
    Accounts(Vec<Account>),
}

/// Where one provider is. Each stage but `Skipped` and `Done` is a spec
/// step, and entering it writes its trace label ([`Stage::label`]): the
/// label comes from the stage, never set beside it.
#[derive(Debug, Clone)]
enum Stage {
    Skipped,
    /// Reading the login status and the connection gates (transient).
    LoginStatusCheck,
    /// Active mode, logged out: the login pop-up comes first (transient).
    LoginFirst,
    /// Fetching the well-known and config files. `for_login`: active mode,
    /// logged out, the login pop-up comes first.
    Manifests {
        manifests: Box<Manifests>,
        for_login: bool,
    },
    Accounts(RequestId),
    /// Filtering the fetched accounts by label and hints (transient).
    Filtering,
    Done(Entry),
}

impl Stage {
    /// The trace label of this step, if it is one.
    fn label(&self) -> Option<State> {
        Some(match self {
            Stage::Skipped | Stage::Done(_) => return None,
            Stage::LoginStatusCheck => State::LoginStatusCheck,
            Stage::LoginFirst => State::LoginBeforeAccounts,
            Stage::Manifests { .. } => State::FetchConfig,
            Stage::Accounts(_) => State::FetchAccounts,
            Stage::Filtering => State::FilterAccounts,
        })
    }

    /// A stage the machine passes through within one call, never resting
    /// in it (so it costs no bookkeeping work and no fingerprint sees it).
    fn transient(&self) -> bool {
        matches!(self, Stage::LoginStatusCheck | Stage::LoginFirst | Stage::Filtering)
    }
}

#[derive(Debug, Clone)]
struct Provider {
    request: ProviderRequest,
    config_url: Option<ConfigUrl>,
    /// Serialized IdP origin (the provider map key).
    origin: String,
    /// The login status read at the start (spec's local `loginStatus`).
    status_at_start: LoginStatus,
    stage: Stage,
    config: Option<Config>,
    metadata: Option<ClientMetadata>,
    /// Why the provider dropped out, for the rejection's explanation.
    skipped: Option<(String, Option<Problem>)>,
}

impl Provider {
    fn entry(&self) -> Option<&Entry> {
        match &self.stage {
            Stage::Done(e) => Some(e),
            _ => None,
        }
    }
    fn settled(&self) -> bool {
        matches!(self.stage, Stage::Skipped | Stage::Done(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Selection {
    provider: usize,
    account_id: String,
    auto: bool,
    /// A sign-up disclosure was shown for the chosen (new) account.
    permission_requested: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum AfterLogin {
    /// Active mode, logged out before any account fetch.
    FetchAccounts,
    /// From a mismatch: failure ends the request.
    Refetch,
    /// "Use another account": failure goes back to the chooser.
    UseOther,
}

#[derive(Debug, Clone)]
enum Phase {
    Providers,
    ClientMetadata(BTreeSet<RequestId>),
    Chooser,
    ConfirmIdpLogin(usize),
    LoginPopup {
        provider: usize,
        url: Url,
        after: AfterLogin,
    },
    /// `id` is `None` only while an assertion endpoint that cannot be used
    /// sends the flow on to the error dialog.
    Assertion {
        selection: Selection,
        id: Option<RequestId>,
    },
    Continuation {
        selection: Selection,
        url: Url,
    },
    ErrorDialog(Rejection),
    Delay {
        timer: u64,
        rejection: Rejection,
    },
    Done(Outcome),
}

/// A step the machine passes through within one call and never rests in:
/// it has a trace label but no phase of its own.
#[derive(Debug, Clone, Copy)]
enum Passing {
    /// Checking the RP's options (spec `#browser-api-credential-request-options`).
    Validation,
    /// Active mode's gates: one provider, a user gesture.
    ModeGate,
    /// Deciding whether to re-authenticate without asking.
    AutoReauthn,
}

impl Passing {
    fn label(self) -> State {
        match self {
            Passing::Validation => State::RequestValidation,
            Passing::ModeGate => State::ModeGate,
            Passing::AutoReauthn => State::AutoReauthn,
        }
    }
}

impl Phase {
    /// The trace label of the step this phase is, and its provider: what
    /// [`Flow::transition`] writes, so the label cannot drift from the
    /// phase. `Providers` has none (its providers' stages have theirs).
    fn label(&self) -> Option<(State, Option<usize>)> {
        Some(match self {
            Phase::Providers => return None,
            Phase::ClientMetadata(_) => (State::FetchClientMetadata, None),
            Phase::Chooser => (State::AccountChooser, None),
            Phase::ConfirmIdpLogin(i) => (State::ConfirmIdpLogin, Some(*i)),
            Phase::LoginPopup { provider, .. } => (State::LoginPopup, Some(*provider)),
            Phase::Assertion { selection, .. } => (State::FetchIdentityAssertion, Some(selection.provider)),
            Phase::Continuation { .. } => (State::ContinuationPopup, None),
            Phase::ErrorDialog(_) => (State::ErrorDialog, None),
            Phase::Delay { .. } => (State::RejectionDelay, None),
            Phase::Done(Outcome::Resolve { .. }) => (State::Resolved, None),
            Phase::Done(Outcome::Reject { .. }) => (State::Rejected, None),
        })
    }
}

/// One call of `navigator.credentials.get({identity})`.
#[derive(Debug, Clone)]
pub struct Flow {
    profile: Profile,
    rp: Rp,
    browser: BrowserState,
    mode: Mode,
    mediation: Mediation,
    providers: Vec<Provider>,
    phase: Phase,
    /// Requests to hand out, in order; each is in `inflight` too.
    outbox: VecDeque<FetchRequest>,
    /// Requests sent (or queued) and not yet answered: the machine's own
    /// record, so it never reads its trace back.
    inflight: BTreeMap<RequestId, Pending>,
    /// Providers whose stage is not settled: `maybe_providers_done` reads
    /// this count instead of looking at every provider after each response.
    unsettled: usize,
    /// Entries (providers, accounts, trace lookups) the machine's own
    /// bookkeeping visited; see [`Flow::work`].
    work: u64,
    next_id: u64,
    /// After a login pop-up succeeded: no auto re-authentication, show accounts.
    after_login: bool,
    trace: Trace,
    /// The serialized origins of the RP and its embedder, computed once.
    rp_origin: String,
    rp_embedder: String,
}

impl Flow {
    /// Starts a request from the options' JSON form (what JavaScript passes).
    pub fn from_json(rp: Rp, browser: BrowserState, options: &serde_json::Value, profile: Profile) -> Flow {
        match crate::options::parse(options, profile) {
            Ok(parsed) => {
                let warnings = parsed.warnings.iter().map(ToString::to_string).collect();
                Flow::with_notes(rp, browser, parsed.value, profile, warnings)
            }
            Err(rejected) => Flow::invalid(rp, browser, profile, rejected),
        }
    }

    fn empty(rp: Rp, browser: BrowserState, profile: Profile) -> Flow {
        Flow {
            profile,
            browser,
            mode: Mode::Passive,
            mediation: Mediation::Optional,
            providers: Vec::new(),
            phase: Phase::Providers,
            outbox: VecDeque::new(),
            inflight: BTreeMap::new(),
            unsettled: 0,
            work: 0,
            next_id: 0,
            after_login: false,
            trace: Trace::default(),
            rp_origin: rp.origin_str(),
            rp_embedder: rp.embedder_str(),
            rp,
        }
    }

    fn invalid(rp: Rp, browser: BrowserState, profile: Profile, rejected: Rejected) -> Flow {
        let mut flow = Flow::empty(rp, browser, profile);
        flow.record_start(None);
        flow.pass(Passing::Validation);
        let first = rejected.first();
        let name = match first.js_error_in(profile) {
            crate::problem::JsError::TypeError => ErrorName::TypeError,
            crate::problem::JsError::NotSupportedError => ErrorName::NotSupportedError,
            crate::problem::JsError::InvalidStateError => ErrorName::InvalidStateError,
            crate::problem::JsError::NetworkError => ErrorName::NetworkError,
        };
        let message = format!("the request options are invalid: {first}");
        flow.settle_reject(
            Rejection::new(name, Reason::InvalidOptions, false, message).with_problems(rejected.into_errors()),
        );
        flow
    }

    /// Starts a request from validated options.
    pub fn new(rp: Rp, browser: BrowserState, options: RequestOptions, profile: Profile) -> Flow {
        Flow::with_notes(rp, browser, options, profile, Vec::new())
    }

    /// Starts a request; `notes` (the options' warnings) follow the
    /// validation state in the trace, before anything the request does.
    fn with_notes(
        rp: Rp,
        browser: BrowserState,
        options: RequestOptions,
        profile: Profile,
        notes: Vec<String>,
    ) -> Flow {
        let mut flow = Flow::empty(rp, browser, profile);
        flow.mode = options.mode;
        flow.mediation = options.mediation;
        flow.record_start(Some(options.clone()));
        flow.pass(Passing::Validation);
        for text in notes {
            flow.note(text);
        }
        flow.providers = options
            .providers
            .into_iter()
            .map(|request| {
                let config_url = request.config_url.clone().ok();
                let origin = config_url.as_ref().map(|c| origin_string(c.url())).unwrap_or_else(|| "null".into());
                Provider {
                    request,
                    config_url,
                    origin,
                    status_at_start: LoginStatus::Unknown,
                    stage: Stage::Skipped,
                    config: None,
                    metadata: None,
                    skipped: None,
                }
            })
            .collect();
        flow.start();
        flow
    }

    /// The profile the request follows.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The browser state, with the changes this request made.
    pub fn browser(&self) -> &BrowserState {
        &self.browser
    }

    /// Everything the request did so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// How the request settled, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.phase {
            Phase::Done(o) => Some(o),
            _ => None,
        }
    }

    /// How many entries (providers, accounts, requests looked up) the
    /// machine's bookkeeping has visited so far: a deterministic cost that
    /// tests hold linear in the size of the request, so a scan over every
    /// provider or the whole trace per response cannot come back unnoticed.
    pub fn work(&self) -> u64 {
        self.work
    }

    /// The next thing the machine needs.
    pub fn next_step(&mut self) -> Step {
        if let Phase::Done(outcome) = &self.phase {
            return Step::Done(outcome.clone());
        }
        if let Some(request) = self.outbox.pop_front() {
            return Step::Fetch(request);
        }
        match &self.phase {
            Phase::Delay { timer, .. } => Step::Wait(Timer { id: *timer, kind: TimerKind::RejectionDelay }),
            _ => match self.prompt() {
                Some(p) => Step::Ask(p),
                None => Step::Idle,
            },
        }
    }

    /// The question currently waiting for an answer.
    pub fn prompt(&self) -> Option<Prompt> {
        Some(match &self.phase {
            Phase::Chooser => self.chooser_prompt(),
            Phase::ConfirmIdpLogin(i) => {
                Prompt::ConfirmIdpLogin { provider: *i, config_url: self.providers[*i].request.config_url_raw.clone() }
            }
            Phase::LoginPopup { provider, url, .. } => Prompt::LoginPopup { provider: *provider, url: url.clone() },
            Phase::Continuation { selection, url } => {
                Prompt::ContinuationPopup { provider: selection.provider, url: url.clone() }
            }
            Phase::ErrorDialog(r) => Prompt::ErrorDialog {
                code: r.code.clone().unwrap_or_default(),
                url: r.url.as_deref().and_then(|u| Url::parse(u).ok()),
            },
            _ => return None,
        })
    }

    /// `self.prompt().map(|p| p.name())`, without building the prompt.
    fn prompt_name(&self) -> Option<&'static str> {
        Some(match &self.phase {
            Phase::Chooser => "account-chooser",
            Phase::ConfirmIdpLogin(_) => "confirm-idp-login",
            Phase::LoginPopup { .. } => "login-popup",
            Phase::Continuation { .. } => "continuation-popup",
            Phase::ErrorDialog(_) => "error-dialog",
            _ => return None,
        })
    }

    /// Requests handed out (or queued) and not yet answered.
    pub fn pending_requests(&self) -> impl Iterator<Item = &Pending> {
        self.inflight.values()
    }

    /// Everything that decides the machine's future, as text for a model
    /// checker to hash (the checker adds the history from the trace).
    pub fn future_key(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{}",
            self.phase,
            self.providers.iter().map(|p| (&p.stage, &p.config, &p.metadata, p.status_at_start)).collect::<Vec<_>>(),
            self.inflight,
            self.outbox,
            self.browser,
            self.after_login
        )
    }

    /// Lets a driver record a decision of its own in the trace (e.g. that a
    /// scripted person ran out of answers).
    pub fn annotate(&mut self, text: impl Into<String>) {
        self.note(text);
    }

    /// The RP's `AbortSignal` fired: reject now; later responses are ignored.
    pub fn abort(&mut self) {
        if matches!(self.phase, Phase::Done(_)) {
            return;
        }
        self.outbox.clear();
        self.settle_reject(Rejection::new(ErrorName::AbortError, Reason::Aborted, false, "the RP aborted the request"));
    }

    // ---- the algorithm ----

    fn record_start(&mut self, options: Option<RequestOptions>) {
        let start = crate::trace::Start {
            profile: self.profile,
            rp: self.rp_origin.clone(),
            embedder: self.rp_embedder.clone(),
            options,
            browser: self.browser.clone(),
        };
        self.trace.push(Event::Start(Box::new(start)));
    }

    fn enter(&mut self, state: State, provider: Option<usize>) {
        self.trace.push(Event::Enter { state, provider });
    }

    fn note(&mut self, text: impl Into<String>) {
        self.trace.push(Event::Note { text: text.into() });
    }

    fn id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    fn send(&mut self, request: FetchRequest) {
        self.inflight.insert(request.id, Pending::of(&request));
        self.outbox.push_back(request.clone());
        self.trace.push(Event::Request { request });
    }

    /// Every stage change goes through here, keeping `unsettled` exact and
    /// writing the stage's trace label.
    fn set_stage(&mut self, i: usize, stage: Stage) {
        if !stage.transient() {
            self.work += 1;
        }
        if let Some(state) = stage.label() {
            self.enter(state, Some(i));
        }
        let was = self.providers[i].settled();
        self.providers[i].stage = stage;
        match (was, self.providers[i].settled()) {
            (true, false) => self.unsettled += 1,
            (false, true) => self.unsettled -= 1,
            _ => {}
        }
    }

    /// Whether `(failure, false)` paths wait before rejecting. The spec
    /// always does; Chromium only in passive mode outside silent mediation.
    fn failure_is_delayed(&self) -> bool {
        match self.profile {
            Profile::Spec => true,
            Profile::Chromium => self.mode == Mode::Passive && self.mediation != Mediation::Silent,
        }
    }

    fn start(&mut self) {
        // Mode gate (spec #create-identity-credential): active mode needs
        // exactly one provider and a user gesture.
        if self.mode == Mode::Active && !on(Mutation::SkipModeGate) {
            self.pass(Passing::ModeGate);
            if self.providers.len() != 1 {
                let msg = format!("active mode takes exactly one provider, got {}", self.providers.len());
                return self.reject_now(Reason::ActiveModeProviderCount, msg);
            }
            if !self.browser.transient_activation {
                return self.reject_now(Reason::ActiveModeNoActivation, "active mode needs transient user activation");
            }
        }
        // Duplicates are found before any fetch (ambiguity A35). The spec
        // compares origins; Chromium compares config URLs. One map of first
        // occurrences keeps this linear in the number of providers.
        self.work += self.providers.len() as u64;
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        let mut duplicate = None;
        for (i, a) in self.providers.iter().enumerate() {
            let (key, comparable) = match self.profile {
                Profile::Spec => (a.origin.as_str(), a.config_url.is_some()),
                Profile::Chromium => (a.request.config_url_raw.as_str(), true),
            };
            match first.get(key) {
                Some(&j) if comparable => {
                    duplicate = Some((j, i, a.origin.clone()));
                    break;
                }
                Some(_) => {}
                None => {
                    first.insert(key, i);
                }
            }
        }
        if let Some((j, i, origin)) = duplicate.filter(|_| !on(Mutation::SkipDuplicateCheck)) {
            let msg = format!("providers {j} and {i} share the IdP origin {origin}");
            return self.reject_now(Reason::DuplicateProvider, msg);
        }
        if self.profile == Profile::Chromium {
            if let Some(p) = self.providers.iter().find(|p| p.request.config_url.is_err()) {
                let msg = format!("configURL {} is not potentially trustworthy", p.request.config_url_raw);
                return self.reject_now(Reason::UntrustworthyConfigUrl, msg);
            }
        }
        for i in 0..self.providers.len() {
            self.start_provider(i);
        }
        self.maybe_providers_done();
    }

    fn skip(&mut self, i: usize, why: impl Into<String>, problem: Option<Problem>) {
        let why = why.into();
        self.set_stage(i, Stage::Skipped);
        self.providers[i].skipped = Some((why.clone(), problem.clone()));
        self.trace.push(Event::ProviderSkipped { provider: i, why, problem });
    }

    /// The per-provider steps before any fetch (spec #create-identity-credential).
    fn start_provider(&mut self, i: usize) {
        self.set_stage(i, Stage::LoginStatusCheck);
        let origin = &self.providers[i].origin;
        let has_connection = self.browser.has_connection(&self.rp_embedder, &self.rp_origin, origin);
        let status = self.browser.login_status(origin);
        let requires_user_mediation = self.browser.requires_user_mediation.contains(&self.rp_origin);
        let config_url = match &self.providers[i].request.config_url {
            Ok(c) => c.clone(),
            Err(e) => {
                let problem = Problem::error(
                    crate::Document::RequestOptions,
                    Some(format!("identity.providers[{i}].configURL")),
                    crate::Rule::InvalidConfigUrl(e.clone()),
                );
                return self.skip(i, "the configURL cannot be fetched", Some(problem));
            }
        };
        if self.mediation == Mediation::Silent && !has_connection && !on(Mutation::SkipSilentConnectionGate) {
            return self.skip(i, "silent mediation and no account of this IdP is connected to the RP", None);
        }
        self.providers[i].status_at_start = status;
        // `unknown` is treated like logged-in here (the spec lets the UA
        // choose; ambiguity A7, as Chromium does).
        if status == LoginStatus::LoggedOut && !on(Mutation::IgnoreLoggedOut) {
            if self.mode == Mode::Active && self.mediation != Mediation::Silent {
                self.set_stage(i, Stage::LoginFirst);
                return self.fetch_manifests(i, config_url, true);
            }
            self.note(format!("provider {i}: the IdP is logged out; no fetch is made"));
            return self.set_entry(i, Entry::LoggedOut);
        }
        if self.mediation == Mediation::Silent && requires_user_mediation {
            return self.skip(i, "silent mediation, and the RP requires user mediation", None);
        }
        self.fetch_manifests(i, config_url, false);
    }

    fn fetch_manifests(&mut self, i: usize, config_url: ConfigUrl, for_login: bool) {
        let mut out = Vec::new();
        let manifests = Manifests::start(config_url, &self.rp.origin, i, &mut self.next_id, &mut out);
        self.set_stage(i, Stage::Manifests { manifests: Box::new(manifests), for_login });
        for r in out {
            self.send(r);
        }
    }

    /// A driver's answer to a request.
    pub fn on_response(&mut self, id: RequestId, result: FetchResult) {
        self.work += 1;
        let Some(request) = self.inflight.remove(&id) else {
            return self.note(format!("response to unknown or finished request {id:?} ignored"));
        };
        let (kind, provider) = (request.kind, request.provider);
        let status = result.as_ref().ok().map(|r| r.status);
        // CORS is judged only on the assertion (the one CORS-mode request of
        // a sign-in); other responses' Access-Control headers mean nothing.
        let access_control = if kind == FetchKind::Assertion { Trace::access_control(&result) } else { Vec::new() };
        // Called at most once on every path: moves the headers into the trace.
        let record = |flow: &mut Flow, result: ResponseResult| {
            flow.trace.push(Event::Response { id, kind, status, result, access_control });
        };
        if matches!(self.phase, Phase::Done(_) | Phase::Delay { .. }) || kind == FetchKind::Picture {
            return record(self, ResponseResult::Ignored);
        }
        match kind {
            FetchKind::WellKnown | FetchKind::Config => {
                let i = provider;
                let Stage::Manifests { manifests, for_login } = &mut self.providers[i].stage else {
                    return record(self, ResponseResult::Ignored);
                };
                let for_login = *for_login;
                let (follow, res) = manifests.on_response(&request, &result, self.profile, &mut self.next_id);
                record(self, res);
                if let Some(f) = follow {
                    self.note(format!("the well-known file redirects to {}; following", f.url));
                    return self.send(f);
                }
                self.manifests_progress(i, for_login);
            }
            FetchKind::Accounts => {
                let i = provider;
                if !matches!(self.providers[i].stage, Stage::Accounts(a) if a == id) {
                    return record(self, ResponseResult::Ignored);
                }
                let parsed = match &result {
                    Ok(r) => accounts::parse(r, self.profile).map_err(|e| e.into_errors()),
                    Err(e) => Err(vec![no_response(crate::Document::Accounts, &e.reason)]),
                };
                record(
                    self,
                    match (&parsed, &result) {
                        (Ok(_), _) => ResponseResult::Accepted,
                        (Err(_), Err(e)) => ResponseResult::NetworkError { reason: e.reason.clone() },
                        (Err(p), _) => ResponseResult::Rejected { problems: p.clone() },
                    },
                );
                self.accounts_done(i, parsed.map(|p| p.value.accounts));
            }
            FetchKind::ClientMetadata => {
                let metadata = result.as_ref().ok().map(|r| client_metadata::parse(r, self.profile));
                record(
                    self,
                    match &metadata {
                        Some(Ok(_)) => ResponseResult::Accepted,
                        Some(Err(r)) => ResponseResult::Rejected { problems: r.errors().cloned().collect() },
                        None => ResponseResult::NetworkError {
                            reason: result.as_ref().err().map(|e| e.reason.clone()).unwrap_or_default(),
                        },
                    },
                );
                if let Some(Ok(m)) = metadata {
                    self.providers[provider].metadata = Some(m.value);
                }
                if let Phase::ClientMetadata(waiting) = &mut self.phase {
                    waiting.remove(&id);
                    if waiting.is_empty() {
                        self.show_chooser();
                    }
                }
            }
            FetchKind::Assertion => {
                let Phase::Assertion { selection, id: want } = &self.phase else {
                    return record(self, ResponseResult::Ignored);
                };
                if *want != Some(id) {
                    return record(self, ResponseResult::Ignored);
                }
                let selection = selection.clone();
                self.assertion_done(selection, id, result, status);
            }
            FetchKind::Picture | FetchKind::Disconnect => record(self, ResponseResult::Ignored),
        }
    }

    fn manifests_progress(&mut self, i: usize, for_login: bool) {
        let Stage::Manifests { manifests, .. } = &mut self.providers[i].stage else { return };
        let Some(result) = manifests.take_result(self.profile) else { return };
        match result {
            Err(problem) => {
                if for_login {
                    let msg = format!("the config needed for the login pop-up failed: {problem}");
                    return self.reject_with(Reason::LoginPopupFailed, false, msg, vec![problem]);
                }
                self.skip(i, "fetch the config file failed", Some(problem));
                self.maybe_providers_done();
            }
            Ok(config) => {
                self.providers[i].config = Some(config);
                if for_login {
                    self.open_login_popup(i, AfterLogin::FetchAccounts);
                } else {
                    self.fetch_accounts(i);
                }
            }
        }
    }

    fn fetch_accounts(&mut self, i: usize) {
        let Some(config) = &self.providers[i].config else { return };
        let url = config.accounts_endpoint.url().clone();
        let id = self.id();
        self.set_stage(i, Stage::Accounts(id));
        let mut url = url;
        if on(Mutation::AccountsCarryClientId) {
            let client = self.providers[i].request.client_id.clone();
            url.query_pairs_mut().append_pair("client_id", &client);
        }
        self.send(FetchRequest::accounts(id, i, url));
    }

    /// The spec's "fetch accounts" helper: login status, pictures, filters,
    /// then the provider map entry.
    fn accounts_done(&mut self, i: usize, result: Result<Vec<Account>, Vec<Problem>>) {
        let origin = self.providers[i].origin.clone();
        let list = match result {
            Ok(list) if !list.is_empty() => list,
            other => {
                let problem = other.err().and_then(|p| p.into_iter().next());
                self.set_login_status(&origin, LoginStatus::LoggedOut);
                let why =
                    if problem.is_some() { "the accounts list was rejected" } else { "the accounts list is empty" };
                return self.provider_without_accounts(i, why, problem);
            }
        };
        self.set_login_status(&origin, LoginStatus::LoggedIn);
        // The spec fetches every picture before filtering, so the fetches
        // reveal nothing about the hints; Chromium fetches after filtering.
        if self.profile == Profile::Spec {
            self.fetch_pictures(i, &list);
        }
        self.set_stage(i, Stage::Filtering);
        let p = &self.providers[i];
        let label = p.config.as_ref().and_then(|c| c.account_label.clone());
        let login_hint = p.request.login_hint.clone().filter(|h| !h.is_empty());
        let domain_hint = p.request.domain_hint.clone().filter(|h| !h.is_empty());
        let before = list.len();
        let filtered: Vec<Account> = list
            .into_iter()
            .filter(|a| label.as_deref().is_none_or(|l| a.matches_label(l)))
            .filter(|a| login_hint.as_deref().is_none_or(|h| a.matches_login_hint(h)))
            .filter(|a| domain_hint.as_deref().is_none_or(|h| a.matches_domain_hint(h)))
            .collect();
        if filtered.len() != before {
            self.note(format!("provider {i}: {} of {before} accounts match the hints and label", filtered.len()));
        }
        if filtered.is_empty() {
            return self.provider_without_accounts(
                i,
                "no account matches loginHint, domainHint or account_label",
                None,
            );
        }
        if self.profile == Profile::Chromium {
            self.fetch_pictures(i, &filtered);
        }
        self.set_entry(i, Entry::Accounts(filtered));
        self.after_provider_accounts(i);
    }

    fn fetch_pictures(&mut self, i: usize, list: &[Account]) {
        for url in list.iter().filter_map(|a| a.picture.clone()) {
            let id = self.id();
            let request = FetchRequest::anonymous(id, FetchKind::Picture, i, url);
            self.send(request);
        }
    }

    /// Empty, failed or filtered-out: "mismatch" when credentials went to a
    /// logged-in IdP outside silent mediation (UI must follow), else
    /// "logged-out".
    fn provider_without_accounts(&mut self, i: usize, why: &str, problem: Option<Problem>) {
        let mismatch = self.providers[i].status_at_start == LoginStatus::LoggedIn
            && self.mediation != Mediation::Silent
            && !on(Mutation::EmptyAccountsNeverMismatch);
        let entry = if mismatch { Entry::Mismatch } else { Entry::LoggedOut };
        self.trace.push(Event::Note {
            text: format!("provider {i}: {why}; it counts as {}", if mismatch { "a mismatch" } else { "logged out" }),
        });
        if let Some(p) = problem {
            self.trace.push(Event::ProviderSkipped { provider: i, why: why.to_string(), problem: Some(p) });
        }
        self.set_entry(i, entry);
        self.after_provider_accounts(i);
    }

    fn set_entry(&mut self, i: usize, entry: Entry) {
        let (name, accounts, approved_clients) = match &entry {
            Entry::LoggedOut => ("logged-out", Vec::new(), Vec::new()),
            Entry::Mismatch => ("mismatch", Vec::new(), Vec::new()),
            Entry::Accounts(list) => (
                "accounts",
                list.iter().map(|a| a.id.clone()).collect(),
                list.iter().map(|a| a.approved_clients.clone()).collect(),
            ),
        };
        self.trace.push(Event::ProviderEntry { provider: i, entry: name.into(), accounts, approved_clients });
        self.set_stage(i, Stage::Done(entry));
    }

    fn after_provider_accounts(&mut self, i: usize) {
        if self.after_login {
            // A re-fetch after a login pop-up: back to the accounts UI.
            return match self.providers[i].entry() {
                Some(Entry::Accounts(_)) => self.show_accounts(),
                _ => self.ask(Phase::ConfirmIdpLogin(i)),
            };
        }
        self.maybe_providers_done();
    }

    fn set_login_status(&mut self, origin: &str, status: LoginStatus) {
        if on(Mutation::NoLoginStatusUpdate) {
            return;
        }
        self.browser.set_login_status(origin, status);
        self.trace.push(Event::LoginStatusSet { origin: origin.to_string(), status });
    }

    fn maybe_providers_done(&mut self) {
        self.work += 1;
        if !matches!(self.phase, Phase::Providers) || self.unsettled > 0 {
            return;
        }
        self.decide();
    }

    /// After every provider: auto re-authentication, silent failure, or UI
    /// (spec #create-identity-credential).
    fn decide(&mut self) {
        self.work += self.providers.len() as u64;
        let entries: Vec<(usize, &Entry)> =
            self.providers.iter().enumerate().filter_map(|(i, p)| p.entry().map(|e| (i, e))).collect();
        if entries.is_empty() {
            let delayed = self.failure_is_delayed();
            let skipped: Vec<&(String, Option<Problem>)> =
                self.providers.iter().filter_map(|p| p.skipped.as_ref()).collect();
            let why: Vec<String> = skipped
                .iter()
                .enumerate()
                .map(|(i, (why, problem))| match problem {
                    Some(p) => format!("provider {i}: {why} ({})", p.rule.id()),
                    None => format!("provider {i}: {why}"),
                })
                .collect();
            let problems = skipped.iter().filter_map(|(_, p)| p.clone()).collect();
            let msg = format!("no provider could be used: {}", why.join("; "));
            return self.reject_with(Reason::NoProviderLeft, delayed, msg, problems);
        }
        let any_mismatch = entries.iter().any(|(_, e)| matches!(e, Entry::Mismatch));
        let (embedder, rp) = (&self.rp_embedder, &self.rp_origin);
        let eligible: Vec<(usize, String)> = entries
            .iter()
            .filter_map(|(i, e)| match e {
                Entry::Accounts(list) => Some((*i, list)),
                _ => None,
            })
            .flat_map(|(i, list)| {
                let p = &self.providers[i];
                list.iter()
                    .filter(|a| {
                        a.approved_clients.as_ref().is_none_or(|c| c.contains(&p.request.client_id))
                            && self.browser.is_connected(embedder, rp, &p.origin, &a.id)
                    })
                    .map(move |a| (i, a.id.clone()))
            })
            .collect();
        // Chromium drops logged-out IdPs before it looks at silent mediation,
        // and fails with the delay in passive mode.
        let all_logged_out_at_start = self
            .providers
            .iter()
            .all(|p| p.status_at_start == LoginStatus::LoggedOut && matches!(p.entry(), Some(Entry::LoggedOut) | None));
        if self.profile == Profile::Chromium && all_logged_out_at_start && self.mode == Mode::Passive {
            let msg = "every IdP is logged out";
            return self.reject_with(Reason::NotSignedIn, true, msg, Vec::new());
        }
        self.pass(Passing::AutoReauthn);
        let requires_mediation = self.browser.requires_user_mediation.contains(&self.rp_origin);
        let required = self.mediation == Mediation::Required && !on(Mutation::AutoReauthnIgnoresRequired);
        let one = eligible.len() == 1 || (on(Mutation::AutoReauthnWithSeveralAccounts) && !eligible.is_empty());
        let any_mismatch = any_mismatch && !on(Mutation::AutoReauthnDespiteMismatch);
        if !required && !requires_mediation && one && !any_mismatch {
            let (provider, account_id) = eligible[0].clone();
            self.trace.push(Event::AutoSelected { provider, account_id: account_id.clone() });
            return self.fetch_assertion(Selection { provider, account_id, auto: true, permission_requested: false });
        }
        if self.mediation == Mediation::Silent {
            let msg = format!(
                "silent mediation needs exactly one returning account and no mismatch; found {} eligible",
                eligible.len()
            );
            let delayed = self.profile == Profile::Spec;
            return self.reject_with(Reason::SilentWithoutAutoReauthn, delayed, msg, Vec::new());
        }
        self.show_accounts();
    }

    fn accounts_shown(&self) -> Vec<(usize, &Account)> {
        self.providers
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p.entry() {
                Some(Entry::Accounts(list)) => Some(list.iter().map(move |a| (i, a))),
                _ => None,
            })
            .flatten()
            .collect()
    }

    fn mismatched(&self) -> Vec<usize> {
        self.providers
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p.entry(), Some(Entry::Mismatch)))
            .map(|(i, _)| i)
            .collect()
    }

    /// "connected" for the chooser: `approved_clients` decides alone when
    /// present (spec "compute the connection status").
    fn is_returning(&self, i: usize, account: &Account) -> bool {
        let p = &self.providers[i];
        match &account.approved_clients {
            Some(clients) => clients.contains(&p.request.client_id),
            None => self.browser.is_connected(&self.rp_embedder, &self.rp_origin, &p.origin, &account.id),
        }
    }

    fn show_accounts(&mut self) {
        let shown = self.accounts_shown();
        let visited = (self.providers.len() + shown.len()) as u64;
        let mismatched = self.mismatched();
        if shown.is_empty() {
            if let Some(&i) = mismatched.first() {
                if self.profile == Profile::Chromium && self.mode == Mode::Active {
                    // Chromium's active mode goes straight to the login pop-up.
                    return self.open_login_popup(i, AfterLogin::Refetch);
                }
                return self.ask(Phase::ConfirmIdpLogin(i));
            }
            // Chromium's active mode offers the login pop-up when the accounts
            // fetch failed for an IdP whose status was unknown.
            if self.profile == Profile::Chromium && self.mode == Mode::Active {
                let fetched = self.providers.iter().position(|p| {
                    p.config.is_some()
                        && p.status_at_start == LoginStatus::Unknown
                        && matches!(p.entry(), Some(Entry::LoggedOut))
                });
                if let Some(i) = fetched {
                    return self.open_login_popup(i, AfterLogin::Refetch);
                }
            }
            // Only logged-out providers: show nothing and fail as the spec's
            // option "return (failure, false)" does (ambiguities A8, A9).
            let delayed = self.failure_is_delayed();
            return self.reject_with(Reason::NotSignedIn, delayed, "the user is not signed in to any IdP", Vec::new());
        }
        // Client metadata (the spec's extension): links for the sign-up
        // disclosure. Failures are not fatal.
        let mut waiting = BTreeSet::new();
        let providers: Vec<usize> = {
            let mut v: Vec<usize> = shown.iter().map(|(i, _)| *i).collect();
            v.dedup();
            v
        };
        self.work += visited;
        let mut requests = Vec::new();
        for i in providers {
            if self.providers[i].metadata.is_some() || !self.wants_client_metadata(i) {
                continue;
            }
            let Some(Checked::Valid(endpoint)) =
                self.providers[i].config.as_ref().and_then(|c| c.client_metadata_endpoint.clone())
            else {
                continue;
            };
            let url = self.client_metadata_url(i, endpoint.url().clone());
            let id = self.id();
            waiting.insert(id);
            requests.push(FetchRequest::client_metadata(id, i, url, &self.rp_origin));
        }
        if waiting.is_empty() {
            return self.show_chooser();
        }
        // The step's label comes before its requests in the trace.
        self.transition(Phase::ClientMetadata(waiting));
        for request in requests {
            self.send(request);
        }
    }

    fn fields(&self, i: usize) -> Vec<&str> {
        // An absent list means the default disclosure (ambiguity A33:
        // engines apply the default everywhere).
        match &self.providers[i].request.fields {
            Some(fields) => fields.iter().map(String::as_str).collect(),
            None => vec!["name", "email", "picture"],
        }
    }

    /// `!self.fields(i).is_empty()`, without building the list.
    fn has_fields(&self, i: usize) -> bool {
        self.providers[i].request.fields.as_ref().is_none_or(|f| !f.is_empty())
    }

    fn wants_client_metadata(&self, i: usize) -> bool {
        let fields_non_empty = self.has_fields(i);
        match self.profile {
            Profile::Spec => fields_non_empty || !same_site(&self.rp.origin, &self.rp.embedder),
            Profile::Chromium => {
                let new_account = match self.providers[i].entry() {
                    Some(Entry::Accounts(list)) => list.iter().any(|a| !self.is_returning(i, a)),
                    _ => false,
                };
                fields_non_empty && new_account
            }
        }
    }

    fn client_metadata_url(&self, i: usize, mut url: Url) -> Url {
        let client_id = &self.providers[i].request.client_id;
        let cross_site = !same_site(&self.rp.origin, &self.rp.embedder);
        let embedder = &self.rp_embedder;
        match self.profile {
            // The spec concatenates the raw strings (ambiguity A20); the URL
            // parser still percent-encodes what a query cannot hold.
            Profile::Spec => {
                let mut q = format!("client_id={client_id}");
                if cross_site {
                    q.push_str(&format!("&top_level_origin={embedder}"));
                }
                url.set_query(Some(&q));
            }
            Profile::Chromium => {
                let mut s = url::form_urlencoded::Serializer::new(String::new());
                s.append_pair("client_id", client_id);
                if cross_site {
                    s.append_pair("top_frame_origin", embedder);
                }
                url.set_query(Some(&s.finish()));
            }
        }
        url
    }

    fn supports_use_other_account(&self) -> bool {
        self.mode == Mode::Active
            && self.providers.len() == 1
            && self.providers[0].config.as_ref().is_some_and(|c| c.supports_use_other_account(true))
    }

    fn chooser_prompt(&self) -> Prompt {
        let accounts = self
            .accounts_shown()
            .into_iter()
            .map(|(i, a)| AccountChoice {
                provider: i,
                config_url: self.providers[i].request.config_url_raw.clone(),
                account_id: a.id.clone(),
                display_name: a.display_name().to_string(),
                returning: self.is_returning(i, a),
            })
            .collect();
        Prompt::AccountChooser {
            accounts,
            use_other_account: self.supports_use_other_account(),
            login_to: self.mismatched(),
        }
    }

    fn show_chooser(&mut self) {
        if on(Mutation::AssertionWithoutChoice) {
            if let Some((provider, a)) = self.accounts_shown().first().map(|(i, a)| (*i, a.id.clone())) {
                let selection = Selection { provider, account_id: a, auto: false, permission_requested: false };
                return self.fetch_assertion(selection);
            }
        }
        self.ask(Phase::Chooser);
    }

    /// Passes through a step: its trace label, and no phase change.
    fn pass(&mut self, step: Passing) {
        self.enter(step.label(), None);
    }

    /// Enters a step: its trace label, then the phase.
    fn transition(&mut self, phase: Phase) {
        if let Some((state, provider)) = phase.label() {
            self.enter(state, provider);
        }
        self.phase = phase;
    }

    /// Enters a step that asks the person, and records the question.
    fn ask(&mut self, phase: Phase) {
        self.transition(phase);
        if let Some(prompt) = self.prompt() {
            self.trace.push(Event::Prompt { prompt });
        }
    }

    fn open_login_popup(&mut self, i: usize, after: AfterLogin) {
        let Some(config) = &self.providers[i].config else {
            return self.reject_with(Reason::LoginPopupFailed, false, "no config to take login_url from", Vec::new());
        };
        // The login URL as resolved when the config was checked (the spec
        // re-parses the raw string with no base; ambiguity A28).
        let mut url = config.login_url.url().clone();
        let req = &self.providers[i].request;
        let hints: Vec<(&str, &str)> = [("login_hint", &req.login_hint), ("domain_hint", &req.domain_hint)]
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
            .collect();
        if !hints.is_empty() && !on(Mutation::LoginPopupDropsHints) {
            url.query_pairs_mut().extend_pairs(hints);
        }
        self.ask(Phase::LoginPopup { provider: i, url, after });
    }

    /// The person's answer to the current prompt.
    pub fn on_user(&mut self, action: UserAction) -> Result<(), ActionError> {
        let prompt_name = self.prompt_name();
        let phase = self.phase.clone();
        match (&phase, &action) {
            (Phase::Chooser, UserAction::Choose { account_id, config_url }) => {
                let found = self.accounts_shown().into_iter().find(|(i, a)| {
                    &a.id == account_id
                        && config_url.as_deref().is_none_or(|c| c == self.providers[*i].request.config_url_raw)
                });
                let Some((provider, account)) = found else {
                    if on(Mutation::AcceptUnshownChoice) && !self.providers.is_empty() {
                        self.trace.push(Event::User { action: action.clone() });
                        let selection = Selection {
                            provider: 0,
                            account_id: account_id.clone(),
                            auto: false,
                            permission_requested: false,
                        };
                        self.fetch_assertion(selection);
                        return Ok(());
                    }
                    return Err(ActionError::UnknownAccount { prompt: prompt_name, account_id: account_id.clone() });
                };
                let returning = self.is_returning(provider, account);
                if on(Mutation::ConnectOnSelection) {
                    let c = Connection {
                        embedder: self.rp_embedder.clone(),
                        rp: self.rp_origin.clone(),
                        idp: self.providers[provider].origin.clone(),
                        account: account_id.clone(),
                    };
                    if self.browser.connect(c.clone()) {
                        self.trace.push(Event::ConnectionAdded { connection: c });
                    }
                }
                let permission_requested = !returning && self.has_fields(provider);
                self.trace.push(Event::User { action: action.clone() });
                self.fetch_assertion(Selection {
                    provider,
                    account_id: account_id.clone(),
                    auto: false,
                    permission_requested,
                });
            }
            (Phase::Chooser | Phase::ConfirmIdpLogin(_), UserAction::Cancel) => {
                self.trace.push(Event::User { action: action.clone() });
                self.reject_with(Reason::UserCancelled, false, "the user closed the dialog", Vec::new());
            }
            (Phase::Chooser, UserAction::Login { config_url }) => {
                let pick =
                    |i: &usize| config_url.as_deref().is_none_or(|c| c == self.providers[*i].request.config_url_raw);
                let (target, after) = match self.mismatched().into_iter().find(pick) {
                    Some(i) => (i, AfterLogin::Refetch),
                    None if self.supports_use_other_account() => (0, AfterLogin::UseOther),
                    None => return Err(ActionError::NoLoginTarget { prompt: prompt_name }),
                };
                self.trace.push(Event::User { action: action.clone() });
                self.open_login_popup(target, after);
            }
            (Phase::ConfirmIdpLogin(i), UserAction::Login { .. }) => {
                self.trace.push(Event::User { action: action.clone() });
                self.open_login_popup(*i, AfterLogin::Refetch);
            }
            (
                Phase::LoginPopup { provider, after, .. },
                UserAction::LoggedIn | UserAction::IdpClose | UserAction::Cancel,
            ) => {
                let (i, after) = (*provider, *after);
                let origin = self.providers[i].origin.clone();
                if action == UserAction::LoggedIn {
                    self.trace.push(Event::User { action: action.clone() });
                    self.set_login_status(&origin, LoginStatus::LoggedIn);
                } else {
                    self.trace.push(Event::User { action: action.clone() });
                }
                // Success iff the IdP's login status is logged-in when the
                // pop-up closes through IdentityProvider.close().
                let success =
                    action != UserAction::Cancel && self.browser.login_status(&origin) == LoginStatus::LoggedIn;
                if !success {
                    if after == AfterLogin::UseOther {
                        self.show_chooser();
                    } else {
                        let msg = "the login pop-up closed without the user logging in";
                        self.reject_with(Reason::LoginPopupFailed, false, msg, Vec::new());
                    }
                    return Ok(());
                }
                self.after_login = after != AfterLogin::FetchAccounts;
                // The pop-up is closed: nothing is asked while accounts load.
                self.phase = Phase::Providers;
                if after == AfterLogin::FetchAccounts {
                    self.providers[i].status_at_start = LoginStatus::LoggedIn;
                }
                self.fetch_accounts(i);
            }
            (Phase::Continuation { selection, .. }, UserAction::Resolve { token, account_id }) => {
                let mut selection = selection.clone();
                self.trace.push(Event::User { action: action.clone() });
                if let Some(id) = account_id {
                    selection.account_id = id.clone();
                }
                self.resolve(&selection, token.clone());
            }
            (Phase::Continuation { .. }, UserAction::Cancel | UserAction::IdpClose) => {
                self.trace.push(Event::User { action: action.clone() });
                let (reason, who) = if action == UserAction::Cancel {
                    (Reason::ContinuationClosedByUser, "the user closed")
                } else {
                    (Reason::ContinuationClosedByIdp, "the IdP closed")
                };
                self.reject_with(reason, false, format!("{who} the continuation pop-up"), Vec::new());
            }
            (Phase::ErrorDialog(rejection), UserAction::Dismiss | UserAction::Cancel) => {
                self.trace.push(Event::User { action: action.clone() });
                self.settle_reject(rejection.clone());
            }
            (Phase::Done(_), _) => return Err(ActionError::Settled { prompt: prompt_name }),
            _ => {
                return match prompt_name {
                    Some(prompt) => Err(ActionError::DoesNotFit { prompt, action: format!("{action:?}") }),
                    None => Err(ActionError::NothingAsked),
                }
            }
        }
        Ok(())
    }

    /// "fetch an identity assertion" (spec #fetch-identity-assertion).
    fn fetch_assertion(&mut self, selection: Selection) {
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
                self.transition(Phase::Assertion { selection, id: None });
                return self.show_error(rejection);
            }
        };
        let id = self.id();
        let form = self.assertion_form(&selection);
        let mut request =
            FetchRequest::credentialed_post(id, FetchKind::Assertion, i, endpoint, &self.rp_origin, &form);
        if on(Mutation::AssertionWithoutOrigin) {
            request.origin = None;
            request.headers.retain(|(k, _)| *k != "Origin");
        }
        self.transition(Phase::Assertion { selection, id: Some(id) });
        if on(Mutation::AssertionTwice) {
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
        push("client_id", Cow::Borrowed(&req.client_id));
        match self.profile {
            Profile::Spec => {
                push("account_id", Cow::Borrowed(&s.account_id));
                push("is_auto_selected", bool_str(s.auto && !on(Mutation::BodyNeverAuto)));
                if s.permission_requested && !fields.is_empty() {
                    push("fields", Cow::Owned(fields.join(",")));
                    push("disclosure_shown_for", Cow::Owned(shown.join(",")));
                    if text_shown {
                        push("disclosure_text_shown", Cow::Borrowed("true"));
                    }
                }
                if let Some(p) = params {
                    push("params", Cow::Owned(p.to_string()));
                }
            }
            Profile::Chromium => {
                if let Some(nonce) = req.nonce.as_ref().filter(|n| !n.is_empty()) {
                    push("nonce", Cow::Borrowed(nonce));
                }
                push("account_id", Cow::Borrowed(&s.account_id));
                push("disclosure_text_shown", bool_str(text_shown));
                push("is_auto_selected", bool_str(s.auto));
                if self.mode == Mode::Active {
                    push("mode", Cow::Borrowed("active"));
                }
                if s.permission_requested {
                    push("fields", Cow::Owned(fields.join(",")));
                    push("disclosure_shown_for", Cow::Owned(shown.join(",")));
                }
                if let Some(p) = params {
                    if let Some(obj) = p.as_object() {
                        for (k, v) in obj {
                            let v = v.as_str().map_or_else(|| Cow::Owned(v.to_string()), Cow::Borrowed);
                            form.push((Cow::Owned(format!("param_{k}")), v));
                        }
                    }
                    form.push((Cow::Borrowed("params"), Cow::Owned(p.to_string())));
                }
            }
        }
        form
    }

    fn assertion_done(&mut self, selection: Selection, id: RequestId, result: FetchResult, status: Option<u16>) {
        let access_control = Trace::access_control(&result);
        let record = |flow: &mut Flow, res: ResponseResult| {
            flow.trace.push(Event::Response { id, kind: FetchKind::Assertion, status, result: res, access_control });
        };
        let response = match result {
            Err(e) => {
                record(self, ResponseResult::NetworkError { reason: e.reason.clone() });
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
        // A CORS failure is a network error (spec #fetch-identity-assertion).
        if let Some(cors) = cors_problem(&response, &self.rp_origin).filter(|_| !on(Mutation::SkipCorsCheck)) {
            record(self, ResponseResult::NetworkError { reason: cors.clone() });
            let r = Rejection::identity_error(
                Reason::AssertionNetworkError,
                String::new(),
                None,
                format!("the identity assertion response fails CORS: {cors}"),
            );
            return self.show_error(r);
        }
        let Some(config) = &self.providers[selection.provider].config else { return };
        let Some(endpoint) = config.id_assertion_endpoint.valid().cloned() else { return };
        match assertion::parse(&response, &endpoint, self.profile) {
            Err(_) if on(Mutation::ResolveInvalidAssertion) => self.resolve(&selection, serde_json::Value::Null),
            Err(rejected) => {
                record(self, ResponseResult::Rejected { problems: rejected.errors().cloned().collect() });
                // Chromium names 500 and 503 (the spec MAY, unreachable as
                // written: ambiguity A23).
                let code = match (self.profile, response.status) {
                    (Profile::Chromium, 500) => "server_error",
                    (Profile::Chromium, 503) => "temporarily_unavailable",
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
                record(self, ResponseResult::Accepted);
                match parsed.value {
                    AssertionResponse::Token(token) => {
                        self.trace.push(Event::TokenReceived { provider: selection.provider, token: token.clone() });
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
                        let allowed = self.profile == Profile::Spec
                            || (self.mediation != Mediation::Silent
                                && (!selection.auto || self.mode == Mode::Active || self.browser.transient_activation));
                        if !allowed {
                            let msg = "a continuation pop-up is not allowed without a user gesture";
                            return self.reject_with(Reason::ContinuationNotAllowed, false, msg, Vec::new());
                        }
                        self.ask(Phase::Continuation { selection, url });
                    }
                }
            }
        }
    }

    fn resolve(&mut self, selection: &Selection, token: serde_json::Value) {
        let p = &self.providers[selection.provider];
        let connection = Connection {
            embedder: self.rp_embedder.clone(),
            rp: self.rp_origin.clone(),
            idp: p.origin.clone(),
            account: selection.account_id.clone(),
        };
        let auto = selection.auto && !on(Mutation::CredentialNeverAuto);
        let credential = IdentityCredential::new(token, auto, p.request.config_url_raw.clone());
        if self.browser.connect(connection.clone()) {
            self.trace.push(Event::ConnectionAdded { connection });
        }
        self.settle(Outcome::Resolve { credential });
        if on(Mutation::RequestAfterSettle) {
            let id = self.id();
            let url = self.providers[selection.provider].config_url.as_ref().map(|c| c.url().clone());
            if let Some(url) = url {
                self.send(FetchRequest::anonymous(id, FetchKind::Picture, selection.provider, url));
            }
        }
    }

    /// The error dialog comes before an `IdentityCredentialError`.
    fn show_error(&mut self, rejection: Rejection) {
        if on(Mutation::NoErrorDialog) {
            return self.settle_reject(rejection);
        }
        self.ask(Phase::ErrorDialog(rejection));
    }

    fn reject_now(&mut self, reason: Reason, message: impl Into<String>) {
        self.reject_with(reason, false, message, Vec::new());
    }

    fn reject_with(&mut self, reason: Reason, delayed: bool, message: impl Into<String>, problems: Vec<Problem>) {
        let delayed = (delayed && !on(Mutation::NeverDelay))
            || (reason == Reason::UserCancelled && on(Mutation::DelayUserCancel));
        let mut rejection = Rejection::new(ErrorName::NetworkError, reason, delayed, message).with_problems(problems);
        if on(Mutation::NetworkErrorWithCode) {
            rejection.code = Some(String::new());
        }
        if delayed {
            self.next_id += 1;
            let timer = self.next_id;
            self.transition(Phase::Delay { timer, rejection });
            self.trace.push(Event::TimerStarted { id: timer });
        } else {
            self.settle_reject(rejection);
        }
    }

    /// The driver reports that a timer fired.
    pub fn on_timer(&mut self, id: u64) {
        if let Phase::Delay { timer, rejection } = &self.phase {
            if *timer == id {
                let rejection = rejection.clone();
                self.trace.push(Event::TimerFired { id });
                self.settle_reject(rejection);
            }
        }
    }

    fn settle_reject(&mut self, rejection: Rejection) {
        self.settle(Outcome::Reject { error: rejection });
    }

    /// Ends the call: the Resolved or Rejected label, then the outcome.
    fn settle(&mut self, outcome: Outcome) {
        self.transition(Phase::Done(outcome.clone()));
        self.outbox.clear();
        self.trace.push(Event::Settled { outcome: outcome.clone() });
        if on(Mutation::DoubleSettle) {
            self.trace.push(Event::Settled { outcome });
        }
    }
}

fn no_response(document: crate::Document, reason: &str) -> Problem {
    Problem::error(document, None, crate::Rule::NoResponse { reason: reason.to_string() })
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
