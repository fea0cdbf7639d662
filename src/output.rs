//! Writing the CLI's output without panicking. `println!` panics when
//! standard output is a closed pipe (`fedcm run DIR | head -1`) or a full
//! disk (`> /dev/full`); these functions end the process cleanly instead:
//! a closed pipe quietly, with the status a shell reports for SIGPIPE, any
//! other write error with a message and exit status 2. Diagnostics on
//! standard error never stop the program: if they cannot be written they
//! are dropped. Everything written here passes [`escape::block`] on the
//! way, so no text from an IdP, a scenario or a file name reaches the
//! terminal with control characters in it, whichever command printed it.

use crate::escape;
use std::io::{self, Write};

/// The exit status for a closed output pipe: what a shell reports for a
/// process killed by SIGPIPE (128 + 13), which is how `yes | head` ends.
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// Writes `text` to standard output and flushes it.
pub fn print(text: &str) {
    let text = escape::block(text);
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        write_failed(&e);
    }
}

/// Flushes standard output before the process ends (a write error that
/// only shows at flush time is still an error).
pub fn flush() {
    if let Err(e) = io::stdout().lock().flush() {
        write_failed(&e);
    }
}

/// Ends the process after standard output failed.
pub fn write_failed(e: &io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(BROKEN_PIPE_STATUS);
    }
    diagnostic(&format!("fedcm: cannot write to standard output: {e}"));
    std::process::exit(2);
}

/// Writes one line to standard error, ignoring failure: a closed or full
/// stderr must not change what the program does.
pub fn diagnostic(line: &str) {
    let line = escape::block(line);
    let mut err = io::stderr().lock();
    let _ = err.write_all(line.as_bytes());
    let _ = err.write_all(b"\n");
}

/// Writes `text` to standard error as is (progress bars), ignoring failure.
pub fn progress(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// `value` as pretty JSON with a newline, terminal-safe ([`escape::json`]).
/// The reports are plain data; should one ever fail to serialize, that is
/// said, never replaced by an empty output.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(text) => escape::json(&text).into_owned(),
        Err(e) => {
            diagnostic(&format!("fedcm: cannot write the report as JSON: {e}"));
            std::process::exit(2);
        }
    }
}

/// `println!` to standard output through [`print()`].
#[macro_export]
macro_rules! outln {
    () => { $crate::output::print("\n") };
    ($($arg:tt)*) => { $crate::output::print(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` through [`diagnostic`].
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::output::diagnostic(&format!($($arg)*)) };
}
