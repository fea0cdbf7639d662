//! `fedcm-model`: a sans-IO model of what a browser does for
//! `navigator.credentials.get({identity})` under the Federated Credential
//! Management API (w3c-fedid/FedCM).
//!
//! Nothing in this crate performs I/O, reads a clock or draws a random
//! number: drivers (tests, the CLI, fuzzers, the HTTP prober) feed it bytes
//! and events and read back typed results.

#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]
// No input may panic the model: outside its tests, no unwrap, expect,
// panic or unchecked index, and no printing (it is sans-IO).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

pub mod color;
pub mod csp;
mod http;
mod idl;
pub mod idp;
mod json;
pub mod machine;
mod memo;
pub mod mutation;
pub mod options;
mod problem;
pub mod profile;
mod urls;

pub use http::{ContentType, HttpResponse};
pub use json::JsonType;
pub use machine::trace;
pub use problem::{Document, JsError, Problem, Rule, Severity};
pub use profile::{Profile, MAX_BODY_BYTES};
pub use urls::{is_potentially_trustworthy, registrable_domain, same_origin, same_site, ConfigUrl, Endpoint, UrlError};
