//! `fedcm-check`: everything that checks `fedcm-model` without being part
//! of it. The model says what a browser does; this crate says what must
//! hold of what it did, and drives it there.
//!
//! - [`fixtures`]: the origins and minimal IdP documents the tests,
//!   benchmarks, explorer and fuzz harness share.
//! - [`corpus`]: the scenario files under `tests/scenarios/` and `examples/`.
//! - [`drive`]: the one driver loop (answer each step until the flow
//!   settles, with a hard step bound) and the outbox drain.
//! - [`invariants`]: the spec's safety and privacy properties, as functions
//!   over a trace.
//! - [`explore`]: the bounded model checker, every invariant in every state
//!   it reaches.
//! - [`pairs`]: the same over two calls of one page, every interleaving.
//! - [`fuzz`]: the bodies of the cargo-fuzz targets (`fuzz/`) and of their
//!   stable replay, `tests/fuzz_regressions.rs`.
//!
//! It depends on the model like any other driver does, through its public
//! API, and the CLI, the tests, the benchmarks and the fuzz crate depend on
//! it.

#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]
// A checker reports what it finds; it never panics on what it checks.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod corpus;
pub mod drive;
pub mod explore;
pub mod fixtures;
pub mod pairs;
// Fuzz bodies report a finding by panicking: that is what a fuzzer catches.
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod fuzz;
pub mod invariants;
