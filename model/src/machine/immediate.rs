//! Calls that settle at once, with no fetch and no prompt:
//! `navigator.credentials.store()` of an `IdentityCredential`, and
//! `IdentityProvider.resolve()` where no continuation pop-up waits for it.
//! They share `get()`'s trace (a start, `request-validation`, `rejected`,
//! the outcome) so every driver reports and checks them alike.

use super::browser::BrowserState;
use super::outcome::{ErrorName, Outcome, Reason, Rejection};
use super::state::State;
use super::trace::{Event, Trace};
use super::Rp;
use crate::profile::Profile;
use crate::urls::origin_string;
use serde::Serialize;

/// Which call settles at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum ImmediateCall {
    /// `navigator.credentials.store(credential)` with an `IdentityCredential`.
    Store,
    /// `IdentityProvider.resolve(token, options)` from a page that is not
    /// the continuation pop-up of a pending request (the pop-up's own call
    /// is the `Resolve` user action of a `get()`).
    Resolve,
}

/// One call of an [`ImmediateCall`]: settled when made.
#[derive(Debug, Clone)]
pub struct ImmediateFlow {
    browser: BrowserState,
    trace: Trace,
    outcome: Outcome,
}

impl ImmediateFlow {
    /// Makes the call; it has settled when this returns. `profile` is
    /// recorded: every profile answers these calls alike today.
    pub fn new(rp: &Rp, browser: BrowserState, call: ImmediateCall, profile: Profile) -> ImmediateFlow {
        let mut trace = Trace::default();
        trace.push(Event::StartCall {
            call,
            profile,
            rp: origin_string(&rp.origin),
            embedder: origin_string(&rp.embedder),
            browser: browser.clone(),
        });
        trace.push(Event::Enter { state: State::RequestValidation, provider: None });
        let error = match call {
            // `IdentityCredential` has no `[[Store]]` of its own, so
            // Credential's default throws (credential-management-1
            // `#algorithm-store-cred`; decisions P18).
            ImmediateCall::Store => Rejection::new(
                ErrorName::NotSupportedError,
                Reason::StoreNotSupported,
                false,
                "an IdentityCredential cannot be stored",
            ),
            // No pending request waits for a token from this page
            // (decisions A53).
            ImmediateCall::Resolve => Rejection::new(
                ErrorName::NotAllowedError,
                Reason::ResolveOutsideContinuation,
                false,
                "IdentityProvider.resolve() was called outside a continuation pop-up",
            ),
        };
        let outcome = Outcome::Reject { error };
        trace.push(Event::Enter { state: State::Rejected, provider: None });
        trace.push(Event::Settled { outcome: outcome.clone() });
        ImmediateFlow { browser, trace, outcome }
    }

    /// Everything the call did.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// How the call settled.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The browser state, unchanged by these calls.
    pub fn browser(&self) -> &BrowserState {
        &self.browser
    }
}
