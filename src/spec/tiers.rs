//! The architecture's tiers: CDN, load balancer, web fleet, database.

use super::{Curve, Dist, Scheduling, Storage, Usl, VolumeKind, dbcap};
use crate::time::SimDuration;

/// An EC2 or RDS instance type as the scenario uses it, resolved from the catalog.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSpec {
    /// The AWS name, `m5.large` or `db.r5.large`.
    pub name: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Work per second of one vCPU alone on its core, relative to an m5
    /// vCPU alone on its core (m5 = 1.0).
    pub cpu_speed: f64,
    /// Hardware threads per core: 2 with hyperthreading (a vCPU is one of a
    /// core's two threads), 1 otherwise.
    pub threads_per_core: u32,
    /// Work of a core with both threads busy over one thread's alone
    /// (used when `threads_per_core` is 2).
    pub smt_pair: f64,
    /// On-demand Linux price per instance-hour in the scenario's region
    /// (RDS: the database engine's Single-AZ price, or one Aurora cluster
    /// instance's).
    pub usd_per_hour: f64,
    /// CPU credits, for burstable types (t2, t3, t3a, db.t2, db.t3).
    pub burst: Option<Burst>,
}

impl InstanceSpec {
    /// The throughput curve of this instance's vCPUs under `usl`.
    pub fn curve(&self, usl: Usl) -> Curve {
        Curve {
            servers: self.vcpus,
            threads_per_core: self.threads_per_core,
            smt_pair: self.smt_pair,
            usl,
        }
    }
}

/// What happens when a burstable instance's credits run out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreditMode {
    /// The instance drops to its baseline share of each vCPU.
    Standard,
    /// The instance keeps full speed and pays for surplus credits.
    Unlimited,
}

/// The credit balance a window starts with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InitialCredits {
    /// What a week of this checkpoint's expected load leaves, starting
    /// from launch: the balance of an instance that has been running.
    Steady,
    /// A freshly launched instance's credits.
    Launch,
    /// The most the instance can hold.
    Full,
    /// This many credits.
    Credits(f64),
}

/// CPU credit accounting of a burstable instance. One credit is one vCPU at
/// 100% for one minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Burst {
    /// Baseline share of each vCPU (0.1 for 10%).
    pub baseline: f64,
    /// Credits earned per hour by the whole instance.
    pub credits_per_hour: f64,
    /// Credits at launch.
    pub launch_credits: f64,
    /// Most credits the instance can hold.
    pub max_credits: f64,
    /// Standard or unlimited.
    pub mode: CreditMode,
    /// Balance at the start of each window.
    pub initial: InitialCredits,
}

/// Where CloudFront sends misses of cacheable classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaticOrigin {
    /// Amazon S3: a fixed-latency origin with no capacity limit.
    S3,
    /// The web tier, through the load balancer.
    Web,
}

/// CloudFront in front of the origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Cdn {
    /// Fraction of cacheable requests served at the edge.
    pub hit_ratio: f64,
    /// Edge response time (replaces the client RTT for every request it sees).
    pub latency: Dist,
    /// Where misses of cacheable classes go.
    pub static_origin: StaticOrigin,
    /// S3 response time for misses sent to S3.
    pub s3_latency: Dist,
    /// Static content stored in S3, GB (storage cost).
    pub s3_storage_gb: f64,
    /// Partitioned S3 prefixes the static objects are spread over: each
    /// takes at least 5,500 GET requests a second (`data/behaviour.csv`).
    pub s3_prefixes: u32,
}

/// Load balancer product (for prices and reporting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbKind {
    /// Application Load Balancer.
    Alb,
    /// Classic Load Balancer.
    Elb,
    /// Network Load Balancer.
    Nlb,
}

/// How the load balancer picks an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbAlgorithm {
    /// Each instance in turn.
    RoundRobin,
    /// Uniformly at random.
    Random,
    /// The instance with the fewest requests in progress (ties: the next in turn).
    LeastOutstanding,
}

/// Health checking of targets (acted on once instances can fail).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthCheck {
    /// Time between checks.
    pub interval: SimDuration,
    /// Failed checks before a target is taken out.
    pub unhealthy_threshold: u32,
    /// Passed checks before a target is put back.
    pub healthy_threshold: u32,
}

/// The load balancer.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancer {
    /// Product.
    pub kind: LbKind,
    /// Dispatch rule.
    pub algorithm: LbAlgorithm,
    /// Time added to every request it forwards.
    pub latency: Dist,
    /// Target health checks.
    pub health_check: HealthCheck,
    /// Requests a client sends over one connection (bill only: new and
    /// active connections of the load balancer's capacity units).
    pub requests_per_connection: f64,
    /// Listener rules evaluated per request (bill only: rule evaluations
    /// beyond the first 10 count towards ALB capacity units).
    pub rules: u32,
}

/// Where user sessions live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sessions {
    /// On the instance: lost when it dies.
    Local,
    /// In DynamoDB.
    Dynamodb,
    /// In ElastiCache.
    Elasticache,
}

/// How long a local session lives after its user's last request: users
/// active within it are logged out when their instance goes (an
/// assumption; see docs/modeling-notes.md).
pub const SESSION_IDLE: SimDuration = SimDuration::from_secs(30 * 60);

/// Users logged in (a local session alive) among `users` making `rate`
/// requests per second in all: with Poisson requests at `rate / users`
/// each, those with one in the last [`SESSION_IDLE`].
pub fn logged_in(users: f64, rate: f64) -> f64 {
    if users <= 0.0 {
        return 0.0;
    }
    users * (1.0 - (-rate / users * SESSION_IDLE.as_secs_f64()).exp())
}

impl Sessions {
    /// The session store's read on every origin request, added to the
    /// response: DynamoDB's GetItem answers in single-digit milliseconds
    /// (AWS's figure; 4 ms taken), ElastiCache within an AZ in under one
    /// (0.5 ms taken), a local session in no time. Assumptions: see
    /// docs/modeling-notes.md.
    pub fn read_time(self) -> SimDuration {
        match self {
            Sessions::Local => SimDuration::ZERO,
            Sessions::Dynamodb => SimDuration::from_millis(4),
            Sessions::Elasticache => SimDuration(500_000),
        }
    }
}

/// The EC2 web fleet.
#[derive(Clone, Debug, PartialEq)]
pub struct Web {
    /// Instance type of every member.
    pub instance: InstanceSpec,
    /// Number of instances.
    pub count: u32,
    /// AZ letters; instance `i` lives in `azs[i % azs.len()]`.
    pub azs: Vec<String>,
    /// Concurrent requests per instance.
    pub workers: u32,
    /// Requests that may wait for a worker; beyond this, new ones are refused.
    pub queue_limit: u32,
    /// A response slower than this (client view) counts as timed out.
    pub timeout: SimDuration,
    /// Session store.
    pub sessions: Sessions,
    /// The auto scaling group (`count` is then its initial size).
    pub autoscaling: Option<super::Autoscaling>,
    /// How requests share the vCPUs.
    pub cpu_scheduling: Scheduling,
    /// Scaling of the application's work over busy vCPUs (a global lock).
    pub scaling: Usl,
}

impl Web {
    /// No EC2 fleet at all (`[web]` absent, every request serverless):
    /// zero instances of a type with no vCPUs and no price.
    pub fn absent() -> Web {
        Web {
            instance: InstanceSpec {
                name: "none".to_string(),
                vcpus: 0,
                cpu_speed: 1.0,
                threads_per_core: 1,
                smt_pair: 1.0,
                usd_per_hour: 0.0,
                burst: None,
            },
            count: 0,
            azs: vec!["a".to_string()],
            workers: 0,
            queue_limit: 0,
            // API Gateway's integration timeout (`spec::API_GATEWAY_TIMEOUT`).
            timeout: SimDuration::from_secs(29),
            sessions: Sessions::Local,
            autoscaling: None,
            cpu_scheduling: Scheduling::Fcfs,
            scaling: Usl::LINEAR,
        }
    }
}

/// Database engine: its instance prices, and for Aurora how it is billed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbEngine {
    /// MySQL.
    Mysql,
    /// PostgreSQL.
    Postgres,
    /// Aurora MySQL.
    AuroraMysql,
    /// Aurora PostgreSQL.
    AuroraPostgresql,
}

impl DbEngine {
    /// The engine's name in the scenario and in `data/rds-instances.csv`.
    pub fn code(self) -> &'static str {
        match self {
            DbEngine::Mysql => "mysql",
            DbEngine::Postgres => "postgres",
            DbEngine::AuroraMysql => "aurora-mysql",
            DbEngine::AuroraPostgresql => "aurora-postgresql",
        }
    }

    /// An Aurora cluster: instance-hours per instance, storage and I/O
    /// billed apart, replicas instead of a Multi-AZ standby.
    pub fn is_aurora(self) -> bool {
        matches!(self, DbEngine::AuroraMysql | DbEngine::AuroraPostgresql)
    }
}

/// Where the database runs.
#[derive(Clone, Debug, PartialEq)]
pub enum DbPlacement {
    /// On the web instance's own vCPUs (the day-one single box).
    Colocated,
    /// On its own RDS instance(s).
    Rds(InstanceSpec),
}

/// The relational database.
#[derive(Clone, Debug, PartialEq)]
pub struct Database {
    /// Engine.
    pub engine: DbEngine,
    /// Placement and instance type.
    pub placement: DbPlacement,
    /// A synchronous standby in another AZ.
    pub multi_az: bool,
    /// Read replicas; reads are spread over them (the primary serves reads when there are none).
    pub read_replicas: u32,
    /// The read replicas' own RDS class (`replica_instance`) when it is
    /// not the primary's; `None`: the replicas are the primary's class.
    pub replica: Option<ReplicaClass>,
    /// Service time of a read on a reference vCPU.
    pub read_time: Dist,
    /// Service time of a write on a reference vCPU.
    pub write_time: Dist,
    /// Connections one DB server accepts: a request that needs one more
    /// fails (default: RDS's formula from the class's memory, or the
    /// engine's own default when colocated; `spec::dbcap`).
    pub max_connections: u32,
    /// The data the queries touch, GiB; `None`: all of it in the cache
    /// (no storage model).
    pub working_set_gb: Option<f64>,
    /// Memory caching data pages, GiB (the buffer pool).
    pub cache_gb: f64,
    /// The volume under each RDS server, when the scenario sets one (billed
    /// then); with a working set and none set, the default volume.
    pub storage: Option<Storage>,
    /// Multi-AZ failover duration.
    pub failover_time: SimDuration,
    /// Replication lag (reported only).
    pub replica_lag: SimDuration,
    /// A query's round trip between web and DB (`spec::network`).
    pub network: super::DbNetwork,
    /// Where the reads of a class that writes go.
    pub read_after_write: super::ReadAfterWrite,
    /// Bytes a query moves between a web instance and the database,
    /// request and result together (cross-AZ data transfer).
    pub bytes_per_query: u64,
    /// Scaling of the engine's work over busy vCPUs of an RDS server.
    pub scaling: Usl,
}

/// A read replica's own RDS class and what follows from its memory.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaClass {
    /// The class: vCPUs, speed, price (Single-AZ), CPU credits.
    pub instance: InstanceSpec,
    /// Connections one replica accepts (`max_connections` when set, else
    /// RDS's formula from the replica class's memory).
    pub max_connections: u32,
    /// One replica's cache, GiB (`buffer_pool_gb` when set, else RDS's
    /// default from the replica class's memory).
    pub cache_gb: f64,
}

impl Database {
    /// The primary's RDS class; `None` when colocated.
    pub fn primary_class(&self) -> Option<&InstanceSpec> {
        match &self.placement {
            DbPlacement::Rds(i) => Some(i),
            DbPlacement::Colocated => None,
        }
    }

    /// The read replicas' RDS class: `replica_instance`, else the
    /// primary's; `None` when colocated.
    pub fn replica_class(&self) -> Option<&InstanceSpec> {
        match (&self.placement, &self.replica) {
            (DbPlacement::Rds(_), Some(r)) => Some(&r.instance),
            (DbPlacement::Rds(i), None) => Some(i),
            (DbPlacement::Colocated, _) => None,
        }
    }

    /// RDS server `k`'s class: 0 is the primary, then the read replicas;
    /// `None` when colocated.
    pub fn server_class(&self, k: usize) -> Option<&InstanceSpec> {
        if k == 0 {
            self.primary_class()
        } else {
            self.replica_class()
        }
    }

    /// The replicas' class when they have one of their own and there are
    /// replicas to run it (what reports name beside the primary's).
    pub fn distinct_replica_class(&self) -> Option<&InstanceSpec> {
        match (&self.placement, &self.replica) {
            (DbPlacement::Rds(_), Some(r)) if self.read_replicas > 0 => Some(&r.instance),
            _ => None,
        }
    }

    /// vCPUs of the primary and its read replicas (RDS; 0 when colocated).
    pub fn rds_vcpus(&self) -> u32 {
        match (self.primary_class(), self.replica_class()) {
            (Some(p), Some(r)) => p.vcpus + self.read_replicas * r.vcpus,
            _ => 0,
        }
    }

    /// Connections one read replica accepts.
    pub fn replica_max_connections(&self) -> u32 {
        self.replica
            .as_ref()
            .map_or(self.max_connections, |r| r.max_connections)
    }

    /// The storage model of one read replica: [`Database::storage_model`]
    /// with the replica's cache.
    pub fn replica_storage_model(&self) -> Option<(f64, Storage)> {
        let (hit, storage) = self.storage_model()?;
        match (&self.replica, self.working_set_gb) {
            (Some(r), Some(ws)) => Some((dbcap::hit_ratio(r.cache_gb, ws), storage)),
            _ => Some((hit, storage)),
        }
    }

    /// The cache hit ratio and the volume the misses go to, when a working
    /// set is given: the scenario's volume, or RDS's default (gp3 of the
    /// working set's size, at least 20 GiB), or the web instance's gp3 root
    /// volume for a colocated database. `None` without a working set, and
    /// for Aurora (its cluster volume has no IOPS limit; its I/Os are
    /// billed instead).
    pub fn storage_model(&self) -> Option<(f64, Storage)> {
        let ws = self.working_set_gb?;
        if self.engine.is_aurora() {
            return None;
        }
        let storage = self.storage.unwrap_or(Storage {
            kind: VolumeKind::Gp3,
            size_gb: ws.ceil().max(20.0),
            iops: None,
            latency_secs: DEFAULT_IO_LATENCY,
        });
        Some((dbcap::hit_ratio(self.cache_gb, ws), storage))
    }
}

/// One storage I/O's latency, seconds: EBS SSD volumes are documented as
/// "single-digit millisecond"; 1 ms is taken (an assumption).
pub const DEFAULT_IO_LATENCY: f64 = 0.001;
