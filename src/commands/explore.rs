//! `fedcm explore`: the bounded model checker's front end.

use fedcm_check::explore::{self, to_scenario, Limits, Stopped};
use fedcm_model::Profile;
use fedcm_workbench::{errln, outln, output};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Exit status when `--max-states` stopped the search (no violation found
/// in what was explored; a violation still exits 1).
pub const EXIT_BOUND: u8 = 3;

/// Default `--max-states` (per starting configuration): about 2 GB at
/// [`BYTES_PER_STATE`]. Depth 8's largest configuration has ~37,000.
pub const DEFAULT_MAX_STATES: u64 = 150_000;

/// Memory one distinct state holds while its configuration is explored
/// (its `Flow` clone, trace and path): 200,000 states of a depth-40 search
/// peaked at 2.8 GB RSS. Shallow states are smaller; for messages only.
pub const BYTES_PER_STATE: u64 = 14 * 1024;

/// How often the model checks in within a start when no
/// `--progress-every` is given; the clock then decides what is printed.
const CHECK_IN_EVERY: u64 = 2048;

pub struct Options {
    pub depth: usize,
    pub max_states: u64,
    /// Print a progress line every this many visited states (for tests and
    /// logs); `None`: by the clock (a line rewritten in place on a TTY,
    /// else one every few seconds).
    pub progress_every: Option<u64>,
}

fn megabytes(states: u64) -> u64 {
    states.saturating_mul(BYTES_PER_STATE) / (1 << 20)
}

pub fn main(opts: Options, profiles: &[Profile], out: Option<PathBuf>, json: bool) -> ExitCode {
    let Options { depth, max_states, progress_every } = opts;
    let starts = explore::starts(profiles);
    let began = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut last_print = began;
    let limits = Limits { max_states, progress_every: progress_every.unwrap_or(CHECK_IN_EVERY) };
    let report = explore::explore_bounded(&starts, depth, limits, |p| {
        let stats = p.stats;
        let line = format!(
            "[{}/{}] {} states visited, {} distinct, {} queued, {:.1}s",
            p.done,
            starts.len(),
            stats.visited,
            stats.distinct,
            p.queued,
            began.elapsed().as_secs_f64()
        );
        let since = last_print.elapsed();
        let print = match (progress_every.is_some(), tty, p.start_finished) {
            (true, _, false) => true,
            (_, true, _) => since >= Duration::from_millis(200) || p.done == starts.len(),
            (_, false, true) => p.done % 12 == 0 || p.done == starts.len(),
            (_, false, false) => since >= Duration::from_secs(5),
        };
        if !print {
            return;
        }
        last_print = Instant::now();
        if tty && progress_every.is_none() {
            output::progress(&format!("\r{line}   "));
        } else {
            errln!("{line}");
        }
    });
    if tty && progress_every.is_none() {
        output::progress(
            "
",
        );
    }
    let elapsed = began.elapsed().as_secs_f64();
    let s = &report.stats;
    let stopped = report.stopped.map(|Stopped::MaxStates { limit, start }| {
        format!(
            "stopped: --max-states {limit} reached in starting configuration {start} of {} (about {} MB at \
             ~{} KB per state); {} distinct states, {} checked to depth {}, {} configurations complete; raise \
             --max-states or lower --depth",
            starts.len(),
            megabytes(limit),
            BYTES_PER_STATE / 1024,
            s.distinct,
            s.visited,
            s.max_depth,
            start - 1
        )
    });
    if json {
        let v = serde_json::json!({
            "depth": depth,
            "seconds": elapsed,
            "stats": s,
            "stopped": report.stopped,
            "invariants": fedcm_check::invariants::ALL.len(),
            "counterexamples": report.counterexamples.iter().map(|c| serde_json::json!({
                "violations": c.violations, "scenario": to_scenario(c)})).collect::<Vec<_>>(),
        });
        outln!("{}", output::json(&v));
    } else {
        outln!("depth bound        {depth}");
        outln!("starting configs   {}", s.starts);
        outln!("transitions        {}", s.transitions);
        outln!("states checked     {}", s.visited);
        outln!("distinct states    {}", s.distinct);
        outln!("settled states     {}", s.settled);
        outln!("deepest path       {}", s.max_depth);
        outln!("invariants checked {} in every state", fedcm_check::invariants::ALL.len());
        outln!("time               {elapsed:.2}s ({:.0} states/s)", s.visited as f64 / elapsed.max(1e-9));
        match (&stopped, report.counterexamples.is_empty()) {
            (Some(_), true) => outln!("result             incomplete: no violation in the states explored"),
            (None, true) => outln!("result             every invariant holds"),
            _ => {}
        }
        for c in &report.counterexamples {
            for v in &c.violations {
                outln!("VIOLATION {v}");
            }
            outln!("shortest counterexample ({} moves):", c.moves.len());
            outln!("{}", output::json(&to_scenario(c)));
        }
    }
    if let Some(dir) = out {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            errln!("fedcm: cannot create {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        for (i, c) in report.counterexamples.iter().enumerate() {
            let path = dir.join(format!("counterexample-{:02}-{}.json", i + 1, c.violations[0].name));
            let text = output::json(&to_scenario(c));
            if let Err(e) = std::fs::write(&path, text + "\n") {
                errln!("fedcm: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if let Some(message) = &stopped {
        errln!("fedcm: {message}");
    }
    match (report.counterexamples.is_empty(), stopped) {
        (false, _) => ExitCode::from(1),
        (true, Some(_)) => ExitCode::from(EXIT_BOUND),
        (true, None) => ExitCode::SUCCESS,
    }
}
