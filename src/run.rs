//! `fedcm run`: scenario files through the model.

use fedcm_model::Profile;
use fedcm_workbench::render::render;
use fedcm_workbench::runner::{self, RunReport};
use fedcm_workbench::scenario::{Scenario, ScenarioError};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const DEFAULT_SCENARIO: &str = include_str!("defaults/scenario.json");

fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError(format!("cannot read: {e}")))?;
    Scenario::parse(&text)
}

pub fn main(path: Option<PathBuf>, json: bool, profile: Option<Profile>) -> ExitCode {
    match path {
        None => single(Scenario::parse(DEFAULT_SCENARIO), "(built-in scenario)", json, profile),
        Some(p) if p.is_dir() => directory(&p, json, profile),
        Some(p) => single(load(&p), &p.display().to_string(), json, profile),
    }
}

fn single(scenario: Result<Scenario, ScenarioError>, name: &str, json: bool, profile: Option<Profile>) -> ExitCode {
    report_one(scenario.and_then(|s| runner::run(&s, profile)), name, json)
}

/// Prints one run (text or JSON); exit 0 when it passed, 1 when not, 2 when
/// the scenario could not run.
fn report_one(report: Result<RunReport, ScenarioError>, name: &str, json: bool) -> ExitCode {
    match report {
        Err(e) => {
            eprintln!("fedcm: {name}: {e}");
            ExitCode::from(2)
        }
        Ok(r) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&r).expect("serializable"));
            } else {
                print!("{}", render(&r));
            }
            if r.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn directory(dir: &Path, json: bool, profile: Option<Profile>) -> ExitCode {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) => {
            eprintln!("fedcm: cannot read {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    files.sort();
    let progress = std::io::stderr().is_terminal() && !json;
    let mut results: Vec<(String, Result<RunReport, ScenarioError>)> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        if progress {
            let width = 30;
            let done = (i + 1) * width / files.len().max(1);
            eprint!("\r[{}{}] {}/{} ", "#".repeat(done), "-".repeat(width - done), i + 1, files.len());
        }
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        results.push((name, load(file).and_then(|s| runner::run(&s, profile))));
    }
    if progress {
        eprintln!();
    }
    let (mut passed, mut failed, mut bad) = (0, 0, 0);
    if json {
        let all: Vec<serde_json::Value> = results
            .iter()
            .map(|(name, r)| match r {
                Ok(r) => serde_json::json!({"file": name, "report": r}),
                Err(e) => serde_json::json!({"file": name, "invalid": e.0}),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&all).expect("serializable"));
    }
    let width = results.iter().map(|(n, _)| n.len()).max().unwrap_or(8).max(8);
    if !json {
        println!("{:<width$}  {:<8}  {:<10}  detail", "scenario", "result", "outcome");
    }
    for (name, r) in &results {
        let (result, outcome, detail) = match r {
            Err(e) => {
                bad += 1;
                ("INVALID", "-".to_string(), e.0.clone())
            }
            Ok(r) => {
                let outcome = match &r.error {
                    Some(e) => format!("{} ({})", e["name"].as_str().unwrap_or(""), e["reason"].as_str().unwrap_or("")),
                    None => r.outcome.to_string(),
                };
                if r.passed() {
                    passed += 1;
                    (if r.expect.checked { "pass" } else { "ran" }, outcome, String::new())
                } else {
                    failed += 1;
                    let mut detail = r.expect.failures.clone();
                    detail.extend(r.violations.iter().map(|v| v.to_string()));
                    ("FAIL", outcome, detail.join("; "))
                }
            }
        };
        if !json {
            println!("{name:<width$}  {result:<8}  {outcome:<10}  {detail}");
        }
    }
    if !json {
        println!("\n{} scenario(s): {passed} passed, {failed} failed, {bad} invalid", results.len());
    }
    if bad > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `fedcm probe --scenario`: the scenario's call over real HTTP.
pub fn over_http(path: &Path, transport: &fedcm_workbench::transport::HttpTransport, json: bool) -> ExitCode {
    let report = load(path).and_then(|s| runner::run_with(&s, None, &mut |r| transport.fetch(r)));
    report_one(report, &path.display().to_string(), json)
}
