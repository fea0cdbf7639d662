//! What happened in one run, in order: states entered, requests sent,
//! responses consumed, prompts and answers, browser-state changes and the
//! outcome. The machine only writes it; tests, invariants and the CLI read
//! it. It lives inside `machine/` because its events are made of the
//! machine's types; the machine keeps its own records and never reads it.

use super::browser::{Connection, LoginStatus};
use super::fetch::{FetchKind, FetchRequest, RequestId};
use super::outcome::Outcome;
use super::prompt::{Prompt, UserAction};
use super::state::State;
use crate::memo::Memo;
use crate::problem::Problem;
use serde::Serialize;
use url::Url;

/// The inputs of a run, so a trace can be checked on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
pub struct Start {
    /// The profile the run follows.
    pub profile: crate::Profile,
    /// The RP's serialized origin.
    pub rp: String,
    /// The top-level document's serialized origin (the RP's when not framed).
    pub embedder: String,
    /// `None` when the options were rejected before conversion finished.
    pub options: Option<crate::options::RequestOptions>,
    /// The browser state before the run changed anything.
    pub browser: crate::machine::browser::BrowserState,
    /// Whether the `identity-credentials-get` policy allows the RP's
    /// document (recorded only when it does not).
    #[serde(skip_serializing_if = "is_true")]
    pub policy_allowed: bool,
    /// The RP's `connect-src` (recorded only when its CSP has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_src: Option<crate::csp::SourceList>,
    /// `rp` and `embedder` parsed the first time a reader asks.
    #[serde(skip)]
    pub(crate) parsed: ParsedOrigins,
}

impl Start {
    /// `rp` as a URL, parsed once however many invariants read it (a
    /// trace's start is shared by every clone of the trace, so the model
    /// checker parses it once per starting configuration, not per state).
    pub fn rp_url(&self) -> Option<&Url> {
        self.parsed.rp.get_or_init(|| Url::parse(&self.rp).ok()).as_ref()
    }

    /// `embedder` as a URL, parsed once.
    pub fn embedder_url(&self) -> Option<&Url> {
        self.parsed.embedder.get_or_init(|| Url::parse(&self.embedder).ok()).as_ref()
    }
}

/// [`Start`]'s origins parsed on demand (memos: a trace compares and
/// hashes the same before and after a reader filled them).
#[derive(Clone, Default, PartialEq, Debug, Hash)]
pub struct ParsedOrigins {
    rp: Memo<Option<Url>>,
    embedder: Memo<Option<Url>>,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One thing that happened in a run, as the trace records it.
#[derive(Debug, Clone, PartialEq, Hash, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The run began with these inputs; always the first event of a `get()`
    /// trace. Shared: it never changes, so cloning a trace (the explorer
    /// clones a flow per move) copies none of the inputs.
    Start(std::sync::Arc<Start>),
    /// `disconnect()` started.
    StartDisconnect {
        /// The RP's serialized origin.
        rp: String,
        /// The top-level document's serialized origin.
        embedder: String,
        /// `configURL` as the RP passed it.
        config_url: String,
        /// `clientId` as the RP passed it.
        client_id: String,
        /// The browser state before the call.
        browser: crate::machine::browser::BrowserState,
    },
    /// `IdentityProvider.getUserInfo()` started.
    StartUserInfo {
        /// The profile the call follows.
        profile: crate::Profile,
        /// The calling document's serialized origin.
        caller: String,
        /// Its parent's serialized origin (`None`: a top-level document).
        parent: Option<String>,
        /// The top-level document's serialized origin.
        top: String,
        /// The options as passed.
        options: crate::machine::user_info::UserInfoOptions,
        /// The browser state before the call.
        browser: crate::machine::browser::BrowserState,
    },
    /// A call that settles at once started (`store()`, a stray `resolve()`).
    StartCall {
        /// Which call.
        call: crate::machine::immediate::ImmediateCall,
        /// The profile the call follows.
        profile: crate::Profile,
        /// The calling document's serialized origin.
        rp: String,
        /// The top-level document's serialized origin.
        embedder: String,
        /// The browser state before the call.
        browser: crate::machine::browser::BrowserState,
    },
    /// What a provider ended with: `logged-out`, `mismatch` or accounts
    /// (after filtering), with each account's `approved_clients`.
    ProviderEntry {
        /// Index into the RP's `providers`.
        provider: usize,
        /// Which of the three it is.
        entry: EntryKind,
        /// Ids of the accounts kept, in list order.
        accounts: Vec<String>,
        /// Each kept account's `approved_clients`, `None` where absent.
        approved_clients: Vec<Option<Vec<String>>>,
    },
    /// The auto re-authentication decision picked this account.
    AutoSelected {
        /// Index into the RP's `providers`.
        provider: usize,
        /// The picked account's `id`.
        account_id: String,
    },
    /// The assertion response carried this token.
    TokenReceived {
        /// Index into the RP's `providers`.
        provider: usize,
        /// `token` as the IdP sent it (any JSON value).
        token: serde_json::Value,
    },
    /// The machine entered a state; the trace's path through the algorithm.
    Enter {
        /// The state entered.
        state: State,
        /// The provider the state is about, for per-provider states.
        provider: Option<usize>,
    },
    /// The machine handed a request to the driver.
    Request {
        /// The request, as handed out (the same allocation the driver got).
        request: std::sync::Arc<FetchRequest>,
    },
    /// The driver answered a request, and what the machine made of it.
    Response {
        /// The request answered.
        id: RequestId,
        /// Which document the request was for.
        kind: FetchKind,
        /// The HTTP status; `None` when there was no response.
        status: Option<u16>,
        /// Accepted, rejected (with its problems), a network error or ignored.
        result: ResponseResult,
        /// The response's `Access-Control-*` headers (CORS is judged on them).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        access_control: Vec<(String, String)>,
    },
    /// A provider dropped out, and why.
    ProviderSkipped {
        /// Index into the RP's `providers`.
        provider: usize,
        /// Why, in a sentence.
        why: String,
        /// The document problem behind it, if one was.
        problem: Option<Problem>,
    },
    /// The Login Status map changed for an IdP origin.
    LoginStatusSet {
        /// The IdP's serialized origin.
        origin: String,
        /// The new status.
        status: LoginStatus,
    },
    /// The machine asked the person something.
    Prompt {
        /// What was asked (shared with the step that handed it out).
        prompt: std::sync::Arc<Prompt>,
    },
    /// The driver answered a prompt.
    User {
        /// The answer.
        action: UserAction,
    },
    /// An account was added to the connected accounts set.
    ConnectionAdded {
        /// The entry added.
        connection: Connection,
    },
    /// An account was removed from the connected accounts set (by `disconnect()`).
    ConnectionRemoved {
        /// The entry removed.
        connection: Connection,
    },
    /// The RP origin no longer requires user mediation: Chromium clears the
    /// flag `preventSilentAccess()` set once a sign-in succeeds.
    UserMediationCleared {
        /// The RP origin.
        origin: String,
    },
    /// The machine asked for a timer (the rejection delay).
    TimerStarted {
        /// The timer's id, as in [`crate::machine::Timer`].
        id: crate::machine::TimerId,
    },
    /// The driver reported the timer fired.
    TimerFired {
        /// The timer's id.
        id: crate::machine::TimerId,
    },
    /// Free text: option warnings, the machine's remarks, driver annotations.
    Note {
        /// The text.
        text: String,
    },
    /// The request settled: the promise resolved or rejected.
    Settled {
        /// How it settled.
        outcome: Outcome,
    },
}

/// What the machine made of a response.
#[derive(Debug, Clone, PartialEq, Serialize, Hash)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum ResponseResult {
    /// The document passed and the machine went on with it.
    Accepted,
    /// The document failed; the machine treats it as the spec's failure for that fetch.
    Rejected {
        /// Every problem found, errors first.
        problems: Vec<Problem>,
    },
    /// The driver reported no response at all.
    NetworkError {
        /// Why, in the driver's words.
        reason: String,
    },
    /// Arrived after the request stopped caring (pictures, aborted runs).
    Ignored,
}

/// Every event of one run, in order.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Trace {
    /// The events, oldest first.
    pub events: Vec<Event>,
}

/// Events still to come after the copy point, room for which a clone
/// reserves: the model checker clones a flow for every move and the move
/// appends a few events at once, so a clone of exactly the length would
/// grow (and copy the events again) straight away.
const CLONE_HEADROOM: usize = 8;

impl Clone for Trace {
    fn clone(&self) -> Trace {
        let mut events = Vec::with_capacity(self.events.len() + CLONE_HEADROOM);
        events.extend(self.events.iter().cloned());
        Trace { events }
    }
}

impl Trace {
    /// An empty trace with room for a typical call's events, so recording
    /// a sign-in does not grow (and copy) the list several times.
    pub(crate) fn for_call() -> Trace {
        Trace { events: Vec::with_capacity(48) }
    }

    pub(crate) fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Every request handed out, in order.
    pub fn requests(&self) -> impl Iterator<Item = &FetchRequest> {
        self.events.iter().filter_map(|e| match e {
            Event::Request { request } => Some(request.as_ref()),
            _ => None,
        })
    }

    /// Every state entered, in order.
    pub fn states(&self) -> impl Iterator<Item = State> + '_ {
        self.events.iter().filter_map(|e| match e {
            Event::Enter { state, .. } => Some(*state),
            _ => None,
        })
    }

    /// Every prompt shown, in order.
    pub fn prompts(&self) -> impl Iterator<Item = &Prompt> {
        self.events.iter().filter_map(|e| match e {
            Event::Prompt { prompt } => Some(prompt.as_ref()),
            _ => None,
        })
    }

    /// The inputs of the run, if it recorded them.
    pub fn start(&self) -> Option<&Start> {
        self.events.iter().find_map(|e| match e {
            Event::Start(s) => Some(s.as_ref()),
            _ => None,
        })
    }

    /// The `Access-Control-*` headers of a response, for the trace.
    pub(crate) fn access_control(result: &crate::machine::fetch::FetchResult) -> Vec<(String, String)> {
        match result {
            Ok(r) => r
                .headers
                .iter()
                .filter(|(k, _)| k.as_bytes().get(..15).is_some_and(|p| p.eq_ignore_ascii_case(b"access-control-")))
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// How the run settled, if it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.events.iter().rev().find_map(|e| match e {
            Event::Settled { outcome } => Some(outcome),
            _ => None,
        })
    }
}

/// The kind of value a provider left in the spec's provider map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// The IdP is logged out, or gave nothing and no UI must follow.
    LoggedOut,
    /// Credentials went to a logged-in IdP and no usable account came back.
    Mismatch,
    /// Accounts to show (after the label and hint filters).
    Accounts,
}

impl EntryKind {
    /// The kebab-case name the trace and scenario files use.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::LoggedOut => "logged-out",
            EntryKind::Mismatch => "mismatch",
            EntryKind::Accounts => "accounts",
        }
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
