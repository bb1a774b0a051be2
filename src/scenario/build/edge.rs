//! `[cdn]` and `[load_balancer]`.

use crate::scenario::reader::{Bounds, Table};
use crate::spec::{Cdn, HealthCheck, LbAlgorithm, LbKind, LoadBalancer, StaticOrigin};
use crate::time::SimDuration;

use super::*;

pub(super) fn read_cdn(mut t: Table<'_>) -> Option<Cdn> {
    let hit_ratio = t
        .num("hit_ratio", Bounds::between(0.0, true, 1.0, true))
        .or(0.9);
    let latency = read_dist(
        &mut t,
        "latency",
        SimDuration::from_millis(15),
        Shape::Network,
    );
    let static_origin = t
        .choice(
            "static_origin",
            "static origin",
            &[("s3", StaticOrigin::S3), ("web", StaticOrigin::Web)],
        )
        .or(StaticOrigin::S3);
    let s3_latency = read_dist(
        &mut t,
        "s3_latency",
        SimDuration::from_millis(30),
        Shape::Network,
    );
    let s3_storage_gb = t.num("s3_storage_gb", Bounds::at_least(0.0)).or(0.0);
    let s3_prefixes = t
        .int("s3_prefixes", 1, 1_000_000)
        .map(|n| u32::try_from(n).unwrap_or(1))
        .or(1);
    t.finish();
    Some(Cdn {
        hit_ratio,
        latency: latency?,
        static_origin,
        s3_latency: s3_latency?,
        s3_storage_gb,
        s3_prefixes,
    })
}

pub(super) fn read_lb(mut t: Table<'_>) -> Option<LoadBalancer> {
    let kind = t
        .choice(
            "kind",
            "load balancer kind",
            &[
                ("alb", LbKind::Alb),
                ("elb", LbKind::Elb),
                ("nlb", LbKind::Nlb),
            ],
        )
        .or(LbKind::Alb);
    let algorithm = t
        .choice(
            "algorithm",
            "algorithm",
            &[
                ("round_robin", LbAlgorithm::RoundRobin),
                ("random", LbAlgorithm::Random),
                ("least_outstanding", LbAlgorithm::LeastOutstanding),
            ],
        )
        .or(LbAlgorithm::RoundRobin);
    let latency = read_dist(
        &mut t,
        "latency",
        SimDuration::from_millis(1),
        Shape::Network,
    );
    let mut hc = t.table("health_check");
    let health_check = HealthCheck {
        interval: hc.duration("interval", true).or(SimDuration::from_secs(30)),
        unhealthy_threshold: hc.u32("unhealthy_threshold", 1).or(2),
        healthy_threshold: hc.u32("healthy_threshold", 1).or(5),
    };
    hc.finish();
    let requests_per_connection = t
        .num("requests_per_connection", Bounds::at_least(1.0))
        .or(1.0);
    let rules = t.u32("rules", 1).or(1);
    t.finish();
    Some(LoadBalancer {
        kind,
        algorithm,
        latency: latency?,
        health_check,
        requests_per_connection,
        rules,
    })
}
