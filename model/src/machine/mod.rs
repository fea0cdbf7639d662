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
//!
//! This file holds the polling API. Where the call is lives in one value,
//! `Control` (`control.rs`), whose variants are the steps of the spec; each
//! step's handlers sit in the file of its spec section:
//!
//! | file | spec section | steps |
//! |---|---|---|
//! | `gates.rs` | `#create-identity-credential` (mode gate, duplicates) | request-validation, mode-gate |
//! | `providers.rs` | `#create-identity-credential`, `#fetch-config-file` | login-status-check, fetch-config |
//! | `accounts.rs` | `#fetch-accounts` | fetch-accounts, filter-accounts |
//! | `decide.rs` | `#create-identity-credential` | auto-reauthn, which UI follows |
//! | `permission.rs` | `#request-permission-signup` | fetch-client-metadata |
//! | `chooser.rs` | `#create-identity-credential` | account-chooser |
//! | `login_popup.rs` | `#helper-algorithms` | confirm-idp-login, login-popup |
//! | `assertion.rs` | `#fetch-identity-assertion` | fetch-identity-assertion |
//! | `continuation.rs` | `#helper-algorithms` | continuation-popup |
//! | `settle.rs` | `#browser-api-rp-sign-in` | error-dialog, rejection-delay, resolved, rejected |

mod accounts;
mod assertion;
pub mod browser;
mod chooser;
mod continuation;
mod control;
mod decide;
pub mod dialog;
mod digest;
pub mod disconnect;
pub mod fetch;
mod gates;
pub mod immediate;
mod login_popup;
pub mod login_signal;
mod manifests;
mod outbox;
pub mod outcome;
mod permission;
pub mod prompt;
mod providers;
pub mod session;
mod settle;
pub mod state;
pub mod trace;
pub mod user_info;

use super::trace::{Event, ResponseResult, Trace};
use crate::idp::Rejected;
use crate::mutation::mutant;
use crate::options::{Context, Mediation, Mode, RequestOptions};
use crate::profile::rules::{CrossOriginFrames, DelayedFailures, PermissionsPolicy};
use crate::profile::{Profile, Rules};
use crate::urls::origin_string;
use browser::{BrowserState, LoginStatus};
use control::{Control, Passing, Refused};
use fetch::{FetchKind, FetchRequest, FetchResult, Pending, RequestId};
use outbox::Outbox;
use outcome::{ErrorName, Outcome, Reason, Rejection};
use prompt::{ActionError, Prompt, UserAction};
use providers::{Provider, Providers};
use serde::Serialize;
use std::sync::Arc;
use url::Url;

/// Who calls `get()`: the RP document and the top-level document it sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rp {
    /// The RP document's origin: `Origin` of its requests, the connected accounts key.
    pub origin: Url,
    /// The top-level document's origin; equal to `origin` when not framed.
    pub embedder: Url,
    /// The origins of the frames between the top-level document and the
    /// RP's, outermost first (nested iframes).
    pub frames: Vec<Url>,
    /// Whether the `identity-credentials-get` permissions policy allows
    /// the RP's document (a cross-origin iframe needs the `allow`
    /// attribute at every level; decisions A57).
    pub policy_allowed: bool,
    /// The RP document's `connect-src` (or `default-src`), if its CSP
    /// restricts connections: every `configURL` must match it.
    pub connect_src: Option<crate::csp::SourceList>,
}

impl Rp {
    /// An RP that is not framed: the embedder is the RP itself.
    pub fn new(origin: Url) -> Rp {
        Rp::framed(origin.clone(), origin)
    }

    /// An RP in an iframe of `embedder`, the policy allowing it.
    pub fn framed(origin: Url, embedder: Url) -> Rp {
        Rp { origin, embedder, frames: Vec::new(), policy_allowed: true, connect_src: None }
    }

    /// Whether the RP's CSP lets it connect to `url`.
    pub fn may_connect(&self, url: &Url) -> bool {
        self.connect_src.as_ref().is_none_or(|l| l.allows(url, &self.origin)) || mutant!(IgnoreCsp)
    }

    /// Whether some frame around the RP is not same-origin with it.
    pub fn cross_origin_framed(&self) -> bool {
        let rp = self.origin.origin();
        self.embedder.origin() != rp || self.frames.iter().any(|f| f.origin() != rp)
    }
    fn origin_str(&self) -> String {
        origin_string(&self.origin)
    }
    fn embedder_str(&self) -> String {
        origin_string(&self.embedder)
    }
}

/// Whether the options' JSON form carries an `AbortSignal` that is already
/// aborted: `"signal": "aborted"` (a page's `AbortSignal.abort()`). A signal
/// that fires later is [`Flow::abort`].
pub fn signal_already_aborted(options: &serde_json::Value) -> bool {
    options.get("signal").and_then(serde_json::Value::as_str) == Some(SIGNAL_ABORTED)
}

/// The JSON form of an already-aborted `AbortSignal` in the options.
pub const SIGNAL_ABORTED: &str = "aborted";

/// Identifies one timer across [`Step::Wait`] and [`Flow::on_timer`]. Drawn
/// from the same counter as request ids, so no two ids in a trace are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TimerId(pub u64);

/// A timer the machine wants; the driver reports when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timer {
    /// Echoed back to [`Flow::on_timer`] when the timer fires.
    pub id: TimerId,
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
    /// request is handed out once. Shared with the trace's record of it,
    /// so handing it out copies nothing.
    Fetch(Arc<FetchRequest>),
    /// Ask the person; answer with [`Flow::on_user`]. Repeated until answered.
    Ask(Arc<Prompt>),
    /// Start this timer; report with [`Flow::on_timer`].
    Wait(Timer),
    /// Nothing to do until a request handed out earlier is answered.
    Idle,
    /// The request settled; the same outcome is returned from now on.
    Done(Outcome),
}

/// One call of `navigator.credentials.get({identity})`.
#[derive(Debug, Clone)]
pub struct Flow {
    profile: Profile,
    /// The profile's rule choices ([`Profile::rules`]), read by every step.
    rules: &'static Rules,
    rp: Rp,
    /// Shared until the call changes it (a connection, a login status, the
    /// mediation flag: seldom), so the model checker's clone of a flow for
    /// every move does not copy the browser's maps.
    browser: Arc<BrowserState>,
    mode: Mode,
    mediation: Mediation,
    /// `identity.context`: the dialog's wording.
    context: Context,
    providers: Providers,
    /// Where the call is; changed only by [`Flow::transition`].
    control: Control,
    outbox: Outbox,
    /// Providers whose stage is not settled: `maybe_providers_done` reads
    /// this count instead of looking at every provider after each response.
    unsettled: usize,
    /// Entries (providers, accounts, trace lookups) the machine's own
    /// bookkeeping visited; see [`Flow::work`].
    work: u64,
    trace: Trace,
    /// The question [`Flow::ask`] recorded for the step the call rests
    /// in, shared with the trace so [`Flow::next_step`] hands it out
    /// without building it again; every transition clears it.
    asked: Option<Arc<Prompt>>,
    /// The serialized origins of the RP and its embedder, computed once.
    rp_origin: String,
    rp_embedder: String,
}

/// A response on its way into the trace. Recording consumes it, so each
/// response is written at most once on every path.
struct Answer {
    id: RequestId,
    kind: FetchKind,
    status: Option<u16>,
    access_control: Vec<(String, String)>,
}

impl Answer {
    fn record(self, flow: &mut Flow, result: ResponseResult) {
        let Answer { id, kind, status, access_control } = self;
        flow.trace.push(Event::Response { id, kind, status, result, access_control });
    }
}

impl Flow {
    /// Starts a request from the options' JSON form (what JavaScript passes).
    pub fn from_json(rp: Rp, browser: BrowserState, options: &serde_json::Value, profile: Profile) -> Flow {
        let parsed = crate::options::parse(options, profile);
        let converted = match &parsed {
            Ok(_) => true,
            Err(rejected) => !rejected.errors().any(|p| p.rule.is_conversion()),
        };
        // An already-aborted signal rejects with its reason before any
        // other check reads the options (credential-management-1
        // `#algorithm-request`; decisions P17).
        if converted && signal_already_aborted(options) {
            let message = "the RP's AbortSignal was already aborted when get() was called";
            let rejection = Rejection::new(ErrorName::AbortError, Reason::Aborted, false, message);
            return Flow::refused(rp, browser, profile, rejection);
        }
        // A frame that is not same-origin with its ancestors: Chromium holds
        // only a request of exactly one provider to the
        // `identity-credentials-get` policy and refuses any other as for
        // other credential types (decisions P14); Firefox refuses every one
        // (decisions F6). Both come after WebIDL conversion.
        let framed = rp.cross_origin_framed();
        let one = options.pointer("/identity/providers").and_then(serde_json::Value::as_array).map(Vec::len) == Some(1);
        // Without `identity` the request names no credential type, which
        // Credential Management refuses first.
        let identity = options.get("identity").is_some_and(|i| !i.is_null());
        // The `identity-credentials-get` policy (decisions A57): Chromium
        // holds only a one-provider request to it.
        let rules = profile.rules();
        let policy = rules.permissions_policy == PermissionsPolicy::Checked
            && !rp.policy_allowed
            && !mutant!(SkipPermissionsPolicy);
        let policy_refusal =
            || (Reason::PolicyNotAllowed, "the identity-credentials-get permissions policy does not allow this frame");
        let refused = match rules.cross_origin_frames {
            CrossOriginFrames::Allowed => policy.then(policy_refusal),
            CrossOriginFrames::OneProvider if !one => Some((
                Reason::FramedProviderCount,
                "a frame that is not same-origin with its ancestors may ask for exactly one provider",
            )),
            CrossOriginFrames::OneProvider => policy.then(policy_refusal),
            CrossOriginFrames::Refused => {
                Some((Reason::FramedCrossOrigin, "a frame that is not same-origin with its ancestors may not ask"))
            }
        };
        if let Some((reason, message)) = refused.filter(|_| converted && framed && identity) {
            return Flow::refused(
                rp,
                browser,
                profile,
                Rejection::new(ErrorName::NotAllowedError, reason, false, message),
            );
        }
        match parsed {
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
            rules: profile.rules(),
            browser: Arc::new(browser),
            mode: Mode::Passive,
            mediation: Mediation::Optional,
            context: Context::Signin,
            providers: Providers::default(),
            control: Control::Gather,
            outbox: Outbox::default(),
            unsettled: 0,
            work: 0,
            trace: Trace::for_call(),
            asked: None,
            rp_origin: rp.origin_str(),
            rp_embedder: rp.embedder_str(),
            rp,
        }
    }

    /// A call refused while its options are validated, before any step of
    /// its own: the start, `request-validation`, then the rejection.
    fn refused(rp: Rp, browser: BrowserState, profile: Profile, rejection: Rejection) -> Flow {
        let mut flow = Flow::empty(rp, browser, profile);
        flow.record_start(None);
        flow.pass(Passing::Validation);
        flow.settle_reject(rejection);
        flow
    }

    /// A valid call the page may not make because another `get()` of the
    /// page is pending and this one cannot replace it: Credential
    /// Management's "active credential types" check and Chromium's one
    /// request per page (decisions A3). Nothing is fetched.
    pub fn refused_as_pending(rp: Rp, browser: BrowserState, options: RequestOptions, profile: Profile) -> Flow {
        let mut flow = Flow::empty(rp, browser, profile);
        flow.mode = options.mode;
        flow.mediation = options.mediation;
        flow.record_start(Some(options));
        flow.pass(Passing::Validation);
        let message = "another navigator.credentials.get() of this page is pending";
        flow.settle_reject(Rejection::new(ErrorName::NotAllowedError, Reason::RequestPending, false, message));
        flow
    }

    fn invalid(rp: Rp, browser: BrowserState, profile: Profile, rejected: Rejected) -> Flow {
        // WebIDL conversion throws before any step reads the values.
        let first = rejected.errors().find(|p| p.rule.is_conversion()).unwrap_or(rejected.first());
        let name = match first.js_error_in(profile) {
            crate::problem::JsError::TypeError => ErrorName::TypeError,
            crate::problem::JsError::NotSupportedError => ErrorName::NotSupportedError,
            crate::problem::JsError::InvalidStateError => ErrorName::InvalidStateError,
            crate::problem::JsError::NetworkError => ErrorName::NetworkError,
        };
        let message = format!("the request options are invalid: {first}");
        let rejection =
            Rejection::new(name, Reason::InvalidOptions, false, message).with_problems(rejected.into_errors());
        Flow::refused(rp, browser, profile, rejection)
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
        flow.context = options.context;
        flow.record_start(Some(options.clone()));
        flow.pass(Passing::Validation);
        for text in notes {
            flow.note(text);
        }
        flow.providers = Providers::new(options.providers.into_iter().map(Provider::new).collect());
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

    /// The browser state to change: copied first if a clone of this flow
    /// shares it.
    fn browser_mut(&mut self) -> &mut BrowserState {
        Arc::make_mut(&mut self.browser)
    }

    /// Everything the request did so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// How the request settled, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.control {
            Control::Done(o) => Some(o),
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
        if let Control::Done(outcome) = &self.control {
            return Step::Done(outcome.clone());
        }
        if let Some(request) = self.outbox.pop() {
            return Step::Fetch(request);
        }
        match &self.control {
            Control::Delay(d) => Step::Wait(Timer { id: d.timer, kind: TimerKind::RejectionDelay }),
            // The question `ask` recorded is the one still waiting: the
            // step it was asked in has not changed (a transition clears it).
            _ => match &self.asked {
                Some(p) => {
                    debug_assert_eq!(Some(p.as_ref()), self.prompt().as_ref(), "the recorded prompt went stale");
                    Step::Ask(Arc::clone(p))
                }
                None => match self.prompt() {
                    Some(p) => Step::Ask(Arc::new(p)),
                    None => Step::Idle,
                },
            },
        }
    }

    /// Whether a question is waiting for an answer: [`Flow::prompt`]
    /// without building the prompt (the chooser's sorts its accounts and
    /// builds its dialog).
    pub fn is_asking(&self) -> bool {
        matches!(
            self.control,
            Control::Chooser(_)
                | Control::ConfirmIdpLogin(_)
                | Control::LoginPopup(_)
                | Control::Continuation(_)
                | Control::ErrorDialog(_)
        )
    }

    /// The question currently waiting for an answer.
    pub fn prompt(&self) -> Option<Prompt> {
        match &self.control {
            Control::Chooser(_) => Some(self.chooser_prompt()),
            Control::ConfirmIdpLogin(s) => Some(s.prompt(self)),
            Control::LoginPopup(s) => Some(s.prompt()),
            Control::Continuation(s) => Some(s.prompt()),
            Control::ErrorDialog(s) => Some(s.prompt()),
            _ => None,
        }
    }

    /// Requests handed out (or queued) and not yet answered.
    pub fn pending_requests(&self) -> impl Iterator<Item = &Pending> {
        self.outbox.pending()
    }

    /// Everything that decides the machine's future, as text (the session
    /// explorer's key; the checker adds the history from the trace). The
    /// parts are those [`Flow::hash_future_key`] hashes.
    pub fn future_key(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}",
            self.control,
            self.providers.values().map(Provider::key).collect::<Vec<_>>(),
            self.outbox.key(),
            self.browser,
        )
    }

    /// [`Flow::future_key`]'s parts fed to a hasher instead of written as
    /// text: the model checker's fingerprint of a state, without formatting.
    /// Every part's `Hash` reads what its `Debug` writes (both derived, or
    /// written to agree), so two states hash alike where their keys' texts
    /// are equal, up to collisions.
    pub fn hash_future_key<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash as _;
        self.control.hash(state);
        let mut providers = 0usize;
        for p in self.providers.values() {
            p.key().hash(state);
            providers += 1;
        }
        state.write_usize(providers);
        self.outbox.key().hash(state);
        self.browser.hash(state);
    }

    /// Lets a driver record a decision of its own in the trace (e.g. that a
    /// scripted person ran out of answers).
    pub fn annotate(&mut self, text: impl Into<String>) {
        self.note(text);
    }

    /// The RP's `AbortSignal` fired: reject now; later responses are ignored.
    pub fn abort(&mut self) {
        if matches!(self.control, Control::Done(_)) {
            return;
        }
        self.outbox.close();
        self.settle_reject(Rejection::new(ErrorName::AbortError, Reason::Aborted, false, "the RP aborted the request"));
    }

    /// An active request replaced this passive one (spec
    /// `#create-identity-credential`, the mode gate): reject now with
    /// `NetworkError` and no delay; its requests, dialogs and pop-ups end
    /// with no further event (decisions A48).
    pub fn replace_by_active(&mut self) {
        if matches!(self.control, Control::Done(_)) {
            return;
        }
        self.outbox.close();
        let message = "an active-mode request of the page replaced this passive one";
        self.settle_reject(Rejection::new(ErrorName::NetworkError, Reason::ReplacedByActive, false, message));
    }

    /// `passive` or `active`, as the options asked.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// A driver's answer to a request.
    pub fn on_response(&mut self, id: RequestId, result: FetchResult) {
        self.work += 1;
        let Some(request) = self.outbox.answer(id) else {
            return self.note(format!("response to unknown or finished request {id:?} ignored"));
        };
        let kind = request.kind;
        // CORS is judged only on the assertion (the one CORS-mode request of
        // a sign-in); other responses' Access-Control headers mean nothing.
        let access_control = if kind == FetchKind::Assertion { Trace::access_control(&result) } else { Vec::new() };
        let status = result.as_ref().ok().map(|r| r.status);
        let answer = Answer { id, kind, status, access_control };
        if matches!(self.control, Control::Done(_) | Control::Delay(_)) {
            return answer.record(self, ResponseResult::Ignored);
        }
        // The outbox only holds requests this call made, for its own providers.
        let Some(i) = self.providers.ix(request.provider) else {
            return answer.record(self, ResponseResult::Ignored);
        };
        match kind {
            FetchKind::WellKnown | FetchKind::Config => self.on_manifests_response(i, &request, answer, result),
            FetchKind::Accounts => self.on_accounts_response(i, answer, result),
            FetchKind::ClientMetadata => self.on_client_metadata_response(i, answer, result),
            FetchKind::Assertion => self.on_assertion_response(answer, result),
            FetchKind::Picture | FetchKind::Disconnect => answer.record(self, ResponseResult::Ignored),
        }
    }

    /// The person's answer to the current prompt.
    pub fn on_user(&mut self, action: UserAction) -> Result<(), ActionError> {
        let step = std::mem::replace(&mut self.control, Control::Taken);
        let result = match step {
            Control::Chooser(s) => s.on_user(self, action),
            Control::ConfirmIdpLogin(s) => s.on_user(self, action),
            Control::LoginPopup(s) => s.on_user(self, action),
            Control::Continuation(s) => s.on_user(self, action),
            Control::ErrorDialog(s) => s.on_user(self, action),
            Control::Done(outcome) => Err(Refused::new(Control::Done(outcome), ActionError::Settled { prompt: None })),
            other => Err(Refused::new(other, ActionError::NothingAsked)),
        };
        if let Err(Refused { step, error }) = result {
            // A refused answer changes nothing: the step goes back as it was.
            self.control = *step;
            return Err(error);
        }
        debug_assert!(!matches!(self.control, Control::Taken), "a step handler must end in a transition");
        Ok(())
    }

    /// The driver reports that a timer fired.
    pub fn on_timer(&mut self, id: TimerId) {
        if matches!(&self.control, Control::Delay(d) if d.timer == id) {
            if let Control::Delay(d) = std::mem::replace(&mut self.control, Control::Taken) {
                d.on_timer(self);
            }
        }
    }

    // ---- what every step uses ----

    fn record_start(&mut self, options: Option<RequestOptions>) {
        let start = trace::Start {
            profile: self.profile,
            rp: self.rp_origin.clone(),
            embedder: self.rp_embedder.clone(),
            options,
            browser: BrowserState::clone(&self.browser),
            policy_allowed: self.rp.policy_allowed,
            connect_src: self.rp.connect_src.clone(),
            parsed: Default::default(),
        };
        self.trace.push(Event::Start(Arc::new(start)));
    }

    fn note(&mut self, text: impl Into<String>) {
        self.trace.push(Event::Note { text: text.into() });
    }

    fn id(&mut self) -> RequestId {
        self.outbox.ids.request()
    }

    fn send(&mut self, request: FetchRequest) {
        let request = Arc::new(request);
        self.outbox.push(Arc::clone(&request));
        self.trace.push(Event::Request { request });
    }

    fn set_login_status(&mut self, origin: &str, status: LoginStatus) {
        if mutant!(NoLoginStatusUpdate) {
            return;
        }
        self.browser_mut().set_login_status(origin, status);
        self.trace.push(Event::LoginStatusSet { origin: origin.to_string(), status });
    }

    /// Whether `(failure, false)` paths wait before rejecting. The spec
    /// always does; Chromium only in passive mode outside silent mediation.
    fn failure_is_delayed(&self) -> bool {
        match self.rules.delayed_failures {
            DelayedFailures::Every => true,
            DelayedFailures::PassiveNotSilent => self.mode == Mode::Passive && self.mediation != Mediation::Silent,
            DelayedFailures::Never => false,
        }
    }
}
