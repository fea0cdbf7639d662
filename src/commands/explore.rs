//! `fedcm explore`: the bounded model checker's front end.

use fedcm_check::explore::{self, to_scenario, Limits, Shard};
use fedcm_model::Profile;
use fedcm_workbench::{errln, outln, output};
use serde_json::{json, Value};
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

/// Memory one distinct state may hold while its configuration is explored:
/// a start with a violation is searched again breadth first, with a `Flow`
/// clone, trace and path per queued state (200,000 states of a depth-40
/// search peaked at 2.8 GB RSS). The depth-first search itself holds about
/// 32 bytes a state. For messages only.
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
    /// Search only this shard of the starting configurations.
    pub shard: Shard,
    /// Worker threads; `None`: rayon's default (`RAYON_NUM_THREADS`, else
    /// one per core).
    pub jobs: Option<usize>,
}

fn megabytes(states: u64) -> u64 {
    states.saturating_mul(BYTES_PER_STATE) / (1 << 20)
}

pub fn main(opts: Options, profiles: &[Profile], out: Option<PathBuf>, json: bool) -> ExitCode {
    let Options { depth, max_states, progress_every, shard, jobs } = opts;
    let starts = explore::starts(profiles);
    let total = (0..starts.len()).filter(|&i| shard.holds(i)).count();
    let began = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut last_print = began;
    let limits = Limits { max_states, progress_every: progress_every.unwrap_or(CHECK_IN_EVERY) };
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(jobs.unwrap_or(0)).build() {
        Ok(pool) => pool,
        Err(e) => {
            errln!("fedcm: cannot start the worker threads: {e}");
            return ExitCode::from(2);
        }
    };
    let report = pool.install(|| {
        explore::explore_parallel(&starts, depth, limits, shard, |p| {
            let stats = p.stats;
            let line = format!(
                "[{}/{}] {} states visited, {} distinct, {:.1}s",
                p.done,
                total,
                stats.visited,
                stats.distinct,
                began.elapsed().as_secs_f64()
            );
            let since = last_print.elapsed();
            let print = match (progress_every.is_some(), tty, p.start_finished) {
                (true, _, false) => true,
                (_, true, _) => since >= Duration::from_millis(200) || p.done == total,
                (_, false, true) => p.done % 12 == 0 || p.done == total,
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
        })
    });
    if tty && progress_every.is_none() {
        output::progress(
            "
",
        );
    }
    let elapsed = began.elapsed().as_secs_f64();
    let v = json!({
        "depth": depth,
        "seconds": elapsed,
        "shard": shard.to_string(),
        "stats": report.stats,
        "stopped": report.stopped,
        "invariants": fedcm_check::invariants::ALL.len(),
        "counterexamples": report.counterexamples.iter().map(|c| json!({
            "start": c.index, "moves": c.moves.len(), "violations": c.violations, "scenario": to_scenario(c)})).collect::<Vec<_>>(),
    });
    finish(&v, total, out, json)
}

/// `fedcm explore --merge FILES...`: the `--json` reports of the shards of
/// one search as one report, as the unsharded search gives it (counts
/// added, per invariant the counterexample of the earliest start).
pub fn merge(files: &[PathBuf], out: Option<PathBuf>, json: bool) -> ExitCode {
    let mut reports = Vec::new();
    for f in files {
        let parsed = std::fs::read_to_string(f)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()));
        match parsed {
            Ok(v) => reports.push(v),
            Err(e) => {
                errln!("fedcm: cannot read {}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    match merge_values(&reports) {
        Ok((v, total)) => finish(&v, total, out, json),
        Err(e) => {
            errln!("fedcm: cannot merge: {e}");
            ExitCode::from(2)
        }
    }
}

/// Merges shard reports (the `--json` form); also returns the starts
/// searched. Refuses reports of different depths or shard counts, and a
/// shard given twice or missing.
pub fn merge_values(reports: &[Value]) -> Result<(Value, usize), String> {
    let first = reports.first().ok_or("no reports")?;
    let depth = &first["depth"];
    let mut shards: Vec<Shard> = Vec::new();
    let mut stats = explore::Stats::default();
    let mut stopped = Value::Null;
    let mut seconds: f64 = 0.0;
    let mut all: Vec<&Value> = Vec::new();
    for r in reports {
        if &r["depth"] != depth {
            return Err(format!("depths differ: {} and {}", depth, r["depth"]));
        }
        let shard: Shard = r["shard"].as_str().unwrap_or("1/1").parse()?;
        if shards.contains(&shard) {
            return Err(format!("shard {shard} given twice"));
        }
        shards.push(shard);
        let s: explore::Stats = serde_json::from_value(r["stats"].clone()).map_err(|e| e.to_string())?;
        stats.add(&s);
        if stopped.is_null() {
            stopped = r["stopped"].clone();
        }
        seconds = seconds.max(r["seconds"].as_f64().unwrap_or(0.0));
        all.extend(r["counterexamples"].as_array().into_iter().flatten());
    }
    let n = shards[0].n;
    if shards.iter().any(|s| s.n != n) || shards.len() != n {
        let given: Vec<String> = shards.iter().map(Shard::to_string).collect();
        return Err(format!("expected the {n} shards of one search, got {}", given.join(", ")));
    }
    all.sort_by_key(|c| c["start"].as_u64().unwrap_or(u64::MAX));
    let mut counterexamples: Vec<Value> = Vec::new();
    let ids = |c: &Value| -> Vec<Value> {
        c["violations"].as_array().into_iter().flatten().map(|v| v["id"].clone()).collect()
    };
    for c in all {
        let known: Vec<Value> = counterexamples.iter().flat_map(ids).collect();
        if !ids(c).iter().all(|id| known.contains(id)) {
            counterexamples.push(c.clone());
        }
    }
    let total = stats.starts;
    let v = json!({
        "depth": depth,
        "seconds": seconds,
        "shard": "1/1",
        "stats": stats,
        "stopped": stopped,
        "invariants": first["invariants"],
        "counterexamples": counterexamples,
    });
    Ok((v, total))
}

/// Prints a report (the `--json` form), writes its counterexamples into
/// `out`, and gives the exit status.
fn finish(v: &Value, total: usize, out: Option<PathBuf>, json: bool) -> ExitCode {
    let s: explore::Stats = serde_json::from_value(v["stats"].clone()).unwrap_or_default();
    let elapsed = v["seconds"].as_f64().unwrap_or(0.0);
    let depth = &v["depth"];
    let counterexamples = v["counterexamples"].as_array().cloned().unwrap_or_default();
    let stopped = v["stopped"].as_object().map(|o| {
        let limit = o.get("limit").and_then(Value::as_u64).unwrap_or(0);
        let start = o.get("start").and_then(Value::as_u64).unwrap_or(1);
        format!(
            "stopped: --max-states {limit} reached in starting configuration {start} of {total} (about {} MB at \
             ~{} KB per state); {} distinct states, {} checked to depth {}, {} configurations complete; raise \
             --max-states or lower --depth",
            megabytes(limit),
            BYTES_PER_STATE / 1024,
            s.distinct,
            s.visited,
            s.max_depth,
            start - 1
        )
    });
    if json {
        outln!("{}", output::json(v));
    } else {
        outln!("depth bound        {depth}");
        outln!("starting configs   {}", s.starts);
        outln!("transitions        {}", s.transitions);
        outln!("states checked     {}", s.visited);
        outln!("distinct states    {}", s.distinct);
        outln!("settled states     {}", s.settled);
        outln!("deepest path       {}", s.max_depth);
        outln!("invariants checked {} in every state", v["invariants"]);
        outln!("time               {elapsed:.2}s ({:.0} states/s)", s.visited as f64 / elapsed.max(1e-9));
        match (&stopped, counterexamples.is_empty()) {
            (Some(_), true) => outln!("result             incomplete: no violation in the states explored"),
            (None, true) => outln!("result             every invariant holds"),
            _ => {}
        }
        for c in &counterexamples {
            for v in c["violations"].as_array().into_iter().flatten() {
                let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
                outln!("VIOLATION {} {} (spec #{}): {}", text("id"), text("name"), text("anchor"), text("message"));
            }
            outln!("shortest counterexample ({} moves):", c["moves"]);
            outln!("{}", output::json(&c["scenario"]));
        }
    }
    if let Some(dir) = out {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            errln!("fedcm: cannot create {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        for (i, c) in counterexamples.iter().enumerate() {
            let name = c["violations"][0]["name"].as_str().unwrap_or("violation");
            let path = dir.join(format!("counterexample-{:02}-{name}.json", i + 1));
            let text = output::json(&c["scenario"]);
            if let Err(e) = std::fs::write(&path, text + "\n") {
                errln!("fedcm: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if let Some(message) = &stopped {
        errln!("fedcm: {message}");
    }
    match (counterexamples.is_empty(), stopped) {
        (false, _) => ExitCode::from(1),
        (true, Some(_)) => ExitCode::from(EXIT_BOUND),
        (true, None) => ExitCode::SUCCESS,
    }
}
