//! What happened in one run, in order: states entered, requests sent,
//! responses consumed, prompts and answers, browser-state changes and the
//! outcome. Tests, invariants and the CLI all read this.

use crate::machine::browser::{Connection, LoginStatus};
use crate::machine::fetch::{FetchKind, FetchRequest, RequestId};
use crate::machine::outcome::Outcome;
use crate::machine::prompt::{Prompt, UserAction};
use crate::machine::state::State;
use crate::problem::Problem;
use serde::Serialize;

/// The inputs of a run, so a trace can be checked on its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Start {
    pub profile: crate::Profile,
    pub rp: String,
    pub embedder: String,
    /// `None` when the options were rejected before conversion finished.
    pub options: Option<crate::options::RequestOptions>,
    pub browser: crate::machine::browser::BrowserState,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    Start(Box<Start>),
    /// `disconnect()` started.
    StartDisconnect {
        rp: String,
        embedder: String,
        config_url: String,
        client_id: String,
        browser: crate::machine::browser::BrowserState,
    },
    /// What a provider ended with: `logged-out`, `mismatch` or accounts
    /// (after filtering), with each account's `approved_clients`.
    ProviderEntry {
        provider: usize,
        entry: String,
        accounts: Vec<String>,
        approved_clients: Vec<Option<Vec<String>>>,
    },
    /// The auto re-authentication decision picked this account.
    AutoSelected {
        provider: usize,
        account_id: String,
    },
    /// The assertion response carried this token.
    TokenReceived {
        provider: usize,
        token: serde_json::Value,
    },
    Enter {
        state: State,
        provider: Option<usize>,
    },
    Request {
        request: FetchRequest,
    },
    Response {
        id: RequestId,
        kind: FetchKind,
        status: Option<u16>,
        result: ResponseResult,
        /// The response's `Access-Control-*` headers (CORS is judged on them).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        access_control: Vec<(String, String)>,
    },
    /// A provider dropped out, and why.
    ProviderSkipped {
        provider: usize,
        why: String,
        problem: Option<Problem>,
    },
    LoginStatusSet {
        origin: String,
        status: LoginStatus,
    },
    Prompt {
        prompt: Prompt,
    },
    User {
        action: UserAction,
    },
    ConnectionAdded {
        connection: Connection,
    },
    ConnectionRemoved {
        connection: Connection,
    },
    TimerStarted {
        id: u64,
    },
    TimerFired {
        id: u64,
    },
    Note {
        text: String,
    },
    Settled {
        outcome: Outcome,
    },
}

/// What the machine made of a response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum ResponseResult {
    Accepted,
    Rejected {
        problems: Vec<Problem>,
    },
    NetworkError {
        reason: String,
    },
    /// Arrived after the request stopped caring (pictures, aborted runs).
    Ignored,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trace {
    pub events: Vec<Event>,
}

impl Trace {
    pub(crate) fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    pub fn requests(&self) -> impl Iterator<Item = &FetchRequest> {
        self.events.iter().filter_map(|e| match e {
            Event::Request { request } => Some(request),
            _ => None,
        })
    }

    pub fn states(&self) -> impl Iterator<Item = State> + '_ {
        self.events.iter().filter_map(|e| match e {
            Event::Enter { state, .. } => Some(*state),
            _ => None,
        })
    }

    pub fn prompts(&self) -> impl Iterator<Item = &Prompt> {
        self.events.iter().filter_map(|e| match e {
            Event::Prompt { prompt } => Some(prompt),
            _ => None,
        })
    }

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
                .filter(|(k, _)| k.len() >= 15 && k.as_bytes()[..15].eq_ignore_ascii_case(b"access-control-"))
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        self.events.iter().rev().find_map(|e| match e {
            Event::Settled { outcome } => Some(outcome),
            _ => None,
        })
    }
}
