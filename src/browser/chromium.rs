//! Finding and starting Chromium for the harness: headless, a fresh
//! profile in a temporary directory, DevTools on a port the browser picks
//! (read from its `DevTools listening on ws://...` line on stderr, within a
//! deadline), the scenario's hosts mapped to the mock IdP and its key
//! trusted. Closed with `Browser.close`, killed when that does not end it.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// Where Debian's package puts the real binary (`/usr/bin/chromium` is a
/// wrapper script that adds flags of its own).
pub const DEBIAN_BINARY: &str = "/usr/lib/chromium/chromium";

/// Names looked up on PATH when neither `--chromium` nor Debian's binary is there.
const PATH_NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/// The longest stderr line read; longer ones are read in pieces.
const MAX_LINE: usize = 8 * 1024;

/// The last stderr lines kept, for error messages.
const STDERR_TAIL: usize = 20;

/// Flags for a quiet, disposable headless browser. `--no-sandbox`: the
/// harness often runs as root (CI, containers), where Chromium refuses to
/// start sandboxed; it only ever loads the mock IdP's pages on loopback.
const FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--remote-debugging-port=0",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// Why the browser could not be found, started or asked its version.
#[derive(Debug)]
pub enum LaunchError {
    /// No binary found; what was tried.
    NotFound(Vec<String>),
    /// `--chromium PATH` names no file.
    Missing(PathBuf),
    /// The process could not be started.
    Spawn { binary: PathBuf, source: std::io::Error },
    /// The profile directory could not be made.
    Profile(std::io::Error),
    /// No DevTools address on stderr in time; the last stderr lines.
    NoDevTools { after: Duration, stderr: Vec<String> },
    /// The browser exited before it was ready.
    Exited { status: String, stderr: Vec<String> },
    /// `--version` failed or printed nothing.
    Version(String),
}

impl std::fmt::Display for LaunchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tail = |lines: &[String]| {
            if lines.is_empty() {
                String::new()
            } else {
                format!("; its last lines on stderr:\n  {}", lines.join("\n  "))
            }
        };
        match self {
            LaunchError::NotFound(tried) => write!(
                f,
                "no Chromium found (tried {}); install Debian's `chromium` package or pass --chromium PATH",
                tried.join(", ")
            ),
            LaunchError::Missing(p) => write!(f, "--chromium {}: no such file", p.display()),
            LaunchError::Spawn { binary, source } => write!(f, "cannot start {}: {source}", binary.display()),
            LaunchError::Profile(e) => write!(f, "cannot make a temporary browser profile: {e}"),
            LaunchError::NoDevTools { after, stderr } => {
                write!(f, "the browser printed no DevTools address within {:.1} s{}", after.as_secs_f64(), tail(stderr))
            }
            LaunchError::Exited { status, stderr } => {
                write!(f, "the browser exited before it was ready ({status}){}", tail(stderr))
            }
            LaunchError::Version(why) => write!(f, "cannot read the browser's version: {why}"),
        }
    }
}

impl std::error::Error for LaunchError {}

/// The browser binary: `explicit`, else Debian's, else the first of the
/// usual names on PATH.
pub fn find(explicit: Option<&Path>) -> Result<PathBuf, LaunchError> {
    if let Some(p) = explicit {
        return if p.is_file() { Ok(p.to_path_buf()) } else { Err(LaunchError::Missing(p.to_path_buf())) };
    }
    let mut tried = vec![DEBIAN_BINARY.to_string()];
    if Path::new(DEBIAN_BINARY).is_file() {
        return Ok(PathBuf::from(DEBIAN_BINARY));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in PATH_NAMES {
        tried.push(format!("{name} on PATH"));
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(LaunchError::NotFound(tried))
}

/// `binary --version`, e.g. `Chromium 156.0.8078.108 built on Debian ...`.
pub async fn version(binary: &Path, deadline: Duration) -> Result<String, LaunchError> {
    let mut child = Command::new(binary)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| LaunchError::Spawn { binary: binary.to_path_buf(), source })?;
    let Some(stdout) = child.stdout.take() else { return Err(LaunchError::Version("no stdout".into())) };
    let mut text = String::new();
    let mut limited = stdout.take(4096);
    let read = limited.read_to_string(&mut text);
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(LaunchError::Version(e.to_string())),
        Err(_) => return Err(LaunchError::Version(format!("no answer within {} s", deadline.as_secs()))),
    }
    let _ = tokio::time::timeout(deadline, child.wait()).await;
    let line = text.lines().next().unwrap_or("").trim().to_string();
    if line.is_empty() {
        Err(LaunchError::Version("it printed nothing".into()))
    } else {
        Ok(line)
    }
}

/// A running browser with its own profile; killed when dropped.
pub struct Chromium {
    child: Child,
    ws_url: String,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// From spawn to the DevTools line.
    pub startup: Duration,
    // Dropped after the child: the browser writes to it until it exits.
    _profile: tempfile::TempDir,
}

/// One line of stderr, at most [`MAX_LINE`] bytes; `None` at the end.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Option<String> {
    let mut buf = Vec::new();
    match reader.take(MAX_LINE as u64).read_until(b'\n', &mut buf).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(String::from_utf8_lossy(&buf).trim_end().to_string()),
    }
}

/// The DevTools address in a stderr line.
fn devtools_url(line: &str) -> Option<&str> {
    let at = line.find("DevTools listening on ")?;
    let url = line[at + "DevTools listening on ".len()..].trim();
    url.starts_with("ws://").then_some(url)
}

impl Chromium {
    /// Starts `binary` with the harness's flags and `extra` ones, waiting at
    /// most `deadline` for its DevTools address.
    pub async fn launch(binary: &Path, extra: &[String], deadline: Duration) -> Result<Chromium, LaunchError> {
        let profile = tempfile::Builder::new().prefix("fedcm-browser-").tempdir().map_err(LaunchError::Profile)?;
        let began = Instant::now();
        let mut child = Command::new(binary)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| LaunchError::Spawn { binary: binary.to_path_buf(), source })?;
        let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let Some(stderr) = child.stderr.take() else {
            return Err(LaunchError::Exited { status: "no stderr".into(), stderr: Vec::new() });
        };
        let mut reader = BufReader::new(stderr);
        let keep = |tail: &Mutex<VecDeque<String>>, line: String| {
            let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
            if t.len() == STDERR_TAIL {
                t.pop_front();
            }
            t.push_back(crate::escape::line(&line).into_owned());
        };
        let found = tokio::time::timeout(deadline, async {
            while let Some(line) = read_line(&mut reader).await {
                if let Some(url) = devtools_url(&line) {
                    return Some(url.to_string());
                }
                keep(&tail, line);
            }
            None
        })
        .await;
        let lines =
            |tail: &Mutex<VecDeque<String>>| tail.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect();
        let ws_url = match found {
            Ok(Some(url)) => url,
            Ok(None) => {
                let status = match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
                    Ok(Ok(s)) => s.to_string(),
                    _ => "stderr closed".into(),
                };
                return Err(LaunchError::Exited { status, stderr: lines(&tail) });
            }
            Err(_) => {
                let _ = child.kill().await;
                return Err(LaunchError::NoDevTools { after: deadline, stderr: lines(&tail) });
            }
        };
        let startup = began.elapsed();
        // Keep draining stderr so a chatty browser never blocks on a full pipe.
        let drain = tail.clone();
        tokio::spawn(async move {
            while let Some(line) = read_line(&mut reader).await {
                keep(&drain, line);
            }
        });
        Ok(Chromium { child, ws_url, stderr: tail, startup, _profile: profile })
    }

    /// The browser's DevTools WebSocket address.
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// The last lines the browser wrote on stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    /// Waits at most `deadline` for the browser to exit (after
    /// `Browser.close`), then kills it. Whether it exited by itself.
    pub async fn wait_or_kill(mut self, deadline: Duration) -> bool {
        if let Ok(Ok(_)) = tokio::time::timeout(deadline, self.child.wait()).await {
            return true;
        }
        let _ = self.child.kill().await;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_devtools_line_is_found_among_others() {
        assert_eq!(
            devtools_url("DevTools listening on ws://127.0.0.1:41234/devtools/browser/abc"),
            Some("ws://127.0.0.1:41234/devtools/browser/abc")
        );
        assert_eq!(devtools_url("[0101/000000.0:ERROR:foo] DevTools listening on http://x"), None);
        assert_eq!(devtools_url("something else"), None);
    }

    #[test]
    fn a_missing_explicit_binary_is_named() {
        let err = find(Some(Path::new("/nonexistent/chromium"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/chromium"), "{err}");
    }

    /// A "browser" that never prints the line is killed at the deadline; one
    /// that exits at once is reported with its stderr.
    #[test]
    fn a_browser_that_never_gets_ready_is_reported_not_awaited() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let silent = dir.path().join("silent");
            std::fs::write(&silent, "#!/bin/sh\necho starting >&2\nexec sleep 30\n").unwrap();
            let quits = dir.path().join("quits");
            std::fs::write(&quits, "#!/bin/sh\necho 'cannot run as root' >&2\nexit 1\n").unwrap();
            for p in [&silent, &quits] {
                let _ = std::process::Command::new("chmod").arg("+x").arg(p).status();
            }
            let err = Chromium::launch(&silent, &[], Duration::from_millis(300)).await.err().unwrap();
            assert!(matches!(&err, LaunchError::NoDevTools { stderr, .. } if stderr == &["starting"]), "{err}");
            let err = Chromium::launch(&quits, &[], Duration::from_secs(10)).await.err().unwrap();
            assert!(err.to_string().contains("cannot run as root"), "{err}");
        });
    }
}
