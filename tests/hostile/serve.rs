//! `fedcm serve` under abuse: floods of bad requests, slow and idle
//! connections, oversized bodies, scenarios HTTP cannot carry, a log sink
//! that goes away, and running out of file descriptors. Each test bounds its
//! time with read deadlines and kills the server it spawned.

use super::common::{bin, fedcm, run};
use fedcm_workbench::scenario::{MockIdp, Scenario, MAX_DELAY_MS};
use fedcm_workbench::serve::{
    ServeError, ServeOptions, Server, MAX_CONNECTIONS, MAX_VIOLATION_LINE, RECENT_VIOLATIONS,
};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/faulty-idp.json");

/// A spawned `fedcm serve`, killed when dropped.
struct Served {
    child: Child,
    addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// `fedcm serve SCENARIO --port 0 ARGS` with stderr as given, once its
    /// banner names the address.
    fn start(scenario: &str, args: &[&str], stderr: Stdio) -> Served {
        Served::spawn(Command::new(bin()).arg("serve").arg(scenario).args(args), stderr)
    }

    fn spawn(command: &mut Command, stderr: Stdio) -> Served {
        let mut child = command.stdout(Stdio::piped()).stderr(stderr).spawn().expect("fedcm runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().rsplit("http://").next().unwrap().to_string();
        Served { child, addr }
    }

    fn connect(&self) -> TcpStream {
        connect(&self.addr)
    }

    /// (VmRSS, VmHWM) in kB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb = |key: &str| {
            let line = status.lines().find(|l| l.starts_with(key)).unwrap();
            line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
        };
        (kb("VmRSS:"), kb("VmHWM:"))
    }
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(15))).unwrap();
    stream
}

/// One HTTP/1.1 response: its status and body (`None` if the connection
/// ended first).
fn response(stream: &mut TcpStream) -> Option<(u16, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |n| n.trim().parse().unwrap_or(0));
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some((status, String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned()))
}

/// Reads until the server closes the connection (Ok(0) or a reset) and
/// says how long that took; panics if it stays open past the deadline.
fn closed_within(stream: &mut TcpStream, deadline: Duration) -> Duration {
    let began = Instant::now();
    stream.set_read_timeout(Some(deadline)).unwrap();
    let mut sink = [0u8; 1024];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return began.elapsed(),
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                panic!("the connection was still open after {:?}", began.elapsed())
            }
            Err(_) => return began.elapsed(),
        }
    }
}

const CONFIG_GET: &[u8] = b"GET /fedcm.json HTTP/1.1\r\nHost: idp.example\r\nSec-Fetch-Dest: webidentity\r\n\r\n";

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile_serve");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// 2,000 requests that each break several rules, with 60 KB URLs, over one
/// kept-alive connection: the server keeps a bounded record and log.
#[test]
fn a_flood_of_rule_breaking_requests_with_huge_urls_stays_small() {
    let log = scratch("flood.log");
    let server = Served::start(EXAMPLE, &["--port", "0"], Stdio::from(std::fs::File::create(&log).unwrap()));
    let request = format!("GET /fedcm/assertion?{} HTTP/1.1\r\nHost: idp.example\r\n\r\n", "x".repeat(60_000));
    let mut stream = server.connect();
    for i in 0..2_000 {
        stream.write_all(request.as_bytes()).unwrap();
        let (status, _) = response(&mut stream).unwrap_or_else(|| panic!("no answer to request {i}"));
        assert_eq!(status, 400);
    }
    let (rss, hwm) = server.memory();
    assert!(hwm < 100 * 1024, "VmRSS {rss} kB, VmHWM {hwm} kB after the flood");
    drop(server);
    // One line per request, the URL clipped: well under 1 KB each.
    let logged = std::fs::metadata(&log).unwrap().len();
    assert!(logged < 2_000 * 1024, "{logged} bytes of log for 2,000 requests");
}

#[test]
fn the_violation_record_keeps_counts_and_the_last_few_clipped() {
    let scenario = Scenario::parse(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    let server = Server::start(&scenario, "127.0.0.1:0", false).unwrap();
    let request = format!("GET /fedcm/assertion?{} HTTP/1.1\r\nHost: idp.example\r\n\r\n", "x".repeat(60_000));
    let mut stream = connect(&server.addr().to_string());
    for _ in 0..100 {
        stream.write_all(request.as_bytes()).unwrap();
        assert_eq!(response(&mut stream).unwrap().0, 400);
    }
    let recent = server.violations();
    assert_eq!(recent.len(), RECENT_VIOLATIONS);
    assert!(recent.iter().all(|v| v.len() <= MAX_VIOLATION_LINE + 32), "{:?}", recent[0]);
    let counts = server.violation_counts();
    // Each request: no Sec-Fetch-Dest, not a POST, no Origin, two missing fields.
    assert_eq!(counts.total, 500);
    assert_eq!(counts.by_rule["sec-fetch-dest"], 100);
    assert_eq!(counts.by_rule["body-field"], 200);
}

/// Half a request head, then a byte at a time: closed at the header timeout.
#[test]
fn a_slowloris_connection_is_closed_at_the_header_timeout() {
    let server = Served::start(EXAMPLE, &["--header-timeout", "1", "--log", "none"], Stdio::null());
    let mut stream = server.connect();
    stream.write_all(b"GET /fedcm.json HTTP/1.1\r\nHost: idp.ex").unwrap();
    assert!(closed_within(&mut stream, Duration::from_secs(15)) < Duration::from_secs(15));

    // A byte every 200 ms: the writes or reads stop well before 15 s.
    let mut stream = server.connect();
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    stream.write_all(b"GET /fedcm.json HTTP/1.1\r\n").unwrap();
    let began = Instant::now();
    let mut sink = [0u8; 64];
    let closed = loop {
        assert!(began.elapsed() < Duration::from_secs(15), "a trickling client kept its connection");
        if stream.write_all(b"x").is_err() {
            break true;
        }
        match stream.read(&mut sink) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break true,
        }
    };
    assert!(closed);
}

/// A kept-alive connection that sends nothing more is closed.
#[test]
fn an_idle_keep_alive_connection_is_closed() {
    let server =
        Served::start(EXAMPLE, &["--idle-timeout", "1", "--header-timeout", "60", "--log", "none"], Stdio::null());
    let mut stream = server.connect();
    stream.write_all(CONFIG_GET).unwrap();
    assert_eq!(response(&mut stream).unwrap().0, 200);
    closed_within(&mut stream, Duration::from_secs(15));
}

/// A scripted delay longer than the idle timeout is not idleness.
#[test]
fn a_scripted_delay_outlasts_the_idle_timeout() {
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    s["idp"]["https://idp.example/slow.json"] = json!({"delay_ms": 2500, "body": {"slow": true}});
    let scenario = Scenario::parse(&s.to_string()).unwrap();
    let options = fedcm_workbench::serve::ServeOptions {
        log: fedcm_workbench::serve::LogLevel::None,
        idle_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let server = Server::start_with(&scenario, "127.0.0.1:0", options).unwrap();
    let mut stream = connect(&server.addr().to_string());
    stream.write_all(b"GET /slow.json HTTP/1.1\r\nHost: idp.example\r\nSec-Fetch-Dest: webidentity\r\n\r\n").unwrap();
    assert_eq!(response(&mut stream), Some((200, "{\"slow\":true}".into())));
}

#[test]
fn a_body_over_64_kib_gets_413_and_the_connection_goes_on() {
    let scenario = Scenario::parse(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    let server = Server::start(&scenario, "127.0.0.1:0", false).unwrap();
    let mut stream = connect(&server.addr().to_string());
    let body = format!("client_id=rp-123&account_id=1&pad={}", "a".repeat(100_000));
    let head = format!(
        "POST /fedcm/assertion HTTP/1.1\r\nHost: idp.example\r\nSec-Fetch-Dest: webidentity\r\n\
         Origin: https://rp.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let (status, text) = response(&mut stream).expect("an answer");
    assert_eq!(status, 413, "{text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert!(error["error"].as_str().unwrap().contains("65536 bytes"), "{text}");
    stream.write_all(CONFIG_GET).unwrap();
    assert_eq!(response(&mut stream).unwrap().0, 200);
    assert!(server.violations().is_empty());
}

/// A request head past the buffer cap is refused, not buffered: at the
/// connection cap, hyper's default (~400 KB each) would pass 100 MB.
#[test]
fn a_request_head_over_128_kib_gets_431() {
    let scenario = Scenario::parse(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    let server = Server::start(&scenario, "127.0.0.1:0", false).unwrap();
    let mut stream = connect(&server.addr().to_string());
    let request = format!("GET /fedcm.json?{} HTTP/1.1\r\nHost: idp.example\r\n\r\n", "x".repeat(200_000));
    // hyper answers and closes with part of the head unread, which resets
    // the connection (RFC 9112 section 9.6); some stacks drop received data
    // on a reset. So write on another thread and read here at once, while
    // the writer may still be blocked: the 431 is read as it arrives.
    let mut writer = stream.try_clone().unwrap();
    let writing = std::thread::spawn(move || {
        // Fails (reset, broken pipe) once the server has closed.
        let _ = writer.write_all(request.as_bytes());
    });
    assert_eq!(response(&mut stream).map(|r| r.0), Some(431));
    writing.join().unwrap();
}

/// Responses HTTP cannot carry are refused at start, naming the field.
#[test]
fn a_scenario_http_cannot_carry_is_refused_with_exit_2() {
    let base: Value = serde_json::from_str(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    let cases = [
        ("status-0", json!({"status": 0}), "status: 0"),
        ("status-1000", json!({"status": 1000}), "status: 1000"),
        ("status-100", json!([{"body": "{}"}, {"status": 100}]), "[1].status: 100"),
        ("header-crlf", json!({"headers": {"x-a": "b\r\nSet-Cookie: evil=1"}}), "headers[\"x-a\"]"),
        ("header-name", json!({"headers": {"bad name": "1"}}), "headers[\"bad name\"]"),
        ("wrong-length", json!({"headers": {"Content-Length": "3"}, "body": "0123456789"}), "(10 bytes)"),
        ("long-delay", json!({"delay_ms": MAX_DELAY_MS + 1, "body": "{}"}), "delay_ms: 600001"),
        ("long-delay-then-error", json!([{}, {"delay_ms": u64::MAX, "network_error": "x"}]), "[1].delay_ms"),
        (
            "length-and-chunked",
            json!({"headers": {"content-length": "2", "transfer-encoding": "chunked"}, "body": "{}"}),
            "Transfer-Encoding",
        ),
    ];
    for (name, response, field) in cases {
        let mut s = base.clone();
        s["idp"]["https://idp.example/fedcm.json"] = response;
        let file = scratch(&format!("{name}.json"));
        std::fs::write(&file, s.to_string()).unwrap();
        let mut child = Command::new(bin())
            .args(["serve", file.to_str().unwrap(), "--port", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = String::new();
        // The child exits on its own; a server that started would keep this
        // pipe open, so bound the wait by killing it after the deadline.
        let began = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if began.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert_eq!(status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains("idp[\"https://idp.example/fedcm.json\"]"), "{name}: {stderr}");
        assert!(stderr.contains(field), "{name}: {field} not in {stderr}");
    }
}

/// A scripted Content-Length that is right is served as written.
#[test]
fn a_right_scripted_content_length_is_served() {
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    s["idp"]["https://idp.example/fedcm.json"] = json!({"headers": {"Content-Length": "10"}, "body": "0123456789"});
    let scenario = Scenario::parse(&s.to_string()).unwrap();
    let server = Server::start(&scenario, "127.0.0.1:0", false).unwrap();
    let mut stream = connect(&server.addr().to_string());
    stream.write_all(CONFIG_GET).unwrap();
    assert_eq!(response(&mut stream), Some((200, "0123456789".into())));
}

/// `fedcm serve ... 2>&1 | head -1`: the log reader goes away, the server
/// goes on answering.
#[test]
fn a_closed_stderr_does_not_stop_the_server() {
    let mut server = Served::start(EXAMPLE, &[], Stdio::piped());
    drop(server.child.stderr.take());
    for i in 0..50 {
        let mut stream = server.connect();
        stream.write_all(CONFIG_GET).unwrap();
        assert_eq!(response(&mut stream).map(|r| r.0), Some(200), "request {i} after stderr closed");
    }
}

#[test]
fn listening_beyond_loopback_warns() {
    let log = scratch("wide.log");
    let server = Served::start(EXAMPLE, &["--host", "0.0.0.0"], Stdio::from(std::fs::File::create(&log).unwrap()));
    drop(server);
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(stderr.contains("warning") && stderr.contains("not loopback"), "{stderr}");

    let log = scratch("loopback.log");
    let server = Served::start(EXAMPLE, &[], Stdio::from(std::fs::File::create(&log).unwrap()));
    drop(server);
    assert!(!std::fs::read_to_string(&log).unwrap().contains("warning"));
}

#[test]
fn zero_limits_are_refused() {
    for flag in ["--header-timeout", "--idle-timeout", "--max-connections"] {
        let out = Command::new(bin()).args(["serve", EXAMPLE, flag, "0"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
    }
}

/// Out of file descriptors, the accept loop says so once and backs off,
/// and serves again when descriptors free up.
#[test]
fn running_out_of_file_descriptors_is_survived() {
    let log = scratch("emfile.log");
    let mut command = Command::new("sh");
    command.args(["-c", "ulimit -n 24 && exec \"$0\" serve \"$1\" --port 0 --max-connections 1000 --log none"]);
    command.args([bin().as_str(), EXAMPLE]);
    let server = Served::spawn(&mut command, Stdio::from(std::fs::File::create(&log).unwrap()));
    let mut held: Vec<TcpStream> = (0..40).map(|_| server.connect()).collect();
    // Wait (bounded) until the server has said it cannot accept.
    let began = Instant::now();
    while !std::fs::read_to_string(&log).unwrap().contains("cannot accept") {
        assert!(began.elapsed() < Duration::from_secs(10), "no accept failure reported");
        std::thread::sleep(Duration::from_millis(50));
    }
    held.clear();
    let mut stream = server.connect();
    stream.write_all(CONFIG_GET).unwrap();
    assert_eq!(response(&mut stream).map(|r| r.0), Some(200));
    drop(server);
    let stderr = std::fs::read_to_string(&log).unwrap();
    let failures = stderr.lines().filter(|l| l.contains("cannot accept")).count();
    assert!(failures <= 10, "{failures} accept failures logged:\n{stderr}");
}

/// A delay of exactly the cap is served (and not refused).
#[test]
fn a_delay_up_to_ten_minutes_is_accepted() {
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    s["idp"]["https://idp.example/slow.json"] = json!({"delay_ms": MAX_DELAY_MS, "body": {}});
    let scenario = Scenario::parse(&s.to_string()).unwrap();
    assert!(Server::start(&scenario, "127.0.0.1:0", false).is_ok());
}

/// Out of file descriptors before the event loop exists: the server says
/// so and exits 2, rather than printing its banner and exiting 0.
#[test]
fn a_server_that_cannot_set_up_its_event_loop_exits_2() {
    // Descriptors 0-2 and the listening socket (3) fit; the event loop's
    // epoll and wake-up descriptors do not.
    let mut command = Command::new("sh");
    command.args(["-c", "ulimit -n 5 && exec \"$0\" serve \"$1\" --port 0 --log none"]);
    command.args([bin().as_str(), EXAMPLE]);
    let ran = run(command, Duration::from_secs(10));
    assert_eq!(ran.code, Some(2), "stdout: {}\nstderr: {}", ran.stdout, ran.stderr);
    assert!(!ran.stdout.contains("http://"), "a banner for a server that never ran: {}", ran.stdout);
    assert!(ran.stderr.contains("event loop") && ran.stderr.contains("ulimit"), "{}", ran.stderr);
}

/// A taken port is refused with what to do about it.
#[test]
fn a_port_in_use_is_refused_with_advice() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let ran = run(fedcm(&["serve", EXAMPLE, "--port", &port]), Duration::from_secs(10));
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")), "{}", ran.stderr);
    assert!(ran.stderr.contains("choose another --port"), "{}", ran.stderr);

    let scenario = Scenario::parse(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    let e = Server::start(&scenario, &format!("127.0.0.1:{port}"), false).err().expect("the port is taken");
    assert!(matches!(&e, ServeError::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse), "{e:?}");
}

/// Limits out of range are a typed error at start (tokio's semaphore would
/// panic on its thread past `Semaphore::MAX_PERMITS`), and the flag has
/// the same cap.
#[test]
fn a_connection_cap_out_of_range_is_refused() {
    let scenario = Scenario::parse(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    let options = |max_connections| ServeOptions {
        log: fedcm_workbench::serve::LogLevel::None,
        max_connections,
        ..Default::default()
    };
    for bad in [0, MAX_CONNECTIONS + 1, usize::MAX] {
        match Server::start_with(&scenario, "127.0.0.1:0", options(bad)) {
            Err(e @ ServeError::Limits { .. }) => assert!(e.to_string().contains("max_connections"), "{e}"),
            Err(e) => panic!("{bad}: {e:?}"),
            Ok(_) => panic!("{bad} connections accepted"),
        }
    }
    let zero = ServeOptions { header_timeout: Duration::ZERO, ..options(1) };
    assert!(matches!(Server::start_with(&scenario, "127.0.0.1:0", zero), Err(ServeError::Limits { .. })));
    assert!(Server::start_with(&scenario, "127.0.0.1:0", options(MAX_CONNECTIONS)).is_ok());

    let over = (MAX_CONNECTIONS + 1).to_string();
    let ran = run(fedcm(&["serve", EXAMPLE, "--port", "0", "--max-connections", &over]), Duration::from_secs(10));
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("--max-connections"), "{}", ran.stderr);
}

/// Reading the config files at start leaves every response sequence where
/// it was: the first request still gets the first response.
#[test]
fn peeking_at_a_response_does_not_count_it_as_served() {
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(EXAMPLE).unwrap()).unwrap();
    s["idp"]["https://idp.example/fedcm.json"] = json!([{"body": "first"}, {"body": "second"}]);
    let scenario = Scenario::parse(&s.to_string()).unwrap();
    let rp = scenario.rp().unwrap();
    let mut idp = MockIdp::new(&scenario, &rp);
    let request = fedcm_model::machine::fetch::FetchRequest {
        id: fedcm_model::machine::fetch::RequestId(0),
        kind: fedcm_model::machine::fetch::FetchKind::Config,
        provider: 0,
        method: fedcm_model::machine::fetch::Method::Get,
        url: url::Url::parse("https://idp.example/fedcm.json").unwrap(),
        credentials: fedcm_model::machine::fetch::Credentials::Omit,
        mode: fedcm_model::machine::fetch::RequestMode::NoCors,
        redirect: fedcm_model::machine::fetch::Redirect::Error,
        origin: None,
        headers: Vec::new(),
        body: None,
    };
    let body = |r: fedcm_model::machine::fetch::FetchResult| String::from_utf8(r.unwrap().body).unwrap();
    assert_eq!(body(idp.peek(&request)), "first");
    assert_eq!(body(idp.peek(&request)), "first");
    assert_eq!(body(idp.answer(&request)), "first");
    assert_eq!(body(idp.peek(&request)), "second");
    assert_eq!(body(idp.answer(&request)), "second");

    // And over HTTP, after the server has read the config at start.
    let server = Server::start(&scenario, "127.0.0.1:0", false).unwrap();
    let mut stream = connect(&server.addr().to_string());
    stream.write_all(CONFIG_GET).unwrap();
    assert_eq!(response(&mut stream), Some((200, "first".into())));
}
