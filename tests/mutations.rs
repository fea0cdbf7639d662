//! The mutation check: each guard of the machine, switched off in turn,
//! must make at least one invariant (over the bounded exploration) or one
//! scenario fail. A guard no test notices would be an untested guard; an
//! invariant no mutation breaks would be a property that cannot fail.
//!
//! Run with `cargo test --release --features mutations --test mutations -- --nocapture`
//! (about three minutes in release mode; CI runs it).
#![cfg(feature = "mutations")]

use fedcm_check::{explore, pairs};
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

/// Depth of the two-call exploration per mutation: both calls through
/// their first dialogs.
const PAIR_DEPTH: usize = 12;

fn check(m: Option<Mutation>, starts: &[explore::Start], corpus: &[(String, Scenario)]) -> Caught {
    mutation::set(m);
    let report = explore::explore(starts, DEPTH, |_, _| {});
    let mut invariants: BTreeSet<&'static str> =
        report.counterexamples.iter().flat_map(|c| c.violations.iter().map(|v| v.id)).collect();
    let pairs = pairs::explore(&pairs::starts(&Profile::ALL), PAIR_DEPTH);
    invariants.extend(pairs.counterexamples.iter().flat_map(|c| c.violations.iter().map(|v| v.id)));
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
    let all = fedcm_check::invariants::ALL.iter().map(|i| i.id);
    let session = fedcm_check::invariants::SESSION_ALL.iter().map(|i| i.id);
    let never: Vec<&str> = all.chain(session).filter(|id| !broken.contains(id)).collect();
    println!("invariants no mutation breaks: {never:?}");
    assert!(uncaught.is_empty(), "mutations no test catches: {uncaught:?}");
    // An invariant no broken guard can violate is a property that cannot
    // fail: add a mutation that breaks it (model/src/mutation.rs).
    assert!(never.is_empty(), "invariants no mutation breaks: {never:?}");
}

/// One run's whole report, or its error, as the golden test pins it.
fn report(s: &Scenario, profile: Profile) -> String {
    match driver::run(s, Some(profile)) {
        Ok(r) => serde_json::to_string(&r).expect("a report serializes"),
        Err(e) => format!("error: {e}"),
    }
}

/// Every choice of the rule table is reached by a scenario: for each member
/// and each value some profile gives it, another profile given that value
/// alone changes some scenario's report. A choice no scenario notices is a
/// line of the table that nothing pins.
#[test]
fn every_rule_of_the_table_is_reached_by_a_scenario() {
    use fedcm_model::profile::Rules;
    use serde_json::Value;
    let corpus = corpus();
    let baseline: Vec<Vec<String>> =
        Profile::ALL.iter().map(|p| corpus.iter().map(|(_, s)| report(s, *p)).collect()).collect();
    let table: Vec<serde_json::Map<String, Value>> = Profile::ALL
        .iter()
        .map(|p| match serde_json::to_value(p.rules()) {
            Ok(Value::Object(m)) => m,
            other => panic!("rules serialize to an object: {other:?}"),
        })
        .collect();
    let (mut unreached, mut same) = (Vec::new(), Vec::new());
    for member in table[0].keys() {
        let mut values: Vec<&Value> = Vec::new();
        for t in &table {
            if !values.contains(&&t[member]) {
                values.push(&t[member]);
            }
        }
        if values.len() < 2 {
            same.push(member.clone());
            continue;
        }
        for value in values {
            let hit =
                Profile::ALL.iter().enumerate().filter(|(i, _)| table[*i][member] != *value).find_map(|(i, p)| {
                    let mut swapped = table[i].clone();
                    swapped.insert(member.clone(), value.clone());
                    let rules: Rules = serde_json::from_value(Value::Object(swapped)).expect("rules deserialize");
                    mutation::set_rules(Some((*p, Box::leak(Box::new(rules)))));
                    let hit = corpus.iter().zip(&baseline[i]).find(|((_, s), before)| report(s, *p) != **before);
                    mutation::set_rules(None);
                    hit.map(|((name, _), _)| format!("{p}: {name}"))
                });
            let choice = format!("{member} = {value}");
            match hit {
                Some(how) => println!("{choice:<48} {how}"),
                None => unreached.push(choice),
            }
        }
    }
    // The table holds only rules where the profiles differ.
    assert!(same.is_empty(), "rules the same in every profile: {same:?}");
    assert!(unreached.is_empty(), "choices of the rule table no scenario reaches: {unreached:?}");
}
