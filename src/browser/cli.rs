//! `fedcm browser SCENARIO|DIR`: each scenario in Chromium and in the
//! model (`--profile chromium`), one line per scenario, then a summary.
//! Exit status: 0 when every scenario agrees, 1 when one differs, 2 when a
//! file is not a scenario (or no file was given), 3 when none differs but
//! some could not run (no Chromium, or a scenario the harness cannot drive).

use super::chromium;
use super::compare::{compare, model_choosers, Comparison, ModelChooser};
use super::harness::{self, BrowserRun, Outcome};
use crate::driver::{self, RunReport};
use crate::escape;
use crate::scenario::Scenario;
use crate::{errln, input, outln, output};
use fedcm_model::Profile;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the command was asked.
#[derive(Debug, Clone)]
pub struct Options {
    pub path: PathBuf,
    pub json: bool,
    pub chromium: Option<PathBuf>,
    /// Run every scenario; else stop at the first that differs.
    pub keep_going: bool,
}

/// The most one scenario may take in the browser, whatever its steps'
/// own deadlines add up to; past it the browser is killed and the
/// scenario could not run.
pub(crate) const SCENARIO_DEADLINE: Duration = Duration::from_secs(60);

/// The exit statuses.
pub const EXIT_DIFFER: u8 = 1;
pub const EXIT_INVALID: u8 = 2;
pub const EXIT_COULD_NOT_RUN: u8 = 3;

/// One scenario's result.
#[derive(Debug, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub(crate) enum Verdict {
    Agree {
        comparison: Comparison,
        browser: Box<BrowserRun>,
        model: Box<ModelSide>,
    },
    Differ {
        comparison: Comparison,
        browser: Box<BrowserRun>,
        model: Box<ModelSide>,
    },
    CouldNotRun {
        reason: String,
        /// What the browser did when only the model could not run the
        /// scenario (its steps do not fit the model's prompts).
        #[serde(skip_serializing_if = "Option::is_none")]
        browser: Option<Box<BrowserRun>>,
    },
    /// The scenario says why it is not compared (`harness.skip`).
    Skipped {
        reason: String,
    },
    Invalid {
        reason: String,
    },
}

/// What `--json` keeps of the model's run: what the browser is compared on.
#[derive(Debug, Serialize)]
pub(crate) struct ModelSide {
    outcome: &'static str,
    credential: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
    requests: Vec<super::compare::Wire>,
    /// A single call's account choosers: title, subtitle, accounts' order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    choosers: Vec<ModelChooser>,
    /// A session's steps: each call's outcome and account choosers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    steps: Vec<ModelStep>,
}

/// What `--json` keeps of a session step of the model.
#[derive(Debug, Serialize)]
pub(crate) struct ModelStep {
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credential: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    choosers: Vec<ModelChooser>,
}

/// The error as the page sees it: the model's explanation is long and not
/// what the page sees.
fn page_error(error: &Option<serde_json::Value>) -> Option<serde_json::Value> {
    let mut error = error.clone();
    if let Some(serde_json::Value::Object(e)) = &mut error {
        e.remove("problems");
    }
    error
}

impl ModelSide {
    fn new(r: &RunReport) -> ModelSide {
        let steps = r
            .steps
            .iter()
            .map(|s| ModelStep {
                action: s.action,
                outcome: s.outcome,
                credential: s.credential.clone(),
                error: page_error(&s.error),
                choosers: s.trace.as_ref().map(model_choosers).unwrap_or_default(),
            })
            .collect();
        ModelSide {
            outcome: r.outcome,
            credential: r.credential.clone(),
            error: page_error(&r.error),
            requests: r.requests.iter().map(super::compare::Wire::from_model).collect(),
            choosers: if r.steps.is_empty() { model_choosers(&r.trace) } else { Vec::new() },
            steps,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) file: String,
    #[serde(flatten)]
    pub(crate) verdict: Verdict,
}

impl Row {
    /// The one-line text form.
    pub(crate) fn line(&self) -> String {
        let (what, detail, ms) = match &self.verdict {
            Verdict::Agree { browser, .. } => {
                let calls = browser.steps.iter().filter(|s| s.page.is_some()).count();
                let calls = if browser.steps.is_empty() { String::new() } else { format!("{calls} call(s), ") };
                ("agree", format!("{calls}{} request(s)", browser.requests.len()), Some(browser.total_ms))
            }
            Verdict::Differ { comparison, browser, .. } => {
                let first = comparison.differences.first().cloned().unwrap_or_default();
                let more = comparison.differences.len().saturating_sub(1);
                let more = if more > 0 { format!(" (+{more} more)") } else { String::new() };
                ("differ", format!("{first}{more}"), Some(browser.total_ms))
            }
            Verdict::CouldNotRun { reason, browser: None } => ("could not run", reason.clone(), None),
            Verdict::CouldNotRun { reason, browser: Some(b) } => {
                let seen = format!("{reason}; the browser: {}, dialogs {:?}", b.page.summary(), b.dialogs);
                ("could not run", seen, Some(b.total_ms))
            }
            Verdict::Skipped { reason } => ("skipped", reason.clone(), None),
            Verdict::Invalid { reason } => ("invalid", reason.clone(), None),
        };
        let time = ms.map(|ms| format!(" [{:.1} s]", ms as f64 / 1000.0)).unwrap_or_default();
        escape::line(&format!("{}: {what}: {detail}{time}", self.file)).into_owned()
    }
}

/// The `*.json` files of a directory, sorted, or the one file given.
fn files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{} holds no scenario files (*.json)", path.display()));
    }
    Ok(files)
}

async fn one(file: &Path, binary: &Path, deadline: Duration) -> Verdict {
    let invalid = |reason: String| Verdict::Invalid { reason };
    let scenario = match input::read_scenario(file).map_err(Into::into).and_then(|t| Scenario::parse(&t)) {
        Ok(s) => s,
        Err(e) => return invalid(e.to_string()),
    };
    one_scenario(&scenario, binary, deadline).await
}

/// A parsed scenario in the browser and in the model.
pub(crate) async fn one_scenario(scenario: &Scenario, binary: &Path, deadline: Duration) -> Verdict {
    let invalid = |reason: String| Verdict::Invalid { reason };
    if let Err(e) = scenario.validate().and_then(|_| scenario.validate_for_http()) {
        return invalid(e.to_string());
    }
    if let Some(skip) = &scenario.harness {
        if skip.skip.trim().is_empty() {
            return invalid("harness.skip must say why the scenario is skipped".into());
        }
        return Verdict::Skipped { reason: skip.skip.clone() };
    }
    let plan = match super::plan::plan(scenario) {
        Ok(p) => p,
        Err(reason) => return Verdict::CouldNotRun { reason, browser: None },
    };
    let model = driver::run(scenario, Some(Profile::Chromium));
    // Dropping the run on timeout kills the browser and stops the mock.
    let Ok(outcome) = tokio::time::timeout(deadline, harness::run(scenario, &plan, binary)).await else {
        let reason = format!("the scenario took over {} s in the browser; it was stopped", deadline.as_secs_f64());
        return Verdict::CouldNotRun { reason, browser: None };
    };
    // When only the model cannot follow the steps, what the browser did
    // shows how the scenario would have to change.
    let model = match model {
        Ok(r) => r,
        Err(e) => {
            let browser = match outcome {
                Outcome::Ran(b) => Some(b),
                Outcome::CouldNotRun(_) => None,
            };
            return Verdict::CouldNotRun { reason: format!("the model cannot run it: {e}"), browser };
        }
    };
    match outcome {
        Outcome::CouldNotRun(reason) => Verdict::CouldNotRun { reason, browser: None },
        Outcome::Ran(browser) => {
            let comparison = compare(&model, &browser);
            let model = Box::new(ModelSide::new(&model));
            if comparison.agrees() {
                Verdict::Agree { comparison, browser, model }
            } else {
                Verdict::Differ { comparison, browser, model }
            }
        }
    }
}

/// The async runtime, the Chromium binary and its version (printed unless
/// `json`); else the exit status, the reason printed.
pub(crate) fn start(chromium: Option<&Path>, json: bool) -> Result<(tokio::runtime::Runtime, PathBuf, String), u8> {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            errln!("fedcm: cannot start the async runtime: {e}");
            return Err(EXIT_COULD_NOT_RUN);
        }
    };
    let binary = match chromium::find(chromium) {
        Ok(b) => b,
        Err(e @ chromium::LaunchError::Missing(_)) => {
            errln!("fedcm: {e}");
            return Err(EXIT_INVALID);
        }
        Err(e) => {
            errln!("fedcm: could not run: {e}");
            return Err(EXIT_COULD_NOT_RUN);
        }
    };
    let version = match runtime.block_on(chromium::version(&binary, Duration::from_secs(10))) {
        Ok(v) => v,
        Err(e) => {
            errln!("fedcm: could not run: {}: {e}", binary.display());
            return Err(EXIT_COULD_NOT_RUN);
        }
    };
    if !json {
        outln!("chromium: {} ({})", escape::line(&version), binary.display());
    }
    Ok((runtime, binary, version))
}

/// Runs the command; the exit status.
pub fn main(options: Options) -> u8 {
    let files = match files(&options.path) {
        Ok(f) => f,
        Err(e) => {
            errln!("fedcm: {e}");
            return EXIT_INVALID;
        }
    };
    let (runtime, binary, version) = match start(options.chromium.as_deref(), options.json) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let mut rows = Vec::new();
    for file in &files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let verdict = runtime.block_on(one(file, &binary, SCENARIO_DEADLINE));
        let row = Row { file: name, verdict };
        if !options.json {
            outln!("{}", row.line());
        }
        let differs = matches!(row.verdict, Verdict::Differ { .. });
        rows.push(row);
        if differs && !options.keep_going {
            break;
        }
    }
    // Stopped at the first difference: the rest were not run.
    let not_run = files.len() - rows.len();
    let count = |f: &dyn Fn(&Verdict) -> bool| rows.iter().filter(|r| f(&r.verdict)).count();
    let ran = |c: &dyn Fn(&Comparison) -> bool| {
        count(&|v| matches!(v, Verdict::Agree { comparison, .. } | Verdict::Differ { comparison, .. } if c(comparison)))
    };
    let summary = serde_json::json!({
        "scenarios": rows.len(),
        "agree": count(&|v| matches!(v, Verdict::Agree { .. })),
        "agree_on_outcome": ran(&|c| c.outcome_agrees),
        "agree_on_requests": ran(&|c| c.requests_agree),
        "agree_on_dialogs": ran(&|c| c.dialogs_agree),
        "differ": count(&|v| matches!(v, Verdict::Differ { .. })),
        "could_not_run": count(&|v| matches!(v, Verdict::CouldNotRun { .. })),
        "skipped": count(&|v| matches!(v, Verdict::Skipped { .. })),
        "invalid": count(&|v| matches!(v, Verdict::Invalid { .. })),
        "not_run": not_run,
    });
    if options.json {
        let out = serde_json::json!({
            "chromium": {"binary": binary.display().to_string(), "version": version},
            "model_profile": "chromium",
            "results": rows,
            "summary": summary,
        });
        outln!("{}", output::json(&out));
    } else if files.len() > 1 {
        let n = |k: &str| summary[k].as_u64().unwrap_or(0);
        let ran = n("agree") + n("differ");
        outln!(
            "\n{} scenario(s), {ran} run in both: agree {}, agree on outcome {}, agree on requests {}, agree on dialogs {}, differ {}, could not run {}, skipped {}, invalid {}",
            rows.len(),
            n("agree"),
            n("agree_on_outcome"),
            n("agree_on_requests"),
            n("agree_on_dialogs"),
            n("differ"),
            n("could_not_run"),
            n("skipped"),
            n("invalid")
        );
    }
    if not_run > 0 && !options.json {
        outln!("stopped at the first difference: {not_run} scenario(s) not run (--keep-going runs them all)");
    }
    if summary["invalid"].as_u64() > Some(0) {
        EXIT_INVALID
    } else if summary["differ"].as_u64() > Some(0) {
        EXIT_DIFFER
    } else if summary["could_not_run"].as_u64() > Some(0) {
        EXIT_COULD_NOT_RUN
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict_of(test: &str, text: &str) -> Verdict {
        let dir = std::env::temp_dir().join(format!("fedcm-browser-cli-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("s.json");
        std::fs::write(&file, text).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // No browser is started for a skipped or invalid file: the path is never used.
        let verdict = rt.block_on(one(&file, Path::new("/nonexistent/chromium"), SCENARIO_DEADLINE));
        std::fs::remove_dir_all(&dir).ok();
        verdict
    }

    fn with_harness(harness: serde_json::Value) -> String {
        let text = include_str!("../../tests/scenarios/121-assertion-network-error.json");
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["harness"] = harness;
        v.to_string()
    }

    #[test]
    fn a_documented_skip_is_reported_with_its_reason_and_starts_no_browser() {
        let v = verdict_of("skip", &with_harness(serde_json::json!({"skip": "a transport artifact"})));
        assert!(matches!(&v, Verdict::Skipped { reason } if reason == "a transport artifact"), "{v:?}");
    }

    #[test]
    fn a_skip_without_a_reason_is_an_invalid_file() {
        assert!(matches!(
            verdict_of("blank", &with_harness(serde_json::json!({"skip": " "}))),
            Verdict::Invalid { .. }
        ));
        assert!(matches!(
            verdict_of("unknown", &with_harness(serde_json::json!({"skip": "x", "also": 1}))),
            Verdict::Invalid { .. }
        ));
    }

    #[test]
    fn a_scenario_that_outlasts_its_deadline_is_stopped_and_could_not_run() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("fedcm-browser-hang-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A "browser" that starts and never says where DevTools listens.
        let fake = dir.join("chromium");
        std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("s.json");
        std::fs::write(&file, include_str!("../../tests/scenarios/044-well-known-404.json")).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let verdict = rt.block_on(one(&file, &fake, Duration::from_millis(500)));
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            matches!(&verdict, Verdict::CouldNotRun { reason, .. } if reason.contains("took over 0.5 s")),
            "{verdict:?}"
        );
    }
}
