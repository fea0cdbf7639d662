//! The mutation check: each guard of the machine, switched off in turn,
//! must make at least one invariant (over the bounded exploration) or one
//! scenario fail. A guard no test notices would be an untested guard; an
//! invariant no mutation breaks would be a property that cannot fail.
//!
//! Run with `cargo test --release --features mutations --test mutations -- --nocapture`
//! (about three minutes in release mode; CI runs it).
#![cfg(feature = "mutations")]

use fedcm_check::explore;
use fedcm_model::mutation::{self, Mutation};
use fedcm_model::Profile;
use fedcm_workbench::driver;
use fedcm_workbench::scenario::Scenario;
use std::collections::BTreeSet;

/// Depth of the exploration per mutation: enough to reach the assertion,
/// continuation and error dialog from every start.
const DEPTH: usize = 6;

fn corpus() -> Vec<(String, Scenario)> {
    fedcm_check::corpus::scenarios().unwrap().into_iter().map(|e| (e.name, Scenario::parse(&e.text).unwrap())).collect()
}

struct Caught {
    invariants: BTreeSet<&'static str>,
    scenarios: Vec<String>,
}

fn check(m: Option<Mutation>, starts: &[explore::Start], corpus: &[(String, Scenario)]) -> Caught {
    mutation::set(m);
    let report = explore::explore(starts, DEPTH, |_, _| {});
    let mut invariants: BTreeSet<&'static str> =
        report.counterexamples.iter().flat_map(|c| c.violations.iter().map(|v| v.id)).collect();
    let mut scenarios = Vec::new();
    for (name, s) in corpus {
        match driver::run(s, None) {
            Ok(r) if r.passed() => {}
            Ok(r) => {
                invariants.extend(r.violations.iter().map(|v| v.id));
                scenarios.push(name.clone());
            }
            Err(_) => scenarios.push(name.clone()),
        }
    }
    mutation::set(None);
    Caught { invariants, scenarios }
}

#[test]
fn every_mutation_is_caught_and_the_unmutated_model_passes() {
    let starts = explore::starts(&Profile::ALL);
    let corpus = corpus();
    let clean = check(None, &starts, &corpus);
    assert!(clean.invariants.is_empty() && clean.scenarios.is_empty(), "the unmutated model fails");

    let mut uncaught = Vec::new();
    let mut broken: BTreeSet<&'static str> = BTreeSet::new();
    println!("{:<34} {:<28} scenarios failing", "mutation", "invariants violated");
    for m in Mutation::ALL {
        let caught = check(Some(m), &starts, &corpus);
        broken.extend(caught.invariants.iter().copied());
        let invs: Vec<&str> = caught.invariants.iter().copied().collect();
        println!("{:<34} {:<28} {}", m.name(), invs.join(","), caught.scenarios.len());
        if caught.invariants.is_empty() && caught.scenarios.is_empty() {
            uncaught.push(m.name());
        }
    }
    let never: Vec<&str> =
        fedcm_check::invariants::ALL.iter().map(|i| i.id).filter(|id| !broken.contains(id)).collect();
    println!("invariants no mutation breaks: {never:?}");
    assert!(uncaught.is_empty(), "mutations no test catches: {uncaught:?}");
    // An invariant no broken guard can violate is a property that cannot
    // fail: add a mutation that breaks it (model/src/mutation.rs).
    assert!(never.is_empty(), "invariants no mutation breaks: {never:?}");
}
