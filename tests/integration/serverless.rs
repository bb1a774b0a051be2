//! The serverless path against arithmetic and theory, the DES against the
//! fluid mode, and the two shipped scenarios.
//!
//! Tolerances are stated with each check, from the standard error of the
//! estimate (a few standard errors) or, for the fluid mode, from what its
//! formulas leave out.

use crate::support::*;
use simscale::metrics::ServerlessSummary;
use simscale::run::{CheckpointResult, RunOptions, simulate};
use simscale::spec::Scenario;

fn parse(text: &str) -> Scenario {
    simscale::scenario::parse(text, "test.toml").expect("valid scenario")
}

/// A steady-state serverless scenario at `rate` with extra `[serverless.*]` text.
fn scenario(rate: f64, window: &str, warmup: &str, mode: &str, extra: &str) -> Scenario {
    parse(&format!(
        r#"
name = "serverless test"
[simulation]
mode = "{mode}"
window = "{window}"
warmup = "{warmup}"
des_budget = 100_000_000
[traffic]
rate = {rate}
[serverless]
share = 1.0
{extra}
"#
    ))
}

fn run_one(s: &Scenario, seed: u64) -> CheckpointResult {
    let cps = run_seeds(s, &[seed]);
    cps.into_iter().next().expect("one checkpoint")
}

fn sl(cp: &CheckpointResult) -> &ServerlessSummary {
    cp.window.serverless.as_ref().expect("serverless figures")
}

fn serverless_requests(cp: &CheckpointResult) -> u64 {
    cp.window
        .routes
        .arrived_on(simscale::route::Route::Serverless)
}

/// A path of Lambda alone: API Gateway never throttles and the function
/// makes no DynamoDB call; `lambda` holds the `[serverless.lambda]` lines.
fn lambda_alone(lambda: &str) -> String {
    format!(
        "[serverless.api_gateway]\nthrottle_rps = 1_000_000\nburst = 1_000_000\n\
         [serverless.lambda]\n{lambda}\n[serverless.dynamodb]\nwrites_per_request = 0\n"
    )
}

const NO_LIMITS: &str = r#"
[serverless.api_gateway]
throttle_rps = 1_000_000
burst = 1_000_000
[serverless.lambda]
concurrency = 100_000
cold_start = "0ms"
"#;

#[test]
fn without_a_limit_lambda_is_m_g_infinity_mean_concurrency_is_rate_times_duration() {
    // 200/s of a 50 ms (lognormal, cv 1) function with no DynamoDB call:
    // L = lambda E[S] = 10. Over 55 measured minutes (660,000 draws, cv 1)
    // the duration's sample mean is within 0.5% with four standard
    // errors, and the time average of a Poisson(10) count whose correlation
    // time is 50 ms is far tighter: 2%.
    let s = scenario(
        200.0,
        "1h",
        "5m",
        "des",
        &format!("{NO_LIMITS}duration = \"50ms\"\n[serverless.dynamodb]\nwrites_per_request = 0\n"),
    );
    let cp = run_one(&s, 3);
    let m = sl(&cp);
    let want = 200.0 * 0.050;
    assert!(
        rel(m.concurrency_mean, want) < 0.02,
        "{} vs {want}",
        m.concurrency_mean
    );
    assert_eq!(m.throttled.total(), 0);
    // The fluid mode's M/G/infinity: the same figure to rounding.
    let f = run_one(
        &scenario(
            200.0,
            "1h",
            "5m",
            "fluid",
            &format!(
                "{NO_LIMITS}duration = \"50ms\"\n[serverless.dynamodb]\nwrites_per_request = 0\n"
            ),
        ),
        3,
    );
    assert!(
        rel(sl(&f).concurrency_mean, want) < 1e-3,
        "{}",
        sl(&f).concurrency_mean
    );
}

#[test]
fn cold_start_fraction_follows_the_idle_timeout_arithmetic() {
    // One call a minute, environments reclaimed after 2 minutes, a 45 ms
    // invocation: one environment suffices, and a call is cold when the
    // gap since the previous call's end exceeds 2 minutes:
    // P = exp(-lambda (T + S)) = exp(-(120.045 / 60)) = 0.1353.
    // 30 days give 43,190 calls: the share's standard error is 0.0016
    // (1.2% of it), so 5% is four standard errors.
    let s = scenario(
        1.0 / 60.0,
        "30d",
        "10m",
        "des",
        "[serverless.lambda]\nidle_timeout = \"2m\"\nduration = \"40ms\"\n",
    );
    let cp = run_one(&s, 5);
    let want = (-(120.045f64) / 60.0).exp();
    let got = sl(&cp).cold_start_fraction();
    assert!(rel(got, want) < 0.05, "cold fraction {got} vs {want}");
    // The fluid mode's formula, sum_n pi_n exp(-lambda pi_n T), is
    // exp(-lambda T) here but for pi_0 = exp(-a) < 1 and the rare second
    // environment: 0.6% above it, within 1% of the DES's arithmetic.
    let a = 0.045 / 60.0;
    let f = simscale::fluid::cold_fraction(a, 1.0 / 60.0, 120.0, 1000, 0);
    assert!(rel(f, want) < 0.01, "{f} vs {want}");
    // Throttle-free and nothing lost.
    assert_eq!(cp.window.counts.throttled, 0);
}

/// Lambda as an Erlang loss system: `c` environments, never cold, never
/// reclaimed, an exponential function of mean `mean`.
fn loss_system(c: u32, mean: &str) -> String {
    lambda_alone(&format!(
        "concurrency = {c}\ncold_start = \"0ms\"\nidle_timeout = \"10h\"\n\
         duration = {{ mean = \"{mean}\", dist = \"exponential\" }}"
    ))
}

#[test]
fn with_a_concurrency_limit_the_throttled_share_is_erlang_b() {
    // 200/s of an exponential 50 ms function on 10 environments, no cold
    // start, none reclaimed: M/M/10/10 at 10 Erlangs, B = 0.2146. An hour
    // holds 660,000 measured calls; blocking is correlated over a few
    // service times, and 3% is several standard errors of the estimate.
    let text = &loss_system(10, "50ms");
    let want = erlang_b(10, 10.0);
    // The fluid mode's counts are whole requests: 1e-4 for the rounding.
    for (mode, tol) in [("des", 0.03), ("fluid", 1e-4)] {
        let cp = run_one(&scenario(200.0, "1h", "5m", mode, text), 7);
        let m = sl(&cp);
        let got = m.throttled.lambda_concurrency as f64 / serverless_requests(&cp) as f64;
        assert!(
            rel(got, want) < tol,
            "{mode}: throttled {got} vs Erlang B {want}"
        );
        assert_eq!(m.throttled.lambda_scaling, 0, "{mode}");
        // The services' counts add up to the window's, in both modes.
        let gap = cp.window.counts.throttled.abs_diff(m.throttled.total());
        assert!(
            gap == 0,
            "{mode}: {} vs {}",
            cp.window.counts.throttled,
            m.throttled.total()
        );
    }
}

/// An exponential 50 ms function (1 ms cold starts) with `n` provisioned
/// environments, on-demand ones reclaimed after `idle`.
fn provisioned(n: u32, idle: &str) -> String {
    lambda_alone(&format!(
        "concurrency = 1000\nprovisioned = {n}\ncold_start = \"1ms\"\nidle_timeout = \"{idle}\"\n\
         duration = {{ mean = \"50ms\", dist = \"exponential\" }}"
    ))
}

#[test]
fn provisioned_environments_carry_the_erlang_b_share_in_both_modes() {
    // 100/s of an exponential 50 ms function (5 Erlangs) with 5
    // provisioned environments taken first: they are the first group of an
    // ordered hunt and carry 1 - B(5, 5) = 0.7151 of the invocations
    // (insensitive to the duration's shape), and so of the GB-seconds (an
    // invocation's duration does not depend on where it runs; the cold
    // start is 1 ms). The DES's hour holds 330,000 measured calls whose
    // overflow is correlated over a few service times: 2% is several
    // standard errors. The fluid mode's share is the formula itself.
    let text = &provisioned(5, "2s");
    let want = 1.0 - erlang_b(5, 5.0);
    for (mode, tol) in [("des", 0.02), ("fluid", 0.002)] {
        let cp = run_one(&scenario(100.0, "1h", "5m", mode, text), 11);
        let m = sl(&cp);
        let got = m.lambda_provisioned_gb_seconds / m.lambda_gb_seconds;
        assert!(
            rel(got, want) < tol,
            "{mode}: share on provisioned {got} vs 1 - B(5, 5) = {want}"
        );
    }
}

#[test]
fn a_provisioned_environment_takes_the_cold_starts_away_in_both_modes() {
    // One call a second of a 50 ms function (0.05 Erlangs), one
    // provisioned environment, on-demand ones reclaimed after 1 s idle. A
    // call runs cold only when the provisioned one is busy (B(1, 0.05) =
    // 0.0476 of them) and the on-demand one went idle over a second ago:
    // overflow calls come once in 21 s, so about exp(-0.0476) = 0.95 of
    // them run cold, 4.5% of all calls. The fluid mode's idle-timeout
    // arithmetic, summed from n = 1, gives the same figure; without the
    // provisioned environment it would be sum_n pi_n exp(-lambda pi_n T)
    // = 0.37. A day holds 86,400 calls and about 3,900 cold ones: a
    // standard error of 1.6%, and 8% is five of them.
    let text = &provisioned(1, "1s");
    let b = erlang_b(1, 0.05);
    let want = b * (-b).exp();
    let without = simscale::fluid::cold_fraction(0.05, 1.0, 1.0, 1000, 0);
    assert!(without > 0.3, "{without}");
    for (mode, tol) in [("des", 0.08), ("fluid", 0.03)] {
        let cp = run_one(&scenario(1.0, "24h", "10m", mode, text), 13);
        let m = sl(&cp);
        let got = m.cold_starts as f64 / m.invocations as f64;
        assert!(rel(got, want) < tol, "{mode}: cold {got} vs {want}");
    }
}

#[test]
fn the_fluid_mode_counts_rare_throttles_whole_over_the_window() {
    // One call a second of an exponential 20 ms function on 2
    // environments: B(2, 0.02) = 1.96e-4 of the calls are throttled, 0.012
    // a minute. Rounded minute by minute that is none; the window's
    // running total gives its measured calls x B, to the whole call.
    let text = &loss_system(2, "20ms");
    let cp = run_one(&scenario(1.0, "24h", "10m", "fluid", text), 3);
    let m = sl(&cp);
    let calls = serverless_requests(&cp) as f64;
    let want = calls * erlang_b(2, 0.02);
    assert!(want > 10.0, "{want}");
    let got = m.throttled.lambda_concurrency as f64;
    assert!((got - want).abs() <= 1.0, "throttled {got} vs {want}");
    // And the services' counts add up to the window's.
    assert_eq!(m.throttled.total(), cp.window.counts.throttled);
    assert!(
        (m.invocations as f64 - (calls - want)).abs() <= 1.0,
        "{} invocations",
        m.invocations
    );
}

#[test]
fn the_api_gateway_token_bucket_passes_its_burst_then_its_rate() {
    // 200/s offered to a 100/s throttle with a burst of 500, from a full
    // bucket at the window's start: over 600 s it passes 500 + 100 x 600 =
    // 60,500 requests, less the few tokens left when the offered stream
    // dips (within 0.2%).
    let text = r#"
[serverless.api_gateway]
throttle_rps = 100
burst = 500
[serverless.lambda]
concurrency = 100_000
"#;
    let want = 500.0 + 100.0 * 600.0;
    for mode in ["des", "fluid"] {
        let cp = run_one(&scenario(200.0, "600s", "0s", mode, text), 9);
        let m = sl(&cp);
        let passed = serverless_requests(&cp) as f64 - m.throttled.api_gateway as f64;
        assert!(
            rel(passed, want) < 0.002,
            "{mode}: passed {passed} vs {want}"
        );
    }
}

#[test]
fn firehose_fed_under_its_buffer_delivers_one_object_per_interval() {
    // 10 records of 1,000 B a second: 600 kB a minute, under 1 MiB, so an
    // object every 60 s, 60 an hour; a record waits for the interval's end,
    // uniformly on [0, 60] s, plus the stream's poll (U[0, 0.25] s) and the
    // second function (20 ms): p50 = 30.1 s, p99 = 59.5 s, within 1 s (the
    // histogram's 0.1%, and the order statistics of 36,000 records).
    let text = r#"
[serverless.stream]
batch_size = 100
record_bytes = 1000
duration = { mean = "20ms", dist = "deterministic" }
[serverless.firehose]
buffer_mb = 1
buffer_interval = "60s"
"#;
    for mode in ["des", "fluid"] {
        let cp = run_one(&scenario(10.0, "65m", "5m", mode, text), 11);
        let m = sl(&cp);
        let per_hour = m.s3_objects_per_hour(cp.window.measured_secs);
        assert!(
            (per_hour - 60.0).abs() <= 1.0,
            "{mode}: {per_hour} objects an hour"
        );
        let p50 = m.delivery_p50_s.expect("deliveries");
        let p99 = m.delivery_p99_s.expect("deliveries");
        assert!((p50 - 30.15).abs() < 1.0, "{mode}: p50 {p50}");
        assert!((p99 - 59.55).abs() < 1.0, "{mode}: p99 {p99}");
    }
    // Past the buffer size, objects come by size: 40 kB/s fills 1 MiB in
    // 26.2 s, two full objects and the remainder per minute: 180 an hour.
    let big = text.replace("record_bytes = 1000", "record_bytes = 4000");
    for mode in ["des", "fluid"] {
        let cp = run_one(&scenario(10.0, "65m", "5m", mode, &big), 11);
        let per_hour = sl(&cp).s3_objects_per_hour(cp.window.measured_secs);
        assert!(
            (per_hour - 180.0).abs() <= 6.0,
            "{mode}: {per_hour} objects an hour"
        );
    }
}

#[test]
fn dynamodb_provisioned_capacity_throttles_and_retries_show_in_the_latency() {
    // 150 writes/s against 100 WCU with 300 s of burst: the bucket starts
    // with 30,000 units and drains at 50/s, so it is empty after 600 s and
    // a third of the writes fail from then on. Retries with backoff make
    // fewer fail but the served ones wait longer.
    let base = r#"
[serverless.lambda]
concurrency = 100_000
[serverless.dynamodb]
mode = "provisioned"
wcu = 100
"#;
    let no_retry = run_one(&scenario(150.0, "40m", "20m", "des", base), 13);
    let m = sl(&no_retry);
    let share = m.throttled.dynamodb as f64 / serverless_requests(&no_retry) as f64;
    // Writes at 150/s get 100/s through: 1/3 fail (Poisson noise: 2%).
    assert!(rel(share, 1.0 / 3.0) < 0.05, "throttled share {share}");
    let retried = run_one(
        &scenario(
            150.0,
            "40m",
            "20m",
            "des",
            &format!("{base}retries = 3\nbackoff = \"50ms\"\n"),
        ),
        13,
    );
    let r = sl(&retried);
    assert!(r.throttled.dynamodb <= m.throttled.dynamodb);
    assert!(
        retried.window.latency.p99_ms > no_retry.window.latency.p99_ms + 40.0,
        "retries add their backoff to the p99: {} vs {}",
        retried.window.latency.p99_ms,
        no_retry.window.latency.p99_ms
    );
}

#[test]
fn des_and_fluid_agree_on_a_loaded_function() {
    // 250/s of a lognormal 40 ms function (plus a 5 ms write) on 15
    // environments, idle timeout 10 min: 11.25 Erlangs offered. The fluid
    // mode's Erlang B is insensitive to the duration's shape, as M/G/c/c is;
    // its latency puts the cold start as an exponential wait where the DES
    // has a fixed one, hence 5% on the mean; throttled share within 0.01
    // absolute (0.3 of it), concurrency within 3%, objects within 2%.
    let text = r#"
[serverless.lambda]
concurrency = 15
duration = "40ms"
[serverless.stream]
batch_size = 100
[serverless.firehose]
buffer_mb = 1
buffer_interval = "60s"
"#;
    let d = run_one(&scenario(250.0, "1h", "10m", "des", text), 17);
    let f = run_one(&scenario(250.0, "1h", "10m", "fluid", text), 17);
    let (md, mf) = (sl(&d), sl(&f));
    let thr = |cp: &CheckpointResult| {
        cp.window.counts.throttled as f64 / cp.window.counts.requests as f64
    };
    assert!(
        (thr(&d) - thr(&f)).abs() < 0.01,
        "throttled {} vs {}",
        thr(&d),
        thr(&f)
    );
    assert!(
        rel(mf.concurrency_mean, md.concurrency_mean) < 0.03,
        "{} vs {}",
        mf.concurrency_mean,
        md.concurrency_mean
    );
    assert!(
        rel(f.window.latency.mean_ms, d.window.latency.mean_ms) < 0.05,
        "{} vs {}",
        f.window.latency.mean_ms,
        d.window.latency.mean_ms
    );
    let oph = |cp: &CheckpointResult| sl(cp).s3_objects_per_hour(cp.window.measured_secs);
    assert!(rel(oph(&f), oph(&d)) < 0.02, "{} vs {}", oph(&f), oph(&d));
    assert!((md.cold_start_fraction() - mf.cold_start_fraction()).abs() < 0.001);
}

#[test]
fn half_the_traffic_on_each_path_is_conserved_and_deterministic() {
    let text = r#"
name = "half and half"
[simulation]
mode = "des"
window = "10m"
warmup = "1m"
[traffic]
rate = 100
[web]
instance = "m5.large"
[serverless]
share = 0.5
[serverless.api_gateway]
throttle_rps = 40
burst = 100
[serverless.stream]
[serverless.firehose]
buffer_interval = "60s"
"#;
    let s = parse(text);
    let one = simulate(
        &s,
        &RunOptions {
            threads: Some(1),
            ..RunOptions::default()
        },
    )
    .unwrap();
    let two = simulate(
        &s,
        &RunOptions {
            threads: Some(2),
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert_eq!(one, two);
    let cp = &one.checkpoints[0];
    assert_conserved(cp);
    let on_path = serverless_requests(cp) as f64 / cp.window.counts.requests as f64;
    assert!((on_path - 0.5).abs() < 0.02, "{on_path}");
    // The throttle binds: 50/s offered to 40/s.
    assert!(sl(cp).throttled.api_gateway > 0);
    assert_eq!(cp.window.counts.throttled, sl(cp).throttled.total());
    assert_eq!(
        cp.bottleneck().map(|b| b.0),
        Some("api_gateway_throttle".to_string())
    );
    // Both paths are billed.
    let services: Vec<&str> = cp.bill.iter().map(|l| l.service).collect();
    for want in ["ec2", "api_gateway", "lambda", "dynamodb", "firehose", "s3"] {
        assert!(services.contains(&want), "{want} missing from {services:?}");
    }
}

#[test]
fn the_logger_demo_writes_about_one_file_a_minute_at_an_itemized_cost() {
    let s = simscale::scenario::load(std::path::Path::new("scenarios/08-serverless-logger.toml"))
        .expect("the demo loads");
    let r = simulate(&s, &RunOptions::default()).unwrap();
    let cp = &r.checkpoints[0];
    assert_conserved(cp);
    // 1,000 calls expected over 1,000 s (Poisson: within 10%).
    let n = cp.window.counts.requests as f64;
    assert!((n - 1000.0).abs() < 100.0, "{n} calls");
    let m = sl(cp);
    // 16 whole minutes end in 16 objects; the last 40 s are still buffered.
    assert_eq!(m.s3_objects, 16);
    let per_hour = m.s3_objects_per_hour(cp.window.measured_secs);
    assert!((per_hour - 57.6).abs() < 1e-9, "{per_hour}");
    // The bill by use: every service of the path has its line.
    let usd = |svc: &str| -> f64 {
        cp.bill
            .iter()
            .filter(|l| l.service == svc)
            .map(|l| l.usd_month)
            .sum()
    };
    for svc in ["api_gateway", "lambda", "dynamodb", "firehose", "s3"] {
        assert!(usd(svc) > 0.0, "{svc} costs nothing");
    }
    // API Gateway dominates at 3.50 USD per million: a month at 1 call/s is
    // 2.63 million calls, 9.2 USD.
    assert!(
        (usd("api_gateway") - 2.63e6 * 3.5e-6).abs() < 1.0,
        "{}",
        usd("api_gateway")
    );
    assert!(!cp.bill.iter().any(|l| l.service == "ec2"));
}

#[test]
fn the_growth_scenario_reaches_ten_million_users_and_names_the_first_limit() {
    let s = simscale::scenario::load(std::path::Path::new("scenarios/09-serverless-growth.toml"))
        .expect("the growth scenario loads");
    let r = simulate(&s, &RunOptions::default()).unwrap();
    let last = r.checkpoints.last().unwrap();
    assert!(last.checkpoint.users.unwrap() >= 9.99e6);
    for cp in &r.checkpoints {
        assert_conserved(cp);
    }
    // 150 requests a user a day, peak twice the mean: API Gateway's 10,000
    // requests/s bind from 2.9 million users (the first checkpoint past
    // them is at 5.1 million), before Lambda's 1,000 environments (50 ms
    // each at 10,000/s is 500) or DynamoDB.
    let (name, i, _, binds) =
        simscale::run::serverless::first_binding(&r.checkpoints).expect("a limit");
    assert!(binds);
    assert_eq!(name, "api_gateway_throttle");
    let users = r.checkpoints[i].checkpoint.users.unwrap();
    assert!((2.9e6..6.0e6).contains(&users), "binds at {users}");
}
