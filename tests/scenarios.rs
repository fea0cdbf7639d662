//! Every scenario in tests/scenarios/ runs through the model and its
//! `expect` must hold. Together they must reach every state of the machine
//! and every rejection reason.

use fedcm_model::machine::outcome::Reason;
use fedcm_model::machine::state::State;
use fedcm_workbench::driver::{self, RunReport};
use fedcm_workbench::scenario::{Expectations, Scenario};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn corpus() -> Vec<(String, Scenario)> {
    fedcm_check::corpus::scenarios()
        .expect("tests/scenarios exists")
        .into_iter()
        .map(|e| {
            let scenario = Scenario::parse(&e.text).unwrap_or_else(|err| panic!("{}: {err}", e.name));
            (e.name, scenario)
        })
        .collect()
}

fn run_all() -> Vec<(String, RunReport)> {
    corpus()
        .into_iter()
        .map(|(name, s)| {
            let report = driver::run(&s, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, report)
        })
        .collect()
}

#[test]
fn every_scenario_states_and_meets_its_expectation() {
    let reports = run_all();
    assert!(reports.len() >= 60, "the corpus has only {} scenarios", reports.len());
    let mut failures = Vec::new();
    for (name, r) in &reports {
        if !r.expect.checked {
            failures.push(format!("{name}: states no expectation"));
        }
        for f in &r.expect.failures {
            failures.push(format!("{name}: {f}"));
        }
        for v in &r.violations {
            failures.push(format!("{name}: invariant {v}"));
        }
    }
    // A scenario that states an expectation per profile meets each one.
    for (name, s) in corpus() {
        let expectations = s.expect.iter().chain(s.steps.iter().flatten().filter_map(|step| step.expect.as_ref()));
        let mut profiles = BTreeSet::new();
        for e in expectations {
            if let Expectations::PerProfile(per) = e {
                profiles.extend(per.keys().copied());
            }
        }
        for profile in &profiles {
            let r = driver::run(&s, Some(*profile)).unwrap_or_else(|e| panic!("{name} ({profile}): {e}"));
            for f in &r.expect.failures {
                failures.push(format!("{name} ({profile}): {f}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_corpus_reaches_every_state() {
    let reports = run_all();
    let reached: BTreeSet<State> = reports.iter().flat_map(|(_, r)| r.traces().flat_map(|t| t.states())).collect();
    let missing: Vec<String> = State::ALL.iter().filter(|s| !reached.contains(s)).map(|s| s.name()).collect();
    assert!(missing.is_empty(), "no scenario reaches: {missing:?}");
}

#[test]
fn the_corpus_reaches_every_rejection_reason() {
    let reports = run_all();
    let reached: BTreeSet<String> = reports
        .iter()
        .flat_map(|(_, r)| r.errors())
        .filter_map(|e| e.get("reason")?.as_str().map(String::from))
        .collect();
    let all: Vec<String> = Reason::ALL.iter().map(|r| r.id()).collect();
    let missing: Vec<&String> = all.iter().filter(|r| !reached.contains(*r)).collect();
    assert!(missing.is_empty(), "no scenario rejects with: {missing:?}");
}

#[test]
fn the_built_in_scenario_resolves() {
    let s = Scenario::parse(include_str!("../src/defaults/scenario.json")).unwrap();
    let r = driver::run(&s, None).unwrap();
    assert!(r.passed(), "{:?}", r.expect.failures);
    assert_eq!(r.outcome, "resolve");
}

/// FNV-1a, 64 bits: a hash that stays the same across Rust releases (the
/// standard library's does not promise to), so the golden file below is
/// stable.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// Behaviour pinned: every scenario's whole report (outcome, trace,
/// requests, browser state after), under its own profile and under each
/// profile forced, hashes to the value in `tests/golden/scenario-reports.txt`.
/// A refactor that must not change behaviour must not change a line of it;
/// a change that means to regenerates the file with
/// `FEDCM_BLESS=1 cargo test --test scenarios` and says why in its commit.
#[test]
fn every_report_matches_its_golden_hash() {
    use fedcm_model::Profile;
    let golden_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/scenario-reports.txt");
    let mut lines = Vec::new();
    for (name, scenario) in corpus() {
        let forced = Profile::ALL.map(|p| (p.name(), Some(p)));
        for (label, profile) in std::iter::once(("own", None)).chain(forced) {
            // Forced to the other profile, a script may no longer fit the
            // questions asked: that error is pinned as well.
            let json = match driver::run(&scenario, profile) {
                Ok(report) => serde_json::to_string(&report).expect("a report serializes"),
                Err(e) => format!("error: {e}"),
            };
            lines.push(format!("{name} {label} {:016x}", fnv1a(json.as_bytes())));
        }
    }
    let now = lines.join("\n") + "\n";
    if std::env::var_os("FEDCM_BLESS").is_some() {
        std::fs::create_dir_all(golden_path.parent().unwrap()).unwrap();
        std::fs::write(&golden_path, &now).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(&golden_path).unwrap_or_default();
    let changed: Vec<&str> = now.lines().filter(|l| !golden.lines().any(|g| g == *l)).collect();
    assert!(
        changed.is_empty() && golden.lines().count() == now.lines().count(),
        "{} report(s) differ from tests/golden/scenario-reports.txt (compare `fedcm run FILE --json` with an \
         older build; regenerate with FEDCM_BLESS=1 if the change is meant):\n{}",
        changed.len(),
        changed.join("\n")
    );
}
