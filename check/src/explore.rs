//! Exhaustive bounded exploration of the machine: from each of a set of
//! starting configurations, every ordering of every event from a small
//! abstract alphabet (a response kind per pending fetch, including the
//! reorderings of parallel fetches; each answer the person can give; the
//! timer; an abort), breadth first, up to a depth, checking every
//! invariant in every state reached.
//!
//! A plain breadth-first search over `Flow` clones, deduplicated by
//! [`fingerprint`], rather than a model-checking crate: the machine is
//! already a deterministic value with cheap clones, breadth-first order
//! gives shortest counterexamples directly, and the invariants are
//! functions over the trace, which a generic checker's state type would
//! have to carry anyway.

use crate::drive::settle_outbox;
use crate::fixtures::{self, RP};
use crate::invariants::{self, Violation};
use fedcm_model::machine::browser::{BrowserState, Connection, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult, NetworkError};
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::{Flow, Step};
use fedcm_model::{HttpResponse, Profile};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};
use url::Url;

/// One event of the abstract alphabet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Move {
    /// Answer the pending fetch of this kind, provider and URL with one of
    /// [`responses`].
    Respond {
        /// The request's kind.
        kind: FetchKind,
        /// The request's provider index.
        provider: usize,
        /// The request's URL.
        url: String,
        /// The response's name in [`responses`].
        variant: &'static str,
    },
    /// The person gives one of [`answers`].
    User {
        /// The answer.
        action: UserAction,
    },
    /// Fire the pending timer.
    Timer,
    /// The RP's `AbortSignal` fires.
    Abort,
}

/// The IdPs of the explored world, the two cross-site ones of
/// [`fixtures::IDPS`]: each serves its config at `https://<idp>/config.json`.
pub const IDPS: [&str; 2] = [fixtures::IDPS[0], fixtures::IDPS[1]];

fn json_response(body: &Value) -> HttpResponse {
    fixtures::cors_json(serde_json::to_vec(body).unwrap_or_default())
}

/// The responses a fetch may get, by name.
pub fn responses(kind: FetchKind, url: &Url) -> Vec<(&'static str, FetchResult)> {
    let origin = url.origin().ascii_serialization();
    let ok = |v: Value| Ok(json_response(&v));
    let bad = || Ok(HttpResponse::json("{not json"));
    match kind {
        FetchKind::WellKnown => vec![
            ("valid", ok(json!({ "provider_urls": [format!("{origin}/config.json")] }))),
            ("404", Ok(HttpResponse::json("").with_status(404))),
        ],
        FetchKind::Config => vec![
            (
                "valid",
                ok(json!({"accounts_endpoint": "/accounts", "id_assertion_endpoint": "/assertion",
                    "login_url": "/login", "supports_use_other_account": true})),
            ),
            (
                "cross-origin-accounts",
                ok(json!({"accounts_endpoint": "https://tracker.example/accounts",
                    "id_assertion_endpoint": "/assertion", "login_url": "/login"})),
            ),
            ("invalid", bad()),
        ],
        FetchKind::Accounts => vec![
            ("one", ok(json!({"accounts": [{"id": "1", "name": "One"}]}))),
            ("two", ok(json!({"accounts": [{"id": "1", "name": "One"}, {"id": "2", "name": "Two"}]}))),
            (
                "vetoed",
                ok(
                    json!({"accounts": [{"id": "1", "name": "One", "approved_clients": ["other"]}, {"id": "2", "name": "Two"}]}),
                ),
            ),
            ("empty", ok(json!({"accounts": []}))),
            ("invalid", bad()),
        ],
        FetchKind::Picture | FetchKind::ClientMetadata | FetchKind::Disconnect => {
            vec![("404", Ok(HttpResponse::json("").with_status(404)))]
        }
        FetchKind::Assertion => vec![
            ("token", ok(json!({"token": "t"}))),
            ("error", ok(json!({"error": {"error": "access_denied", "url": "/why"}}))),
            ("error-other-site", ok(json!({"error": {"error": "x", "url": "https://tracker.example/why"}}))),
            ("no-cors", Ok(HttpResponse::json(r#"{"token":"t"}"#))),
            ("continue-on", ok(json!({"continue_on": format!("{origin}/continue")}))),
            ("invalid", bad()),
            ("network-error", Err(NetworkError::new("connection reset"))),
        ],
    }
}

/// The answers the person can give to a prompt.
pub fn answers(prompt: &Prompt) -> Vec<UserAction> {
    match prompt {
        Prompt::AccountChooser { accounts, use_other_account, login_to, .. } => {
            let mut v: Vec<UserAction> = accounts
                .iter()
                .map(|a| UserAction::Choose {
                    account_id: a.account_id.clone(),
                    config_url: Some(a.config_url.clone()),
                })
                .collect();
            v.push(UserAction::Cancel);
            // Refused by the machine: checks that only shown accounts are chosen.
            v.push(UserAction::Choose { account_id: "not-shown".into(), config_url: None });
            if *use_other_account || !login_to.is_empty() {
                v.push(UserAction::Login { config_url: None });
            }
            v
        }
        Prompt::ConfirmIdpLogin { .. } => vec![UserAction::Login { config_url: None }, UserAction::Cancel],
        Prompt::LoginPopup { .. } => vec![UserAction::LoggedIn, UserAction::IdpClose, UserAction::Cancel],
        Prompt::ContinuationPopup { .. } => vec![
            UserAction::Resolve { token: json!("from-popup"), account_id: Some("9".into()) },
            UserAction::Cancel,
            UserAction::IdpClose,
        ],
        Prompt::ErrorDialog { .. } => vec![UserAction::Dismiss],
    }
}

/// Which accounts are connected to the RP before the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Connected {
    /// No account is connected.
    None,
    /// Account 1 of the first IdP.
    One,
    /// Accounts 1 and 2 of the first IdP.
    Two,
    /// Account 1 of the second IdP.
    OtherIdp,
}

impl Connected {
    fn connections(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Connected::None => vec![],
            Connected::One => vec![(IDPS[0], "1")],
            Connected::Two => vec![(IDPS[0], "1"), (IDPS[0], "2")],
            Connected::OtherIdp => vec![(IDPS[1], "1")],
        }
    }
}

/// A starting configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Start {
    /// The profile the flow follows.
    pub profile: Profile,
    /// The options' JSON form, as JavaScript passes them.
    pub options: Value,
    /// Applies to every IdP of the world.
    pub login_status: LoginStatus,
    /// Which accounts are connected before the call.
    pub connected: Connected,
}

impl Start {
    /// A fresh flow for this start.
    pub fn flow(&self) -> Flow {
        let mut browser = BrowserState { transient_activation: true, ..BrowserState::default() };
        for idp in IDPS {
            browser.set_login_status(idp, self.login_status);
        }
        for (idp, account) in self.connected.connections() {
            browser.connect(Connection {
                embedder: RP.into(),
                rp: RP.into(),
                idp: idp.into(),
                account: account.into(),
            });
        }
        Flow::from_json(fixtures::rp(), browser, &self.options, self.profile)
    }
}

/// Every combination of one or two providers (or two on one origin), mode,
/// mediation, login status and connected accounts, per profile.
pub fn starts(profiles: &[Profile]) -> Vec<Start> {
    let mut out = Vec::new();
    for &profile in profiles {
        // 1 or 2 IdPs; 3 stands for two providers on one IdP origin.
        for n in [1, 2, 3] {
            for mode in ["passive", "active"] {
                for mediation in ["optional", "silent", "required"] {
                    for login_status in [LoginStatus::LoggedIn, LoginStatus::LoggedOut, LoginStatus::Unknown] {
                        for connected in [Connected::None, Connected::One, Connected::Two, Connected::OtherIdp] {
                            let providers: Vec<Value> = match n {
                                3 => vec![
                                    json!({"configURL": format!("{}/config.json", IDPS[0]), "clientId": "c"}),
                                    json!({"configURL": format!("{}/other.json", IDPS[0]), "clientId": "c"}),
                                ],
                                _ => IDPS
                                    .iter()
                                    .take(n)
                                    .map(|idp| json!({"configURL": format!("{idp}/config.json"), "clientId": "c"}))
                                    .collect(),
                            };
                            let options =
                                json!({"mediation": mediation, "identity": {"mode": mode, "providers": providers}});
                            out.push(Start { profile, options, login_status, connected });
                        }
                    }
                }
            }
        }
    }
    out
}

/// Every move possible in this state.
pub fn moves(flow: &mut Flow) -> Vec<Move> {
    let step = settle_outbox(flow);
    let mut out = Vec::new();
    if let Step::Done(_) = step {
        return out;
    }
    let pending = pending(flow);
    for r in &pending {
        for (variant, _) in responses(r.kind, &r.url) {
            out.push(Move::Respond { kind: r.kind, provider: r.provider, url: r.url.to_string(), variant });
        }
    }
    match step {
        Step::Ask(prompt) => out.extend(answers(&prompt).into_iter().map(|action| Move::User { action })),
        Step::Wait(_) => out.push(Move::Timer),
        _ => {}
    }
    out.push(Move::Abort);
    out
}

/// The requests the machine waits for, whole: the machine keeps only
/// their ids, kinds and providers, and the trace has the rest.
fn pending(flow: &Flow) -> Vec<FetchRequest> {
    let ids: HashSet<_> = flow.pending_requests().map(|p| p.id).collect();
    flow.trace()
        .events
        .iter()
        .filter_map(|e| match e {
            fedcm_model::trace::Event::Request { request } if ids.contains(&request.id) => Some(request.clone()),
            _ => None,
        })
        .collect()
}

/// Applies a move; `false` when it does not apply.
pub fn apply(flow: &mut Flow, m: &Move) -> bool {
    let step = settle_outbox(flow);
    match m {
        Move::Respond { kind, provider, url, variant } => {
            let Some(r) =
                pending(flow).into_iter().find(|r| r.kind == *kind && r.provider == *provider && r.url.as_str() == url)
            else {
                return false;
            };
            let Some((_, result)) = responses(r.kind, &r.url).into_iter().find(|(v, _)| v == variant) else {
                return false;
            };
            flow.on_response(r.id, result);
            true
        }
        Move::User { action } => flow.on_user(action.clone()).is_ok(),
        Move::Timer => match step {
            Step::Wait(t) => {
                flow.on_timer(t.id);
                true
            }
            _ => false,
        },
        Move::Abort => {
            flow.abort();
            true
        }
    }
}

/// A shortest path from a start to a state that breaks invariants.
#[derive(Debug, Clone, Serialize)]
pub struct Counterexample {
    /// The start the path begins at.
    pub start: Start,
    /// The moves, in order.
    pub moves: Vec<Move>,
    /// What broke in the state reached.
    pub violations: Vec<Violation>,
}

/// How much a search did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Moves applied, including those that led to a state already seen.
    pub transitions: u64,
    /// States taken off the queue and checked.
    pub visited: u64,
    /// Distinct states (by fingerprint, per start).
    pub distinct: u64,
    /// States where the request had settled.
    pub settled: u64,
    /// The deepest level reached, in moves.
    pub max_depth: usize,
    /// Starting configurations searched.
    pub starts: usize,
}

/// What a search found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// How much it did.
    pub stats: Stats,
    /// The shortest counterexample per invariant found.
    pub counterexamples: Vec<Counterexample>,
    /// Set when a bound stopped the search before it was complete.
    pub stopped: Option<Stopped>,
}

/// Bounds on a search, and how often it reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Distinct states of one starting configuration after which the
    /// search stops: a start's states (a `Flow` clone each while queued,
    /// and its fingerprint) are all held until the start is done, so this
    /// bounds memory. `u64::MAX` for no bound.
    pub max_states: u64,
    /// Call the progress callback every this many visited states as well
    /// as after each start; 0 for only after each start.
    pub progress_every: u64,
}

impl Limits {
    /// No bound, and progress only after each start.
    pub const UNBOUNDED: Limits = Limits { max_states: u64::MAX, progress_every: 0 };
}

/// Why a search stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "bound", rename_all = "kebab-case")]
pub enum Stopped {
    /// Start `start` (1-based) reached `Limits::max_states` distinct
    /// states; it and the starts after it were not finished.
    MaxStates {
        /// [`Limits::max_states`] of the search.
        limit: u64,
        /// The start that reached it, 1-based.
        start: usize,
    },
}

/// Where a search is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// Starts finished.
    pub done: usize,
    /// Whether this call ends a start (else it is a periodic one within it).
    pub start_finished: bool,
    /// States waiting in the current start's queue.
    pub queued: usize,
    /// The counts so far.
    pub stats: &'a Stats,
}

/// A hash of a state: everything that decides the machine's future, plus
/// the history as an unordered set of events. Two runs that differ only in
/// the order parallel responses arrived share a fingerprint; runs that saw
/// different content never do, so every invariant (which reads the history)
/// is checked on every distinct history.
pub fn fingerprint(flow: &Flow) -> u64 {
    use std::hash::{Hash, Hasher};
    let hash = |text: &str| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        h.finish()
    };
    let history = flow.trace().events.iter().fold(0u64, |acc, e| acc.wrapping_add(hash(&format!("{e:?}"))));
    hash(&flow.future_key()) ^ history.rotate_left(17)
}

/// Explores every start to `depth` moves. `progress` is called after each
/// start with the running totals.
pub fn explore(starts: &[Start], depth: usize, mut progress: impl FnMut(usize, &Stats)) -> Report {
    explore_bounded(starts, depth, Limits::UNBOUNDED, |p| {
        if p.start_finished {
            progress(p.done, p.stats)
        }
    })
}

/// [`explore`] within `limits`: stops (with [`Report::stopped`] set) once
/// the distinct states reach the bound, and reports progress within a start
/// too, so a long search is never silent. The caller decides what to print
/// and when (the model has no clock).
pub fn explore_bounded(starts: &[Start], depth: usize, limits: Limits, mut progress: impl FnMut(Progress)) -> Report {
    let mut stats = Stats { starts: starts.len(), ..Stats::default() };
    let mut counterexamples: Vec<Counterexample> = Vec::new();
    let mut stopped = None;
    'starts: for (n, start) in starts.iter().enumerate() {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<(Flow, Vec<Move>)> = VecDeque::new();
        let mut root = start.flow();
        settle_outbox(&mut root);
        seen.insert(fingerprint(&root));
        stats.distinct += 1;
        queue.push_back((root, Vec::new()));
        while let Some((mut flow, path)) = queue.pop_front() {
            stats.visited += 1;
            if limits.progress_every > 0 && stats.visited % limits.progress_every == 0 {
                progress(Progress { done: n, start_finished: false, queued: queue.len(), stats: &stats });
            }
            stats.max_depth = stats.max_depth.max(path.len());
            let violations = invariants::check_all(flow.trace());
            if !violations.is_empty() {
                for v in &violations {
                    if !counterexamples.iter().any(|c| c.violations.iter().any(|w| w.id == v.id)) {
                        counterexamples.push(Counterexample {
                            start: start.clone(),
                            moves: path.clone(),
                            violations: vec![v.clone()],
                        });
                    }
                }
                continue;
            }
            if flow.outcome().is_some() {
                stats.settled += 1;
                continue;
            }
            if path.len() >= depth {
                continue;
            }
            for m in moves(&mut flow) {
                let mut next = flow.clone();
                if !apply(&mut next, &m) {
                    continue;
                }
                settle_outbox(&mut next);
                stats.transitions += 1;
                let fingerprint = fingerprint(&next);
                if !seen.contains(&fingerprint) && seen.len() as u64 >= limits.max_states {
                    stopped = Some(Stopped::MaxStates { limit: limits.max_states, start: n + 1 });
                    progress(Progress { done: n, start_finished: false, queued: queue.len(), stats: &stats });
                    break 'starts;
                }
                if seen.insert(fingerprint) {
                    stats.distinct += 1;
                    let mut p = path.clone();
                    p.push(m);
                    queue.push_back((next, p));
                }
            }
        }
        progress(Progress { done: n + 1, start_finished: true, queued: 0, stats: &stats });
    }
    Report { stats, counterexamples, stopped }
}

/// A counterexample as a scenario file (docs/scenario-format.md). The exact
/// order of the moves is kept in the description: scenario runners answer
/// fetches in the order they are sent, so a violation that needs another
/// order replays only through `fedcm explore`.
pub fn to_scenario(c: &Counterexample) -> Value {
    let mut idp = serde_json::Map::new();
    let mut user = Vec::new();
    for m in &c.moves {
        match m {
            Move::Respond { kind, url, variant, .. } => {
                let Ok(u) = Url::parse(url) else { continue };
                let Some((_, result)) = responses(*kind, &u).into_iter().find(|(v, _)| v == variant) else { continue };
                let key = if *kind == FetchKind::Assertion { format!("POST {url}") } else { url.clone() };
                let value = match result {
                    Err(e) => json!({ "network_error": e.reason }),
                    Ok(r) => json!({ "status": r.status, "body": String::from_utf8_lossy(&r.body) }),
                };
                idp.insert(key, value);
            }
            Move::User { action } => user.push(match action {
                UserAction::Choose { account_id, config_url } => {
                    json!({"choose": {"account": account_id, "configURL": config_url}})
                }
                UserAction::Cancel => json!("cancel"),
                UserAction::Login { .. } | UserAction::LoggedIn => json!("login"),
                UserAction::IdpClose => json!("close"),
                UserAction::Resolve { token, account_id } => {
                    json!({"continue": {"token": token, "accountId": account_id}})
                }
                UserAction::Dismiss => json!("dismiss"),
            }),
            Move::Timer => {}
            Move::Abort => user.push(json!("abort")),
        }
    }
    let connected: Vec<Value> = c
        .start
        .connected
        .connections()
        .into_iter()
        .map(|(idp, account)| json!({"rp": RP, "idp": idp, "account": account}))
        .collect();
    let status = match c.start.login_status {
        LoginStatus::LoggedIn => "logged-in",
        LoginStatus::LoggedOut => "logged-out",
        LoginStatus::Unknown => "unknown",
    };
    json!({
        "name": format!("counterexample: {}", c.violations.iter().map(|v| v.name).collect::<Vec<_>>().join(", ")),
        "description": format!("found by fedcm explore; moves in order: {}", serde_json::to_string(&c.moves).unwrap_or_default()),
        "profile": c.start.profile,
        "rp": {"origin": RP},
        "browser": {"login_status": {IDPS[0]: status, IDPS[1]: status}, "connected": connected},
        "call": {"get": c.start.options},
        "idp": idp,
        "user": user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_bound_stops_the_search_and_says_where() {
        let starts = starts(&[Profile::Spec]);
        let limits = Limits { max_states: 500, progress_every: 100 };
        let mut ticks = 0;
        let report = explore_bounded(&starts, 40, limits, |p| ticks += usize::from(!p.start_finished));
        assert_eq!(report.stats.distinct, 500);
        assert!(matches!(report.stopped, Some(Stopped::MaxStates { limit: 500, start }) if start < starts.len()));
        // Periodic calls within a start, not only between starts.
        assert!(ticks >= 4, "{ticks} progress calls");
    }

    /// The largest number of distinct states any one start reaches.
    fn most_states_of_one_start(starts: &[Start], depth: usize) -> u64 {
        starts.iter().map(|s| explore(std::slice::from_ref(s), depth, |_, _| {}).stats.distinct).max().unwrap_or(0)
    }

    #[test]
    fn the_bound_is_per_start_and_exact() {
        let starts = starts(&[Profile::Chromium]);
        let free = explore(&starts, 3, |_, _| {});
        let most = most_states_of_one_start(&starts, 3);
        // The bound counts one start's states, not the total.
        assert!(most < free.stats.distinct);
        let at = explore_bounded(&starts, 3, Limits { max_states: most, progress_every: 1000 }, |_| {});
        assert_eq!(at.stopped, None);
        assert_eq!((at.stats.distinct, at.stats.visited), (free.stats.distinct, free.stats.visited));
        let below = explore_bounded(&starts, 3, Limits { max_states: most - 1, progress_every: 1000 }, |_| {});
        assert!(matches!(below.stopped, Some(Stopped::MaxStates { .. })), "{:?}", below.stopped);
        assert_eq!(free.stopped, None);
    }

    /// The explorer's counts at depth 3 over every start, as they were
    /// before the machine was made linear in providers: a change in them is
    /// a change in what the machine does (or in its fingerprint), and must
    /// be explained.
    #[test]
    fn the_explored_state_space_is_unchanged() {
        let counts = |profiles: &[Profile]| {
            let report = explore(&starts(profiles), 3, |_, _| {});
            assert!(report.counterexamples.is_empty());
            let s = report.stats;
            (s.starts, s.visited, s.distinct, s.transitions, s.settled, s.max_depth)
        };
        assert_eq!(counts(&[Profile::Spec, Profile::Chromium]), (432, 15_896, 15_896, 23_356, 5_838, 3));
        // The generations differ from their families only in the token and
        // the nonce, which depth 3 does not reach; Firefox drops most
        // passive-mode starts before any fetch (decisions F4).
        assert_eq!(counts(&[Profile::Firefox]), (216, 2_241, 2_241, 2_400, 1_308, 3));
        assert_eq!(counts(&Profile::ALL), (1_080, 34_033, 34_033, 49_112, 12_984, 3));
    }
}
