//! Simulated requests per second on one core: an M/M/8 web instance at
//! utilisation 0.8 through the whole `simscale run` path (scenario parsing,
//! simulation, statistics, CSV rendering and atomic writes), next to a bare
//! M/M/8 event loop on `std::collections::BinaryHeap` as the speed limit.

use clap::Parser;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use simscale::cli::{Cli, run};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;

/// One hour at 640 requests/s: 2.3 million requests.
const SCENARIO: &str = r#"
name = "M/M/8 at rho 0.8"
[simulation]
mode = "des"
window = "1h"
warmup = "1m"
[traffic]
rate = 640.0
[[traffic.mix]]
name = "default"
share = 1.0
web_cpu = { mean = "10ms", dist = "exponential" }
[web]
instance = "m5.2xlarge"
workers = 1000
"#;
const REQUESTS: u64 = 640 * 3600;

fn full_path(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("mm8.toml");
    std::fs::write(&file, SCENARIO).expect("scenario written");
    let out = dir.path().join("out");
    let mut g = c.benchmark_group("mm8_rho0.8");
    g.sample_size(10);
    g.throughput(Throughput::Elements(REQUESTS));
    g.bench_function("simscale_run", |b| {
        b.iter(|| {
            let cli = Cli::try_parse_from([
                "simscale".as_ref(),
                "run".as_ref(),
                file.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
                "--threads".as_ref(),
                "1".as_ref(),
                "--quiet".as_ref(),
            ])
            .expect("valid arguments");
            run(cli, &mut std::io::sink()).expect("run succeeds");
        })
    });
    g.bench_function("bare_binary_heap_loop", |b| {
        b.iter(|| black_box(bare_mm8(REQUESTS, 640.0, 100.0, 8)))
    });
    g.finish();
}

/// The fastest M/M/c loop we know how to write: a binary heap of
/// (time, sequence) keys, a FIFO line, no statistics beyond the mean wait.
fn bare_mm8(customers: u64, lambda: f64, mu: f64, c: u32) -> f64 {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    let mut heap: BinaryHeap<Reverse<(u64, u64, bool)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut exp = |rate: f64| {
        let e: f64 = Exp1.sample(&mut rng);
        (e / rate * 1e9) as u64
    };
    let mut line: VecDeque<u64> = VecDeque::new();
    let (mut busy, mut arrived, mut waited, mut served) = (0u32, 0u64, 0u64, 0u64);
    heap.push(Reverse((exp(lambda), seq, true)));
    while let Some(Reverse((t, _, is_arrival))) = heap.pop() {
        seq += 1;
        if is_arrival {
            arrived += 1;
            if arrived < customers {
                heap.push(Reverse((t + exp(lambda), seq, true)));
            }
            if busy < c {
                busy += 1;
                heap.push(Reverse((t + exp(mu), seq, false)));
            } else {
                line.push_back(t);
            }
        } else {
            served += 1;
            match line.pop_front() {
                Some(a) => {
                    waited += t - a;
                    heap.push(Reverse((t + exp(mu), seq, false)));
                }
                None => busy -= 1,
            }
        }
    }
    waited as f64 / served as f64
}

criterion_group!(benches, full_path);
criterion_main!(benches);
