//! One long DES window in segments on the thread pool: unbiased, and the
//! same bytes whatever the thread count.

use crate::support::*;
use simscale::run::segments::{plan, windows};
use simscale::run::{RunOptions, simulate};
use simscale::scenario::parse;
use simscale::spec::{Scenario, plan_checkpoints};

/// An M/M/8 at utilisation 0.8 (640 requests/s of 10 ms on 8 vCPUs) for
/// four hours and a quarter: 9.8 million requests, a segment per hour
/// (unless `segments` is false).
fn mm8(over: &str, segments: bool) -> Scenario {
    mm8_at(640.0, over, segments)
}

/// The same at `rate` requests/s.
fn mm8_at(rate: f64, over: &str, segments: bool) -> Scenario {
    parse(
        &format!(
            r#"
name = "M/M/8"
[simulation]
mode = "des"
window = "4h 15m"
warmup = "15m"
segments = {segments}
slo = {{ p99 = "500ms", availability = 0.999, over = "{over}" }}
[traffic]
rate = {rate}
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
    let split = mm8("hour", true);
    let cp = &plan_checkpoints(&split)[0];
    assert_eq!(plan(&split, cp).len(), 4, "four segments of an hour");
    // The same model in one piece.
    let whole = mm8("hour", false);
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

/// A t3.medium (2 vCPUs earning 24 credits an hour, 576 at most) that
/// starts the day full and runs one vCPU busy (40 requests/s of 25 ms):
/// it spends 60 credits an hour, so its balance drains by 36 an hour and
/// runs out after 16 hours; then its vCPUs run at the 20% baseline. 3.5 M
/// requests over the day: two segments of twelve hours (unless
/// `segments` is false).
fn draining_t3(segments: bool) -> Scenario {
    parse(
        &format!(
            r#"
name = "t3 draining"
[simulation]
mode = "des"
window = "24h"
warmup = "10m"
segments = {segments}
[traffic]
rate = 40.0
[[traffic.mix]]
name = "page"
share = 1.0
web_cpu = {{ mean = "25ms", dist = "exponential" }}
[web]
instance = "t3.medium"
workers = 64
credits = "standard"
initial_credits = "full"
"#
        ),
        "t3.toml",
    )
    .unwrap()
}

#[test]
fn segments_carry_the_credit_balance_the_window_has_by_then() {
    let split = draining_t3(true);
    let cp = &plan_checkpoints(&split)[0];
    assert_eq!(plan(&split, cp).len(), 2, "two segments");
    let whole = draining_t3(false);
    assert_eq!(plan(&whole, &plan_checkpoints(&whole)[0]).len(), 1);
    let a = &run_seeds(&split, &[1])[0];
    let b = &run_seeds(&whole, &[1])[0];
    for r in [a, b] {
        assert_conserved(r);
    }
    // The second segment starts at hour 12 with 576 - 12 x 36 = 144
    // credits, not full: the balance runs out at hour 16 in both, so the
    // vCPUs run at the baseline for the last 8 hours (a third of the day)
    // and a segment that restarted full would never throttle. The
    // throttled share of busy vCPU time and the requests that failed
    // agree within a few percent (the queue past the baseline is the same
    // overload in both; 5%).
    let throttled = |r: &simscale::run::CheckpointResult| r.window.web_throttled;
    assert!(throttled(a) > 0.2, "{}", throttled(a));
    assert!(
        rel(throttled(a), throttled(b)) < 0.05,
        "{} vs {}",
        throttled(a),
        throttled(b)
    );
    let failed = |r: &simscale::run::CheckpointResult| {
        let c = &r.window.counts;
        (c.dropped + c.timed_out + c.errors) as f64
    };
    assert!(failed(b) > 0.0);
    assert!(
        rel(failed(a), failed(b)) < 0.05,
        "{} vs {}",
        failed(a),
        failed(b)
    );
}

/// 07's design at 100,000 users for a day (5 M requests) under `policy`
/// from one instance up, in segments or not.
fn scaling_day(policy: &str, segments: bool) -> Scenario {
    let text = std::fs::read_to_string(crate::cli::repo("scenarios/07-auto-scaling.toml")).unwrap();
    let text = text[..text.find("[ladder]").unwrap()]
        .replace(
            "horizon = \"12months\"\ncheckpoints = 8",
            &format!("segments = {segments}"),
        )
        .replace(
            "users = { start = 10_000, end = 600_000, shape = \"exponential\" }",
            "users = 100_000",
        )
        .replace(
            "policy = \"target_tracking\"",
            &format!("policy = \"{policy}\""),
        )
        .replace("min = 3", "min = 1");
    parse(&text, "07.toml").unwrap()
}

#[test]
fn segments_open_with_the_fleet_auto_scaling_has_by_then() {
    // Each segment opens with the fleet the fluid mode's run of the whole
    // day has at its start, not the count the policy settles at for that
    // load: the step policy adds at 75% CPU and removes under 20%, so the
    // fleet it runs depends on the way the load came. The day's mean
    // fleet, its bill and its p99 agree with the unsplit day within 2%
    // (measured: 0.7%, 0.06% and 0.6%); segments that opened at the
    // settled count ran the step policy's day on 6% more instances.
    for policy in ["target_tracking", "step"] {
        let split = scaling_day(policy, true);
        let whole = scaling_day(policy, false);
        assert!(plan(&split, &plan_checkpoints(&split)[0]).len() >= 3);
        assert_eq!(plan(&whole, &plan_checkpoints(&whole)[0]).len(), 1);
        let a = &run_seeds(&split, &[1])[0];
        let b = &run_seeds(&whole, &[1])[0];
        for r in [a, b] {
            assert_conserved(r);
        }
        let (wa, wb) = (&a.window, &b.window);
        assert!(wb.web_instances_max > 1, "{policy}: the day scales");
        for (what, x, y) in [
            ("instances", wa.web_instances_mean, wb.web_instances_mean),
            ("cost", a.cost_usd_month, b.cost_usd_month),
            ("p99", wa.latency.p99_ms, wb.latency.p99_ms),
        ] {
            assert!(rel(x, y) < 0.02, "{policy} {what}: {x} split, {y} whole");
        }
    }
}

#[test]
fn a_window_judged_as_one_interval_is_cut_at_hours_and_put_back_together() {
    // The M/M/8 judged over its whole window: four segments of an hour,
    // whose parts of the one interval the join puts back together, its
    // p99 from the merged histogram and its batch-means bounds from every
    // measured minute (20 batches of 12 minutes either way). The point
    // estimates agree within the 2% the M/M/8 test allows each, and the
    // bounds' ends within 3% (each end moves with its point estimate).
    let split = mm8("window", true);
    let whole = mm8("window", false);
    assert_eq!(plan(&split, &plan_checkpoints(&split)[0]).len(), 4);
    assert_eq!(plan(&whole, &plan_checkpoints(&whole)[0]).len(), 1);
    let a = &run_seeds(&split, &[2])[0];
    let b = &run_seeds(&whole, &[2])[0];
    assert_conserved(a);
    let (x, y) = (&a.window.intervals, &b.window.intervals);
    assert_eq!((x.len(), y.len()), (1, 1));
    let (x, y) = (&x[0], &y[0]);
    assert_eq!(x.start, y.start);
    assert!((x.secs - y.secs).abs() < 1e-9);
    assert_eq!(x.counts.requests, a.window.counts.requests);
    assert!(rel(x.counts.requests as f64, y.counts.requests as f64) < 0.002);
    assert!(rel(x.latency.p99_ms, y.latency.p99_ms) < 0.02);
    for (p, q) in [
        (x.p99_bounds.0, y.p99_bounds.0),
        (x.p99_bounds.1, y.p99_bounds.1),
    ] {
        assert!(rel(p, q) < 0.03, "{:?} vs {:?}", x.p99_bounds, y.p99_bounds);
    }
    assert!(x.p99_bounds.1 > x.p99_bounds.0);
    assert_eq!(x.availability, 1.0);
    assert!((x.offered_rps - 640.0).abs() < 3.0, "{}", x.offered_rps);
    assert!(rel(x.web_util, y.web_util) < 0.01);
    assert_eq!(a.judgement.intervals, 1);
}

/// 04's design (two m5.xlarge in two AZs, RDS Multi-AZ) at 30,000 users
/// for a day judged by the hour, AZ a lost for the busiest hour.
fn outage_day(segments: bool) -> Scenario {
    let text = std::fs::read_to_string(crate::cli::repo("scenarios/04-multi-az.toml")).unwrap();
    let text = text
        .replace(
            "horizon = \"12months\"\ncheckpoints = 12",
            &format!("segments = {segments}"),
        )
        .replace(", over = \"window\"", "")
        .replace(
            "users = { start = 1_000, end = 100_000, shape = \"exponential\" }",
            "users = 30_000",
        );
    parse(&text, "04.toml").unwrap()
}

#[test]
fn a_timed_fault_falls_in_the_last_segment_with_the_rest_of_the_window() {
    // The outage strikes at the whole window's busiest moment (20:00) in
    // every segment's reckoning. Segments end at least five minutes before
    // it; the last runs from there to the window's end, fault included, so
    // no request a segment measures meets a fault it does not have. The
    // day split and whole agree: its availability within 0.0003 (the
    // outage costs 0.0013), the outage hour's within 0.003 (detection
    // sends some 30 seconds of AZ a's share to dead targets: a few
    // thousand requests, counted to within their noise) and the p99
    // within 6%: the outage hour sets the day's p99, which moves from 418
    // to 449 ms over four seeds, split or whole alike.
    let split = outage_day(true);
    let cp = &plan_checkpoints(&split)[0];
    let spans = plan(&split, cp);
    let fault = split.fault_spans(cp)[0].from;
    assert!(spans.len() >= 3, "{spans:?}");
    let (last_from, last_to) = spans[spans.len() - 1];
    assert!(last_from + simscale::time::SimDuration::from_secs(300) <= fault);
    assert_eq!(last_to, cp.start + cp.window);
    assert!(spans[spans.len() - 2].1 <= fault);
    let a = &run_seeds(&split, &[1])[0];
    let b = &run_seeds(&outage_day(false), &[1])[0];
    for r in [a, b] {
        assert_conserved(r);
    }
    let down = |r: &simscale::run::CheckpointResult| r.window.counts.errors as f64;
    assert!(
        down(a) > 500.0 && down(b) > 500.0,
        "{} {}",
        down(a),
        down(b)
    );
    let avail = |r: &simscale::run::CheckpointResult| r.estimates.availability.mean;
    assert!(avail(b) < 0.9995, "{}", avail(b));
    assert!(
        (avail(a) - avail(b)).abs() < 3e-4,
        "{} vs {}",
        avail(a),
        avail(b)
    );
    let worst = |r: &simscale::run::CheckpointResult| r.judgement.worst.availability;
    assert!(
        (worst(a) - worst(b)).abs() < 3e-3,
        "{} vs {}",
        worst(a),
        worst(b)
    );
    assert!(rel(a.window.latency.p99_ms, b.window.latency.p99_ms) < 0.06);
}

/// 05's design (eight m5.xlarge, a Multi-AZ MySQL primary and two replicas
/// on the USL) for a day at `users`, four replications, in segments or not.
fn scale_out_day(users: u32, segments: bool) -> Scenario {
    let text = std::fs::read_to_string(crate::cli::repo("scenarios/05-scale-out.toml")).unwrap();
    let text = text
        .replace(
            "horizon = \"24months\"\ncheckpoints = 25",
            &format!("segments = {segments}\nreplications = 4"),
        )
        .replace(
            "users = { start = 1, end = 10_000_000, shape = \"exponential\" }",
            &format!("users = {users}"),
        );
    parse(&text, "05.toml").unwrap()
}

#[test]
fn a_shipped_day_split_agrees_with_its_whole_within_its_own_intervals() {
    // 05's day at 23,000 users: 3.45 M requests, two segments of twelve
    // hours, each with its own warm-up from empty queues. The USL RDS
    // servers are shared stations, whose last seconds run a little fast
    // when a segment stops taking arrivals (see `run::segments`). Split
    // and whole, each over four replications, agree on the mean, the p99
    // and the availability within the sum of their 95% half-widths: the
    // difference is within the runs' own noise (measured: mean 81.418 +-
    // 0.052 ms split, 81.420 +- 0.043 whole; p99 331.5 +- 1.2 and 331.7
    // +- 0.6 ms).
    let split = scale_out_day(23_000, true);
    let whole = scale_out_day(23_000, false);
    assert_eq!(plan(&split, &plan_checkpoints(&split)[0]).len(), 2);
    assert_eq!(plan(&whole, &plan_checkpoints(&whole)[0]).len(), 1);
    let a = &run_seeds(&split, &[1])[0];
    let b = &run_seeds(&whole, &[1])[0];
    for r in [a, b] {
        assert_conserved(r);
        assert_eq!(r.replications, 4);
    }
    let (ea, eb) = (&a.estimates, &b.estimates);
    for (what, x, y) in [
        ("mean", &ea.mean_ms, &eb.mean_ms),
        ("p99", &ea.p99_ms, &eb.p99_ms),
        ("availability", &ea.availability, &eb.availability),
    ] {
        assert!(
            (x.mean - y.mean).abs() <= x.ci95 + y.ci95,
            "{what}: split {} +- {}, whole {} +- {}",
            x.mean,
            x.ci95,
            y.mean,
            y.ci95
        );
    }
}

#[test]
fn a_segment_near_saturation_warms_up_for_five_relaxation_times() {
    // At utilisation 0.8 the M/M/8's relaxation time is 0.01 / (8 (1 -
    // sqrt 0.8)^2) = 0.11 s: every segment takes the window's 15 minutes.
    // At 0.995 it is 0.01 / (8 (1 - sqrt 0.995)^2) = 200 s, and five of
    // them, 1,000 s, outlast the window's warm-up: each later segment
    // starts that much earlier (on a whole minute: 17 minutes).
    for (rate, want) in [(640.0, 900), (796.0, 1020)] {
        let s = mm8_at(rate, "hour", true);
        let cp = &plan_checkpoints(&s)[0];
        let w = windows(&s, cp, &plan(&s, cp));
        assert_eq!(w.len(), 4);
        assert_eq!(w[0].start, cp.start);
        assert_eq!(w[0].warmup, cp.warmup);
        for g in &w[1..] {
            assert_eq!(g.warmup.as_nanos() / 1_000_000_000, want, "{rate}/s");
            assert_eq!((g.start.0 - cp.start.0) % 60_000_000_000, 0);
        }
    }
}
