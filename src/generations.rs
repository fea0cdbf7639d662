//! Every profile side by side: what `fedcm run --profile all` prints for
//! one scenario, and what `fedcm profiles` lists. The question it answers
//! is an IdP engineer's: does this work in every generation of the spec
//! and of the browsers my users have, and where not, why?

use crate::browser::compare::js_type;
use crate::driver::RunReport;
use crate::scenario::ScenarioError;
use fedcm_model::machine::fetch::FetchKind;
use fedcm_model::profile::Rules;
use fedcm_model::Profile;
use serde_json::{json, Value};

/// One profile's run, reduced to what generations differ in.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    /// `resolve "t0k3n" (string)`, `reject IdentityCredentialError (idp-error)`.
    outcome: String,
    /// The assertion request's body, if one was sent.
    assertion: Option<String>,
}

impl Seen {
    fn new(run: &Result<RunReport, ScenarioError>) -> Seen {
        let Ok(r) = run else {
            let why = run.as_ref().err().map(ToString::to_string).unwrap_or_default();
            return Seen { outcome: format!("cannot run: {why}"), assertion: None };
        };
        let outcome = match (&r.credential, &r.error) {
            (Some(c), _) => {
                let token = c.get("token").cloned().unwrap_or(Value::Null);
                format!("resolve {token} ({})", js_type(&token))
            }
            (None, Some(e)) => format!(
                "reject {} ({})",
                e.get("name").and_then(Value::as_str).unwrap_or("?"),
                e.get("reason").and_then(Value::as_str).unwrap_or("?")
            ),
            (None, None) => r.outcome.to_string(),
        };
        let assertion = r.requests.iter().find(|q| q.kind == FetchKind::Assertion).and_then(|q| q.body.clone());
        Seen { outcome, assertion }
    }
}

/// Profiles grouped by what they share, in profile order.
fn groups<T: PartialEq>(items: &[(Profile, T)]) -> Vec<(Vec<Profile>, &T)> {
    let mut out: Vec<(Vec<Profile>, &T)> = Vec::new();
    for (p, v) in items {
        match out.iter_mut().find(|(_, w)| *w == v) {
            Some((ps, _)) => ps.push(*p),
            None => out.push((vec![*p], v)),
        }
    }
    out
}

/// Profile names, comma-separated.
pub(crate) fn names(ps: &[Profile]) -> String {
    ps.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
}

/// One scenario under every profile.
pub struct Across {
    seen: Vec<(Profile, Seen)>,
}

impl Across {
    pub fn new(runs: &[(Profile, Result<RunReport, ScenarioError>)]) -> Across {
        Across { seen: runs.iter().map(|(p, r)| (*p, Seen::new(r))).collect() }
    }

    /// The text view: one line per profile, then where they part.
    pub fn render(&self, name: &str, own: Profile) -> String {
        let width = Profile::ALL.iter().map(|p| p.name().len()).max().unwrap_or(0);
        let mut out = format!("scenario: {name} (its own profile: {own})\n");
        for (p, s) in &self.seen {
            out.push_str(&format!("  {:width$}  {}\n", p.name(), s.outcome));
        }
        let bodies: Vec<(Profile, Option<String>)> = self.seen.iter().map(|(p, s)| (*p, s.assertion.clone())).collect();
        if bodies.iter().any(|(_, b)| b.is_some()) {
            out.push_str("assertion request body:\n");
            for (ps, body) in groups(&bodies) {
                let body = body.as_deref().unwrap_or("(no assertion request)");
                out.push_str(&format!("  {}: {body}\n", names(&ps)));
            }
        }
        out.push_str(&self.verdict());
        out
    }

    /// "all profiles agree", or each part of the disagreement.
    fn verdict(&self) -> String {
        let outcomes: Vec<(Profile, String)> = self.seen.iter().map(|(p, s)| (*p, s.outcome.clone())).collect();
        let by_outcome = groups(&outcomes);
        let bodies: Vec<(Profile, Option<String>)> = self.seen.iter().map(|(p, s)| (*p, s.assertion.clone())).collect();
        let by_body = groups(&bodies);
        if by_outcome.len() == 1 && by_body.len() == 1 {
            return "every profile agrees\n".into();
        }
        let mut out = String::new();
        if by_outcome.len() > 1 {
            let parts: Vec<String> = by_outcome.iter().map(|(ps, o)| format!("{} {o}", names(ps))).collect();
            out.push_str(&format!("profiles differ in the outcome: {}\n", parts.join("; ")));
        }
        if by_body.len() > 1 {
            let parts: Vec<String> = by_body.iter().map(|(ps, _)| names(ps)).collect();
            out.push_str(&format!("profiles differ in the assertion body: [{}]\n", parts.join("] [")));
        }
        out
    }

    /// The JSON view: every profile's whole report, and the grouping.
    pub fn to_json(&self, runs: &[(Profile, Result<RunReport, ScenarioError>)]) -> Value {
        let reports: serde_json::Map<String, Value> = runs
            .iter()
            .map(|(p, r)| {
                let v = match r {
                    Ok(r) => serde_json::to_value(r).unwrap_or(Value::Null),
                    Err(e) => json!({"error": e.to_string()}),
                };
                (p.name().to_string(), v)
            })
            .collect();
        let outcomes: Vec<(Profile, String)> = self.seen.iter().map(|(p, s)| (*p, s.outcome.clone())).collect();
        let groups: Vec<Value> = groups(&outcomes)
            .into_iter()
            .map(|(ps, o)| json!({"profiles": ps.iter().map(|p| p.name()).collect::<Vec<_>>(), "outcome": o}))
            .collect();
        json!({"profiles": reports, "outcome_groups": groups})
    }
}

/// `fedcm profiles`: one line per profile; with `rules`, every rule where
/// the profiles differ and what each does.
pub fn list(rules: bool) -> String {
    let width = Profile::ALL.iter().map(|p| p.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for p in Profile::ALL {
        out.push_str(&format!("{:width$}  {}\n", p.name(), p.summary()));
    }
    if rules {
        out.push('\n');
        for (rule, values) in rule_rows() {
            out.push_str(&format!("{rule}\n"));
            for (ps, v) in groups(&values) {
                out.push_str(&format!("  {}: {v}\n", names(&ps)));
            }
        }
    }
    out
}

/// Each member of [`Rules`] with every profile's value, from the table's
/// own serialization (one source of truth).
pub fn rule_rows() -> Vec<(String, Vec<(Profile, String)>)> {
    let tables: Vec<(Profile, Value)> =
        Profile::ALL.iter().map(|&p| (p, serde_json::to_value::<&Rules>(p.rules()).unwrap_or(Value::Null))).collect();
    let Some(Value::Object(first)) = tables.first().map(|(_, t)| t) else { return Vec::new() };
    first
        .keys()
        .map(|k| {
            let values =
                tables.iter().map(|(p, t)| (*p, t.get(k).map(|v| v.to_string()).unwrap_or_default())).collect();
            (k.clone(), values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_listed_with_a_value_per_profile() {
        let rows = rule_rows();
        assert!(rows.iter().any(|(r, _)| r == "token"), "{rows:?}");
        for (rule, values) in &rows {
            assert_eq!(values.len(), Profile::ALL.len(), "{rule}");
        }
        let token = rows.iter().find(|(r, _)| r == "token").map(|(_, v)| v.clone()).unwrap();
        assert_eq!(groups(&token).len(), 3, "Any, ToString, StringOnly: {token:?}");
    }

    #[test]
    fn the_listing_names_every_profile() {
        let text = list(false);
        for p in Profile::ALL {
            assert!(text.contains(p.name()), "{text}");
        }
    }
}
