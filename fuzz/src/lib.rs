//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` and by
//! the stable regression test `tests/fuzz_regressions.rs`, which includes
//! this file with `#[path]`: a crash input replays through exactly the code
//! the fuzzer ran.
//!
//! So everything here uses `super::` (never `crate::`) and depends only on
//! what the root crate's tests also have: `fedcm-model`, `serde`,
//! `serde_json` and `url`. `arbitrary` is derived only outside `cfg(test)`,
//! that is, in the fuzz crate.
//!
//! | target | input | checks |
//! |---|---|---|
//! | `well_known`, `config`, `accounts`, `client_metadata`, `assertion`, `disconnect` | 2 selector bytes (status, content type) + body | no panic under both profiles; results well-formed |
//! | `request_options` | JSON text | no panic under both profiles; a flow starts from it |
//! | `differential` | body | typed parsers agree with [`differential`]'s `serde_json::Value` reading |
//! | `flow` | [`world::World`] | the machine settles within a bounded number of steps, once |
//! | `invariants` | [`world::World`] | as `flow`, and `invariants::check_all` finds nothing |

pub mod differential;
pub mod docs;
pub mod world;

/// Every target, in the order `run-all.sh` and the regression test use.
pub const TARGETS: [&str; 10] = [
    "well_known",
    "config",
    "accounts",
    "client_metadata",
    "assertion",
    "disconnect",
    "request_options",
    "differential",
    "flow",
    "invariants",
];

/// Runs one raw input through a byte-input target. `false` for the
/// structure-aware targets (`flow`, `invariants`), whose inputs are worlds.
pub fn run_bytes(target: &str, data: &[u8]) -> bool {
    match target {
        "well_known" => docs::well_known(data),
        "config" => docs::config(data),
        "accounts" => docs::accounts(data),
        "client_metadata" => docs::client_metadata(data),
        "assertion" => docs::assertion(data),
        "disconnect" => docs::disconnect(data),
        "request_options" => docs::request_options(data),
        "differential" => differential::run(data),
        _ => return false,
    }
    true
}
