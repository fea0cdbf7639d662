//! Exhaustive bounded exploration of the machine: from each of a set of
//! starting configurations, every ordering of every event from a small
//! abstract alphabet (a response kind per pending fetch, including the
//! reorderings of parallel fetches; each answer the person can give; the
//! timer; an abort), up to a depth, checking every invariant in every
//! state reached.
//!
//! A depth-first search over `Flow` clones, deduplicated by
//! [`fingerprint`] (`depth_first.rs`: a stack of `depth` states and 16
//! bytes per state seen, where a breadth-first queue held a whole flow per
//! state), rather than a model-checking crate: the machine is already a
//! deterministic value with cheap clones, and the invariants are functions
//! over the trace, which a generic checker's state type would have to
//! carry anyway. A start with a violation is searched again breadth first,
//! which gives its shortest counterexamples directly.

use crate::drive::settle_outbox;
use crate::fixtures::{self, RP};
use crate::invariants::{self, Violation};
use fedcm_model::machine::browser::{BrowserState, Connection, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult, NetworkError};
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::{Flow, Step};
use fedcm_model::{HttpResponse, Profile};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use url::Url;

mod depth_first;

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

/// What a state offers before its moves are listed, shared by [`moves`]
/// and the depth-first search's choices so both list them alike: the step
/// once every queued request is out, and the requests waiting for an
/// answer; `None` once the call has settled.
fn open_state(flow: &mut Flow) -> Option<(Step, Vec<Arc<FetchRequest>>)> {
    let step = settle_outbox(flow);
    // The session's cheap question and the prompt agree in every explored state.
    debug_assert_eq!(flow.is_asking(), flow.prompt().is_some());
    if let Step::Done(_) = step {
        return None;
    }
    Some((step, pending(flow)))
}

/// Every move possible in this state.
pub fn moves(flow: &mut Flow) -> Vec<Move> {
    let mut out = Vec::new();
    let Some((step, pending)) = open_state(flow) else { return out };
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
fn pending(flow: &Flow) -> Vec<Arc<FetchRequest>> {
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
    /// The start's position in the list searched (for a shard, in the
    /// whole list): merging shards keeps, per invariant, the counterexample
    /// of the earliest start, as one unsharded search does.
    pub index: usize,
    /// The start the path begins at.
    pub start: Start,
    /// The moves, in order.
    pub moves: Vec<Move>,
    /// What broke in the state reached.
    pub violations: Vec<Violation>,
}

/// How much a search did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

impl Stats {
    /// Adds another search's counts to these (the deepest level is the
    /// larger of the two).
    pub fn add(&mut self, other: &Stats) {
        self.transitions += other.transitions;
        self.visited += other.visited;
        self.distinct += other.distinct;
        self.settled += other.settled;
        self.max_depth = self.max_depth.max(other.max_depth);
        self.starts += other.starts;
    }
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
    /// search stops: a start's fingerprints are all held until the start is
    /// done, and a start with a violation is searched again breadth first,
    /// holding a `Flow` clone per queued state, so this bounds memory (and
    /// time). `u64::MAX` for no bound.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Starts finished (in a parallel search, the first `done` starts are
    /// all finished; later ones may be too).
    pub done: usize,
    /// Whether this call ends a start (else it is a periodic one within it).
    pub start_finished: bool,
    /// States waiting in the current start's queue when a start with a
    /// violation is searched breadth first; 0 from the depth-first search,
    /// whose stack is never longer than the depth.
    pub queued: usize,
    /// The counts so far.
    pub stats: &'a Stats,
}

/// Which part of the starting configurations a search takes: shard `k` of
/// `n` (1-based) takes the starts whose 0-based position `i` in
/// [`starts`] has `i % n == k - 1`. The shards of one `n` partition the
/// starts, so `n` machines can each search one and [`merge`] their reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 1-based.
    pub k: usize,
    /// How many shards there are.
    pub n: usize,
}

impl Shard {
    /// The whole search, unsharded.
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// Whether the start at position `index` belongs to this shard.
    pub fn holds(self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("invalid shard {s:?}: expected K/N with 1 <= K <= N");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The hasher of fingerprints: rapidhash's quality variant, with its fixed
/// default seed (the same fingerprints on every run and machine, so shards
/// agree). Fast over the many small writes of derived `Hash`, and the
/// history sum needs hashes that behave as random ones.
type FingerprintHasher = rapidhash::quality::RapidHasher<'static>;
use std::hash::Hasher as _;

/// The hash of `value` by [`FingerprintHasher`]. States were hashed by
/// their `Debug` text before; formatting it was a third of the search.
fn hash_of(value: &impl std::hash::Hash) -> u64 {
    let mut hasher = FingerprintHasher::default_const();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A running history hash: the wrapping sum of the hashes of the trace's
/// events (an unordered set, see [`fingerprint`]). The trace only grows, so
/// a child state adds the hashes of the events appended since its parent
/// instead of hashing the whole trace again.
#[derive(Debug, Clone, Copy, Default)]
struct History {
    sum: u64,
    len: usize,
}

impl History {
    fn advance(mut self, flow: &Flow) -> History {
        let events = &flow.trace().events;
        for e in events.get(self.len..).unwrap_or(&[]) {
            self.sum = self.sum.wrapping_add(hash_of(e));
        }
        self.len = events.len();
        self
    }

    fn fingerprint(self, flow: &Flow) -> u64 {
        let mut hasher = FingerprintHasher::default_const();
        flow.hash_future_key(&mut hasher);
        hasher.finish() ^ self.sum.rotate_left(17)
    }
}

/// A hash of a state: everything that decides the machine's future, plus
/// the history as an unordered set of events. Two runs that differ only in
/// the order parallel responses arrived share a fingerprint; runs that saw
/// different content never do, so every invariant (which reads the history)
/// is checked on every distinct history.
pub fn fingerprint(flow: &Flow) -> u64 {
    History::default().advance(flow).fingerprint(flow)
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

/// What searching one start found.
struct StartReport {
    stats: Stats,
    counterexamples: Vec<Counterexample>,
    /// Whether `Limits::max_states` stopped it.
    stopped: bool,
}

/// A queued state: the flow, its history hash, its depth and where its path
/// is in the search's arena.
struct Queued {
    flow: Flow,
    history: History,
    depth: usize,
    node: u32,
}

/// The moves from the start to `node`: each arena entry is (parent, the
/// index of its move in [`moves`] of the parent's state), so the path is
/// found by replaying it from the root. Only counterexamples need it.
fn path(start: &Start, arena: &[(u32, u16)], node: u32) -> Vec<Move> {
    let mut indices = Vec::new();
    let mut at = node;
    while at != 0 {
        let Some(&(parent, index)) = arena.get(at as usize) else { break };
        indices.push(index);
        at = parent;
    }
    let mut flow = start.flow();
    settle_outbox(&mut flow);
    let mut out = Vec::new();
    for &i in indices.iter().rev() {
        let m = moves(&mut flow).swap_remove(usize::from(i));
        apply(&mut flow, &m);
        settle_outbox(&mut flow);
        out.push(m);
    }
    out
}

/// Searches one start, breadth first, holding every queued state whole:
/// what [`explore_start`] falls back to for a start with a violation, since
/// breadth-first order gives the shortest counterexamples directly. `tick`
/// is called every `limits.progress_every` visited states with the start's
/// counts and queue length; `None` when `cancel` said to give up.
fn breadth_first(
    index: usize,
    start: &Start,
    depth: usize,
    limits: Limits,
    cancel: &dyn Fn() -> bool,
    tick: &mut dyn FnMut(&Stats, usize),
) -> Option<StartReport> {
    let mut stats = Stats { starts: 1, ..Stats::default() };
    let mut counterexamples: Vec<Counterexample> = Vec::new();
    let mut seen = HashSet::new();
    let mut arena: Vec<(u32, u16)> = vec![(0, 0)];
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut root = start.flow();
    settle_outbox(&mut root);
    let history = History::default().advance(&root);
    seen.insert(history.fingerprint(&root));
    stats.distinct += 1;
    queue.push_back(Queued { flow: root, history, depth: 0, node: 0 });
    while let Some(Queued { mut flow, history, depth: level, node }) = queue.pop_front() {
        if cancel() {
            return None;
        }
        stats.visited += 1;
        if limits.progress_every > 0 && stats.visited % limits.progress_every == 0 {
            tick(&stats, queue.len());
        }
        stats.max_depth = stats.max_depth.max(level);
        let violations = invariants::check_all(flow.trace());
        if !violations.is_empty() {
            for v in &violations {
                if !counterexamples.iter().any(|c| c.violations.iter().any(|w| w.id == v.id)) {
                    counterexamples.push(Counterexample {
                        index,
                        start: start.clone(),
                        moves: path(start, &arena, node),
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
        if level >= depth {
            continue;
        }
        for (i, m) in moves(&mut flow).iter().enumerate() {
            let mut next = flow.clone();
            if !apply(&mut next, m) {
                continue;
            }
            settle_outbox(&mut next);
            stats.transitions += 1;
            let history = history.advance(&next);
            let fingerprint = history.fingerprint(&next);
            if !seen.contains(&fingerprint) && seen.len() as u64 >= limits.max_states {
                tick(&stats, queue.len());
                return Some(StartReport { stats, counterexamples, stopped: true });
            }
            if seen.insert(fingerprint) {
                stats.distinct += 1;
                // Beyond 2^32 states of one start (or 2^16 moves of one
                // state) the arena cannot say the path: a bound.
                let (Ok(child), Ok(i)) = (u32::try_from(arena.len()), u16::try_from(i)) else {
                    return Some(StartReport { stats, counterexamples, stopped: true });
                };
                arena.push((node, i));
                queue.push_back(Queued { flow: next, history, depth: level + 1, node: child });
            }
        }
    }
    Some(StartReport { stats, counterexamples, stopped: false })
}

/// Adds one start's report to a search's, in start order: a counterexample
/// is kept when no earlier one broke the same invariant.
fn absorb(report: &mut Report, start: StartReport, limit: u64) {
    report.stats.add(&start.stats);
    for c in start.counterexamples {
        let known = |v: &Violation| report.counterexamples.iter().any(|k| k.violations.iter().any(|w| w.id == v.id));
        if !c.violations.iter().all(known) {
            report.counterexamples.push(c);
        }
    }
    if start.stopped {
        report.stopped = Some(Stopped::MaxStates { limit, start: report.stats.starts });
    }
}

/// [`explore`] within `limits`: stops (with [`Report::stopped`] set) once
/// the distinct states reach the bound, and reports progress within a start
/// too, so a long search is never silent. The caller decides what to print
/// and when (the model has no clock). One thread, in start order; see
/// [`explore_parallel`] for every core.
pub fn explore_bounded(starts: &[Start], depth: usize, limits: Limits, mut progress: impl FnMut(Progress)) -> Report {
    let mut report = Report { stats: Stats::default(), counterexamples: Vec::new(), stopped: None };
    for (n, start) in starts.iter().enumerate() {
        let before = report.stats.clone();
        let mut tick = |local: &Stats, queued: usize| {
            let mut stats = before.clone();
            stats.add(local);
            progress(Progress { done: n, start_finished: false, queued, stats: &stats });
        };
        let Some(one) = depth_first::explore_start(n, start, depth, limits, &|| false, &mut tick) else { break };
        let stopped = one.stopped;
        absorb(&mut report, one, limits.max_states);
        if stopped {
            break;
        }
        progress(Progress { done: n + 1, start_finished: true, queued: 0, stats: &report.stats });
    }
    report.stats.starts = starts.len();
    report
}

/// [`explore_bounded`] over the starts of `shard`, on every thread of the
/// current rayon pool (`RAYON_NUM_THREADS`, or a pool's `install`): each
/// start is searched on its own and the results are added up in start
/// order, so the report (counts, counterexamples, where a bound stopped
/// it) is the one a sequential search of the shard's starts gives.
/// Counterexamples name their start's position in `starts`. `progress` is
/// called from the worker threads, one at a time.
pub fn explore_parallel(
    starts: &[Start],
    depth: usize,
    limits: Limits,
    shard: Shard,
    progress: impl FnMut(Progress) + Send,
) -> Report {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let chosen: Vec<(usize, &Start)> = starts.iter().enumerate().filter(|(i, _)| shard.holds(*i)).collect();
    // The position (in `chosen`) of the earliest start a bound stopped:
    // later ones are not needed.
    let stop_at = AtomicUsize::new(usize::MAX);
    struct Shared<F> {
        progress: F,
        totals: Stats,
        finished: Vec<bool>,
        done: usize,
    }
    let shared =
        Mutex::new(Shared { progress, totals: Stats::default(), finished: vec![false; chosen.len()], done: 0 });
    let results: Vec<Option<StartReport>> = chosen
        .par_iter()
        .enumerate()
        .map(|(pos, &(index, start))| {
            if stop_at.load(Ordering::Relaxed) < pos {
                return None;
            }
            let cancel = || stop_at.load(Ordering::Relaxed) < pos;
            let tick = |local: &Stats, queued: usize| {
                let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
                let s = &mut *guard;
                let mut stats = s.totals.clone();
                stats.add(local);
                (s.progress)(Progress { done: s.done, start_finished: false, queued, stats: &stats });
            };
            let one = depth_first::explore_start_parallel(index, start, depth, limits, &cancel, &tick)?;
            if one.stopped {
                stop_at.fetch_min(pos, Ordering::Relaxed);
            } else {
                let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
                let s = &mut *guard;
                s.totals.add(&one.stats);
                if let Some(f) = s.finished.get_mut(pos) {
                    *f = true;
                }
                while s.finished.get(s.done) == Some(&true) {
                    s.done += 1;
                }
                (s.progress)(Progress { done: s.done, start_finished: true, queued: 0, stats: &s.totals });
            }
            Some(one)
        })
        .collect();
    let mut report = Report { stats: Stats::default(), counterexamples: Vec::new(), stopped: None };
    for one in results {
        let Some(one) = one else { break };
        let stopped = one.stopped;
        absorb(&mut report, one, limits.max_states);
        if stopped {
            break;
        }
    }
    report.stats.starts = chosen.len();
    report
}

/// Merges the reports of the shards of one search (each from
/// [`explore_parallel`] with its own [`Shard`] of the same `n`): counts
/// added, and per invariant the counterexample of the earliest start, as
/// the unsharded search reports it. A bound that stopped any shard stops
/// the merged report.
pub fn merge(reports: Vec<Report>) -> Report {
    let mut out = Report { stats: Stats::default(), counterexamples: Vec::new(), stopped: None };
    let mut all: Vec<Counterexample> = Vec::new();
    for r in reports {
        out.stats.add(&r.stats);
        all.extend(r.counterexamples);
        out.stopped = out.stopped.or(r.stopped);
    }
    // Stable: within a start, the order the search found them in.
    all.sort_by_key(|c| c.index);
    for c in all {
        let known = |v: &Violation| out.counterexamples.iter().any(|k| k.violations.iter().any(|w| w.id == v.id));
        if !c.violations.iter().all(known) {
            out.counterexamples.push(c);
        }
    }
    out
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

    /// Per counterexample: its start, the invariants it breaks and its length.
    type Found = Vec<(usize, Vec<&'static str>, usize)>;

    /// What a search decided, to compare two searches by.
    fn summary(r: &Report) -> (Stats, Option<Stopped>, Found) {
        let cx =
            r.counterexamples.iter().map(|c| (c.index, c.violations.iter().map(|v| v.id).collect(), c.moves.len()));
        (r.stats.clone(), r.stopped, cx.collect())
    }

    #[test]
    fn parallel_and_sharded_searches_report_what_the_sequential_one_does() {
        let starts = starts(&[Profile::Spec, Profile::Firefox]);
        let sequential = explore(&starts, 3, |_, _| {});
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let parallel = two.install(|| explore_parallel(&starts, 3, Limits::UNBOUNDED, Shard::ALL, |_| {}));
        assert_eq!(summary(&parallel), summary(&sequential));
        let shards: Vec<Report> = (1..=3)
            .map(|k| two.install(|| explore_parallel(&starts, 3, Limits::UNBOUNDED, Shard { k, n: 3 }, |_| {})))
            .collect();
        assert_eq!(shards.iter().map(|r| r.stats.starts).sum::<usize>(), starts.len());
        assert_eq!(summary(&merge(shards)), summary(&sequential));
        // A bound stops both at the same place with the same counts.
        let limits = Limits { max_states: 200, progress_every: 0 };
        let bounded = explore_bounded(&starts, 40, limits, |_| {});
        let parallel = two.install(|| explore_parallel(&starts, 40, limits, Shard::ALL, |_| {}));
        assert!(bounded.stopped.is_some());
        assert_eq!(summary(&parallel), summary(&bounded));
    }

    /// The depth-first search reaches the breadth-first one's states, with
    /// its counts, start by start (the pinned counts below check the sum).
    #[test]
    fn depth_first_and_breadth_first_searches_count_the_same() {
        let starts = starts(&Profile::ALL);
        for (i, start) in starts.iter().enumerate().step_by(29) {
            let deep = depth_first::explore_start(i, start, 5, Limits::UNBOUNDED, &|| false, &mut |_, _| {});
            let broad = breadth_first(i, start, 5, Limits::UNBOUNDED, &|| false, &mut |_, _| {});
            assert_eq!(deep.map(|r| r.stats), broad.map(|r| r.stats), "start {i}");
        }
    }

    #[test]
    fn shards_parse_and_partition_the_starts() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { k: 2, n: 3 }));
        for bad in ["0/2", "3/2", "1", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let n = 4;
        for i in 0..20 {
            assert_eq!((1..=n).filter(|&k| Shard { k, n }.holds(i)).count(), 1);
        }
    }

    /// The fingerprint hashes (`Hash`) tell states and events apart exactly
    /// where their `Debug` texts (the text key) do: over every state within
    /// three moves of a spread of starts, equal texts hash alike and
    /// different texts do not.
    #[test]
    fn hashes_and_texts_tell_the_same_states_apart() {
        use std::collections::HashMap;
        let mut keys: HashMap<String, u64> = HashMap::new();
        let mut events: HashMap<String, u64> = HashMap::new();
        for start in starts(&Profile::ALL).iter().step_by(7) {
            let mut root = start.flow();
            settle_outbox(&mut root);
            let mut level = vec![root];
            for _ in 0..3 {
                let mut next = Vec::new();
                for mut flow in level {
                    for m in moves(&mut flow) {
                        let mut child = flow.clone();
                        if apply(&mut child, &m) {
                            settle_outbox(&mut child);
                            next.push(child);
                        }
                    }
                    let mut hasher = FingerprintHasher::default_const();
                    flow.hash_future_key(&mut hasher);
                    assert_eq!(*keys.entry(flow.future_key()).or_insert(hasher.finish()), hasher.finish());
                    for e in &flow.trace().events {
                        assert_eq!(*events.entry(format!("{e:?}")).or_insert(hash_of(e)), hash_of(e));
                    }
                }
                level = next;
            }
        }
        let distinct = |m: &HashMap<String, u64>| m.values().collect::<std::collections::HashSet<_>>().len();
        assert!(keys.len() > 1000 && events.len() > 200, "{} keys, {} events", keys.len(), events.len());
        assert_eq!(distinct(&keys), keys.len(), "two different keys hash alike");
        assert_eq!(distinct(&events), events.len(), "two different events hash alike");
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
