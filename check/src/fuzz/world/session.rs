//! Sessions in a world: besides the world's own `get()`, up to
//! [`MAX_EXTRA`] more calls and signals of the same page, each made at a
//! point of the script (a second `get()` in either mode, with or without
//! activation; `disconnect()`; `preventSilentAccess()`; a login-status
//! signal; an abort of one call). The script's moves then address the
//! calls in turn. Every call must settle, once; the `invariants` target
//! also checks every call's trace and the session's log.

use super::run::Server;
use super::*;
use fedcm_model::machine::login_signal::{LoginSignal, Via};
use fedcm_model::machine::session::{Call, CallId, CallStep, Session};
use std::sync::Arc;

/// At most this many extra calls and signals in a session.
pub const MAX_EXTRA: usize = 4;

/// One extra call or signal, made before script move `at`.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extra {
    /// The script move it comes before (past the script: when settling begins).
    pub at: u8,
    /// What happens.
    pub call: ExtraCall,
}

/// What an [`Extra`] does.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExtraCall {
    /// Another `get()` of the world's options, in active mode when `active`.
    Get {
        /// Active mode.
        active: bool,
        /// With transient activation.
        activation: bool,
    },
    /// `disconnect()` of an account of an IdP.
    Disconnect {
        /// The IdP (modulo 3).
        idp: u8,
        /// The account (modulo the ids).
        account: u8,
    },
    /// `navigator.credentials.preventSilentAccess()`.
    PreventSilentAccess,
    /// The IdP sets its login status.
    LoginStatus {
        /// The IdP (modulo 3).
        idp: u8,
        /// Logged in, else logged out.
        logged_in: bool,
    },
    /// The `AbortSignal` of a call (modulo the calls made) fires.
    Abort(u8),
}

/// What a session run ended with.
pub struct SessionRun {
    /// The session, every call settled.
    pub session: Session,
    /// Moves taken.
    pub steps: usize,
}

/// How often a call's trace says it settled: the `Settled` event of a
/// `get()`, the final state of a `disconnect()`.
fn settled_count(call: &Call) -> usize {
    use fedcm_model::machine::state::State;
    use fedcm_model::trace::Event;
    call.trace()
        .events
        .iter()
        .filter(|e| match (call, e) {
            (Call::Disconnect(_), Event::Enter { state, .. }) => matches!(state, State::Resolved | State::Rejected),
            (Call::Disconnect(_), _) => false,
            (_, e) => matches!(e, Event::Settled { .. }),
        })
        .count()
}

/// Hands out every call's queued requests (into `pending`) and returns
/// each unsettled call's step.
fn poll(session: &mut Session, pending: &mut Vec<(CallId, Arc<FetchRequest>)>) -> Vec<(CallId, CallStep)> {
    let ids: Vec<CallId> = session.calls().map(|(id, _)| id).collect();
    let mut out = Vec::new();
    for id in ids {
        loop {
            match session.next_step(id) {
                CallStep::Fetch(r) => pending.push((id, r)),
                CallStep::Done => break,
                step => {
                    out.push((id, step));
                    break;
                }
            }
        }
    }
    out
}

fn make(session: &mut Session, options: &Value, extra: &ExtraCall) {
    match extra {
        ExtraCall::Get { active, activation } => {
            let mut options = options.clone();
            if let Some(identity) = options.get_mut("identity").and_then(Value::as_object_mut) {
                let mode = if *active { "active" } else { "passive" };
                identity.insert("mode".into(), Value::from(mode));
            }
            session.get(&options, *activation);
        }
        ExtraCall::Disconnect { idp, account } => {
            let idp = IDPS[usize::from(*idp) % IDPS.len()];
            let account = ACCOUNT_IDS[usize::from(*account) % ACCOUNT_IDS.len()];
            let options = json!({"configURL": format!("{idp}/config.json"), "clientId": "c", "accountHint": account});
            session.disconnect(&options);
        }
        ExtraCall::PreventSilentAccess => session.prevent_silent_access(),
        ExtraCall::LoginStatus { idp, logged_in } => {
            let idp = IDPS[usize::from(*idp) % IDPS.len()];
            let status = if *logged_in { LoginStatus::LoggedIn } else { LoginStatus::LoggedOut };
            if let Ok(origin) = Url::parse(idp) {
                // The IdP's own top-level page: always in scope.
                session.login_signal(&LoginSignal { origin, ancestors: Vec::new(), via: Via::Script { status } });
            }
        }
        ExtraCall::Abort(n) => {
            let calls = session.calls().count().max(1);
            session.abort(CallId(usize::from(*n) % calls));
        }
    }
}

/// Drives the world as a session; panics if a call does not settle, or
/// settles twice.
pub fn run_session(world: &World) -> SessionRun {
    let profile = world.profile();
    let options = world.options.build(cached_options_templates());
    let browser = world.browser.build();
    let activation = browser.transient_activation;
    let rp = Rp::framed(Url::parse(RP).expect("valid"), Url::parse(world.browser.embedder()).expect("valid"));
    let mut session = Session::new(rp, browser, profile);
    session.get(&options, activation);
    let mut server = Server::new(world);
    let mut pending: Vec<(CallId, Arc<FetchRequest>)> = Vec::new();
    let script = &world.script[..world.script.len().min(MAX_SCRIPT)];
    let extras = &world.session[..world.session.len().min(MAX_EXTRA)];
    let mut steps = 0;
    let settle_moves = SETTLE_STEPS * (MAX_EXTRA + 1);
    for (n, m) in script.iter().chain(std::iter::repeat_n(&Move { kind: 0, arg: 0 }, settle_moves)).enumerate() {
        let settling = n >= script.len();
        for e in extras.iter().filter(|e| usize::from(e.at).min(script.len()) == n) {
            make(&mut session, &options, &e.call);
        }
        let waiting = poll(&mut session, &mut pending);
        if waiting.is_empty() && pending.is_empty() && (settling || n >= 256) {
            break;
        }
        steps += 1;
        let pick = usize::from(m.arg);
        let respond =
            |session: &mut Session, server: &mut Server, pending: &mut Vec<(CallId, Arc<FetchRequest>)>, k: usize| {
                let (id, request) = pending.remove(k % pending.len());
                let result = server.respond(&request);
                server.answered.push(request.id);
                session.on_response(id, request.id, result);
            };
        let target = waiting.get(pick % waiting.len().max(1)).cloned();
        match (m.kind, target) {
            (0..=109, _) if !settling && !pending.is_empty() => respond(&mut session, &mut server, &mut pending, pick),
            (110..=209, Some((id, CallStep::Ask(prompt)))) if !settling => {
                let answers = explore::answers(&prompt);
                let _ = session.on_user(id, answers[pick % answers.len()].clone());
            }
            (210..=239, Some((id, CallStep::Wait(timer)))) => session.on_timer(id, timer.id),
            (252..=255, Some((id, _))) => session.abort(id),
            // Settle: the first waiting call's prompt or timer, else a fetch.
            _ => match waiting.first().cloned() {
                Some((id, CallStep::Ask(prompt))) if settling || pending.is_empty() => {
                    let answer = if settling { closing_answer(&prompt) } else { explore::answers(&prompt)[0].clone() };
                    let _ = session.on_user(id, answer);
                }
                Some((id, CallStep::Wait(timer))) if settling || pending.is_empty() => session.on_timer(id, timer.id),
                _ if !pending.is_empty() => {
                    let k = pending.iter().position(|(_, r)| r.kind != FetchKind::Picture).unwrap_or(0);
                    respond(&mut session, &mut server, &mut pending, k);
                }
                _ => {}
            },
        }
    }
    let waiting = poll(&mut session, &mut pending);
    assert!(waiting.is_empty(), "calls not settled after {steps} steps: {}", waiting.len());
    for (id, call) in session.calls() {
        assert_eq!(settled_count(call), 1, "call {} settled {} times", id.0, settled_count(call));
    }
    SessionRun { session, steps }
}

/// The `flow` target: the world's one call, then, when the world has a
/// session, the same world as a session.
pub fn run_world(world: &World) {
    run(world);
    if !world.session.is_empty() {
        run_session(world);
    }
}

/// The `invariants` target: as [`run_world`], checking every invariant.
pub fn run_world_checked(world: &World) {
    run_checked(world);
    if !world.session.is_empty() {
        run_session_checked(world);
    }
}

/// The `invariants` target's session half: every call's trace invariants
/// and the session invariants.
pub fn run_session_checked(world: &World) {
    let run = run_session(world);
    let mut violations: Vec<String> = Vec::new();
    for (_, call) in run.session.calls() {
        violations.extend(invariants::check_all(call.trace()).iter().map(ToString::to_string));
    }
    violations.extend(invariants::check_session(run.session.log()).iter().map(ToString::to_string));
    assert!(violations.is_empty(), "invariants broken:\n  {}", violations.join("\n  "));
}
