//! `fedcm lint` as a user runs it: exit codes, text and JSON output.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn fedcm(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedcm"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fedcm runs");
    // A child that exits on a usage error before reading closes the pipe:
    // the write then fails, which is not what these tests check.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn embedded_examples_lint_clean() {
    let o = fedcm(&["lint"], "");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("config file"));
}

#[test]
fn a_cross_origin_endpoint_is_named_with_field_rule_and_anchor() {
    let config =
        r#"{"accounts_endpoint":"https://evil.example/accounts","id_assertion_endpoint":"/t","login_url":"/l"}"#;
    let o = fedcm(&["lint", "--kind", "config", "-"], config);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("REJECTED"), "{out}");
    assert!(
        out.contains("`accounts_endpoint`") && out.contains("url-cross-origin") && out.contains("#fetch-config-file"),
        "{out}"
    );
}

#[test]
fn json_output_has_one_report_per_profile() {
    let o = fedcm(&["lint", "--kind", "accounts", "--json", "-"], r#"{"accounts":[{"id":5,"name":"x"}]}"#);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let reports = v["reports"].as_array().unwrap();
    let names: Vec<&str> = reports.iter().filter_map(|r| r["profile"].as_str()).collect();
    assert_eq!(names, ["spec", "spec-2024", "chromium", "chromium-142", "firefox"]);
    // The generations of a family read documents alike.
    for spec in [&reports[0], &reports[1]] {
        assert_eq!(spec["accepted"], true);
        assert_eq!(spec["document"]["accounts"][0]["id"], "5");
    }
    for chromium in [&reports[2], &reports[3]] {
        assert_eq!(chromium["accepted"], false);
        assert_eq!(chromium["problems"][0]["rule"], "wrong-type");
        assert_eq!(chromium["problems"][0]["field"], "accounts[0].id");
    }
}

#[test]
fn transport_options_are_applied() {
    let o = fedcm(&["lint", "--kind", "disconnect", "--content-type", "text/html", "--profile", "spec", "-"], "{}");
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("content-type-not-json"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(fedcm(&["lint", "--kind", "config"], "").status.code(), Some(2));
    assert_eq!(fedcm(&["lint", "--kind", "config", "/nonexistent/file.json"], "").status.code(), Some(2));
    assert_eq!(fedcm(&["lint", "--kind", "config", "--profile", "netscape", "-"], "{}").status.code(), Some(2));
    assert_eq!(fedcm(&["lint", "--kind", "nope", "-"], "{}").status.code(), Some(2));
}

#[test]
fn request_options_lint() {
    let o = fedcm(&["lint", "--kind", "request", "-"], r#"{"identity":{"providers":[],"mode":"button"}}"#);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("not-in-enum") && out.contains("empty-providers"), "{out}");
}
