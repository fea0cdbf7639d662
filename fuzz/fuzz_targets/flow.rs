#![no_main]
//! A world drives one `get()` to its end, then (with a session) several
//! calls of one page: each must settle, once, within a
//! bounded number of steps, and never panic (check/src/fuzz/world/).

use fedcm_check::fuzz::world::{run_world, World};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|world: World| {
    run_world(&world);
});
