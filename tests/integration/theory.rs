//! The DES against queueing theory, over several seeds, after warm-up.
//!
//! Tolerances come from the standard error of the estimate. For M/M/1 at
//! utilisation rho the sample mean of n response times has a relative
//! standard error of sqrt(rho (2 + 5 rho - 4 rho^2 + rho^3) / n) / (1 - rho)
//! (Daley's asymptotic variance over the mean): 0.55% for rho = 0.7 and
//! n = 1e6, so 0.3% over four seeds. Tolerances of 2% on means are then about six standard
//! errors: a correct model passes every time, while a modelling error of a
//! few percent (a wrong speed factor, a lost server, FIFO broken) fails.
//! Percentiles of correlated samples are noisier, and the histogram adds up
//! to 0.05%, hence 3%. Every run also checks Little's law and conservation.

use crate::support::*;
use simscale::run::CheckpointResult;
use simscale::spec::*;

const SEEDS: [u64; 4] = [11, 12, 13, 14];

/// Little's law on the origin, L = lambda W, path by path. Edge effects (the
/// requests inside at the warm-up's end and at the window's end) are of the
/// order of W / T, far below 1%.
fn assert_littles_law(cps: &[CheckpointResult]) {
    for cp in cps {
        let w = &cp.window;
        let lambda = w.origin_admitted as f64 / w.measured_secs;
        let little = lambda * w.mean_origin_secs;
        assert!(
            rel(w.mean_in_origin, little) < 0.01,
            "Little's law: L = {} but lambda W = {}",
            w.mean_in_origin,
            little
        );
    }
}

fn mean_ms(cps: &[CheckpointResult], f: impl Fn(&CheckpointResult) -> f64) -> f64 {
    mean_of(cps.iter().map(f))
}

fn check(name: &str, got: f64, want: f64, tol: f64) {
    let r = rel(got, want);
    assert!(
        r < tol,
        "{name}: got {got:.4}, theory {want:.4} ({:.2}% off, tolerance {:.1}%)",
        100.0 * r,
        100.0 * tol
    );
}

/// Checks mean and percentiles of the response time against an M/M/c.
fn check_mmc(cps: &[CheckpointResult], q: &Mmc, tol_mean: f64, tol_pct: f64) {
    check(
        "mean",
        mean_ms(cps, |c| c.window.latency.mean_ms),
        1000.0 * q.mean_response(),
        tol_mean,
    );
    check(
        "p50",
        mean_ms(cps, |c| c.window.latency.p50_ms),
        1000.0 * q.quantile(0.50),
        tol_pct,
    );
    check(
        "p95",
        mean_ms(cps, |c| c.window.latency.p95_ms),
        1000.0 * q.quantile(0.95),
        tol_pct,
    );
    check(
        "p99",
        mean_ms(cps, |c| c.window.latency.p99_ms),
        1000.0 * q.quantile(0.99),
        tol_pct,
    );
}

#[test]
fn mm1_response_time() {
    // One worker on a 2-vCPU instance: one request served at a time.
    let mut s = station(70.0, 2, 1, u32::MAX, exp(10.0));
    s.simulation.window = secs(4 * 3600);
    let cps = run_seeds(&s, &SEEDS);
    check_mmc(
        &cps,
        &Mmc {
            c: 1,
            lambda: 70.0,
            mu: 100.0,
        },
        0.02,
        0.03,
    );
    // Web utilisation is the busy share of 2 vCPUs: rho / 2.
    check("util", mean_ms(&cps, |c| c.window.web_util), 0.35, 0.01);
    assert!(cps.iter().all(|c| c.window.counts.dropped == 0));
    assert_littles_law(&cps);
}

#[test]
fn mmc_matches_erlang_c() {
    // Eight vCPUs, plenty of workers: M/M/8 on the vCPUs at rho = 0.8.
    let s = station(640.0, 8, 100_000, u32::MAX, exp(10.0));
    let cps = run_seeds(&s, &SEEDS[..3]);
    check_mmc(
        &cps,
        &Mmc {
            c: 8,
            lambda: 640.0,
            mu: 100.0,
        },
        0.02,
        0.03,
    );
    check("util", mean_ms(&cps, |c| c.window.web_util), 0.8, 0.01);
    assert_littles_law(&cps);
}

#[test]
fn mmck_blocking_and_response_time() {
    // Four workers = four vCPUs, six waiting places: M/M/4/10 at offered rho 0.9.
    let (c, k, lambda, mu) = (4, 10, 360.0, 100.0);
    let s = station(lambda, c, c, k - c, exp(10.0));
    let cps = run_seeds(&s, &SEEDS[..3]);
    let (block, l) = mmck(c, k, lambda, mu);
    let blocked = mean_of(cps.iter().map(|c| {
        let n = &c.window.counts;
        n.dropped as f64 / n.finished() as f64
    }));
    check("blocking", blocked, block, 0.03);
    check(
        "mean",
        mean_ms(&cps, |c| c.window.latency.mean_ms),
        1000.0 * l / (lambda * (1.0 - block)),
        0.02,
    );
    assert_littles_law(&cps);
}

#[test]
fn loss_system_matches_erlang_b() {
    // No waiting room at all: M/M/8/8 with 6 Erlangs offered.
    let s = station(600.0, 8, 8, 0, exp(10.0));
    let cps = run_seeds(&s, &SEEDS[..3]);
    let blocked = mean_of(cps.iter().map(|c| {
        let n = &c.window.counts;
        n.dropped as f64 / n.finished() as f64
    }));
    check("Erlang B", blocked, erlang_b(8, 6.0), 0.03);
    // Nobody waits: the response time is the service time.
    check(
        "mean",
        mean_ms(&cps, |c| c.window.latency.mean_ms),
        10.0,
        0.01,
    );
}

/// Pollaczek-Khinchine: W = E[S] + rho (1 + cv^2) / (2 (1 - rho)) E[S].
fn pk_mean_ms(rho: f64, cv: f64, mean_ms: f64) -> f64 {
    mean_ms * (1.0 + rho * (1.0 + cv * cv) / (2.0 * (1.0 - rho)))
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    let mut s = station(70.0, 1, 1, u32::MAX, Dist::constant(ms(10.0)));
    s.simulation.window = secs(4 * 3600);
    let cps = run_seeds(&s, &SEEDS);
    check(
        "mean",
        mean_ms(&cps, |c| c.window.latency.mean_ms),
        pk_mean_ms(0.7, 0.0, 10.0),
        0.02,
    );
    // Nobody is served faster than the service time.
    assert!(cps.iter().all(|c| c.window.latency.p50_ms >= 9.99));
    assert_littles_law(&cps);
}

#[test]
fn mg1_matches_pollaczek_khinchine() {
    // Gamma with cv 1.5 at rho 0.6, and lognormal with cv 0.5 at rho 0.7.
    // The heavier tail makes the estimate noisier: 4%.
    for (dist, rate, rho, cv) in [
        (
            Dist::Gamma {
                mean: ms(10.0),
                cv: 1.5,
            },
            60.0,
            0.6,
            1.5,
        ),
        (
            Dist::Lognormal {
                mean: ms(10.0),
                cv: 0.5,
            },
            70.0,
            0.7,
            0.5,
        ),
    ] {
        let mut s = station(rate, 1, 1, u32::MAX, dist);
        s.simulation.window = secs(4 * 3600);
        let cps = run_seeds(&s, &SEEDS);
        check(
            &format!("{dist:?} mean"),
            mean_ms(&cps, |c| c.window.latency.mean_ms),
            pk_mean_ms(rho, cv, 10.0),
            0.04,
        );
        assert_littles_law(&cps);
    }
}

#[test]
fn tandem_web_and_database_is_a_jackson_network() {
    // Web: M/M/2 at rho 0.75. DB: one read per request on 2 vCPUs, 8 ms
    // exponential: M/M/2 at rho 0.6. Departures of an M/M/c are Poisson
    // (Burke), so the mean response is the sum of the two stations'.
    let mut s = station(150.0, 2, 100_000, u32::MAX, exp(10.0));
    s.traffic.mix[0].db_reads = 1;
    s.database = Some(Database {
        read_time: exp(8.0),
        write_time: exp(8.0),
        ..test_db(2)
    });
    let cps = run_seeds(&s, &SEEDS[..3]);
    let web = Mmc {
        c: 2,
        lambda: 150.0,
        mu: 100.0,
    };
    let db = Mmc {
        c: 2,
        lambda: 150.0,
        mu: 125.0,
    };
    check(
        "mean",
        mean_ms(&cps, |c| c.window.latency.mean_ms),
        1000.0 * (web.mean_response() + db.mean_response()),
        0.02,
    );
    check("db util", mean_ms(&cps, |c| c.window.db_util), 0.6, 0.01);
    assert_littles_law(&cps);
}

#[test]
fn random_dispatch_gives_independent_mmc_stations() {
    // Three M/M/2 instances behind random dispatch: each sees Poisson
    // arrivals at a third of the rate (thinning), rho = 0.75.
    let mut s = station(450.0, 2, 100_000, u32::MAX, exp(10.0));
    s.web.count = 3;
    s.load_balancer = Some(alb(LbAlgorithm::Random, 0.0));
    let cps = run_seeds(&s, &SEEDS[..3]);
    check_mmc(
        &cps,
        &Mmc {
            c: 2,
            lambda: 150.0,
            mu: 100.0,
        },
        0.02,
        0.03,
    );
    assert_littles_law(&cps);
}

#[test]
fn least_outstanding_beats_random_dispatch() {
    // Same fleet: joining the shortest queue must cut the mean response time.
    let mut s = station(450.0, 2, 100_000, u32::MAX, exp(10.0));
    s.web.count = 3;
    s.simulation.window = secs(1200);
    let lb = |algorithm| alb(algorithm, 1.0);
    s.load_balancer = Some(lb(LbAlgorithm::Random));
    let random = mean_ms(&run_seeds(&s, &SEEDS[..2]), |c| c.window.latency.mean_ms);
    s.load_balancer = Some(lb(LbAlgorithm::LeastOutstanding));
    let least = run_seeds(&s, &SEEDS[..2]);
    let least_mean = mean_ms(&least, |c| c.window.latency.mean_ms);
    assert!(
        least_mean < 0.8 * random,
        "least outstanding {least_mean} vs random {random}"
    );
}
