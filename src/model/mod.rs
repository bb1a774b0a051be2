//! The discrete-event model of the architecture: every request an event.
//!
//! ```text
//!  users ──Poisson──► [CloudFront] ──hit──────────────────────────────► done
//!                         │ miss ──► S3 ─────────────────────────────► done
//!                         ▼ (or no CDN, or a non-cacheable class)
//!                    [load balancer] ──► web instance i
//!                                         workers (FIFO queue, queue_limit)
//!                                           └► CPU burst on the vCPUs (FCFS)
//!                                           └► DB queries, one after another:
//!                                              writes ► primary, reads ► replicas
//!                                              (or the instance's own vCPUs
//!                                               when the DB is colocated)
//! ```
//!
//! Delays that hold no resource (client RTT, edge and S3 latency, the load
//! balancer's latency) are added to the response time instead of being
//! scheduled: by the displacement theorem a Poisson stream delayed by i.i.d.
//! amounts is again Poisson with the same rate, so the stations downstream
//! see the same arrival process either way, and the model saves an event.
//!
//! The model reports what happens to an [`Observer`]; it keeps no statistics
//! of its own.

mod arrivals;
mod credits;
mod dbcap;
mod fleet;
mod network;
mod sampler;
mod serverless;
mod station;

use crate::engine::{Model, RngStreams, Scheduler, StreamRng};
use crate::spec::{
    Checkpoint, DbPlacement, LbAlgorithm, RateProfile, Scenario, StaticOrigin, StationWork,
};
use crate::time::{SimDuration, SimTime};
use arrivals::Arrivals;
use credits::Credits;
use fleet::{Fleet, Life};
pub use fleet::{FleetEvent, FleetLevels};
use rand::RngExt;
use sampler::Sampler;
use station::Station;
use std::collections::VecDeque;

use serverless::ServerlessRt;
pub use serverless::{LambdaLimit, SlEvent, SlRecord, SlService};

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered within the timeout.
    Served,
    /// Refused because the instance's queue was full (HTTP 503).
    Dropped,
    /// Answered, but slower than the timeout.
    TimedOut,
    /// Failed, and why.
    Error(ErrorCause),
    /// Refused by a rate limit (the serverless path).
    Throttled,
}

pub use crate::route::{ErrorCause, Route};

/// Stations whose busy servers are measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The web fleet's vCPUs (all work on them, a colocated DB's included).
    Web,
    /// The database's servers (for a colocated DB, the vCPU time its queries take).
    Db,
}

/// What the model reports as it runs. Metrics implement this; the model
/// itself keeps no statistics.
pub trait Observer {
    /// A request of class `class` (index in the mix) arrived at `now` and
    /// takes `route`.
    fn arrival(&mut self, now: SimTime, class: u16, route: Route);
    /// A request of `class` on `route` that arrived at `arrived` finished at
    /// `done` with the client-view `latency` (network delays included).
    fn finished(
        &mut self,
        arrived: SimTime,
        done: SimTime,
        latency: SimDuration,
        outcome: Outcome,
        class: u16,
        route: Route,
    );
    /// The number of busy servers at `tier` changed by `delta` at `now`.
    fn busy_changed(&mut self, now: SimTime, tier: Tier, delta: i32);
    /// The number of busy servers at `tier` running at their CPU credit
    /// baseline changed by `delta` at `now`.
    fn throttled_changed(&mut self, now: SimTime, tier: Tier, delta: i32);
    /// The CPU credit balance of burstable instance `index` of `tier` is
    /// `reading` at `now`.
    fn credits(&mut self, now: SimTime, tier: Tier, index: u32, reading: CreditReading);
    /// A request entered the origin (the load balancer or the web instance).
    fn entered_origin(&mut self, now: SimTime);
    /// A request that arrived at `arrived` left the origin at `now`.
    fn left_origin(&mut self, arrived: SimTime, now: SimTime);
    /// The number of requests inside the origin that wait for a worker
    /// (over the web fleet) changed by `delta` at `now`. A request inside
    /// the origin that does not wait holds a worker, from then to its
    /// answer, so busy workers are those inside less those waiting.
    #[inline]
    fn worker_queue_changed(&mut self, now: SimTime, delta: i32) {
        let _ = (now, delta);
    }
    /// A vCPU of RDS server `server` (0 is the primary, then the read
    /// replicas) starts a query at `now` that keeps it busy for `service`.
    #[inline]
    fn db_server_service(&mut self, now: SimTime, server: u32, service: SimDuration) {
        let _ = (now, server, service);
    }
    /// The fleet is `levels` from `now` on (reported at the start and at
    /// every change).
    #[inline]
    fn fleet(&mut self, now: SimTime, levels: FleetLevels) {
        let _ = (now, levels);
    }
    /// `sessions` users were logged out at `now` (local sessions on an
    /// instance that died or was scaled in).
    #[inline]
    fn sessions_lost(&mut self, now: SimTime, sessions: f64) {
        let _ = (now, sessions);
    }
    /// `threads` vCPUs of RDS server `server` were busy from `from` for
    /// `span` (a server whose speed depends on how many are busy reports
    /// its busy time this way, as it goes).
    #[inline]
    fn db_server_busy(&mut self, from: SimTime, server: u32, span: SimDuration, threads: u32) {
        for _ in 0..threads {
            self.db_server_service(from, server, span);
        }
    }
    /// Busy Lambda execution environments changed by `delta` at `now`.
    #[inline]
    fn lambda_busy(&mut self, now: SimTime, delta: i32) {
        let _ = (now, delta);
    }
    /// Something happened on the serverless path (see [`SlRecord`]).
    #[inline]
    fn serverless(&mut self, now: SimTime, record: SlRecord) {
        let _ = (now, record);
    }
    /// Firehose delivered an object of `bytes` to S3 at `now`, holding the
    /// records of the requests that arrived at `arrivals`.
    #[inline]
    fn s3_object(&mut self, now: SimTime, arrivals: &[SimTime], bytes: u64) {
        let _ = (now, arrivals, bytes);
    }
    /// The database connections open over all its servers changed by
    /// `delta` at `now`.
    #[inline]
    fn connections_changed(&mut self, now: SimTime, delta: i32) {
        let _ = (now, delta);
    }
    /// The volume of DB server `server` starts an I/O at `now` that holds
    /// its rate limit for `service`.
    #[inline]
    fn storage_io(&mut self, now: SimTime, server: u32, service: SimDuration) {
        let _ = (now, server, service);
    }
}

/// A burstable instance's credit balance, and where it is heading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CreditReading {
    /// Credits (vCPU-minutes); negative: surplus credits owed (unlimited mode).
    pub balance: f64,
    /// Change per second until the next service starts or ends.
    pub net_per_sec: f64,
    /// Lowest possible balance (0, or minus infinity in unlimited mode).
    pub min: f64,
    /// Highest possible balance.
    pub max: f64,
}

/// Capacities the observer needs to turn busy servers into utilisation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capacity {
    /// Web instances.
    pub web_instances: u32,
    /// vCPUs over the whole web fleet.
    pub web_vcpus: u32,
    /// DB servers (vCPUs over primary and replicas; the web vCPUs when colocated; 0 without a DB).
    pub db_servers: u32,
}

impl Capacity {
    /// The capacity of `s`'s fleet.
    pub fn of(s: &Scenario) -> Capacity {
        let web_vcpus = s.web.count * s.web.instance.vcpus;
        let db_servers = match s.database.as_ref() {
            None => 0,
            Some(d) if d.placement == DbPlacement::Colocated => web_vcpus,
            Some(d) => d.rds_vcpus(),
        };
        Capacity {
            web_instances: s.web.count,
            web_vcpus,
            db_servers,
        }
    }

    /// The capacity `s`'s fleet opens checkpoint `cp`'s window with (with
    /// auto scaling, the size its policy settles at for the load then).
    pub fn opening(s: &Scenario, cp: &Checkpoint) -> Capacity {
        let n = s.settled_fleet(cp, cp.start);
        let c = Capacity::of(s);
        let web_vcpus = n * s.web.instance.vcpus;
        Capacity {
            web_instances: n,
            web_vcpus,
            db_servers: match s.database.as_ref().map(|d| &d.placement) {
                Some(DbPlacement::Colocated) => web_vcpus,
                _ => c.db_servers,
            },
        }
    }
}

/// Events of the model.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// The next user request arrives.
    Arrival,
    /// The request in slot `.0` finishes its service at the station it
    /// occupies, if the slot still holds generation `.1` of it: a slot is
    /// reused once its request is gone, and a completion left over from an
    /// earlier request (one whose instance died) must not land on the new one.
    Done(u32, u32),
    /// Something happens to the fleet: scaling, faults, health checks.
    Fleet(FleetEvent),
    /// An event of the serverless path.
    Serverless(SlEvent),
    /// The storage I/O of the request in slot `.0` (generation `.1`) ends.
    IoDone(u32, u32),
}

/// One web instance: a worker pool in front of its vCPUs.
#[derive(Debug)]
struct Instance {
    free_workers: u32,
    waiting: VecDeque<u32>,
    cpu: Station,
    outstanding: u32,
    /// Where it is in its life.
    life: Life,
    /// Index into `web.azs`.
    az: u16,
    /// The load balancer sends it requests (registered and seen healthy).
    routed: bool,
    /// Bumped when it dies or restarts: its pending fleet events from an
    /// earlier life are ignored.
    incarnation: u32,
    /// From then on it counts in the scaling metric.
    warm_at: SimTime,
    /// Busy vCPU-nanoseconds so far, and the time they were counted to.
    busy_ns: u128,
    busy_since: SimTime,
    /// Requests routed to it in the current metric period.
    period_requests: u64,
}

/// What a request is doing at the station it occupies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Job {
    Cpu,
    Read,
    Write,
}

/// Where a request's current job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    /// The vCPUs of web instance `i`.
    Instance(u32),
    /// DB server `k` (0 is the primary, then the replicas).
    Db(u32),
}

#[derive(Clone, Copy, Debug)]
struct Request {
    arrived: SimTime,
    /// Network time added to the response (RTT or edge, load balancer).
    extra: SimDuration,
    class: u16,
    instance: u32,
    reads_left: u32,
    writes_left: u32,
    job: Job,
    at: At,
    route: Route,
    /// Share of full speed of its current service (below 1 when throttled).
    share: f64,
    live: bool,
    /// Bumped each time the slot is reused (or its request is killed).
    generation: u32,
    /// Its web instance died while its query ran on the database: the query
    /// finishes there, then the request vanishes (it is counted already).
    orphan: bool,
    /// DB connections it holds (`dbcap::CONN_*` bits) and its read
    /// replica (1-based; 0: none).
    conns: u8,
    replica: u32,
    /// Its current query is in (`io`) or past (`io_done`) its storage I/O.
    io: bool,
    io_done: bool,
    /// Its current query has had its network time.
    net_done: bool,
}

#[derive(Debug)]
struct ClassRt {
    cumulative_share: f64,
    cacheable: bool,
    web_cpu: Sampler,
    db_reads: u32,
    db_writes: u32,
    /// The session store's read on each origin request (classes that read
    /// the session, with sessions in DynamoDB or ElastiCache).
    session_read: SimDuration,
}

#[derive(Debug)]
struct CdnRt {
    hit_ratio: f64,
    latency: Sampler,
    s3: Option<Sampler>,
}

#[derive(Debug)]
struct DbRt {
    /// Primary first, then read replicas; empty when colocated.
    servers: Vec<Station>,
    colocated: bool,
    /// A read on the primary (or colocated), on a read replica, a write.
    read: Sampler,
    replica_read: Sampler,
    write: Sampler,
    next_replica: u32,
    /// Which servers are up (primary first).
    up: Vec<bool>,
    /// Connections and volumes.
    cap: dbcap::DbCap,
    /// Round trips to each server.
    net: network::Net,
}

/// The random streams, one per component.
#[derive(Debug)]
struct Streams {
    arrivals: StreamRng,
    class: StreamRng,
    cdn: StreamRng,
    lb: StreamRng,
    network: StreamRng,
    web: StreamRng,
    db: StreamRng,
}

/// The whole architecture for one checkpoint window.
#[derive(Debug)]
pub struct WebModel<'a, O> {
    arrivals: Arrivals<'a>,
    classes: Vec<ClassRt>,
    cdn: Option<CdnRt>,
    client_rtt: SimDuration,
    lb: Option<(LbAlgorithm, Sampler)>,
    next_instance: u32,
    instances: Vec<Instance>,
    db: Option<DbRt>,
    queue_limit: usize,
    timeout: SimDuration,
    requests: Vec<Request>,
    free_slots: Vec<u32>,
    rng: Streams,
    /// Instances that come and go: scaling, faults, health checks.
    fleet: Fleet<'a>,
    /// Instances the load balancer sends to, in instance order.
    targets: Vec<u32>,
    /// The serverless path, if any.
    serverless: Option<ServerlessRt>,
    observer: O,
}

impl<'a, O: Observer> WebModel<'a, O> {
    /// The model of `s` at checkpoint `cp`, drawing from `streams`.
    pub fn new(s: &'a Scenario, cp: &Checkpoint, streams: &RngStreams, observer: O) -> Self {
        Self::with_fleet(s, cp, streams, observer, None)
    }

    /// [`WebModel::new`] whose web tier opens with `fleet` instances in
    /// service (and desired) instead of the count its auto scaling policy
    /// settles at for the load at the window's start: a segment of a
    /// window opens with the fleet the window has by then.
    pub fn with_fleet(
        s: &'a Scenario,
        cp: &Checkpoint,
        streams: &RngStreams,
        observer: O,
        fleet: Option<u32>,
    ) -> Self {
        let opening = fleet.unwrap_or_else(|| s.settled_fleet(cp, cp.start));
        let web = &s.web;
        let speed = web.instance.cpu_speed;
        let mut cumulative = 0.0;
        let classes = s
            .traffic
            .mix
            .iter()
            .map(|c| {
                cumulative += c.share;
                ClassRt {
                    cumulative_share: cumulative,
                    cacheable: c.cacheable,
                    web_cpu: Sampler::new(&c.web_cpu.scaled(speed)),
                    db_reads: c.db_reads,
                    db_writes: c.db_writes,
                    session_read: if c.session {
                        web.sessions.read_time()
                    } else {
                        SimDuration::ZERO
                    },
                }
            })
            .collect();
        let cdn = s.cdn.as_ref().map(|c| CdnRt {
            hit_ratio: c.hit_ratio,
            latency: Sampler::new(&c.latency),
            s3: (c.static_origin == StaticOrigin::S3).then(|| Sampler::new(&c.s3_latency)),
        });
        let azs = web.azs.len().max(1) as u32;
        let instances: Vec<Instance> = (0..opening)
            .map(|i| Instance::new(s, (i % azs) as u16, Life::InService, cp.start))
            .collect();
        let db = s.database.as_ref().map(|d| {
            // Each server on its own class: the primary's, the replicas'.
            let (servers, colocated, db_speed, replica_speed) = match &d.placement {
                DbPlacement::Colocated => (Vec::new(), true, speed, speed),
                DbPlacement::Rds(i) => {
                    let r = d.replica_class().unwrap_or(i);
                    (
                        (0..=d.read_replicas)
                            .map(|k| {
                                let c = if k == 0 { i } else { r };
                                Station::shared(c.curve(d.scaling), false)
                            })
                            .collect(),
                        false,
                        i.cpu_speed,
                        r.cpu_speed,
                    )
                }
            };
            DbRt {
                servers,
                colocated,
                read: Sampler::new(&d.read_time.scaled(db_speed)),
                replica_read: Sampler::new(&d.read_time.scaled(replica_speed)),
                write: Sampler::new(&d.write_time.scaled(db_speed)),
                next_replica: 0,
                up: vec![true; 1 + d.read_replicas as usize],
                cap: dbcap::DbCap::new(
                    d,
                    1 + d.read_replicas as usize,
                    cp.start,
                    streams.stream("database.storage"),
                ),
                net: network::Net::new(s, 1 + d.read_replicas),
            }
        });
        let mut instances: Vec<Instance> = instances;
        let mut db = db;
        open_credits(s, cp, cp.start, &mut instances, db.as_mut());
        let window_end = cp.start + cp.window;
        let fleet = Fleet::new(s, cp, streams, opening);
        let targets = (0..instances.len() as u32)
            .take(if s.load_balancer.is_some() {
                usize::MAX
            } else {
                1
            })
            .collect();
        WebModel {
            fleet,
            targets,
            arrivals: Arrivals::new(RateProfile::new(s, cp), cp.start, window_end),
            classes,
            cdn,
            client_rtt: s.traffic.client_rtt,
            lb: s
                .load_balancer
                .as_ref()
                .map(|lb| (lb.algorithm, Sampler::new(&lb.latency))),
            next_instance: 0,
            instances,
            db,
            queue_limit: web.queue_limit as usize,
            timeout: web.timeout,
            requests: Vec::new(),
            free_slots: Vec::new(),
            rng: Streams {
                arrivals: streams.stream("arrivals"),
                class: streams.stream("traffic.mix"),
                cdn: streams.stream("cdn"),
                lb: streams.stream("load_balancer"),
                network: streams.stream("network"),
                web: streams.stream("web.service"),
                db: streams.stream("database.service"),
            },
            serverless: s
                .serverless
                .as_ref()
                .map(|sl| ServerlessRt::new(s, sl, cp, streams)),
            observer,
        }
    }

    /// Reports the starting state to the observer and returns the time of
    /// the first arrival, to seed the calendar with.
    pub fn start(&mut self, now: SimTime) -> Option<SimTime> {
        for i in 0..self.instances.len() {
            self.report_credits(now, At::Instance(i as u32));
        }
        let db_servers = self.db.as_ref().map_or(0, |d| d.servers.len());
        for k in 0..db_servers {
            self.report_credits(now, At::Db(k as u32));
        }
        self.arrivals.next(&mut self.rng.arrivals)
    }

    fn report_credits(&mut self, now: SimTime, at: At) {
        let (tier, index) = match at {
            At::Instance(i) => (Tier::Web, i),
            At::Db(k) => (Tier::Db, k),
        };
        if let Some(c) = &self.station(at).credits {
            let (min, max) = c.bounds_credits();
            let reading = CreditReading {
                balance: c.balance_credits(),
                net_per_sec: c.net_credits_per_sec(),
                min,
                max,
            };
            self.observer.credits(now, tier, index, reading);
        }
    }

    /// The observer.
    pub fn observer(&self) -> &O {
        &self.observer
    }

    /// Gives the observer back.
    pub fn into_observer(self) -> O {
        self.observer
    }

    /// Requests inside the origin right now that arrived at or after `since`
    /// (counted from the model's own records, to cross-check the metrics).
    pub fn inside_since(&self, since: SimTime) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.live && !r.orphan && r.arrived >= since)
            .count() as u64
            + self
                .serverless
                .as_ref()
                .map_or(0, |sl| sl.inside_since(since))
    }

    /// Requests inside the origin right now that arrived in `[from, until)`.
    pub fn inside_between(&self, from: SimTime, until: SimTime) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.live && !r.orphan && r.arrived >= from && r.arrived < until)
            .count() as u64
    }

    /// Memory of the serverless path's request function, MB (`None`
    /// without the path).
    pub fn lambda_memory_mb(&self) -> Option<u32> {
        self.serverless.as_ref().map(ServerlessRt::memory_mb)
    }

    #[inline]
    fn on_arrival(&mut self, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        if let Some(next) = self.arrivals.next(&mut self.rng.arrivals) {
            sched.schedule_stream_at(next, Event::Arrival);
        }
        let class = self.pick_class();
        if let Some(sl) = &mut self.serverless
            && sl.takes()
        {
            self.observer.arrival(now, class, Route::Serverless);
            sl.arrive(now, class, sched, &mut self.observer);
            return;
        }
        let mut extra = self.client_rtt;
        let mut route = Route::Origin;
        if self.classes[class as usize].cacheable
            && let Some(cdn) = &self.cdn
        {
            let edge = cdn.latency.sample(&mut self.rng.network);
            if self.rng.cdn.random::<f64>() < cdn.hit_ratio {
                self.observer.arrival(now, class, Route::EdgeHit);
                let outcome = Outcome::Served;
                self.observer
                    .finished(now, now + edge, edge, outcome, class, Route::EdgeHit);
                return;
            }
            if let Some(s3) = &cdn.s3 {
                let latency = edge + s3.sample(&mut self.rng.network);
                self.observer.arrival(now, class, Route::EdgeS3);
                let outcome = Outcome::Served;
                self.observer
                    .finished(now, now + latency, latency, outcome, class, Route::EdgeS3);
                return;
            }
            // A miss to a web origin: edge to origin is AWS's network, no RTT.
            extra = edge;
            route = Route::EdgeOrigin;
        }
        self.observer.arrival(now, class, route);
        self.enter_origin(now, class, route, extra, sched);
    }

    #[inline]
    fn pick_class(&mut self) -> u16 {
        if self.classes.len() == 1 {
            return 0;
        }
        let u: f64 = self.rng.class.random();
        let i = self.classes.partition_point(|c| c.cumulative_share <= u);
        i.min(self.classes.len() - 1) as u16
    }

    /// The instance the load balancer sends the next request to (`None`
    /// when the fleet has none to send to).
    #[inline]
    fn pick_instance(&mut self) -> Option<u32> {
        let n = self.targets.len() as u32;
        if n == 0 {
            return None;
        }
        let Some((algorithm, _)) = &self.lb else {
            return Some(self.targets[0]);
        };
        let k = match algorithm {
            LbAlgorithm::RoundRobin => {
                let i = self.next_instance;
                self.next_instance = (i + 1) % n;
                i
            }
            LbAlgorithm::Random => self.rng.lb.random_range(0..n),
            LbAlgorithm::LeastOutstanding => {
                // The fewest outstanding, scanning from the next in turn so
                // that ties rotate instead of piling on instance 0.
                let start = self.next_instance;
                self.next_instance = (start + 1) % n;
                (0..n)
                    .map(|k| (start + k) % n)
                    .min_by_key(|&k| self.instances[self.targets[k as usize] as usize].outstanding)
                    .unwrap_or(0)
            }
        };
        Some(self.targets[k as usize])
    }

    #[inline]
    fn enter_origin(
        &mut self,
        now: SimTime,
        class: u16,
        route: Route,
        extra: SimDuration,
        sched: &mut Scheduler<Event>,
    ) {
        let mut extra = extra + self.classes[class as usize].session_read;
        if let Some((_, latency)) = &self.lb {
            extra += latency.sample(&mut self.rng.network);
        }
        let down = Outcome::Error(ErrorCause::InstanceDown);
        let Some(instance) = self.pick_instance() else {
            self.observer
                .finished(now, now, SimDuration::ZERO, down, class, route);
            return;
        };
        if self.instances[instance as usize].life != Life::InService {
            // Sent to a dead instance the health checks have not caught yet.
            self.observer
                .finished(now, now, SimDuration::ZERO, down, class, route);
            return;
        }
        self.instances[instance as usize].period_requests += 1;
        let c = &self.classes[class as usize];
        let req = Request {
            arrived: now,
            extra,
            class,
            instance,
            reads_left: c.db_reads,
            writes_left: c.db_writes,
            job: Job::Cpu,
            at: At::Instance(instance),
            route,
            share: 1.0,
            live: true,
            generation: 0,
            orphan: false,
            conns: 0,
            replica: 0,
            io: false,
            io_done: false,
            net_done: false,
        };
        let inst = &mut self.instances[instance as usize];
        if inst.free_workers == 0 && inst.waiting.len() >= self.queue_limit {
            let outcome = Outcome::Dropped;
            self.observer
                .finished(now, now, SimDuration::ZERO, outcome, class, route);
            return;
        }
        let id = self.insert(req);
        self.observer.entered_origin(now);
        let inst = &mut self.instances[instance as usize];
        inst.outstanding += 1;
        if inst.free_workers > 0 {
            if !self.connect(id, now) {
                return self.refuse(id, now);
            }
            self.instances[instance as usize].free_workers -= 1;
            self.enter_station(id, At::Instance(instance), sched);
        } else {
            inst.waiting.push_back(id);
            self.observer.worker_queue_changed(now, 1);
        }
    }

    #[inline]
    fn insert(&mut self, mut req: Request) -> u32 {
        match self.free_slots.pop() {
            Some(id) => {
                req.generation = self.requests[id as usize].generation.wrapping_add(1);
                self.requests[id as usize] = req;
                id
            }
            None => {
                self.requests.push(req);
                (self.requests.len() - 1) as u32
            }
        }
    }

    /// The burstable stations start from the balance a window opened at
    /// `opened` (before this model's start) has at the start, its expected
    /// load replayed in between: a segment of a long window carries on
    /// where the window's credits stand (`run::segments`).
    pub fn carry_credits_from(&mut self, s: &Scenario, cp: &Checkpoint, opened: SimTime) {
        open_credits(s, cp, opened, &mut self.instances, self.db.as_mut());
    }

    /// The calendar timer of station `at`'s next completion when it is
    /// shared: the DB servers first, then the web instances.
    fn timer_of(&self, at: At) -> usize {
        match at {
            At::Db(k) => k as usize,
            At::Instance(i) => self.db.as_ref().map_or(0, |db| db.servers.len()) + i as usize,
        }
    }

    fn station(&mut self, at: At) -> &mut Station {
        match at {
            At::Instance(i) => &mut self.instances[i as usize].cpu,
            At::Db(k) => match &mut self.db {
                Some(db) => &mut db.servers[k as usize],
                None => unreachable!("DB station without a database"),
            },
        }
    }

    /// Moves request `id` on to its next DB query, or completes it.
    #[inline]
    fn advance(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        if self.requests[id as usize].orphan {
            // Its instance died while this query ran: nothing waits for it.
            self.free(id);
            return;
        }
        let req = self.requests[id as usize];
        if req.job != Job::Cpu && !req.io_done && self.storage_io(id, req.at, sched) {
            // Its query's page comes from the volume first.
            return;
        }
        if self.network_delay(id, sched) {
            // Then the answer comes back over the network.
            return;
        }
        let req = &mut self.requests[id as usize];
        req.io_done = false;
        req.net_done = false;
        let job = if req.reads_left > 0 {
            req.reads_left -= 1;
            Job::Read
        } else if req.writes_left > 0 {
            req.writes_left -= 1;
            Job::Write
        } else {
            return self.complete(id, None, sched);
        };
        req.job = job;
        let instance = req.instance;
        let sticky = req.replica;
        let writes = req.writes_left;
        let Some(db) = &mut self.db else {
            return self.complete(id, Some(ErrorCause::DbDown), sched);
        };
        let at = if db.colocated {
            At::Instance(instance)
        } else {
            // Reads go round robin over the replicas that are up, to the
            // primary when none is; writes to the primary.
            let replicas = db.servers.len() as u32 - 1;
            let replica =
                (job == Job::Read && replicas > 0 && !network::reads_to_primary(&db.net, writes))
                    .then(|| {
                        dbcap::sticky_replica(db, sticky).or_else(|| {
                            (0..replicas)
                                .map(|j| (db.next_replica + j) % replicas)
                                .find(|&r| db.up[1 + r as usize])
                        })
                    })
                    .flatten();
            match replica {
                Some(r) => {
                    db.next_replica = (r + 1) % replicas;
                    At::Db(1 + r)
                }
                None if !db.up[0] => {
                    return self.complete(id, Some(ErrorCause::DbDown), sched);
                }
                None => At::Db(0),
            }
        };
        self.enter_station(id, at, sched);
    }

    /// Request `id` leaves: its worker goes to the next waiting request.
    #[inline]
    fn complete(&mut self, id: u32, failed: Option<ErrorCause>, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        self.disconnect(id, now);
        let req = self.requests[id as usize];
        self.requests[id as usize].live = false;
        self.free_slots.push(id);
        self.observer.left_origin(req.arrived, now);
        self.instances[req.instance as usize].outstanding -= 1;
        // The worker goes to the next waiting request that gets its
        // connections; those refused one fail at once.
        loop {
            let inst = &mut self.instances[req.instance as usize];
            match inst.waiting.pop_front() {
                Some(next) => {
                    self.observer.worker_queue_changed(now, -1);
                    if self.connect(next, now) {
                        self.enter_station(next, At::Instance(req.instance), sched);
                        break;
                    }
                    self.refuse(next, now);
                }
                None => {
                    inst.free_workers += 1;
                    break;
                }
            }
        }
        if self.instances[req.instance as usize].life == Life::Draining {
            self.drained(req.instance, now);
        }
        let latency = (now - req.arrived) + req.extra;
        self.fleet.note_latency(latency);
        let outcome = if let Some(cause) = failed {
            Outcome::Error(cause)
        } else if latency > self.timeout {
            Outcome::TimedOut
        } else {
            Outcome::Served
        };
        self.observer
            .finished(req.arrived, now, latency, outcome, req.class, req.route);
    }
}

impl<O: Observer> Model for WebModel<'_, O> {
    type Event = Event;

    #[inline]
    fn handle(&mut self, event: Event, sched: &mut Scheduler<Event>) {
        match event {
            Event::Arrival => self.on_arrival(sched),
            Event::Done(id, generation) => {
                if self
                    .requests
                    .get(id as usize)
                    .is_some_and(|r| r.generation == generation)
                {
                    self.on_done(id, sched);
                }
            }
            Event::Fleet(e) => self.on_fleet(e, sched),
            Event::Serverless(e) => {
                if let Some(sl) = &mut self.serverless {
                    sl.handle(e, sched, &mut self.observer);
                }
            }
            Event::IoDone(id, generation) => {
                if let Some(r) = self.requests.get_mut(id as usize)
                    && r.generation == generation
                    && r.io
                {
                    r.io = false;
                    r.io_done = true;
                    self.advance(id, sched);
                }
            }
        }
    }
}

/// Every burstable station's credits at `cp`'s start, for a window opened
/// at `opened` (`cp.start` itself, or earlier for a segment).
fn open_credits(
    s: &Scenario,
    cp: &Checkpoint,
    opened: SimTime,
    instances: &mut [Instance],
    db: Option<&mut DbRt>,
) {
    let work = StationWork::of(s);
    if let Some(b) = &s.web.instance.burst {
        let demand = work.demand(s, cp, work.web);
        let initial = b.balance_at(s.web.instance.vcpus, opened, cp.start, demand);
        for inst in instances {
            inst.cpu.credits = Some(Credits::new(b, initial, cp.start));
        }
    }
    if let (Some(d), Some(db)) = (&s.database, db) {
        for (k, st) in db.servers.iter_mut().enumerate() {
            let Some(i) = d.server_class(k) else { continue };
            let Some(b) = &i.burst else { continue };
            let per_request = if k == 0 { work.primary } else { work.replica };
            let initial = b.balance_at(i.vcpus, opened, cp.start, work.demand(s, cp, per_request));
            st.credits = Some(Credits::new(b, initial, cp.start));
        }
    }
}
