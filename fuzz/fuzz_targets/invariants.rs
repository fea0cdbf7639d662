#![no_main]
//! As `flow`, then every invariant of `fedcm_model::invariants` must hold
//! over the run's trace (fuzz/src/world.rs).

use fedcm_fuzz::world::{run_checked, World};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|world: World| {
    run_checked(&world);
});
