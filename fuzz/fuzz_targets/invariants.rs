#![no_main]
//! As `flow`, then every invariant of `fedcm_check::invariants` must hold
//! over the run's trace (check/src/fuzz/world/).

use fedcm_check::fuzz::world::{run_world_checked, World};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|world: World| {
    run_world_checked(&world);
});
