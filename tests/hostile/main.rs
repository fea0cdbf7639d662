//! Hostile and careless use of every entry point, kept as regression tests
//! (one test binary): endless and huge inputs, closed and full output and
//! odd files for the CLI (`cli`), floods, slow and idle connections and
//! unservable scenarios for `fedcm serve` (`serve`), misbehaving IdPs for
//! `fedcm probe` (`probe`), and unbounded searches for `fedcm explore`
//! (`explore`). Every child runs under a deadline, and where memory is the
//! point, under a memory limit or with its peak checked.
//!
//! `FEDCM_BIN=/path/to/fedcm cargo test --test hostile` runs the tests that
//! spawn the binary against another build (an older commit, to see them
//! fail there).

mod cli;
mod common;
mod explore;
mod probe;
mod serve;
