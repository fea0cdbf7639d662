//! `fedcm browser --generate N --seed S`: N worlds of the fuzz harness
//! (`fedcm_check::fuzz::world`), drawn deterministically from S, each
//! turned into a scenario and compared in Chromium and in the model as
//! `fedcm browser FILE` compares a file. Each disagreement is minimized
//! ([`super::minimize`]) and written to `target/browser-disagreements/`.
//!
//! A world is kept only when its scenario is the same run: the scenario's
//! model run must end as the world's own fuzz run did, with the same
//! requests. A world the format cannot say (a response without
//! Content-Type, a body that is not UTF-8, a script whose order of answers
//! matters) could not run, "not expressible", and is counted by reason.

use super::cli::{self, Row, Verdict, EXIT_COULD_NOT_RUN, EXIT_DIFFER, EXIT_INVALID, SCENARIO_DEADLINE};
use super::compare::Wire;
use super::minimize;
use crate::driver::{self, RunReport};
use crate::scenario::Scenario;
use crate::{escape, input, outln, output};
use arbitrary::{Arbitrary, Unstructured};
use fedcm_check::fuzz::world::{self, World};
use fedcm_model::trace::Event;
use fedcm_model::Profile;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the command was asked.
#[derive(Debug, Clone)]
pub struct Options {
    pub count: u64,
    pub seed: u64,
    pub json: bool,
    pub chromium: Option<PathBuf>,
}

/// Where the disagreements go, relative to the current directory.
pub const OUT_DIR: &str = "target/browser-disagreements";

/// A world is decoded from at most 2^`k` bytes, `k` drawn evenly from
/// these (log-uniform lengths). `arbitrary` fills what the bytes run out of
/// with zeros, and zeros are the first template everywhere: short strings
/// give well-formed worlds (the same few, under 32 bytes), long ones
/// garbage (at 512, nine in ten are worlds the harness cannot drive).
const LENGTH_BITS: std::ops::RangeInclusive<u64> = 5..=9;

/// splitmix64: a tiny, well-mixed generator, enough to spread a seed into
/// bytes; the same seed and index give the same world on every machine.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// World `index` of `seed`, under the chromium profile (it is compared with
/// Chromium).
pub fn world(seed: u64, index: u64) -> World {
    let mut rng = SplitMix64(SplitMix64(seed).next() ^ index);
    let bits = LENGTH_BITS.start() + rng.next() % (LENGTH_BITS.end() - LENGTH_BITS.start() + 1);
    let len = rng.next() % (1 << bits);
    let mut bytes = Vec::new();
    while (bytes.len() as u64) < len {
        bytes.extend_from_slice(&rng.next().to_le_bytes());
    }
    bytes.truncate(len as usize);
    let mut world = World::arbitrary(&mut Unstructured::new(&bytes)).unwrap_or_default();
    world.chromium = true;
    world.older = false;
    world.firefox = false;
    world
}

/// The world as a scenario whose model run is the world's own fuzz run,
/// or why there is none (a "not expressible: ..." reason, or a fuzz run
/// that panicked: a model bug the fuzzer would report).
pub fn scenario_of(world: &World) -> Result<(Value, Scenario), String> {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| world::run(world))).map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("the world's fuzz run panicked (a model bug): {message}")
    })?;
    let not = |why: String| format!("not expressible: {why}");
    let value = world::scenario(world, &run).map_err(not)?;
    let text = value.to_string();
    if text.len() > input::MAX_SCENARIO_BYTES {
        return Err(not(format!("the scenario is over the {} byte file limit", input::MAX_SCENARIO_BYTES)));
    }
    let scenario = Scenario::parse(&text).map_err(|e| not(format!("the scenario does not parse ({e})")))?;
    if let Err(e) = scenario.validate_for_http() {
        return Err(format!("not expressible over HTTP: {e}"));
    }
    let report = driver::run(&scenario, Some(Profile::Chromium)).map_err(|e| not(format!("the model: {e}")))?;
    same_run(&run, &report).map_err(not)?;
    Ok((value, scenario))
}

/// Whether the scenario's model run ended as the world's run did, after the
/// same requests (as a set: the script may answer them in another order).
fn same_run(run: &world::Run, report: &RunReport) -> Result<(), String> {
    let settled = report.trace.events.iter().find_map(|e| match e {
        Event::Settled { outcome } => Some(outcome),
        _ => None,
    });
    let value = |o: Option<&fedcm_model::machine::outcome::Outcome>| serde_json::to_value(o).unwrap_or_default();
    if value(run.flow.outcome()) != value(settled) {
        return Err("the outcome depends on the order the script answered in".into());
    }
    let wires = |requests: &mut dyn Iterator<Item = &fedcm_model::machine::fetch::FetchRequest>| {
        let mut v: Vec<String> = requests.map(|r| format!("{:?}", Wire::from_model(r))).collect();
        v.sort();
        v
    };
    if wires(&mut run.flow.trace().requests()) != wires(&mut report.requests.iter()) {
        return Err("the requests depend on the order the script answered in".into());
    }
    Ok(())
}

/// A could-not-run reason without its particulars, to count by.
fn reason_class(reason: &str) -> String {
    // `user[3]: Login { .. } is not driven yet (...)`: the step's kind.
    if let Some(rest) = reason.strip_prefix("user[").and_then(|r| r.split_once("]: ")).map(|(_, r)| r) {
        let kind: String = rest.chars().take_while(char::is_ascii_alphanumeric).collect();
        return format!("user step {kind} is not driven yet");
    }
    // `idp["GET ..."][1].status: 0 cannot be sent ...`: the member at fault.
    if let Some(rest) = reason.strip_prefix("not expressible over HTTP: ") {
        let member = rest.rsplit_once("].").map_or("", |(_, m)| m);
        let member: String = member.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        return format!("not expressible over HTTP: {member}");
    }
    // `not expressible: WHAT: particulars` or `WHAT (particulars)`.
    let cut = match reason.strip_prefix("not expressible: ") {
        Some(rest) => reason.len() - rest.len() + rest.find([':', '(']).unwrap_or(rest.len()),
        None => reason.find(':').unwrap_or(reason.len()),
    };
    reason[..cut].trim_end().chars().take(100).collect()
}

/// One world's result.
#[derive(Debug, Serialize)]
struct WorldRow {
    world: u64,
    #[serde(flatten)]
    row: Row,
    /// The minimized scenario written for a disagreement.
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<String>,
}

/// Writes a disagreement's scenario to `dir`; the path.
pub fn write(dir: &Path, name: &str, description: &str, scenario: &Value) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut out = scenario.clone();
    out["name"] = json!(name);
    out["description"] = json!(description);
    let path = dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Runs the command; the exit status.
pub fn main(options: Options) -> u8 {
    let (runtime, binary, version) = match cli::start(options.chromium.as_deref(), options.json) {
        Ok(started) => started,
        Err(code) => return code,
    };
    // A world whose fuzz run panics is reported as a row, not on stderr.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut rows = Vec::new();
    // Scenario text -> the first world that gave it: short byte strings
    // often decode to the same world, counted once in the rate.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for index in 0..options.count {
        let name = format!("gen-{}-{index}", options.seed);
        let (verdict, value) = match scenario_of(&world(options.seed, index)) {
            Err(reason) => (Verdict::CouldNotRun { reason, browser: None }, None),
            Ok((value, scenario)) => match seen.get(&value.to_string()) {
                Some(first) => (Verdict::Skipped { reason: format!("the same scenario as {first}") }, None),
                None => {
                    seen.insert(value.to_string(), name.clone());
                    (runtime.block_on(cli::one_scenario(&scenario, &binary, SCENARIO_DEADLINE)), Some(value))
                }
            },
        };
        let written = match (&verdict, value) {
            (Verdict::Differ { comparison, .. }, Some(value)) => {
                let first = comparison.differences.first().cloned().unwrap_or_default();
                let (small, runs) = minimize::minimize(&runtime, &binary, value, &first);
                let description = format!(
                    "Generated by `fedcm browser --generate {} --seed {}`: world {index}. {version} and the model (chromium profile) differ: {first}. Minimized in {runs} browser run(s).",
                    options.count, options.seed
                );
                Some(match write(Path::new(OUT_DIR), &name, &description, &small) {
                    Ok(path) => path.display().to_string(),
                    Err(e) => format!("not written: {e}"),
                })
            }
            _ => None,
        };
        let row = WorldRow { world: index, row: Row { file: name, verdict }, written };
        if !options.json {
            let to = row.written.as_ref().map(|p| format!(" -> {}", escape::line(p))).unwrap_or_default();
            outln!("{}{to}", row.row.line());
        }
        rows.push(row);
    }
    std::panic::set_hook(hook);
    let count = |f: &dyn Fn(&Verdict) -> bool| rows.iter().filter(|r| f(&r.row.verdict)).count();
    let agree = count(&|v| matches!(v, Verdict::Agree { .. }));
    let differ = count(&|v| matches!(v, Verdict::Differ { .. }));
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        if let Verdict::CouldNotRun { reason, .. } = &r.row.verdict {
            *by_reason.entry(reason_class(reason)).or_default() += 1;
        }
    }
    let could_not_run: usize = by_reason.values().sum();
    let invalid = count(&|v| matches!(v, Verdict::Invalid { .. }));
    let rate = (agree + differ > 0).then(|| differ as f64 / (agree + differ) as f64);
    let summary = json!({
        "worlds": rows.len(),
        "agree": agree,
        "differ": differ,
        "disagreement_rate": rate,
        "could_not_run": could_not_run,
        "could_not_run_by_reason": by_reason,
        // Skipped: the same scenario as an earlier world.
        "repeated": count(&|v| matches!(v, Verdict::Skipped { .. })),
        "invalid": invalid,
    });
    if options.json {
        let out = json!({
            "chromium": {"binary": binary.display().to_string(), "version": version},
            "model_profile": "chromium",
            "seed": options.seed,
            "results": rows,
            "summary": summary,
        });
        outln!("{}", output::json(&out));
    } else {
        let rate = rate.map_or("none ran".to_string(), |r| format!("{:.1}%", r * 100.0));
        outln!(
            "\n{} world(s) from seed {}, {} run in both: agree {agree}, differ {differ} (disagreement rate {rate}), could not run {could_not_run}, repeated {}, invalid {invalid}",
            rows.len(),
            options.seed,
            agree + differ,
            summary["repeated"]
        );
        let mut reasons: Vec<(&String, &usize)> = by_reason.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, n) in reasons {
            outln!("  {n:>5}  {}", escape::line(reason));
        }
    }
    if invalid > 0 {
        EXIT_INVALID
    } else if differ > 0 {
        EXIT_DIFFER
    } else if could_not_run > 0 {
        EXIT_COULD_NOT_RUN
    } else {
        0
    }
}

#[cfg(test)]
mod tests;
