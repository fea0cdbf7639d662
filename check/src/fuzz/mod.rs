//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` and by
//! the stable regression test `tests/fuzz_regressions.rs`: a crash input
//! replays through exactly the code the fuzzer ran.
//!
//! The structure-aware targets decode a [`world::World`] with `arbitrary`,
//! derived only with this crate's `arbitrary` feature (the fuzz crate turns
//! it on); the regression test replays worlds stored as JSON without it.
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
