//! The network between the web tier and the database: each query's round
//! trip by placement, the Multi-AZ commit, in both modes.

use crate::support::*;
use simscale::spec::*;

fn rds(network: DbNetwork) -> Database {
    Database {
        max_connections: 100_000,
        network,
        ..test_db(64)
    }
}

/// A light load (no waits to speak of): 100 req/s, 10 ms of CPU on 40
/// vCPUs, `reads` reads and `writes` writes on 64 DB vCPUs.
fn light(reads: u32, writes: u32, network: DbNetwork) -> Scenario {
    let mut s = station(100.0, 40, 1000, 0, exp(10.0));
    s.simulation.window = secs(600);
    s.traffic.mix[0].db_reads = reads;
    s.traffic.mix[0].db_writes = writes;
    s.database = Some(rds(network));
    s
}

/// As `light`, with constant services: a request's own times do not
/// depend on the order in which the stations see it.
fn constant(reads: u32, writes: u32, network: DbNetwork) -> Scenario {
    let mut s = station(100.0, 40, 1000, 0, Dist::constant(ms(10.0)));
    s.simulation.window = secs(600);
    s.traffic.mix[0].db_reads = reads;
    s.traffic.mix[0].db_writes = writes;
    let mut d = rds(network);
    d.read_time = Dist::constant(ms(2.0));
    d.write_time = Dist::constant(ms(6.0));
    s.database = Some(d);
    s
}

/// Behind a round-robin balancer over `count` instances in `azs`.
fn spread(s: &mut Scenario, count: u32, azs: &[&str], algorithm: LbAlgorithm) {
    s.web.count = count;
    s.web.azs = azs.iter().map(|a| a.to_string()).collect();
    s.load_balancer = Some(alb(algorithm, 0.0));
}

const NET: DbNetwork = DbNetwork {
    same_az: 0.001,
    cross_az: 0.004,
};

/// Mean response (ms) with the network and without, in `mode`.
fn grown(s: &Scenario, mode: Mode) -> (f64, f64) {
    let with = run_in(s, mode);
    let mut bare = s.clone();
    bare.database.as_mut().unwrap().network = DbNetwork::ZERO;
    let without = run_in(&bare, mode);
    assert_eq!(with.window.counts.requests, without.window.counts.requests);
    (with.window.latency.mean_ms, without.window.latency.mean_ms)
}

#[test]
fn a_query_response_grows_by_exactly_the_rtt() {
    // Two reads and a write, all in one AZ: 3 x 1 ms. The same seed draws
    // the same arrivals (common random numbers), constant services and no
    // waits: each response grows by exactly the round trips.
    let s = constant(2, 1, NET);
    let (with, without) = grown(&s, Mode::Des);
    assert!(
        (with - without - 3.0).abs() < 1e-6,
        "DES: {with} - {without}"
    );
    let (f_with, f_without) = grown(&s, Mode::Fluid);
    assert!(
        (f_with - f_without - 3.0).abs() < 0.01,
        "fluid: {f_with} - {f_without}"
    );
    // With exponential services (the same arrivals, the services drawn in
    // another order), the mean grows by the round trips within 0.5%, and
    // the two modes agree within 1%.
    let s = light(2, 1, NET);
    let (with, without) = grown(&s, Mode::Des);
    assert!(rel(with - without, 3.0) < 0.005, "DES: {with} - {without}");
    let (f_with, _) = grown(&s, Mode::Fluid);
    assert!(rel(f_with, with) < 0.01, "fluid {f_with} vs DES {with}");
}

#[test]
fn a_multi_az_write_pays_the_commit_to_its_standby() {
    // One web instance in a, the primary in a, its standby in b: a write
    // pays 1 ms to the primary and 4 ms to the standby; a read 1 ms.
    let mut s = constant(1, 1, NET);
    spread(&mut s, 1, &["a", "b"], LbAlgorithm::RoundRobin);
    s.database.as_mut().unwrap().multi_az = true;
    assert!((s.commit_secs() - 0.004).abs() < 1e-12);
    let (with, without) = grown(&s, Mode::Des);
    assert!((with - without - 6.0).abs() < 1e-6, "{with} - {without}");
    let (f_with, f_without) = grown(&s, Mode::Fluid);
    assert!(
        (f_with - f_without - 6.0).abs() < 0.01,
        "{f_with} - {f_without}"
    );
}

#[test]
fn cross_az_queries_pay_the_larger_figure_in_the_share_placement_implies() {
    // Three instances over a, b, c, the primary in a: a third of the
    // queries stay in the AZ (1 ms), two thirds cross (4 ms): 3 ms a read.
    let mut s = constant(1, 0, NET);
    spread(&mut s, 3, &["a", "b", "c"], LbAlgorithm::RoundRobin);
    let q = s.query_network(3, 0);
    assert!((q.read_primary - 0.003).abs() < 1e-12);
    let (with, without) = grown(&s, Mode::Des);
    // Round robin hands each instance a third of the requests exactly.
    assert!(
        (with - without - 3.0).abs() < 1e-3,
        "DES: {with} - {without}"
    );
    let (f_with, f_without) = grown(&s, Mode::Fluid);
    assert!(
        (f_with - f_without - 3.0).abs() < 0.01,
        "{f_with} - {f_without}"
    );
    // Two replicas, in a and b, from two instances in a and b: each
    // replica is beside one instance of two, 2.5 ms a read. (A random
    // balancer: with round robin both at the balancer and over the
    // replicas, each instance's reads would always go to the replica
    // beside it.)
    let mut s = light(1, 0, NET);
    spread(&mut s, 2, &["a", "b"], LbAlgorithm::Random);
    s.database.as_mut().unwrap().read_replicas = 2;
    let q = s.query_network(2, 2);
    assert!((q.read_replica - 0.0025).abs() < 1e-12);
    let (with, without) = grown(&s, Mode::Des);
    assert!(rel(with - without, 2.5) < 0.02, "DES: {with} - {without}");
    let (f_with, _) = grown(&s, Mode::Fluid);
    assert!(rel(f_with, with) < 0.01, "fluid {f_with} vs DES {with}");
}

/// Two classes behind two read replicas on 4-vCPU servers: `browse` reads
/// twice, `post` reads once and writes once, 100 req/s each.
fn two_classes(raw: ReadAfterWrite) -> Scenario {
    let mut s = light(0, 0, DbNetwork::MEASURED);
    s.traffic.load = Load::Rate(200.0);
    let mut post = s.traffic.mix[0].clone();
    s.traffic.mix[0].name = "browse".into();
    s.traffic.mix[0].share = 0.5;
    s.traffic.mix[0].db_reads = 2;
    post.name = "post".into();
    post.share = 0.5;
    post.db_reads = 1;
    post.db_writes = 1;
    s.traffic.mix.push(post);
    let d = s.database.as_mut().unwrap();
    d.read_replicas = 2;
    d.read_after_write = raw;
    if let DbPlacement::Rds(i) = &mut d.placement {
        i.vcpus = 4;
    }
    s
}

#[test]
fn read_after_write_primary_sends_a_writing_class_reads_to_the_primary() {
    // "replica": the primary takes post's writes, 100 x 6 ms on 4 vCPUs
    // (0.15); each replica half of 300 reads/s x 2 ms (0.075).
    // "primary": post's reads move over, 0.15 + 100 x 2 ms / 4 = 0.20, and
    // each replica keeps half of browse's 200 reads/s (0.05).
    for (raw, primary, replica) in [
        (ReadAfterWrite::Replica, 0.15, 0.075),
        (ReadAfterWrite::Primary, 0.20, 0.05),
    ] {
        let s = two_classes(raw);
        let des = run_in(&s, Mode::Des);
        let fluid = run_in(&s, Mode::Fluid);
        for r in [&des, &fluid] {
            let db = &r.window.stations.db;
            assert!(rel(db[0], primary) < 0.03, "{raw:?} {:?}: {db:?}", r.mode);
            for u in &db[1..] {
                assert!(rel(*u, replica) < 0.03, "{raw:?} {:?}: {db:?}", r.mode);
            }
        }
        let (a, b) = (des.window.latency.mean_ms, fluid.window.latency.mean_ms);
        assert!(rel(b, a) < 0.01, "{raw:?}: DES {a} vs fluid {b}");
    }
}

#[test]
fn replica_lag_is_the_appliers_queue() {
    // 100 writes/s of 6 ms on a replica 7.5% busy: the applier's service
    // is 6 / 0.925 = 6.49 ms, rho 0.649, lag 6.49 / 0.351 = 18.5 ms plus
    // half a round trip (both replicas' AZs are the primary's: one web AZ).
    let s = two_classes(ReadAfterWrite::Replica);
    let svc = 0.006 / (1.0 - 0.075);
    let want = 1000.0 * (SAME_AZ_RTT_S / 2.0 + svc / (1.0 - 100.0 * svc));
    for mode in [Mode::Des, Mode::Fluid] {
        let r = run_in(&s, mode);
        let lag = r.replica_lag_ms(&s).unwrap();
        assert!(rel(lag, want) < 0.03, "{mode:?}: {lag} vs {want}");
    }
    let mut one = s.clone();
    one.database.as_mut().unwrap().read_replicas = 0;
    assert_eq!(run_in(&one, Mode::Fluid).replica_lag_ms(&one), None);
}

const SAME_AZ_RTT_S: f64 = simscale::spec::network::SAME_AZ_RTT;
