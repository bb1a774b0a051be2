//! The database's connections and volumes in the fluid mode.
//!
//! Connections: the requests that hold one are an offered load of
//! `rate x time inside` on `max_connections` servers that do not queue,
//! so the share refused is Erlang B (insensitive to how long a
//! connection is held). None are refused when the fleet's workers cannot
//! exceed the limit.
//!
//! A volume is M/D/1 on its I/Os (deterministic service `1 / IOPS`),
//! Pollaczek-Khinchine's wait, a fluid backlog past its rate, and a gp2
//! bucket moved minute by minute like the DES's.

use super::queue;
use super::step::Backlog;
use crate::spec::{Database, IoCredits, Storage};

/// The share of requests that find a server's connections all taken: an
/// offered load of `a` connections on `limit`, from workers that hold at
/// most `workers` at once.
pub(super) fn refused(limit: u32, workers: f64, a: f64) -> f64 {
    if workers <= f64::from(limit) || a <= 0.0 {
        0.0
    } else {
        queue::erlang_b(limit, a.min(workers))
    }
}

/// One DB server's volume (alike replicas share one).
#[derive(Clone, Debug)]
pub(super) struct Volume {
    baseline: f64,
    burst: f64,
    credits: Option<IoCredits>,
    backlog: Backlog,
    pub(super) latency: f64,
}

/// What a volume did over a step.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct VolumeStep {
    /// Probability that an I/O waits, and the mean wait given a wait.
    pub(super) p_wait: f64,
    pub(super) cond_wait: f64,
    /// Mean wait in the backlog past saturation, seconds.
    pub(super) fluid: f64,
    /// One I/O's service, seconds.
    pub(super) service: f64,
    /// Share of the IOPS limit used.
    pub(super) busy: f64,
}

impl Volume {
    pub(super) fn new(s: &Storage) -> Volume {
        Volume {
            baseline: s.baseline_iops(),
            burst: s.burst_iops().unwrap_or(s.baseline_iops()),
            credits: IoCredits::of(s),
            backlog: Backlog::default(),
            latency: s.latency_secs,
        }
    }

    /// `lambda` I/Os per second for `len` seconds, from requests that hold
    /// at most `held` at once.
    pub(super) fn step(&mut self, lambda: f64, held: f64, len: f64) -> VolumeStep {
        let mu = match &self.credits {
            Some(c) if c.balance >= 1.0 => self.burst,
            _ => self.baseline,
        };
        let service = 1.0 / mu;
        let rho = lambda / mu;
        let out = if rho < 1.0 && self.backlog.level <= 0.0 {
            self.backlog.step(0.0, 1.0, 0.0, len);
            // M/D/1: W = rho / (2 mu (1 - rho)), a wait with probability rho.
            let w = rho / (2.0 * mu * (1.0 - rho));
            VolumeStep {
                p_wait: rho,
                cond_wait: if rho > 0.0 { w / rho } else { 0.0 },
                fluid: 0.0,
                service,
                busy: rho,
            }
        } else {
            let flow = self.backlog.step(lambda, mu, held.max(1.0), len);
            VolumeStep {
                p_wait: 1.0,
                cond_wait: service / 2.0,
                fluid: flow.mean / mu,
                service,
                busy: 1.0,
            }
        };
        if let Some(c) = &mut self.credits {
            c.advance(lambda.min(mu), len);
        }
        out
    }
}

/// The volumes of a database with a working set, and the share of reads
/// that miss each server's cache.
#[derive(Clone, Debug)]
pub(super) struct Volumes {
    /// The primary's (or the colocated server's).
    pub(super) primary_miss: f64,
    pub(super) primary: Volume,
    /// One read replica's (its class's cache).
    pub(super) replica_miss: f64,
    pub(super) replica: Volume,
}

/// The volumes of a database with a working set.
pub(super) fn volumes(d: &Database) -> Option<Volumes> {
    let (hit, s) = d.storage_model()?;
    let replica_hit = d.replica_storage_model().map_or(hit, |(h, _)| h);
    Some(Volumes {
        primary_miss: 1.0 - hit,
        primary: Volume::new(&s),
        replica_miss: 1.0 - replica_hit,
        replica: Volume::new(&s),
    })
}
