//! `fedcm explore` is bounded: `--max-states` stops a deep search with its
//! own exit status and a message saying what was explored, and progress
//! reaches a non-terminal stderr within a starting configuration, not only
//! between them (depth 40 used to grow past 6 GB in silence).

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Exit status of a search stopped by `--max-states` (src/explore.rs).
const EXIT_BOUND: i32 = 3;

/// The peak RSS in kB of a running process, from /proc.
fn peak_rss_kb(child: &Child) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `fedcm explore ARGS` with a hang guard; returns (exit code, stdout,
/// stderr, peak RSS in kB).
fn explore(args: &[&str]) -> (Option<i32>, String, String, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedcm"))
        .arg("explore")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fedcm");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    // Only a guard against hanging, never a speed assertion.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut peak = 0;
    let status = loop {
        peak = peak.max(peak_rss_kb(&child).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fedcm explore {args:?} did not finish within the guard");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code(), out.join().expect("stdout"), err.join().expect("stderr"), peak)
}

#[test]
fn max_states_stops_a_deep_search_with_its_own_exit_status() {
    let (code, stdout, stderr, peak_kb) = explore(&["--depth", "40", "--max-states", "20000"]);
    assert_eq!(code, Some(EXIT_BOUND), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("stopped: --max-states 20000 reached"), "{stderr}");
    assert!(stderr.contains("KB per state"), "{stderr}");
    assert!(stdout.contains("distinct states    20000"), "{stdout}");
    assert!(stdout.contains("result             incomplete"), "{stdout}");
    assert!(peak_kb < 500_000, "peak RSS {peak_kb} kB");
}

#[test]
fn progress_reaches_a_pipe_within_one_start() {
    let (code, _, stderr, _) = explore(&["--depth", "40", "--max-states", "3000", "--progress-every", "500"]);
    assert_eq!(code, Some(EXIT_BOUND), "{stderr}");
    // "[0/N]": no starting configuration finished yet.
    let within_first = stderr.lines().filter(|l| l.starts_with("[0/")).count();
    assert!(within_first >= 3, "progress lines within the first start: {within_first}\n{stderr}");
}

#[test]
fn max_states_zero_is_refused() {
    let (code, _, stderr, _) = explore(&["--max-states", "0"]);
    assert_eq!(code, Some(2), "{stderr}");
}
