//! Scenario files: one `get()` (or `disconnect()`) call end to end, with
//! the IdP's responses, what the person does, and what must happen. The
//! format is a contract with outside tools: see docs/scenario-format.md.

use fedcm_model::machine::browser::{BrowserState, Connection, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult, Method, NetworkError};
use fedcm_model::machine::login_signal::{LoginSignal, Via};
use fedcm_model::machine::prompt::UserAction;
use fedcm_model::machine::Rp;
use fedcm_model::{HttpResponse, Profile};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

/// The longest scripted `delay_ms` `fedcm serve` accepts (10 minutes): a
/// connection waiting on a delay holds one of the server's connection slots.
pub const MAX_DELAY_MS: u64 = 10 * 60 * 1000;

/// A scenario that could not be read or run: exit status 2.
#[derive(Debug)]
pub enum ScenarioError {
    /// The file could not be read (I/O, size, encoding).
    Input(crate::input::InputError),
    /// Not JSON, or not the scenario format (serde names the line).
    Format(serde_json::Error),
    /// A member's value cannot be used; `at` names it as in the file
    /// (`browser.login_status["https://idp.example"]`, `user[2]`).
    Field { at: String, message: String },
    /// The machine did not settle within the driver's step bound.
    Unsettled { steps: usize },
    /// The machine waits for nothing while unsettled: a model bug.
    Stuck,
    /// A scripted answer does not fit the question asked.
    UserAction(fedcm_model::machine::prompt::ActionError),
}

impl ScenarioError {
    fn field(at: impl Into<String>, message: impl std::fmt::Display) -> ScenarioError {
        ScenarioError::Field { at: at.into(), message: message.to_string() }
    }
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScenarioError::Input(e) => write!(f, "{e}"),
            ScenarioError::Format(e) => write!(f, "not a valid scenario: {e}"),
            ScenarioError::Field { at, message } => write!(f, "{at}: {message}"),
            ScenarioError::Unsettled { steps } => write!(f, "the run did not settle within {steps} steps"),
            ScenarioError::Stuck => f.write_str("the machine waits for nothing (model bug)"),
            ScenarioError::UserAction(e) => write!(f, "user action: {e}"),
        }
    }
}

impl std::error::Error for ScenarioError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ScenarioError::Input(e) => Some(e),
            ScenarioError::Format(e) => Some(e),
            ScenarioError::UserAction(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::input::InputError> for ScenarioError {
    fn from(e: crate::input::InputError) -> ScenarioError {
        ScenarioError::Input(e)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `spec` (default) or `chromium`.
    #[serde(default)]
    pub profile: Option<Profile>,
    pub rp: RpSpec,
    #[serde(default)]
    pub browser: BrowserSpec,
    /// The one call of a single-call scenario; absent when `steps` is given.
    #[serde(default)]
    pub call: Option<Call>,
    /// A session: calls and other events on one browser, in order
    /// (extension). A single-call scenario is a session of one step.
    #[serde(default)]
    pub steps: Option<Vec<StepSpec>>,
    /// URL (optionally `"METHOD URL"`) -> response, or a list served in turn
    /// (the last one repeats). Unlisted URLs answer 404.
    #[serde(default)]
    pub idp: BTreeMap<String, Responses>,
    #[serde(default)]
    pub user: Vec<Value>,
    /// What the run must end with: one expectation, or one per profile
    /// (`{"spec": {...}, "chromium-142": {...}}`).
    #[serde(default)]
    pub expect: Option<Expectations>,
    /// How `fedcm browser` treats the file; the model ignores it.
    #[serde(default)]
    pub harness: Option<HarnessSpec>,
}

/// One step of a session, as written: exactly one action member
/// (`get`, `disconnect`, `store`, `resolve`, `preventSilentAccess`,
/// `login_status`, `wait`, `abort`) and the members that action takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    #[serde(default)]
    pub get: Option<Value>,
    #[serde(default)]
    pub disconnect: Option<Value>,
    #[serde(default)]
    pub store: Option<Value>,
    #[serde(default)]
    pub resolve: Option<Value>,
    #[serde(default, rename = "getUserInfo")]
    pub get_user_info: Option<Value>,
    #[serde(default, rename = "preventSilentAccess")]
    pub prevent_silent_access: Option<Value>,
    #[serde(default)]
    pub login_status: Option<LoginStatusStep>,
    /// Wait for the call made at this step to settle.
    #[serde(default)]
    pub wait: Option<usize>,
    /// The `AbortSignal` of the `get()` made at this step fires.
    #[serde(default)]
    pub abort: Option<usize>,
    /// What the person does at this call's prompts.
    #[serde(default)]
    pub user: Vec<Value>,
    /// What this call must settle with.
    #[serde(default)]
    pub expect: Option<Expectations>,
    /// `false`: the next step starts while this call is pending.
    #[serde(default, rename = "await")]
    pub awaited: Option<bool>,
    /// Transient activation for this `get()` (default: `browser.transient_activation`).
    #[serde(default)]
    pub activation: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
}

/// An IdP's login-status signal in a session.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginStatusStep {
    /// The IdP's origin (whose status changes).
    pub idp: String,
    /// `logged-in` or `logged-out` (with `via: "header"`, the default value).
    #[serde(default)]
    pub status: Option<String>,
    /// `script` (default: `navigator.login.setStatus()`) or `header` (`Set-Login`).
    #[serde(default)]
    pub via: Option<String>,
    /// The `Set-Login` value as sent (`via: "header"` only).
    #[serde(default)]
    pub value: Option<String>,
    /// The origins of the frames around the signal, innermost first.
    #[serde(default)]
    pub frame: Vec<String>,
    /// What must become of it: `applied`, `ignored` or `refused`, or one per profile.
    #[serde(default)]
    pub result: Option<SignalExpect>,
}

/// A login-status step's expected result, one or per profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SignalExpect {
    Any(String),
    PerProfile(BTreeMap<Profile, String>),
}

impl SignalExpect {
    /// The result a run under `profile` must see, if stated.
    pub fn for_profile(&self, profile: Profile) -> Option<&str> {
        match self {
            SignalExpect::Any(r) => Some(r),
            SignalExpect::PerProfile(m) => m.get(&profile).map(String::as_str),
        }
    }
}

/// What a session step does, once checked.
#[derive(Debug, Clone)]
pub enum Action {
    Call(Call),
    PreventSilentAccess,
    LoginStatus { signal: LoginSignal, result: Option<SignalExpect> },
    Wait(usize),
    Abort(usize),
}

/// A session step, checked: its action and, for calls, the person's
/// answers, the expectation, and whether the session waits for it.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: Action,
    pub user: Vec<Value>,
    pub expect: Option<Expectations>,
    pub awaited: bool,
    pub activation: Option<bool>,
}

impl Step {
    /// The action's name, as the file writes it.
    pub fn name(&self) -> &'static str {
        match &self.action {
            Action::Call(Call::Get(_)) => "get",
            Action::Call(Call::Disconnect(_)) => "disconnect",
            Action::Call(Call::Store(_)) => "store",
            Action::Call(Call::Resolve(_)) => "resolve",
            Action::Call(Call::GetUserInfo(_)) => "getUserInfo",
            Action::PreventSilentAccess => "preventSilentAccess",
            Action::LoginStatus { .. } => "login_status",
            Action::Wait(_) => "wait",
            Action::Abort(_) => "abort",
        }
    }
}

/// A scenario's note to the real-browser harness.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarnessSpec {
    /// Why the scenario cannot be compared with a real browser: reported as
    /// skipped, with this reason, and counted apart. Never empty.
    pub skip: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpSpec {
    pub origin: String,
    /// The top-level origin when the RP is in an iframe.
    #[serde(default)]
    pub embedder: Option<String>,
    /// Frames between the top-level document and the RP's, outermost first.
    #[serde(default)]
    pub frames: Vec<FrameSpec>,
    /// Whether the RP's own iframe has `allow="identity-credentials-get"`
    /// (default true; only a framed RP has an iframe).
    #[serde(default)]
    pub allow: Option<bool>,
    /// The RP document's Content-Security-Policy, as its header would say.
    #[serde(default)]
    pub csp: Option<String>,
    /// The RP's iframe is sandboxed (without `allow-same-origin`): its
    /// origin is opaque. Needs `embedder`.
    #[serde(default)]
    pub sandboxed: bool,
}

/// A frame between the top-level document and the RP's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameSpec {
    pub origin: String,
    /// Whether its iframe element has `allow="identity-credentials-get"` (default true).
    #[serde(default)]
    pub allow: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserSpec {
    #[serde(default)]
    pub login_status: BTreeMap<String, String>,
    #[serde(default)]
    pub connected: Vec<ConnectedSpec>,
    /// RP origins that called `preventSilentAccess()`.
    #[serde(default)]
    pub requires_user_mediation: Vec<String>,
    /// Whether the call follows a user gesture (active mode needs one).
    /// Defaults to true.
    #[serde(default)]
    pub transient_activation: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectedSpec {
    pub rp: String,
    pub idp: String,
    pub account: String,
    #[serde(default)]
    pub embedder: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Call {
    Get(Value),
    Disconnect(Value),
    /// `navigator.credentials.store()` of an `IdentityCredential` (members ignored).
    Store(Value),
    /// `IdentityProvider.resolve(token, {accountId})` from a page no
    /// continuation pop-up belongs to: `{"token": ..., "accountId": ...}`.
    Resolve(Value),
    /// `IdentityProvider.getUserInfo({configURL, clientId})` from an IdP
    /// iframe the RP embeds; `caller` (default: the configURL's origin),
    /// `top_level` and `allow` describe the calling document.
    #[serde(rename = "getUserInfo")]
    GetUserInfo(Value),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Responses {
    One(ResponseSpec),
    Sequence(Vec<ResponseSpec>),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Raw text (sent byte for byte) or a JSON value.
    #[serde(default)]
    pub body: Option<Value>,
    /// No HTTP response at all: the request fails with this reason.
    #[serde(default)]
    pub network_error: Option<String>,
    /// For the assertion and disconnect POSTs the mock answers CORS for the
    /// RP unless this is false (or the headers set it themselves).
    #[serde(default)]
    pub cors: Option<bool>,
    /// `fedcm serve` only: wait this long before answering, at most
    /// [`MAX_DELAY_MS`] (the model has no clock; scripted runs ignore it).
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

/// A scenario's `expect`: one expectation for whichever profile runs it,
/// or one per profile (the profiles not named are not checked).
#[derive(Debug, Clone)]
pub enum Expectations {
    Any(Expect),
    PerProfile(BTreeMap<Profile, Expect>),
}

impl Expectations {
    /// The expectation a run under `profile` is checked against.
    pub fn for_profile(&self, profile: Profile) -> Option<&Expect> {
        match self {
            Expectations::Any(e) => Some(e),
            Expectations::PerProfile(m) => m.get(&profile),
        }
    }
}

impl<'de> Deserialize<'de> for Expectations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = Value::deserialize(d)?;
        let Value::Object(map) = &value else {
            return Err(D::Error::custom(
                "expect must be an object: {\"resolve\": ...}, {\"reject\": ...}, or one of them per profile",
            ));
        };
        if map.contains_key("resolve") || map.contains_key("reject") {
            return Expect::deserialize(value).map(Expectations::Any).map_err(D::Error::custom);
        }
        let mut per = BTreeMap::new();
        for (k, v) in map {
            let profile: Profile = k.parse().map_err(|e: String| {
                D::Error::custom(format!("expect.{k}: not \"resolve\", \"reject\" or a profile ({e})"))
            })?;
            let e = Expect::deserialize(v.clone()).map_err(|e| D::Error::custom(format!("expect.{k}: {e}")))?;
            per.insert(profile, e);
        }
        if per.is_empty() {
            return Err(D::Error::custom("expect is empty"));
        }
        Ok(Expectations::PerProfile(per))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Expect {
    Resolve(ExpectResolve),
    Reject(ExpectReject),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectResolve {
    /// `null` means "the token is null"; leave it out to not check it.
    #[serde(default, deserialize_with = "present")]
    pub token: Option<Value>,
    #[serde(default, rename = "isAutoSelected")]
    pub is_auto_selected: Option<bool>,
    #[serde(default, rename = "configURL")]
    pub config_url: Option<String>,
    /// States the run must enter (extension).
    #[serde(default)]
    pub states: Vec<String>,
    /// The assertion request's form body, exactly (extension).
    #[serde(default)]
    pub assertion_body: Option<String>,
    /// `getUserInfo()`: the accounts it resolves with, in order.
    #[serde(default)]
    pub accounts: Option<Value>,
    /// What the first account chooser showed (extension).
    #[serde(default)]
    pub dialog: Option<Box<ExpectDialog>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectReject {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// The model's internal reason (extension), e.g. `user-cancelled`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Whether the privacy delay applies (extension).
    #[serde(default)]
    pub delayed: Option<bool>,
    #[serde(default)]
    pub states: Vec<String>,
    /// The assertion request's form body, exactly (extension).
    #[serde(default)]
    pub assertion_body: Option<String>,
    /// What the first account chooser showed (extension).
    #[serde(default)]
    pub dialog: Option<Box<ExpectDialog>>,
}

/// What the first account chooser of a call showed: each member given is
/// compared with the prompt's `dialog` member of that name, and `order`
/// with the ids of the accounts as listed (extension).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectDialog {
    /// Which account chooser of the call, counting from 0 (the first).
    #[serde(default)]
    pub chooser: usize,
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub rp: Option<String>,
    /// `null`: no top frame is named.
    #[serde(default, deserialize_with = "present")]
    pub top: Option<Value>,
    /// `null`: no single IdP is named.
    #[serde(default, deserialize_with = "present")]
    pub idp: Option<Value>,
    /// `null`: the profile gives no words.
    #[serde(default, deserialize_with = "present")]
    pub title: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub subtitle: Option<Value>,
    #[serde(default)]
    pub form: Option<String>,
    #[serde(default)]
    pub brands: Option<Value>,
    #[serde(default)]
    pub order: Option<Vec<String>>,
}

impl Scenario {
    /// The expectation for a run under `profile`.
    pub fn expect(&self, profile: Profile) -> Option<&Expect> {
        self.expect.as_ref().and_then(|e| e.for_profile(profile))
    }

    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        serde_json::from_str(text).map_err(ScenarioError::Format)
    }

    pub fn profile(&self) -> Profile {
        self.profile.unwrap_or_default()
    }

    pub fn rp(&self) -> Result<Rp, ScenarioError> {
        let origin = parse_origin("rp.origin", &self.rp.origin)?;
        let embedder = match &self.rp.embedder {
            Some(e) => parse_origin("rp.embedder", e)?,
            None => origin.clone(),
        };
        let mut frames = Vec::with_capacity(self.rp.frames.len());
        for (i, f) in self.rp.frames.iter().enumerate() {
            frames.push((parse_origin(&format!("rp.frames[{i}].origin"), &f.origin)?, f.allow.unwrap_or(true)));
        }
        if self.rp.embedder.is_none() && (!frames.is_empty() || self.rp.allow.is_some()) {
            return Err(ScenarioError::field(
                "rp.embedder",
                "frames and allow describe a framed RP: give its embedder",
            ));
        }
        // The `identity-credentials-get` policy, down the frame tree: its
        // default allowlist is `self`, so a frame keeps the feature when
        // its iframe allows it or it is same-origin with its parent.
        let mut allowed = true;
        let mut parent = embedder.clone();
        for (url, allow) in
            frames.iter().cloned().chain(std::iter::once((origin.clone(), self.rp.allow.unwrap_or(true))))
        {
            allowed = allowed && (allow || url.origin() == parent.origin());
            parent = url;
        }
        if self.rp.sandboxed && self.rp.embedder.is_none() {
            return Err(ScenarioError::field("rp.sandboxed", "a sandboxed frame needs an embedder"));
        }
        // An opaque origin serializes as "null"; a data: URL has one.
        let origin = match self.rp.sandboxed {
            true => Url::parse("data:text/html,sandboxed").map_err(|e| ScenarioError::field("rp.sandboxed", e))?,
            false => origin,
        };
        let mut rp = Rp::framed(origin, embedder);
        rp.frames = frames.into_iter().map(|(u, _)| u).collect();
        rp.policy_allowed = allowed;
        rp.connect_src = self.rp.csp.as_deref().and_then(fedcm_model::csp::SourceList::from_policy);
        Ok(rp)
    }

    pub fn browser_state(&self) -> Result<BrowserState, ScenarioError> {
        let mut state = BrowserState {
            transient_activation: self.browser.transient_activation.unwrap_or(true),
            ..BrowserState::default()
        };
        for (origin, status) in &self.browser.login_status {
            let status = match status.as_str() {
                "logged-in" => LoginStatus::LoggedIn,
                "logged-out" => LoggedOut,
                "unknown" => LoginStatus::Unknown,
                other => {
                    return Err(ScenarioError::field(
                        format!("browser.login_status[{origin:?}]"),
                        format!("{other:?} is not logged-in, logged-out or unknown"),
                    ))
                }
            };
            let origin = origin_of("browser.login_status", origin)?;
            state.set_login_status(&origin, status);
        }
        let rp = self.rp()?;
        for (i, c) in self.browser.connected.iter().enumerate() {
            let at = format!("browser.connected[{i}]");
            let embedder = match &c.embedder {
                Some(e) => origin_of(&at, e)?,
                None => rp.embedder.origin().ascii_serialization(),
            };
            state.connect(Connection {
                embedder,
                rp: origin_of(&at, &c.rp)?,
                idp: origin_of(&at, &c.idp)?,
                account: c.account.clone(),
            });
        }
        for o in &self.browser.requires_user_mediation {
            state.requires_user_mediation.insert(origin_of("browser.requires_user_mediation", o)?);
        }
        Ok(state)
    }

    /// Checks what the machine cannot: that every URL key parses, and
    /// that the call or the steps are well formed.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.rp()?;
        self.browser_state()?;
        for key in self.idp.keys() {
            let (_, url) = split_key(key);
            Url::parse(url).map_err(|e| ScenarioError::field(format!("idp key {key:?}"), e))?;
        }
        self.steps()?;
        Ok(())
    }

    /// Every `configURL` the scenario's calls name (the one call's, or
    /// every `get` and `disconnect` step's), in order, as written.
    pub fn config_urls(&self) -> Vec<String> {
        let mut gets: Vec<&Value> = Vec::new();
        let mut disconnects: Vec<&Value> = Vec::new();
        match &self.call {
            Some(Call::Get(o)) => gets.push(o),
            Some(Call::Disconnect(o)) => disconnects.push(o),
            _ => {}
        }
        for step in self.steps.iter().flatten() {
            gets.extend(&step.get);
            disconnects.extend(&step.disconnect);
        }
        let mut urls = Vec::new();
        for options in gets {
            let providers = options.pointer("/identity/providers").and_then(Value::as_array);
            urls.extend(providers.into_iter().flatten().filter_map(|p| p.get("configURL")?.as_str().map(String::from)));
        }
        for options in disconnects {
            urls.extend(options.get("configURL").and_then(Value::as_str).map(String::from));
        }
        urls
    }

    /// Whether the scenario is a session (`steps`) rather than one call.
    pub fn is_session(&self) -> bool {
        self.steps.is_some()
    }

    /// The steps to run: a session's, checked, or the single call as a
    /// session of one awaited step.
    pub fn steps(&self) -> Result<Vec<Step>, ScenarioError> {
        match (&self.call, &self.steps) {
            (Some(call), None) => {
                let step = Step {
                    action: Action::Call(call.clone()),
                    user: self.user.clone(),
                    expect: self.expect.clone(),
                    awaited: true,
                    activation: None,
                };
                check_call(call, "call")?;
                check_user(&step.user, "user")?;
                Ok(vec![step])
            }
            (None, Some(steps)) => {
                if !self.user.is_empty() {
                    return Err(ScenarioError::field("user", "a session gives each call step its own user actions"));
                }
                if self.expect.is_some() {
                    return Err(ScenarioError::field("expect", "a session gives each call step its own expect"));
                }
                if steps.is_empty() {
                    return Err(ScenarioError::field("steps", "a session has at least one step"));
                }
                let mut out: Vec<Step> = Vec::with_capacity(steps.len());
                for (i, spec) in steps.iter().enumerate() {
                    let step = spec.check(&format!("steps[{i}]"), &out)?;
                    out.push(step);
                }
                Ok(out)
            }
            (Some(_), Some(_)) => Err(ScenarioError::field("steps", "give either call or steps, not both")),
            (None, None) => Err(ScenarioError::field("call", "missing: give call (one call) or steps (a session)")),
        }
    }
}

impl LoginStatusStep {
    fn check(&self, at: &str) -> Result<Action, ScenarioError> {
        let status = match self.status.as_deref() {
            Some("logged-in") => Some(LoginStatus::LoggedIn),
            Some("logged-out") => Some(LoggedOut),
            Some(other) => {
                return Err(ScenarioError::field(
                    format!("{at}.status"),
                    format!("{other:?} is not logged-in or logged-out"),
                ))
            }
            None => None,
        };
        let via = match (self.via.as_deref().unwrap_or("script"), status, &self.value) {
            ("script", Some(status), None) => Via::Script { status },
            ("script", None, _) => return Err(ScenarioError::field(format!("{at}.status"), "required for a script")),
            ("script", _, Some(_)) => {
                return Err(ScenarioError::field(format!("{at}.value"), "only a header has a value"))
            }
            ("header", _, Some(value)) => Via::Header { value: value.clone() },
            ("header", Some(status), None) => {
                Via::Header { value: if status == LoggedOut { "logged-out" } else { "logged-in" }.into() }
            }
            ("header", None, None) => return Err(ScenarioError::field(at, "a header needs a status or a value")),
            (other, _, _) => {
                return Err(ScenarioError::field(format!("{at}.via"), format!("{other:?} is not script or header")))
            }
        };
        let origin = parse_origin(&format!("{at}.idp"), &self.idp)?;
        let mut ancestors = Vec::with_capacity(self.frame.len());
        for (i, f) in self.frame.iter().enumerate() {
            ancestors.push(parse_origin(&format!("{at}.frame[{i}]"), f)?);
        }
        if let Some(r) = &self.result {
            let results: Vec<&str> = match r {
                SignalExpect::Any(r) => vec![r.as_str()],
                SignalExpect::PerProfile(m) => m.values().map(String::as_str).collect(),
            };
            if let Some(bad) = results.iter().find(|r| !["applied", "ignored", "refused"].contains(r)) {
                return Err(ScenarioError::field(
                    format!("{at}.result"),
                    format!("{bad:?} is not applied, ignored or refused"),
                ));
            }
        }
        Ok(Action::LoginStatus { signal: LoginSignal { origin, ancestors, via }, result: self.result.clone() })
    }
}

/// The calling document of a `getUserInfo` call: its origin (`caller`,
/// default the `configURL`'s), whether the RP's page frames it (unless
/// `top_level`), and whether the permissions policy allows it (`allow`,
/// default true).
pub fn user_info_caller(args: &Value, at: &str) -> Result<(Url, bool, bool), ScenarioError> {
    let flag = |name: &str, default: bool| match args.get(name) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => {
            Err(ScenarioError::field(format!("{at}.getUserInfo.{name}"), format!("{other} is not a boolean")))
        }
    };
    let framed = !flag("top_level", false)?;
    let allowed = flag("allow", true)?;
    let origin = match args.get("caller") {
        Some(Value::String(c)) => parse_origin(&format!("{at}.getUserInfo.caller"), c)?,
        Some(other) => {
            return Err(ScenarioError::field(format!("{at}.getUserInfo.caller"), format!("{other} is not an origin")))
        }
        None => {
            let config = args.get("configURL").and_then(Value::as_str).unwrap_or_default();
            parse_origin(&format!("{at}.getUserInfo.configURL"), config).map_err(|_| {
                ScenarioError::field(format!("{at}.getUserInfo.caller"), "required when configURL has no origin")
            })?
        }
    };
    Ok((origin, framed, allowed))
}

/// Checks a call's arguments as far as the machine does not.
fn check_call(call: &Call, at: &str) -> Result<(), ScenarioError> {
    if let Call::Resolve(args) = call {
        if args.get("token").is_none() {
            return Err(ScenarioError::field(
                format!("{at}.resolve.token"),
                "required, as resolve()'s first argument is",
            ));
        }
    }
    if let Call::GetUserInfo(args) = call {
        user_info_caller(args, at)?;
    }
    if let Call::Get(options) = call {
        let signal = options.get("signal");
        if signal.is_some() && !fedcm_model::machine::signal_already_aborted(options) {
            return Err(ScenarioError::field(
                format!("{at}.get.signal"),
                "the only signal a scenario gives is \"aborted\" (a signal aborted before the call); script an \"abort\" step for one that fires later",
            ));
        }
    }
    Ok(())
}

fn check_user(user: &[Value], at: &str) -> Result<(), ScenarioError> {
    for (i, step) in user.iter().enumerate() {
        parse_user_step(step).map_err(|e| ScenarioError::field(format!("{at}[{i}]"), e))?;
    }
    Ok(())
}

impl StepSpec {
    /// The step, checked against the steps before it (`earlier`).
    fn check(&self, at: &str, earlier: &[Step]) -> Result<Step, ScenarioError> {
        let mut actions = Vec::new();
        if let Some(v) = &self.get {
            actions.push(Action::Call(Call::Get(v.clone())));
        }
        if let Some(v) = &self.disconnect {
            actions.push(Action::Call(Call::Disconnect(v.clone())));
        }
        if let Some(v) = &self.store {
            actions.push(Action::Call(Call::Store(v.clone())));
        }
        if let Some(v) = &self.resolve {
            actions.push(Action::Call(Call::Resolve(v.clone())));
        }
        if let Some(v) = &self.get_user_info {
            actions.push(Action::Call(Call::GetUserInfo(v.clone())));
        }
        if self.prevent_silent_access.is_some() {
            actions.push(Action::PreventSilentAccess);
        }
        if let Some(l) = &self.login_status {
            actions.push(l.check(&format!("{at}.login_status"))?);
        }
        let target = |n: usize, what: &str, ok: &dyn Fn(&Action) -> bool| match earlier.get(n) {
            Some(s) if ok(&s.action) => Ok(n),
            Some(s) => Err(ScenarioError::field(at, format!("{what}: step {n} is a {} step", s.name()))),
            None => Err(ScenarioError::field(at, format!("{what}: {n} is not an earlier step"))),
        };
        if let Some(n) = self.wait {
            let ok = |a: &Action| matches!(a, Action::Call(Call::Get(_) | Call::Disconnect(_)));
            actions.push(Action::Wait(target(n, "wait names a get or disconnect step", &ok)?));
        }
        if let Some(n) = self.abort {
            actions.push(Action::Abort(target(n, "abort names a get step", &|a| {
                matches!(a, Action::Call(Call::Get(_)))
            })?));
        }
        let action = match actions.len() {
            1 => actions.remove(0),
            0 => return Err(ScenarioError::field(at, "no action: give one of get, disconnect, store, resolve, getUserInfo, preventSilentAccess, login_status, wait, abort")),
            _ => return Err(ScenarioError::field(at, "more than one action in one step")),
        };
        let is_get = matches!(action, Action::Call(Call::Get(_)));
        let is_call = matches!(action, Action::Call(_));
        let waits = matches!(action, Action::Call(Call::Get(_) | Call::Disconnect(_)));
        let misplaced = [
            ("user", !self.user.is_empty() && !is_get, "only a get step has user actions"),
            ("expect", self.expect.is_some() && !is_call, "only a call step has an expect"),
            ("await", self.awaited.is_some() && !waits, "only a get or disconnect step can be left pending"),
            ("activation", self.activation.is_some() && !is_get, "only a get step takes activation"),
        ];
        if let Some((member, _, why)) = misplaced.iter().find(|m| m.1) {
            return Err(ScenarioError::field(format!("{at}.{member}"), why));
        }
        if let Action::Call(call) = &action {
            check_call(call, at)?;
        }
        check_user(&self.user, &format!("{at}.user"))?;
        Ok(Step {
            action,
            user: self.user.clone(),
            expect: self.expect.clone(),
            awaited: self.awaited.unwrap_or(true),
            activation: self.activation,
        })
    }
}

impl Scenario {
    /// Checks that `fedcm serve` can put every scripted response on the
    /// wire as written: scripted runs take any status and header, but HTTP
    /// cannot carry status 0 or 1000 or a header with CR/LF in it, and a
    /// server that quietly sent something else would test the wrong thing.
    /// Also refuses a `delay_ms` over [`MAX_DELAY_MS`].
    pub fn validate_for_http(&self) -> Result<(), ScenarioError> {
        for (key, responses) in &self.idp {
            let list: Vec<(String, &ResponseSpec)> = match responses {
                Responses::One(r) => vec![(String::new(), r)],
                Responses::Sequence(l) => l.iter().enumerate().map(|(i, r)| (format!("[{i}]"), r)).collect(),
            };
            for (at, r) in list {
                r.check_http().map_err(|(member, why)| {
                    ScenarioError::field(format!("idp[{:?}]{at}.{member}", clip(key, 200)), why)
                })?;
            }
        }
        Ok(())
    }
}

impl ResponseSpec {
    /// The body as sent: a string byte for byte, other JSON serialized.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            None => Vec::new(),
            Some(Value::String(raw)) => raw.as_bytes().to_vec(),
            Some(v) => serde_json::to_vec(v).unwrap_or_default(),
        }
    }

    /// What hyper would refuse to send (it would answer something else).
    /// The error starts with the field: `status: ...`, `headers[...]: ...`.
    /// Whether HTTP can carry this response as written; else the member at
    /// fault (`status`, `headers["x"]`, `delay_ms`) and why.
    fn check_http(&self) -> Result<(), (String, String)> {
        // A network error waits its delay too, so check it first.
        if let Some(delay) = self.delay_ms.filter(|&d| d > MAX_DELAY_MS) {
            return Err((
                "delay_ms".into(),
                format!("{delay} is over the {MAX_DELAY_MS} ms (10 minutes) serve waits at most; each waiting request holds a connection"),
            ));
        }
        if self.network_error.is_some() {
            return Ok(());
        }
        if let Some(status) = self.status {
            // hyper sends 500 in place of a final 1xx, and a 101 switches protocols.
            if !(200..=999).contains(&status) || hyper::StatusCode::from_u16(status).is_err() {
                return Err((
                    "status".into(),
                    format!("{status} cannot be sent as a response (an HTTP final status is 200 to 999)"),
                ));
            }
        }
        for (name, value) in &self.headers {
            let at = clip(name, 100);
            if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err((format!("headers[{at:?}]"), "not a valid HTTP header name".into()));
            }
            if hyper::header::HeaderValue::from_str(value).is_err() {
                return Err((
                    format!("headers[{at:?}]"),
                    format!(
                        "the value {:?} is not a valid HTTP header value (no CR, LF or other control characters)",
                        clip(value, 100)
                    ),
                ));
            }
        }
        // hyper frames the body itself: a scripted length that disagrees
        // would be sent as a lie (or panic a debug build), and a length
        // beside Transfer-Encoding drops the connection.
        let has_te = self.headers.keys().any(|k| k.eq_ignore_ascii_case("transfer-encoding"));
        let length = self.body_bytes().len().to_string();
        for (name, value) in self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
            let at = clip(name, 100);
            if has_te {
                return Err((format!("headers[{at:?}]"), "cannot be sent together with Transfer-Encoding".into()));
            }
            if value.trim() != length {
                return Err((
                    format!("headers[{at:?}]"),
                    format!(
                        "{:?} is not the body's length ({length} bytes), and serve sends the body whole",
                        clip(value, 100)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// At most `max` bytes of `s` (on a character boundary), saying how long it was.
pub(crate) fn clip(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return s.into();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len()).into()
}

use LoginStatus::LoggedOut;

/// A member that is present, even as `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn parse_origin(at: &str, s: &str) -> Result<Url, ScenarioError> {
    let url = Url::parse(s).map_err(|e| ScenarioError::field(at, format!("{s:?} is not a URL ({e})")))?;
    Url::parse(&url.origin().ascii_serialization())
        .map_err(|_| ScenarioError::field(at, format!("{s:?} has no origin")))
}

fn origin_of(at: &str, s: &str) -> Result<String, ScenarioError> {
    Ok(parse_origin(at, s)?.origin().ascii_serialization())
}

fn split_key(key: &str) -> (Option<&str>, &str) {
    match key.split_once(' ') {
        Some((m, rest)) if m.chars().all(|c| c.is_ascii_uppercase()) => (Some(m), rest.trim()),
        _ => (None, key),
    }
}

/// One answer a scripted person gives. `"login"` clicks the login link in a
/// dialog, or signs in when the prompt is the login pop-up itself.
#[derive(Debug, Clone, PartialEq)]
pub enum UserStep {
    Choose {
        account: String,
        config_url: Option<String>,
    },
    Cancel,
    Login {
        config_url: Option<String>,
    },
    Close,
    Dismiss,
    Continue {
        token: Value,
        account_id: Option<String>,
    },
    /// The RP's AbortSignal fires while the prompt is up.
    Abort,
}

impl UserStep {
    /// The action for the prompt at hand.
    pub fn action(&self, at_login_popup: bool) -> UserAction {
        match self.clone() {
            UserStep::Choose { account, config_url } => UserAction::Choose { account_id: account, config_url },
            UserStep::Cancel => UserAction::Cancel,
            UserStep::Login { .. } if at_login_popup => UserAction::LoggedIn,
            UserStep::Login { config_url } => UserAction::Login { config_url },
            UserStep::Close => UserAction::IdpClose,
            UserStep::Dismiss => UserAction::Dismiss,
            UserStep::Continue { token, account_id } => UserAction::Resolve { token, account_id },
            // Handled by the driver before it asks for an action.
            UserStep::Abort => UserAction::Cancel,
        }
    }
}

pub fn parse_user_step(v: &Value) -> Result<UserStep, String> {
    let str_field = |o: &serde_json::Map<String, Value>, k: &str| o.get(k).and_then(Value::as_str).map(String::from);
    match v {
        Value::String(s) => match s.as_str() {
            "cancel" => Ok(UserStep::Cancel),
            "login" => Ok(UserStep::Login { config_url: None }),
            "close" => Ok(UserStep::Close),
            "dismiss" => Ok(UserStep::Dismiss),
            "abort" => Ok(UserStep::Abort),
            other => Err(format!("unknown action {other:?} (cancel, login, close, dismiss, abort, {{\"choose\": ID}}, {{\"continue\": {{...}}}})")),
        },
        Value::Object(o) if o.len() == 1 => {
            let (k, v) = o.iter().next().expect("one member");
            match (k.as_str(), v) {
                ("choose", Value::String(id)) => Ok(UserStep::Choose { account: id.clone(), config_url: None }),
                ("choose", Value::Object(c)) => Ok(UserStep::Choose {
                    account: str_field(c, "account").ok_or("choose.account must be a string")?,
                    config_url: str_field(c, "configURL"),
                }),
                ("login", Value::String(c)) => Ok(UserStep::Login { config_url: Some(c.clone()) }),
                ("continue", Value::Object(c)) => Ok(UserStep::Continue {
                    token: c.get("token").cloned().ok_or("continue.token is required")?,
                    account_id: str_field(c, "accountId"),
                }),
                _ => Err(format!("unknown action {v}")),
            }
        }
        other => Err(format!("unknown action {other}")),
    }
}

/// The scripted IdP: serves the scenario's responses.
#[derive(Debug, Clone)]
pub struct MockIdp {
    routes: Vec<(Option<String>, Url, Responses)>,
    /// Serialized URL -> indices into `routes`, ascending: a request finds
    /// its routes without scanning them all (thousands of IdPs).
    by_url: BTreeMap<String, Vec<usize>>,
    served: BTreeMap<usize, usize>,
    rp_origin: String,
}

impl MockIdp {
    pub fn new(scenario: &Scenario, rp: &Rp) -> MockIdp {
        let routes = scenario
            .idp
            .iter()
            .filter_map(|(k, v)| {
                let (method, url) = split_key(k);
                Url::parse(url).ok().map(|u| (method.map(String::from), u, v.clone()))
            })
            .collect::<Vec<_>>();
        let mut by_url: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, (_, url, _)) in routes.iter().enumerate() {
            by_url.entry(url.as_str().to_string()).or_default().push(i);
        }
        MockIdp { routes, by_url, served: BTreeMap::new(), rp_origin: rp.origin.origin().ascii_serialization() }
    }

    fn route(&self, request: &FetchRequest) -> Option<usize> {
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
        };
        let method_ok = |m: &Option<String>| m.as_deref().is_none_or(|m| m == method);
        // Routes for one URL, in the scenario's key order (`Url` equality is
        // equality of the serialization).
        let at = |url: &Url| self.by_url.get(url.as_str()).map(Vec::as_slice).unwrap_or_default();
        let first = |url: &Url, want: &dyn Fn(&Option<String>) -> bool| {
            at(url).iter().copied().find(|&i| want(&self.routes[i].0))
        };
        let exact = first(&request.url, &|m| method_ok(m) && m.is_some());
        let any = || first(&request.url, &method_ok);
        let without_query = || {
            let mut bare = request.url.clone();
            bare.set_query(None);
            first(&bare, &method_ok)
        };
        exact.or_else(any).or_else(without_query)
    }

    /// The response to `request`, as the scenario scripts it.
    pub fn answer(&mut self, request: &FetchRequest) -> FetchResult {
        self.answer_with_delay(request).0
    }

    /// The response and how long `fedcm serve` waits before sending it.
    pub fn answer_with_delay(&mut self, request: &FetchRequest) -> (FetchResult, u64) {
        let (served, result, delay) = self.next(request);
        if let Some(i) = served {
            let n = self.served.entry(i).or_insert(0);
            *n = n.saturating_add(1);
        }
        (result, delay)
    }

    /// The response [`MockIdp::answer`] would give `request` now, without
    /// counting it as served (a sequence does not move on). Lets `fedcm
    /// serve` read the config files at start without copying the mock.
    pub fn peek(&self, request: &FetchRequest) -> FetchResult {
        self.next(request).1
    }

    /// The next response to `request`, its delay, and the route to count
    /// as served for it (none for a 404 or an empty list).
    fn next(&self, request: &FetchRequest) -> (Option<usize>, FetchResult, u64) {
        let Some(i) = self.route(request) else {
            let not_found = HttpResponse {
                status: 404,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: b"not found".to_vec(),
            };
            return (None, Ok(not_found), 0);
        };
        let n = self.served.get(&i).copied().unwrap_or(0);
        let spec = match &self.routes[i].2 {
            Responses::One(r) => r,
            Responses::Sequence(list) => match list.get(n.min(list.len().saturating_sub(1))) {
                Some(r) => r,
                None => return (None, Err(NetworkError::new("empty response list")), 0),
            },
        };
        (Some(i), self.build(request, spec), spec.delay_ms.unwrap_or(0))
    }

    fn build(&self, request: &FetchRequest, spec: &ResponseSpec) -> FetchResult {
        if let Some(reason) = &spec.network_error {
            return Err(NetworkError::new(reason.clone()));
        }
        let mut headers: Vec<(String, String)> = spec.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let has = |h: &[(String, String)], name: &str| h.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        if !has(&headers, "content-type") {
            headers.push(("content-type".into(), "application/json".into()));
        }
        let credentialed_post = matches!(request.kind, FetchKind::Assertion | FetchKind::Disconnect);
        if credentialed_post && spec.cors != Some(false) && !has(&headers, "access-control-allow-origin") {
            headers.push(("access-control-allow-origin".into(), self.rp_origin.clone()));
            headers.push(("access-control-allow-credentials".into(), "true".into()));
        }
        Ok(HttpResponse { status: spec.status.unwrap_or(200), headers, body: spec.body_bytes() })
    }
}
