//! The validated, read-only description of a scenario: what the simulator runs.
//!
//! `scenario` builds a [`Scenario`] from TOML and is the only way user input
//! reaches it, so everything here is already checked: shares sum to one,
//! instance types exist, durations are in range. Nothing here holds runtime
//! state, spans or randomness; the DES model and the fluid mode both read it.

mod cpu;
mod credits;
pub mod dbcap;
mod dist;
pub mod network;
mod placement;
mod plan;
mod resilience;
mod serverless;
mod tiers;
mod traffic;

pub use cpu::{Curve, Scheduling, Usl, occupancy_of};
pub use credits::{CreditBalance, StationWork};
pub use dbcap::{IoCredits, Storage, VolumeKind};
pub use dist::Dist;
pub use network::{DbNetwork, QueryNetwork, ReadAfterWrite};
pub use plan::{
    Checkpoint, RateProfile, Segment, event_window, measures, peak_of_day, place_window,
    plan_checkpoints,
};
pub use resilience::{
    Autoscaling, Fault, FaultAt, FaultKind, FaultSpan, ScalingMetric, ScalingPolicy,
    ScheduledAction, StepAdjustment, busiest_moment,
};
pub use serverless::{
    API_GATEWAY_TIMEOUT, ApiGateway, DYNAMODB_BURST_SECS, DYNAMODB_ON_DEMAND_TABLE_MAX, DynamoDb,
    DynamoMode, FIREHOSE_RECORD_ROUNDING, LAMBDA_MB_PER_VCPU, LAMBDA_SCALE_PER_10S, Lambda,
    Pipeline, STREAM_POLL, Serverless,
};
pub use tiers::{
    Burst, Cdn, CreditMode, DEFAULT_IO_LATENCY, Database, DbEngine, DbPlacement, HealthCheck,
    InitialCredits, InstanceSpec, LbAlgorithm, LbKind, LoadBalancer, ReplicaClass, SESSION_IDLE,
    Sessions, StaticOrigin, Web, logged_in,
};
pub use traffic::{
    ClassSlo, Diurnal, GrowthShape, Load, RequestClass, Traffic, TrafficEvent, Users,
};

use crate::time::SimDuration;

/// A whole scenario, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Shown in reports.
    pub name: String,
    /// Optional longer text.
    pub description: Option<String>,
    /// The AWS region whose prices apply.
    pub region: Region,
    /// Run control: seed, mode, windows, SLO.
    pub simulation: Simulation,
    /// Who sends what, when.
    pub traffic: Traffic,
    /// CloudFront in front, if any.
    pub cdn: Option<Cdn>,
    /// Load balancer in front of the web tier, if any.
    pub load_balancer: Option<LoadBalancer>,
    /// The EC2 web tier (no instances when `[web]` is absent: every
    /// request takes the serverless path).
    pub web: Web,
    /// The relational database, if any.
    pub database: Option<Database>,
    /// The serverless path, if any.
    pub serverless: Option<Serverless>,
    /// The same scenario again with one key changed per rung (the
    /// scale-up ladder), if any.
    pub ladder: Option<Ladder>,
    /// `[[faults]]`: what fails, and when.
    pub faults: Vec<Fault>,
    /// How the bill is drawn up.
    pub billing: Billing,
}

impl Scenario {
    /// The share of requests on the serverless path (0 without one).
    pub fn serverless_share(&self) -> f64 {
        self.serverless.as_ref().map_or(0.0, |s| s.share)
    }

    /// Whether the scenario has an EC2 web fleet.
    pub fn has_web(&self) -> bool {
        self.web.count > 0
    }
}

/// `[billing]`: what the monthly bill includes beyond what was simulated.
#[derive(Clone, Debug, PartialEq)]
pub struct Billing {
    /// Deduct the AWS free tier (12-month offers for new accounts).
    pub free_tier: bool,
    /// EBS gp3 root volume of every web instance, GB.
    pub root_volume_gb: f64,
    /// Aurora billed I/Os per read query (pages read from the cluster volume).
    pub aurora_ios_per_read: f64,
    /// Aurora billed I/Os per write query.
    pub aurora_ios_per_write: f64,
}

impl Default for Billing {
    /// Free tier off, 8 GB root volumes (the Amazon Linux 2023 AMI's
    /// default, `data/services.csv`), one I/O per read and per write (an
    /// assumption, `docs/cost-model.md`).
    fn default() -> Billing {
        Billing {
            free_tier: false,
            root_volume_gb: 8.0,
            aurora_ios_per_read: 1.0,
            aurora_ios_per_write: 1.0,
        }
    }
}

/// One key and the values it takes, one run each.
#[derive(Clone, Debug, PartialEq)]
pub struct Ladder {
    /// Dotted key path, `web.instance`.
    pub key: String,
    /// Each rung's value, as TOML text (`"m5.large"`, `4`).
    pub values: Vec<String>,
}

/// AWS regions the catalog has prices for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    /// US East (N. Virginia).
    UsEast1,
    /// Europe (Ireland).
    EuWest1,
}

impl Region {
    /// Every region, in the order the catalog lists them.
    pub const ALL: [Region; 2] = [Region::UsEast1, Region::EuWest1];

    /// The AWS code, `us-east-1`.
    pub fn code(self) -> &'static str {
        match self {
            Region::UsEast1 => "us-east-1",
            Region::EuWest1 => "eu-west-1",
        }
    }
}

/// How each checkpoint is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every request an event.
    Des,
    /// Analytic queueing per time step.
    Fluid,
    /// DES where a window's expected requests fit the budget, fluid beyond.
    Auto,
}

impl Mode {
    /// The name used in scenario files and the `mode` column.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Des => "des",
            Mode::Fluid => "fluid",
            Mode::Auto => "auto",
        }
    }
}

/// Where a checkpoint's window sits in its day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowAt {
    /// At the checkpoint's time on the horizon.
    Start,
    /// Centred on the daily peak of the checkpoint's day (or at its time
    /// without a daily cycle): a short window then sees the busiest traffic.
    Peak,
}

/// The service level objective a checkpoint must meet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slo {
    /// Client-view 99th percentile latency bound.
    pub p99: SimDuration,
    /// Least fraction of finished requests that must be served.
    pub availability: f64,
    /// What each bound is judged over.
    pub over: SloOver,
}

impl Slo {
    /// The default objective: p99 within 500 ms and 99.9% served, every hour.
    pub const DEFAULT: Slo = Slo {
        p99: SimDuration::from_millis(500),
        availability: 0.999,
        over: SloOver::Every(SimDuration::from_secs(3600)),
    };
}

/// The stretch of time each SLO bound is judged over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SloOver {
    /// All requests of the measured window together.
    Window,
    /// Every interval of this length on the clock (`"hour"` is one hour):
    /// the worst decides.
    Every(SimDuration),
}

impl SloOver {
    /// The interval length, `None` for the whole window.
    pub fn every(self) -> Option<SimDuration> {
        match self {
            SloOver::Window => None,
            SloOver::Every(d) => Some(d),
        }
    }
}

/// More replications for checkpoints whose verdict is uncertain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Precision {
    /// Confidence of every interval a verdict is judged with (0.95).
    pub confidence: f64,
    /// Most replications a checkpoint or wall probe gets.
    pub max_replications: u32,
}

impl Default for Precision {
    fn default() -> Self {
        Precision {
            confidence: 0.95,
            max_replications: 20,
        }
    }
}

/// Run control.
#[derive(Clone, Debug, PartialEq)]
pub struct Simulation {
    /// Master seed of every random stream.
    pub seed: u64,
    /// DES, fluid or automatic choice.
    pub mode: Mode,
    /// Span of the traffic growth; `None` is a steady-state study.
    pub horizon: Option<SimDuration>,
    /// Number of checkpoints along the horizon.
    pub checkpoints: u32,
    /// Simulated time at each checkpoint, warm-up included.
    pub window: SimDuration,
    /// Where each window sits in its day.
    pub window_at: WindowAt,
    /// Start of each window excluded from statistics.
    pub warmup: SimDuration,
    /// Independent runs per checkpoint.
    pub replications: u32,
    /// Most requests `auto` simulates as events per window.
    pub des_budget: u64,
    /// Long DES windows may run as segments in parallel (`false`: every
    /// window in one piece, as a check of the segments).
    pub segments: bool,
    /// The objective each checkpoint is judged against.
    pub slo: Slo,
    /// More replications until verdicts are decided, if asked for.
    pub precision: Option<Precision>,
    /// Warning keys (or key prefixes) not to report (see the `warnings` module).
    pub quiet_warnings: Vec<String>,
}

impl Simulation {
    /// The confidence verdicts are judged with.
    pub fn confidence(&self) -> f64 {
        self.precision.map_or(0.95, |p| p.confidence)
    }
}
