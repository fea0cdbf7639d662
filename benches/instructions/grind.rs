//! The benchmarks themselves, with gungraun's generated `main`. They live
//! in this module, not at the bench's root, so the real `main` can check
//! for gungraun's runner first; gungraun names each benchmark by its module
//! path, so the functions, groups and `main!` must share one module.

use super::common::*;
use fedcm_model::machine::{Flow, Step};
use fedcm_model::HttpResponse;
use fedcm_model::{ConfigUrl, Endpoint};
use gungraun::prelude::*;
use std::hint::black_box;

fn sign_in_inputs() -> (Start, Responses) {
    (Start::typical(), Responses::new(&Payloads::typical()))
}

fn all_bytes() -> Payloads {
    Payloads::typical()
}

#[library_benchmark]
#[bench::typical(setup = sign_in_inputs)]
fn sign_in_model((start, responses): (Start, Responses)) -> serde_json::Value {
    black_box(sign_in(start, responses))
}

#[library_benchmark]
#[bench::typical(setup = all_bytes)]
fn sign_in_value(p: Payloads) -> usize {
    p.all().iter().map(|b| black_box(value(black_box(b))).is_object() as usize).sum()
}

#[library_benchmark]
#[bench::typical(setup = all_bytes)]
fn sign_in_typed(p: Payloads) -> usize {
    DOCS.iter().zip(p.all()).map(|(d, b)| black_box(typed(*d, black_box(b)))).sum()
}

#[library_benchmark]
#[bench::typical(setup = all_bytes)]
fn sign_in_typed_urls(p: Payloads) -> usize {
    let base = base_url();
    DOCS.iter().zip(p.all()).map(|(d, b)| black_box(typed_urls(*d, black_box(b), &base))).sum()
}

#[library_benchmark]
#[bench::typical(setup = all_bytes)]
fn sign_in_copy(p: Payloads) -> usize {
    p.all().iter().map(|b| black_box(copy(black_box(b))).len()).sum()
}

library_benchmark_group!(
    name = sign_in_group,
    benchmarks = [sign_in_model, sign_in_value, sign_in_typed, sign_in_typed_urls, sign_in_copy]
);

// ---- (b) each document ----

fn doc_inputs(doc: Doc) -> (Doc, Vec<u8>, HttpResponse, ConfigUrl, Endpoint) {
    let p = Payloads::typical();
    let bytes = match doc {
        Doc::WellKnown => p.well_known,
        Doc::Config => p.config,
        Doc::Accounts => p.accounts,
        Doc::ClientMetadata => p.client_metadata,
        Doc::Assertion => p.assertion,
    };
    let response = HttpResponse::json(bytes.clone());
    (doc, bytes, response, config_url(), assertion_endpoint())
}

#[library_benchmark]
#[benches::doc(
    args = [Doc::WellKnown, Doc::Config, Doc::Accounts, Doc::ClientMetadata, Doc::Assertion],
    setup = doc_inputs
)]
fn document_model((doc, _, r, url, endpoint): (Doc, Vec<u8>, HttpResponse, ConfigUrl, Endpoint)) -> bool {
    black_box(match doc {
        Doc::WellKnown => parse_well_known(&r),
        Doc::Config => parse_config(&r, &url),
        Doc::Accounts => parse_accounts(&r),
        Doc::ClientMetadata => parse_client_metadata(&r),
        Doc::Assertion => parse_assertion(&r, &endpoint),
    })
}

/// The reference points get only the bytes they read, so that dropping the
/// model's inputs is not counted against them.
fn doc_bytes(doc: Doc) -> (Doc, Vec<u8>) {
    let (doc, bytes, ..) = doc_inputs(doc);
    (doc, bytes)
}

#[library_benchmark]
#[benches::doc(
    args = [Doc::WellKnown, Doc::Config, Doc::Accounts, Doc::ClientMetadata, Doc::Assertion],
    setup = doc_bytes
)]
fn document_value((_, bytes): (Doc, Vec<u8>)) -> usize {
    black_box(value(black_box(&bytes))).is_object() as usize
}

#[library_benchmark]
#[benches::doc(
    args = [Doc::WellKnown, Doc::Config, Doc::Accounts, Doc::ClientMetadata, Doc::Assertion],
    setup = doc_bytes
)]
fn document_typed((doc, bytes): (Doc, Vec<u8>)) -> usize {
    black_box(typed(doc, black_box(&bytes)))
}

#[library_benchmark]
#[benches::doc(
    args = [Doc::WellKnown, Doc::Config, Doc::Accounts, Doc::ClientMetadata, Doc::Assertion],
    setup = doc_bytes
)]
fn document_typed_urls((doc, bytes): (Doc, Vec<u8>)) -> usize {
    black_box(typed_urls(doc, black_box(&bytes), &base_url()))
}

#[library_benchmark]
#[benches::doc(
    args = [Doc::WellKnown, Doc::Config, Doc::Accounts, Doc::ClientMetadata, Doc::Assertion],
    setup = doc_bytes
)]
fn document_copy((_, bytes): (Doc, Vec<u8>)) -> usize {
    black_box(copy(black_box(&bytes))).len()
}

library_benchmark_group!(
    name = document_group,
    benchmarks = [document_model, document_value, document_typed, document_typed_urls, document_copy]
);

// ---- (c) accounts scaling ----

fn scaling_inputs(n: usize) -> (Flow, HttpResponse) {
    let flow = flow_waiting_for_accounts(&scaling_hint(n), &Responses::new(&Payloads::typical()));
    (flow, HttpResponse::json(accounts_list(n)))
}

#[library_benchmark]
#[benches::accounts(args = [1, 10, 100, 1_000, 10_000], setup = scaling_inputs)]
fn accounts_model((flow, response): (Flow, HttpResponse)) -> Step {
    black_box(accounts_step(flow, response))
}

fn scaling_bytes(n: usize) -> Vec<u8> {
    accounts_list(n)
}

#[library_benchmark]
#[benches::accounts(args = [1, 10, 100, 1_000, 10_000], setup = scaling_bytes)]
fn accounts_value(bytes: Vec<u8>) -> usize {
    black_box(value(black_box(&bytes))).is_object() as usize
}

#[library_benchmark]
#[benches::accounts(args = [1, 10, 100, 1_000, 10_000], setup = scaling_bytes)]
fn accounts_typed(bytes: Vec<u8>) -> usize {
    black_box(typed(Doc::Accounts, black_box(&bytes)))
}

#[library_benchmark]
#[benches::accounts(args = [1, 10, 100, 1_000, 10_000], setup = scaling_bytes)]
fn accounts_typed_urls(bytes: Vec<u8>) -> usize {
    black_box(typed_urls(Doc::Accounts, black_box(&bytes), &base_url()))
}

#[library_benchmark]
#[benches::accounts(args = [1, 10, 100, 1_000, 10_000], setup = scaling_bytes)]
fn accounts_copy(bytes: Vec<u8>) -> usize {
    black_box(copy(black_box(&bytes))).len()
}

library_benchmark_group!(
    name = accounts_group,
    benchmarks = [accounts_model, accounts_value, accounts_typed, accounts_typed_urls, accounts_copy]
);

// ---- (d) well-known + config ----

fn manifest_inputs() -> (Start, HttpResponse, HttpResponse) {
    let r = Responses::new(&Payloads::typical());
    (Start::typical(), r.well_known, r.config)
}

#[library_benchmark]
#[bench::typical(setup = manifest_inputs)]
fn manifests_model((start, w, c): (Start, HttpResponse, HttpResponse)) -> usize {
    black_box(manifests(start, w, c)).url.as_str().len()
}

#[library_benchmark]
#[bench::typical(setup = all_bytes)]
fn manifests_value(p: Payloads) -> usize {
    black_box(value(black_box(&p.well_known))).is_object() as usize
        + black_box(value(black_box(&p.config))).is_object() as usize
}

#[library_benchmark]
#[bench::typical(setup = all_bytes)]
fn manifests_typed(p: Payloads) -> usize {
    black_box(typed(Doc::WellKnown, black_box(&p.well_known))) + black_box(typed(Doc::Config, black_box(&p.config)))
}

#[library_benchmark]
#[bench::typical(setup = all_bytes)]
fn manifests_typed_urls(p: Payloads) -> usize {
    let base = base_url();
    black_box(typed_urls(Doc::WellKnown, black_box(&p.well_known), &base))
        + black_box(typed_urls(Doc::Config, black_box(&p.config), &base))
}

#[library_benchmark]
#[bench::typical(setup = all_bytes)]
fn manifests_copy(p: Payloads) -> usize {
    black_box(copy(black_box(&p.well_known))).len() + black_box(copy(black_box(&p.config))).len()
}

library_benchmark_group!(
    name = manifests_group,
    benchmarks = [manifests_model, manifests_value, manifests_typed, manifests_typed_urls, manifests_copy]
);

// ---- (e) the model checker ----

#[library_benchmark]
#[bench::few_starts(setup = explore_starts)]
fn explore_step(starts: Vec<fedcm_check::explore::Start>) -> u64 {
    black_box(fedcm_check::explore::explore(&starts, EXPLORE_DEPTH, |_, _| {}).stats.visited)
}

library_benchmark_group!(name = explore_group, benchmarks = [explore_step]);

main!(library_benchmark_groups = sign_in_group, document_group, accounts_group, manifests_group, explore_group);

pub fn run() {
    main()
}
