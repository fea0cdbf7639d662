//! `fedcm-model`: a sans-IO model of what a browser does for
//! `navigator.credentials.get({identity})` under the Federated Credential
//! Management API (w3c-fedid/FedCM).
//!
//! Nothing in this crate performs I/O, reads a clock or draws a random
//! number: drivers (tests, the CLI, fuzzers, the HTTP prober) feed it bytes
//! and events and read back typed results.

#![forbid(unsafe_code)]

pub mod explore;
pub mod http;
pub mod idl;
pub mod idp;
pub mod invariants;
pub mod json;
pub mod machine;
pub mod mutation;
pub mod options;
pub mod problem;
pub mod profile;
pub mod trace;
pub mod urls;

pub use http::HttpResponse;
pub use problem::{Document, Problem, Rule, Severity};
pub use profile::Profile;
pub use urls::{ConfigUrl, Endpoint, UrlError};
