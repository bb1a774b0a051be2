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

mod dbcap;
mod dist;
mod fleet;
mod queue;
mod range;
mod serverless;
mod slo;
mod step;
mod wait;
mod window;

pub use range::outside_validated_range;
pub use serverless::cold_fraction;

use crate::metrics::WindowSummary;
use crate::route::Route;
use crate::spec::{
    Burst, Checkpoint, CreditBalance, CreditMode, Curve, DbPlacement, Dist, LbAlgorithm,
    RequestClass, Scenario, Scheduling, StaticOrigin, StationWork, occupancy_of,
};
use crate::time::{NANOS_PER_SEC, SimTime};
use dist::{Cumulants, PhaseFit, Response};
use queue::Inner;
use serverless::SlFluid;
use step::Backlog;

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
    route: Route,
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
    /// vCPUs of the primary (of a web instance when colocated), of one
    /// read replica (its own class's).
    vcpus: u32,
    replica_vcpus: u32,
    replicas: u32,
    /// A read on the primary (or colocated), on a read replica; a write.
    read: Query,
    replica_read: Query,
    write: Query,
    /// Connections the primary accepts, and one replica.
    max_connections: u32,
    replica_max_connections: u32,
    /// `read_after_write = "primary"`: a class that writes reads there too.
    reads_follow_writes: bool,
}

/// One RDS server as a step solves it: its vCPUs and query times.
#[derive(Clone, Copy, Debug)]
struct Server {
    vcpus: u32,
    read: Query,
    write: Query,
}

impl Db {
    /// The primary (or the colocated database).
    fn primary(&self) -> Server {
        Server {
            vcpus: self.vcpus,
            read: self.read,
            write: self.write,
        }
    }

    /// One read replica.
    fn replica(&self) -> Server {
        Server {
            vcpus: self.replica_vcpus,
            read: self.replica_read,
            write: self.write,
        }
    }

    /// A read of a class with `writes` writes a request, where it runs: on
    /// a replica when there is one (and `read_after_write` keeps it there),
    /// else on the primary.
    fn read_of(&self, writes: f64) -> &Query {
        if self.colocated || self.replicas == 0 || (self.reads_follow_writes && writes > 0.0) {
            &self.read
        } else {
            &self.replica_read
        }
    }
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
    /// Which stations run at their CPU credit baseline now.
    throttle: Throttle,
    /// Classes, paths and DB for the other throttle states (standard-mode
    /// burstable types), built when first needed and swapped with the ones
    /// in use when the throttle changes.
    variants: std::collections::BTreeMap<(usize, Stretch), Variant>,
    /// The web vCPUs' and the RDS servers' throughput curves (the read
    /// replicas' when their class is not the primary's).
    web_curve: Curve,
    db_curve: Option<Curve>,
    replica_curve: Option<Curve>,
    /// Processor sharing at the web vCPUs.
    web_ps: bool,
    /// Work per offered request at each station (for the stretch).
    work: StationWork,
    /// The stretch of services in force: web, the RDS primary and the read
    /// replicas, as `round(200 ln k)`.
    stretch: Stretch,
    /// The same stations once every server is busy (`None` for a linear
    /// curve, or past capacity).
    full: [Option<queue::Full>; 3],
    /// The web station's vCPUs' work per second with `m` busy, `m` from 0
    /// to all, over the instances pooled into it (`None` for a linear
    /// curve).
    web_throughput: Option<Vec<f64>>,
    /// Instances pooled into the web station (1 unless least outstanding).
    web_pool: f64,
    /// Read replicas up, when faults have taken some down.
    replicas_up: Option<u32>,
    /// The serverless path, if any.
    serverless: Option<SlFluid>,
    /// With a working set: the share of reads that miss the cache and the
    /// volume, of the primary (or colocated) and of one replica.
    volumes: Option<dbcap::Volumes>,
}

/// What depends on the stations' CPU speed.
type Variant = (Vec<Class>, Vec<Path>, Option<Db>);

/// Services stretched by the Universal Scalability Law, as `round(200 ln
/// k)`: web, RDS primary, read replicas.
type Stretch = (i32, i32, i32);

/// Which burstable stations run at their credit baseline share of full
/// speed (standard mode, balance spent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Throttle {
    /// Every web instance (all are alike; a colocated DB with them).
    web: bool,
    /// The RDS primary.
    primary: bool,
    /// Every read replica (all are alike).
    replica: bool,
}

impl Throttle {
    fn index(self) -> usize {
        usize::from(self.web) | usize::from(self.primary) << 1 | usize::from(self.replica) << 2
    }
}

/// The CPU credit balance of a burstable station (one web instance, the DB
/// primary, or one read replica: alike stations are one balance).
#[derive(Clone, Copy, Debug)]
struct Credits {
    /// Credits (vCPU-minutes), earned and launch; negative: surplus owed
    /// (unlimited mode).
    credits: CreditBalance,
    earn_per_sec: f64,
    max: f64,
    baseline: f64,
    unlimited: bool,
    /// What is owed at the warm-up's end (unlimited mode).
    owed_at_measure: Option<f64>,
}

impl Credits {
    /// A station of `vcpus` with `burst`, whose expected busy vCPUs at a
    /// time of day are `demand`: it starts the window with the DES's balance.
    fn new(b: &Burst, vcpus: u32, cp: &Checkpoint, demand: impl Fn(SimTime) -> f64) -> Self {
        Credits {
            credits: b.initial_balance(vcpus, cp.start, demand),
            earn_per_sec: b.credits_per_hour / 3600.0,
            max: b.max_credits,
            baseline: b.baseline,
            unlimited: b.mode == CreditMode::Unlimited,
            owed_at_measure: None,
        }
    }

    /// Earned and launch credits together.
    fn balance(&self) -> f64 {
        self.credits.total()
    }

    /// Whether the station runs at its baseline share (standard mode, spent).
    fn throttled(&self) -> bool {
        !self.unlimited && self.balance() <= 0.0
    }

    /// Notes the balance at the start of the measured part of the window.
    fn mark(&mut self) {
        if self.owed_at_measure.is_none() {
            self.owed_at_measure = Some((-self.balance()).max(0.0));
        }
    }

    /// Moves the balance over `len` seconds of `busy` vCPUs, each spending
    /// its speed share (1, or the baseline while throttled).
    fn spend(&mut self, busy: f64, throttled: bool, len: f64) {
        let share = if throttled { self.baseline } else { 1.0 };
        let floor = if self.unlimited {
            f64::NEG_INFINITY
        } else {
            0.0
        };
        self.credits =
            self.credits
                .advance(self.earn_per_sec, busy * share / 60.0, len, self.max, floor);
    }

    /// Surplus credits run up after the warm-up and still owed at the end.
    fn surplus(&self) -> f64 {
        ((-self.balance()).max(0.0) - self.owed_at_measure.unwrap_or(0.0)).max(0.0)
    }
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
    let mut model = Model::new(s);
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
        let (classes, paths, db) = Model::variant(s, Throttle::default(), (0, 0, 0));
        let db_servers = match &db {
            Some(d) if !d.colocated => f64::from(d.vcpus + d.replicas * d.replica_vcpus),
            // A colocated DB's servers are the fleet's vCPUs (`set_fleet`).
            _ => 0.0,
        };
        let mut model = Model {
            s,
            classes,
            paths,
            db,
            // The fleet's shape, set below.
            instances: 0.0,
            fleet: f64::NAN,
            vcpus: 0,
            workers: 0,
            queue_limit: 0,
            db_servers,
            ca2: 1.0,
            volumes: s.database.as_ref().and_then(dbcap::volumes),
            web_backlog: Backlog::default(),
            primary_backlog: Backlog::default(),
            replica_backlog: Backlog::default(),
            inner_cache: None,
            throttle: Throttle::default(),
            variants: Default::default(),
            web_curve: s.web.instance.curve(s.web.scaling),
            db_curve: s.database.as_ref().and_then(|d| match &d.placement {
                DbPlacement::Rds(i) => Some(i.curve(d.scaling)),
                DbPlacement::Colocated => None,
            }),
            replica_curve: s
                .database
                .as_ref()
                .and_then(|d| d.distinct_replica_class().map(|r| r.curve(d.scaling))),
            web_ps: s.web.cpu_scheduling == Scheduling::ProcessorSharing,
            work: StationWork::of(s),
            stretch: (0, 0, 0),
            full: [None; 3],
            web_throughput: None,
            web_pool: 1.0,
            replicas_up: None,
            serverless: s.serverless.as_ref().map(SlFluid::new),
        };
        model.set_fleet(f64::from(s.web.count.max(1)));
        model
    }

    /// Solves the next steps with `n` web instances alive and routed to
    /// (the fleet as a per-minute input: auto scaling, faults). Least
    /// outstanding keeps every instance's queue nearly equal: the fleet
    /// behaves as one pooled station (a central queue) for waits; round
    /// robin hands each instance every `n`-th arrival.
    fn set_fleet(&mut self, n: f64) {
        let s = self.s;
        let n = n.max(1e-3);
        if (n - self.fleet).abs() < 1e-12 {
            return;
        }
        let whole = n.round().max(1.0) as u32;
        let pooled = whole > 1
            && s.load_balancer
                .as_ref()
                .is_some_and(|lb| lb.algorithm == LbAlgorithm::LeastOutstanding);
        let pool = if pooled { whole } else { 1 };
        self.instances = if pooled { 1.0 } else { n };
        self.fleet = n;
        self.vcpus = s.web.instance.vcpus.max(1) * pool;
        self.web_pool = f64::from(pool);
        self.web_throughput = pooled_throughput(&self.web_curve, pool);
        self.workers = s.web.workers.max(1).saturating_mul(pool);
        self.queue_limit = s.web.queue_limit.saturating_mul(pool);
        if let Some(d) = &self.db
            && d.colocated
        {
            self.db_servers = n * f64::from(s.web.instance.vcpus);
        }
        self.ca2 = match &s.load_balancer {
            Some(lb) if !pooled && lb.algorithm == LbAlgorithm::RoundRobin => 1.0 / n.max(1.0),
            _ => 1.0,
        };
        self.inner_cache = None;
    }

    /// Classes, paths and DB with the stations of `t` at their credit
    /// baseline share of full speed, and every service stretched by
    /// `exp(stretch / 200)` (web, RDS primary, read replicas): see
    /// [`Curve::stretch`].
    fn variant(s: &Scenario, t: Throttle, stretch: Stretch) -> Variant {
        let share = |burst: Option<Burst>, on: bool| match burst {
            Some(b) if on && b.mode == CreditMode::Standard => b.baseline,
            _ => 1.0,
        };
        let (kw, kd, kr) = (
            (f64::from(stretch.0) / 200.0).exp(),
            (f64::from(stretch.1) / 200.0).exp(),
            (f64::from(stretch.2) / 200.0).exp(),
        );
        let web_speed = s.web.instance.cpu_speed * share(s.web.instance.burst, t.web) / kw;
        let db = s.database.as_ref().map(|d| {
            let (colocated, vcpus, replica_vcpus, speed, replica_speed) = match &d.placement {
                DbPlacement::Colocated => (
                    true,
                    s.web.instance.vcpus,
                    s.web.instance.vcpus,
                    web_speed,
                    web_speed,
                ),
                DbPlacement::Rds(i) => {
                    // Each server on its own class: the primary's, the replicas'.
                    let r = d.replica_class().unwrap_or(i);
                    (
                        false,
                        i.vcpus,
                        r.vcpus,
                        i.cpu_speed * share(i.burst, t.primary) / kd,
                        r.cpu_speed * share(r.burst, t.replica) / kr,
                    )
                }
            };
            Db {
                colocated,
                vcpus,
                replica_vcpus,
                replicas: if colocated { 0 } else { d.read_replicas },
                read: Query::of(&d.read_time, speed),
                replica_read: Query::of(&d.read_time, replica_speed),
                write: Query::of(&d.write_time, speed),
                max_connections: d.max_connections,
                replica_max_connections: d.replica_max_connections(),
                reads_follow_writes: d.read_after_write == crate::spec::ReadAfterWrite::Primary,
            }
        });
        let lb = s
            .load_balancer
            .as_ref()
            .map_or(Cumulants::default(), |lb| Cumulants::of(&lb.latency, 1.0));
        let rtt = Cumulants::constant(s.traffic.client_rtt.as_secs_f64());
        // The serverless path's share of every class, and its delays.
        let sh = s.serverless_share();
        let ec2 = 1.0 - sh;
        let sl_path = s.serverless.as_ref().map(|sl| {
            let d = &sl.dynamodb;
            rtt.add(Cumulants::of(&sl.api_gateway.latency, 1.0))
                .add(Cumulants::of(&sl.lambda.duration, 1.0))
                .add(Cumulants::of(&d.latency, 1.0).times(f64::from(d.calls())))
        });
        let mut classes = Vec::new();
        let mut paths = Vec::new();
        for (k, c) in s.traffic.mix.iter().enumerate() {
            let cpu = Cumulants::of(&c.web_cpu, web_speed);
            let mut service = cpu;
            if let Some(db) = &db {
                service = service
                    .add(
                        db.read_of(f64::from(c.db_writes))
                            .cum
                            .times(f64::from(c.db_reads)),
                    )
                    .add(db.write.cum.times(f64::from(c.db_writes)));
            }
            let origin_path = service.add(lb);
            let mut origin = 1.0;
            let mut add = |route: Route, share: f64, cum: Cumulants| {
                let share = if route == Route::Serverless {
                    share
                } else {
                    share * ec2
                };
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
                    add(Route::EdgeHit, h, edge);
                    match cdn.static_origin {
                        StaticOrigin::S3 => {
                            add(
                                Route::EdgeS3,
                                1.0 - h,
                                edge.add(Cumulants::of(&cdn.s3_latency, 1.0)),
                            );
                            origin = 0.0;
                        }
                        StaticOrigin::Web => {
                            add(Route::EdgeOrigin, 1.0 - h, edge.add(origin_path));
                            origin = 1.0 - h;
                        }
                    }
                }
                _ => add(Route::Origin, 1.0, rtt.add(origin_path)),
            }
            if let Some(cum) = sl_path {
                add(Route::Serverless, sh, cum);
            }
            let origin = origin * ec2;
            classes.push(class_of(c, Cumulants::exact(&c.web_cpu, web_speed), origin));
        }
        (classes, paths, db)
    }

    /// Switches the stations of `t` to their baseline speed, the others to
    /// full speed, with the services stretched by `stretch`.
    fn set_variant(&mut self, t: Throttle, stretch: Stretch) {
        if t == self.throttle && stretch == self.stretch {
            return;
        }
        let key = (t.index(), stretch);
        let next = self
            .variants
            .remove(&key)
            .unwrap_or_else(|| Model::variant(self.s, t, stretch));
        let (classes, paths, db) = next;
        let old = (
            std::mem::replace(&mut self.classes, classes),
            std::mem::replace(&mut self.paths, paths),
            std::mem::replace(&mut self.db, db),
        );
        self.variants
            .insert((self.throttle.index(), self.stretch), old);
        self.throttle = t;
        self.stretch = stretch;
        self.inner_cache = None;
    }

    /// The stretch of the web and RDS services at `rate` offered requests
    /// per second (see [`Curve::stretch`]), as `round(200 ln k)`: a
    /// saturated station runs every thread, stretched by servers over
    /// capacity. Alike RDS servers take the busier one's; read replicas of
    /// a class of their own are stretched on their own curve.
    fn stretch_at(&self, rate: f64) -> Stretch {
        // Saturated, a station runs every thread: servers over capacity.
        let log_key = |stretch: Option<f64>, servers: u32, capacity: f64| {
            let k = stretch.unwrap_or(f64::from(servers) / capacity.max(1e-12));
            (k.max(1e-3).ln() * 200.0).round() as i32
        };
        let key =
            |curve: &Curve, a: f64| log_key(curve.stretch(a), curve.servers, curve.capacity());
        let web = self.web_throughput.as_deref().map_or(0, |t| {
            let servers = t.len() as u32 - 1;
            let occupancy = table_occupancy(t, rate * self.work.web * self.web_pool);
            log_key(occupancy.map(|o| o.0), servers, t[servers as usize])
        });
        let (primary, replica) = match (&self.db_curve, &self.replica_curve) {
            (Some(p), Some(r)) => (
                key(p, rate * self.work.primary),
                key(r, rate * self.work.replica),
            ),
            (Some(c), None) => {
                let k = key(c, rate * self.work.primary.max(self.work.replica));
                (k, k)
            }
            _ => (0, 0),
        };
        (web, primary, replica)
    }

    /// The stations of the web tier and RDS once every server is busy, at
    /// `rate` offered requests per second with `stretch` in force (see
    /// [`queue::mgc_full`]); `None` for linear curves.
    fn full_at(&self, rate: f64, stretch: Stretch) -> [Option<queue::Full>; 3] {
        let full = |curve: &Curve, a: f64, k: i32| {
            if curve.is_linear() {
                return None;
            }
            let (_, p_wait) = curve.occupancy(a)?;
            Some(queue::Full {
                p_wait,
                servers: curve.capacity() * (f64::from(k) / 200.0).exp(),
            })
        };
        // The web station on its table: a pooled fleet (least outstanding)
        // is one station of every instance's vCPUs, full at their capacity
        // together.
        let web = self.web_throughput.as_deref().and_then(|t| {
            let (_, p_wait) = table_occupancy(t, rate * self.work.web * self.web_pool)?;
            Some(queue::Full {
                p_wait,
                servers: t[t.len() - 1] * (f64::from(stretch.0) / 200.0).exp(),
            })
        });
        let (primary, replica) = match (&self.db_curve, &self.replica_curve) {
            (Some(p), Some(r)) => (
                full(p, rate * self.work.primary, stretch.1),
                full(r, rate * self.work.replica, stretch.2),
            ),
            (Some(c), None) => (
                full(c, rate * self.work.primary, stretch.1),
                full(c, rate * self.work.replica, stretch.2),
            ),
            _ => (None, None),
        };
        [web, primary, replica]
    }

    /// Service time inside the origin without any wait.
    fn bare_secs(&self, c: &Class) -> f64 {
        let db = self.db.as_ref().map_or(0.0, |d| {
            c.reads * d.read_of(c.writes).mean + c.writes * d.write.mean
        });
        c.cpu + db
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

/// [`Curve::occupancy`] of the station whose work per second with `n` busy
/// is `t[n]`.
fn table_occupancy(t: &[f64], a: f64) -> Option<(f64, f64)> {
    occupancy_of(t.len() as u32 - 1, a, |n| t[n as usize])
}

/// The work per second of `pool` instances on `curve` with `j` of their
/// vCPUs busy, `j` from 0 to all: the load balancer spreads the busy
/// threads evenly (least outstanding), `q` or `q + 1` on each. `None` for
/// a linear curve.
fn pooled_throughput(curve: &Curve, pool: u32) -> Option<Vec<f64>> {
    if curve.is_linear() {
        return None;
    }
    let pool = pool.max(1);
    let c = curve.servers;
    Some(
        (0..=pool * c)
            .map(|j| {
                let (q, r) = (j / pool, j % pool);
                let one = |m: u32| curve.throughput(m.min(c));
                f64::from(r) * one(q + 1) + f64::from(pool - r) * one(q)
            })
            .collect(),
    )
}
