//! Running the binary under guards: a deadline that kills it, both pipes
//! drained at once (a chatty child cannot block on either), and its peak
//! memory sampled from /proc.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The binary under test: `FEDCM_BIN`, or this build's `fedcm`.
pub fn bin() -> String {
    std::env::var("FEDCM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_fedcm").to_string())
}

/// `fedcm ARGS`.
pub fn fedcm(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args);
    c
}

/// Address space for [`capped`]: "well under 100 MB" of memory, with room
/// for the binary and its libraries.
pub const VM_LIMIT_KB: u64 = 100 * 1024;

/// `fedcm ARGS` with its address space capped at [`VM_LIMIT_KB`]: a child
/// that tries to hold more fails to allocate and aborts, so the limit holds
/// at every instant, not only when sampled.
pub fn capped(args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(format!("ulimit -v {VM_LIMIT_KB} && exec \"$0\" \"$@\"")).arg(bin()).args(args);
    c
}

/// The peak resident memory of a running process in kB.
pub fn peak_kb(child: &Child) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits for `child`, killing it (and failing) after `limit`; the largest
/// peak memory seen on the way, in kB.
pub fn wait(child: &mut Child, limit: Duration) -> (ExitStatus, u64) {
    let deadline = Instant::now() + limit;
    let mut peak = 0;
    loop {
        peak = peak.max(peak_kb(child).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, peak);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What a bounded run left behind.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// The largest VmHWM sampled, in kB (a lower bound of the true peak).
    pub peak_kb: u64,
}

/// Runs `command` to the end within `limit` (only a guard against hanging,
/// never a speed assertion), with standard input closed.
pub fn run(mut command: Command, limit: Duration) -> Ran {
    let began = Instant::now();
    let mut child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn fedcm");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped")));
    let err = drain(Box::new(child.stderr.take().expect("piped")));
    let (status, peak_kb) = wait(&mut child, limit);
    Ran {
        code: status.code(),
        stdout: out.join().expect("stdout"),
        stderr: err.join().expect("stderr"),
        elapsed: began.elapsed(),
        peak_kb,
    }
}
