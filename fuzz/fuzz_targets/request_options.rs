#![no_main]
//! The RP's options: JSON text to `serde_json::Value`, `options::parse` under both
//! profiles, and a flow started from them; never panics (check/src/fuzz/docs.rs).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fedcm_check::fuzz::docs::request_options(data);
});
