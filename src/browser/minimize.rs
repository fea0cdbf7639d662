//! Greedy deletion over a scenario that Chromium and the model disagree
//! on: drop `user` steps from the end, IdP routes, responses from the end
//! of a list, members and elements of the IdP documents, and response
//! headers (the mock then sends its defaults), keeping each
//! cut after which the scenario is still valid, still driven by the
//! harness, and still differs with the same first difference. Each kept
//! or refused cut that reaches the browser is one run, at most
//! [`MAX_RUNS`] per disagreement.

use super::cli::{self, Verdict, SCENARIO_DEADLINE};
use crate::driver;
use crate::scenario::Scenario;
use fedcm_model::Profile;
use serde_json::Value;
use std::path::Path;

/// Browser runs one minimization may take.
pub const MAX_RUNS: usize = 40;
/// Cuts tried in all, the ones the browser never sees included.
const MAX_CUTS: usize = 400;
/// Cuts offered per document (a 1 MiB document has thousands of nodes).
const MAX_NODES: usize = 200;

/// One step of a path into the scenario's JSON.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// What to cut: the node at this path.
type Cut = Vec<Seg>;

/// The cuts to try on `v`, the biggest first.
fn cuts(v: &Value) -> Vec<Cut> {
    let key = |k: &str| Seg::Key(k.to_string());
    let mut out = Vec::new();
    if let Some(user) = v.get("user").and_then(Value::as_array).filter(|u| !u.is_empty()) {
        out.push(vec![key("user"), Seg::Index(user.len() - 1)]);
    }
    let Some(idp) = v.get("idp").and_then(Value::as_object) else { return out };
    for k in idp.keys() {
        out.push(vec![key("idp"), key(k)]);
    }
    for (k, r) in idp {
        match r {
            Value::Array(list) => {
                if list.len() > 1 {
                    out.push(vec![key("idp"), key(k), Seg::Index(list.len() - 1)]);
                }
                for (i, response) in list.iter().enumerate() {
                    for member in ["body", "headers"] {
                        let at = vec![key("idp"), key(k), Seg::Index(i), key(member)];
                        nodes(response.get(member), &at, &mut out);
                    }
                }
            }
            response => {
                for member in ["body", "headers"] {
                    nodes(response.get(member), &[key("idp"), key(k), key(member)], &mut out);
                }
            }
        }
    }
    out
}

/// Every node under `v` (at `at`), in pre-order, at most [`MAX_NODES`].
fn nodes(v: Option<&Value>, at: &[Seg], out: &mut Vec<Cut>) {
    fn go(v: &Value, at: &mut Vec<Seg>, out: &mut Vec<Cut>, left: &mut usize) {
        let children: Vec<(Seg, &Value)> = match v {
            Value::Object(o) => o.iter().map(|(k, x)| (Seg::Key(k.clone()), x)).collect(),
            Value::Array(a) => a.iter().enumerate().map(|(i, x)| (Seg::Index(i), x)).collect(),
            _ => return,
        };
        for (seg, child) in children {
            if *left == 0 {
                return;
            }
            *left -= 1;
            at.push(seg);
            out.push(at.clone());
            go(child, at, out, left);
            at.pop();
        }
    }
    if let Some(v) = v {
        let mut left = MAX_NODES;
        go(v, &mut at.to_vec(), out, &mut left);
    }
}

/// `v` without the node at `cut`; `None` if there is none.
fn without(v: &Value, cut: &[Seg]) -> Option<Value> {
    let (last, parent) = cut.split_last()?;
    let mut out = v.clone();
    let mut node = &mut out;
    for seg in parent {
        node = match (node, seg) {
            (Value::Object(o), Seg::Key(k)) => o.get_mut(k)?,
            (Value::Array(a), Seg::Index(i)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    match (node, last) {
        (Value::Object(o), Seg::Key(k)) => {
            o.remove(k)?;
        }
        (Value::Array(a), Seg::Index(i)) if *i < a.len() => {
            a.remove(*i);
        }
        _ => return None,
    }
    Some(out)
}

/// A cut scenario worth a browser run: it parses, HTTP can carry it, the
/// harness drives it and the model runs it.
fn runnable(v: &Value) -> Option<Scenario> {
    let scenario = Scenario::parse(&v.to_string()).ok()?;
    scenario.validate().ok()?;
    scenario.validate_for_http().ok()?;
    super::plan::plan(&scenario).ok()?;
    driver::run(&scenario, Some(Profile::Chromium)).ok()?;
    Some(scenario)
}

/// The smallest scenario found that still differs with `first` as its
/// first difference, and the browser runs it took.
pub fn minimize(runtime: &tokio::runtime::Runtime, binary: &Path, scenario: Value, first: &str) -> (Value, usize) {
    let mut current = scenario;
    let (mut runs, mut tried) = (0, 0);
    // A pass goes on after a kept cut from where it was (the cuts before
    // were refused on a bigger scenario), then starts over until a whole
    // pass keeps nothing.
    let mut from = 0;
    'pass: loop {
        for (i, cut) in cuts(&current).into_iter().enumerate().skip(from) {
            if runs >= MAX_RUNS || tried >= MAX_CUTS {
                break 'pass;
            }
            tried += 1;
            let Some(candidate) = without(&current, &cut) else { continue };
            let Some(parsed) = runnable(&candidate) else { continue };
            runs += 1;
            let verdict = runtime.block_on(cli::one_scenario(&parsed, binary, SCENARIO_DEADLINE));
            if matches!(&verdict, Verdict::Differ { comparison, .. }
                if comparison.differences.first().map(String::as_str) == Some(first))
            {
                current = candidate;
                from = i;
                continue 'pass;
            }
        }
        if from == 0 {
            break;
        }
        from = 0;
    }
    (current, runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cuts_go_from_the_last_user_step_to_the_documents_nodes() {
        let v = json!({
            "user": ["cancel", {"choose": "1"}],
            "idp": {
                "GET https://idp.example/a": [{"body": {"x": [1]}}, {"body": "raw"}],
                "GET https://idp.example/b": {"body": {"y": 2}, "headers": {"X-A": "1"}}
            }
        });
        let paths: Vec<String> = cuts(&v).iter().map(|c| format!("{c:?}")).collect();
        assert_eq!(paths.len(), 8, "{paths:#?}");
        assert_eq!(without(&v, &cuts(&v)[0]).unwrap()["user"], json!(["cancel"]));
        let body = without(&v, &cuts(&v)[6]).unwrap();
        assert_eq!(body["idp"]["GET https://idp.example/b"], json!({"body": {}, "headers": {"X-A": "1"}}));
        let header = without(&v, &cuts(&v)[7]).unwrap();
        assert_eq!(header["idp"]["GET https://idp.example/b"], json!({"body": {"y": 2}, "headers": {}}));
        let inner = cuts(&v).into_iter().find(|c| c.last() == Some(&Seg::Index(0)) && c.len() == 6).unwrap();
        assert_eq!(without(&v, &inner).unwrap()["idp"]["GET https://idp.example/a"][0]["body"], json!({"x": []}));
    }

    #[test]
    fn a_cut_that_is_not_there_is_no_candidate() {
        let v = json!({"user": []});
        assert!(without(&v, &[Seg::Key("user".into()), Seg::Index(0)]).is_none());
        assert!(without(&v, &[Seg::Key("idp".into()), Seg::Key("x".into())]).is_none());
        assert!(without(&v, &[]).is_none());
    }
}
