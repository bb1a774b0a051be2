//! How a station's servers turn busy threads into work: hyperthreads, the
//! Universal Scalability Law, and how jobs share the servers. One formula,
//! used by the DES, the fluid mode and the warnings.

/// How the jobs at a station share its servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduling {
    /// First come, first served: a job holds one server from start to end;
    /// the rest wait in line.
    Fcfs,
    /// Processor sharing (an OS time-slicing threads): every job present is
    /// served at once, each at `throughput(min(n, servers)) / n`.
    ProcessorSharing,
}

impl Scheduling {
    /// The name the scenario uses.
    pub fn code(self) -> &'static str {
        match self {
            Scheduling::Fcfs => "fcfs",
            Scheduling::ProcessorSharing => "processor_sharing",
        }
    }
}

/// Universal Scalability Law (Gunther): `N` busy servers do the work of
/// `N / (1 + contention (N - 1) + coherency N (N - 1))` of them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usl {
    /// Contention (sigma): the serial share of the work.
    pub contention: f64,
    /// Coherency (kappa): the cost of keeping shared data consistent, per pair.
    pub coherency: f64,
}

impl Usl {
    /// No contention, no coherency cost: linear scaling.
    pub const LINEAR: Usl = Usl {
        contention: 0.0,
        coherency: 0.0,
    };

    /// `C(N)`: the relative capacity of `n` busy servers (`C(1) = 1`).
    pub fn capacity(&self, n: f64) -> f64 {
        if n <= 0.0 {
            return 0.0;
        }
        n / (1.0 + self.contention * (n - 1.0) + self.coherency * n * (n - 1.0))
    }

    /// True when the law is linear (`C(N) = N`).
    pub fn is_linear(&self) -> bool {
        self.contention == 0.0 && self.coherency == 0.0
    }
}

/// The work per second a station's servers do with `m` of them busy, in
/// units of one server whose core is fully busy (the basis of
/// `cpu_speed`: CoreMark with every thread busy).
///
/// A server is a hardware thread (an EC2 vCPU). With `threads_per_core = 2`
/// the busy threads are spread over the cores first (the Linux scheduler
/// prefers idle cores); a core with both threads busy does `smt_pair` times
/// the work of one thread alone, so a thread alone on its core runs
/// `2 / smt_pair` times as fast as one beside a busy sibling (1.6 for
/// 1.25), and a fully busy station does exactly `servers`' work.
/// `smt_pair = 2` is the plain model. The USL then scales the total by
/// `C(m) / m`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Curve {
    /// Servers (hardware threads).
    pub servers: u32,
    /// Hardware threads per core: 1, or 2 with hyperthreading.
    pub threads_per_core: u32,
    /// Work of a core with both threads busy over one thread's alone.
    pub smt_pair: f64,
    /// Scaling over busy servers.
    pub usl: Usl,
}

impl Curve {
    /// `servers` independent servers of speed 1: the plain multi-server station.
    pub fn plain(servers: u32) -> Curve {
        Curve {
            servers,
            threads_per_core: 1,
            smt_pair: 2.0,
            usl: Usl::LINEAR,
        }
    }

    /// True when `m` busy servers always do `m` servers' work.
    pub fn is_linear(&self) -> bool {
        (self.threads_per_core < 2 || self.smt_pair == 2.0) && self.usl.is_linear()
    }

    /// Work per second with `m` servers busy (at most `servers` count).
    pub fn throughput(&self, m: u32) -> f64 {
        let m = m.min(self.servers);
        if m == 0 {
            return 0.0;
        }
        let hyper = if self.threads_per_core >= 2 {
            let cores = self.servers.div_ceil(self.threads_per_core);
            let alone = 2.0 / self.smt_pair;
            if m <= cores {
                f64::from(m) * alone
            } else {
                // `m - cores` cores run both threads: each such core does 2.
                f64::from(cores) * alone + f64::from(m - cores) * (2.0 - alone)
            }
        } else {
            f64::from(m)
        };
        let mf = f64::from(m);
        hyper * self.usl.capacity(mf) / mf
    }

    /// Work per second with every server busy: the station's capacity.
    pub fn capacity(&self) -> f64 {
        self.throughput(self.servers)
    }

    /// The mean stretch of a service at this station (time in service over
    /// the service's time at `cpu_speed`; below 1 where threads run alone) under Poisson arrivals at `a` Erlangs
    /// offered (arrival rate times the mean service alone), from the
    /// birth-death process whose departure rate with `n` jobs present is
    /// `throughput(min(n, servers))` services: exact in the mean for
    /// exponential service, and for processor sharing whatever the service
    /// (Little's law on the busy servers). 1 for a linear curve. `None`
    /// when `a` reaches the capacity.
    pub fn stretch(&self, a: f64) -> Option<f64> {
        if self.is_linear() || a <= 0.0 {
            return Some(1.0);
        }
        self.occupancy(a).map(|(stretch, _)| stretch)
    }

    /// The same birth-death process's stretch and the probability that an
    /// arrival finds every server busy (`P(n >= servers)`, Poisson
    /// arrivals seeing time averages): exact for exponential service, and
    /// for processor sharing whatever the service. `(1, 0)` at no load.
    /// `None` when `a` reaches the capacity.
    pub fn occupancy(&self, a: f64) -> Option<(f64, f64)> {
        occupancy_of(self.servers, a, |n| self.throughput(n))
    }
}

/// [`Curve::occupancy`] of `servers` servers doing `throughput(n)` work per
/// second with `n` busy (`throughput(servers)` their capacity): a curve,
/// or several instances of one pooled behind a balancer.
pub fn occupancy_of(servers: u32, a: f64, throughput: impl Fn(u32) -> f64) -> Option<(f64, f64)> {
    if a <= 0.0 {
        return Some((1.0, 0.0));
    }
    let cap = throughput(servers);
    if a >= cap {
        return None;
    }
    // p_n ~ prod a / x(k); the tail beyond `servers` is geometric.
    let (mut p, mut sum, mut busy) = (1.0f64, 1.0f64, 0.0f64);
    for n in 1..=servers {
        p *= a / throughput(n);
        sum += p;
        busy += p * f64::from(n);
        if p < 1e-300 {
            break;
        }
    }
    let r = a / cap;
    let tail = p * r / (1.0 - r);
    sum += tail;
    busy += tail * f64::from(servers);
    // `p` is P(n = servers) unnormalised: with the tail, all of n >= servers.
    let full = (p + tail) / sum;
    // Little on the servers: busy = a * stretch.
    Some((busy / sum / a, full))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usl_capacity_at_fixed_concurrency() {
        let u = Usl {
            contention: 0.05,
            coherency: 0.001,
        };
        assert_eq!(u.capacity(1.0), 1.0);
        // 32 / (1 + 0.05 * 31 + 0.001 * 32 * 31) = 32 / 3.542
        assert!((u.capacity(32.0) - 32.0 / 3.542).abs() < 1e-12);
    }

    #[test]
    fn hyperthreads_fill_cores_first() {
        let c = Curve {
            servers: 8,
            threads_per_core: 2,
            smt_pair: 1.25,
            usl: Usl::LINEAR,
        };
        // Alone on its core a thread does 2 / 1.25 = 1.6 loaded threads' work.
        assert!((c.throughput(4) - 6.4).abs() < 1e-12);
        // Two cores with both threads busy (2 each), two with one (1.6 each).
        assert!((c.throughput(6) - 7.2).abs() < 1e-12);
        assert!((c.capacity() - 8.0).abs() < 1e-12);
        assert!(!c.is_linear());
        assert!(Curve::plain(8).is_linear());
    }

    #[test]
    fn stretch_is_one_alone_and_grows_with_load() {
        let c = Curve {
            servers: 2,
            threads_per_core: 2,
            smt_pair: 1.25,
            usl: Usl::LINEAR,
        };
        let low = c.stretch(1e-6).unwrap();
        assert!((low - 0.625).abs() < 1e-5, "{low}");
        let high = c.stretch(1.9).unwrap();
        assert!(high > 0.9 && high < 1.0, "{high}");
        assert!(c.stretch(2.0).is_none());
    }
}
