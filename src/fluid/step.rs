//! One step of the model: every station solved in steady state at the
//! step's offered rates, or as a fluid backlog past saturation.

use super::queue::{self, Full, Inner};
use super::wait::{Sharing, Wait, WaitSum, ps_wait};
use super::{Class, Db, Model, Server, cv2, m3_of, wait_cv2};
use crate::fluid::dist::Cumulants;

/// A fluid backlog at a station: jobs beyond its steady state.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Backlog {
    pub(super) level: f64,
}

/// What a backlog did over one step.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Flow {
    /// Time-average backlog.
    pub(super) mean: f64,
    /// Jobs refused because the backlog was full.
    pub(super) refused: f64,
}

impl Backlog {
    /// Advances by `len` seconds with arrivals `lambda`, service `cap` and
    /// room for `room` jobs.
    pub(super) fn step(&mut self, lambda: f64, cap: f64, room: f64, len: f64) -> Flow {
        let b0 = self.level.min(room);
        let slope = lambda - cap;
        if slope >= 0.0 {
            let t_full = if slope > 0.0 {
                ((room - b0) / slope).min(len)
            } else {
                len
            };
            let area = b0 * t_full + 0.5 * slope * t_full * t_full + room * (len - t_full);
            self.level = (b0 + slope * len).min(room);
            Flow {
                mean: area / len,
                refused: slope * (len - t_full),
            }
        } else {
            let t_empty = (b0 / -slope).min(len);
            let area = b0 * t_empty + 0.5 * slope * t_empty * t_empty;
            self.level = (b0 + slope * len).max(0.0);
            Flow {
                mean: area / len,
                refused: 0.0,
            }
        }
    }
}

/// The whole step's result for one web instance and the DB.
#[derive(Clone, Debug, Default)]
pub(super) struct Step {
    /// Refused at the instance.
    pub(super) p_drop: f64,
    /// Per class: failed at the DB.
    pub(super) p_err: Vec<f64>,
    /// Per class: time inside the origin, seconds.
    pub(super) origin_secs: Vec<f64>,
    /// Per class: combined wait.
    pub(super) wait: Vec<(f64, f64, f64)>,
    /// Per class: deterministic wait (fluid backlogs), seconds.
    pub(super) backlog_wait: Vec<f64>,
    /// Busy vCPUs per instance.
    pub(super) web_busy: f64,
    /// Busy DB servers in total (colocated: vCPUs on queries, whole fleet).
    pub(super) db_busy: f64,
    /// Busy vCPUs of the RDS primary, and of one read replica.
    pub(super) primary_busy: f64,
    pub(super) replica_busy: f64,
    /// Busy workers per instance.
    pub(super) workers_busy: f64,
    /// Requests waiting for a worker per instance.
    pub(super) worker_queue: f64,
    /// Mean DB connections open over the fleet.
    pub(super) db_connections: f64,
    /// Share of the IOPS limit used: the primary's volume (or the
    /// colocated one), one replica's.
    pub(super) primary_io: f64,
    pub(super) replica_io: f64,
}

/// A storage I/O's cost to one query: its wait for the volume, and the
/// time it adds without waiting (misses x (service + latency + backlog)).
#[derive(Clone, Copy, Debug, Default)]
struct IoCost {
    wait: Wait,
    extra: f64,
}

impl IoCost {
    fn of(v: super::dbcap::VolumeStep, latency: f64, share: f64) -> IoCost {
        IoCost {
            wait: Wait {
                p: share * v.p_wait,
                cond: v.cond_wait,
                cv2: 1.0,
            },
            extra: share * (v.service + latency + v.fluid),
        }
    }

    fn mean(&self) -> f64 {
        self.wait.mean() + self.extra
    }
}

impl Model<'_> {
    /// Solves one step of `len` seconds at origin class rates `rates`
    /// (requests per second over the whole fleet).
    pub(super) fn step(&mut self, rates: &[f64], len: f64) -> Step {
        let n_cls = self.classes.len();
        let total: f64 = rates.iter().sum();
        let mut out = Step {
            p_err: vec![0.0; n_cls],
            origin_secs: vec![0.0; n_cls],
            wait: vec![(0.0, 0.0, 1.0); n_cls],
            backlog_wait: vec![0.0; n_cls],
            ..Step::default()
        };
        if total <= 0.0 {
            // Idle: responses are bare service times.
            for (k, c) in self.classes.iter().enumerate() {
                out.origin_secs[k] = self.bare_secs(c);
            }
            self.web_backlog.step(0.0, 1.0, 0.0, len);
            self.primary_backlog.step(0.0, 1.0, 0.0, len);
            self.replica_backlog.step(0.0, 1.0, 0.0, len);
            return out;
        }
        let lambda = total / self.instances;
        let f: Vec<f64> = rates.iter().map(|r| r / total).collect();
        let mean_of = |g: &dyn Fn(&Class) -> f64| -> f64 {
            self.classes.iter().zip(&f).map(|(c, f)| f * g(c)).sum()
        };
        let reads = mean_of(&|c| c.reads);
        let writes = mean_of(&|c| c.writes);
        let cpu = mean_of(&|c| c.cpu);
        let cpu_m2 = mean_of(&|c| c.cpu_m2);
        let cpu_m3 = mean_of(&|c| c.cpu_m3);
        let c = self.vcpus;

        // The database, for the offered load (drops are rare where it matters).
        let mut read_wait = Wait::default();
        let mut write_wait = Wait::default();
        // Storage I/Os of reads that miss the cache and of writes.
        let (mut io_read, mut io_write) = (IoCost::default(), IoCost::default());
        let (mut err_read, mut err_write) = (0.0, 0.0);
        let (mut read_fluid, mut write_fluid) = (0.0, 0.0);
        // Network time per query (a pure delay holding the worker).
        let mut net = crate::spec::QueryNetwork::default();
        // `read_after_write = "primary"` with replicas: the reads of the
        // classes that write go to the primary, with its wait, failure,
        // fluid wait, I/O and round trip.
        let raw = self
            .s
            .database
            .as_ref()
            .is_some_and(|d| d.read_after_write == crate::spec::ReadAfterWrite::Primary);
        let reads_p = if raw {
            mean_of(&|c| if c.writes > 0.0 { c.reads } else { 0.0 })
        } else {
            0.0
        };
        let mut raw_read: Option<(Wait, f64, f64, IoCost, f64)> = None;
        // vCPU jobs per request and their service moments.
        let (mut d, mut jobs, mut jobs_m2, mut jobs_m3) = (cpu, 1.0, cpu_m2, cpu_m3);
        if let Some(mut db) = self.db.clone() {
            if let Some(up) = self.replicas_up {
                db.replicas = db.replicas.min(up);
            }
            if db.colocated {
                if let Some(vs) = &mut self.volumes {
                    let fleet = lambda * self.instances;
                    let held = f64::from(self.workers) * self.instances;
                    let (miss, vol) = (vs.primary_miss, &mut vs.primary);
                    let lat = vol.latency;
                    let v = vol.step(fleet * (reads * miss + writes), held, len);
                    io_read = IoCost::of(v, lat, miss);
                    io_write = IoCost::of(v, lat, 1.0);
                    out.primary_io = v.busy;
                }
                d += reads * db.read.mean + writes * db.write.mean;
                jobs += reads + writes;
                jobs_m2 += reads * db.read.m2 + writes * db.write.m2;
                jobs_m3 += reads * db.read.m3 + writes * db.write.m3;
            } else {
                // The web tier passes on at most what its vCPUs can serve.
                let web_cap = f64::from(c) / d * self.instances;
                let fleet = (lambda * self.instances).min(web_cap);
                let replicas = f64::from(db.replicas);
                let (prim_r, repl_r) = if db.replicas == 0 {
                    (reads * fleet, 0.0)
                } else {
                    (reads_p * fleet, (reads - reads_p) * fleet / replicas)
                };
                let prim_w = writes * fleet;
                // A query holds its request's worker: a station never has
                // more queries than the fleet has workers (the rest wait at
                // the web tier, as they do in the DES).
                let workers = f64::from(self.workers) * self.instances;
                let mut io_primary_read = IoCost::default();
                let (pw, pe, pf, pbusy) = db_station(
                    db.primary(),
                    self.full[1],
                    &mut self.primary_backlog,
                    prim_r,
                    prim_w,
                    workers,
                    len,
                );
                let (rw, re, rf, rbusy) = if db.replicas > 0 {
                    let held = workers / replicas;
                    db_station(
                        db.replica(),
                        self.full[2],
                        &mut self.replica_backlog,
                        repl_r,
                        0.0,
                        held,
                        len,
                    )
                } else {
                    (pw, pe, pf, 0.0)
                };
                net = self.s.query_network(self.fleet.round() as u32, db.replicas);
                read_wait = if db.replicas > 0 { rw } else { pw };
                write_wait = pw;
                err_read = if db.replicas > 0 { re } else { pe };
                err_write = pe;
                read_fluid = if db.replicas > 0 { rf } else { pf };
                write_fluid = pf;
                out.db_busy = pbusy + replicas * rbusy;
                out.primary_busy = pbusy;
                out.replica_busy = rbusy;
                if let Some(vs) = &mut self.volumes {
                    let (miss, r_miss) = (vs.primary_miss, vs.replica_miss);
                    let lat = vs.primary.latency;
                    let p = vs.primary.step(prim_r * miss + prim_w, workers, len);
                    io_write = IoCost::of(p, lat, 1.0);
                    out.primary_io = p.busy;
                    io_read = if db.replicas > 0 {
                        let r = vs.replica.step(repl_r * r_miss, workers / replicas, len);
                        out.replica_io = r.busy;
                        IoCost::of(r, lat, r_miss)
                    } else {
                        IoCost::of(p, lat, miss)
                    };
                    io_primary_read = IoCost::of(p, lat, miss);
                }
                if reads_p > 0.0 && db.replicas > 0 {
                    raw_read = Some((pw, pe, pf, io_primary_read, net.read_primary));
                }
            }
        }
        let job_mean = d / jobs;
        // Processor sharing: the M/G/c-PS law of the number present is
        // M/M/c's whatever the service (insensitivity), so its mean wait is
        // taken with exponential service.
        let job_cs2 = if self.web_ps {
            1.0
        } else {
            cv2(job_mean, jobs_m2 / jobs)
        };
        let z = match &self.db {
            Some(db) if !db.colocated => {
                // A read's service: on a replica when there are any; the
                // reads that `read_after_write` keeps on the primary take
                // the primary's (the difference is added last).
                let served_at = if db.replicas > 0 {
                    &db.replica_read
                } else {
                    &db.read
                };
                let (to_replica, to_primary, on_primary) = match raw_read {
                    Some((w, _, fl, io, n)) => (
                        reads - reads_p,
                        reads_p * (w.mean() + fl + io.mean() + n),
                        reads_p * (db.read.mean - served_at.mean),
                    ),
                    None => (reads, 0.0, 0.0),
                };
                reads * served_at.mean
                    + to_replica * (read_wait.mean() + read_fluid + io_read.mean())
                    + to_replica * net.read_replica
                    + to_primary
                    + writes * (write_wait.mean() + db.write.mean)
                    + writes * write_fluid
                    + writes * io_write.mean()
                    + writes * net.write
                    + on_primary
            }
            _ => 0.0,
        };
        let f_cpu = (self.ca2 + job_cs2) / 2.0;
        // The shape of a vCPU wait given a wait, at utilisation `rho`.
        let visit_cv2 = |rho: f64| wait_cv2(rho, job_mean, jobs_m2 / jobs, jobs_m3 / jobs);

        // The web instance.
        let w = self.workers;
        let rho = lambda * d / f64::from(c);
        let open = rho < 1.0 && self.web_backlog.level <= 0.0 && {
            let cq = queue::erlang_c(c, lambda * d).max(1e-300);
            let k = (1e-13f64 / cq).ln() / rho.ln() * f_cpu.max(1.0);
            let m = lambda * z;
            f64::from(w) >= f64::from(c) + k + m + 8.0 * m.sqrt() + 8.0
        };
        let mut cpu_wait = Wait::default();
        // A colocated query's wait when the worker pool sets it (see below).
        let mut rejoin: Option<Wait> = None;
        // With it, the rate of requests that take a worker at once and join
        // the vCPU queue ahead of a query (per second of its request's
        // previous visit).
        let mut cut_in = 0.0;
        let mut outer = Wait::default();
        let mut backlog_wait = 0.0;
        // Busy workers, where the branch knows them (Little's law below
        // otherwise).
        let mut workers_busy: Option<f64> = None;
        // Processor sharing: the mean extra time per second of work at the
        // vCPUs, and (where the branch knows it apart) the wait for a worker.
        let mut ps_sigma = 0.0;
        let mut ps_outer: Option<Wait> = None;
        let admitted;
        if open {
            let st = match self.full[0] {
                Some(f) => queue::mgc_full(c, lambda * jobs, job_mean, f, self.ca2, job_cs2),
                None => queue::mgc(c, lambda * jobs, job_mean, self.ca2, job_cs2),
            };
            if let Some(st) = st {
                cpu_wait = Wait {
                    cv2: visit_cv2(st.rho),
                    ..Wait::of(&st)
                };
            }
            if self.web_ps
                && job_mean > 0.0
                && let Some(st) = queue::mgc(c, lambda * jobs, job_mean, 1.0, 1.0)
            {
                ps_sigma = Wait::of(&st).mean() / job_mean;
            }
            admitted = lambda;
            self.web_backlog.level = 0.0;
        } else {
            let cap_workers = w.min(1 << 16);
            // On a curve, the network runs on the demand at one unit of
            // the curve's work (the stretch in force taken out).
            let curve = self.web_throughput.as_deref();
            let d_unit = if curve.is_some() {
                d / (f64::from(self.stretch.0) / 200.0).exp()
            } else {
                d
            };
            let (x, q_full) = Inner::full(c, d_unit, z, cap_workers, curve);
            let queue = u64::from(self.queue_limit);
            let room = f64::from(self.queue_limit);
            // The queue fills within a twentieth of the step, by the excess
            // arrivals or, at capacity, by their random walk (its spread
            // after `t` is about `sqrt(2 lambda t)`): then the stationary
            // finite-queue law holds for the step.
            let t_fill = len * 0.05;
            let fills_fast =
                room <= ((lambda - x).max(0.0) * t_fill).max((2.0 * lambda * t_fill).sqrt());
            let stationary = if self.web_backlog.level > 0.0 || (lambda >= x && !fills_fast) {
                None
            } else {
                // Without a DB delay the network is trivial; with one, it is
                // reused while its demands move by less than 0.05%.
                let key = (
                    (d_unit.ln() * 2000.0).round() as i64,
                    (z.ln() * 2000.0).round() as i64,
                );
                let inner = if z <= 0.0 {
                    Inner::curved(c, d_unit, 0.0, cap_workers, curve)
                } else {
                    match &self.inner_cache {
                        Some((k, inner))
                            if *k == key && inner.x.len() == cap_workers as usize + 1 =>
                        {
                            inner.clone()
                        }
                        _ => {
                            let inner = Inner::curved(c, d_unit, z, cap_workers, curve);
                            self.inner_cache = Some((key, inner.clone()));
                            inner
                        }
                    }
                };
                queue::instance(&inner, c, lambda, queue)
            };
            // The holding time's squared cv, for the wait for a worker.
            let (h1, h2, h3) = inner_hold(&self.classes, &f, self.db.as_ref());
            let hold = if self.web_ps { 1.0 } else { cv2(h1, h2) };
            // Without a DB delay or colocated queries, and with a vCPU for
            // every worker, the instance is M/G/w/K on its workers: its
            // blocking and wait by Tijms's finite-buffer heuristic, which
            // sees the service's variability (the birth-death process is
            // exact only for exponential service: with deterministic
            // service it refused 2-7 times as many as the DES).
            let finite =
                if z <= 0.0 && jobs <= 1.0 && w <= c && curve.is_none() && stationary.is_some() {
                    queue::mgck(
                        w,
                        lambda,
                        d,
                        self.ca2,
                        job_cs2,
                        w.saturating_add(self.queue_limit),
                    )
                } else {
                    None
                };
            match stationary {
                Some(_) if let Some(fin) = finite => {
                    out.p_drop = fin.p_block;
                    admitted = lambda * (1.0 - fin.p_block);
                    let u = (admitted * d / f64::from(w)).min(1.0);
                    // A worker is busy exactly while its vCPU is, and
                    // every wait is for a worker (Little's law).
                    workers_busy = Some(admitted * d);
                    out.worker_queue = admitted * fin.p_wait * fin.cond_wait;
                    if fin.p_wait > 0.0 {
                        cpu_wait = Wait {
                            p: fin.p_wait,
                            cond: fin.cond_wait,
                            cv2: visit_cv2(u),
                        };
                    }
                    // A vCPU for every worker: nothing shares; every wait
                    // is for a worker.
                    ps_outer = Some(cpu_wait);
                    self.web_backlog.level = 0.0;
                }
                Some(bd) => {
                    let adm = lambda * (1.0 - bd.p_block);
                    out.p_drop = bd.p_block;
                    admitted = adm;
                    workers_busy = Some(bd.inside);
                    out.worker_queue = bd.outer_queue;
                    if self.web_ps && adm > 0.0 && d > 0.0 {
                        // The closed network's law holds for sharing too
                        // (product form): Little's law over its CPU queue,
                        // and the wait for a worker as it is.
                        ps_sigma = bd.cpu_queue / (adm * d);
                        let u = (adm * d / f64::from(c)).min(1.0);
                        // The line for a worker is FCFS: a few workers
                        // sharing the vCPUs make the station limited
                        // processor sharing, which is not insensitive, and
                        // its line grows with the holding time's spread as
                        // FCFS's does.
                        let spread = (self.ca2 + cv2(h1, h2)) / 2.0;
                        ps_outer = Some(if bd.outer_queue > 0.0 {
                            let p = bd.p_outer_wait.max(1e-12);
                            Wait {
                                p,
                                cond: bd.outer_queue * spread / adm / p,
                                cv2: wait_cv2(u, h1, h2, h3),
                            }
                        } else {
                            Wait::default()
                        });
                    }
                    let visits = adm * jobs;
                    let closed = self.db.as_ref().is_some_and(|d| d.colocated) && jobs > 1.0;
                    let u = (adm * d / f64::from(c)).min(1.0);
                    if closed && adm > 0.0 {
                        // A colocated DB: every request's work is on the
                        // vCPUs (no delay, z = 0), so how much of it the
                        // request waits behind before it starts is the
                        // request-level M/G/c wait (FCFS in the worker
                        // queue, then FCFS at the vCPUs): Pollaczek-Khinchine
                        // for one vCPU. Its queries then come back to the
                        // vCPUs behind the other requests inside, each with
                        // one whole visit ahead (the worker pool bounds
                        // them, so no variability inflates that queue).
                        if let Some(st) = queue::mgc(c, adm, d, self.ca2, hold) {
                            let cap = (f64::from(w) + room) * d / f64::from(c);
                            let p = st.p_wait.max(1e-12);
                            cpu_wait = Wait {
                                p,
                                cond: (st.cond_wait * st.p_wait).min(cap) / p,
                                cv2: wait_cv2(u, h1, h2, h3),
                            };
                        }
                        if bd.cpu_queue > 0.0 && u > 0.0 {
                            let cf = f64::from(c);
                            let res = job_mean * (1.0 + job_cs2) / 2.0;
                            let mean = bd.cpu_queue / u * job_mean / cf
                                + bd.p_wait * (cf - 1.0) / cf * res / cf;
                            let p = bd.p_wait.max(1e-12);
                            // Part of that queue is the requests that took a
                            // worker during the query's own previous visit:
                            // their first visits (CPU bursts) cut in ahead.
                            // A query after a long burst finds more of them
                            // than one after a short query; the rest of the
                            // mean is the requests already waiting.
                            let lp = adm * (1.0 - bd.p_outer_wait) * u.powf(cf - 1.0) / cf;
                            let prev: f64 = self
                                .classes
                                .iter()
                                .zip(&f)
                                .map(|(cl, f)| f * prev_visits(cl, self.db.as_ref()))
                                .sum();
                            let total = (jobs - 1.0) * mean;
                            let by_cut_in = lp * prev * cpu;
                            let scale = if by_cut_in > total {
                                total / by_cut_in
                            } else {
                                1.0
                            };
                            cut_in = lp * scale;
                            let base = (total - by_cut_in * scale) / (jobs - 1.0);
                            // Whoever waits waits for at least one visit;
                            // given a wait, about `k` whole visits ahead,
                            // drawn from the visit mix: the sum's squared cv
                            // is the visits' over `k`.
                            let pb = p.min(base / (job_mean / cf)).max(1e-12);
                            let kb = (base / pb / (job_mean / cf)).max(1.0);
                            rejoin = Some(Wait {
                                p: pb,
                                cond: base / pb,
                                cv2: (job_cs2 / kb).max(1.0),
                            });
                        } else {
                            rejoin = Some(Wait::default());
                        }
                    } else if visits > 0.0 && bd.cpu_queue > 0.0 {
                        let mean = bd.cpu_queue * f_cpu / visits;
                        let p = bd.p_wait.max(1e-12);
                        cpu_wait = Wait {
                            p,
                            cond: mean / p,
                            cv2: visit_cv2(u),
                        };
                    }
                    if !closed && adm > 0.0 && bd.outer_queue > 0.0 {
                        let mean = bd.outer_queue * (self.ca2 + hold) / 2.0 / adm;
                        let p = bd.p_outer_wait.max(1e-12);
                        outer = Wait {
                            p,
                            cond: mean / p,
                            cv2: wait_cv2(u, h1, h2, h3),
                        };
                    }
                    if !closed && jobs <= 1.0 && outer.p > 0.0 {
                        // One vCPU visit per request: the worker queue and
                        // the vCPU queue are one FIFO line, so a request
                        // that waits for a worker also waits for a vCPU.
                        // One wait, with the probability of any wait.
                        let mean = outer.mean() + cpu_wait.mean();
                        let p = bd.p_wait.max(outer.p).max(1e-12);
                        cpu_wait = Wait {
                            p,
                            cond: mean / p,
                            cv2: visit_cv2(u),
                        };
                        outer = Wait::default();
                    }
                    self.web_backlog.level = 0.0;
                }
                None => {
                    // Saturated: every worker busy, the queue is a fluid.
                    let flow = self.web_backlog.step(lambda, x, room, len);
                    workers_busy = Some(f64::from(w));
                    out.worker_queue = flow.mean;
                    let refused = flow.refused / len;
                    out.p_drop = (refused / lambda).clamp(0.0, 1.0);
                    admitted = lambda - refused;
                    backlog_wait = flow.mean / x;
                    if q_full > 0.0 {
                        let mean = q_full * f_cpu / (x * jobs);
                        cpu_wait = Wait::new(1.0, mean);
                    }
                    if x > 0.0 && d > 0.0 {
                        ps_sigma = q_full / (x * d);
                        ps_outer = Some(Wait::default());
                    }
                }
            }
        }
        out.web_busy = (admitted * d).min(f64::from(c));
        if let Some(db) = &self.db
            && db.colocated
        {
            let q = reads * db.read.mean + writes * db.write.mean;
            let share = if d > 0.0 { q / d } else { 0.0 };
            out.db_busy = out.web_busy * share * self.instances;
        }
        out.p_drop = out.p_drop.clamp(0.0, 1.0);
        let colocated = self.db.as_ref().is_some_and(|d| d.colocated);
        // A colocated query reaches the vCPUs the moment its request's own
        // job leaves them: it finds the jobs left behind, each with a whole
        // service ahead, not a Poisson arrival's residual one.
        let query_wait = if let Some(r) = rejoin {
            r
        } else if colocated && cpu_wait.p > 0.0 {
            let lq = admitted * jobs * cpu_wait.mean();
            let mean = (lq + cpu_wait.p) * job_mean / f64::from(c);
            Wait::new(cpu_wait.p, mean / cpu_wait.p)
        } else {
            cpu_wait
        };
        // Processor sharing slows every job at the vCPUs by one factor:
        // the mean wait per second of work of the same station with
        // exponential service, whose law of the number present processor
        // sharing keeps whatever the service (insensitivity; product form
        // in the closed network of the workers). At most one job per busy
        // worker is there: the station holds `workers` jobs at most. A
        // request's time there grows with its own work, not by a wait per
        // visit, so a 3 ms static file is not held up like an 80 ms page.
        let ps_slowdown = self.web_ps.then(|| Sharing {
            sigma: ps_sigma,
            // For the spread: the station as one server `c` times as fast,
            // at the load whose M/M/1-PS slowdown `rho / (1 - rho)` is
            // `sigma` (a worker pool that bounds the jobs present bounds
            // the slowdown, and so the spread).
            rho: ps_sigma / (1.0 + ps_sigma),
            unit: job_mean / f64::from(c),
        });
        for (k, cl) in self.classes.iter().enumerate() {
            let mut ws = WaitSum::new();
            match (ps_slowdown, ps_outer) {
                (Some(_), Some(o)) => ws.add(o, 1.0),
                _ => ws.add(outer, 1.0),
            }
            match ps_slowdown {
                Some(sh) => {
                    let here = self.db.as_ref().filter(|d| d.colocated);
                    ws.add(ps_wait(cl, here, sh), 1.0);
                }
                None => {
                    ws.add(cpu_wait, 1.0);
                    if colocated {
                        ws.add(query_wait, cl.reads + cl.writes);
                    }
                }
            }
            // Jobs cutting in ahead of a query: FCFS's queue, not sharing's.
            if cut_in > 0.0
                && ps_slowdown.is_none()
                && let Some(db) = &self.db
            {
                // Each query after a visit of mean `x`: Poisson(cut_in x)
                // CPU bursts ahead (compound Poisson).
                let queries = (cl.reads + cl.writes).round() as usize;
                for i in 0..queries {
                    let x = if i == 0 {
                        cl.cpu
                    } else if (i as f64) <= cl.reads {
                        db.read.mean
                    } else {
                        db.write.mean
                    };
                    let n = cut_in * x;
                    let p = 1.0 - (-n).exp();
                    if p > 0.0 {
                        let m = n * cpu;
                        // A longer burst lets more cut in: the wait grows
                        // with the request's own burst, which adds twice
                        // their covariance to the variance of the sum
                        // (carried by the wait, the burst being fitted apart).
                        let cov = if i == 0 {
                            cut_in * cpu * (cl.cpu_m2 - cl.cpu * cl.cpu)
                        } else {
                            0.0
                        };
                        let m2 = n * cpu_m2 + m * m + 2.0 * cov;
                        let cond = m / p;
                        ws.add(
                            Wait {
                                p,
                                cond,
                                cv2: (m2 / p / (cond * cond) - 1.0).max(1.0),
                            },
                            1.0,
                        );
                    }
                }
            }
            // Where this class's reads go.
            let (r_wait, r_err, r_fluid, r_io, r_net) = match raw_read {
                Some(p) if cl.writes > 0.0 => p,
                _ => (read_wait, err_read, read_fluid, io_read, net.read_replica),
            };
            if !colocated {
                ws.add(r_wait, cl.reads);
                ws.add(write_wait, cl.writes);
            }
            ws.add(r_io.wait, cl.reads);
            ws.add(io_write.wait, cl.writes);
            let fluid = backlog_wait
                + cl.reads * (r_fluid + r_io.extra + r_net)
                + cl.writes * (write_fluid + io_write.extra + net.write);
            out.backlog_wait[k] = fluid;
            out.wait[k] = (ws.p(), ws.cond(), ws.cv2());
            out.origin_secs[k] = self.bare_secs(cl) + ws.mean + fluid;
            out.p_err[k] = 1.0 - (1.0 - r_err).powf(cl.reads) * (1.0 - err_write).powf(cl.writes);
        }
        self.connections(&mut out, admitted, &f);
        // Open (workers to spare): Little's law over the time inside.
        let hold: f64 = out.origin_secs.iter().zip(&f).map(|(t, f)| t * f).sum();
        out.workers_busy = workers_busy
            .unwrap_or(admitted * hold)
            .clamp(0.0, f64::from(w));
        out
    }
}

/// Mean length of the visits of `c` that a query follows (its CPU burst and
/// every query but the last), seconds; 0 without queries.
fn prev_visits(c: &Class, db: Option<&Db>) -> f64 {
    let Some(d) = db else { return 0.0 };
    let read = d.read_of(c.writes);
    let queries = c.reads * read.mean + c.writes * d.write.mean;
    let last = if c.writes > 0.0 {
        d.write.mean
    } else if c.reads > 0.0 {
        read.mean
    } else {
        return 0.0;
    };
    c.cpu + queries - last
}

/// Mean, second and third moments of the time a request holds a worker
/// (its vCPU and DB service, without the DB's waits), over the classes'
/// mix.
fn inner_hold(classes: &[Class], f: &[f64], db: Option<&Db>) -> (f64, f64, f64) {
    let (mut m1, mut m2, mut m3) = (0.0, 0.0, 0.0);
    for (c, f) in classes.iter().zip(f) {
        let mut cum = Cumulants {
            k1: c.cpu,
            k2: c.cpu_m2 - c.cpu * c.cpu,
            k3: c.cpu_k3,
        };
        if let Some(d) = db {
            cum = cum
                .add(d.read_of(c.writes).cum.times(c.reads))
                .add(d.write.cum.times(c.writes));
        }
        m1 += f * cum.k1;
        m2 += f * (cum.k2 + cum.k1 * cum.k1);
        m3 += f * m3_of(cum);
    }
    (m1, m2, m3)
}

/// One RDS station for a step: reads at `lr` and writes at `lw` per second,
/// from web workers that can hold at most `held` queries there at once.
/// Returns its wait, the probability that a query fails on
/// `max_connections`, the mean fluid wait, and its busy servers.
fn db_station(
    db: Server,
    full: Option<Full>,
    backlog: &mut Backlog,
    lr: f64,
    lw: f64,
    held: f64,
    len: f64,
) -> (Wait, f64, f64, f64) {
    let l = lr + lw;
    if l <= 0.0 {
        backlog.step(0.0, 1.0, 0.0, len);
        return (Wait::default(), 0.0, 0.0, 0.0);
    }
    let mean = (lr * db.read.mean + lw * db.write.mean) / l;
    let m2 = (lr * db.read.m2 + lw * db.write.m2) / l;
    let m3 = (lr * db.read.m3 + lw * db.write.m3) / l;
    let c = db.vcpus.max(1);
    let cap = f64::from(c) / mean;
    let st = match full {
        Some(f) => queue::mgc_full(c, l, mean, f, 1.0, cv2(mean, m2)),
        None => queue::mgc(c, l, mean, 1.0, cv2(mean, m2)),
    };
    if backlog.level <= 0.0
        && let Some(st) = st
    {
        let wait = Wait {
            cv2: wait_cv2(st.rho, mean, m2, m3),
            ..Wait::of(&st)
        };
        return (wait, 0.0, 0.0, l * mean);
    }
    // Past capacity: the backlog fills up to the workers' hold (queries
    // beyond wait at the web tier, which the web station's worker pool
    // accounts for; connections are refused before, `fluid::dbcap`).
    let room = (held.max(f64::from(c)) - f64::from(c)).max(0.0);
    let flow = backlog.step(l, cap, room, len);
    (Wait::new(1.0, mean), 0.0, flow.mean / cap, f64::from(c))
}

impl Model<'_> {
    /// Connections: each class's requests that query the database hold one
    /// at the primary (writes, or reads with no replica) and one at a
    /// replica (reads, with replicas) for their time inside; the share
    /// refused is added to the class's errors.
    fn connections(&self, out: &mut Step, admitted: f64, f: &[f64]) {
        let Some(db) = &self.db else { return };
        let replicas = if db.colocated { 0 } else { db.replicas };
        let needs = |c: &Class| {
            let p = c.writes > 0.0 || (c.reads > 0.0 && replicas == 0);
            let r = c.reads > 0.0 && replicas > 0;
            (p, r)
        };
        let (mut a_p, mut a_r) = (0.0, 0.0);
        for ((c, f), t) in self.classes.iter().zip(f).zip(&out.origin_secs) {
            let load = admitted * self.instances * f * t;
            let (p, r) = needs(c);
            if p {
                a_p += load;
            }
            if r {
                a_r += load / f64::from(replicas);
            }
        }
        let workers = f64::from(self.workers) * self.instances;
        let b_p = super::dbcap::refused(db.max_connections, workers, a_p);
        let b_r = if replicas > 0 {
            let limit = db.replica_max_connections;
            super::dbcap::refused(limit, workers / f64::from(replicas), a_r)
        } else {
            0.0
        };
        for (k, c) in self.classes.iter().enumerate() {
            let (p, r) = needs(c);
            let ok = if p { 1.0 - b_p } else { 1.0 } * if r { 1.0 - b_r } else { 1.0 };
            out.p_err[k] = 1.0 - (1.0 - out.p_err[k]) * ok;
        }
        out.db_connections = a_p * (1.0 - b_p) + f64::from(replicas) * a_r * (1.0 - b_r);
    }
}
