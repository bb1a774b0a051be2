//! The limits in front of the web tier, as loads (demand over what the
//! service takes) at a checkpoint: the CDN's S3 origin and the load
//! balancer's scaling. Neither fails requests in the model: each figure is
//! a documented floor or rate (`data/behaviour.csv`), not a hard ceiling, so
//! a load of 1 or more names the limit as the bottleneck and warns, and the
//! requests are still served (`docs/modeling-notes.md`).

use super::serverless::LimitLoad;
use crate::spec::{Checkpoint, RateProfile, Scenario, StaticOrigin};
use crate::time::{NANOS_PER_SEC, SimDuration};

/// GET requests a second one partitioned S3 prefix takes, at least
/// (`data/behaviour.csv`, `s3_request_rate_per_prefix_get`: 5,500).
pub fn s3_get_per_prefix() -> f64 {
    crate::catalog::Catalog::embedded()
        .behaviour_value("s3_request_rate_per_prefix_get")
        .unwrap_or(5_500.0)
}

/// The rise in traffic over five minutes Elastic Load Balancing absorbs
/// by scaling on its own: 50% (`data/behaviour.csv`,
/// `elb_max_load_increase_without_prewarm`, "50 percent per 5 minutes").
pub const LB_RISE_PER_5_MIN: f64 = 0.5;

/// The loads of the limits in front of the web tier:
///
/// - `cdn_origin`: CloudFront misses sent to S3 at the busiest minute
///   (`peak_rps` times [`s3_origin_share`]) over 5,500 GET/s per prefix,
///   times `cdn.s3_prefixes`;
/// - `load_balancer`: the steepest rise of the offered rate over five
///   minutes in the window, over the 50% that the load balancer absorbs
///   by scaling (0 for flat traffic, 1 for a 50% rise).
pub fn limit_loads(s: &Scenario, cp: &Checkpoint, peak_rps: f64) -> Vec<LimitLoad> {
    let mut out = Vec::new();
    if let Some(cdn) = &s.cdn
        && cdn.static_origin == StaticOrigin::S3
    {
        out.push(LimitLoad {
            name: "cdn_origin",
            share: true,
            load: peak_rps * s3_origin_share(s)
                / (s3_get_per_prefix() * f64::from(cdn.s3_prefixes.max(1))),
        });
    }
    if s.load_balancer.is_some() {
        out.push(LimitLoad {
            name: "load_balancer",
            share: false,
            load: steepest_rise(s, cp) / LB_RISE_PER_5_MIN,
        });
    }
    out
}

/// The share of all requests that CloudFront sends to an S3 origin: the
/// cacheable classes' misses on the EC2 path.
pub fn s3_origin_share(s: &Scenario) -> f64 {
    let Some(cdn) = s
        .cdn
        .as_ref()
        .filter(|c| c.static_origin == StaticOrigin::S3)
    else {
        return 0.0;
    };
    let cacheable: f64 = s
        .traffic
        .mix
        .iter()
        .filter(|c| c.cacheable)
        .map(|c| c.share)
        .sum();
    let ec2 = 1.0 - s.serverless.as_ref().map_or(0.0, |sl| sl.share);
    cacheable * (1.0 - cdn.hit_ratio) * ec2
}

/// The largest rise of the offered rate from one minute to the minute five
/// later, relative to the higher of the earlier rate and the window's
/// median minute (0 when it never rises): a rise from near nothing at the
/// day's trough asks nothing of a load balancer that carried the day
/// before, and a short surge leaves the median where it was.
pub fn steepest_rise(s: &Scenario, cp: &Checkpoint) -> f64 {
    const MINUTE: SimDuration = SimDuration(60 * NANOS_PER_SEC);
    let profile = RateProfile::new(s, cp);
    let minutes = (cp.window.as_nanos() / MINUTE.as_nanos()) as usize;
    let rates: Vec<f64> = (0..minutes)
        .map(|m| {
            let t = cp.start + SimDuration(m as u64 * MINUTE.as_nanos());
            profile.expected_requests(t, MINUTE) / 60.0
        })
        .collect();
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    rates
        .windows(6)
        .map(|w| (w[5] - w[0]) / w[0].max(median))
        .filter(|r| r.is_finite())
        .fold(0.0, f64::max)
}
