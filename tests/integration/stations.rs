//! Per-station busy shares and the bottleneck, in both modes.

use crate::support::*;
use simscale::run::{CheckpointResult, RunOptions, simulate};
use simscale::spec::*;

#[test]
fn too_few_workers_name_the_workers_whatever_the_vcpus() {
    // 8 workers per instance of 100 ms exponential requests carry 80 req/s
    // whatever the vCPUs: at 76 req/s the workers are 95% busy and the
    // vCPUs 95% x 8 / vCPUs (a worker holds no vCPU it does not use). On 8
    // vCPUs both are busy alike (a tie goes to web_cpu: more vCPUs alone
    // would not help); on 16 and 32 the workers are the wall.
    // Busy shares are throughput x service time, so the DES's noise is
    // that of a sum of ~130,000 exponential times, under 0.5%: 2% allows
    // for the drops, which the two modes estimate apart.
    for vcpus in [8, 16, 32] {
        let mut s = station(76.0, vcpus, 8, 64, exp(100.0));
        s.simulation.window = secs(1860);
        for r in both(&s) {
            let st = &r.window.stations;
            let want_cpu = 0.95 * 8.0 / f64::from(vcpus);
            assert!(
                rel(st.web_workers, 0.95) < 0.02,
                "{vcpus} {:?}: {st:?}",
                r.mode
            );
            assert!(
                rel(st.web_cpu, want_cpu) < 0.02,
                "{vcpus} {:?}: {st:?}",
                r.mode
            );
            assert!(st.db.is_empty());
            // M/M/8/72 by its birth-death chain: 13.931 waiting for a
            // worker. The fluid mode solves that chain (0.1%); the DES's
            // queue near saturation is correlated over minutes, so half an
            // hour of it is good to about 5% (measured 1.2%): 10%.
            let tol = if r.mode == Mode::Fluid { 0.001 } else { 0.10 };
            assert!(
                rel(st.web_worker_queue, 13.9306) < tol,
                "{vcpus} {:?}: {}",
                r.mode,
                st.web_worker_queue
            );
            let (name, u) = r.bottleneck().unwrap();
            if vcpus == 8 {
                assert_eq!(name, "web_cpu", "{:?}", r.mode);
            } else {
                assert_eq!(name, "web_workers", "{vcpus} {:?}", r.mode);
                assert!(rel(u, 0.95) < 0.02);
                let advice = r.bottleneck_advice(&s).unwrap();
                assert!(
                    advice.contains("8 per instance") && advice.contains("`web.workers`"),
                    "{advice}"
                );
            }
        }
    }
}

#[test]
fn one_saturated_replica_is_named_though_the_mean_db_util_hides_it() {
    // Every request reads twice and writes once. The one read replica
    // (2 vCPUs, 10 ms reads) takes 190 reads/s at 95 req/s: 95% busy; the
    // primary (2 ms writes) 9.5%. The mean over both, db_util, says 52%.
    let mut s = station(95.0, 8, 256, 256, exp(5.0));
    s.simulation.window = secs(1860);
    s.traffic.mix[0].db_reads = 2;
    s.traffic.mix[0].db_writes = 1;
    s.database = Some(Database {
        read_replicas: 1,
        read_time: exp(10.0),
        write_time: exp(2.0),
        ..test_db(2)
    });
    let [des, fluid] = both(&s);
    for r in [&des, &fluid] {
        let st = &r.window.stations;
        assert_eq!(st.db.len(), 2);
        assert!(rel(st.db[0], 0.095) < 0.03, "{:?}: {st:?}", r.mode);
        assert!(rel(st.db[1], 0.95) < 0.02, "{:?}: {st:?}", r.mode);
        assert!(rel(st.db_replica_max(), 0.95) < 0.02);
        assert!(r.window.db_util < 0.6, "{:?}: {}", r.mode, r.window.db_util);
        assert_eq!(r.bottleneck().unwrap().0, "db_replica_1", "{:?}", r.mode);
        assert!(st.web_worker_queue < 1e-3, "{:?}: {st:?}", r.mode);
        assert!(
            r.bottleneck_advice(&s)
                .unwrap()
                .starts_with("read replica 1")
        );
    }
    // The two modes agree on every station (2%: see above).
    let (a, b) = (&des.window.stations, &fluid.window.stations);
    assert!(rel(a.web_cpu, b.web_cpu) < 0.02, "{a:?} vs {b:?}");
    assert!(rel(a.db[1], b.db[1]) < 0.02, "{a:?} vs {b:?}");
    // Workers: Little's law over the time inside, which near the replica's
    // saturation the two modes estimate to within 10% (its wait dominates).
    assert!(rel(a.web_workers, b.web_workers) < 0.10, "{a:?} vs {b:?}");
    let csv = String::from_utf8(simscale::report::checkpoints_csv(
        &simscale::run::simulate(&s, &RunOptions::default()).unwrap(),
    ))
    .unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let col = |n: &str| row[header.iter().position(|h| *h == n).unwrap()];
    assert_eq!(col("bottleneck"), "db_replica_1");
    assert_eq!(col("db_replica_utils"), col("db_replica_max_util"));
}

#[test]
fn the_wall_names_its_bottleneck_in_the_terminal_and_the_report() {
    // Users / 100 req/s of 100 ms into 8 workers on 16 vCPUs: the workers
    // cap it at 8,000 users with the vCPUs half idle.
    for mode in [Mode::Des, Mode::Fluid] {
        let mut s = station(1.0, 16, 8, 64, exp(100.0));
        s.traffic.load = Load::Users {
            users: Users::Growing {
                start: 1000.0,
                end: 20_000.0,
                shape: GrowthShape::Exponential,
            },
            requests_per_user_per_day: 864.0,
        };
        s.simulation.horizon = Some(secs(365 * 86_400));
        s.simulation.checkpoints = 5;
        s.simulation.window = secs(900);
        s.simulation.mode = mode;
        let r = simulate(&s, &RunOptions::default()).unwrap();
        let wall = r.wall.as_ref().expect("a wall");
        assert!(wall.users < 8000.0, "{mode:?}: {}", wall.users);
        assert_eq!(wall.at.bottleneck().unwrap().0, "web_workers", "{mode:?}");
        let term = simscale::report::terminal_summary(&r);
        assert!(
            term.contains("the wall is the web workers (8 per instance"),
            "{term}"
        );
        let md = simscale::report::markdown::report_md(&r, &[]);
        assert!(
            md.contains("The wall is the web workers (8 per instance"),
            "{md}"
        );
        assert!(md.contains("| web_workers "), "{md}");
    }
}

/// The load of the limit `name` in front of the web tier.
fn edge_load(r: &CheckpointResult, name: &str) -> f64 {
    r.edge_limits
        .iter()
        .find(|l| l.name == name)
        .map(|l| l.load)
        .unwrap()
}

/// A site whose static files go to CloudFront with an S3 origin: `rate`
/// requests a second, half of them cacheable, a 90% hit ratio, so S3 sees
/// 5% of the rate; the other half takes 0.5 ms of one of 64 vCPUs.
fn cdn_on_s3(rate: f64, prefixes: u32) -> Scenario {
    let mut s = station(rate, 64, 4096, 4096, exp(0.5));
    s.simulation.window = secs(60);
    s.simulation.warmup = secs(10);
    let mut assets = s.traffic.mix[0].clone();
    assets.name = "assets".into();
    assets.cacheable = true;
    s.traffic.mix[0].share = 0.5;
    assets.share = 0.5;
    s.traffic.mix.push(assets);
    s.cdn = Some(Cdn {
        hit_ratio: 0.9,
        latency: Dist::constant(ms(15.0)),
        static_origin: StaticOrigin::S3,
        s3_latency: Dist::constant(ms(30.0)),
        s3_storage_gb: 0.0,
        s3_prefixes: prefixes,
    });
    s
}

#[test]
fn an_s3_origin_past_its_prefix_rate_is_the_bottleneck_in_both_modes() {
    // 220,000 req/s x 0.5 cacheable x 0.1 missed = 11,000 GET/s on S3:
    // twice the 5,500 one prefix takes. The load is the scenario's own
    // arithmetic (flat traffic, the expected share), so both modes give
    // it exactly; the web tier (110,000 req/s of 0.5 ms on 64 vCPUs) is
    // 86% busy.
    let s = cdn_on_s3(220_000.0, 1);
    for r in both(&s) {
        let load = edge_load(&r, "cdn_origin");
        assert!(rel(load, 2.0) < 1e-9, "{:?}: {load}", r.mode);
        let (name, u) = r.bottleneck().unwrap();
        assert_eq!(name, "cdn_origin", "{:?}", r.mode);
        assert!(rel(u, 2.0) < 1e-9);
        let advice = r.bottleneck_advice(&s).unwrap();
        assert!(advice.contains("cdn.s3_prefixes"), "{advice}");
    }
    let w = simscale::warnings::plausibility(&s);
    assert!(
        w.iter()
            .any(|w| w.key == "cdn.s3_prefixes" && w.message.contains("11000 GET/s")),
        "{w:?}"
    );
    // Four prefixes take 22,000 GET/s: half used, no warning, and the
    // bottleneck is the web tier's vCPUs again.
    let s = cdn_on_s3(220_000.0, 4);
    for r in both(&s) {
        let load = edge_load(&r, "cdn_origin");
        assert!(rel(load, 0.5) < 1e-9);
        assert_eq!(r.bottleneck().unwrap().0, "web_cpu", "{:?}", r.mode);
    }
    assert!(simscale::warnings::plausibility(&s).is_empty());
}

#[test]
fn a_surge_faster_than_the_load_balancer_scales_is_named() {
    // Two instances behind an ALB at 100 req/s; at minute 10 an event
    // triples the rate for five minutes: a 200% rise within five minutes,
    // four times the 50% Elastic Load Balancing absorbs on its own. A
    // 1.3x event (30%) is within it.
    let surge = |multiplier: f64| {
        let mut s = station(100.0, 8, 64, 64, exp(10.0));
        s.web.count = 2;
        s.load_balancer = Some(alb(LbAlgorithm::RoundRobin, 1.0));
        s.simulation.window = secs(1800);
        s.traffic.events = vec![TrafficEvent {
            at: secs(600),
            duration: secs(300),
            multiplier,
        }];
        s
    };
    let s = surge(3.0);
    for r in both(&s) {
        let load = edge_load(&r, "load_balancer");
        assert!(rel(load, 4.0) < 1e-9, "{:?}: {}", r.mode, load);
        assert_eq!(r.bottleneck().unwrap().0, "load_balancer");
        assert!(r.bottleneck_advice(&s).unwrap().contains("pre-warm"));
    }
    let w = simscale::warnings::plausibility(&s);
    assert!(
        w.iter()
            .any(|w| w.key == "load_balancer" && w.message.contains("rises 200%")),
        "{w:?}"
    );
    let s = surge(1.3);
    for r in both(&s) {
        let load = edge_load(&r, "load_balancer");
        assert!(rel(load, 0.6) < 1e-9, "{:?}: {}", r.mode, load);
        // A rate below what the balancer absorbs is no bottleneck, however
        // idle the stations (web vCPUs about 6% busy here).
        assert_eq!(r.bottleneck().unwrap().0, "web_cpu", "{:?}", r.mode);
    }
    assert!(simscale::warnings::plausibility(&s).is_empty());
}
