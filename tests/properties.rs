//! Property tests: generated request options, browser state, IdP responses
//! (valid, subtly invalid and garbage) and answers; every invariant is
//! checked on every generated run. A failure shrinks to a small case and is
//! printed (and written to `target/property-counterexample.json`) as a
//! scenario file that `fedcm run` replays.
//!
//! `PROPTEST_CASES` sets the number of cases (default 256). With
//! `--features mutations`, `FEDCM_MUTATION=never-delay` (any name from
//! `model/src/mutation.rs`) runs them against a deliberately broken model.

use fedcm_check::drive::{closing_answer, Closures, Driver, Stuck};
use fedcm_check::explore;
use fedcm_check::fixtures::{IDPS, RP};
use fedcm_model::machine::fetch::FetchRequest;
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::Flow;
use fedcm_workbench::scenario::{MockIdp, Scenario};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Value};

fn pick<T: Clone + std::fmt::Debug + 'static>(items: Vec<T>) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

fn provider() -> impl Strategy<Value = Value> {
    (
        0..IDPS.len(),
        pick(vec!["c1", "c2"]),
        proptest::option::of(pick(vec!["a@x", "b@x"])),
        proptest::option::of(pick(vec!["any", "corp.example"])),
        proptest::option::of(pick(vec![json!([]), json!(["name", "email", "picture"]), json!(["name"])])),
        proptest::option::of(pick(vec![json!({"nonce": "n"}), json!({}), json!("scalar")])),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(idp, client, login_hint, domain_hint, fields, params, nonce)| {
            let mut p = json!({"configURL": format!("{}/config.json", IDPS[idp]), "clientId": client});
            if let Some(h) = login_hint {
                p["loginHint"] = json!(h);
            }
            if let Some(h) = domain_hint {
                p["domainHint"] = json!(h);
            }
            if let Some(f) = fields {
                p["fields"] = f;
            }
            if let Some(x) = params {
                p["params"] = x;
            }
            if nonce {
                p["nonce"] = json!("legacy");
            }
            p
        })
}

fn account() -> impl Strategy<Value = Value> {
    (
        pick(vec!["1", "2", "3"]),
        pick(vec![
            json!({"name": "N"}),
            json!({"email": "e@x"}),
            json!({"username": "u"}),
            json!({"given_name": "only"}),
            json!({"name": ""}),
        ]),
        proptest::option::of(pick(vec![json!(["c1"]), json!(["c2"]), json!([])])),
        proptest::option::of(pick(vec![json!(["a@x"]), json!(["b@x"]), json!("a@x")])),
        proptest::option::of(pick(vec![json!(["corp.example"]), json!([])])),
        proptest::option::of(pick(vec![json!("https://cdn.example/p.png"), json!("/relative.png")])),
    )
        .prop_map(|(id, ident, approved, login_hints, domain_hints, picture)| {
            let mut a = json!({"id": id});
            for (k, v) in ident.as_object().unwrap() {
                a[k] = v.clone();
            }
            for (k, v) in [
                ("approved_clients", approved),
                ("login_hints", login_hints),
                ("domain_hints", domain_hints),
                ("picture", picture),
            ] {
                if let Some(v) = v {
                    a[k] = v;
                }
            }
            a
        })
}

fn accounts_response() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => proptest::collection::vec(account(), 0..4).prop_map(|list| json!({"body": {"accounts": list}})),
        1 => Just(json!({"body": "{\"accounts\": [tru"})),
        1 => Just(json!({"body": {"accounts": []}, "status": 500})),
        1 => Just(json!({"network_error": "reset"})),
    ]
}

fn config_response(idp: &str) -> impl Strategy<Value = Value> {
    let valid = json!({"accounts_endpoint": "/accounts", "id_assertion_endpoint": "/assertion", "login_url": "/login",
        "client_metadata_endpoint": "/metadata", "disconnect_endpoint": "/disconnect"});
    let idp = idp.to_string();
    prop_oneof![
        6 => (proptest::bool::ANY, proptest::option::of(pick(vec!["l1"]))).prop_map(move |(other, label)| {
            let mut c = valid.clone();
            c["supports_use_other_account"] = json!(other);
            if let Some(l) = label {
                c["account_label"] = json!(l);
            }
            json!({"body": c})
        }),
        1 => Just(json!({"body": {"accounts_endpoint": "https://tracker.example/a", "id_assertion_endpoint": "/assertion", "login_url": "/login"}})),
        1 => Just(json!({"body": {"accounts_endpoint": "/accounts", "id_assertion_endpoint": "https://tracker.example/t", "login_url": "/login"}})),
        1 => Just(json!({"body": {"accounts_endpoint": "/accounts", "login_url": "/login"}})),
        1 => Just(json!({"body": "{", "headers": {"content-type": "text/html"}})),
        1 => Just(json!({"status": 302, "headers": {"location": format!("{idp}/elsewhere.json")}})),
    ]
}

fn well_known_response(idp: &str) -> impl Strategy<Value = Value> {
    let config = format!("{idp}/config.json");
    prop_oneof![
        5 => Just(json!({"body": {"provider_urls": [config.clone()], "accounts_endpoint": "/accounts", "login_url": "/login"}})),
        1 => Just(json!({"body": {"provider_urls": [config.clone()]}})),
        1 => Just(json!({"body": {"provider_urls": ["https://other.example/config.json"]}})),
        1 => Just(json!({"status": 404})),
    ]
}

fn assertion_response(idp: &str) -> impl Strategy<Value = Value> {
    let idp = idp.to_string();
    prop_oneof![
        4 => pick(vec![json!("t0k3n"), json!({"jwt": "x"}), json!(null)]).prop_map(|t| json!({"body": {"token": t}})),
        1 => Just(json!({"body": {"error": {"error": "access_denied", "url": "/why"}}})),
        1 => Just(json!({"body": {"error": {"error": "x", "url": "https://tracker.example/why"}}, "status": 400})),
        1 => Just(json!({"body": {"continue_on": format!("{idp}/continue")}})),
        1 => Just(json!({"body": {"continue_on": "https://tracker.example/continue"}})),
        1 => Just(json!({"body": {"token": "t"}, "cors": false})),
        1 => Just(json!({"body": "garbage"})),
        1 => Just(json!({"network_error": "reset"})),
    ]
}

/// A whole world: the call, the browser, the IdPs, and which answer the
/// person picks at each prompt (indexes into the answers that fit).
fn world() -> impl Strategy<Value = (Value, Vec<usize>)> {
    let idp_docs = IDPS.map(|idp| {
        (
            well_known_response(idp),
            config_response(idp),
            prop_oneof![3 => accounts_response(), 1 => (accounts_response(), accounts_response()).prop_map(|(a, b)| json!([a, b]))],
            assertion_response(idp),
        )
    });
    (
        proptest::collection::vec(provider(), 1..4),
        pick(vec!["passive", "active"]),
        pick(vec!["optional", "optional", "silent", "required"]),
        pick(vec!["spec", "chromium"]),
        proptest::array::uniform3(pick(vec!["logged-in", "logged-out", "unknown"])),
        proptest::collection::vec((0..IDPS.len(), pick(vec!["1", "2", "3"])), 0..3),
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.9),
        idp_docs,
        proptest::collection::vec(0usize..8, 0..8),
    )
        .prop_map(
            |(providers, mode, mediation, profile, status, connected, prevent, activation, docs, answers)| {
                let mut idp = serde_json::Map::new();
                for (i, (wk, cfg, acc, asr)) in docs.into_iter().enumerate() {
                    let origin = IDPS[i];
                    idp.insert(format!("{origin}/.well-known/web-identity"), wk);
                    idp.insert(format!("{origin}/config.json"), cfg);
                    idp.insert(format!("{origin}/accounts"), acc);
                    idp.insert(format!("POST {origin}/assertion"), asr);
                    idp.insert(
                        format!("{origin}/metadata"),
                        json!({"body": {"privacy_policy_url": "https://rp.example/pp"}}),
                    );
                }
                let login_status: serde_json::Map<String, Value> =
                    IDPS.iter().zip(status).map(|(o, s)| (o.to_string(), json!(s))).collect();
                let connected: Vec<Value> =
                    connected.into_iter().map(|(i, a)| json!({"rp": RP, "idp": IDPS[i], "account": a})).collect();
                let scenario = json!({
                    "name": "generated by tests/properties.rs",
                    "profile": profile,
                    "rp": {"origin": RP},
                    "browser": {"login_status": login_status, "connected": connected,
                        "requires_user_mediation": if prevent { vec![RP] } else { vec![] },
                        "transient_activation": activation},
                    "call": {"get": {"mediation": mediation, "identity": {"mode": mode, "providers": providers}}},
                    "idp": idp,
                });
                (scenario, answers)
            },
        )
}

fn step_json(action: &UserAction) -> Value {
    match action {
        UserAction::Choose { account_id, config_url } => {
            json!({"choose": {"account": account_id, "configURL": config_url}})
        }
        UserAction::Cancel => json!("cancel"),
        UserAction::Login { .. } | UserAction::LoggedIn => json!("login"),
        UserAction::IdpClose => json!("close"),
        UserAction::Resolve { token, account_id } => json!({"continue": {"token": token, "accountId": account_id}}),
        UserAction::Dismiss => json!("dismiss"),
    }
}

/// Runs the world; returns the trace's violations and the scenario with the
/// answers actually given.
fn run(world: &Value, answers: &[usize]) -> (Vec<String>, Value, Option<fedcm_model::machine::outcome::Outcome>) {
    // `FEDCM_MUTATION=<name>` (with --features mutations) runs the properties
    // against a broken model, to watch them fail and shrink.
    #[cfg(feature = "mutations")]
    if let Ok(name) = std::env::var("FEDCM_MUTATION") {
        use fedcm_model::mutation::{self, Mutation};
        mutation::set(Mutation::ALL.into_iter().find(|m| m.name() == name));
    }
    let scenario = Scenario::parse(&world.to_string()).expect("generated scenarios parse");
    let rp = scenario.rp().unwrap();
    let mut idp = MockIdp::new(&scenario, &rp);
    let Value::Object(call) = &world["call"] else { unreachable!() };
    let mut flow = Flow::from_json(rp.clone(), scenario.browser_state().unwrap(), &call["get"], scenario.profile());
    let mut given = Vec::new();
    let mut asked = 0;
    let respond = |r: &FetchRequest| idp.answer(r);
    let answer = |prompt: &Prompt| {
        let options: Vec<UserAction> = explore::answers(prompt)
            .into_iter()
            .filter(|a| !matches!(a, UserAction::Choose { account_id, .. } if account_id == "not-shown"))
            .collect();
        let pick = answers.get(asked).copied().unwrap_or(usize::MAX);
        asked += 1;
        // Past the generated answers, the person closes the dialog.
        let action = if pick == usize::MAX || options.is_empty() {
            closing_answer(prompt)
        } else {
            options[pick % options.len()].clone()
        };
        given.push(step_json(&action));
        action
    };
    match Driver::new().max_steps(10_000).run(&mut flow, &mut Closures { respond, answer }) {
        // Reported below, with the invariants.
        Ok(_) | Err(Stuck::Bound { .. }) => {}
        Err(e @ Stuck::Refused { .. }) => panic!("answers offered fit the prompt: {e}"),
        Err(e) => panic!("{e}"),
    }
    let mut replay = world.clone();
    replay["user"] = json!(given);
    let mut problems: Vec<String> =
        fedcm_check::invariants::check_all(flow.trace()).iter().map(|v| v.to_string()).collect();
    if flow.outcome().is_none() {
        problems.push("the run did not settle".into());
    }
    (problems, replay, flow.outcome().cloned())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/properties.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_generated_run_keeps_every_invariant((world, answers) in world()) {
        let (problems, replay, _) = run(&world, &answers);
        if !problems.is_empty() {
            let text = serde_json::to_string_pretty(&replay).unwrap();
            let _ = std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/target/property-counterexample.json"), &text);
            prop_assert!(false, "{}\nreplay with: fedcm run target/property-counterexample.json\n{}", problems.join("\n"), text);
        }
    }

    /// A shrunk failure is only useful if its scenario file replays it: the
    /// scenario runner must reach the same outcome as the generated run.
    #[test]
    fn a_generated_run_replays_from_its_scenario_file((world, answers) in world()) {
        let (_, replay, outcome) = run(&world, &answers);
        let report = fedcm_workbench::driver::run(&Scenario::parse(&replay.to_string()).unwrap(), None).unwrap();
        let outcome = serde_json::to_value(outcome.expect("settled")).unwrap();
        prop_assert_eq!(&outcome["outcome"], &json!(report.outcome));
        match report.outcome {
            "resolve" => prop_assert_eq!(&outcome["credential"], report.credential.as_ref().unwrap()),
            _ => prop_assert_eq!(&outcome["error"], report.error.as_ref().unwrap()),
        }
    }
}
