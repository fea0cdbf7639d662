#![no_main]
//! The client_metadata parser under both profiles: byte 0 picks the status, byte 1 the
//! content type, the rest is the body; never panics (check/src/fuzz/docs.rs).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fedcm_check::fuzz::docs::client_metadata(data);
});
