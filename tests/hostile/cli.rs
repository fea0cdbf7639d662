//! The CLI's inputs and outputs: endless or huge inputs, closed and full
//! output, odd files in a scenario directory. Every child runs under an
//! address-space limit (`ulimit -v`) and a deadline.

use super::common::{capped as fedcm, run, wait};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

/// Only a guard against hanging.
const LIMIT: Duration = Duration::from_secs(60);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fedcm-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn scenario_dir() -> PathBuf {
    fedcm_check::corpus::scenarios_dir()
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
    let (status, _) = wait(&mut child, LIMIT);
    let written = writer.join().unwrap();
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("body-too-large"), "{out}");
    assert!(written < 100 << 20, "the CLI read {written} bytes of an endless input");
}

#[test]
fn an_endless_device_is_not_a_scenario() {
    let ran = run(fedcm(&["run", "/dev/zero"]), LIMIT);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("a scenario file may be at most 8388608 bytes"), "{}", ran.stderr);
}

#[test]
fn huge_request_options_are_refused_in_bounded_memory() {
    let dir = temp_dir("request");
    let file = dir.join("request.json");
    let mut text = String::from("[");
    text.push_str(&"0,".repeat(30 << 20));
    text.push_str("0]");
    std::fs::write(&file, text).unwrap();
    let ran = run(fedcm(&["lint", "--kind", "request", file.to_str().unwrap()]), LIMIT);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("request options file may be at most 1048576 bytes"), "{}", ran.stderr);
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
    let (status, _) = wait(&mut child, LIMIT);
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
    let (status, _) = wait(&mut child, LIMIT);
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
    let ran = run(fedcm(&["run", dir.to_str().unwrap()]), LIMIT);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("skipping") && ran.stderr.contains("002.json: not a regular file"), "{}", ran.stderr);
    assert!(ran.stdout.contains("1 scenario(s): 1 passed"), "{}", ran.stdout);
}

#[test]
fn an_empty_scenario_directory_is_an_error() {
    let dir = temp_dir("empty");
    let ran = run(fedcm(&["run", dir.to_str().unwrap()]), LIMIT);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("holds no scenario files"), "{}", ran.stderr);
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
    let ran = run(fedcm(&["run", dir.to_str().unwrap(), "--json"]), 5 * LIMIT);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let all: serde_json::Value = serde_json::from_str(&ran.stdout).expect("one JSON array");
    assert_eq!(all.as_array().map(Vec::len), Some(3000));
}
