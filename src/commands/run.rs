//! `fedcm run`: scenario files through the model.

use fedcm_model::Profile;
use fedcm_workbench::driver::{self, RunReport};
use fedcm_workbench::render::render;
use fedcm_workbench::scenario::{Scenario, ScenarioError};
use fedcm_workbench::{errln, input, outln, output};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const DEFAULT_SCENARIO: &str = include_str!("../defaults/scenario.json");

fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = input::read_scenario(path)?;
    Scenario::parse(&text)
}

/// Which profiles `run` uses.
#[derive(Debug, Clone, Copy)]
pub enum Profiles {
    /// The scenario's own (or the one forced).
    One(Option<Profile>),
    /// Every profile, side by side.
    All,
}

pub fn main(path: Option<PathBuf>, json: bool, profiles: Profiles) -> ExitCode {
    let profile = match profiles {
        Profiles::One(p) => p,
        Profiles::All => {
            return match path {
                None => across(Scenario::parse(DEFAULT_SCENARIO), "(built-in scenario)", json),
                Some(p) if p.is_dir() => {
                    errln!("fedcm: --profile all takes one scenario file, not a directory");
                    ExitCode::from(2)
                }
                Some(p) => across(load(&p), &p.display().to_string(), json),
            }
        }
    };
    match path {
        None => single(Scenario::parse(DEFAULT_SCENARIO), "(built-in scenario)", json, profile),
        Some(p) if p.is_dir() => directory(&p, json, profile),
        Some(p) => single(load(&p), &p.display().to_string(), json, profile),
    }
}

/// One scenario under every profile: each one's outcome and assertion
/// body, then where they part. The exit status is the scenario's own
/// profile's (its `expect` is written for it).
fn across(scenario: Result<Scenario, ScenarioError>, name: &str, json: bool) -> ExitCode {
    let scenario = match scenario {
        Ok(s) => s,
        Err(e) => {
            errln!("fedcm: {name}: {e}");
            return ExitCode::from(2);
        }
    };
    let own = scenario.profile.unwrap_or_default();
    let runs: Vec<(Profile, Result<RunReport, ScenarioError>)> =
        Profile::ALL.iter().map(|&p| (p, driver::run(&scenario, Some(p)))).collect();
    let view = fedcm_workbench::generations::Across::new(&runs);
    if json {
        outln!("{}", output::json(&view.to_json(&runs)));
    } else {
        output::print(&view.render(&scenario.name, own));
    }
    match runs.iter().find(|(p, _)| *p == own).map(|(_, r)| r) {
        Some(Ok(r)) if r.passed() => ExitCode::SUCCESS,
        Some(Ok(_)) => ExitCode::from(1),
        _ => ExitCode::from(2),
    }
}

fn single(scenario: Result<Scenario, ScenarioError>, name: &str, json: bool, profile: Option<Profile>) -> ExitCode {
    report_one(scenario.and_then(|s| driver::run(&s, profile)), name, json)
}

/// Prints one run (text or JSON); exit 0 when it passed, 1 when not, 2 when
/// the scenario could not run.
fn report_one(report: Result<RunReport, ScenarioError>, name: &str, json: bool) -> ExitCode {
    match report {
        Err(e) => {
            errln!("fedcm: {name}: {e}");
            ExitCode::from(2)
        }
        Ok(r) => {
            if json {
                outln!("{}", output::json(&r));
            } else {
                output::print(&render(&r));
            }
            if r.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// One line of the directory summary: all that is kept of a report, so a
/// directory of any size runs in the memory of one scenario.
struct Row {
    name: String,
    result: &'static str,
    outcome: String,
    detail: String,
}

impl Row {
    fn new(name: String, report: &Result<RunReport, ScenarioError>) -> Row {
        let (result, outcome, detail) = match report {
            Err(e) => ("INVALID", "-".to_string(), e.to_string()),
            Ok(r) => {
                let outcome = match &r.error {
                    Some(e) => format!("{} ({})", e["name"].as_str().unwrap_or(""), e["reason"].as_str().unwrap_or("")),
                    None => r.outcome.to_string(),
                };
                if r.passed() {
                    (if r.expect.checked { "pass" } else { "ran" }, outcome, String::new())
                } else {
                    let mut detail = r.expect.failures.clone();
                    detail.extend(r.violations.iter().map(|v| v.to_string()));
                    ("FAIL", outcome, detail.join("; "))
                }
            }
        };
        Row { name, result, outcome, detail }
    }
}

/// The `*.json` regular files of `dir`, sorted; FIFOs, sockets and devices
/// named `*.json` are skipped with a note (reading one could block forever).
fn scenario_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if !m.is_file() => errln!("fedcm: skipping {}: not a regular file", path.display()),
            // A file, or one that cannot be read: its row says why.
            _ => files.push(path),
        }
    }
    files.sort();
    Ok(files)
}

fn directory(dir: &Path, json: bool, profile: Option<Profile>) -> ExitCode {
    let files = match scenario_files(dir) {
        Ok(files) => files,
        Err(e) => {
            errln!("fedcm: cannot read {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    if files.is_empty() {
        errln!("fedcm: {} holds no scenario files (*.json)", dir.display());
        return ExitCode::from(2);
    }
    let progress = std::io::stderr().is_terminal() && !json;
    let mut rows = Vec::with_capacity(files.len());
    // JSON is streamed: one array element per scenario as it finishes.
    if json {
        output::print("[");
    }
    for (i, file) in files.iter().enumerate() {
        if progress {
            let width = 30;
            let done = (i + 1) * width / files.len();
            output::progress(&format!(
                "\r[{}{}] {}/{} ",
                "#".repeat(done),
                "-".repeat(width - done),
                i + 1,
                files.len()
            ));
        }
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let report = load(file).and_then(|s| driver::run(&s, profile));
        if json {
            let element = match &report {
                Ok(r) => serde_json::json!({"file": name, "report": r}),
                Err(e) => serde_json::json!({"file": name, "invalid": e.to_string()}),
            };
            let separator = if i == 0 { "\n" } else { ",\n" };
            output::print(&format!("{separator}{}", output::json(&element)));
        }
        rows.push(Row::new(name, &report));
    }
    if progress {
        output::progress("\n");
    }
    if json {
        output::print("\n]\n");
    }
    let count = |result: &str| rows.iter().filter(|r| r.result == result).count();
    let (failed, bad) = (count("FAIL"), count("INVALID"));
    if !json {
        let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(8).max(8);
        let mut table = format!("{:<width$}  {:<8}  {:<10}  detail\n", "scenario", "result", "outcome");
        for r in &rows {
            table.push_str(&format!("{:<width$}  {:<8}  {:<10}  {}\n", r.name, r.result, r.outcome, r.detail));
        }
        let passed = rows.len() - failed - bad;
        table.push_str(&format!("\n{} scenario(s): {passed} passed, {failed} failed, {bad} invalid\n", rows.len()));
        output::print(&table);
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
    let report = load(path).and_then(|s| driver::run_with(&s, None, &mut |r| transport.fetch(r)));
    report_one(report, &path.display().to_string(), json)
}
