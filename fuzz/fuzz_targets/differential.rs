#![no_main]
//! The typed parsers against an independent `serde_json::Value` reading of
//! the same bytes; a disagreement panics (check/src/fuzz/differential.rs lists the rules).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fedcm_check::fuzz::differential::run(data);
});
