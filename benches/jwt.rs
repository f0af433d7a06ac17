//! Criterion micro-benchmarks: ours beside a hand-written `jsonwebtoken`
//! baseline, in the same run, for HS256, RS256, ES256 and EdDSA.
//!
//! - `create/<alg>`: `create_access_token` vs `jsonwebtoken::encode` of the
//!   same claims.
//! - `decode/<alg>`: `JwtManager::decode_token` vs `jsonwebtoken::decode`
//!   with an equivalent `Validation`.
//! - `router_header`, `router_cookie_csrf`, `router_blocklist` `/<alg>`: one
//!   request through a `Router` with `oneshot`, our `Jwt` extractor vs a
//!   hand-written one (see `benches/common/mod.rs`).
//!
//! ```sh
//! cargo bench --bench jwt                      # everything
//! cargo bench --bench jwt -- 'decode/HS256'    # a filter
//! ```
//!
//! Wall-clock figures on a shared, busy machine are noisy: for comparisons
//! use `bench/icount.sh` (instruction counts under callgrind), see
//! BENCHMARKS.md.
#![allow(clippy::expect_used)] // set-up failures end the benchmark

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{ALGORITHMS, RouterPair, Scenario, Side, TokenPair};
use criterion::{Criterion, criterion_group, criterion_main};

const SIDES: [(Side, &str); 2] = [(Side::Ours, "ours"), (Side::Baseline, "jsonwebtoken")];

fn tokens(c: &mut Criterion) {
    for alg in ALGORITHMS {
        let pair = TokenPair::new(alg);
        let mut group = c.benchmark_group(format!("create/{alg}"));
        for (side, label) in SIDES {
            group.bench_function(label, |b| b.iter(|| black_box(pair.create(side))));
        }
        group.finish();

        let mut group = c.benchmark_group(format!("decode/{alg}"));
        for (side, label) in SIDES {
            group.bench_function(label, |b| {
                b.iter(|| assert!(black_box(pair.decode(side))));
            });
        }
        group.finish();
    }
}

fn routers(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for scenario in Scenario::ALL {
        for alg in ALGORITHMS {
            let pair = runtime.block_on(RouterPair::new(alg, scenario));
            let mut group = c.benchmark_group(format!("{}/{alg}", scenario.name()));
            for (side, label) in SIDES {
                group.bench_function(label, |b| {
                    b.to_async(&runtime)
                        .iter(|| async { black_box(pair.call(side).await) });
                });
            }
            group.finish();
        }
    }
}

fn config() -> Criterion {
    // Short runs: the machine is small and shared; use `--measurement-time`
    // on the command line for longer ones.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = tokens, routers
}
criterion_main!(benches);
