//! Hostile and careless use of the CLI, kept as regression tests: endless
//! or huge inputs, closed and full output, odd files in a scenario
//! directory. Every child runs under an address-space limit (`ulimit -v`)
//! and a deadline, so a regression fails the test instead of eating the
//! machine or hanging it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The binary under test; `FEDCM_BIN` points these tests at another build
/// (an older commit, to see them fail there).
fn bin() -> String {
    std::env::var("FEDCM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_fedcm").to_string())
}

/// Address space for a child: "well under 100 MB" of memory, with room for
/// the binary and its libraries.
const VM_LIMIT_KB: u64 = 100 * 1024;

/// `fedcm ARGS` with its address space capped at `VM_LIMIT_KB`: a child
/// that tries to hold more fails to allocate and aborts.
fn fedcm(args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(format!("ulimit -v {VM_LIMIT_KB} && exec \"$0\" \"$@\"")).arg(bin()).args(args);
    c
}

/// Waits for `child`, killing it (and failing) after `limit`.
fn wait(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

/// Runs `command` to the end within `limit`: (status, stdout, stderr), both
/// pipes drained at once so a chatty child cannot block on either.
fn collect(mut command: Command, limit: Duration) -> (ExitStatus, String, String) {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = wait(&mut child, limit);
    (status, out.join().unwrap(), err.join().unwrap())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fedcm-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

#[test]
fn endless_standard_input_stops_at_the_body_limit() {
    // `yes | fedcm lint --kind accounts -`: the writer stops when the child
    // closes its end (or after 200 MB, which a bounded reader never takes).
    let mut child =
        fedcm(&["lint", "--kind", "accounts", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = b"y\n".repeat(32 * 1024);
        let mut written = 0usize;
        while written < 200 << 20 && stdin.write_all(&chunk).is_ok() {
            written += chunk.len();
        }
        written
    });
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let status = wait(&mut child, Duration::from_secs(60));
    let written = writer.join().unwrap();
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("body-too-large"), "{out}");
    assert!(written < 100 << 20, "the CLI read {written} bytes of an endless input");
}

#[test]
fn an_endless_device_is_not_a_scenario() {
    let mut child = fedcm(&["run", "/dev/zero"]).stderr(Stdio::piped()).spawn().unwrap();
    let status = wait(&mut child, Duration::from_secs(60));
    let err = stderr_of(&mut child);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("a scenario file may be at most 8388608 bytes"), "{err}");
}

#[test]
fn huge_request_options_are_refused_in_bounded_memory() {
    let dir = temp_dir("request");
    let file = dir.join("request.json");
    let mut text = String::from("[");
    text.push_str(&"0,".repeat(30 << 20));
    text.push_str("0]");
    std::fs::write(&file, text).unwrap();
    let mut child =
        fedcm(&["lint", "--kind", "request", file.to_str().unwrap()]).stderr(Stdio::piped()).spawn().unwrap();
    let status = wait(&mut child, Duration::from_secs(60));
    let err = stderr_of(&mut child);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("request options file may be at most 1048576 bytes"), "{err}");
}

#[test]
fn a_full_disk_is_a_write_error_not_a_panic() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/defaults/accounts.json");
    let mut child = fedcm(&["lint", "--kind", "accounts", file.to_str().unwrap()])
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait(&mut child, Duration::from_secs(60));
    let err = stderr_of(&mut child);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write to standard output"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_closed_pipe_is_a_quiet_exit() {
    // `fedcm run DIR --json | head -1`: far more output than a pipe buffers.
    let mut child = fedcm(&["run", scenario_dir().to_str().unwrap(), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader is dropped here: the pipe is closed.
    let status = wait(&mut child, Duration::from_secs(60));
    let err = stderr_of(&mut child);
    assert_eq!(first, "[\n");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.is_empty(), "a closed pipe is quiet, got {err:?}");
    assert_eq!(status.code(), Some(141), "the status a shell gives SIGPIPE");
}

#[test]
fn a_fifo_in_a_scenario_directory_is_skipped() {
    let dir = temp_dir("fifo");
    std::fs::copy(scenario_dir().join("022-two-accounts-choose-second.json"), dir.join("001.json")).unwrap();
    let fifo = dir.join("002.json");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (status, out, err) = collect(fedcm(&["run", dir.to_str().unwrap()]), Duration::from_secs(60));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    assert!(err.contains("skipping") && err.contains("002.json: not a regular file"), "{err}");
    assert!(out.contains("1 scenario(s): 1 passed"), "{out}");
}

#[test]
fn an_empty_scenario_directory_is_an_error() {
    let dir = temp_dir("empty");
    let mut child = fedcm(&["run", dir.to_str().unwrap()]).stderr(Stdio::piped()).spawn().unwrap();
    let status = wait(&mut child, Duration::from_secs(60));
    let err = stderr_of(&mut child);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("holds no scenario files"), "{err}");
}

#[test]
fn a_large_directory_streams_its_json_reports() {
    // 3,000 scenarios: about 200 MB when every report was kept for one
    // final array, a few MB when each is written as it finishes.
    let dir = temp_dir("many");
    let source = scenario_dir().join("022-two-accounts-choose-second.json");
    for i in 0..3000 {
        std::os::unix::fs::symlink(&source, dir.join(format!("{i:04}.json"))).unwrap();
    }
    let (status, out, err) = collect(fedcm(&["run", dir.to_str().unwrap(), "--json"]), Duration::from_secs(120));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status.code(), Some(0), "{err}");
    let all: serde_json::Value = serde_json::from_str(&out).expect("one JSON array");
    assert_eq!(all.as_array().map(Vec::len), Some(3000));
}
