//! `fedcm probe` against IdPs that misbehave on purpose: too many accounts
//! with pictures, escape codes in ids, servers that stall or answer with
//! garbage, pictures on private addresses. Every process is run with a
//! time limit and its peak memory is checked; every server loop is bounded.

use super::common::{self, run, Ran};
use fedcm_check::fixtures::RP;
use fedcm_model::machine::browser::LoginStatus;
use fedcm_model::Profile;
use fedcm_model::MAX_BODY_BYTES;
use fedcm_workbench::probe::{self, ProbeOptions, StepBudget};
use fedcm_workbench::scenario::Scenario;
use fedcm_workbench::serve::Server;
use fedcm_workbench::transport::HttpTransport;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Runs `fedcm ARGS`, killing it after `limit`; fails the test if it used
/// more than 200 MB of memory at any sample.
fn fedcm(args: &[&str], limit: Duration) -> Ran {
    let ran = run(common::fedcm(args), limit);
    assert!(ran.peak_kb < 200_000, "fedcm {args:?} peaked at {} kB", ran.peak_kb);
    ran
}

const LIMIT: Duration = Duration::from_secs(60);

/// One IdP at https://idp.example with these accounts, for `fedcm serve`.
fn scenario(accounts: Value) -> Scenario {
    scenario_with_token(accounts, "t")
}

fn scenario_with_token(accounts: Value, token: &str) -> Scenario {
    Scenario::parse(&world(accounts, token).to_string()).unwrap()
}

/// The scenario of this file as JSON: one IdP with these accounts, whose
/// assertion returns `token`; the person chooses account "1".
fn world(accounts: Value, token: &str) -> Value {
    json!({
        "name": "hostile IdP",
        "rp": {"origin": RP},
        "browser": {"login_status": {"https://idp.example": "logged-in"}},
        "call": {"get": {"identity": {"providers": [{"configURL": "https://idp.example/config.json", "clientId": "1"}]}}},
        "idp": {
            "https://idp.example/.well-known/web-identity": {"body": {"provider_urls": ["https://idp.example/config.json"]}},
            "https://idp.example/config.json": {"body": {"accounts_endpoint": "/accounts", "id_assertion_endpoint": "/assertion", "login_url": "/login"}},
            "https://idp.example/accounts": {"body": {"accounts": accounts}},
            "https://idp.example/p.png": {"body": "png", "headers": {"content-type": "image/png"}},
            "POST https://idp.example/assertion": {"body": {"token": token}}
        },
        "user": [{"choose": "1"}]
    })
}

fn pictured_accounts(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"id": i.to_string(), "name": format!("n{i}"), "email": format!("e{i}@x.example"), "picture": "https://idp.example/p.png"}))
        .collect()
}

fn probe_via(server: &Server, extra: &[&str]) -> Ran {
    let addr = server.addr().to_string();
    let mut args = vec!["probe", "https://idp.example/config.json", "--client-id", "1", "--via", &addr];
    args.extend_from_slice(extra);
    fedcm(&args, LIMIT)
}

fn json_of(ran: &Ran) -> Value {
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {} / {}", ran.stdout, ran.stderr))
}

/// 1,000 accounts with pictures is a valid IdP: the probe fetches every
/// picture and settles, instead of stopping at a fixed 1,000 steps and
/// exiting 0 with "the request did not settle". (About the step budget,
/// not the deadline: a debug build on a loaded machine gets ample time.)
#[test]
fn an_idp_with_a_thousand_pictured_accounts_settles() {
    let server = Server::start(&scenario(pictured_accounts(1000)), "127.0.0.1:0", false).unwrap();
    let ran = probe_via(&server, &["--assert", "--json", "--deadline", "600"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let report = json_of(&ran);
    assert_eq!(report["cut_short"], Value::Null);
    assert_eq!(report["outcome"]["credential"]["token"], "t", "{}", report["outcome"]);
    let pictures = report["fetches"].as_array().unwrap().iter().filter(|f| f["kind"] == "picture").count();
    assert_eq!(pictures, 1000);
}

fn options(budget: StepBudget) -> ProbeOptions {
    ProbeOptions {
        context: "signin".into(),
        config_url: "https://idp.example/config.json".into(),
        client_id: "1".into(),
        rp_origin: RP.into(),
        login_status: LoginStatus::LoggedIn,
        account: None,
        assert: true,
        active: false,
        profile: Profile::Spec,
        budget,
        mock: true,
    }
}

/// The step budget still catches a model that never settles: made small
/// here, it cuts the probe short, and that is exit status 3 with a reason.
#[test]
fn a_probe_that_runs_out_of_steps_is_cut_short() {
    let server = Server::start(&scenario(pictured_accounts(20)), "127.0.0.1:0", false).unwrap();
    let transport = || HttpTransport::new(Some(&server.addr().to_string()), None, Duration::from_secs(5)).unwrap();
    for (budget, why) in [
        (StepBudget { other: 2, ..StepBudget::default() }, "did not settle within 2 steps"),
        (StepBudget { pictures_per_list: 5, ..StepBudget::default() }, "more than 5 picture fetches"),
    ] {
        let report = probe::probe(&options(budget), &transport()).unwrap();
        let cut = report.cut_short.clone().unwrap_or_default();
        assert!(cut.contains(why), "{cut:?}");
        assert_eq!(probe::exit_status(&report), probe::EXIT_CUT_SHORT);
        assert!(probe::render(&report).contains("CUT SHORT"));
    }
    // With the default budget the same IdP settles.
    let report = probe::probe(&options(StepBudget::default()), &transport()).unwrap();
    assert_eq!((report.cut_short.clone(), probe::exit_status(&report)), (None, 0));
}

/// A server that stalls: the overall deadline stops the probe, whatever
/// the per-fetch timeout, with its own message and exit status 3.
#[test]
fn the_overall_deadline_stops_a_stalled_probe() {
    let text = json!({
        "name": "slow",
        "rp": {"origin": RP},
        "call": {"get": {"identity": {"providers": [{"configURL": "https://idp.example/config.json", "clientId": "1"}]}}},
        "idp": {"https://idp.example/config.json": {"delay_ms": 30_000, "body": {}}}
    });
    let server = Server::start(&Scenario::parse(&text.to_string()).unwrap(), "127.0.0.1:0", false).unwrap();
    let ran = probe_via(&server, &["--timeout", "30", "--deadline", "1"]);
    assert_eq!(ran.code, Some(3), "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("deadline of 1 s passed"), "{}", ran.stderr);
    assert!(ran.stdout.contains("CUT SHORT"), "{}", ran.stdout);
    // Not a speed claim: it only tells the 1 s deadline from the 30 s timeout.
    assert!(ran.elapsed < Duration::from_secs(25), "took {:?}", ran.elapsed);
}

#[test]
fn zero_timeout_or_deadline_is_refused() {
    for flag in ["--timeout", "--deadline"] {
        let ran = fedcm(&["probe", "https://idp.example/config.json", "--client-id", "1", flag, "0"], LIMIT);
        assert_eq!(ran.code, Some(2), "{flag} 0: {}", ran.stderr);
    }
}

/// A port on 127.0.0.1 that refuses connections for as long as the value
/// lives. A listener bound and dropped frees its port, which another test
/// of this binary may then take; this port stays held by the client end of
/// a connection (no listener on it, so a connect gets a reset), and a
/// listener binding port 0 is never given it.
struct Refusing {
    port: u16,
    _held: (TcpListener, std::net::TcpStream, std::net::TcpStream),
}

fn refusing_port() -> Refusing {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    Refusing { port: client.local_addr().unwrap().port(), _held: (listener, client, server) }
}

/// The largest values are accepted without overflowing the clock.
#[test]
fn the_largest_timeout_and_deadline_do_not_panic() {
    let closed = refusing_port();
    let url = format!("http://127.0.0.1:{}/config.json", closed.port);
    for flag in ["--timeout", "--deadline"] {
        let ran = fedcm(&["probe", &url, "--client-id", "1", flag, &u64::MAX.to_string()], LIMIT);
        assert!(!ran.stderr.contains("panicked"), "{flag}: {}", ran.stderr);
        assert_eq!(ran.code, Some(1), "{flag}: {}", ran.stderr);
    }
}

const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}1\u{202e}";

fn assert_no_raw_controls(what: &str, text: &str) {
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(c), "{what} printed U+{:04X} raw:\n{text}", c as u32);
    }
    assert!(text.contains("\\u{1b}") || text.contains("\\u001b"), "{what} does not show the escape:\n{text}");
}

/// Escape codes in account ids, names and the token reach the terminal
/// escaped, in probe's, run's and lint's text output.
#[test]
fn escape_codes_from_an_idp_are_not_printed_raw() {
    let accounts =
        json!([{"id": HOSTILE, "name": HOSTILE, "email": "e@x.example", "picture": "https://idp.example/p.png"}]);
    let server = Server::start(&scenario_with_token(accounts, HOSTILE), "127.0.0.1:0", false).unwrap();
    assert_no_raw_controls("probe", &probe_via(&server, &[]).stdout);
    assert_no_raw_controls("probe --assert", &probe_via(&server, &["--assert"]).stdout);

    let dir = std::env::temp_dir().join(format!("fedcm-hostile-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut run = world(json!([{"id": HOSTILE, "name": HOSTILE, "email": "e@x.example"}]), HOSTILE);
    run["name"] = json!(HOSTILE);
    run["user"] = json!([{"choose": HOSTILE}]);
    let file = dir.join("hostile.json");
    std::fs::write(&file, run.to_string()).unwrap();
    assert_no_raw_controls("run", &fedcm(&["run", file.to_str().unwrap()], LIMIT).stdout);

    let doc = dir.join("accounts.json");
    let body = json!({"accounts": [{"id": "1", "name": "n", "email": "e@x.example", "picture": HOSTILE}]});
    std::fs::write(&doc, body.to_string()).unwrap();
    assert_no_raw_controls("lint", &fedcm(&["lint", "--kind", "accounts", doc.to_str().unwrap()], LIMIT).stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server on 127.0.0.1 that answers each of up to `connections`
/// connections with `reply`, after reading the request head.
fn raw_server(reply: Vec<u8>, connections: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            // A TLS ClientHello (0x16) has no blank line: answer it at once.
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.first() != Some(&0x16) && head.len() < 65_536 {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = stream.write_all(&reply);
            let _ = stream.shutdown(std::net::Shutdown::Write);
            // Drain what the client still sends, so closing does not reset.
            let _ = stream.read(&mut buf);
        }
    });
    port
}

/// The config fetch's report when the IdP at 127.0.0.1:`port` is probed.
fn config_fetch(scheme: &str, port: u16) -> Value {
    let url = format!("{scheme}://127.0.0.1:{port}/config.json");
    let ran = fedcm(&["probe", &url, "--client-id", "1", "--timeout", "5", "--json"], LIMIT);
    let report = json_of(&ran);
    report["fetches"].as_array().unwrap().iter().find(|f| f["kind"] == "config").cloned().unwrap_or(Value::Null)
}

fn network_error(fetch: &Value) -> String {
    fetch["network_error"].as_str().unwrap_or_default().to_string()
}

/// "error sending request for url" names no cause; the report now does.
#[test]
fn a_failed_fetch_names_its_cause() {
    let garbage = config_fetch("http", raw_server(b"\x00\x01 not http at all\r\n\r\n".to_vec(), 4));
    assert!(network_error(&garbage).contains("HTTP/1.x status line"), "{garbage}");

    let http09 = config_fetch("http", raw_server(br#"{"accounts_endpoint":"/a"}"#.to_vec(), 4));
    assert!(network_error(&http09).contains("HTTP/0.9"), "{http09}");

    let mut big = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 1_100_000));
    big.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
    let oversized = config_fetch("http", raw_server(big, 4));
    assert!(network_error(&oversized).contains("response head is too large"), "{oversized}");

    let plain = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec();
    let tls = config_fetch("https", raw_server(plain, 4));
    assert!(network_error(&tls).contains("plain HTTP on this https URL"), "{tls}");

    let closed = refusing_port();
    let refused = config_fetch("http", closed.port);
    assert!(network_error(&refused).contains("connection refused"), "{refused}");
}

/// A gzip body is passed through undecoded (no decompression here): the
/// report says so next to the problems it causes.
#[test]
fn an_undecoded_content_encoding_is_reported() {
    let reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00";
    let fetch = config_fetch("http", raw_server(reply.to_vec(), 4));
    let note = fetch["note"].as_str().unwrap_or_default();
    assert!(note.contains("Content-Encoding: gzip") && note.contains("encoded bytes"), "{fetch}");
}

/// What the tiny IdP saw: the paths asked for, and the most held picture
/// requests it had open at once.
#[derive(Default)]
struct Seen {
    paths: Vec<String>,
    open: usize,
    most_open: usize,
}

type Shared = Arc<(Mutex<Seen>, Condvar)>;

fn paths(seen: &Shared) -> Vec<String> {
    seen.0.lock().map(|s| s.paths.clone()).unwrap_or_default()
}

/// A tiny IdP on 127.0.0.1 whose accounts carry the pictures `pictures`
/// names for its port; one thread per connection (at most 64). A picture
/// under `/hold-` is held until a second one is open or 25 s pass, so
/// fetching them one by one shows as `most_open == 1` (concurrent fetches
/// are released at once; the wait is long for a loaded machine).
fn picture_idp(pictures: impl Fn(u16) -> Vec<String>) -> (u16, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Shared = Arc::default();
    let shared = seen.clone();
    let config = format!("http://127.0.0.1:{port}/config.json");
    let accounts: Vec<Value> = pictures(port)
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"id": i.to_string(), "name": "n", "email": "e@x.example", "picture": p}))
        .collect();
    let accounts = json!({"accounts": accounts}).to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(stream) = stream else { continue };
            let (shared, config, accounts) = (shared.clone(), config.clone(), accounts.clone());
            std::thread::spawn(move || answer(stream, &shared, &config, &accounts));
        }
    });
    (port, seen)
}

fn answer(mut stream: std::net::TcpStream, shared: &Shared, config: &str, accounts: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let (ct, body) = match path.as_str() {
        "/.well-known/web-identity" => ("application/json", json!({"provider_urls": [config]}).to_string()),
        "/config.json" => (
            "application/json",
            json!({"accounts_endpoint": "/accounts", "id_assertion_endpoint": "/assertion", "login_url": "/login"})
                .to_string(),
        ),
        "/accounts" => ("application/json", accounts.to_string()),
        _ => ("image/png", "png".to_string()),
    };
    let picture = path.starts_with("/hold-");
    let (lock, wake) = &**shared;
    if let Ok(mut s) = lock.lock() {
        s.paths.push(path);
        if picture {
            s.open += 1;
            s.most_open = s.most_open.max(s.open);
            wake.notify_all();
            let _ = wake.wait_timeout_while(s, Duration::from_secs(25), |s| s.most_open < 2);
        }
    }
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.read(&mut buf);
    if picture {
        if let Ok(mut s) = lock.lock() {
            s.open -= 1;
        }
    }
}

/// The pictures the model hands out together are fetched concurrently
/// (a bounded number at once), not one by one.
#[test]
fn pictures_are_fetched_concurrently() {
    let (port, seen) = picture_idp(|port| (0..6).map(|i| format!("http://127.0.0.1:{port}/hold-{i}.png")).collect());
    let url = format!("http://127.0.0.1:{port}/config.json");
    let ran = fedcm(&["probe", &url, "--client-id", "1", "--json"], LIMIT);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let most_open = seen.0.lock().map(|s| s.most_open).unwrap_or(0);
    assert!((2..=fedcm_workbench::transport::PICTURE_CONCURRENCY).contains(&most_open), "{most_open} at once");
    assert_eq!(paths(&seen).iter().filter(|p| p.ends_with(".png")).count(), 6);
}

/// Pictures on loopback and private addresses are not fetched without
/// --allow-private (the config's own host excepted), and that is reported
/// as the probe's choice, not as an IdP error.
#[test]
fn pictures_on_private_addresses_are_refused_unless_allowed() {
    let (port, seen) = picture_idp(|port| {
        vec![
            format!("http://localhost:{port}/other.png"),
            "http://10.255.255.1/lan.png".into(),
            format!("http://127.0.0.1:{port}/own.png"),
        ]
    });
    let url = format!("http://127.0.0.1:{port}/config.json");
    let ran = fedcm(&["probe", &url, "--client-id", "1", "--json"], LIMIT);
    let report = json_of(&ran);
    let fetches = report["fetches"].as_array().unwrap();
    let picture = |name: &str| fetches.iter().find(|f| f["url"].as_str().unwrap_or("").ends_with(name)).unwrap();
    for name in ["other.png", "lan.png"] {
        let not_fetched = picture(name)["not_fetched"].as_str().unwrap_or_default();
        assert!(not_fetched.contains("private address") && not_fetched.contains("--allow-private"), "{report}");
    }
    assert_eq!(picture("own.png")["status"], 200, "{report}");
    assert_eq!(report["errors"], 0, "a refusal is not the IdP's error: {report}");
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let asked = paths(&seen);
    assert!(asked.iter().any(|p| p == "/own.png") && !asked.iter().any(|p| p == "/other.png"), "{asked:?}");

    let (port, seen) = picture_idp(|port| vec![format!("http://localhost:{port}/other.png")]);
    let url = format!("http://127.0.0.1:{port}/config.json");
    let ran = fedcm(&["probe", &url, "--client-id", "1", "--json", "--allow-private"], LIMIT);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(paths(&seen).iter().any(|p| p == "/other.png"));
}

/// Many accounts whose pictures are each as large as a body may be (1
/// MiB): the probe counts each picture's bytes and drops them, instead of
/// holding every picture of the list until the last one arrives (96 MiB
/// here; ~125 MB peak before, ~15 MB for a small IdP).
#[test]
fn large_pictures_are_not_held_in_memory() {
    const PICTURES: usize = 96;
    let mut idp = scenario(pictured_accounts(PICTURES));
    let png = json!({"body": "x".repeat(MAX_BODY_BYTES), "headers": {"content-type": "image/png"}});
    idp.idp.insert("https://idp.example/p.png".into(), serde_json::from_value(png).unwrap());
    let server = Server::start(&idp, "127.0.0.1:0", false).unwrap();
    let ran = probe_via(&server, &["--json", "--deadline", "600"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.peak_kb < 48_000, "peaked at {} kB", ran.peak_kb);
    let report = json_of(&ran);
    let fetches = report["fetches"].as_array().unwrap();
    let sizes: Vec<&Value> = fetches.iter().filter(|f| f["kind"] == "picture").map(|f| &f["bytes"]).collect();
    assert_eq!(sizes.len(), PICTURES);
    assert!(sizes.iter().all(|b| **b == MAX_BODY_BYTES), "{sizes:?}");
    assert!(fetches.iter().all(|f| f["content_type"] == "image/png" || f["kind"] != "picture"));
}

/// The stop before the assertion names a few account ids, not all of
/// them (1,000 in a list of 1,000).
#[test]
fn the_stop_message_names_at_most_ten_accounts() {
    let server = Server::start(&scenario(pictured_accounts(20)), "127.0.0.1:0", false).unwrap();
    let transport = HttpTransport::new(Some(&server.addr().to_string()), None, Duration::from_secs(5)).unwrap();
    let report = probe::probe(&ProbeOptions { assert: false, ..options(StepBudget::default()) }, &transport).unwrap();
    let stopped = report.stopped.unwrap_or_default();
    assert!(stopped.ends_with("with 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 10 more"), "{stopped}");
}

/// `probe --scenario` exits 3 only when the deadline cut a fetch short, not
/// whenever the clock has passed it: here the scenario (read from standard
/// input) arrives after the deadline and needs no fetch at all.
#[test]
fn a_scenario_run_not_cut_by_the_deadline_is_not_exit_3() {
    let text = json!({
        "name": "no fetch",
        "rp": {"origin": RP},
        "call": {"get": {"identity": {"providers": []}}}
    });
    let mut child = common::fedcm(&["probe", "--scenario", "-", "--deadline", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Setup, not an assertion: let the 1 s deadline pass before the input.
    std::thread::sleep(Duration::from_millis(1500));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(text.to_string().as_bytes()).unwrap();
    drop(stdin);
    let (status, _) = common::wait(&mut child, LIMIT);
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    assert_ne!(status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains("deadline"), "{stderr}");
}

/// `probe --scenario` without --via fetches pictures from the host of the
/// config URL the scenario names (a local IdP), as a plain probe does.
#[test]
fn a_scenario_probe_trusts_its_config_urls_host() {
    let (port, seen) = picture_idp(|port| vec![format!("http://127.0.0.1:{port}/own.png")]);
    let origin = format!("http://127.0.0.1:{port}");
    let text = json!({
        "name": "local IdP",
        "rp": {"origin": RP},
        "browser": {"login_status": {origin.clone(): "logged-in"}},
        "call": {"get": {"identity": {"providers": [{"configURL": format!("{origin}/config.json"), "clientId": "1"}]}}}
    });
    let dir = std::env::temp_dir().join(format!("fedcm-hostile-probe-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("local.json");
    std::fs::write(&file, text.to_string()).unwrap();
    let ran = fedcm(&["probe", "--scenario", file.to_str().unwrap(), "--timeout", "5"], LIMIT);
    let _ = std::fs::remove_dir_all(&dir);
    let asked = paths(&seen);
    assert!(asked.iter().any(|p| p == "/own.png"), "{asked:?}\n{}\n{}", ran.stdout, ran.stderr);
}
