//! The fluid mode: a checkpoint evaluated minute by minute with queueing
//! formulas instead of request by request.
//!
//! Each minute the offered rate (daily cycle and events included) is split
//! by class and route (CDN hit, S3 or web origin) and spread evenly over the
//! web instances, as every load-balancer algorithm does on average. Each
//! station is then solved in steady state:
//!
//! - a DB server (primary, replicas) is M/G/c by Allen-Cunneen (Erlang C
//!   scaled by `(1 + cs^2) / 2`, exact for exponential service), and
//!   `max_connections` errors come from the M/M/c tail;
//! - a web instance is a birth-death process on the requests it holds, up
//!   to `workers + queue_limit` (M/M/c/K: drops, Erlang B when the queue is
//!   empty). Its departure rate with `n` requests inside is the throughput of
//!   the closed network behind the workers: the vCPUs (colocated queries
//!   included) and the DB time as a delay. Waiting for a worker and for a
//!   vCPU are each scaled by Allen-Cunneen's factor (`ca^2 = 1 / n` behind
//!   round robin over `n` instances). With workers to spare the instance is
//!   the plain M/G/c queue on its vCPUs;
//! - with a colocated DB and a pool that can fill, a request first waits the
//!   request-level M/G/c wait, then each query waits for whole visits of the
//!   other requests inside: those already waiting and the CPU bursts that
//!   cut in during its request's previous visit.
//!
//! A station whose arrival rate reaches its capacity keeps a fluid backlog
//! from minute to minute: it grows at `lambda - capacity`, drains afterwards,
//! refuses arrivals once `queue_limit` (or `max_connections`) is full, and
//! adds its waiting time (backlog over capacity) to every response.
//!
//! A response is the fitted sum of its service times and network delays (a
//! shift plus at most two exponential phases, matching three cumulants)
//! plus one waiting time with an atom at zero: the stations' waits summed
//! with their means and variances (each shaped, given a wait, like the
//! M/G/1 wait at its utilisation), fitted given a wait by an exponential or
//! a balanced two-phase hyperexponential. Percentiles invert the
//! CDF of the mixture over classes, routes and minutes weighted by served
//! requests.

mod dist;
mod queue;
mod slo;

use crate::metrics::{
    Counts, IntervalSummary, Intervals, Latency, MinuteRow, ROUTES, RouteCounts, WindowSummary,
};
use crate::spec::{
    Checkpoint, CreditMode, DbPlacement, Dist, LbAlgorithm, RateProfile, RequestClass, Scenario,
    StaticOrigin, StationWork,
};
use crate::time::{NANOS_PER_SEC, SimTime};
use dist::{Cumulants, Mixture, PhaseFit, Response};
use queue::{Inner, Station};

/// Route indices, as the DES numbers them (`model::Route`).
const EDGE_HIT: usize = 0;
const EDGE_S3: usize = 1;
const EDGE_ORIGIN: usize = 2;
const ORIGIN: usize = 3;

const MINUTE_NS: u64 = 60 * NANOS_PER_SEC;
/// Rate samples per minute (midpoints of equal slices).
const RATE_SAMPLES: u64 = 6;
/// Merge adjacent minutes whose responses differ by less than this.
const MERGE_TOL: f64 = 5e-3;

/// A minute's responses with their served weights.
type Parts = Vec<(f64, Response)>;

/// One way a class's requests go, with its share of the class.
#[derive(Clone, Debug)]
struct Path {
    class: usize,
    route: usize,
    share: f64,
    /// Service and network delays of the whole path, fitted.
    fit: PhaseFit,
}

#[derive(Clone, Debug)]
struct Class {
    share: f64,
    cpu: f64,
    cpu_m2: f64,
    cpu_m3: f64,
    /// Third central moment of the CPU burst.
    cpu_k3: f64,
    reads: f64,
    writes: f64,
    /// Fraction of the class that reaches the web origin.
    origin: f64,
}

#[derive(Clone, Copy, Debug)]
struct Query {
    mean: f64,
    m2: f64,
    m3: f64,
    cum: Cumulants,
}

impl Query {
    fn of(d: &Dist, speed: f64) -> Query {
        let cum = Cumulants::of(d, speed);
        let exact = Cumulants::exact(d, speed);
        Query {
            mean: cum.k1,
            m2: cum.k2 + cum.k1 * cum.k1,
            m3: m3_of(exact),
            cum,
        }
    }
}

#[derive(Clone, Debug)]
struct Db {
    colocated: bool,
    vcpus: u32,
    replicas: u32,
    read: Query,
    write: Query,
    max_connections: u32,
}

/// A fluid backlog at a station: jobs beyond its steady state.
#[derive(Clone, Copy, Debug, Default)]
struct Backlog {
    level: f64,
}

/// What a backlog did over one step.
#[derive(Clone, Copy, Debug, Default)]
struct Flow {
    /// Time-average backlog.
    mean: f64,
    /// Jobs refused because the backlog was full.
    refused: f64,
}

impl Backlog {
    /// Advances by `len` seconds with arrivals `lambda`, service `cap` and
    /// room for `room` jobs.
    fn step(&mut self, lambda: f64, cap: f64, room: f64, len: f64) -> Flow {
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

/// A waiting time: probability of a wait, and the mean and squared cv of
/// a wait.
#[derive(Clone, Copy, Debug, Default)]
struct Wait {
    p: f64,
    cond: f64,
    cv2: f64,
}

impl Wait {
    /// An exponential wait with probability `p` and mean `cond`.
    fn new(p: f64, cond: f64) -> Wait {
        Wait { p, cond, cv2: 1.0 }
    }

    fn of(s: &Station) -> Wait {
        Wait::new(s.p_wait, s.cond_wait)
    }

    fn mean(&self) -> f64 {
        self.p * self.cond
    }

    /// The second moment (over all jobs, waiting or not).
    fn m2(&self) -> f64 {
        self.p * (1.0 + self.cv2) * self.cond * self.cond
    }
}

/// Independent waits summed into one with an atom at zero, the same mean
/// and the same variance.
#[derive(Clone, Copy, Debug)]
struct WaitSum {
    none: f64,
    mean: f64,
    var: f64,
}

impl WaitSum {
    fn new() -> Self {
        WaitSum {
            none: 1.0,
            mean: 0.0,
            var: 0.0,
        }
    }

    fn add(&mut self, w: Wait, times: f64) {
        if times <= 0.0 || w.p <= 0.0 {
            return;
        }
        self.none *= (1.0 - w.p.min(1.0)).powf(times);
        self.mean += times * w.mean();
        self.var += times * (w.m2() - w.mean() * w.mean()).max(0.0);
    }

    fn p(&self) -> f64 {
        1.0 - self.none
    }

    fn cond(&self) -> f64 {
        let p = self.p();
        if p > 0.0 { self.mean / p } else { 0.0 }
    }

    /// Squared cv of the sum given that it is positive.
    fn cv2(&self) -> f64 {
        let (p, m) = (self.p(), self.cond());
        if p > 0.0 && m > 0.0 {
            ((self.var + self.mean * self.mean) / p / (m * m) - 1.0).max(0.0)
        } else {
            1.0
        }
    }
}

/// The whole step's result for one web instance and the DB.
#[derive(Clone, Debug, Default)]
struct Step {
    /// Refused at the instance.
    p_drop: f64,
    /// Per class: failed at the DB.
    p_err: Vec<f64>,
    /// Per class: time inside the origin, seconds.
    origin_secs: Vec<f64>,
    /// Per class: combined wait.
    wait: Vec<(f64, f64, f64)>,
    /// Per class: deterministic wait (fluid backlogs), seconds.
    backlog_wait: Vec<f64>,
    /// Busy vCPUs per instance.
    web_busy: f64,
    /// Busy DB servers in total (colocated: vCPUs on queries, whole fleet).
    db_busy: f64,
}

struct Model<'a> {
    s: &'a Scenario,
    classes: Vec<Class>,
    paths: Vec<Path>,
    db: Option<Db>,
    /// Stations the fleet is solved as (1 when pooled).
    instances: f64,
    /// Web instances.
    fleet: f64,
    /// vCPUs per station.
    vcpus: u32,
    workers: u32,
    queue_limit: u32,
    db_servers: f64,
    /// Squared cv of an instance's interarrival times: round robin over
    /// `n` instances hands each every `n`-th arrival (Erlang-`n`, `1 / n`);
    /// a Poisson stream otherwise.
    ca2: f64,
    /// Fluid backlogs: web instance, DB primary, one DB replica.
    web_backlog: Backlog,
    primary_backlog: Backlog,
    replica_backlog: Backlog,
    inner_cache: Option<((i64, i64), Inner)>,
    /// Classes, paths and DB of the web instances throttled to their CPU
    /// credit baseline (standard-mode burstable types), swapped with the
    /// ones in use when the throttle changes.
    throttled_variant: Option<Variant>,
    throttled: bool,
}

/// What depends on the web instances' CPU speed.
type Variant = (Vec<Class>, Vec<Path>, Option<Db>);

/// The CPU credit balance of a burstable web instance (all are alike).
#[derive(Clone, Copy, Debug)]
struct WebCredits {
    /// Credits (vCPU-minutes); negative: surplus owed (unlimited mode).
    balance: f64,
    earn_per_sec: f64,
    max: f64,
    baseline: f64,
    unlimited: bool,
}

/// The same checkpoint as the DES, evaluated per time step with queueing
/// formulas.
///
/// Every field of [`WindowSummary`] has the DES's meaning: counts are
/// expected values after the warm-up, rounded so that `requests = served +
/// dropped + timed_out + errors + throttled + in_flight` holds exactly;
/// latency is over served requests, client view; utilisations are busy
/// shares; the origin figures satisfy Little's law; one timeline row per
/// minute, warm-up included. It approximates the DES's stations in steady
/// state minute by minute (M/G/c by Allen-Cunneen, the worker pool as an
/// M/M/c/K-like birth-death process, fluid backlogs past saturation; see
/// the module documentation and `docs/modeling-notes.md`): exact for
/// M/M/c, M/M/c/K and M/M/c/c stations, close elsewhere, and weakest just
/// past saturation, where the DES's queue is still building.
pub fn evaluate(s: &Scenario, cp: &Checkpoint) -> WindowSummary {
    let mut model = Model::with_credits(s);
    model.run(cp)
}

/// The third raw moment from the cumulants.
fn m3_of(c: Cumulants) -> f64 {
    c.k3 + 3.0 * c.k1 * c.k2 + c.k1 * c.k1 * c.k1
}

/// Squared cv of the M/G/1 wait given a wait, from the service's first
/// three moments (Takacs: `E[W^2] = 2 E[W]^2 + lambda E[S^3] / 3 / (1 -
/// rho)`); used for every FCFS wait as its shape given a wait, with the
/// utilisation `rho` of the servers. 1 for exponential service; at least 1
/// (a lighter wait is left exponential).
fn wait_cv2(rho: f64, m1: f64, m2: f64, m3: f64) -> f64 {
    if m1 <= 0.0 || m2 <= 0.0 || !(0.0..1.0).contains(&rho) {
        return 1.0;
    }
    let a = m2 / (m1 * m1);
    let b = m3 / (m1 * m1 * m1);
    (2.0 * rho - 1.0 + 4.0 * b * (1.0 - rho) / (3.0 * a * a)).max(1.0)
}

/// Squared cv from mean and second moment.
fn cv2(mean: f64, m2: f64) -> f64 {
    if mean > 0.0 {
        (m2 / (mean * mean) - 1.0).max(0.0)
    } else {
        0.0
    }
}

impl<'a> Model<'a> {
    fn new(s: &'a Scenario) -> Self {
        let web_speed = s.web.instance.cpu_speed;
        let db = s.database.as_ref().map(|d| {
            let (colocated, vcpus, speed) = match &d.placement {
                DbPlacement::Colocated => (true, s.web.instance.vcpus, web_speed),
                DbPlacement::Rds(i) => (false, i.vcpus, i.cpu_speed),
            };
            Db {
                colocated,
                vcpus,
                replicas: if colocated { 0 } else { d.read_replicas },
                read: Query::of(&d.read_time, speed),
                write: Query::of(&d.write_time, speed),
                max_connections: d.max_connections,
            }
        });
        let lb = s
            .load_balancer
            .as_ref()
            .map_or(Cumulants::default(), |lb| Cumulants::of(&lb.latency, 1.0));
        let rtt = Cumulants::constant(s.traffic.client_rtt.as_secs_f64());
        let mut classes = Vec::new();
        let mut paths = Vec::new();
        for (k, c) in s.traffic.mix.iter().enumerate() {
            let cpu = Cumulants::of(&c.web_cpu, web_speed);
            let mut service = cpu;
            if let Some(db) = &db {
                service = service
                    .add(db.read.cum.times(f64::from(c.db_reads)))
                    .add(db.write.cum.times(f64::from(c.db_writes)));
            }
            let origin_path = service.add(lb);
            let mut origin = 1.0;
            let mut add = |route: usize, share: f64, cum: Cumulants| {
                if share > 0.0 {
                    paths.push(Path {
                        class: k,
                        route,
                        share,
                        fit: PhaseFit::fit(cum),
                    });
                }
            };
            match (&s.cdn, c.cacheable) {
                (Some(cdn), true) => {
                    let edge = Cumulants::of(&cdn.latency, 1.0);
                    let h = cdn.hit_ratio;
                    add(EDGE_HIT, h, edge);
                    match cdn.static_origin {
                        StaticOrigin::S3 => {
                            add(
                                EDGE_S3,
                                1.0 - h,
                                edge.add(Cumulants::of(&cdn.s3_latency, 1.0)),
                            );
                            origin = 0.0;
                        }
                        StaticOrigin::Web => {
                            add(EDGE_ORIGIN, 1.0 - h, edge.add(origin_path));
                            origin = 1.0 - h;
                        }
                    }
                }
                _ => add(ORIGIN, 1.0, rtt.add(origin_path)),
            }
            classes.push(class_of(c, Cumulants::exact(&c.web_cpu, web_speed), origin));
        }
        // Least outstanding keeps every instance's queue nearly equal: the
        // fleet behaves as one pooled station (a central queue) for waits.
        let pooled = s.web.count > 1
            && s.load_balancer
                .as_ref()
                .is_some_and(|lb| lb.algorithm == LbAlgorithm::LeastOutstanding);
        let pool = if pooled { s.web.count } else { 1 };
        let db_servers = match &db {
            None => 0.0,
            Some(d) if d.colocated => f64::from(s.web.count * s.web.instance.vcpus),
            Some(d) => f64::from((1 + d.replicas) * d.vcpus),
        };
        Model {
            s,
            classes,
            paths,
            db,
            instances: f64::from(s.web.count.max(1) / pool),
            fleet: f64::from(s.web.count.max(1)),
            vcpus: s.web.instance.vcpus.max(1) * pool,
            workers: s.web.workers.max(1).saturating_mul(pool),
            queue_limit: s.web.queue_limit.saturating_mul(pool),
            db_servers,
            ca2: match &s.load_balancer {
                Some(lb) if !pooled && lb.algorithm == LbAlgorithm::RoundRobin => {
                    1.0 / f64::from(s.web.count.max(1))
                }
                _ => 1.0,
            },
            web_backlog: Backlog::default(),
            primary_backlog: Backlog::default(),
            replica_backlog: Backlog::default(),
            inner_cache: None,
            throttled_variant: None,
            throttled: false,
        }
    }

    /// The model, with its throttled variant for a standard-mode
    /// burstable web tier.
    fn with_credits(s: &'a Scenario) -> Self {
        let mut m = Model::new(s);
        if let Some(b) = s
            .web
            .instance
            .burst
            .filter(|b| b.mode == CreditMode::Standard)
        {
            let mut slow = s.clone();
            slow.web.instance.cpu_speed *= b.baseline;
            slow.web.instance.burst = None;
            let v = Model::new(&slow);
            m.throttled_variant = Some((v.classes, v.paths, v.db));
        }
        m
    }

    /// Switches to the throttled (or the full-speed) variant.
    fn throttle(&mut self, on: bool) {
        if on != self.throttled
            && let Some(v) = &mut self.throttled_variant
        {
            std::mem::swap(&mut self.classes, &mut v.0);
            std::mem::swap(&mut self.paths, &mut v.1);
            std::mem::swap(&mut self.db, &mut v.2);
            self.throttled = on;
            self.inner_cache = None;
        }
    }

    /// Solves one step of `len` seconds at origin class rates `rates`
    /// (requests per second over the whole fleet).
    fn step(&mut self, rates: &[f64], len: f64) -> Step {
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
        let (mut err_read, mut err_write) = (0.0, 0.0);
        let (mut read_fluid, mut write_fluid) = (0.0, 0.0);
        // vCPU jobs per request and their service moments.
        let (mut d, mut jobs, mut jobs_m2, mut jobs_m3) = (cpu, 1.0, cpu_m2, cpu_m3);
        if let Some(db) = self.db.clone() {
            if db.colocated {
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
                    (0.0, reads * fleet / replicas)
                };
                let prim_w = writes * fleet;
                let solve =
                    |backlog: &mut Backlog, lr: f64, lw: f64| db_station(&db, backlog, lr, lw, len);
                let (pw, pe, pf, pbusy) = solve(&mut self.primary_backlog, prim_r, prim_w);
                let (rw, re, rf, rbusy) = if db.replicas > 0 {
                    solve(&mut self.replica_backlog, repl_r, 0.0)
                } else {
                    (pw, pe, pf, 0.0)
                };
                read_wait = if db.replicas > 0 { rw } else { pw };
                write_wait = pw;
                err_read = if db.replicas > 0 { re } else { pe };
                err_write = pe;
                read_fluid = if db.replicas > 0 { rf } else { pf };
                write_fluid = pf;
                out.db_busy = pbusy + replicas * rbusy;
            }
        }
        let job_mean = d / jobs;
        let job_cs2 = cv2(job_mean, jobs_m2 / jobs);
        let z = match &self.db {
            Some(db) if !db.colocated => {
                reads * (read_wait.mean() + db.read.mean)
                    + writes * (write_wait.mean() + db.write.mean)
                    + reads * read_fluid
                    + writes * write_fluid
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
        let admitted;
        if open {
            if let Some(st) = queue::mgc(c, lambda * jobs, job_mean, self.ca2, job_cs2) {
                cpu_wait = Wait {
                    cv2: visit_cv2(st.rho),
                    ..Wait::of(&st)
                };
            }
            admitted = lambda;
            self.web_backlog.level = 0.0;
        } else {
            let cap_workers = w.min(1 << 16);
            let (x, q_full) = Inner::full(c, d, z, cap_workers);
            let queue = u64::from(self.queue_limit);
            let room = f64::from(self.queue_limit);
            let fills_fast = room <= (lambda - x).max(0.0) * len * 0.05;
            let stationary = if self.web_backlog.level > 0.0 || (lambda >= x && !fills_fast) {
                None
            } else {
                // Without a DB delay the network is trivial; with one, it is
                // reused while its demands move by less than 0.05%.
                let key = (
                    (d.ln() * 2000.0).round() as i64,
                    (z.ln() * 2000.0).round() as i64,
                );
                let inner = if z <= 0.0 {
                    Inner::new(c, d, 0.0, cap_workers)
                } else {
                    match &self.inner_cache {
                        Some((k, inner))
                            if *k == key && inner.x.len() == cap_workers as usize + 1 =>
                        {
                            inner.clone()
                        }
                        _ => {
                            let inner = Inner::new(c, d, z, cap_workers);
                            self.inner_cache = Some((key, inner.clone()));
                            inner
                        }
                    }
                };
                queue::instance(&inner, c, lambda, queue)
            };
            // The holding time's squared cv, for the wait for a worker.
            let (h1, h2, h3) = inner_hold(&self.classes, &f, self.db.as_ref());
            let hold = cv2(h1, h2);
            match stationary {
                Some(bd) => {
                    let adm = lambda * (1.0 - bd.p_block);
                    out.p_drop = bd.p_block;
                    admitted = adm;
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
                    let refused = flow.refused / len;
                    out.p_drop = (refused / lambda).clamp(0.0, 1.0);
                    admitted = lambda - refused;
                    backlog_wait = flow.mean / x;
                    if q_full > 0.0 {
                        let mean = q_full * f_cpu / (x * jobs);
                        cpu_wait = Wait::new(1.0, mean);
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
        for (k, cl) in self.classes.iter().enumerate() {
            let mut ws = WaitSum::new();
            ws.add(outer, 1.0);
            ws.add(cpu_wait, 1.0);
            if colocated {
                ws.add(query_wait, cl.reads + cl.writes);
            }
            if cut_in > 0.0
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
            if !colocated {
                ws.add(read_wait, cl.reads);
                ws.add(write_wait, cl.writes);
            }
            let fluid = backlog_wait + cl.reads * read_fluid + cl.writes * write_fluid;
            out.backlog_wait[k] = fluid;
            out.wait[k] = (ws.p(), ws.cond(), ws.cv2());
            out.origin_secs[k] = self.bare_secs(cl) + ws.mean + fluid;
            out.p_err[k] =
                1.0 - (1.0 - err_read).powf(cl.reads) * (1.0 - err_write).powf(cl.writes);
        }
        out
    }

    /// Service time inside the origin without any wait.
    fn bare_secs(&self, c: &Class) -> f64 {
        let db = self
            .db
            .as_ref()
            .map_or(0.0, |d| c.reads * d.read.mean + c.writes * d.write.mean);
        c.cpu + db
    }

    fn run(&mut self, cp: &Checkpoint) -> WindowSummary {
        let s = self.s;
        let profile = RateProfile::new(s, cp);
        // Burstable web instances: the balance moves minute by minute with
        // the busy vCPUs; a standard-mode instance whose balance is spent
        // runs the next minute at its baseline share.
        let mut credits = s.web.instance.burst.map(|b| {
            let work = StationWork::of(s);
            WebCredits {
                balance: b.initial_balance(
                    s.web.instance.vcpus,
                    cp.start,
                    work.demand(s, cp, work.web),
                ),
                earn_per_sec: b.credits_per_hour / 3600.0,
                max: b.max_credits,
                baseline: b.baseline,
                unlimited: b.mode == CreditMode::Unlimited,
            }
        });
        let mut owed_at_measure: Option<f64> = None;
        let window_ns = cp.window.as_nanos();
        let n_minutes = window_ns.div_ceil(MINUTE_NS) as usize;
        let end = window_ns as f64 / 1e9;
        let measure_from = cp.warmup.as_nanos().min(window_ns) as f64 / 1e9;
        let measured_secs = end - measure_from;
        let timeout = s.web.timeout.as_secs_f64();
        let n_cls = self.classes.len();
        let n_paths = self.paths.len();

        let mut arrived = vec![[0.0f64; ROUTES]; n_cls];
        let mut served_cells = vec![[0.0f64; ROUTES]; n_cls];
        let (mut served, mut dropped, mut timed_out, mut errors, mut in_flight) =
            (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut requests = 0.0;
        let mut latency_sum = 0.0;
        let (mut web_area, mut db_area) = (0.0, 0.0);
        let (mut busy_area, mut throttled_area) = (0.0, 0.0);
        let (mut origin_done, mut origin_secs_sum) = (0.0, 0.0);
        let mut window_mix: Vec<Mixture> = vec![Mixture::default(); n_paths];
        let mut timeline = Vec::with_capacity(n_minutes);
        let mut prev: Option<(Parts, Option<Latency>)> = None;
        // Least and greatest p50, p95, p99 over the measured minutes, seconds.
        let mut minute_brackets = [(f64::INFINITY, f64::NEG_INFINITY); 3];
        let mut responses: Vec<(f64, Response)> = Vec::with_capacity(n_paths);
        let mut rates = vec![0.0; n_cls];
        let mut origin_rates = vec![0.0; n_cls];
        let intervals = Intervals::new(
            cp.start + cp.warmup,
            cp.start + cp.window,
            s.simulation.slo.over.every(),
        );
        let mut slots = (intervals.len() > 1).then(|| slo::Slots::new(intervals, cp.start));

        for m in 0..n_minutes {
            let t0_ns = m as u64 * MINUTE_NS;
            let t1_ns = ((m as u64 + 1) * MINUTE_NS).min(window_ns);
            let len_ns = t1_ns - t0_ns;
            let len = len_ns as f64 / 1e9;
            let (t0, t1) = (t0_ns as f64 / 1e9, t1_ns as f64 / 1e9);
            // Mean offered rate over the minute.
            let rate = (0..RATE_SAMPLES)
                .map(|i| {
                    let at = cp.start.0 + t0_ns + (2 * i + 1) * len_ns / (2 * RATE_SAMPLES);
                    profile.rate(SimTime(at))
                })
                .sum::<f64>()
                / RATE_SAMPLES as f64;
            for (k, c) in self.classes.iter().enumerate() {
                rates[k] = rate * c.share;
                origin_rates[k] = rates[k] * c.origin;
            }
            if let Some(c) = &credits {
                self.throttle(!c.unlimited && c.balance <= 0.0);
                if owed_at_measure.is_none() && t0 >= measure_from {
                    owed_at_measure = Some((-c.balance).max(0.0));
                }
            }
            let step = self.step(&origin_rates, len);
            if let Some(c) = &mut credits {
                // Busy vCPUs of one instance, spending their speed share.
                let busy = step.web_busy * f64::from(s.web.instance.vcpus) / f64::from(self.vcpus);
                let share = if self.throttled { c.baseline } else { 1.0 };
                let b = (c.balance + (c.earn_per_sec - busy * share / 60.0) * len).min(c.max);
                c.balance = if c.unlimited { b } else { b.max(0.0) };
            }
            let measured = ((t1 - measure_from.max(t0)) / len).clamp(0.0, 1.0);
            let near_end = |r: &Response| t1 + r.upper() > end && r.cdf(end - t1) < 1.0 - 1e-12;

            responses.clear();
            let mut slot = slots
                .as_mut()
                .filter(|_| measured > 0.0)
                .map(|sl| sl.at(measure_from.max(t0), t1));
            let (mut m_arr, mut m_served, mut m_other) = (0.0, 0.0, 0.0);
            for (pi, path) in self.paths.iter().enumerate() {
                let k = path.class;
                let a = rates[k] * path.share * len;
                let origin = path.route == EDGE_ORIGIN || path.route == ORIGIN;
                let (p_drop, p_err, resp) = if origin {
                    let (p, cond, cv2) = step.wait[k];
                    (
                        step.p_drop,
                        step.p_err[k],
                        Response::new(&path.fit, step.backlog_wait[k], p, cond, cv2),
                    )
                } else {
                    (0.0, 0.0, Response::new(&path.fit, 0.0, 0.0, 0.0, 1.0))
                };
                let answered = a * (1.0 - p_drop) * (1.0 - p_err);
                let f_timeout = resp.cdf(timeout);
                // Fates by arrival time within the minute (in flight at the end).
                let (fs, ft, fi) = if near_end(&resp) {
                    let n = 8;
                    let (mut fs, mut ft, mut fi) = (0.0, 0.0, 0.0);
                    for i in 0..n {
                        let t = t0 + len * (i as f64 + 0.5) / n as f64;
                        let left = end - t;
                        let f_end = resp.cdf(left);
                        fs += resp.cdf(left.min(timeout));
                        ft += (f_end - f_timeout).max(0.0);
                        fi += 1.0 - f_end;
                    }
                    (fs / n as f64, ft / n as f64, fi / n as f64)
                } else {
                    (f_timeout, 1.0 - f_timeout, 0.0)
                };
                let sv = answered * fs;
                m_arr += a;
                m_served += sv;
                m_other += a - answered + answered * ft;
                responses.push((sv, resp));
                if measured > 0.0 {
                    let am = a * measured;
                    requests += am;
                    arrived[k][path.route] += am;
                    served_cells[k][path.route] += sv * measured;
                    served += sv * measured;
                    timed_out += answered * ft * measured;
                    in_flight += answered * fi * measured;
                    dropped += a * p_drop * measured;
                    errors += a * (1.0 - p_drop) * p_err * measured;
                    latency_sum += sv * measured * resp.truncated_mean(timeout);
                    window_mix[pi].push(sv * measured, resp, timeout, MERGE_TOL);
                    if let Some(sl) = slot.as_deref_mut() {
                        sl.requests += am;
                        sl.served += sv * measured;
                        sl.timed_out += answered * ft * measured;
                        sl.dropped += a * p_drop * measured;
                        sl.errors += a * (1.0 - p_drop) * p_err * measured;
                        sl.latency_sum += sv * measured * resp.truncated_mean(timeout);
                        sl.served_like(sv * measured, resp, timeout);
                    }
                    if origin {
                        let adm = a * (1.0 - p_drop) * (1.0 - fi) * measured;
                        origin_done += adm;
                        origin_secs_sum += adm * step.origin_secs[k];
                    }
                }
            }
            // Work done over capacity at full speed, as CloudWatch shows it.
            let speed = match &credits {
                Some(c) if self.throttled => c.baseline,
                _ => 1.0,
            };
            let web_util = step.web_busy * speed / f64::from(self.vcpus);
            let db_util = if self.db_servers > 0.0 {
                step.db_busy / self.db_servers
            } else {
                0.0
            };
            if measured > 0.0 {
                busy_area += step.web_busy * len * measured;
                if self.throttled {
                    throttled_area += step.web_busy * len * measured;
                }
                web_area += web_util * len * measured;
                db_area += db_util * len * measured;
            }
            if let Some(sl) = slot.as_deref_mut() {
                sl.web_area += web_util * len * measured;
                sl.db_area += db_util * len * measured;
            }
            // The minute's latency (reused when nothing changed).
            let latency = match &prev {
                Some((r, l)) if *r == responses => *l,
                _ => {
                    let hint = prev.as_ref().and_then(|p| p.1);
                    let l = minute_latency(&responses, timeout, hint);
                    prev = Some((responses.clone(), l));
                    l
                }
            };
            if let (Some(l), Some(sl)) = (latency, slot) {
                sl.minute(l);
            }
            if let (Some(l), true) = (latency, measured > 0.0) {
                for (b, q) in minute_brackets
                    .iter_mut()
                    .zip([l.p50_ms, l.p95_ms, l.p99_ms])
                {
                    *b = (b.0.min(q / 1e3), b.1.max(q / 1e3));
                }
            }
            timeline.push(MinuteRow {
                minute: m as u64,
                offered_rps: m_arr / len,
                served_rps: m_served / len,
                error_rps: m_other / len,
                latency,
                web_instances: self.fleet,
                web_util,
                db_util,
                web_cpu_credits: credits.map(|c| c.balance),
                db_cpu_credits: None,
            });
        }

        // Integer counts that add up exactly.
        let total = requests.round();
        let fates = apportion(&[served, dropped, timed_out, errors, 0.0, in_flight], total);
        let counts = Counts {
            requests: total as u64,
            served: fates[0],
            dropped: fates[1],
            timed_out: fates[2],
            errors: fates[3],
            throttled: fates[4],
        };
        let routes = RouteCounts {
            arrived: apportion_cells(&arrived, counts.requests),
            served: apportion_cells(&served_cells, counts.served),
        };
        let mut all = Mixture::default();
        for mix in window_mix {
            all.extend(mix);
        }
        let latency = if served > 0.0 && !all.is_empty() {
            // Each quantile of the day lies between the least and the
            // greatest of the minutes' (a mixture's quantile is bounded by
            // its parts'), a tight start for the root finder.
            // (The minutes' own quantiles are to 1e-3: widen by 2e-3.)
            let brackets = minute_brackets.map(|(lo, hi)| (lo * (1.0 - 2e-3), hi * (1.0 + 2e-3)));
            let [p50, p95, p99] = all.quantiles_within(
                [0.5, 0.95, 0.99],
                timeout,
                1e-7,
                (brackets[0].0 <= brackets[0].1).then_some(brackets),
            );
            Latency {
                mean_ms: latency_sum / served * 1e3,
                p50_ms: p50 * 1e3,
                p95_ms: p95 * 1e3,
                p99_ms: p99 * 1e3,
            }
        } else {
            Latency::default()
        };
        let origin_admitted = origin_done.round() as u64;
        let mean_origin_secs = if origin_done > 0.0 {
            origin_secs_sum / origin_done
        } else {
            0.0
        };
        let share = |area: f64| {
            if measured_secs > 0.0 {
                area / measured_secs
            } else {
                0.0
            }
        };
        let finished = served + dropped + timed_out + errors;
        let availability = if finished > 0.0 {
            served / finished
        } else {
            1.0
        };
        let intervals = match slots {
            Some(sl) => sl.finish(timeout),
            None => vec![IntervalSummary {
                start: cp.start + cp.warmup,
                secs: measured_secs,
                counts,
                availability,
                latency,
                p99_bounds: (latency.p99_ms, latency.p99_ms),
                offered_rps: if measured_secs > 0.0 {
                    requests / measured_secs
                } else {
                    0.0
                },
                web_util: share(web_area),
                db_util: share(db_area),
            }],
        };
        WindowSummary {
            intervals,
            web_throttled: if busy_area > 0.0 {
                throttled_area / busy_area
            } else {
                0.0
            },
            counts,
            routes,
            latency,
            measured_secs,
            web_instances_mean: self.fleet,
            web_instances_max: self.fleet as u32,
            web_util: share(web_area),
            db_util: share(db_area),
            mean_in_origin: if measured_secs > 0.0 {
                origin_admitted as f64 / measured_secs * mean_origin_secs
            } else {
                0.0
            },
            mean_origin_secs,
            origin_admitted,
            in_transit: 0,
            surplus_credits: credits.map_or(0.0, |c| {
                ((-c.balance).max(0.0) - owed_at_measure.unwrap_or(0.0)).max(0.0)
            }),
            db_surplus_credits: 0.0,
            timeline,
        }
    }
}

fn class_of(c: &RequestClass, cpu: Cumulants, origin: f64) -> Class {
    Class {
        share: c.share,
        cpu: cpu.k1,
        cpu_m2: cpu.k2 + cpu.k1 * cpu.k1,
        cpu_m3: m3_of(cpu),
        cpu_k3: cpu.k3,
        reads: f64::from(c.db_reads),
        writes: f64::from(c.db_writes),
        origin,
    }
}

/// Mean length of the visits of `c` that a query follows (its CPU burst and
/// every query but the last), seconds; 0 without queries.
fn prev_visits(c: &Class, db: Option<&Db>) -> f64 {
    let Some(d) = db else { return 0.0 };
    let queries = c.reads * d.read.mean + c.writes * d.write.mean;
    let last = if c.writes > 0.0 {
        d.write.mean
    } else if c.reads > 0.0 {
        d.read.mean
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
                .add(d.read.cum.times(c.reads))
                .add(d.write.cum.times(c.writes));
        }
        m1 += f * cum.k1;
        m2 += f * (cum.k2 + cum.k1 * cum.k1);
        m3 += f * m3_of(cum);
    }
    (m1, m2, m3)
}

/// One RDS station for a step: reads at `lr` and writes at `lw` per second.
/// Returns its wait, the probability that a query fails on
/// `max_connections`, the mean fluid wait, and its busy servers.
fn db_station(db: &Db, backlog: &mut Backlog, lr: f64, lw: f64, len: f64) -> (Wait, f64, f64, f64) {
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
    let room = f64::from(db.max_connections.saturating_sub(c));
    if backlog.level <= 0.0
        && let Some(st) = queue::mgc(c, l, mean, 1.0, cv2(mean, m2))
    {
        let err = queue::mmc_at_least(c, l * mean, db.max_connections);
        let wait = Wait {
            cv2: wait_cv2(st.rho, mean, m2, m3),
            ..Wait::of(&st)
        };
        return (wait, err, 0.0, l * mean);
    }
    let flow = backlog.step(l, cap, room, len);
    let err = (flow.refused / len / l).clamp(0.0, 1.0);
    (Wait::new(1.0, mean), err, flow.mean / cap, f64::from(c))
}

/// Latency of one minute's served requests, `None` if hardly any.
/// The latency of one minute's served requests. Percentiles are to 0.1%
/// (the DES's per-minute histograms keep two digits), starting from a
/// bracket around the previous minute's, which moves little from one minute
/// to the next.
fn minute_latency(
    parts: &[(f64, Response)],
    timeout: f64,
    hint: Option<Latency>,
) -> Option<Latency> {
    let total: f64 = parts.iter().map(|p| p.0).sum();
    if total < 0.5 {
        return None;
    }
    let mut mix = Mixture::default();
    let mut sum = 0.0;
    for (w, r) in parts {
        mix.push(*w, *r, timeout, 0.0);
        sum += w * r.truncated_mean(timeout);
    }
    let brackets =
        hint.map(|h| [h.p50_ms, h.p95_ms, h.p99_ms].map(|q| (q / 1e3 * 0.99, q / 1e3 * 1.01)));
    let [p50, p95, p99] = mix.quantiles_within([0.5, 0.95, 0.99], timeout, 1e-3, brackets);
    Some(Latency {
        mean_ms: sum / total * 1e3,
        p50_ms: p50 * 1e3,
        p95_ms: p95 * 1e3,
        p99_ms: p99 * 1e3,
    })
}

/// Integers that sum to `total`, nearest to `xs` (largest remainder).
fn apportion(xs: &[f64], total: f64) -> Vec<u64> {
    let sum: f64 = xs.iter().sum();
    let scale = if sum > 0.0 { total / sum } else { 0.0 };
    let mut out: Vec<u64> = xs.iter().map(|x| (x * scale).floor() as u64).collect();
    let given: u64 = out.iter().sum();
    let mut rest = (total as u64).saturating_sub(given);
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = xs[a] * scale - (xs[a] * scale).floor();
        let fb = xs[b] * scale - (xs[b] * scale).floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for i in order {
        if rest == 0 {
            break;
        }
        if xs[i] > 0.0 {
            out[i] += 1;
            rest -= 1;
        }
    }
    out
}

fn apportion_cells(cells: &[[f64; ROUTES]], total: u64) -> Vec<[u64; ROUTES]> {
    let flat: Vec<f64> = cells.iter().flatten().copied().collect();
    let ints = apportion(&flat, total as f64);
    ints.chunks(ROUTES)
        .map(|c| {
            let mut a = [0u64; ROUTES];
            a.copy_from_slice(c);
            a
        })
        .collect()
}
