//! Fuzz regressions, on stable, in `cargo test`: every input under
//! `tests/fuzz-crashes/<target>/` replays through the code the fuzz target
//! runs (`fedcm_check::fuzz`, the crate the targets call), and must not panic. Byte targets
//! keep raw inputs; `flow` and `invariants` keep their worlds as JSON
//! (`FEDCM_FUZZ_WORLD_OUT=FILE cargo +nightly fuzz run flow ARTIFACT`
//! writes one).
//!
//! Inputs too big for git (1 MiB bodies, 100 000-deep nesting, huge arrays
//! and strings) are generated here, with the limits they must hit.

use fedcm_check::fuzz;
use fedcm_model::idp;
use fedcm_model::{HttpResponse, Profile};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-crashes").join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Replays every saved input of a target; reports every one that panics.
fn replay(target: &str) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no inputs under tests/fuzz-crashes/{target}/");
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("readable");
        let outcome = catch_unwind(AssertUnwindSafe(|| match target {
            "flow" | "invariants" => {
                let world: fuzz::world::World = serde_json::from_slice(&data).expect("a world, as JSON");
                if target == "flow" {
                    fuzz::world::run_world(&world);
                } else {
                    fuzz::world::run_world_checked(&world);
                }
            }
            _ => assert!(fuzz::run_bytes(target, &data), "unknown target {target}"),
        }));
        if outcome.is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: {} of {} inputs panic: {failed:#?}", failed.len(), files.len());
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        #[test]
        fn every_target_has_a_regression_directory() {
            let tested = [$(stringify!($target)),*];
            assert_eq!(tested, fuzz::TARGETS);
        }
    };
}

replay_tests!(
    well_known,
    config,
    accounts,
    client_metadata,
    assertion,
    disconnect,
    request_options,
    differential,
    flow,
    invariants,
);

const MIB: usize = 1024 * 1024;

/// Runs a body through every byte target (with the `\0\0` selector prefix
/// where the target reads one).
fn every_target(body: &[u8]) {
    let mut prefixed = vec![0, 0];
    prefixed.extend_from_slice(body);
    for target in ["well_known", "config", "accounts", "client_metadata", "assertion", "disconnect"] {
        fuzz::run_bytes(target, &prefixed);
    }
    fuzz::run_bytes("request_options", body);
    fuzz::run_bytes("differential", body);
}

fn accounts_rule(body: Vec<u8>, profile: Profile) -> Result<usize, &'static str> {
    idp::accounts::parse(&HttpResponse::json(body), profile)
        .map(|p| p.value.accounts.len())
        .map_err(|r| r.first().rule.id())
}

#[test]
fn bodies_over_one_mebibyte_are_refused_before_parsing() {
    let doc = br#"{"accounts":[{"id":"1","name":"a"}]}"#;
    let mut at_limit = doc.to_vec();
    at_limit.resize(MIB, b' ');
    let mut over = at_limit.clone();
    over.push(b' ');
    for profile in Profile::ALL {
        assert_eq!(accounts_rule(at_limit.clone(), profile), Ok(1), "{profile}");
        assert_eq!(accounts_rule(over.clone(), profile), Err("body-too-large"), "{profile}");
    }
    every_target(&at_limit);
    every_target(&over);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for open in [&b"["[..], b"{\"a\":", b"{\"accounts\":[", b"[{\"x\":"] {
        // As deep as fits in 1 MiB (100 000 levels for `[`).
        let body = open.repeat((MIB / open.len()).min(100_000));
        for profile in Profile::ALL {
            assert_eq!(accounts_rule(body.clone(), profile), Err("nesting-too-deep"));
        }
        every_target(&body);
    }
    // Chromium's bound: 199 levels parse, 200 do not.
    let nested = |n: usize| [b"[".repeat(n), b"]".repeat(n)].concat();
    every_target(&nested(199));
    every_target(&nested(200));
    let wrap = |n: usize| [b"{\"accounts\":".to_vec(), nested(n), b"}".to_vec()].concat();
    // 199 levels: a document rule decides (WebIDL makes an array an empty
    // dictionary in the spec profile); 200: the depth bound, in both.
    assert_eq!(accounts_rule(wrap(198), Profile::Chromium), Err("not-an-object"));
    assert_eq!(accounts_rule(wrap(198), Profile::Spec), Err("missing-required"));
    for profile in Profile::ALL {
        assert_eq!(accounts_rule(wrap(199), profile), Err("nesting-too-deep"), "{profile}");
    }
}

#[test]
fn huge_arrays_and_strings_stay_within_the_limit() {
    // 40 000 distinct accounts, just under 1 MiB.
    let mut body = br#"{"accounts":["#.to_vec();
    for i in 0..40_000 {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(format!(r#"{{"id":"{i}","name":"n"}}"#).as_bytes());
    }
    body.extend_from_slice(b"]}");
    assert!(body.len() <= MIB);
    for profile in Profile::ALL {
        assert_eq!(accounts_rule(body.clone(), profile), Ok(40_000));
    }
    every_target(&body);
    // 500 000 empty arrays.
    let many = [b"[".to_vec(), b"[],".repeat(349_000), b"[]]".to_vec()].concat();
    assert!(many.len() <= MIB);
    every_target(&many);
    // One string of almost 1 MiB, as a token and as every member.
    let big = "x".repeat(MIB - 64);
    every_target(format!(r#"{{"token":"{big}"}}"#).as_bytes());
    every_target(format!(r#"{{"accounts":[{{"id":"{big}"}}]}}"#).as_bytes());
    every_target(format!(r#"{{"provider_urls":["{big}"]}}"#).as_bytes());
}

#[test]
fn encoding_rules_hold() {
    let invalid = b"{\"accounts\":[{\"id\":\"\xff\",\"name\":\"a\"}]}".to_vec();
    assert_eq!(accounts_rule(invalid.clone(), Profile::Chromium), Err("not-utf8"));
    assert_eq!(accounts_rule(invalid.clone(), Profile::Spec), Ok(1));
    // JSON.parse takes a lone surrogate (the spec); RFC JSON does not (Chromium).
    let lone = br#"{"accounts":[{"id":"\ud800","name":"a"}]}"#.to_vec();
    assert_eq!(accounts_rule(lone.clone(), Profile::Chromium), Err("invalid-json"));
    assert_eq!(accounts_rule(lone.clone(), Profile::Spec), Ok(1));
    let parsed = idp::accounts::parse(&HttpResponse::json(lone.clone()), Profile::Spec).unwrap();
    assert_eq!(parsed.value.accounts[0].id, "\u{fffd}");
    assert_eq!(parsed.warnings[0].rule.id(), "lone-surrogate-replaced");
    let bom = b"\xef\xbb\xbf{\"accounts\":[{\"id\":\"1\",\"name\":\"a\"}]}".to_vec();
    for profile in Profile::ALL {
        assert_eq!(accounts_rule(bom.clone(), profile), Ok(1), "{profile}");
    }
    for body in [invalid, lone, bom] {
        every_target(&body);
    }
}
