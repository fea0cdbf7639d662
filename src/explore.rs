//! `fedcm explore`: the bounded model checker's front end.

use fedcm_model::explore::{self, to_scenario};
use fedcm_model::Profile;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

pub fn main(depth: usize, profiles: &[Profile], out: Option<PathBuf>, json: bool) -> ExitCode {
    let starts = explore::starts(profiles);
    let began = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let report = explore::explore(&starts, depth, |done, stats| {
        let line = format!(
            "[{done}/{}] {} states visited, {} distinct, {:.1}s",
            starts.len(),
            stats.visited,
            stats.distinct,
            began.elapsed().as_secs_f64()
        );
        if tty {
            eprint!("\r{line}   ");
        } else if done % 12 == 0 || done == starts.len() {
            eprintln!("{line}");
        }
        let _ = std::io::stderr().flush();
    });
    if tty {
        eprintln!();
    }
    let elapsed = began.elapsed().as_secs_f64();
    let s = &report.stats;
    if json {
        let v = serde_json::json!({
            "depth": depth,
            "seconds": elapsed,
            "stats": s,
            "invariants": fedcm_model::invariants::ALL.len(),
            "counterexamples": report.counterexamples.iter().map(|c| serde_json::json!({
                "violations": c.violations, "scenario": to_scenario(c)})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("serializable"));
    } else {
        println!("depth bound        {depth}");
        println!("starting configs   {}", s.starts);
        println!("transitions        {}", s.transitions);
        println!("states checked     {}", s.visited);
        println!("distinct states    {}", s.distinct);
        println!("settled states     {}", s.settled);
        println!("deepest path       {}", s.max_depth);
        println!("invariants checked {} in every state", fedcm_model::invariants::ALL.len());
        println!("time               {elapsed:.2}s ({:.0} states/s)", s.visited as f64 / elapsed.max(1e-9));
        if report.counterexamples.is_empty() {
            println!("result             every invariant holds");
        }
        for c in &report.counterexamples {
            for v in &c.violations {
                println!("VIOLATION {v}");
            }
            println!("shortest counterexample ({} moves):", c.moves.len());
            println!("{}", serde_json::to_string_pretty(&to_scenario(c)).expect("serializable"));
        }
    }
    if let Some(dir) = out {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("fedcm: cannot create {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        for (i, c) in report.counterexamples.iter().enumerate() {
            let path = dir.join(format!("counterexample-{:02}-{}.json", i + 1, c.violations[0].name));
            let text = serde_json::to_string_pretty(&to_scenario(c)).expect("serializable");
            if let Err(e) = std::fs::write(&path, text + "\n") {
                eprintln!("fedcm: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if report.counterexamples.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
