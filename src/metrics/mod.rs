//! Measurement of one window: request fates, latency percentiles, time-weighted
//! utilisation, per-minute series, with the warm-up excluded.
//!
//! A request belongs to the minute in which it arrived, and to the window's
//! totals if it arrived after the warm-up: its fate and latency are counted
//! there whenever it finishes. Requests still inside at the window's end are
//! `in_flight`, so that `requests = served + dropped + timed_out + errors +
//! throttled + in_flight` holds exactly.

mod area;
mod bounds;
mod collector;
mod combine;
pub mod confidence;
mod credits;
mod intervals;
mod join;
mod serverless;

pub use collector::{Frame, WindowCollector};
pub use combine::Estimate;
pub use credits::Balance;
pub use intervals::{IntervalSummary, Intervals};
pub use join::JoinParts;
pub use serverless::{ServerlessSummary, ServerlessTrack, ThrottledBy, Throttles};

use crate::route::{ErrorCause, PerRoute, Route};

/// How a finished request ended (mirrors the model's outcomes, without
/// depending on the model).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Answered in time.
    Served,
    /// Refused for lack of queue room.
    Dropped,
    /// Answered after the timeout.
    TimedOut,
    /// Failed, and why.
    Error(ErrorCause),
    /// Rate limited.
    Throttled,
}

/// Request counts by fate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Arrivals.
    pub requests: u64,
    /// Answered in time.
    pub served: u64,
    /// Refused for lack of queue room.
    pub dropped: u64,
    /// Answered after the timeout.
    pub timed_out: u64,
    /// Failed.
    pub errors: u64,
    /// Failed, by cause (they sum to `errors`).
    pub error_causes: [u64; ErrorCause::COUNT],
    /// Rate limited.
    pub throttled: u64,
}

impl Counts {
    /// Adds another set of counts.
    pub fn merge(&mut self, b: &Counts) {
        self.requests += b.requests;
        self.served += b.served;
        self.dropped += b.dropped;
        self.timed_out += b.timed_out;
        self.errors += b.errors;
        for (a, b) in self.error_causes.iter_mut().zip(b.error_causes) {
            *a += b;
        }
        self.throttled += b.throttled;
    }

    fn add(&mut self, fate: Fate) {
        match fate {
            Fate::Served => self.served += 1,
            Fate::Dropped => self.dropped += 1,
            Fate::TimedOut => self.timed_out += 1,
            Fate::Error(cause) => {
                self.errors += 1;
                self.error_causes[cause.index()] += 1;
            }
            Fate::Throttled => self.throttled += 1,
        }
    }

    /// Requests with a fate.
    pub fn finished(&self) -> u64 {
        self.served + self.dropped + self.timed_out + self.errors + self.throttled
    }

    /// Requests without one yet.
    pub fn in_flight(&self) -> u64 {
        self.requests - self.finished()
    }
}

/// Requests after the warm-up per request class and route: what the bill
/// is computed from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteCounts {
    /// Arrivals, `[class][route]`.
    pub arrived: Vec<PerRoute<u64>>,
    /// Served requests, `[class][route]`.
    pub served: Vec<PerRoute<u64>>,
}

impl RouteCounts {
    fn new(classes: usize) -> Self {
        RouteCounts {
            arrived: vec![[0; Route::COUNT]; classes],
            served: vec![[0; Route::COUNT]; classes],
        }
    }

    /// Arrivals on `route` over every class.
    pub fn arrived_on(&self, route: Route) -> u64 {
        self.arrived.iter().map(|c| c[route.index()]).sum()
    }

    /// Served requests on `route` over every class.
    pub fn served_on(&self, route: Route) -> u64 {
        self.served.iter().map(|c| c[route.index()]).sum()
    }
}

/// Latency statistics of served requests, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latency {
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

impl Latency {
    /// The figure-by-figure mean of several latencies (`None` for none).
    pub fn mean_of(all: &[Latency]) -> Option<Latency> {
        if all.is_empty() {
            return None;
        }
        let n = all.len() as f64;
        let avg = |f: fn(&Latency) -> f64| all.iter().map(f).sum::<f64>() / n;
        Some(Latency {
            mean_ms: avg(|l| l.mean_ms),
            p50_ms: avg(|l| l.p50_ms),
            p95_ms: avg(|l| l.p95_ms),
            p99_ms: avg(|l| l.p99_ms),
        })
    }
}

/// One row of the per-minute timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteRow {
    /// Minutes since the window's start.
    pub minute: u64,
    /// Arrivals per second.
    pub offered_rps: f64,
    /// Served requests per second (by arrival minute).
    pub served_rps: f64,
    /// Requests that ended any other way, per second.
    pub error_rps: f64,
    /// Latency of the minute's served requests (`None` if none was served).
    pub latency: Option<Latency>,
    /// Web instances in service (time average).
    pub web_instances: f64,
    /// Web instances launching (time average).
    pub web_launching: f64,
    /// Web instances draining (time average).
    pub web_draining: f64,
    /// Failed requests by cause (by arrival minute).
    pub errors_by_cause: [u64; ErrorCause::COUNT],
    /// Web vCPU utilisation (work done over capacity at full speed).
    pub web_util: f64,
    /// DB utilisation, the same way.
    pub db_util: f64,
    /// Mean CPU credit balance of the burstable web instances at the minute's end.
    pub web_cpu_credits: Option<f64>,
    /// Mean CPU credit balance of the burstable DB instances at the minute's end.
    pub db_cpu_credits: Option<f64>,
}

/// How busy each station was over the measured part of a window: the
/// share of its servers' time spent busy (a vCPU throttled to its credit
/// baseline counts as busy, unlike CloudWatch's `web_util`), 0 to 1.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stations {
    /// The web fleet's vCPUs.
    pub web_cpu: f64,
    /// The web fleet's workers: busy workers over workers.
    pub web_workers: f64,
    /// Mean number of requests waiting for a web worker, over the fleet.
    pub web_worker_queue: f64,
    /// Each RDS server, the primary first, then the read replicas in order
    /// (empty without a database or when it is colocated on the web vCPUs).
    pub db: Vec<f64>,
    /// Mean database connections open over the window, all servers
    /// together (time average).
    pub db_connections: f64,
    /// Each DB server's volume (the primary first; one for a colocated
    /// database): I/Os times their service `1 / IOPS` over the window's
    /// time, the share of its IOPS limit used. Empty without a working set.
    pub db_storage: Vec<f64>,
}

impl Stations {
    /// The station with the highest busy share, and that share: `web_cpu`,
    /// `web_workers`, `db_primary` or `db_replica_<n>` (from 1); ties
    /// (within 1e-9, as when every worker's time is all vCPU time) go to
    /// the first in that order. `None` for an idle window.
    pub fn bottleneck(&self) -> Option<(String, f64)> {
        let mut best: Option<(String, f64)> = None;
        let mut consider = |name: String, u: f64| {
            if u > best.as_ref().map_or(0.0, |b| b.1 + 1e-9) {
                best = Some((name, u));
            }
        };
        consider("web_cpu".into(), self.web_cpu);
        consider("web_workers".into(), self.web_workers);
        for (k, &u) in self.db.iter().enumerate() {
            let name = if k == 0 {
                "db_primary".to_string()
            } else {
                format!("db_replica_{k}")
            };
            consider(name, u);
        }
        for (k, &u) in self.db_storage.iter().enumerate() {
            let name = if k == 0 {
                "db_primary_iops".to_string()
            } else {
                format!("db_replica_{k}_iops")
            };
            consider(name, u);
        }
        best
    }

    /// The busiest read replica's share (0 without replicas).
    pub fn db_replica_max(&self) -> f64 {
        self.db.iter().skip(1).copied().fold(0.0, f64::max)
    }

    /// The mean of several windows' figures, station by station.
    pub fn mean_of(all: &[&Stations]) -> Stations {
        let weighted: Vec<(&Stations, f64)> = all.iter().map(|s| (*s, 1.0)).collect();
        Stations::weighted_mean_of(&weighted)
    }

    /// The mean of several windows' figures weighted by `.1` (their
    /// measured seconds, for the segments of one window).
    pub fn weighted_mean_of(all: &[(&Stations, f64)]) -> Stations {
        let n = all.iter().map(|a| a.1).sum::<f64>().max(f64::MIN_POSITIVE);
        let mean =
            |f: &dyn Fn(&Stations) -> f64| all.iter().map(|(s, w)| f(s) * w).sum::<f64>() / n;
        let each = |f: &dyn Fn(&Stations) -> &Vec<f64>| -> Vec<f64> {
            let len = all.iter().map(|(s, _)| f(s).len()).max().unwrap_or(0);
            (0..len)
                .map(|k| {
                    all.iter()
                        .map(|(s, w)| f(s).get(k).copied().unwrap_or(0.0) * w)
                        .sum::<f64>()
                        / n
                })
                .collect()
        };
        Stations {
            web_cpu: mean(&|s| s.web_cpu),
            web_workers: mean(&|s| s.web_workers),
            web_worker_queue: mean(&|s| s.web_worker_queue),
            db: each(&|s| &s.db),
            db_connections: mean(&|s| s.db_connections),
            db_storage: each(&|s| &s.db_storage),
        }
    }
}

/// Everything measured over one window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WindowSummary {
    /// Counts over requests that arrived after the warm-up.
    pub counts: Counts,
    /// The same requests by class and route.
    pub routes: RouteCounts,
    /// Latency of those that were served.
    pub latency: Latency,
    /// Length of the measured part of the window, in seconds.
    pub measured_secs: f64,
    /// Web instances in service (time average and maximum).
    pub web_instances_mean: f64,
    /// Most web instances in service at once.
    pub web_instances_max: u32,
    /// Web instances billed (in service, launching or draining), time average.
    pub web_billed_mean: f64,
    /// Users logged out: local sessions on instances that died or were
    /// scaled in after the warm-up.
    pub sessions_lost: f64,
    /// Web vCPU utilisation after the warm-up, as CloudWatch shows it: work
    /// done over the fleet's capacity at full speed.
    pub web_util: f64,
    /// Share of the web vCPUs' busy time spent at their credit baseline.
    pub web_throttled: f64,
    /// DB utilisation after the warm-up, the same way (0 without a DB).
    pub db_util: f64,
    /// Time-average number of requests inside the origin after the warm-up (L).
    pub mean_in_origin: f64,
    /// Mean time inside the origin of requests admitted after the warm-up,
    /// in seconds (W); with `origin_admitted`, Little's law `L = lambda W`.
    pub mean_origin_secs: f64,
    /// Requests admitted into the origin after the warm-up that finished.
    pub origin_admitted: u64,
    /// Measured requests whose answer was still on its way (outside the
    /// origin) at the window's end.
    pub in_transit: u64,
    /// Surplus CPU credits run up after the warm-up by unlimited-mode web
    /// instances and not earned back by the window's end.
    pub surplus_credits: f64,
    /// The same for unlimited-mode DB instances.
    pub db_surplus_credits: f64,
    /// One row per minute, warm-up included.
    pub timeline: Vec<MinuteRow>,
    /// One row per SLO interval of the measured part.
    pub intervals: Vec<IntervalSummary>,
    /// Busy shares per station.
    pub stations: Stations,
    /// One row per request class (in mix order) over the whole measured
    /// window: its counts, latency and the bounds on its p99 and
    /// availability (`offered_rps` its arrivals per second; the
    /// utilisations are the window's).
    pub classes: Vec<IntervalSummary>,
    /// The serverless path's figures, when the scenario has one.
    pub serverless: Option<ServerlessSummary>,
    /// A segment's histograms, kept for joining it with the others.
    pub join: Option<Box<JoinParts>>,
}
