//! What `fedcm serve` keeps of the requests that broke a rule: a count per
//! rule and the last few, each clipped, so a flood of bad requests with
//! 60 KB URLs costs a fixed amount of memory however long it runs.

use super::MAX_LOGGED_URL;
use crate::scenario::clip;
use std::collections::{BTreeMap, VecDeque};

/// How many rule-breaking requests the violation record keeps word for word.
pub const RECENT_VIOLATIONS: usize = 64;

/// The longest a kept violation line is, in bytes (URLs can be 60 KB).
pub const MAX_VIOLATION_LINE: usize = 512;

/// A rule a browser's request broke: a fixed id to count by, and the
/// human-readable message (which may quote the request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How many violations were seen in all, and per rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViolationCounts {
    pub total: u64,
    pub by_rule: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Default)]
pub(crate) struct ViolationRecord {
    recent: VecDeque<String>,
    counts: ViolationCounts,
}

impl ViolationRecord {
    pub(crate) fn add(&mut self, method: &str, url: &str, violations: &[Violation]) {
        for v in violations {
            self.counts.total = self.counts.total.saturating_add(1);
            let n = self.counts.by_rule.entry(v.rule).or_insert(0);
            *n = n.saturating_add(1);
            if self.recent.len() == RECENT_VIOLATIONS {
                self.recent.pop_front();
            }
            let line = format!("{} {}: {}", clip(method, 16), clip(url, MAX_LOGGED_URL), v.message);
            self.recent.push_back(clip(&line, MAX_VIOLATION_LINE).into_owned());
        }
    }

    pub(crate) fn recent(&self) -> Vec<String> {
        self.recent.iter().cloned().collect()
    }

    pub(crate) fn counts(&self) -> ViolationCounts {
        self.counts.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_few_clipped_and_counts_them_all() {
        let mut record = ViolationRecord::default();
        let url = format!("https://idp.example/a?{}", "x".repeat(60_000));
        let v = [Violation { rule: "no-referer", message: "no Referer may be sent".into() }];
        for _ in 0..1000 {
            record.add("GET", &url, &v);
        }
        let recent = record.recent();
        assert_eq!(recent.len(), RECENT_VIOLATIONS);
        assert!(recent.iter().all(|l| l.len() <= MAX_VIOLATION_LINE + 32), "{}", recent[0].len());
        assert_eq!(record.counts().total, 1000);
        assert_eq!(record.counts().by_rule["no-referer"], 1000);
    }
}

/// The most requests a server keeps for [`super::Server::take_requests`];
/// later ones are counted only.
pub const MAX_SEEN: usize = 256;

/// One request the server received, as it arrived (for `fedcm browser`,
/// which compares what a real browser sent with what the model sends).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SeenRequest {
    pub method: String,
    /// The scenario's URL for it (scheme and host from the Host header).
    pub url: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body as text (at most the server's body limit).
    pub body: String,
}

impl SeenRequest {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The requests received since last taken, at most [`MAX_SEEN`].
#[derive(Debug, Default)]
pub(crate) struct SeenRecord {
    kept: Vec<SeenRequest>,
    dropped: u64,
}

impl SeenRecord {
    pub(crate) fn add(&mut self, request: SeenRequest) {
        if self.kept.len() < MAX_SEEN {
            self.kept.push(request);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// The kept requests and how many were dropped; the record starts over.
    pub(crate) fn take(&mut self) -> (Vec<SeenRequest>, u64) {
        let dropped = std::mem::take(&mut self.dropped);
        (std::mem::take(&mut self.kept), dropped)
    }
}
