//! The model on the wire: `fedcm serve` (the mock IdP) and the HTTP
//! transport `fedcm probe` uses, on 127.0.0.1 with free ports. Every request
//! loop here is bounded in count and time.

use fedcm_check::fixtures::RP;
use fedcm_workbench::driver::{self, RunReport};
use fedcm_workbench::scenario::Scenario;
use fedcm_workbench::serve::{LogLevel, ServeExtras, Server};
use fedcm_workbench::transport::HttpTransport;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn over_http(scenario: &Scenario, timeout: Duration) -> (RunReport, Vec<String>) {
    let server = Server::start(scenario, "127.0.0.1:0", false).expect("binds a free port");
    let transport = HttpTransport::new(Some(&server.addr().to_string()), None, timeout).unwrap();
    let report = driver::run_with(scenario, None, &mut |r| transport.fetch(r)).expect("runs");
    (report, server.violations())
}

/// What JavaScript sees, plus the model's reason: network error texts differ
/// between the mock and the socket, so messages are not compared.
fn visible(r: &RunReport) -> Value {
    let e = r.error.clone().unwrap_or(Value::Null);
    json!({"outcome": r.outcome, "credential": r.credential, "name": e["name"], "code": e["code"],
        "url": e["url"], "reason": e["reason"], "delayed": e["delayed"]})
}

#[test]
fn every_scenario_has_the_same_outcome_over_real_http() {
    let mut differences = Vec::new();
    let mut count = 0;
    for file in fedcm_check::corpus::scenarios().unwrap() {
        let scenario = Scenario::parse(&file.text).unwrap();
        let scripted = driver::run(&scenario, None).unwrap();
        let (wire, violations) = over_http(&scenario, Duration::from_secs(5));
        let name = file.name;
        if visible(&scripted) != visible(&wire) {
            differences.push(format!("{name}: scripted {} vs HTTP {}", visible(&scripted), visible(&wire)));
        }
        let urls = |r: &RunReport| r.requests.iter().map(|q| q.url.to_string()).collect::<Vec<_>>();
        if urls(&scripted) != urls(&wire) {
            differences.push(format!("{name}: the requests differ"));
        }
        if !violations.is_empty() {
            differences.push(format!("{name}: the mock saw requests a browser must not send: {violations:?}"));
        }
        count += 1;
    }
    assert!(count >= 60, "only {count} scenarios");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// One IdP whose responses are set per test.
fn scenario(config: Value, accounts: Value, assertion: Value) -> Scenario {
    let s = json!({
        "name": "misbehaving server",
        "rp": {"origin": RP},
        "browser": {"login_status": {"https://idp.example": "logged-in"}},
        "call": {"get": {"identity": {"providers": [{"configURL": "https://idp.example/config.json", "clientId": "1"}]}}},
        "idp": {
            "https://idp.example/.well-known/web-identity": {"body": {"provider_urls": ["https://idp.example/config.json"]}},
            "https://idp.example/config.json": config,
            "https://idp.example/accounts": accounts,
            "POST https://idp.example/assertion": assertion,
            "https://idp.example/elsewhere.json": {"body": {"accounts_endpoint": "/a", "id_assertion_endpoint": "/t", "login_url": "/l"}}
        },
        "user": [{"choose": "1"}]
    });
    Scenario::parse(&s.to_string()).unwrap()
}

fn good_config() -> Value {
    json!({"body": {"accounts_endpoint": "/accounts", "id_assertion_endpoint": "/assertion", "login_url": "/login"}})
}

fn good_accounts() -> Value {
    json!({"body": {"accounts": [{"id": "1", "name": "One"}]}})
}

fn token() -> Value {
    json!({"body": {"token": "t"}})
}

fn reason(r: &RunReport) -> String {
    r.error.as_ref().and_then(|e| e["reason"].as_str()).unwrap_or("resolve").to_string()
}

fn problems(r: &RunReport) -> String {
    serde_json::to_string(&r.trace).unwrap()
}

#[test]
fn a_slow_server_times_out_instead_of_hanging() {
    let mut config = good_config();
    config["delay_ms"] = json!(5_000);
    let began = Instant::now();
    let (r, _) = over_http(&scenario(config, good_accounts(), token()), Duration::from_millis(500));
    assert!(began.elapsed() < Duration::from_secs(4), "took {:?}", began.elapsed());
    assert_eq!(reason(&r), "no-provider-left");
    assert!(problems(&r).contains("no response within"), "{}", problems(&r));
}

#[test]
fn an_oversized_body_is_refused_at_the_limit() {
    let huge = format!("{{\"accounts\":[{{\"id\":\"1\",\"name\":\"{}\"}}]}}", "x".repeat(2 * 1024 * 1024));
    let mut s = scenario(good_config(), json!({"body": huge}), token());
    s.user.clear();
    let (r, _) = over_http(&s, Duration::from_secs(5));
    assert!(problems(&r).contains("body-too-large"), "{}", reason(&r));
    // The accounts failed for a logged-in IdP: the confirm dialog, then closed.
    assert_eq!(reason(&r), "user-cancelled");
}

#[test]
fn a_wrong_content_type_rejects_the_document() {
    let config = json!({"body": good_config()["body"].clone(), "headers": {"content-type": "text/html"}});
    let (r, _) = over_http(&scenario(config, good_accounts(), token()), Duration::from_secs(5));
    assert_eq!(reason(&r), "no-provider-left");
    assert!(problems(&r).contains("content-type-not-json"));
}

#[test]
fn a_redirect_on_the_config_is_not_followed() {
    let config = json!({"status": 302, "headers": {"location": "https://idp.example/elsewhere.json"}});
    let (r, violations) = over_http(&scenario(config, good_accounts(), token()), Duration::from_secs(5));
    assert_eq!(reason(&r), "no-provider-left");
    assert!(problems(&r).contains("\"redirect\""));
    assert!(!r.requests.iter().any(|q| q.url.path() == "/elsewhere.json"), "the redirect was followed");
    assert!(violations.is_empty());
}

#[test]
fn a_dropped_connection_is_a_network_error() {
    let (r, _) =
        over_http(&scenario(good_config(), good_accounts(), json!({"network_error": "drop"})), Duration::from_secs(5));
    assert_eq!(reason(&r), "assertion-network-error");
    assert_eq!(r.error.as_ref().unwrap()["name"], "IdentityCredentialError");
}

#[test]
fn the_mock_refuses_requests_a_browser_must_not_send() {
    let s = scenario(good_config(), good_accounts(), token());
    let server = Server::start(&s, "127.0.0.1:0", false).unwrap();
    let transport =
        HttpTransport::new(Some(&server.addr().to_string()), Some("sid=1".into()), Duration::from_secs(5)).unwrap();
    // A config fetch with cookies, an RP Origin and no Sec-Fetch-Dest.
    let mut request = fedcm_model::machine::fetch::FetchRequest {
        id: fedcm_model::machine::fetch::RequestId(1),
        kind: fedcm_model::machine::fetch::FetchKind::Config,
        provider: 0,
        method: fedcm_model::machine::fetch::Method::Get,
        url: url::Url::parse("https://idp.example/config.json").unwrap(),
        credentials: fedcm_model::machine::fetch::Credentials::Include,
        mode: fedcm_model::machine::fetch::RequestMode::NoCors,
        redirect: fedcm_model::machine::fetch::Redirect::Error,
        origin: Some(RP.into()),
        headers: vec![("Origin", RP.into())],
        body: None,
    };
    let response = transport.fetch(&request).unwrap();
    assert_eq!(response.status, 400);
    let body = String::from_utf8_lossy(&response.body);
    assert!(body.contains("Sec-Fetch-Dest") && body.contains("cookies") && body.contains("Origin"), "{body}");
    request.headers = vec![("Sec-Fetch-Dest", "webidentity".into())];
    request.credentials = fedcm_model::machine::fetch::Credentials::Omit;
    assert_eq!(transport.fetch(&request).unwrap().status, 200);
    assert_eq!(server.violations().len(), 3);
}

/// `fedcm serve FILE --port 0` as a process, and the address it listens on.
fn serve_process(file: &Path) -> (std::process::Child, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_fedcm"))
        .arg("serve")
        .arg(file)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    (server, addr)
}

/// An empty list for a logged-in IdP is a session problem, not a broken
/// document: the probe suggests passing the session cookie.
#[test]
fn probe_of_an_empty_accounts_list_suggests_the_session_cookie() {
    let scenario = fedcm_check::corpus::scenarios_dir().join("070-accounts-empty-logged-in-mismatch-cancel.json");
    let (mut server, addr) = serve_process(&scenario);
    let probe = Command::new(env!("CARGO_BIN_EXE_fedcm"))
        .args(["probe", "https://idp.example/config.json", "--client-id", "123", "--via", &addr])
        .args(["--login-status", "logged-in", "--json"])
        .output()
        .unwrap();
    server.kill().unwrap();
    let _ = server.wait();
    let report: Value = serde_json::from_slice(&probe.stdout).unwrap();
    let stopped = report["stopped"].as_str().unwrap();
    assert!(stopped.contains("no account for this session") && stopped.contains("--cookie"), "{stopped}");
    assert_eq!(report["errors"], 0);
}

/// The two commands an IdP engineer runs, as processes.
#[test]
fn serve_and_probe_from_the_command_line() {
    let bin = env!("CARGO_BIN_EXE_fedcm");
    let (mut server, addr) = serve_process(&fedcm_check::corpus::examples_dir().join("faulty-idp.json"));
    let run_probe = |profile: &str| {
        Command::new(bin)
            .args([
                "probe",
                "https://idp.example/fedcm.json",
                "--client-id",
                "rp-123",
                "--via",
                &addr,
                "--assert",
                "--json",
                "--profile",
                profile,
            ])
            .output()
            .unwrap()
    };
    let probe = run_probe("spec");
    let chromium = run_probe("chromium");
    server.kill().unwrap();
    let _ = server.wait();
    assert_eq!(probe.status.code(), Some(1), "{}", String::from_utf8_lossy(&probe.stderr));
    let report: Value = serde_json::from_slice(&probe.stdout).unwrap();
    let rules: Vec<String> = report["fetches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["problems"].as_array().unwrap().iter().map(|p| p["rule"].as_str().unwrap().to_string()))
        .collect();
    for planted in
        ["url-cross-origin", "invalid-color", "coerced", "picture-not-absolute", "http-status", "content-type-not-json"]
    {
        assert!(rules.iter().any(|r| r == planted), "{planted} not caught: {rules:?}");
    }
    assert_eq!(report["outcome"]["error"]["name"], "IdentityCredentialError");
    // The bad disconnect_endpoint spares sign-in; the report says what it breaks.
    let config = &report["fetches"][1];
    assert_eq!((config["kind"].as_str(), config["verdict"].as_str()), (Some("config"), Some("accepted")));
    assert!(config["consequence"].as_str().unwrap().contains("disconnect() for this IdP rejects"), "{config}");

    // Chromium refuses the whole accounts list over one numeric id: the
    // report blames the list, not a missing session cookie.
    let report: Value = serde_json::from_slice(&chromium.stdout).unwrap();
    let stopped = report["stopped"].as_str().unwrap();
    assert!(stopped.contains("accounts list was refused") && !stopped.contains("--cookie"), "{stopped}");
}

/// The account chooser a probe reaches is drawn as a text mock-up under
/// the fetch report and given as `dialog` in `--json`; a logged-out IdP
/// shows none, and the report says why in one line.
#[test]
fn probe_draws_the_dialog_the_idps_documents_produce() {
    let scenario = fedcm_check::corpus::scenarios_dir().join("267-dialog-context-signup-title.json");
    let (mut server, addr) = serve_process(&scenario);
    let run_probe = |extra: &[&str]| {
        let mut probe = Command::new(env!("CARGO_BIN_EXE_fedcm"));
        probe.args(["probe", "https://idp.example/config.json", "--client-id", "123", "--via", &addr]);
        probe.args(extra).output().unwrap()
    };
    let text = run_probe(&["--profile", "chromium"]);
    let json = run_probe(&["--profile", "chromium", "--json"]);
    let all = run_probe(&["--profile", "all"]);
    let out = run_probe(&["--profile", "chromium", "--login-status", "logged-out", "--json"]);
    server.kill().unwrap();
    let _ = server.wait();

    let stdout = String::from_utf8_lossy(&text.stdout);
    let mockup: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("dialog a browser would show (chromium"))
        .skip(1)
        .take_while(|l| !l.starts_with("result:"))
        .collect();
    assert!(mockup.iter().all(|l| l.chars().count() == 78), "{stdout}");
    for row in [
        "| Sign in to rp.example with idp.example ",
        "|   o John Doe (new) ",
        "|   [ Continue as John Doe ] ",
        "|   To continue, idp.example will share your name, email address, and ",
        "|     privacy policy: https://rp.example/privacy ",
        "| background: #1a73e8 ",
        "| text: #ffffff ",
    ] {
        assert!(mockup.iter().any(|l| l.starts_with(row)), "{row:?} not in\n{stdout}");
    }

    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let dialog = &report["dialog"];
    assert_eq!(dialog["title"], "Sign in to rp.example with idp.example");
    assert_eq!(dialog["form"], "confirm");
    assert_eq!(dialog["brands"][0]["color"], "#ffffff");
    assert_eq!(dialog["given"]["color"], "white");
    assert_eq!(dialog["accounts"][0]["display_name"], "John Doe");
    assert!(report.get("no_dialog").is_none(), "{report}");

    // Firefox asks a new IdP only in active mode: its line says so, once.
    let across = String::from_utf8_lossy(&all.stdout);
    assert!(across.contains("\n  dialog under chromium, chromium-142:\n+---"), "{across}");
    assert!(across.contains("\n  dialog under firefox: no account chooser was shown: the request was rejected first (NetworkError: no-provider-left)\n"), "{across}");

    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report.get("dialog").is_none(), "{report}");
    assert_eq!(
        report["no_dialog"],
        "no account chooser was shown: the request was rejected first (NetworkError: not-signed-in)"
    );
}

/// `--profile all` answers "does my IdP work in the browsers my users
/// have?": a config served as text/plain breaks the spec and Chromium,
/// while Firefox (which reads any type, and asks a new IdP only in active
/// mode) shows the accounts.
#[test]
fn probe_all_says_where_the_idp_works_and_where_it_breaks() {
    let scenario = fedcm_check::corpus::scenarios_dir().join("194-config-text-plain-firefox.json");
    let (mut server, addr) = serve_process(&scenario);
    let run_probe = |json: bool| {
        let mut probe = Command::new(env!("CARGO_BIN_EXE_fedcm"));
        probe.args(["probe", "https://idp.example/config.json", "--client-id", "123", "--via", &addr]);
        probe.args(["--profile", "all", "--mode", "active"]);
        if json {
            probe.arg("--json");
        }
        probe.output().unwrap()
    };
    let (text, json) = (run_probe(false), run_probe(true));
    server.kill().unwrap();
    let _ = server.wait();
    assert_eq!(text.status.code(), Some(1), "{}", String::from_utf8_lossy(&text.stderr));
    let stdout = String::from_utf8_lossy(&text.stdout);
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.starts_with("works in: firefox; breaks in: "), "{stdout}");
    assert!(summary.contains("chromium (no-provider-left, content-type-not-json)"), "{summary}");
    assert!(stdout.contains("\n  firefox:      a browser would now show the account chooser with 1234"), "{stdout}");

    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["summary"].as_str(), Some(summary));
    assert_eq!(report["works"], json!(["firefox"]));
    assert_eq!(report["breaks"][0], json!({"profile": "spec", "why": ["no-provider-left", "content-type-not-json"]}));
    assert_eq!(report["profiles"]["spec"]["fetches"][1]["problems"][0]["rule"], "content-type-not-json");
    assert_eq!(report["profiles"]["firefox"]["fetches"][1]["reused"], json!({"from": "spec", "body_differs": false}));
}

/// Under `--profile all` each method and URL goes out once: later profiles,
/// and later requests alike in one profile (a picture shared by accounts),
/// reuse the answer, and the assertion is POSTed once.
#[test]
fn probe_all_sends_each_request_once() {
    let accounts = json!({"body": {"accounts": [
        {"id": "1", "name": "One", "email": "1@idp.example", "picture": "https://idp.example/p.png"},
        {"id": "2", "name": "Two", "email": "2@idp.example", "picture": "https://idp.example/p.png"}
    ]}});
    let mut s = scenario(good_config(), accounts, token());
    let png = json!({"body": "png", "headers": {"content-type": "image/png"}});
    s.idp.insert("https://idp.example/p.png".into(), serde_json::from_value(png).unwrap());
    let quiet = fedcm_workbench::serve::ServeOptions { log: LogLevel::None, ..Default::default() };
    let server =
        Server::start_full(&s, "127.0.0.1:0", quiet, ServeExtras { record: true, ..Default::default() }).unwrap();
    let transport = HttpTransport::new(Some(&server.addr().to_string()), None, Duration::from_secs(5)).unwrap();
    let options = probe_options(fedcm_model::Profile::Spec, ProbeCall { assert: true, active: true, mock: true });
    let report = fedcm_workbench::probe::probe_all(&options, &transport).unwrap();
    let seen: Vec<String> = server.take_requests().iter().map(|r| format!("{} {}", r.method, r.url)).collect();
    let mut once = seen.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), seen.len(), "a request went out twice: {seen:?}");
    assert_eq!(seen.iter().filter(|r| r.starts_with("POST ")).count(), 1, "{seen:?}");
    assert_eq!(report.fetched, seen.len());
    assert!(server.violations().is_empty(), "{:?}", server.violations());
    for p in &report.profiles {
        let assertion = p.fetches.iter().find(|f| f.kind == "assertion");
        assert!(assertion.is_some(), "{} sent no assertion: {:?}", p.profile, p.stopped);
        let pictures: Vec<_> = p.fetches.iter().filter(|f| f.kind == "picture").collect();
        assert_eq!(pictures.len(), 2, "{}", p.profile);
        assert!(pictures.iter().any(|f| f.reused.is_some()), "{}", p.profile);
    }
    assert_eq!(report.summary, "works in every profile (spec, spec-2024, chromium, chromium-142, firefox)");
    assert_eq!(fedcm_workbench::probe::exit_status_all(&report), 0);
    let text = fedcm_workbench::probe::render_all(&report);
    assert!(text.contains("answer reused from the fetch above"), "{text}");
}

/// The login status part of a probe: a scenario served with the login page
/// on (as `fedcm serve` runs it), probed in this process through `--via`.
fn probe_login_status(s: &Scenario, login_page: bool) -> fedcm_workbench::probe::ProbeReport {
    let options = fedcm_workbench::serve::ServeOptions { log: LogLevel::None, login_page, ..Default::default() };
    let server = Server::start_with(s, "127.0.0.1:0", options).unwrap();
    let transport = HttpTransport::new(Some(&server.addr().to_string()), None, Duration::from_secs(5)).unwrap();
    let options = probe_options(fedcm_model::Profile::Chromium, ProbeCall { assert: false, active: false, mock: true });
    let report = fedcm_workbench::probe::probe(&options, &transport).unwrap();
    assert!(server.violations().is_empty(), "{:?}", server.violations());
    report
}

fn login_rules(r: &fedcm_workbench::probe::ProbeReport) -> Vec<&'static str> {
    r.login_status.findings.iter().map(|f| f.rule).collect()
}

/// (i) `fedcm serve` answers a login_url the scenario does not script with
/// a page that sends `Set-Login: logged-in`, and the probe reads it there:
/// no advice to send one. Without that page (the library default, a 404)
/// the probe advises, as a warning that leaves the exit status at 0.
#[test]
fn probe_reads_set_login_on_the_login_page() {
    let s = scenario(good_config(), good_accounts(), token());
    let report = probe_login_status(&s, true);
    let seen = &report.login_status.set_login;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].url.as_str(), seen[0].fetch, seen[0].value.as_str()),
        ("https://idp.example/login", "login-page", "logged-in")
    );
    assert!(seen[0].parses && seen[0].read);
    assert_eq!(seen[0].origin, fedcm_workbench::probe::login_status::Relation::Idp);
    assert_eq!(report.login_status.login_page.as_ref().and_then(|p| p.status), Some(200));
    assert_eq!(login_rules(&report), Vec::<&str>::new());
    assert_eq!((report.errors, report.warnings, fedcm_workbench::probe::exit_status(&report)), (0, 0, 0));
    let text = fedcm_workbench::probe::render(&report);
    assert!(
        text.contains("Set-Login: logged-in on https://idp.example/login [login-page; the IdP's origin] -> logged-in"),
        "{text}"
    );

    let report = probe_login_status(&s, false);
    assert_eq!(report.login_status.login_page.as_ref().and_then(|p| p.status), Some(404));
    assert_eq!(login_rules(&report), ["set-login-absent"]);
    let advice = report.login_status.findings[0].to_string();
    assert!(advice.starts_with("warning: login status: no response from https://idp.example"), "{advice}");
    assert!(advice.contains("`Set-Login: logged-in`") && advice.contains("navigator.login.setStatus()"), "{advice}");
    assert_eq!((report.errors, report.warnings, fedcm_workbench::probe::exit_status(&report)), (0, 1, 0));
}

/// (ii) `Set-Login: Logged-In` on the accounts response (scripted headers
/// go out untouched) does not parse: an error, which breaks the IdP (exit
/// status 1), and since browsers do not read Set-Login on FedCM's fetches
/// the IdP is also told it never signals.
#[test]
fn probe_flags_a_set_login_that_does_not_parse() {
    let mut accounts = good_accounts();
    accounts["headers"] = json!({"Set-Login": "Logged-In"});
    let report = probe_login_status(&scenario(good_config(), accounts, token()), true);
    let seen = &report.login_status.set_login;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        (seen[0].fetch, seen[0].value.as_str(), seen[0].parses, seen[0].read),
        ("accounts", "Logged-In", false, false)
    );
    assert_eq!(login_rules(&report), ["set-login-unparsable"]);
    let finding = report.login_status.findings[0].to_string();
    assert!(
        finding.starts_with("error: login status: Set-Login \"Logged-In\" on https://idp.example/accounts"),
        "{finding}"
    );
    assert!(finding.contains("a browser ignores it"), "{finding}");
    assert_eq!(fedcm_workbench::probe::exit_status(&report), 1);
    assert_eq!(fedcm_workbench::probe::why_it_breaks(&report), Some(vec!["set-login-unparsable".to_string()]));
}

/// (iii) A login page on another origin that sends Set-Login sets that
/// origin's status, which FedCM never reads for this IdP: an error when
/// cross-site, a warning when same-site. (The config check refuses such a
/// login_url too; the probe reads it from the config as written.)
#[test]
fn probe_flags_a_set_login_from_another_origin() {
    for (login_url, rule, severity) in [
        ("https://login.other.example/signin", "set-login-cross-site", fedcm_model::Severity::Error),
        ("https://www.idp.example/signin", "set-login-other-origin", fedcm_model::Severity::Warning),
    ] {
        let mut config = good_config();
        config["body"]["login_url"] = json!(login_url);
        let mut s = scenario(config, good_accounts(), token());
        let page = json!({"body": "<p>signed in", "headers": {"content-type": "text/html", "Set-Login": "logged-in"}});
        s.idp.insert(login_url.into(), serde_json::from_value(page).unwrap());
        let report = probe_login_status(&s, true);
        let seen = &report.login_status.set_login;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!((seen[0].url.as_str(), seen[0].fetch, seen[0].parses), (login_url, "login-page", true));
        assert_eq!(login_rules(&report), [rule, "set-login-absent"], "{login_url}");
        let finding = &report.login_status.findings[0];
        assert_eq!(finding.severity, severity);
        assert!(finding.message.contains("never sees this one"), "{}", finding.message);
        // The probe already exits 1 for the config's cross-origin login_url.
        assert_eq!(fedcm_workbench::probe::exit_status(&report), 1);
        let why = fedcm_workbench::probe::why_it_breaks(&report).unwrap();
        assert_eq!(
            why.contains(&"set-login-cross-site".to_string()),
            severity == fedcm_model::Severity::Error,
            "{why:?}"
        );
    }
}

/// The login page of a config on another origin is not fetched without
/// `--via`: a browser never opens it, and a config must not steer the
/// probe at any host.
#[test]
fn probe_fetches_another_origins_login_page_only_through_a_mock() {
    let mut config = good_config();
    config["body"]["login_url"] = json!("http://127.0.0.1:9/login");
    let s = scenario(config, good_accounts(), token());
    let server = Server::start_with(
        &s,
        "127.0.0.1:0",
        fedcm_workbench::serve::ServeOptions { log: LogLevel::None, ..Default::default() },
    )
    .unwrap();
    let transport = HttpTransport::new(Some(&server.addr().to_string()), None, Duration::from_secs(5)).unwrap();
    let options = probe_options(fedcm_model::Profile::Spec, ProbeCall { assert: false, active: false, mock: false });
    let report = fedcm_workbench::probe::probe(&options, &transport).unwrap();
    let page = report.login_status.login_page.clone().unwrap();
    assert!(page.not_fetched.as_deref().unwrap_or_default().contains("only with --via"), "{page:?}");
    assert_eq!(page.status, None);
}

/// `fedcm serve` with the login page on (the command's setting) answers a
/// GET of an unscripted login_url with Set-Login: logged-in, unchecked (a
/// navigation, no FedCM fetch), also among the harness pages; off (the
/// browser harness's setting), it answers as before: 404 from the
/// scenario, and "not a FedCM request" among the harness pages. A POST
/// there is no login page.
#[test]
fn serve_answers_an_unscripted_login_url_with_set_login() {
    use fedcm_workbench::serve::ServeOptions;
    let s = scenario(good_config(), good_accounts(), token());
    let get = |login_page: bool, pages: bool, method| {
        let options = ServeOptions { log: LogLevel::None, login_page, ..Default::default() };
        let server =
            Server::start_full(&s, "127.0.0.1:0", options, ServeExtras { pages, ..Default::default() }).unwrap();
        let transport = HttpTransport::new(Some(&server.addr().to_string()), None, Duration::from_secs(5)).unwrap();
        let url = url::Url::parse("https://idp.example/login?from=rp").unwrap();
        // A navigation's GET: no Sec-Fetch-Dest: webidentity, no cookies.
        let request = fedcm_model::machine::fetch::FetchRequest {
            id: fedcm_model::machine::fetch::RequestId(1),
            kind: fedcm_model::machine::fetch::FetchKind::WellKnown,
            provider: 0,
            method,
            url,
            credentials: fedcm_model::machine::fetch::Credentials::Omit,
            mode: fedcm_model::machine::fetch::RequestMode::NoCors,
            redirect: fedcm_model::machine::fetch::Redirect::Error,
            origin: None,
            headers: vec![("Sec-Fetch-Dest", "document".into())],
            body: None,
        };
        let response = transport.fetch(&request).unwrap();
        let set_login = response.header("set-login").map(String::from);
        (response.status, set_login, server.violations().len())
    };
    use fedcm_model::machine::fetch::Method;
    assert_eq!(get(true, false, Method::Get), (200, Some("logged-in".into()), 0));
    assert_eq!(get(true, true, Method::Get), (200, Some("logged-in".into()), 0));
    assert_eq!(get(false, false, Method::Get), (404, None, 0));
    assert_eq!(get(false, true, Method::Get), (404, None, 0));
    assert_eq!(get(true, false, Method::Post).1, None);
}

/// Which way a test's probe calls: send the assertion, active mode, every
/// request to the mock.
struct ProbeCall {
    assert: bool,
    active: bool,
    mock: bool,
}

/// The probe the tests run: client 1 at idp.example for the test RP, the
/// IdP logged in, context signin.
fn probe_options(profile: fedcm_model::Profile, call: ProbeCall) -> fedcm_workbench::probe::ProbeOptions {
    fedcm_workbench::probe::ProbeOptions {
        context: "signin".into(),
        config_url: "https://idp.example/config.json".into(),
        client_id: "1".into(),
        rp_origin: RP.into(),
        login_status: fedcm_model::machine::browser::LoginStatus::LoggedIn,
        account: None,
        assert: call.assert,
        active: call.active,
        profile,
        budget: Default::default(),
        mock: call.mock,
    }
}
