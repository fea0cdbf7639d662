//! Bounded exploration of two calls of one page: a first `get()` starts,
//! and at any point of its run a second call (a passive or active `get()`,
//! with or without activation, or a `disconnect()`) starts beside it. Every
//! interleaving of the two calls' events (each pending fetch answered, each
//! answer the person can give, the timers, an abort) is explored breadth
//! first up to a depth, and every trace invariant of each call and every
//! session invariant is checked in every state reached.
//!
//! The documents are the explorer's valid ones only ([`explore::responses`]'
//! first variant): the single-call explorer already varies them, and the
//! question here is the order of two calls.

use crate::explore::{self, answers, IDPS};
use crate::fixtures::{self, RP};
use crate::invariants::{self, Violation};
use fedcm_model::machine::browser::{BrowserState, Connection, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, Pending};
use fedcm_model::machine::prompt::UserAction;
use fedcm_model::machine::session::{Call, CallId, CallStep, Session};
use fedcm_model::Profile;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};

/// The second call of a start.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "call", rename_all = "kebab-case")]
pub enum Second {
    /// `get()` in this mode, with or without transient activation.
    Get {
        /// `passive` or `active`.
        mode: &'static str,
        /// Whether the call follows a gesture.
        activation: bool,
    },
    /// `disconnect()` of the connected account.
    Disconnect,
    /// `getUserInfo()` from the first IdP's iframe in the page.
    UserInfo,
}

/// One starting configuration.
#[derive(Debug, Clone, Serialize)]
pub struct PairStart {
    /// The profile both calls follow.
    pub profile: Profile,
    /// The first call's mode (`passive` or `active`, with activation).
    pub first_mode: &'static str,
    /// The call that starts second.
    pub second: Second,
    /// Whether account 1 of the first IdP is connected to the RP.
    pub connected: bool,
}

fn get_options(mode: &str) -> Value {
    json!({"mediation": "optional", "identity": {"mode": mode,
        "providers": [{"configURL": format!("{}/config.json", IDPS[0]), "clientId": "c"}]}})
}

impl PairStart {
    /// The session with the first call made.
    pub fn session(&self) -> Session {
        let mut browser = BrowserState { transient_activation: true, ..BrowserState::default() };
        browser.set_login_status(IDPS[0], LoginStatus::LoggedIn);
        if self.connected {
            let c = Connection { embedder: RP.into(), rp: RP.into(), idp: IDPS[0].into(), account: "1".into() };
            browser.connect(c);
        }
        let mut session = Session::new(fixtures::rp(), browser, self.profile);
        session.get(&get_options(self.first_mode), true);
        session
    }

    fn start_second(&self, session: &mut Session) {
        match &self.second {
            Second::Get { mode, activation } => {
                session.get(&get_options(mode), *activation);
            }
            Second::Disconnect => {
                let options =
                    json!({"configURL": format!("{}/config.json", IDPS[0]), "clientId": "c", "accountHint": "1"});
                session.disconnect(&options);
            }
            Second::UserInfo => {
                let options = json!({"configURL": format!("{}/config.json", IDPS[0]), "clientId": "c"});
                if let Ok(caller) = url::Url::parse(IDPS[0]) {
                    session.user_info(&options, caller, true, true);
                }
            }
        }
    }
}

/// Every start for `profiles`: two first modes, five second calls, with
/// and without a connection.
pub fn starts(profiles: &[Profile]) -> Vec<PairStart> {
    let seconds = [
        Second::Get { mode: "passive", activation: true },
        Second::Get { mode: "active", activation: true },
        Second::Get { mode: "active", activation: false },
        Second::Disconnect,
        Second::UserInfo,
    ];
    let mut out = Vec::new();
    for &profile in profiles {
        for first_mode in ["passive", "active"] {
            for second in &seconds {
                for connected in [false, true] {
                    out.push(PairStart { profile, first_mode, second: second.clone(), connected });
                }
            }
        }
    }
    out
}

/// One event of the two-call alphabet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum PairMove {
    /// The second call starts.
    StartSecond,
    /// Answer call `call`'s pending fetch of this kind and URL.
    Respond {
        /// The call (0 or 1).
        call: usize,
        /// The request's kind.
        kind: FetchKind,
        /// The request's URL.
        url: String,
    },
    /// The person answers call `call`'s prompt.
    User {
        /// The call.
        call: usize,
        /// The answer.
        action: UserAction,
    },
    /// Call `call`'s timer fires.
    Timer {
        /// The call.
        call: usize,
    },
    /// Call `call`'s `AbortSignal` fires.
    Abort {
        /// The call.
        call: usize,
    },
}

/// A state: the session, and whether the second call has started.
#[derive(Debug, Clone)]
struct Node {
    session: Session,
    second: bool,
}

/// Hands out every queued request of every call; returns each call's step.
fn settle(session: &mut Session) -> Vec<(CallId, CallStep)> {
    let ids: Vec<CallId> = session.calls().map(|(id, _)| id).collect();
    ids.into_iter()
        .map(|id| loop {
            match session.next_step(id) {
                CallStep::Fetch(_) => continue,
                step => break (id, step),
            }
        })
        .collect()
}

fn pending(session: &Session, id: CallId) -> Vec<FetchRequest> {
    let ids: HashSet<_> = match session.call(id) {
        Some(Call::Get(f)) => f.pending_requests().map(|p: &Pending| p.id).collect(),
        Some(Call::Disconnect(f)) => f.pending_requests().map(|p: &Pending| p.id).collect(),
        Some(Call::UserInfo(f)) => f.pending_requests().map(|p: &Pending| p.id).collect(),
        _ => HashSet::new(),
    };
    let Some(call) = session.call(id) else { return Vec::new() };
    call.trace().requests().filter(|r| ids.contains(&r.id)).cloned().collect()
}

fn moves(node: &mut Node) -> Vec<PairMove> {
    let mut out = Vec::new();
    if !node.second {
        out.push(PairMove::StartSecond);
    }
    for (id, step) in settle(&mut node.session) {
        if step == CallStep::Done {
            continue;
        }
        let call = id.0;
        for r in pending(&node.session, id) {
            out.push(PairMove::Respond { call, kind: r.kind, url: r.url.to_string() });
        }
        match step {
            CallStep::Ask(prompt) => {
                out.extend(answers(&prompt).into_iter().map(|action| PairMove::User { call, action }))
            }
            CallStep::Wait(_) => out.push(PairMove::Timer { call }),
            _ => {}
        }
        if matches!(node.session.call(id), Some(Call::Get(_))) {
            out.push(PairMove::Abort { call });
        }
    }
    out
}

fn apply(start: &PairStart, node: &mut Node, m: &PairMove) -> bool {
    let steps = settle(&mut node.session);
    match m {
        PairMove::StartSecond => {
            start.start_second(&mut node.session);
            node.second = true;
            true
        }
        PairMove::Respond { call, kind, url } => {
            let id = CallId(*call);
            let Some(r) = pending(&node.session, id).into_iter().find(|r| r.kind == *kind && r.url.as_str() == url)
            else {
                return false;
            };
            let Some((_, result)) = explore::responses(r.kind, &r.url).into_iter().next() else { return false };
            node.session.on_response(id, r.id, result);
            true
        }
        PairMove::User { call, action } => node.session.on_user(CallId(*call), action.clone()).is_ok(),
        PairMove::Timer { call } => match steps.iter().find(|(id, _)| id.0 == *call) {
            Some((id, CallStep::Wait(t))) => {
                node.session.on_timer(*id, t.id);
                true
            }
            _ => false,
        },
        PairMove::Abort { call } => {
            node.session.abort(CallId(*call));
            true
        }
    }
}

fn fingerprint(node: &Node) -> u64 {
    use std::hash::{Hash, Hasher};
    let hash = |text: &str| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        h.finish()
    };
    let mut history = 0u64;
    for (_, call) in node.session.calls() {
        history = history.rotate_left(7)
            ^ call.trace().events.iter().fold(0u64, |acc, e| acc.wrapping_add(hash(&format!("{e:?}"))));
    }
    let log = hash(&format!("{:?}", node.session.log()));
    hash(&node.session.future_key()) ^ history.rotate_left(17) ^ log.rotate_left(31) ^ u64::from(node.second)
}

/// Every violation in a state: each call's trace, and the session's log.
fn violations(session: &Session) -> Vec<Violation> {
    let mut v: Vec<Violation> = session.calls().flat_map(|(_, c)| invariants::check_all(c.trace())).collect();
    v.extend(invariants::check_session(session.log()));
    v
}

/// A path from a start to a state that breaks an invariant.
#[derive(Debug, Clone, Serialize)]
pub struct PairCounterexample {
    /// Where it began.
    pub start: PairStart,
    /// The events, in order.
    pub moves: Vec<PairMove>,
    /// What broke.
    pub violations: Vec<Violation>,
}

/// What an exploration of pairs saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PairStats {
    /// Starts explored.
    pub starts: usize,
    /// Distinct states.
    pub distinct: u64,
    /// Transitions taken.
    pub transitions: u64,
    /// States where both calls had settled.
    pub settled: u64,
}

/// The exploration's result.
#[derive(Debug, Clone, Serialize)]
pub struct PairReport {
    /// Counts.
    pub stats: PairStats,
    /// The first path to each invariant broken.
    pub counterexamples: Vec<PairCounterexample>,
}

/// Explores every start to `depth` events.
pub fn explore(starts: &[PairStart], depth: usize) -> PairReport {
    let mut stats = PairStats { starts: starts.len(), ..PairStats::default() };
    let mut counterexamples: Vec<PairCounterexample> = Vec::new();
    for start in starts {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<(Node, Vec<PairMove>)> = VecDeque::new();
        let mut root = Node { session: start.session(), second: false };
        settle(&mut root.session);
        seen.insert(fingerprint(&root));
        stats.distinct += 1;
        queue.push_back((root, Vec::new()));
        while let Some((mut node, path)) = queue.pop_front() {
            let broken = violations(&node.session);
            if !broken.is_empty() {
                for v in broken {
                    if !counterexamples.iter().any(|c| c.violations.iter().any(|w| w.id == v.id)) {
                        counterexamples.push(PairCounterexample {
                            start: start.clone(),
                            moves: path.clone(),
                            violations: vec![v],
                        });
                    }
                }
                continue;
            }
            if node.second && node.session.calls().all(|(_, c)| c.settled().is_some()) {
                stats.settled += 1;
                continue;
            }
            if path.len() >= depth {
                continue;
            }
            for m in moves(&mut node) {
                let mut next = node.clone();
                if !apply(start, &mut next, &m) {
                    continue;
                }
                settle(&mut next.session);
                stats.transitions += 1;
                if seen.insert(fingerprint(&next)) {
                    stats.distinct += 1;
                    let mut p = path.clone();
                    p.push(m);
                    queue.push_back((next, p));
                }
            }
        }
    }
    PairReport { stats, counterexamples }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two calls of every profile, to depth 12: every invariant holds in
    /// every interleaving, and the counts are pinned (a change to them is a
    /// change of behaviour or of the alphabet, to be explained).
    #[test]
    fn every_interleaving_of_two_calls_keeps_every_invariant() {
        let report = explore(&starts(&Profile::ALL), DEPTH);
        let found: Vec<String> = report.counterexamples.iter().map(|c| format!("{c:?}")).collect();
        assert!(found.is_empty(), "{}", found.join("\n"));
        let s = &report.stats;
        println!(
            "pairs depth {DEPTH}: {} starts, {} distinct, {} transitions, {} settled",
            s.starts, s.distinct, s.transitions, s.settled
        );
        assert_eq!((s.starts, s.distinct, s.transitions, s.settled), (100, 32_732, 36_348, 14_737));
    }

    const DEPTH: usize = 12;
}
