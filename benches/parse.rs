//! Wall-clock benchmarks (criterion) of the parse-and-resolve path, each
//! group with its reference points measured in the same run on the same
//! bytes: `value` (serde_json into `serde_json::Value`), `typed` (a bare
//! typed serde_json parse into borrowed structs), `typed_urls` (that parse
//! plus the URL parsing the spec requires) and `copy` (`to_vec`, the
//! floor). Run: `cargo bench --bench parse`; ratios: `benches/ratios.sh`.

mod common;

use common::*;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

/// The three reference points on a set of documents.
fn references(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, docs: &[(Doc, &[u8])]) {
    group.bench_function("value", |b| {
        b.iter(|| {
            for (_, bytes) in docs {
                black_box(value(black_box(bytes)));
            }
        })
    });
    group.bench_function("typed", |b| {
        b.iter(|| {
            for (doc, bytes) in docs {
                black_box(typed(*doc, black_box(bytes)));
            }
        })
    });
    let base = base_url();
    group.bench_function("typed_urls", |b| {
        b.iter(|| {
            for (doc, bytes) in docs {
                black_box(typed_urls(*doc, black_box(bytes), &base));
            }
        })
    });
    group.bench_function("copy", |b| {
        b.iter(|| {
            for (_, bytes) in docs {
                black_box(copy(black_box(bytes)));
            }
        })
    });
}

/// (a) The whole path of a typical sign-in with one account.
fn sign_in_path(c: &mut Criterion) {
    let p = Payloads::typical();
    let responses = Responses::new(&p);
    let start = Start::typical();
    let mut g = c.benchmark_group("sign_in");
    g.throughput(Throughput::Bytes(p.len() as u64));
    g.bench_function("model", |b| {
        b.iter_batched(|| (start.clone(), responses.clone()), |(s, r)| black_box(sign_in(s, r)), BatchSize::SmallInput)
    });
    let docs: Vec<(Doc, &[u8])> = DOCS.iter().copied().zip(p.all()).collect();
    references(&mut g, &docs);
    g.finish();
}

/// (b) Each document parser alone.
fn documents(c: &mut Criterion) {
    let p = Payloads::typical();
    let r = Responses::new(&p);
    let url = config_url();
    let endpoint = assertion_endpoint();
    type Case<'a> = (&'static str, Doc, &'a [u8], Box<dyn Fn() -> bool + 'a>);
    let cases: [Case; 5] = [
        ("well_known", Doc::WellKnown, &p.well_known, Box::new(|| parse_well_known(&r.well_known))),
        ("config", Doc::Config, &p.config, Box::new(|| parse_config(&r.config, &url))),
        ("accounts", Doc::Accounts, &p.accounts, Box::new(|| parse_accounts(&r.accounts))),
        (
            "client_metadata",
            Doc::ClientMetadata,
            &p.client_metadata,
            Box::new(|| parse_client_metadata(&r.client_metadata)),
        ),
        ("assertion", Doc::Assertion, &p.assertion, Box::new(|| parse_assertion(&r.assertion, &endpoint))),
    ];
    for (name, doc, bytes, parse) in &cases {
        let mut g = c.benchmark_group(format!("document/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("model", |b| b.iter(|| black_box(parse())));
        references(&mut g, &[(*doc, bytes)]);
        g.finish();
    }
}

/// (c) The accounts step with 1 to 10,000 accounts: parse, duplicate
/// detection, the loginHint filter, up to the next step.
fn accounts_scaling(c: &mut Criterion) {
    let typical = Responses::new(&Payloads::typical());
    let mut g = c.benchmark_group("accounts_scaling");
    for n in SCALING {
        let bytes = accounts_list(n);
        let flow = flow_waiting_for_accounts(&scaling_hint(n), &typical);
        let response = HttpResponse::json(bytes.clone());
        g.throughput(Throughput::Elements(n as u64));
        if n >= 1_000 {
            g.sample_size(20);
        }
        g.bench_with_input(BenchmarkId::new("model", n), &n, |b, _| {
            b.iter_batched(
                || (flow.clone(), response.clone()),
                |(f, r)| black_box(accounts_step(f, r)),
                BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("value", n), &bytes, |b, bytes| b.iter(|| black_box(value(bytes))));
        g.bench_with_input(BenchmarkId::new("typed", n), &bytes, |b, bytes| {
            b.iter(|| black_box(typed(Doc::Accounts, bytes)))
        });
        let base = base_url();
        g.bench_with_input(BenchmarkId::new("typed_urls", n), &bytes, |b, bytes| {
            b.iter(|| black_box(typed_urls(Doc::Accounts, bytes, &base)))
        });
        g.bench_with_input(BenchmarkId::new("copy", n), &bytes, |b, bytes| b.iter(|| black_box(copy(bytes))));
    }
    g.finish();
}

/// (d) The well-known + config step: `get()` until the accounts request.
fn manifests_step(c: &mut Criterion) {
    let p = Payloads::typical();
    let r = Responses::new(&p);
    let start = Start::typical();
    let mut g = c.benchmark_group("manifests");
    g.throughput(Throughput::Bytes((p.well_known.len() + p.config.len()) as u64));
    g.bench_function("model", |b| {
        b.iter_batched(
            || (start.clone(), r.well_known.clone(), r.config.clone()),
            |(s, w, cfg)| black_box(manifests(s, w, cfg)),
            BatchSize::SmallInput,
        )
    });
    references(&mut g, &[(Doc::WellKnown, &p.well_known), (Doc::Config, &p.config)]);
    g.finish();
}

/// (e) The model checker's step rate, in states visited per second.
fn explore_rate(c: &mut Criterion) {
    let starts = explore_starts();
    let visited = fedcm_check::explore::explore(&starts, EXPLORE_DEPTH, |_, _| {}).stats.visited;
    let mut g = c.benchmark_group("explore");
    g.throughput(Throughput::Elements(visited));
    g.sample_size(10);
    g.bench_function(format!("{}_starts_depth_{EXPLORE_DEPTH}", starts.len()), |b| {
        b.iter(|| black_box(fedcm_check::explore::explore(&starts, EXPLORE_DEPTH, |_, _| {}).stats.visited))
    });
    g.finish();
}

/// (f) One `get()` over 1,000 and 10,000 providers (one IdP origin each),
/// to the token, with the invariants checked: linear in the providers, so
/// the per-provider time of both sizes should match.
fn providers_scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("providers");
    g.sample_size(10);
    for n in [1_000, 10_000] {
        let (options, browser) = fedcm_check::fixtures::many_providers(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("sign_in", n), &n, |b, _| {
            b.iter_batched(
                || browser.clone(),
                |browser| black_box(many_providers_sign_in(&options, browser)),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

use fedcm_model::HttpResponse;

criterion_group!(benches, sign_in_path, documents, accounts_scaling, manifests_step, explore_rate, providers_scaling);
criterion_main!(benches);
