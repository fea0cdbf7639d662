use super::*;
use fedcm_check::fuzz::world::{Body, Doc, Move, Response};

/// The script's moves that answer fetches and pick the first answer at a
/// prompt, enough to reach the end.
fn first_answers() -> Vec<Move> {
    vec![Move { kind: 110, arg: 0 }; 32]
}

fn chromium(world: World) -> World {
    World { chromium: true, ..world }
}

fn outcome(scenario: &Scenario) -> RunReport {
    driver::run(scenario, Some(Profile::Chromium)).expect("the model runs it")
}

#[test]
fn worlds_are_drawn_the_same_from_the_same_seed_and_index() {
    assert_eq!(world(1, 5), world(1, 5));
    assert!((0..20).any(|i| world(1, i) != world(2, i)));
    assert!((0..20).all(|i| world(3, i).chromium));
    // Short byte strings decode to well-formed worlds, long ones to garbage: both come up.
    let defaults = (0..200).filter(|&i| world(1, i).idps[0].config.is_empty()).count();
    assert!(defaults > 0 && defaults < 200, "{defaults}");
}

#[test]
fn fixed_worlds_become_scenarios_the_model_plays_as_the_world_ran() {
    // Nothing scripted: the settling closes the chooser.
    let (value, s) = scenario_of(&chromium(World::default())).unwrap();
    assert_eq!(value["user"], json!(["cancel"]));
    assert_eq!(value["rp"], json!({"origin": "https://rp.example"}));
    let r = outcome(&s);
    assert_eq!(r.outcome, "reject");
    assert!(r.requests.len() >= 3, "{:?}", r.requests);
    // The chooser's picture is served as well (as the world's IdPs do, whatever the host).
    assert_eq!(value["idp"]["GET https://cdn.example/1.png"]["headers"], json!({"Content-Type": "image/png"}));

    // The first account, signed in.
    let signed_in = chromium(World { script: first_answers(), ..World::default() });
    let (value, s) = scenario_of(&signed_in).unwrap();
    assert_eq!(value["user"], json!([{"choose": "1"}]));
    let r = outcome(&s);
    assert_eq!((r.outcome, r.credential.as_ref().map(|c| c["token"].clone())), ("resolve", Some(json!("t0k3n"))));
    assert!(r.requests.iter().any(|q| q.url.as_str() == "https://idp1.example/assertion"));

    // The IdP answers the assertion with an error: the error dialog, dismissed.
    let mut error = signed_in.clone();
    error.idps[0].assertion =
        vec![Response { body: Body::Template(Doc { template: 1, mutations: vec![] }), ..Response::default() }];
    let (value, s) = scenario_of(&error).unwrap();
    assert_eq!(value["user"], json!([{"choose": "1"}, "dismiss"]));
    assert_eq!(outcome(&s).outcome, "reject");

    // Three providers, one logged out, accounts answering 401 without CORS:
    // what the format says about each.
    let mut busy = signed_in.clone();
    busy.options.template = 6;
    busy.browser.login_status = [0, 1, 0];
    busy.idps[2].accounts = vec![Response { status: 170, cors: 200, ..Response::default() }];
    let (value, s) = scenario_of(&busy).unwrap();
    assert_eq!(value["browser"]["login_status"]["https://idp2.example"], json!("logged-out"));
    let accounts = &value["idp"]["GET https://idp.rp.example/accounts"];
    assert_eq!(accounts["status"], json!(401));
    assert!(accounts["headers"].get("Access-Control-Allow-Origin").is_none(), "{accounts}");
    outcome(&s);

    // The same, framed cross-site: Chromium refuses three providers in
    // such a frame before any fetch (decisions P14).
    let mut framed = busy.clone();
    framed.browser.embedder = 1;
    let (value, s) = scenario_of(&framed).unwrap();
    assert_eq!(value["rp"]["embedder"], json!("https://top.example"));
    let r = outcome(&s);
    assert!(r.requests.is_empty() && r.error.as_ref().is_some_and(|e| e["name"] == "NotAllowedError"), "{:?}", r.error);
}

#[test]
fn what_the_format_cannot_say_is_not_expressible() {
    // Aborted while the first fetch is out: a scenario aborts at a prompt only.
    let aborted = chromium(World { script: vec![Move { kind: 252, arg: 0 }], ..World::default() });
    let e = scenario_of(&aborted).unwrap_err();
    assert!(e.starts_with("not expressible: the requests depend on the order"), "{e}");
    // A config without Content-Type: the mock would send one.
    let mut bare = chromium(World::default());
    bare.idps[0].config = vec![Response { content_type: 204, ..Response::default() }];
    let e = scenario_of(&bare).unwrap_err();
    assert!(e.starts_with("not expressible: a response without Content-Type"), "{e}");
    // A raw body that is not UTF-8.
    let mut bytes = chromium(World::default());
    bytes.idps[0].config = vec![Response { body: Body::Raw(vec![0xff, b'{']), ..Response::default() }];
    assert_eq!(scenario_of(&bytes).unwrap_err(), "not expressible: a body that is not UTF-8");
}

#[test]
fn generated_worlds_convert_or_say_why_never_panic() {
    let mut kept = 0;
    for i in 0..60 {
        match scenario_of(&world(11, i)) {
            Ok((_, s)) => {
                kept += 1;
                driver::run(&s, None).unwrap();
            }
            Err(reason) => assert!(!reason.is_empty()),
        }
    }
    assert!(kept > 0);
}

#[test]
fn a_written_disagreement_is_a_scenario_fedcm_run_runs() {
    let signed_in = chromium(World { script: first_answers(), ..World::default() });
    let (value, _) = scenario_of(&signed_in).unwrap();
    let dir = std::env::temp_dir().join(format!("fedcm-generate-{}", std::process::id()));
    let path = write(&dir, "gen-1-0", "world 0 of seed 1: token differs", &value).unwrap();
    assert!(path.ends_with("gen-1-0.json"));
    let text = input::read_scenario(&path).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let scenario = Scenario::parse(&text).unwrap();
    assert_eq!(scenario.name, "gen-1-0");
    assert_eq!(scenario.description.as_deref(), Some("world 0 of seed 1: token differs"));
    // Its own profile (chromium), as `fedcm run` runs it.
    let r = driver::run(&scenario, None).unwrap();
    assert_eq!(r.profile, Profile::Chromium);
    assert_eq!(r.outcome, "resolve");
}

#[test]
fn a_result_is_one_flat_json_object() {
    let row = WorldRow {
        world: 7,
        row: Row { file: "gen-1-7".into(), verdict: Verdict::CouldNotRun { reason: "why".into(), browser: None } },
        written: None,
    };
    assert_eq!(
        serde_json::to_value(&row).unwrap(),
        json!({"world": 7, "file": "gen-1-7", "verdict": "could-not-run", "reason": "why"})
    );
}

#[test]
fn could_not_run_reasons_are_counted_without_their_particulars() {
    assert_eq!(
        reason_class("user[2]: Login { config_url: None } is not driven yet (only choose, cancel, dismiss)"),
        "user step Login is not driven yet"
    );
    assert_eq!(
        reason_class("not expressible: one URL serves two documents: GET https://idp1.example/x"),
        "not expressible: one URL serves two documents"
    );
    assert_eq!(
        reason_class("not expressible over HTTP: idp[\"GET https://x\"].status: 0 cannot be sent"),
        "not expressible over HTTP: status"
    );
    assert_eq!(
        reason_class("not expressible: a response without Content-Type (the mock adds one)"),
        "not expressible: a response without Content-Type"
    );
    assert_eq!(
        reason_class("only calls with at most one provider are driven yet"),
        "only calls with at most one provider are driven yet"
    );
    assert_eq!(
        reason_class("the world's fuzz run panicked (a model bug): boom"),
        "the world's fuzz run panicked (a model bug)"
    );
}

/// A generated world through Chromium: the scenario is driven and the page
/// ends as the model says (the picture's request headers are a known
/// difference, so only the outcome is asserted). Says so and passes when
/// no Chromium is installed.
#[test]
#[ignore = "starts a real Chromium"]
fn a_generated_world_in_real_chromium() {
    let Ok(binary) = super::super::chromium::find(None) else {
        assert!(std::env::var_os("FEDCM_REQUIRE_CHROMIUM").is_none(), "no Chromium found");
        eprintln!("SKIPPED: no Chromium found (install Debian's chromium package)");
        return;
    };
    let (_, scenario) = scenario_of(&chromium(World { script: first_answers(), ..World::default() })).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    match rt.block_on(cli::one_scenario(&scenario, &binary, SCENARIO_DEADLINE)) {
        Verdict::Agree { comparison, .. } | Verdict::Differ { comparison, .. } => {
            assert!(comparison.outcome_agrees, "{:?}", comparison.differences)
        }
        other => panic!("{other:?}"),
    }
}
