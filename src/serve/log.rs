//! `fedcm serve`'s request log on stderr, kept off the serving path: lines
//! go through a bounded queue to a thread of their own, so a closed stderr
//! (`2>&1 | head -1`) or a full pipe nobody reads never stalls or panics a
//! request. Lines that do not fit in the queue are dropped and counted.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;

/// Lines waiting for stderr before new ones are dropped.
const QUEUE: usize = 1024;

/// Which requests `fedcm serve` logs on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// No request lines (warnings are still written).
    None,
    /// Only requests that broke a rule or were refused.
    Violations,
    /// Every request.
    #[default]
    All,
}

impl std::str::FromStr for LogLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<LogLevel, String> {
        match s {
            "none" => Ok(LogLevel::None),
            "violations" => Ok(LogLevel::Violations),
            "all" => Ok(LogLevel::All),
            other => Err(format!("{other:?} is not none, violations or all")),
        }
    }
}

pub(crate) struct Logger {
    pub(crate) level: LogLevel,
    queue: SyncSender<String>,
    dropped: Arc<AtomicU64>,
}

impl Logger {
    pub(crate) fn new(level: LogLevel) -> Logger {
        let (queue, lines) = sync_channel::<String>(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = dropped.clone();
        // Ends when the server's state (the last sender) goes away.
        let _ = std::thread::Builder::new().name("fedcm-serve-log".into()).spawn(move || {
            for line in lines {
                let mut err = std::io::stderr().lock();
                let missed = counter.swap(0, Ordering::Relaxed);
                if missed > 0 {
                    let _ = writeln!(err, "fedcm serve: ({missed} log lines dropped: stderr was not keeping up)");
                }
                let _ = writeln!(err, "{line}");
            }
        });
        Logger { level, queue, dropped }
    }

    /// A logger whose lines go to the returned receiver, not stderr.
    #[cfg(test)]
    pub(crate) fn captured(level: LogLevel) -> (Logger, std::sync::mpsc::Receiver<String>) {
        let (queue, lines) = sync_channel::<String>(QUEUE);
        (Logger { level, queue, dropped: Arc::new(AtomicU64::new(0)) }, lines)
    }

    /// Logs a request line if the level asks for it.
    pub(crate) fn request(&self, broke_a_rule: bool, line: impl FnOnce() -> String) {
        let wanted = match self.level {
            LogLevel::None => false,
            LogLevel::Violations => broke_a_rule,
            LogLevel::All => true,
        };
        if wanted {
            self.write(line());
        }
    }

    /// A warning about the server itself, at every level.
    pub(crate) fn warn(&self, line: String) {
        self.write(line);
    }

    fn write(&self, line: String) {
        match self.queue.try_send(crate::escape::line(&line).into_owned()) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
