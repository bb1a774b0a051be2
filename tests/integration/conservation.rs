//! Nothing lost: every request ends in exactly one state, under every kind of trouble.

use crate::support::*;
use simscale::engine::{RngStreams, Simulation};
use simscale::metrics::{WindowCollector, WindowSummary};
use simscale::model::{Event, WebModel};
use simscale::run::frame;
use simscale::spec::*;
use simscale::time::SimTime;

fn database(vcpus: u32, max_connections: u32) -> Database {
    Database {
        read_replicas: 2,
        read_time: exp(20.0),
        write_time: exp(30.0),
        max_connections,
        ..test_db(vcpus)
    }
}

#[test]
fn every_fate_at_once_adds_up() {
    // Overloaded (drops), slow (timeouts), DB connection limits (errors),
    // a CDN with S3 misses, and a window that ends with requests inside.
    let mut s = station(400.0, 2, 8, 50, exp(10.0));
    s.web.count = 2;
    s.web.timeout = ms(200.0);
    s.load_balancer = Some(alb(LbAlgorithm::LeastOutstanding, 1.0));
    s.database = Some(database(1, 3));
    let mut api = RequestClass::default_class();
    api.name = "api".into();
    api.share = 0.7;
    api.web_cpu = exp(20.0);
    api.db_reads = 2;
    api.db_writes = 1;
    api.share = 0.4;
    let mut assets = RequestClass::default_class();
    assets.name = "assets".into();
    assets.share = 0.3;
    assets.cacheable = true;
    // Pages without queries: they fill the workers and their queue (drops)
    // while the API's requests find the connections taken (errors).
    let mut page = RequestClass::default_class();
    page.name = "page".into();
    page.share = 0.3;
    page.web_cpu = exp(50.0);
    s.traffic.mix = vec![api, assets, page];
    s.cdn = Some(Cdn {
        hit_ratio: 0.8,
        latency: Dist::constant(ms(15.0)),
        static_origin: StaticOrigin::S3,
        s3_latency: Dist::constant(ms(30.0)),
        s3_storage_gb: 0.0,
        s3_prefixes: 1,
    });
    s.simulation.window = secs(600);
    for cp in run_seeds(&s, &[1, 2, 3]) {
        let c = &cp.window.counts;
        assert_conserved(&cp);
        assert!(c.dropped > 0, "no drops: {c:?}");
        assert!(c.timed_out > 0, "no timeouts: {c:?}");
        assert!(c.errors > 0, "no DB errors: {c:?}");
        assert!(c.in_flight() > 0, "nothing in flight at the end: {c:?}");
        assert!(c.served > 0);
    }
}

#[test]
fn an_idle_window_is_fine() {
    // A rate so low that nothing may arrive: no division by zero, nothing lost.
    let mut s = station(0.0001, 2, 8, 10, exp(10.0));
    s.simulation.window = secs(120);
    let cp = &run_seeds(&s, &[1])[0];
    assert_conserved(cp);
    assert!(cp.window.counts.requests <= 1);
}

#[test]
fn cdn_hits_skip_the_origin() {
    // Every request cacheable with a 100% hit ratio: the fleet stays idle,
    // and every response takes exactly the edge latency.
    let mut s = station(100.0, 2, 8, 10, exp(10.0));
    s.traffic.mix[0].cacheable = true;
    s.traffic.client_rtt = ms(80.0);
    s.cdn = Some(Cdn {
        hit_ratio: 1.0,
        latency: Dist::constant(ms(15.0)),
        static_origin: StaticOrigin::Web,
        s3_latency: Dist::constant(ms(30.0)),
        s3_storage_gb: 0.0,
        s3_prefixes: 1,
    });
    s.simulation.window = secs(300);
    let cp = &run_seeds(&s, &[1])[0];
    assert_eq!(cp.window.web_util, 0.0);
    assert!((cp.window.latency.p99_ms - 15.0).abs() < 0.01);
    assert!((cp.window.latency.mean_ms - 15.0).abs() < 1e-9);
    // Misses to a web origin pay the edge, not the client RTT.
    s.cdn.as_mut().unwrap().hit_ratio = 0.0;
    s.traffic.mix[0].web_cpu = Dist::constant(ms(10.0));
    s.web.workers = 1000;
    s.web.instance.vcpus = 64;
    let cp = &run_seeds(&s, &[1])[0];
    assert!(
        (cp.window.latency.p50_ms - 25.0).abs() < 0.05,
        "{:?}",
        cp.window.latency
    );
}

/// One window of `s` through the DES, with `extra` events scheduled too.
fn window_with(s: &Scenario, extra: &[(SimTime, Event)]) -> WindowSummary {
    let cp = plan_checkpoints(s)[0].clone();
    let collector = WindowCollector::new(cp.start, cp.window, cp.warmup, frame(s, &cp));
    let mut model = WebModel::new(s, &cp, &RngStreams::new(7), collector);
    let first = model.start(cp.start);
    let mut sim = Simulation::new(model, cp.start);
    if let Some(t) = first {
        sim.schedule_at(t, Event::Arrival);
    }
    for (t, e) in extra {
        sim.schedule_at(*t, *e);
    }
    sim.run_until(cp.start + cp.window);
    sim.into_model().into_observer().finish()
}

#[test]
fn a_completion_meant_for_an_earlier_request_in_a_reused_slot_is_ignored() {
    // Slots are reused as requests come and go: a completion that carries
    // an old generation (its instance gone) must change nothing, whichever
    // slot it names, even one that was never used.
    let mut s = station(50.0, 2, 100, 100, exp(20.0));
    s.simulation.window = secs(120);
    s.simulation.warmup = secs(10);
    let plain = window_with(&s, &[]);
    let t = |secs: u64| SimTime(secs * 1_000_000_000);
    let stale = window_with(
        &s,
        &[
            (t(30), Event::Done(0, 99)),
            (t(60), Event::Done(3, 12_345)),
            (t(90), Event::Done(1_000_000, 0)),
        ],
    );
    assert_eq!(plain.counts, stale.counts);
    assert_eq!(plain.latency, stale.latency);
    assert!(plain.counts.served > 5_000);
}
