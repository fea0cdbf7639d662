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
