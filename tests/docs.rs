//! The repository documents itself: every decision id the code, the tests
//! and the scenarios cite has its entry in `docs/decisions.md`, every
//! relative link in the Markdown files points at a file that exists, and
//! nothing points outside the repository.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Files under `dir` (recursively) whose name ends with one of `exts`,
/// skipping build output and fuzzing work directories.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "work" | "corpus" | "artifacts" | ".git") {
                files(&path, exts, out);
            }
        } else if exts.iter().any(|e| name.ends_with(e)) {
            out.push(path);
        }
    }
}

fn repo_files(exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    files(Path::new(ROOT), exts, &mut out);
    out.sort();
    out
}

/// `A12` / `P3` / `F5` style ids in `text`: a capital A, P or F, one or two digits,
/// not part of a longer word.
fn ids(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut found = BTreeSet::new();
    for (i, &b) in bytes.iter().enumerate() {
        if !matches!(b, b'A' | b'P' | b'F') {
            continue;
        }
        let before_ok = i == 0 || !bytes.get(i - 1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        let digits = bytes.get(i + 1..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
        let after = bytes.get(i + 1 + digits);
        let after_ok = !after.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        if before_ok && (1..=2).contains(&digits) && after_ok {
            found.insert(text[i..i + 1 + digits].to_string());
        }
    }
    found
}

#[test]
fn every_cited_decision_id_has_an_entry() {
    let decisions = fs::read_to_string(Path::new(ROOT).join("docs/decisions.md")).expect("docs/decisions.md");
    let defined: BTreeSet<String> =
        decisions.lines().filter(|l| l.starts_with('#')).flat_map(|l| ids(l.split(':').next().unwrap_or(""))).collect();
    assert!(defined.len() > 40, "docs/decisions.md defines only {} ids", defined.len());
    let mut missing = Vec::new();
    for path in repo_files(&[".rs", ".json"]) {
        let Ok(text) = fs::read_to_string(&path) else { continue };
        // Only comments and descriptions cite decisions; a cheap filter
        // keeps ids that are data (e.g. "A1" as an account id) out.
        let cited: BTreeSet<String> = text
            .lines()
            .filter(|l| {
                l.contains("ambiguit")
                    || l.contains("decision")
                    || l.contains("\"description\"")
                    || l.contains("choice P")
            })
            .flat_map(ids)
            .collect();
        for id in cited.difference(&defined) {
            missing.push(format!("{}: {id}", path.strip_prefix(ROOT).unwrap_or(&path).display()));
        }
    }
    assert!(missing.is_empty(), "decision ids cited but not in docs/decisions.md:\n{}", missing.join("\n"));
}

#[test]
fn markdown_links_resolve_inside_the_repository() {
    let mut broken = Vec::new();
    for path in repo_files(&[".md"]) {
        let Ok(text) = fs::read_to_string(&path) else { continue };
        let dir = path.parent().unwrap_or(Path::new(ROOT));
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("](") {
                rest = &rest[at + 2..];
                let end = rest.find(')').unwrap_or(rest.len());
                let target = rest[..end].split('#').next().unwrap_or("");
                rest = &rest[end..];
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let resolved = dir.join(target);
                let inside = resolved.canonicalize().is_ok_and(|p| p.starts_with(ROOT));
                if !inside {
                    broken.push(format!("{}:{}: {target}", path.strip_prefix(ROOT).unwrap_or(&path).display(), n + 1));
                }
            }
        }
    }
    assert!(broken.is_empty(), "links that do not resolve inside the repository:\n{}", broken.join("\n"));
}

#[test]
fn nothing_points_outside_the_repository() {
    // The notes the project started from live outside the repository; the
    // repository carries what it needs in its own docs.
    let outside =
        ["../shared", "DESIGN.md", "reference notes", "spec-notes", "browser-notes", "harness-notes", "tooling-notes"];
    let mut found = Vec::new();
    for path in repo_files(&[".rs", ".md", ".toml", ".sh", ".json", ".yml", ".yaml"]) {
        if path.ends_with("tests/docs.rs") {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else { continue };
        for (n, line) in text.lines().enumerate() {
            if let Some(word) = outside.iter().find(|w| line.contains(*w)) {
                found.push(format!("{}:{}: {word}", path.strip_prefix(ROOT).unwrap_or(&path).display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "references to files outside the repository:\n{}", found.join("\n"));
}

#[test]
fn the_id_scanner_finds_ids_and_only_ids() {
    assert_eq!(ids("ambiguity A35 and A7; P11, F4."), ["A35", "A7", "F4", "P11"].map(String::from).into());
    assert!(ids("API A100 HA5 A5x").is_empty());
}

/// docs/profiles.md shows every rule of the profile table, with each
/// profile's value as the code has it.
#[test]
fn the_profile_table_in_the_docs_is_the_codes() {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/profiles.md")).unwrap();
    for (rule, values) in fedcm_workbench::generations::rule_rows() {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{rule}` |")))
            .unwrap_or_else(|| panic!("docs/profiles.md has no row for the rule {rule}"));
        for (profile, value) in values {
            let value = value.trim_matches('"');
            assert!(
                row.contains(&format!("`{value}`")),
                "{rule}: {profile} is {value} in the code; the row says: {row}"
            );
        }
    }
}
