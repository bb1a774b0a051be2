//! Request classes: per-class figures and objectives, in both modes.

use crate::support::*;
use simscale::run::{RunOptions, Verdict, simulate};
use simscale::spec::*;

/// One vCPU, FCFS, Poisson arrivals at `rate`: half the requests take 10 ms
/// and half 30 ms (exponential), an M/G/1 whose wait every class shares.
fn two_classes(rate: f64) -> Scenario {
    let mut s = station(rate, 1, 100_000, u32::MAX, exp(10.0));
    let mut slow = s.traffic.mix[0].clone();
    s.traffic.mix[0].name = "fast".into();
    s.traffic.mix[0].share = 0.5;
    slow.name = "slow".into();
    slow.share = 0.5;
    slow.web_cpu = exp(30.0);
    s.traffic.mix.push(slow);
    s
}

#[test]
fn each_class_waits_the_common_wait_plus_its_own_service() {
    // E[S] = 20 ms, E[S^2] = 0.5 (2 x 10^2) + 0.5 (2 x 30^2) = 1000 ms^2;
    // at 30 req/s (rho 0.6) Pollaczek-Khinchine's wait is
    // lambda E[S^2] / (2 (1 - rho)) = 0.03 x 1000 / 0.8 = 37.5 ms, so the
    // fast class takes 47.5 ms and the slow one 67.5 ms on average.
    // The fluid mode's Allen-Cunneen wait is Pollaczek-Khinchine's for one
    // server: 0.5% (its quantile and mixture arithmetic). The DES's mean
    // over an hour (~108,000 requests) has a standard error near 1% at
    // rho 0.6 (responses correlated over about 1 / (1 - rho)^2 services),
    // so 3% is three of them.
    let mut s = two_classes(30.0);
    let mut p99s = Vec::new();
    for (mode, tol) in [(Mode::Des, 0.03), (Mode::Fluid, 0.005)] {
        s.simulation.mode = mode;
        let r = simulate(&s, &RunOptions::default()).unwrap();
        let cp = &r.checkpoints[0];
        assert_conserved(cp);
        let [fast, slow] = &cp.window.classes[..] else {
            panic!("two classes expected")
        };
        for (c, want) in [(fast, 47.5), (slow, 67.5)] {
            assert!(
                rel(c.latency.mean_ms, want) < tol,
                "{mode:?}: {} ms vs {want}",
                c.latency.mean_ms
            );
            let n = &c.counts;
            assert_eq!(
                n.requests,
                n.served + n.dropped + n.timed_out + n.errors + n.throttled + n.in_flight()
            );
            assert!(rel(n.requests as f64, cp.window.counts.requests as f64 / 2.0) < 0.01);
        }
        assert_eq!(
            fast.counts.requests + slow.counts.requests,
            cp.window.counts.requests
        );
        p99s.push([fast.latency.p99_ms, slow.latency.p99_ms]);
        // Without their own objectives, both are judged against the
        // scenario's bounds over the window, for information.
        assert_eq!(cp.classes.len(), 2);
        let csv = String::from_utf8(simscale::report::classes_csv(&r)).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with(
            "checkpoint,class,requests,served,availability,mean_ms,p50_ms,p95_ms,p99_ms,slo_verdict"
        ));
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[1].starts_with("0,fast,") && lines[2].starts_with("0,slow,"));
        let md = simscale::report::markdown::report_md(&r, &[]);
        assert!(md.contains("### Request classes"), "{md}");
    }
    // Per-class p99s agree within 7%: the fluid mode fits the M/G/1 wait
    // by its first two moments (measured 4.4% and 3.7% above the DES
    // here), the DES's p99 over ~54,000 requests a class is within 2%.
    for k in 0..2 {
        assert!(rel(p99s[1][k], p99s[0][k]) < 0.07, "{p99s:?}");
    }
}

#[test]
fn a_class_objective_that_breaks_moves_the_wall() {
    // Users / 100 req/s into the two-class M/G/1, from rho 0.2 to 0.9: the
    // scenario's lax 10 s p99 holds throughout, the slow class's own
    // 300 ms does not.
    for mode in [Mode::Des, Mode::Fluid] {
        let mut s = two_classes(1.0);
        s.traffic.load = Load::Users {
            users: Users::Growing {
                start: 1000.0,
                end: 4500.0,
                shape: GrowthShape::Exponential,
            },
            requests_per_user_per_day: 864.0,
        };
        s.simulation.horizon = Some(secs(365 * 86_400));
        s.simulation.checkpoints = 5;
        s.simulation.window = secs(1200);
        s.simulation.slo.p99 = secs(10);
        s.simulation.mode = mode;
        let lax = simulate(&s, &RunOptions::default()).unwrap();
        assert!(lax.wall.is_none(), "{mode:?}");
        s.traffic.mix[1].slo = Some(ClassSlo {
            p99: Some(ms(300.0)),
            availability: None,
        });
        let strict = simulate(&s, &RunOptions::default()).unwrap();
        let wall = strict
            .wall
            .as_ref()
            .expect("the class objective makes a wall");
        assert!(
            wall.users > 1000.0 && wall.users < 4500.0,
            "{mode:?}: {wall:?}"
        );
        assert_eq!(wall.reason, "p99");
        let last = strict.checkpoints.last().unwrap();
        assert_eq!(last.verdict(), Verdict::Missed, "{mode:?}");
        assert_eq!(last.classes[1].verdict, Verdict::Missed);
        assert!(!last.slo_met);
        // The fast class is judged against the scenario's 10 s: met.
        assert_eq!(last.classes[0].verdict, Verdict::Met);
        let csv = String::from_utf8(simscale::report::classes_csv(&strict)).unwrap();
        assert!(csv.lines().last().unwrap().contains(",missed,"), "{csv}");
        assert!(
            csv.lines().last().unwrap().ends_with(",300.000,,true"),
            "{csv}"
        );
    }
}
