//! Instruction counts (gungraun, under Callgrind) of the same paths as
//! `parse.rs`, with the same reference points. Stable run to run, so these
//! are the regression gate (`benches/regress.sh`). Needs valgrind and
//! `cargo install gungraun-runner --version 0.20.0` (the crate's version);
//! without them, and outside CI, it skips with a message (see `main`).
//! The benchmarks are in `instructions/grind.rs`.

mod common;
#[path = "instructions/grind.rs"]
mod grind;

/// The gungraun version in Cargo.toml; its runner must match it.
const RUNNER_VERSION: &str = "0.20.0";

/// Outside CI, a machine without gungraun's runner or valgrind skips these
/// benchmarks with a message saying what to install, so `cargo bench` (and
/// `cargo bench -- --test`) works on a fresh machine. In CI (`CI` set) the
/// benchmarks always run, so a missing tool fails loudly there.
fn main() {
    // The runner re-runs this binary under valgrind with a cleared
    // environment (no PATH, no CI) and `--gungraun-run`: then it is there.
    if std::env::args().any(|a| a == "--gungraun-run") {
        return grind::run();
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
    };
    let runner = std::env::var_os("GUNGRAUN_RUNNER").is_some() || on_path("gungraun-runner");
    let valgrind = on_path("valgrind");
    if std::env::var_os("CI").is_none() && !(runner && valgrind) {
        let mut missing = Vec::new();
        if !runner {
            missing
                .push(format!("gungraun-runner (cargo install gungraun-runner --version {RUNNER_VERSION} --locked)"));
        }
        if !valgrind {
            missing.push("valgrind (apt-get install valgrind)".to_string());
        }
        eprintln!("instructions: skipped, not installed: {}; .ci/run installs both", missing.join(", "));
        return;
    }
    grind::run()
}
