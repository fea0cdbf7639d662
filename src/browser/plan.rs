//! What the harness will do for one scenario, decided before a browser is
//! started: the hosts to map, the browser state to build by real actions
//! (priming sign-ins, `preventSilentAccess()`, login-status pages), the
//! call, and the person's steps. What cannot be driven is refused here with
//! the reason, never guessed.

use super::prompts::Framing;
use crate::scenario::{parse_user_step, Action, Call, Scenario, UserStep};
use crate::serve::{pages, tls};
use fedcm_model::machine::browser::LoginStatus;
use fedcm_model::machine::login_signal::Via;
use serde_json::Value;
use std::collections::BTreeSet;
use url::Url;

/// The call the RP page makes.
#[derive(Debug, Clone, PartialEq)]
pub enum PageCall {
    /// `navigator.credentials.get(options)`.
    Get(Value),
    /// `IdentityCredential.disconnect(options)`.
    Disconnect(Value),
    /// `IdentityProvider.resolve(token, options)` from the RP's page.
    Resolve(Value),
    /// `IdentityProvider.getUserInfo(options)` from a page on `caller`'s
    /// origin (the RP page on it, [`pages::RP_PAGE`]): an iframe the RP
    /// page adds, with `allow="identity-credentials-get"` if `allow`, or,
    /// `top_level`, the page the tab opens instead of the RP's.
    GetUserInfo { options: Value, caller: Url, allow: bool, top_level: bool },
}

/// A connection the browser must hold before the call, made by signing in
/// for real: the RP page at `rp_page` signs `account` in to the priming IdP
/// served on `idp` (see [`pages::Prime`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PrimeStep {
    pub rp_page: Url,
    /// The top-level page that frames the RP page, for a connection made
    /// under another embedder.
    pub embedder_page: Option<Url>,
    pub idp: Url,
    pub account: String,
}

impl PrimeStep {
    /// The priming IdP's config URL on the connection's IdP origin.
    pub fn config_url(&self) -> String {
        self.idp.join(pages::PRIME_CONFIG).map(String::from).unwrap_or_default()
    }
}

/// One call the RP page makes, with the person's answers to it.
#[derive(Debug, Clone)]
pub struct PlannedCall {
    pub call: PageCall,
    /// The person's answers to this call's dialogs and pop-ups.
    pub user: Vec<UserStep>,
    /// Whether the next step waits for it (a single call always is).
    pub awaited: bool,
    /// Whether the call follows a gesture (transient activation).
    pub gesture: bool,
    /// An `"abort"` user step, or a session's `abort` step naming this
    /// call, needs it wired to an `AbortController`.
    pub abort: bool,
}

/// One step the harness takes in the RP page, in order.
#[derive(Debug, Clone)]
pub enum PlanStep {
    Call(PlannedCall),
    /// `navigator.credentials.preventSilentAccess()` in the RP page.
    PreventSilentAccess,
    /// The IdP at `origin` signals its login status: the harness opens
    /// `page` in a tab of its own (the outermost page of the chain of
    /// frames around the signal, see [`signal_page`]) and reads the
    /// signal's result there.
    LoginStatus {
        origin: Url,
        page: Url,
        /// Whether the signal is `setStatus()`, whose promise the page
        /// sees (a `Set-Login` header is seen by no page).
        script: bool,
        /// The frames around the signal, innermost first.
        frames: Vec<Url>,
    },
    /// Wait until the call made at this step settles.
    Wait(usize),
    /// Fire the `AbortController` of the `get()` made at this step.
    Abort(usize),
}

impl PlanStep {
    /// The step's name, as the scenario file writes it.
    pub fn name(&self) -> &'static str {
        match self {
            PlanStep::Call(c) => match c.call {
                PageCall::Get(_) => "get",
                PageCall::Disconnect(_) => "disconnect",
                PageCall::Resolve(_) => "resolve",
                PageCall::GetUserInfo { .. } => "getUserInfo",
            },
            PlanStep::PreventSilentAccess => "preventSilentAccess",
            PlanStep::LoginStatus { .. } => "login_status",
            PlanStep::Wait(_) => "wait",
            PlanStep::Abort(_) => "abort",
        }
    }
}

/// What the harness will do for a scenario it can drive.
#[derive(Debug, Clone)]
pub struct Plan {
    pub rp_page: Url,
    /// The top-level page that frames the RP page (`rp.embedder`); the
    /// call is made in the frame.
    pub embedder_page: Option<Url>,
    /// How the embedder's page frames the RP page: directly, or through
    /// `rp.frames`, each iframe allowing FedCM as the scenario says.
    pub framing: Framing,
    /// Sign-ins that make the scenario's connections, in order.
    pub primes: Vec<PrimeStep>,
    /// RP pages that call `preventSilentAccess()` after the sign-ins.
    pub prevent_silent: Vec<Url>,
    /// IdP origins to visit before the call, with the `Set-Login` value.
    pub idp_pages: Vec<(String, Option<String>)>,
    /// What happens in the RP page: the one awaited call of a single-call
    /// scenario, or a session's steps.
    pub steps: Vec<PlanStep>,
    /// Whether the scenario is a session (`steps`): every call step's
    /// outcome is compared, not only one.
    pub session: bool,
    /// `host:port` the browser must reach, all mapped to the mock.
    pub authorities: BTreeSet<String>,
}

impl Plan {
    /// The call of a single-call scenario (a session's first call).
    pub fn first_call(&self) -> Option<&PlannedCall> {
        self.steps.iter().find_map(|s| match s {
            PlanStep::Call(c) => Some(c),
            _ => None,
        })
    }
}

/// The call as the page makes it, with the config URLs it names; what the
/// page cannot make is refused with why.
fn page_call(call: &Call) -> Result<(PageCall, Vec<String>), String> {
    let (call, config_urls) = match call {
        Call::Get(options) => {
            let providers = options.pointer("/identity/providers").and_then(Value::as_array);
            let urls = providers.into_iter().flatten().filter_map(|p| p.get("configURL")?.as_str());
            (PageCall::Get(options.clone()), urls.map(String::from).collect::<Vec<_>>())
        }
        Call::Disconnect(options) => {
            let url = options.get("configURL").and_then(Value::as_str).map(String::from);
            (PageCall::Disconnect(options.clone()), url.into_iter().collect())
        }
        Call::Resolve(args) => (PageCall::Resolve(args.clone()), Vec::new()),
        Call::Store(_) => {
            return Err("store() needs an IdentityCredential object, which only a completed get() makes; the harness makes one call per page".into())
        }
        Call::GetUserInfo(args) => {
            let (caller, framed, allow) = crate::scenario::user_info_caller(args, "call").map_err(|e| e.to_string())?;
            let caller = https("getUserInfo.caller", caller.as_str())?;
            // The call's own arguments; the others describe its document.
            let mut options = args.clone();
            if let Value::Object(o) = &mut options {
                for key in ["caller", "top_level", "allow"] {
                    o.remove(key);
                }
            }
            let url = args.get("configURL").and_then(Value::as_str).map(String::from);
            (PageCall::GetUserInfo { options, caller, allow, top_level: !framed }, url.into_iter().collect())
        }
    };
    if let PageCall::Get(options) = &call {
        let aborted = fedcm_model::machine::signal_already_aborted(options);
        if options.get("signal").is_some() && !aborted {
            return Err("a signal given in the options cannot be expressed in a page; script an \"abort\" step".into());
        }
    }
    Ok((call, config_urls))
}

/// The person's answers, parsed; `at` names them in an error.
fn user_steps(user: &[Value], at: &str) -> Result<Vec<UserStep>, String> {
    let mut steps = Vec::new();
    for (i, v) in user.iter().enumerate() {
        steps.push(parse_user_step(v).map_err(|e| format!("{at}[{i}]: {e}"))?);
    }
    Ok(steps)
}

/// A session's steps (`steps`), planned: the calls, with the config URLs
/// they name, and the other steps.
fn session_steps(scenario: &Scenario, gesture: bool) -> Result<(Vec<PlanStep>, Vec<String>), String> {
    let steps = scenario.steps().map_err(|e| e.to_string())?;
    let mut planned = Vec::new();
    let mut config_urls = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let at = format!("steps[{i}]");
        let next = match &step.action {
            Action::Call(Call::Store(_)) => {
                return Err(format!(
                    "{at}: store() of an IdentityCredential from an earlier get() is not driven by the harness yet"
                ))
            }
            Action::Call(call) => {
                let (call, urls) = page_call(call).map_err(|e| format!("{at}: {e}"))?;
                if matches!(call, PageCall::GetUserInfo { top_level: true, .. }) {
                    return Err(format!("{at}: a getUserInfo() in a top-level page of its own is driven as a single call only, not in a session"));
                }
                config_urls.extend(urls);
                let user = user_steps(&step.user, &format!("{at}.user"))?;
                let aborted_later = steps.iter().any(|s| matches!(s.action, Action::Abort(n) if n == i));
                let abort = user.contains(&UserStep::Abort) || aborted_later;
                if abort && !matches!(call, PageCall::Get(_)) {
                    return Err(format!("{at}: only get() takes an AbortSignal"));
                }
                // A disconnect() or resolve() follows the page's gesture as a single call does.
                let gesture = match call {
                    PageCall::Get(_) => step.activation.unwrap_or(gesture),
                    _ => gesture,
                };
                PlanStep::Call(PlannedCall { call, user, awaited: step.awaited, gesture, abort })
            }
            Action::PreventSilentAccess => PlanStep::PreventSilentAccess,
            Action::LoginStatus { signal, .. } => {
                let origin = https(&format!("{at}.login_status.idp"), signal.origin.as_str())?;
                let mut frames = Vec::new();
                for (j, frame) in signal.ancestors.iter().enumerate() {
                    frames.push(https(&format!("{at}.login_status.frame[{j}]"), frame.as_str())?);
                }
                let page = signal_page(&origin, &signal.via, &frames).map_err(|e| format!("{at}: {e}"))?;
                let script = matches!(signal.via, Via::Script { .. });
                PlanStep::LoginStatus { origin, page, script, frames }
            }
            Action::Wait(n) => PlanStep::Wait(*n),
            Action::Abort(n) => PlanStep::Abort(*n),
        };
        planned.push(next);
    }
    if !planned.iter().any(|s| matches!(s, PlanStep::Call(_))) {
        return Err("a session without a call has nothing to compare".into());
    }
    Ok((planned, config_urls))
}

/// The page the harness opens for a login-status signal of the IdP at
/// `origin` sent `via` a script or a header from inside `frames`
/// (innermost first): the outermost frame's page
/// ([`pages::FRAME_PAGE`]), which frames the next, down to the page
/// that signals. A script is the IdP's page calling `setStatus()`
/// ([`pages::SET_STATUS_PAGE`]) in the innermost frame; a header is the
/// IdP's response with `Set-Login` ([`pages::SET_LOGIN_PAGE`]), loaded at
/// the top level without frames, else fetched by the innermost frame's
/// document ([`pages::FETCH_PAGE`]). Each page keeps the signal's result
/// and passes it up to the top.
pub fn signal_page(origin: &Url, via: &Via, frames: &[Url]) -> Result<Url, String> {
    let at = |base: &Url, path: &str, key: &str, value: &str| -> Result<Url, String> {
        let mut url = base.join(path).map_err(|e| e.to_string())?;
        url.query_pairs_mut().append_pair(key, value);
        Ok(url)
    };
    let (mut page, around) = match via {
        Via::Script { status } => {
            let status = match status {
                LoginStatus::LoggedIn => "logged-in",
                LoginStatus::LoggedOut => "logged-out",
                LoginStatus::Unknown => return Err("an IdP cannot set its login status to unknown".into()),
            };
            (at(origin, pages::SET_STATUS_PAGE, "status", status)?, frames)
        }
        Via::Header { value } => {
            let response = at(origin, pages::SET_LOGIN_PAGE, "value", value)?;
            match frames.split_first() {
                None => (response, frames),
                Some((document, around)) => (at(document, pages::FETCH_PAGE, "url", response.as_str())?, around),
            }
        }
    };
    for frame in around {
        page = at(frame, pages::FRAME_PAGE, "next", page.as_str())?;
    }
    Ok(page)
}

fn https(at: &str, origin: &str) -> Result<Url, String> {
    let url = Url::parse(origin).map_err(|e| format!("{at} {origin:?}: {e}"))?;
    if url.scheme() != "https" {
        return Err(format!("{at} {origin} is not https: the harness serves HTTPS only"));
    }
    Ok(url)
}

/// The embedder's page when `embedder` is another origin than `rp`'s.
fn frame_host(at: &str, rp: &Url, embedder: Option<&str>) -> Result<Option<Url>, String> {
    let Some(embedder) = embedder else { return Ok(None) };
    let top = https(at, embedder)?;
    if top.origin() == rp.origin() {
        return Ok(None);
    }
    top.join(pages::EMBED_PAGE).map(Some).map_err(|e| e.to_string())
}

/// How the embedder's page frames the RP page at `rp_page`: through the
/// chain of `rp.frames` (each a [`pages::FRAME_PAGE`] framing the next,
/// with `allow` where the scenario says), the RP's own iframe allowing
/// FedCM unless `rp.allow` is false; and the frames' origins.
fn framing(scenario: &Scenario, rp_page: &Url) -> Result<(Framing, Vec<Url>), String> {
    let mut framing = Framing::direct(rp_page);
    let mut allow = scenario.rp.allow.unwrap_or(true);
    let mut origins = Vec::new();
    for (j, frame) in scenario.rp.frames.iter().enumerate().rev() {
        let origin = https(&format!("rp.frames[{j}].origin"), &frame.origin)?;
        let mut page = origin.join(pages::FRAME_PAGE).map_err(|e| e.to_string())?;
        page.query_pairs_mut().append_pair("next", framing.src.as_str());
        if allow {
            page.query_pairs_mut().append_pair("allow", "1");
        }
        framing.src = page;
        framing.depth += 1;
        allow = frame.allow.unwrap_or(true);
        origins.push(origin);
    }
    framing.allow = allow;
    if scenario.rp.sandboxed {
        if !scenario.rp.frames.is_empty() {
            return Err("a sandboxed RP frame inside rp.frames is not driven yet".into());
        }
        // Its origin is opaque: the embedder posts to it with "*".
        framing.sandbox = true;
        framing.rp_origin = None;
    }
    Ok((framing, origins))
}

fn plan_first_call(steps: &[PlanStep]) -> Option<&PageCall> {
    steps.iter().find_map(|s| match s {
        PlanStep::Call(c) => Some(&c.call),
        _ => None,
    })
}

/// Whether the harness can drive `scenario` today; if not, why.
pub fn plan(scenario: &Scenario) -> Result<Plan, String> {
    let gesture = scenario.browser.transient_activation.unwrap_or(true);
    let (steps, config_urls) = match &scenario.call {
        Some(call) => {
            let (call, config_urls) = page_call(call)?;
            let user = user_steps(&scenario.user, "user")?;
            let abort = user.contains(&UserStep::Abort);
            if abort && !matches!(call, PageCall::Get(_)) {
                return Err("only get() takes an AbortSignal".into());
            }
            (vec![PlanStep::Call(PlannedCall { call, user, awaited: true, gesture, abort })], config_urls)
        }
        None => session_steps(scenario, gesture)?,
    };
    let rp = https("rp.origin", &scenario.rp.origin)?;
    // The documents getUserInfo() is called from, mapped like the RP's.
    let callers: Vec<Url> = steps
        .iter()
        .filter_map(|s| match s {
            PlanStep::Call(PlannedCall { call: PageCall::GetUserInfo { caller, .. }, .. }) => Some(caller.clone()),
            _ => None,
        })
        .collect();
    let rp_page = rp.join(pages::RP_PAGE).map_err(|e| e.to_string())?;
    // Frames between the embedder and the RP, an iframe that does not
    // allow FedCM, or a sandboxed one frame even an RP of the embedder's
    // own origin.
    let chained = !scenario.rp.frames.is_empty() || scenario.rp.allow == Some(false) || scenario.rp.sandboxed;
    let embedder_page = match (frame_host("rp.embedder", &rp, scenario.rp.embedder.as_deref())?, &scenario.rp.embedder)
    {
        (None, Some(top)) if chained => {
            Some(https("rp.embedder", top)?.join(pages::EMBED_PAGE).map_err(|e| e.to_string())?)
        }
        (page, _) => page,
    };
    let (framing, chain) = framing(scenario, &rp_page)?;
    // The RP page the call is made in carries the scenario's policy (the
    // pages of the sign-ins and of preventSilentAccess() do not).
    let mut rp_page = rp_page;
    if let Some(csp) = &scenario.rp.csp {
        if embedder_page.is_some() {
            return Err("a Content-Security-Policy on a framed RP page is not driven yet: the page runs what its embedder posts with eval(), which most policies forbid".into());
        }
        rp_page.query_pairs_mut().append_pair("csp", csp);
    }
    let mut primes = Vec::new();
    for c in &scenario.browser.connected {
        let idp = Url::parse(&c.idp).map_err(|e| format!("browser.connected idp {:?}: {e}", c.idp))?;
        // A browser never holds a connection to an IdP it could not reach
        // over https; such an entry only matters to a call that stops at
        // the config URL's own check, before any connection is looked up.
        if idp.scheme() != "https" {
            continue;
        }
        if c.account.is_empty() {
            return Err("a connection to an account with an empty id is not made: priming one lost the browser's DevTools connection on Chromium 156".into());
        }
        let rp = https("browser.connected rp", &c.rp)?;
        let rp_page = rp.join(pages::RP_PAGE).map_err(|e| e.to_string())?;
        let embedder_page = frame_host("browser.connected embedder", &rp, c.embedder.as_deref())?;
        let prime = PrimeStep { rp_page, embedder_page, idp, account: c.account.clone() };
        // A repeated connection is made once: signing the same account in
        // again would be an automatic re-authentication, which embargoes
        // the next one for the RP in Chromium.
        if !primes.contains(&prime) {
            primes.push(prime);
        }
    }
    let mut prevent_silent = Vec::new();
    for origin in &scenario.browser.requires_user_mediation {
        let url = https("browser.requires_user_mediation", origin)?;
        prevent_silent.push(url.join(pages::RP_PAGE).map_err(|e| e.to_string())?);
    }
    let session = scenario.is_session();
    if session && embedder_page.is_some() {
        return Err("a session in a framed RP (rp.embedder) is not driven yet".into());
    }
    let abort = steps.iter().any(|s| matches!(s, PlanStep::Call(c) if c.abort));
    if abort && embedder_page.is_some() {
        return Err("an \"abort\" step in a framed RP is not driven yet".into());
    }
    let mut idp_origins: BTreeSet<String> = BTreeSet::new();
    for config in &config_urls {
        if let Ok(u) = Url::parse(config) {
            idp_origins.insert(u.origin().ascii_serialization());
        }
    }
    idp_origins.extend(scenario.browser.login_status.keys().cloned());
    let mut framed: Vec<String> = chain.iter().chain(&callers).map(Url::to_string).collect();
    for step in &steps {
        if let PlanStep::LoginStatus { origin, frames, .. } = step {
            idp_origins.insert(origin.origin().ascii_serialization());
            framed.extend(frames.iter().map(Url::to_string));
        }
    }
    let mut idp_pages = Vec::new();
    for origin in idp_origins {
        let url = Url::parse(&origin).map_err(|e| format!("the IdP {origin:?}: {e}"))?;
        // An IdP that is not https is never fetched by a browser (FedCM
        // needs potentially trustworthy URLs) and cannot set a login
        // status: nothing to visit. Were it fetched, the mock answers TLS
        // only, and the comparison shows the request.
        if url.scheme() != "https" {
            continue;
        }
        let status = scenario.browser.login_status.get(&origin).filter(|s| *s != "unknown").cloned();
        idp_pages.push((url.origin().ascii_serialization(), status));
    }
    let mut authorities = BTreeSet::new();
    for host in tls::scenario_hosts(scenario) {
        authorities.insert(format!("{host}:443"));
    }
    let urls = scenario.idp.keys().map(|k| k.rsplit(' ').next().unwrap_or(k).to_string());
    let visited = idp_pages.iter().map(|(origin, _)| origin.clone());
    // The pages the tab loads, on their own ports too (an RP origin with a port).
    let loaded = [Some(&rp_page), embedder_page.as_ref()]
        .into_iter()
        .flatten()
        .chain(&prevent_silent)
        .chain(primes.iter().flat_map(|p| [Some(&p.rp_page), p.embedder_page.as_ref()]).flatten())
        .map(Url::to_string)
        .collect::<Vec<_>>();
    let urls = urls
        .chain(config_urls)
        .chain(primes.iter().map(|p| p.idp.to_string()))
        .chain(visited)
        .chain(framed)
        .chain(loaded);
    for u in urls {
        if let Ok(u) = Url::parse(&u) {
            if let (Some(h), Some(port)) = (u.host_str(), u.port_or_known_default()) {
                authorities.insert(format!("{h}:{port}"));
            }
        }
    }
    // A getUserInfo() made at the top level of its caller's origin: the
    // tab opens the caller's page instead of the RP's, and calls there.
    let rp_page = match plan_first_call(&steps) {
        Some(PageCall::GetUserInfo { caller, top_level: true, .. }) => {
            if embedder_page.is_some() {
                return Err("a top-level getUserInfo() has no embedder".into());
            }
            caller.join(pages::RP_PAGE).map_err(|e| e.to_string())?
        }
        _ => rp_page,
    };
    Ok(Plan { rp_page, embedder_page, framing, primes, prevent_silent, idp_pages, steps, session, authorities })
}

#[cfg(test)]
mod tests {
    use super::super::prompts;
    use super::*;

    pub(crate) fn scenario(patch: Value) -> Scenario {
        let mut s = serde_json::json!({
            "name": "harness",
            "rp": {"origin": "https://rp.example"},
            "browser": {"login_status": {"https://idp.example": "logged-in"}},
            "call": {"get": {"identity": {"providers": [{"configURL": "https://idp.example:8443/config.json", "clientId": "1"}]}}},
            "idp": {
                "https://idp.example/.well-known/web-identity": {"body": {"provider_urls": ["https://idp.example:8443/config.json"]}},
                "https://idp.example:8443/config.json": {"body": {"accounts_endpoint": "/a", "id_assertion_endpoint": "/b"}}
            },
            "user": [{"choose": "1"}]
        });
        if let (Value::Object(s), Value::Object(p)) = (&mut s, patch) {
            s.extend(p);
        }
        Scenario::parse(&s.to_string()).unwrap()
    }

    #[test]
    fn a_plain_scenario_maps_every_host_and_port_and_sets_login_status() {
        let plan = plan(&scenario(serde_json::json!({}))).unwrap();
        let authorities: Vec<&str> = plan.authorities.iter().map(String::as_str).collect();
        assert_eq!(authorities, ["idp.example:443", "idp.example:8443", "rp.example:443"]);
        // An RP page on a port of its own is mapped on that port.
        let on_port =
            super::plan(&scenario(serde_json::json!({"rp": {"origin": "https://www.rp.example:8444"}}))).unwrap();
        assert!(on_port.authorities.contains("www.rp.example:8444"), "{:?}", on_port.authorities);
        // Login status is per origin: the config URL's own origin (port
        // 8443) is unknown, but its page is visited for the probe cookie.
        let pages = [
            ("https://idp.example".to_string(), Some("logged-in".to_string())),
            ("https://idp.example:8443".to_string(), None),
        ];
        assert_eq!(plan.idp_pages, pages);
        assert_eq!(plan.rp_page.as_str(), "https://rp.example/.fedcm/rp");
        let call = plan.first_call().unwrap();
        assert!(call.gesture && !call.abort && call.awaited && plan.primes.is_empty() && !plan.session);
    }

    #[test]
    fn connections_become_priming_sign_ins_and_prevent_silent_access_a_call() {
        let plan = plan(&scenario(serde_json::json!({"browser": {
            "login_status": {"https://idp.example": "logged-in"},
            "connected": [
                {"rp": "https://rp.example", "idp": "https://idp.example", "account": "1"},
                {"rp": "https://rp.example", "idp": "http://old.example", "account": "2"},
                {"rp": "https://rp.example", "idp": "https://idp.example", "account": "1"}
            ],
            "requires_user_mediation": ["https://rp.example"]
        }})))
        .unwrap();
        assert_eq!(plan.primes.len(), 1, "no connection to an http IdP, none twice: {:?}", plan.primes);
        assert_eq!(plan.primes[0].config_url(), "https://idp.example/.fedcm/prime/config.json");
        assert_eq!(plan.prevent_silent.iter().map(Url::as_str).collect::<Vec<_>>(), ["https://rp.example/.fedcm/rp"]);
    }

    #[test]
    fn a_framed_rp_and_a_connection_under_another_embedder_get_embedder_pages() {
        let plan = plan(&scenario(serde_json::json!({
            "rp": {"origin": "https://rp.example", "embedder": "https://news.example"},
            "browser": {"connected": [{"rp": "https://rp.example", "idp": "https://idp.example", "account": "1", "embedder": "https://other.example"}]}
        })))
        .unwrap();
        assert_eq!(plan.embedder_page.as_ref().map(Url::as_str), Some("https://news.example/.fedcm/embed"));
        assert_eq!(plan.primes[0].embedder_page.as_ref().map(Url::as_str), Some("https://other.example/.fedcm/embed"));
        assert!(plan.authorities.contains("other.example:443") && plan.authorities.contains("news.example:443"));
    }

    #[test]
    fn nested_frames_chain_down_to_the_rp_with_allow_where_the_scenario_says() {
        let plan = plan(&scenario(serde_json::json!({
            "rp": {"origin": "https://rp.example", "embedder": "https://rp.example",
                   "frames": [{"origin": "https://mid.example", "allow": false}, {"origin": "https://in.example"}],
                   "allow": false}
        })))
        .unwrap();
        assert_eq!(plan.embedder_page.as_ref().map(Url::as_str), Some("https://rp.example/.fedcm/embed"));
        let f = &plan.framing;
        assert!(!f.allow && !f.sandbox && f.depth == 2, "{f:?}");
        let next = |url: &Url| Url::parse(&url.query_pairs().find(|(k, _)| k == "next").unwrap().1).unwrap();
        let allows = |url: &Url| url.query_pairs().any(|(k, v)| k == "allow" && v == "1");
        assert_eq!((f.src.host_str(), f.src.path()), (Some("mid.example"), pages::FRAME_PAGE));
        // mid.example's iframe (of in.example) allows; in.example's (of the RP) does not.
        assert!(allows(&f.src));
        let inner = next(&f.src);
        assert_eq!(inner.host_str(), Some("in.example"));
        assert!(!allows(&inner));
        assert_eq!(next(&inner).as_str(), "https://rp.example/.fedcm/rp");
        assert!(plan.authorities.contains("mid.example:443") && plan.authorities.contains("in.example:443"));
        // An RP framed by its own origin with nothing in between is called unframed.
        let same = serde_json::json!({"rp": {"origin": "https://rp.example", "embedder": "https://rp.example"}});
        assert!(super::plan(&scenario(same)).unwrap().embedder_page.is_none());
    }

    #[test]
    fn get_user_info_is_called_from_its_callers_frame_or_top_level_page() {
        let call = |args: Value| serde_json::json!({"call": {"getUserInfo": args}, "user": []});
        let config = "https://idp.example/config.json";
        let plan = plan(&scenario(call(serde_json::json!({"configURL": config, "clientId": "1", "caller": "https://other.example", "allow": false})))).unwrap();
        let PageCall::GetUserInfo { options, caller, allow, top_level } = &plan.first_call().unwrap().call else {
            panic!()
        };
        assert_eq!(options, &serde_json::json!({"configURL": config, "clientId": "1"}));
        assert_eq!((caller.as_str(), *allow, *top_level), ("https://other.example/", false, false));
        assert!(plan.authorities.contains("other.example:443"), "{:?}", plan.authorities);
        assert_eq!(plan.rp_page.as_str(), "https://rp.example/.fedcm/rp");
        let top =
            super::plan(&scenario(call(serde_json::json!({"configURL": config, "clientId": "1", "top_level": true}))))
                .unwrap();
        assert_eq!(top.rp_page.as_str(), "https://idp.example/.fedcm/rp");
        let steps = serde_json::json!([{"getUserInfo": {"configURL": config, "clientId": "1", "top_level": true}}]);
        let err = super::plan(&session(steps, serde_json::json!({}))).unwrap_err();
        assert!(err.contains("top-level"), "{err}");
    }

    #[test]
    fn an_rp_csp_is_asked_of_the_rp_page_it_calls_from() {
        let csp = serde_json::json!({"rp": {"origin": "https://rp.example", "csp": "connect-src 'self'"}});
        let plan = plan(&scenario(csp)).unwrap();
        assert_eq!(plan.rp_page.as_str(), "https://rp.example/.fedcm/rp?csp=connect-src+%27self%27");
        let framed =
            serde_json::json!({"rp": {"origin": "https://rp.example", "embedder": "https://top.example", "csp": "x"}});
        assert!(super::plan(&scenario(framed)).unwrap_err().contains("Content-Security-Policy"));
    }

    #[test]
    fn a_sandboxed_rp_is_framed_sandboxed_even_by_its_own_origin() {
        let rp = serde_json::json!({"rp": {"origin": "https://rp.example", "embedder": "https://rp.example", "sandboxed": true}});
        let plan = plan(&scenario(rp)).unwrap();
        assert_eq!(plan.embedder_page.as_ref().map(Url::as_str), Some("https://rp.example/.fedcm/embed"));
        let f = &plan.framing;
        assert!(f.sandbox && f.allow && f.rp_origin.is_none() && f.depth == 0, "{f:?}");
        assert!(prompts::add_frame(f).contains(r#"frame.sandbox = "allow-scripts";"#));
        assert!(prompts::in_frame("1", f).contains(r#"postMessage("1", "*")"#));
    }

    #[test]
    fn disconnect_and_abort_are_planned() {
        let plan = plan(&scenario(serde_json::json!({
            "call": {"disconnect": {"configURL": "https://idp.example/config.json", "clientId": "1", "accountHint": "1"}},
            "user": []
        })))
        .unwrap();
        assert!(matches!(plan.first_call().unwrap().call, PageCall::Disconnect(_)));
        assert_eq!(plan.idp_pages[0].0, "https://idp.example");
        let plan = super::plan(&scenario(serde_json::json!({"user": ["abort"]}))).unwrap();
        assert!(plan.first_call().unwrap().abort);
    }

    #[test]
    fn what_cannot_be_driven_says_why() {
        let cases = [
            (
                serde_json::json!({"rp": {"origin": "https://rp.example", "embedder": "https://top.example"}, "user": ["abort"]}),
                "framed",
            ),
            (
                serde_json::json!({"browser": {"connected": [{"rp": "http://rp.example", "idp": "https://idp.example", "account": "1"}]}}),
                "not https",
            ),
            (serde_json::json!({"call": {"get": {"identity": {"providers": []}, "signal": {}}}}), "abort"),
            (
                serde_json::json!({"browser": {"connected": [{"rp": "https://rp.example", "idp": "https://idp.example", "account": ""}]}}),
                "empty id",
            ),
        ];
        for (patch, why) in cases {
            let err = plan(&scenario(patch.clone())).unwrap_err();
            assert!(err.contains(why), "{patch}: {err}");
        }
    }

    fn session(steps: Value, patch: Value) -> Scenario {
        let mut base = serde_json::json!({"call": null, "user": [], "steps": steps});
        if let (Value::Object(b), Value::Object(p)) = (&mut base, patch) {
            b.extend(p);
        }
        scenario(base)
    }

    #[test]
    fn a_session_plans_each_step_in_order() {
        let get = serde_json::json!({"identity": {"providers": [{"configURL": "https://idp.example:8443/config.json", "clientId": "1"}]}});
        let steps = serde_json::json!([
            {"get": get, "await": false, "user": [{"choose": "1"}]},
            {"get": get, "activation": false},
            {"abort": 0},
            {"preventSilentAccess": {}},
            {"login_status": {"idp": "https://other.example", "status": "logged-out"}},
            {"disconnect": {"configURL": "https://idp.example:8443/config.json", "clientId": "1", "accountHint": "1"}},
            {"wait": 0}
        ]);
        let plan = plan(&session(steps, serde_json::json!({}))).unwrap();
        assert!(plan.session);
        let names: Vec<&str> = plan.steps.iter().map(PlanStep::name).collect();
        assert_eq!(names, ["get", "get", "abort", "preventSilentAccess", "login_status", "disconnect", "wait"]);
        let PlanStep::Call(first) = &plan.steps[0] else { panic!() };
        assert!(!first.awaited && first.gesture && first.abort, "the abort step wires step 0: {first:?}");
        assert_eq!(first.user.len(), 1);
        let PlanStep::Call(second) = &plan.steps[1] else { panic!() };
        assert!(second.awaited && !second.gesture && !second.abort, "{second:?}");
        let PlanStep::LoginStatus { origin, page, script, frames } = &plan.steps[4] else { panic!() };
        assert_eq!(origin.as_str(), "https://other.example/");
        assert_eq!(page.as_str(), "https://other.example/.fedcm/set-status?status=logged-out");
        assert!(*script && frames.is_empty());
        // The IdP that signals is mapped and visited like the others.
        assert!(plan.authorities.contains("other.example:443"), "{:?}", plan.authorities);
        assert!(plan.idp_pages.iter().any(|(o, s)| o == "https://other.example" && s.is_none()));
    }

    #[test]
    fn what_a_session_cannot_drive_says_why() {
        let get = serde_json::json!({"identity": {"providers": [{"configURL": "https://idp.example/config.json", "clientId": "1"}]}});
        let cases = [
            (serde_json::json!([{"get": get}, {"store": {}}]), serde_json::json!({}), "store()"),
            (
                serde_json::json!([{"get": get}]),
                serde_json::json!({"rp": {"origin": "https://rp.example", "embedder": "https://top.example"}}),
                "framed",
            ),
            (
                serde_json::json!([{"login_status": {"idp": "http://idp.example", "status": "logged-in"}}, {"get": get}]),
                serde_json::json!({}),
                "not https",
            ),
        ];
        for (steps, patch, why) in cases {
            let err = plan(&session(steps.clone(), patch)).unwrap_err();
            assert!(err.contains(why), "{steps}: {err}");
        }
    }

    #[test]
    fn a_signal_page_frames_the_signal_in_its_chain_outermost_first() {
        let u = |s: &str| Url::parse(s).unwrap();
        let idp = u("https://idp.example");
        let frames = [u("https://www.idp.example"), u("https://news.example:8443")];
        let script = Via::Script { status: LoginStatus::LoggedOut };
        let top = signal_page(&idp, &script, &frames).unwrap();
        assert_eq!(top.origin(), frames[1].origin());
        assert_eq!(top.path(), pages::FRAME_PAGE);
        let next = |url: &Url, key: &str| Url::parse(&url.query_pairs().find(|(k, _)| k == key).unwrap().1).unwrap();
        let inner = next(&top, "next");
        assert_eq!((inner.origin(), inner.path()), (frames[0].origin(), pages::FRAME_PAGE));
        assert_eq!(next(&inner, "next").as_str(), "https://idp.example/.fedcm/set-status?status=logged-out");
        // A header: at the top level, the IdP's response itself; in frames,
        // fetched by the innermost frame's document.
        let header = Via::Header { value: "logged-in; type=idp".into() };
        let top = signal_page(&idp, &header, &[]).unwrap();
        assert_eq!(top.as_str(), "https://idp.example/.fedcm/set-login?value=logged-in%3B+type%3Didp");
        let top = signal_page(&idp, &header, &frames[..1]).unwrap();
        assert_eq!((top.origin(), top.path()), (frames[0].origin(), pages::FETCH_PAGE));
        assert_eq!(next(&top, "url").path(), pages::SET_LOGIN_PAGE);
        let unknown = Via::Script { status: LoginStatus::Unknown };
        assert!(signal_page(&idp, &unknown, &[]).is_err());
    }

    #[test]
    fn the_signal_scenarios_are_planned_with_their_frames_mapped() {
        let texts = [
            include_str!("../../tests/scenarios/215-login-status-script-in-cross-site-frame.json"),
            include_str!("../../tests/scenarios/216-login-status-script-in-same-site-frame.json"),
            include_str!("../../tests/scenarios/217-set-login-header-cross-site-subresource.json"),
            include_str!("../../tests/scenarios/218-set-login-header-top-level-navigation.json"),
            include_str!("../../tests/scenarios/219-set-login-header-not-a-token.json"),
            include_str!("../../tests/scenarios/220-set-login-header-same-site-subresource.json"),
        ];
        for text in texts {
            let scenario = Scenario::parse(text).unwrap();
            let plan = plan(&scenario).unwrap_or_else(|e| panic!("{}: {e}", scenario.name));
            let PlanStep::LoginStatus { page, frames, .. } = &plan.steps[0] else { panic!("{}", scenario.name) };
            for frame in frames {
                let authority = format!("{}:{}", frame.host_str().unwrap(), frame.port_or_known_default().unwrap());
                assert!(plan.authorities.contains(&authority), "{}: {authority}", scenario.name);
            }
            assert!(
                tls::scenario_hosts(&scenario).contains(&page.host_str().unwrap().to_string()),
                "{}",
                scenario.name
            );
        }
    }
}
