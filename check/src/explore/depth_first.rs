//! The search of one start, depth first: a stack of `depth` states instead
//! of a queue of every state of a level, and per state seen only its
//! fingerprint and the most moves any path reached it with to spare.
//!
//! A state is expanded again when a later path reaches it with more moves
//! to spare, so the states reached are those within `depth` moves of the
//! start, the same set breadth-first order reaches, and every count of
//! [`Stats`] is the breadth-first one:
//!
//! - `distinct` and `visited`: states seen, each checked once, when first
//!   reached;
//! - `transitions`: the moves applied the first time a state is expanded
//!   (a second expansion only looks deeper);
//! - `settled`: states seen with an outcome;
//! - `max_depth`: the longest of the shortest paths to the states seen,
//!   `depth` less the fewest moves to spare of any state.
//!
//! None of these depends on the order states are reached in, so the
//! parallel search (the first [`SPLIT`] levels handed out as rayon tasks
//! over one shared table) gives the sequential counts. The exceptions are
//! cut short on purpose: a violation (the start is searched again breadth
//! first, for the shortest counterexample) and `Limits::max_states` (which
//! states are in when the bound is reached depends on the order, so the
//! parallel search hands a bounded start to the sequential one).

use super::{answers, breadth_first, open_state, History, Limits, Start, StartReport, Stats};
use crate::drive::settle_outbox;
use crate::invariants;
use fedcm_model::machine::fetch::{FetchKind, FetchResult, RequestId};
use fedcm_model::machine::prompt::UserAction;
use fedcm_model::machine::{Flow, Step, TimerId};
use std::collections::hash_map::{Entry, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Levels of a start whose states are handed out as rayon tasks in a
/// parallel search; deeper ones are searched on the task's own stack.
/// Three levels give a few hundred tasks per large start, enough for idle
/// threads to steal without a task per state.
const SPLIT: u32 = 3;

/// Locks of the shared table: threads seldom wait on one another.
const SHARDS: usize = 64;

/// A move resolved against one state: what [`super::apply`] does for a
/// [`super::Move`], without looking up the request and response again.
enum Choice {
    Respond(RequestId, FetchResult),
    User(UserAction),
    Timer(TimerId),
    Abort,
}

fn apply_choice(flow: &mut Flow, choice: Choice) -> bool {
    match choice {
        Choice::Respond(id, result) => {
            flow.on_response(id, result);
            true
        }
        Choice::User(action) => flow.on_user(action).is_ok(),
        Choice::Timer(id) => {
            flow.on_timer(id);
            true
        }
        Choice::Abort => {
            flow.abort();
            true
        }
    }
}

/// The responses of [`super::responses`] per kind and URL, built once per
/// thread: building them is serializing JSON documents, and every state
/// waiting for a fetch asks for them.
type ResponseCache = Vec<(FetchKind, String, Vec<FetchResult>)>;

thread_local! {
    static RESPONSES: std::cell::Cell<ResponseCache> = const { std::cell::Cell::new(Vec::new()) };
}

/// [`super::moves`] as [`Choice`]s, in the same order: one per pending
/// request and response (a request that matches an earlier one by kind,
/// provider and URL is answered as the earlier one, as `apply` finds it),
/// each answer to the prompt, the timer, the abort.
fn choices(flow: &mut Flow) -> Vec<Choice> {
    let mut out = Vec::new();
    let Some((step, pending)) = open_state(flow) else { return out };
    let mut cache = RESPONSES.take();
    for r in &pending {
        let Some(target) = pending.iter().find(|p| p.kind == r.kind && p.provider == r.provider && p.url == r.url)
        else {
            continue;
        };
        let at = match cache.iter().position(|(k, u, _)| *k == r.kind && u == r.url.as_str()) {
            Some(at) => at,
            None => {
                let results = super::responses(r.kind, &r.url).into_iter().map(|(_, result)| result).collect();
                cache.push((r.kind, r.url.to_string(), results));
                cache.len() - 1
            }
        };
        for result in cache.get(at).map(|(_, _, results)| results.as_slice()).unwrap_or_default() {
            out.push(Choice::Respond(target.id, result.clone()));
        }
    }
    RESPONSES.set(cache);
    match step {
        Step::Ask(prompt) => out.extend(answers(&prompt).into_iter().map(Choice::User)),
        Step::Wait(t) => out.push(Choice::Timer(t.id)),
        _ => {}
    }
    out.push(Choice::Abort);
    // Taken from the end.
    out.reverse();
    out
}

/// The fingerprints are hashes already: the table uses them as they are.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Fingerprint -> the most moves to spare any path reached the state with:
/// 16 bytes a state.
type Table = HashMap<u64, u32, BuildHasherDefault<Identity>>;

/// What reaching a state with some moves to spare means for the search.
enum Reach {
    /// Never seen: check it, and expand it if moves are left.
    New,
    /// Seen with fewer moves to spare: expand it again; `first` when it was
    /// never expanded (it was seen only with none to spare).
    Deeper { first: bool },
    /// Seen with as many moves to spare or more: nothing new below it.
    Known,
    /// Never seen, and the table holds `Limits::max_states` states.
    Full,
}

/// One state on a stack: its moves not yet taken.
struct Frame {
    flow: Flow,
    history: History,
    /// Moves to spare: more than 0 on a stack.
    spare: u32,
    /// Whether this is the state's first expansion, whose moves count as
    /// transitions.
    first: bool,
    choices: Vec<Choice>,
}

/// One start's search, shared by the threads searching it.
struct Search<'a> {
    table: Vec<Mutex<Table>>,
    states: AtomicU64,
    limit: u64,
    depth: u32,
    transitions: AtomicU64,
    settled: AtomicU64,
    /// Set when a violation was found.
    violated: AtomicBool,
    /// Set when `limit` states were seen and another was reached.
    full: AtomicBool,
    progress_every: u64,
    cancel: &'a (dyn Fn() -> bool + Sync),
}

impl<'a> Search<'a> {
    fn new(depth: usize, limits: Limits, cancel: &'a (dyn Fn() -> bool + Sync)) -> Search<'a> {
        Search {
            table: (0..SHARDS).map(|_| Mutex::new(Table::default())).collect(),
            states: AtomicU64::new(0),
            limit: limits.max_states,
            // Deeper than any search that ends before its state bound.
            depth: u32::try_from(depth).unwrap_or(u32::MAX),
            transitions: AtomicU64::new(0),
            settled: AtomicU64::new(0),
            violated: AtomicBool::new(false),
            full: AtomicBool::new(false),
            progress_every: limits.progress_every,
            cancel,
        }
    }

    fn stop(&self) -> bool {
        self.violated.load(Ordering::Relaxed) || self.full.load(Ordering::Relaxed) || (self.cancel)()
    }

    fn reach(&self, fingerprint: u64, spare: u32, root: bool) -> Reach {
        let shard = (fingerprint >> 40) as usize % SHARDS;
        let Some(lock) = self.table.get(shard) else { return Reach::Known };
        let mut table = lock.lock().unwrap_or_else(|e| e.into_inner());
        match table.entry(fingerprint) {
            Entry::Occupied(mut e) if spare > *e.get() => {
                let first = *e.get() == 0;
                e.insert(spare);
                Reach::Deeper { first }
            }
            Entry::Occupied(_) => Reach::Known,
            Entry::Vacant(e) => {
                // The start itself is always searched, as breadth first.
                if self.states.fetch_add(1, Ordering::Relaxed) >= self.limit && !root {
                    self.states.fetch_sub(1, Ordering::Relaxed);
                    return Reach::Full;
                }
                e.insert(spare);
                Reach::New
            }
        }
    }

    fn stats(&self) -> Stats {
        let distinct = self.states.load(Ordering::Relaxed);
        let fewest = self
            .table
            .iter()
            .filter_map(|t| t.lock().unwrap_or_else(|e| e.into_inner()).values().copied().min())
            .min()
            .unwrap_or(self.depth);
        Stats {
            transitions: self.transitions.load(Ordering::Relaxed),
            visited: distinct,
            distinct,
            settled: self.settled.load(Ordering::Relaxed),
            max_depth: self.depth.saturating_sub(fewest) as usize,
            starts: 1,
        }
    }

    /// A state reached with `spare` moves to spare: checked when new, and
    /// returned as a frame to push when it is to be expanded.
    fn arrive(
        &self,
        mut flow: Flow,
        history: History,
        spare: u32,
        root: bool,
        tick: &mut dyn FnMut(&Stats, usize),
    ) -> Option<Frame> {
        let first = match self.reach(history.fingerprint(&flow), spare, root) {
            Reach::Full => {
                self.full.store(true, Ordering::Relaxed);
                return None;
            }
            Reach::Known => return None,
            Reach::New => {
                let seen = self.states.load(Ordering::Relaxed);
                if self.progress_every > 0 && seen % self.progress_every == 0 {
                    tick(&self.stats_so_far(), 0);
                }
                if !invariants::check_all(flow.trace()).is_empty() {
                    self.violated.store(true, Ordering::Relaxed);
                    return None;
                }
                if flow.outcome().is_some() {
                    self.settled.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                true
            }
            Reach::Deeper { first } => {
                if flow.outcome().is_some() {
                    return None;
                }
                first
            }
        };
        if spare == 0 {
            return None;
        }
        let choices = choices(&mut flow);
        Some(Frame { flow, history, spare, first, choices })
    }

    /// The counts for a progress line: without the deepest level, which
    /// needs the whole table.
    fn stats_so_far(&self) -> Stats {
        let distinct = self.states.load(Ordering::Relaxed);
        Stats {
            transitions: self.transitions.load(Ordering::Relaxed),
            visited: distinct,
            distinct,
            settled: self.settled.load(Ordering::Relaxed),
            max_depth: 0,
            starts: 1,
        }
    }

    /// The next child of the frame on top of `stack`: the frame's flow is
    /// moved into its last child rather than cloned. `None` when the stack
    /// is empty; `Some(None)` when the move did not apply.
    fn child(&self, stack: &mut Vec<Frame>) -> Option<Option<(Flow, History, u32)>> {
        let top = stack.last_mut()?;
        let Some(choice) = top.choices.pop() else {
            stack.pop();
            return Some(None);
        };
        let (mut flow, history, spare, first) = if top.choices.is_empty() {
            let f = stack.pop()?;
            (f.flow, f.history, f.spare, f.first)
        } else {
            (top.flow.clone(), top.history, top.spare, top.first)
        };
        if !apply_choice(&mut flow, choice) {
            return Some(None);
        }
        settle_outbox(&mut flow);
        if first {
            self.transitions.fetch_add(1, Ordering::Relaxed);
        }
        let history = history.advance(&flow);
        Some(Some((flow, history, spare.saturating_sub(1))))
    }

    /// Searches below the frames of `stack`, on this thread.
    fn run(&self, stack: &mut Vec<Frame>, tick: &mut dyn FnMut(&Stats, usize)) {
        while !self.stop() {
            let Some(next) = self.child(stack) else { return };
            let Some((flow, history, spare)) = next else { continue };
            if let Some(frame) = self.arrive(flow, history, spare, false, tick) {
                stack.push(frame);
            }
        }
    }

    /// Searches below `frame`, handing out its children as rayon tasks
    /// while it is within [`SPLIT`] levels of the start.
    fn fork<'s>(&'s self, scope: &rayon::Scope<'s>, frame: Frame, tick: &'s (dyn Fn(&Stats, usize) + Sync)) {
        let mut local = |s: &Stats, q: usize| tick(s, q);
        if self.depth.saturating_sub(frame.spare) >= SPLIT {
            self.run(&mut vec![frame], &mut local);
            return;
        }
        let mut stack = vec![frame];
        while !self.stop() {
            let Some(next) = self.child(&mut stack) else { return };
            let Some((flow, history, spare)) = next else { continue };
            if let Some(child) = self.arrive(flow, history, spare, false, &mut local) {
                scope.spawn(move |s| self.fork(s, child, tick));
            }
        }
    }
}

/// Searches one start, depth first, on this thread. A start with a
/// violation is searched again breadth first, with the limits, for its
/// shortest counterexamples (and the counts of that search). `None` when
/// `cancel` said to give up.
pub(super) fn explore_start(
    index: usize,
    start: &Start,
    depth: usize,
    limits: Limits,
    cancel: &(dyn Fn() -> bool + Sync),
    tick: &mut dyn FnMut(&Stats, usize),
) -> Option<StartReport> {
    let search = Search::new(depth, limits, cancel);
    let mut root = start.flow();
    settle_outbox(&mut root);
    let history = History::default().advance(&root);
    if let Some(frame) = search.arrive(root, history, search.depth, true, tick) {
        search.run(&mut vec![frame], tick);
    }
    if cancel() {
        return None;
    }
    if search.violated.load(Ordering::Relaxed) {
        return breadth_first(index, start, depth, limits, cancel, tick);
    }
    Some(StartReport {
        stats: search.stats(),
        counterexamples: Vec::new(),
        stopped: search.full.load(Ordering::Relaxed),
    })
}

/// [`explore_start`] on every thread of the current rayon pool, with the
/// same report: a search that found a violation or reached the state
/// bound is done again by [`explore_start`], so that what it reports does
/// not depend on timing.
pub(super) fn explore_start_parallel(
    index: usize,
    start: &Start,
    depth: usize,
    limits: Limits,
    cancel: &(dyn Fn() -> bool + Sync),
    tick: &(dyn Fn(&Stats, usize) + Sync),
) -> Option<StartReport> {
    let search = Search::new(depth, limits, cancel);
    let mut root = start.flow();
    settle_outbox(&mut root);
    let history = History::default().advance(&root);
    let mut local = |s: &Stats, q: usize| tick(s, q);
    if let Some(frame) = search.arrive(root, history, search.depth, true, &mut local) {
        rayon::scope(|s| search.fork(s, frame, tick));
    }
    if cancel() {
        return None;
    }
    if search.violated.load(Ordering::Relaxed) || search.full.load(Ordering::Relaxed) {
        return explore_start(index, start, depth, limits, cancel, &mut local);
    }
    Some(StartReport { stats: search.stats(), counterexamples: Vec::new(), stopped: false })
}
