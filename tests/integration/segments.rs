//! One long DES window in segments on the thread pool: unbiased, and the
//! same bytes whatever the thread count.

use crate::support::*;
use simscale::run::segments::plan;
use simscale::run::{RunOptions, simulate};
use simscale::scenario::parse;
use simscale::spec::{Scenario, plan_checkpoints};

/// An M/M/8 at utilisation 0.8 (640 requests/s of 10 ms on 8 vCPUs) for
/// four hours and a quarter: 9.8 million requests, a segment per hour.
fn mm8(over: &str) -> Scenario {
    parse(
        &format!(
            r#"
name = "M/M/8"
[simulation]
mode = "des"
window = "4h 15m"
warmup = "15m"
slo = {{ p99 = "500ms", availability = 0.999, over = "{over}" }}
[traffic]
rate = 640.0
[[traffic.mix]]
name = "page"
share = 1.0
web_cpu = {{ mean = "10ms", dist = "exponential" }}
[web]
instance = "m5.2xlarge"
workers = 1000
"#
        ),
        "mm8.toml",
    )
    .unwrap()
}

#[test]
fn segments_are_unbiased_and_deterministic() {
    let split = mm8("hour");
    let cp = &plan_checkpoints(&split)[0];
    assert_eq!(plan(&split, cp).len(), 4, "four segments of an hour");
    // One SLO interval cannot be split: the same model in one piece.
    let whole = mm8("window");
    assert_eq!(plan(&whole, &plan_checkpoints(&whole)[0]).len(), 1);

    let theory = Mmc {
        c: 8,
        lambda: 640.0,
        mu: 100.0,
    };
    let a = &run_seeds(&split, &[1])[0];
    let b = &run_seeds(&whole, &[1])[0];
    // 9.8 M requests: the mean response's standard error is about 0.1%
    // (correlated over the busy periods of an M/M/8 at 0.8: a few times the
    // i.i.d. 0.04%); 1% from theory is several standard errors, and the
    // split and the whole window agree within 1% of each other.
    let want = theory.mean_response() * 1e3;
    for r in [a, b] {
        assert!(
            rel(r.window.latency.mean_ms, want) < 0.01,
            "{} vs {want}",
            r.window.latency.mean_ms
        );
        let p99 = theory.quantile(0.99) * 1e3;
        assert!(
            rel(r.window.latency.p99_ms, p99) < 0.02,
            "{} vs {p99}",
            r.window.latency.p99_ms
        );
        assert_conserved(r);
    }
    assert!(rel(a.window.latency.mean_ms, b.window.latency.mean_ms) < 0.01);
    // Requests about equal: the segments cover the window exactly once.
    assert!(
        rel(
            a.window.counts.requests as f64,
            b.window.counts.requests as f64
        ) < 0.002
    );
    // Every interval once, every minute once.
    assert_eq!(a.window.intervals.len(), 4);
    assert_eq!(a.window.timeline.len(), b.window.timeline.len());
    for (k, m) in a.window.timeline.iter().enumerate() {
        assert_eq!(m.minute, k as u64);
    }
    assert!(rel(a.window.web_util, 0.8) < 0.01, "{}", a.window.web_util);

    // The same bytes with one thread and two.
    let run = |threads| {
        let opts = RunOptions {
            seed: Some(3),
            threads: Some(threads),
            ..RunOptions::default()
        };
        let r = simulate(&split, &opts).unwrap();
        (
            simscale::report::checkpoints_csv(&r),
            simscale::report::timeline_csv(&r),
        )
    };
    assert_eq!(run(1), run(2));
}
