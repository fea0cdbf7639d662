//! Why `fedcm serve` could not start, each cause with what to do about it.
//! The CLI prints the message and exits 2.

use crate::scenario::ScenarioError;
use std::io::ErrorKind;

/// Why [`super::Server::start_with`] refused to start.
#[derive(Debug)]
pub enum ServeError {
    /// The scenario cannot be read, or HTTP cannot carry one of its responses.
    Scenario(ScenarioError),
    /// The address could not be bound.
    Bind { addr: String, source: std::io::Error },
    /// A limit in [`super::ServeOptions`] is out of its range.
    Limits {
        /// The option, with its flag: `max_connections (--max-connections)`.
        option: &'static str,
        /// The value given, with its unit.
        got: String,
        /// The range allowed, with its unit.
        allowed: String,
    },
    /// The server's runtime or its listening socket could not be set up
    /// (usually out of file descriptors or threads).
    Runtime(std::io::Error),
    /// The TLS certificate or configuration could not be made.
    Tls(super::tls::TlsError),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Scenario(e) => write!(f, "{e}"),
            ServeError::Bind { addr, source } => {
                let hint = match source.kind() {
                    ErrorKind::AddrInUse => "; another process listens there: choose another --port, or 0 for a free one",
                    ErrorKind::PermissionDenied => {
                        "; ports below 1024 need privileges: choose a higher --port, or 0 for a free one"
                    }
                    ErrorKind::AddrNotAvailable => "; the address is not one of this machine's: check --host",
                    _ => "",
                };
                write!(f, "cannot listen on {addr}: {source}{hint}")
            }
            ServeError::Limits { option, got, allowed } => {
                write!(f, "{option} is {got}, outside the allowed {allowed}")
            }
            ServeError::Tls(e) => write!(f, "{e}"),
            ServeError::Runtime(e) => write!(
                f,
                "cannot set up the server's event loop: {e} (out of file descriptors or threads? see ulimit -n and ulimit -u)"
            ),
        }
    }
}

/// The message already quotes the underlying error, so `source` is left
/// empty (a chain printer would say it twice).
impl std::error::Error for ServeError {}

impl From<ScenarioError> for ServeError {
    fn from(e: ScenarioError) -> ServeError {
        ServeError::Scenario(e)
    }
}
