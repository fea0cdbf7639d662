//! Properties of a session: several calls of one page, read from the
//! session's log (each call's own trace is checked by the trace
//! invariants). Spec `#create-identity-credential` (the page's pending
//! request and the mode gate), `#browser-api-identity-credential-disconnect`.

use super::{ensure, Violation};
use fedcm_model::machine::login_signal::{self, SignalResult};
use fedcm_model::machine::session::{CallId, CallKind, SessionEvent};
use fedcm_model::options::Mode;
use fedcm_model::profile::rules::{ConcurrentDisconnect, ConcurrentGet, LoginSignalScope};
use fedcm_model::same_site;
use fedcm_model::Profile;

/// One property of a session's log.
pub struct SessionInvariant {
    /// Stable identifier (`S1`...); numbers are never reused.
    pub id: &'static str,
    /// What must hold, in a phrase.
    pub name: &'static str,
    /// The spec section it comes from.
    pub anchor: &'static str,
    /// Checks a whole log; `Err` says what broke.
    pub check: fn(&[SessionEvent]) -> Result<(), String>,
}

/// Every session invariant, in id order.
pub const SESSION_ALL: &[SessionInvariant] = &[
    SessionInvariant { id: "S1", name: "at-most-one-dialog", anchor: "network-requests", check: one_dialog },
    SessionInvariant {
        id: "S2",
        name: "one-pending-get-per-page",
        anchor: "create-identity-credential",
        check: one_get,
    },
    SessionInvariant {
        id: "S3",
        name: "only-active-replaces-passive",
        anchor: "create-identity-credential",
        check: replaced_by_active,
    },
    SessionInvariant {
        id: "S4",
        name: "one-pending-disconnect-per-page",
        anchor: "browser-api-identity-credential-disconnect",
        check: one_disconnect,
    },
    SessionInvariant {
        id: "S5",
        name: "login-status-set-only-from-its-own-frames",
        anchor: "login-status-http",
        check: login_signal_in_scope,
    },
];

/// Checks every session invariant.
pub fn check_session(log: &[SessionEvent]) -> Vec<Violation> {
    SESSION_ALL
        .iter()
        .filter_map(|inv| {
            (inv.check)(log).err().map(|message| Violation { id: inv.id, name: inv.name, anchor: inv.anchor, message })
        })
        .collect()
}

fn profile(log: &[SessionEvent]) -> Option<Profile> {
    log.iter().find_map(|e| match e {
        SessionEvent::Start { profile } => Some(*profile),
        _ => None,
    })
}

fn nows(log: &[SessionEvent]) -> impl Iterator<Item = (&[CallId], &[CallId], &[CallId])> {
    log.iter().filter_map(|e| match e {
        SessionEvent::Now { gets, disconnects, prompts } => {
            Some((gets.as_slice(), disconnects.as_slice(), prompts.as_slice()))
        }
        _ => None,
    })
}

/// A person sees one FedCM dialog or pop-up of a page at a time.
fn one_dialog(log: &[SessionEvent]) -> Result<(), String> {
    for (_, _, prompts) in nows(log) {
        ensure(prompts.len() <= 1, || format!("calls {prompts:?} show a prompt at once"))?;
    }
    Ok(())
}

/// The page's pending request is one `get()`: a second one is refused or
/// replaces it.
fn one_get(log: &[SessionEvent]) -> Result<(), String> {
    for (gets, _, _) in nows(log) {
        ensure(gets.len() <= 1, || format!("get() calls {gets:?} are pending at once"))?;
    }
    Ok(())
}

/// A pending `get()` is replaced only by an active one with transient
/// activation, only when it is passive, and only where the profile lets
/// anything replace it.
fn replaced_by_active(log: &[SessionEvent]) -> Result<(), String> {
    let began = |id: CallId| {
        log.iter().find_map(|e| match e {
            SessionEvent::Began { call, kind: CallKind::Get, mode, activation } if *call == id => {
                Some((*mode, *activation))
            }
            _ => None,
        })
    };
    let replaces = profile(log).is_some_and(|p| p.rules().concurrent_get == ConcurrentGet::ActiveReplacesPassive);
    for e in log {
        let SessionEvent::Replaced { call, by } = e else { continue };
        ensure(replaces, || format!("call {} was replaced, but the profile replaces nothing", call.0))?;
        let old = began(*call);
        let new = began(*by);
        ensure(old.is_some_and(|(m, _)| m == Some(Mode::Passive)), || {
            format!("call {} was replaced, but it is not a passive get()", call.0)
        })?;
        ensure(new == Some((Some(Mode::Active), true)), || {
            format!("call {} replaced call {}, but it is not an active get() with activation", by.0, call.0)
        })?;
    }
    Ok(())
}

/// At most one `disconnect()` of the page is pending, where the profile
/// refuses a second.
fn one_disconnect(log: &[SessionEvent]) -> Result<(), String> {
    if !profile(log).is_some_and(|p| p.rules().concurrent_disconnect == ConcurrentDisconnect::Refused) {
        return Ok(());
    }
    for (_, disconnects, _) in nows(log) {
        ensure(disconnects.len() <= 1, || format!("disconnect() calls {disconnects:?} are pending at once"))?;
    }
    Ok(())
}

/// A login-status signal changes the status only when the frame it comes
/// from is same-site (same-origin where the profile says so) with every
/// frame around it, and only to a status it names.
fn login_signal_in_scope(log: &[SessionEvent]) -> Result<(), String> {
    let same_origin = profile(log).is_some_and(|p| p.rules().login_signal_scope == LoginSignalScope::SameOrigin);
    for e in log {
        let SessionEvent::LoginSignal { signal, result: SignalResult::Applied { status } } = e else { continue };
        let origin = &signal.origin;
        let near = |a: &url::Url| if same_origin { a.origin() == origin.origin() } else { same_site(a, origin) };
        ensure(signal.ancestors.iter().all(near), || {
            format!(
                "{} set its login status from a frame inside {:?}",
                origin.origin().ascii_serialization(),
                signal.ancestors.iter().map(url::Url::as_str).collect::<Vec<_>>()
            )
        })?;
        ensure(login_signal::status_of(signal) == Some(*status), || "the status set is not the one signalled".into())?;
    }
    Ok(())
}
