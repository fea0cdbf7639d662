//! A world as a scenario file (the format of docs/scenario-format.md), so
//! that `fedcm browser --generate` can play it in a real browser: the RP,
//! its options, the browser's state, every document the run fetched, keyed
//! by the method and URL it was fetched at, with the status, headers and
//! body the world's IdPs serve, and the person's answers as `user` steps.
//!
//! A scenario's mock serves by URL and answers at once, where the world's
//! IdPs serve by origin and document kind and its script picks the order:
//! what the format cannot say is refused with the reason, never guessed.
//! The caller checks that the scenario's run is the world's run (same
//! outcome, same requests): the script's order can still matter.

use super::run::{not_found, source, Source};
use super::*;
use fedcm_model::machine::fetch::Method;
use fedcm_model::machine::prompt::Prompt;
use fedcm_model::trace::Event;
use serde_json::Map;
use std::collections::BTreeMap;

/// The scenario file that plays `world` as `run` (its [`run()`]) went, or
/// why the format cannot express it.
pub fn scenario(world: &World, run: &Run) -> Result<Value, String> {
    let rp = world.browser.embedder();
    let mut document = json!({
        "name": "generated world",
        "profile": world.profile().name(),
        "rp": {"origin": RP},
        "browser": browser(&world.browser),
        "call": {"get": world.options.build(&options_templates())},
        "idp": idp(world, run)?,
        "user": user(run),
    });
    if rp != RP {
        document["rp"]["embedder"] = json!(rp);
    }
    Ok(document)
}

fn browser(b: &Browser) -> Value {
    let names = ["logged-in", "logged-out", "unknown"];
    let login_status: Map<String, Value> =
        IDPS.iter().zip(b.login_status).map(|(idp, s)| (idp.to_string(), json!(names[usize::from(s % 3)]))).collect();
    let connected: Vec<Value> = b
        .connected
        .iter()
        .take(8)
        .map(|(idp, account)| {
            json!({"embedder": b.embedder(), "rp": RP, "idp": IDPS[usize::from(*idp) % IDPS.len()],
                "account": ACCOUNT_IDS[usize::from(*account) % ACCOUNT_IDS.len()]})
        })
        .collect();
    let mediation: Vec<&str> = if b.requires_user_mediation { vec![RP] } else { Vec::new() };
    json!({"login_status": login_status, "connected": connected, "requires_user_mediation": mediation,
        "transient_activation": !b.no_transient_activation})
}

/// Every URL the run fetched, with what the world's IdPs serve there.
fn idp(world: &World, run: &Run) -> Result<Value, String> {
    let mut routes: BTreeMap<String, Value> = BTreeMap::new();
    // The URLs each (IdP, kind) was fetched at: the world counts turns per
    // kind, a scenario per URL.
    let mut urls: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    for request in run.flow.trace().requests() {
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
        };
        let key = format!("{method} {}", request.url);
        let answer = match source(request) {
            // The world's two PNG bytes are not UTF-8; the model ignores a
            // picture's body, and an empty one is as broken an image.
            Source::Picture => json!({"status": 200, "headers": {"Content-Type": "image/png"}, "body": ""}),
            Source::NotFound => response(&Ok(not_found()), request.kind)?,
            Source::Idp(i, kind) => {
                let idp = &world.idps[i];
                let default = [Response::default()];
                let list = match idp.responses(kind) {
                    [] => &default[..],
                    list => list,
                };
                let list = list.iter().map(|r| response(&r.build(kind, i), kind)).collect::<Result<Vec<_>, _>>()?;
                let seen = urls.entry((i, kind.name().to_string())).or_default();
                if !seen.contains(&key) {
                    seen.push(key.clone());
                }
                if seen.len() > 1 && list.iter().any(|r| r != &list[0]) {
                    return Err(format!(
                        "a document fetched at several URLs, served in turn across them: the {} of {} at {}",
                        kind.name(),
                        IDPS[i],
                        seen.join(", ")
                    ));
                }
                match <[Value; 1]>::try_from(list) {
                    Ok([one]) => one,
                    Err(list) => Value::Array(list),
                }
            }
        };
        match routes.get(&key) {
            Some(other) if other != &answer => {
                return Err(format!("one URL serves two different documents: {key}"));
            }
            _ => {
                routes.insert(key, answer);
            }
        }
    }
    Ok(Value::Object(routes.into_iter().collect()))
}

/// One response as the scenario writes it.
fn response(result: &FetchResult, kind: FetchKind) -> Result<Value, String> {
    let r = match result {
        Ok(r) => r,
        Err(e) => return Ok(json!({"network_error": e.reason})),
    };
    let mut headers = Map::new();
    for (name, value) in &r.headers {
        if headers.keys().any(|k| k.eq_ignore_ascii_case(name)) {
            return Err(format!("a response with a header twice: {name}"));
        }
        headers.insert(name.clone(), json!(value));
    }
    let has = |name: &str| headers.keys().any(|k| k.eq_ignore_ascii_case(name));
    if !has("content-type") {
        return Err("a response without Content-Type (the scenario mock sends application/json)".into());
    }
    let mut spec = json!({"status": r.status});
    // The mock adds CORS for the RP to the POSTs unless told not to.
    if matches!(kind, FetchKind::Assertion | FetchKind::Disconnect) && !has("access-control-allow-origin") {
        spec["cors"] = json!(false);
    }
    spec["headers"] = Value::Object(headers);
    let text = std::str::from_utf8(&r.body).map_err(|_| "a body that is not UTF-8".to_string())?;
    // A document is written as JSON when that is the very bytes the mock
    // sends back (a string body is sent raw, and `null` means no body).
    spec["body"] = match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Object(_) | Value::Array(_) | Value::Bool(_) | Value::Number(_)))
            if serde_json::to_vec(&v).is_ok_and(|b| b == r.body) =>
        {
            v
        }
        _ => json!(text),
    };
    Ok(spec)
}

/// The person's answers, as the run took them, then an abort if the run
/// ended with one.
fn user(run: &Run) -> Vec<Value> {
    let mut steps = Vec::new();
    let mut prompt: Option<&Prompt> = None;
    for event in &run.flow.trace().events {
        match event {
            Event::Prompt { prompt: p } => prompt = Some(p),
            Event::User { action } => steps.push(step(action, prompt)),
            _ => {}
        }
    }
    let aborted = matches!(run.flow.outcome(), Some(fedcm_model::machine::outcome::Outcome::Reject { error })
        if error.reason.id() == "aborted");
    if aborted {
        steps.push(json!("abort"));
    }
    steps
}

/// A `user` step for `action`, answered at `prompt`.
fn step(action: &UserAction, prompt: Option<&Prompt>) -> Value {
    match action {
        UserAction::Choose { account_id, config_url } => {
            // The short form picks the first account with the id.
            let shown = match prompt {
                Some(Prompt::AccountChooser { accounts, .. }) => {
                    accounts.iter().filter(|a| &a.account_id == account_id).count()
                }
                _ => 0,
            };
            match config_url {
                Some(c) if shown != 1 => json!({"choose": {"account": account_id, "configURL": c}}),
                _ => json!({"choose": account_id}),
            }
        }
        UserAction::Cancel => json!("cancel"),
        UserAction::Login { config_url: Some(c) } => json!({"login": c}),
        UserAction::Login { config_url: None } | UserAction::LoggedIn => json!("login"),
        UserAction::IdpClose => json!("close"),
        UserAction::Resolve { token, account_id } => {
            let mut c = json!({"token": token});
            if let Some(id) = account_id {
                c["accountId"] = json!(id);
            }
            json!({ "continue": c })
        }
        UserAction::Dismiss => json!("dismiss"),
    }
}
