//! Waits as the fluid mode adds them up along a request's path: each a
//! probability of waiting with the mean and squared cv of a wait, summed
//! with their variances; and processor sharing's wait, its slowdown times
//! the request's own work.

use super::queue::Station;
use super::{Class, Db};

/// A waiting time: probability of a wait, and the mean and squared cv of
/// a wait.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Wait {
    pub(super) p: f64,
    pub(super) cond: f64,
    pub(super) cv2: f64,
}

impl Wait {
    /// An exponential wait with probability `p` and mean `cond`.
    pub(super) fn new(p: f64, cond: f64) -> Wait {
        Wait { p, cond, cv2: 1.0 }
    }

    pub(super) fn of(s: &Station) -> Wait {
        Wait::new(s.p_wait, s.cond_wait)
    }

    pub(super) fn mean(&self) -> f64 {
        self.p * self.cond
    }

    /// The second moment (over all jobs, waiting or not).
    pub(super) fn m2(&self) -> f64 {
        self.p * (1.0 + self.cv2) * self.cond * self.cond
    }
}

/// Independent waits summed into one with an atom at zero, the same mean
/// and the same variance.
#[derive(Clone, Copy, Debug)]
pub(super) struct WaitSum {
    none: f64,
    pub(super) mean: f64,
    pub(super) var: f64,
}

impl WaitSum {
    pub(super) fn new() -> Self {
        WaitSum {
            none: 1.0,
            mean: 0.0,
            var: 0.0,
        }
    }

    pub(super) fn add(&mut self, w: Wait, times: f64) {
        if times <= 0.0 || w.p <= 0.0 {
            return;
        }
        self.none *= (1.0 - w.p.min(1.0)).powf(times);
        self.mean += times * w.mean();
        self.var += times * (w.m2() - w.mean() * w.mean()).max(0.0);
    }

    pub(super) fn p(&self) -> f64 {
        1.0 - self.none
    }

    pub(super) fn cond(&self) -> f64 {
        let p = self.p();
        if p > 0.0 { self.mean / p } else { 0.0 }
    }

    /// Squared cv of the sum given that it is positive.
    pub(super) fn cv2(&self) -> f64 {
        let (p, m) = (self.p(), self.cond());
        if p > 0.0 && m > 0.0 {
            ((self.var + self.mean * self.mean) / p / (m * m) - 1.0).max(0.0)
        } else {
            1.0
        }
    }
}

/// Processor sharing at the vCPUs, for a step.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sharing {
    /// Mean extra time per second of work.
    pub(super) sigma: f64,
    /// Utilisation.
    pub(super) rho: f64,
    /// Mean job at the whole station's speed, seconds.
    pub(super) unit: f64,
}

impl Sharing {
    /// The variance of the time a job of `x` seconds of work spends at an
    /// M/M/1-PS station (Coffman, Muntz and Trotter, JACM 17, 1970):
    /// `2 rho x u / (1 - rho)^3 - 2 rho u^2 (1 - e^(-(1 - rho) x / u)) /
    /// (1 - rho)^4`, with `u` the mean job: the jobs present come and go
    /// while it is served, so its slowdown is random, the more so the
    /// fuller the station.
    pub(super) fn spread(&self, x: f64) -> f64 {
        let (r, u) = (self.rho, self.unit);
        if r <= 0.0 || u <= 0.0 || x <= 0.0 {
            return 0.0;
        }
        let q = 1.0 - r;
        (2.0 * r * x * u / q.powi(3) - 2.0 * r * u * u * (1.0 - (-q * x / u).exp()) / q.powi(4))
            .max(0.0)
    }
}

/// Class `c`'s extra time at processor-shared vCPUs: `sigma` times its work
/// there (its CPU burst, and its queries when the database shares the
/// vCPUs), give or take the station's changing load while it runs. The
/// extra moves with the work it stretches, so its second moment carries
/// twice their covariance (the work being fitted apart).
pub(super) fn ps_wait(c: &Class, colocated: Option<&Db>, sh: Sharing) -> Wait {
    let sigma = sh.sigma;
    let (mut mean, mut var) = (c.cpu, c.cpu_m2 - c.cpu * c.cpu);
    let mut spread = sh.spread(c.cpu);
    if let Some(d) = colocated {
        let read = d.read_of(c.writes);
        mean += c.reads * read.mean + c.writes * d.write.mean;
        var += c.reads * read.cum.k2 + c.writes * d.write.cum.k2;
        spread += c.reads * sh.spread(read.mean) + c.writes * sh.spread(d.write.mean);
    }
    let cond = sigma * mean;
    if cond <= 0.0 {
        return Wait::default();
    }
    let m2 = sigma * sigma * (var + mean * mean) + 2.0 * sigma * var + spread;
    Wait {
        p: 1.0,
        cond,
        cv2: (m2 / (cond * cond) - 1.0).max(0.0),
    }
}
