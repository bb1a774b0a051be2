//! From a validated scenario to measured checkpoints: the library's front door.
//!
//! `simulate` plans the checkpoints, evaluates each one (every replication
//! of its window) on the rayon pool, judges it against the SLO, and then
//! looks for the wall: the most users the design carries within its SLO,
//! by bisection between the last checkpoint that met it and the first that
//! did not. It prints nothing and writes no file, so tests and other
//! programs can drive it directly.

mod az_loss;
pub mod compare;
mod des;
pub mod edge;
pub mod guard;
mod lag;
mod limit;
pub mod segments;
pub mod serverless;
mod verdict;
mod wall;

pub use az_loss::AzLoss;
pub use des::frame;
pub use verdict::{Judged, Judgement, Verdict, judge, judge_class};
pub use wall::Wall;

use crate::cost::{CostLine, MonthScale, Usage, monthly_bill};
use crate::engine::RngStreams;
use crate::error::Error;
use crate::metrics::{Estimate, WindowSummary};
use crate::spec::{
    Checkpoint, Mode, Precision, RateProfile, Scenario, Slo, SloOver, WindowAt, plan_checkpoints,
};
use crate::time::SimDuration;
use rayon::prelude::*;

/// How to run, beyond what the scenario says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunOptions {
    /// Worker threads (`None`: one per core). Results do not depend on it.
    pub threads: Option<usize>,
    /// A quick look: at most 4 checkpoints of at most 5 minutes each, at
    /// the daily peak.
    pub short: bool,
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// Replaces the scenario's number of replications.
    pub replications: Option<u32>,
    /// Turns on `simulation.precision` (with its defaults unless the
    /// scenario sets it).
    pub precision: bool,
    /// Runs even what the guard rails would refuse as too long.
    pub force: bool,
}

/// Told how much work a run has and how much is done (a progress bar).
pub trait Progress: Sync {
    /// `n` more windows to simulate.
    fn add_work(&self, n: u64);
    /// `n` windows simulated.
    fn done(&self, n: u64);
}

/// Progress that goes nowhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn add_work(&self, _: u64) {}
    fn done(&self, _: u64) {}
}

/// Estimates over replications of the columns that get a `_ci95` companion.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimates {
    /// Mean latency, ms.
    pub mean_ms: Estimate,
    /// Median latency, ms.
    pub p50_ms: Estimate,
    /// 95th percentile, ms.
    pub p95_ms: Estimate,
    /// 99th percentile, ms.
    pub p99_ms: Estimate,
    /// Served over finished.
    pub availability: Estimate,
    /// Monthly bill.
    pub cost_usd_month: Estimate,
}

/// What one checkpoint measured, over all its replications.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointResult {
    /// Where and how long.
    pub checkpoint: Checkpoint,
    /// How it was evaluated.
    pub mode: Mode,
    /// Measurements over the window: counts and measured time summed over
    /// replications, the rest averaged.
    pub window: WindowSummary,
    /// Independent replications behind it.
    pub replications: u32,
    /// Means and 95% confidence half-widths over replications.
    pub estimates: Estimates,
    /// Offered requests per second over the measured part of the window.
    pub offered_rps: f64,
    /// The monthly bill at this checkpoint's load (mean over replications).
    pub bill: Vec<CostLine>,
    /// The bill's total.
    pub cost_usd_month: f64,
    /// Whether both SLO bounds hold on the point estimates of every interval.
    pub slo_met: bool,
    /// The verdict with its uncertainty, and the interval that decided it.
    pub judgement: Judgement,
    /// Why this mode was chosen.
    pub mode_reason: String,
    /// The highest offered rate over the measured window (the traffic
    /// profile's, minute by minute), requests per second.
    pub peak_rps: f64,
    /// DES events handled, over all replications.
    pub events: u64,
    /// Each request class judged over the measured window, in mix order:
    /// against its own `slo` when it has one (which then counts in
    /// `judgement` and `slo_met`), else against the scenario's bounds, for
    /// information only.
    pub classes: Vec<Judged>,
    /// The serverless path's limits and their loads (empty without the path).
    pub serverless_limits: Vec<serverless::LimitLoad>,
    /// The limits in front of the web tier (the CDN's S3 origin, the load
    /// balancer's scaling) and their loads (see [`edge::limit_loads`]).
    pub edge_limits: Vec<serverless::LimitLoad>,
}

impl CheckpointResult {
    /// Served over finished requests, over all replications.
    pub fn availability(&self) -> f64 {
        let c = &self.window.counts;
        availability(c.served, c.finished())
    }

    /// The part of the monthly bill that buys instance-hours (EC2 and RDS):
    /// what changes between rungs of a ladder of instance sizes.
    pub fn instance_cost_usd_month(&self) -> f64 {
        self.bill
            .iter()
            .filter(|l| l.unit == "instance-hours")
            .map(|l| l.usd_month)
            .sum()
    }

    /// How this checkpoint's monthly bill was obtained from its window
    /// (see [`MonthScale::for_checkpoint`]), for reports.
    pub fn bill_basis(&self, s: &Scenario) -> String {
        MonthScale::for_checkpoint(s, &self.checkpoint).basis
    }

    /// The SLO bound that this checkpoint broke in its deciding interval:
    /// `availability` first, then `p99`; then a class's own bound that it
    /// broke; `None` when it met every objective.
    pub fn broken_bound(&self, s: &Scenario) -> Option<&'static str> {
        self.judgement
            .worst
            .broken_bound(&s.simulation.slo)
            .or_else(|| {
                s.traffic
                    .mix
                    .iter()
                    .zip(&self.classes)
                    .filter_map(|(c, j)| j.broken_bound(&c.slo?.as_slo()))
                    .next()
            })
    }

    /// The verdict: met, missed or uncertain.
    pub fn verdict(&self) -> Verdict {
        self.judgement.verdict
    }

    /// The station that bounds the design at this load and its busy share
    /// over the measured window (see [`crate::metrics::Stations::bottleneck`]).
    pub fn bottleneck(&self) -> Option<(String, f64)> {
        // The serverless path's limits compete with the stations: the most
        // loaded wins (stations first on a tie).
        let station = self.window.stations.bottleneck();
        let limit = self
            .serverless_limits
            .iter()
            .chain(&self.edge_limits)
            .filter(|l| l.competes())
            .max_by(|a, b| a.load.total_cmp(&b.load));
        match (station, limit) {
            // A limit must be measurably more loaded (so an idle window
            // keeps naming its stations).
            (Some(st), Some(l)) if l.load > st.1 + 1e-6 => Some((l.name.to_string(), l.load)),
            (None, Some(l)) => Some((l.name.to_string(), l.load)),
            (st, _) => st,
        }
    }

    /// The bottleneck in words, with what would move it, e.g. "the web
    /// workers (8 per instance, 100% busy): raise `web.workers`".
    pub fn bottleneck_advice(&self, s: &Scenario) -> Option<String> {
        let (name, u) = self.bottleneck()?;
        let pct = 100.0 * u;
        let db = s.database.as_ref();
        let db_name = match db.map(|d| &d.placement) {
            Some(crate::spec::DbPlacement::Rds(i)) => i.name.clone(),
            _ => String::new(),
        };
        Some(match name.as_str() {
            "web_cpu" => format!(
                "the web vCPUs ({} x {}, {} vCPUs each, {pct:.0}% busy): a larger `web.instance` or a higher `web.count`",
                s.web.count, s.web.instance.name, s.web.instance.vcpus
            ),
            "web_workers" => format!(
                "the web workers ({} per instance, {pct:.0}% busy): raise `web.workers`",
                s.web.workers
            ),
            "api_gateway_throttle" => format!(
                "API Gateway's throttle ({} requests/s, {pct:.0}% of it at the peak): ask AWS to raise the account's throttle (`serverless.api_gateway.throttle_rps`)",
                s.serverless.as_ref().map_or(0.0, |sl| sl.api_gateway.throttle_rps)
            ),
            "lambda_concurrency" => format!(
                "Lambda's concurrency limit ({} environments, {pct:.0}% used at most): raise `serverless.lambda.concurrency` (a quota increase) or shorten the function",
                s.serverless.as_ref().map_or(0, |sl| sl.lambda.concurrency)
            ),
            "cdn_origin" => format!(
                "CloudFront's S3 origin ({} x 5,500 GET/s, {pct:.0}% of it at the peak): S3 answers 503 Slow Down above it while it partitions (30-60 min); spread the static objects over more prefixes (`cdn.s3_prefixes`) or raise `cdn.hit_ratio`",
                s.cdn.as_ref().map_or(1, |c| c.s3_prefixes)
            ),
            "load_balancer" => format!(
                "the load balancer's scaling (traffic rises {:.0}% in five minutes; it absorbs 50%): ask AWS to pre-warm it before the surge, or ramp the event more slowly",
                u * 100.0 * edge::LB_RISE_PER_5_MIN
            ),
            "lambda_scaling_rate" => "Lambda's scaling rate (1,000 new environments per 10 s): `serverless.lambda.provisioned` environments for the surge".to_string(),
            "dynamodb_capacity" => format!(
                "DynamoDB's capacity ({pct:.0}% of it at the peak): more `serverless.dynamodb.wcu`/`rcu`, or on-demand mode"
            ),
            "db_primary" => format!(
                "the DB primary ({db_name}, {pct:.0}% busy): a larger `database.instance`{}",
                if db.is_some_and(|d| d.read_replicas == 0) {
                    ", or `database.read_replicas` for the reads"
                } else {
                    " (writes go to the primary)"
                }
            ),
            other => match db.and_then(|d| d.distinct_replica_class()) {
                Some(r) => format!(
                    "read replica {} ({}, {pct:.0}% busy): more `database.read_replicas` or a larger `database.replica_instance`",
                    other.trim_start_matches("db_replica_"),
                    r.name
                ),
                None => format!(
                    "read replica {} ({db_name}, {pct:.0}% busy): more `database.read_replicas` or a larger `database.instance`",
                    other.trim_start_matches("db_replica_")
                ),
            },
        })
    }
}

/// The result of a whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    /// The scenario as run (after `--short`, `--seed`, `--replications`).
    pub scenario: Scenario,
    /// One result per checkpoint, in order.
    pub checkpoints: Vec<CheckpointResult>,
    /// Where the design stops meeting its SLO; `None` when it holds to the
    /// end of the horizon, or when traffic is not given in users.
    pub wall: Option<Wall>,
    /// The wall with the largest AZ down through the busiest hour; `None`
    /// when traffic is not given in users.
    pub az_loss: Option<AzLoss>,
}

impl RunReport {
    /// Checkpoint `i` lies past the wall: its users exceed what the design
    /// carries within its SLO, so its cost per user is not the design's.
    pub fn over_capacity(&self, i: usize) -> bool {
        match (
            &self.wall,
            self.checkpoints.get(i).and_then(|c| c.checkpoint.users),
        ) {
            (Some(w), Some(u)) => u > w.users,
            _ => false,
        }
    }

    /// The most users of a checkpoint whose point estimates meet the SLO
    /// (`None` when none does, or traffic is not given in users).
    pub fn most_users_met(&self) -> Option<f64> {
        self.checkpoints
            .iter()
            .filter(|c| c.slo_met)
            .filter_map(|c| c.checkpoint.users)
            .reduce(f64::max)
    }

    /// The wall's users, or without one the most users met.
    pub fn users_carried(&self) -> f64 {
        match &self.wall {
            Some(w) => w.users,
            None => self.most_users_met().unwrap_or(0.0),
        }
    }

    /// Users the design can still take on at checkpoint `i` before its wall
    /// (0 past it); `None` without a wall.
    pub fn headroom_users(&self, i: usize) -> Option<f64> {
        let wall = self.wall.as_ref()?;
        let users = self.checkpoints.get(i)?.checkpoint.users?;
        Some((wall.users - users).max(0.0))
    }
}

/// Runs `work` on a pool of `threads` threads, or on the global pool (one
/// per core) for `None`.
pub fn in_pool<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> T + Send,
) -> Result<T, Error> {
    match threads {
        None => Ok(work()),
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| Error::Internal(format!("cannot start {n} threads: {e}")))?
            .install(work)),
    }
}

/// The scenario as `options` change it.
pub fn effective_scenario(s: &Scenario, options: &RunOptions) -> Scenario {
    let mut s = s.clone();
    if let Some(seed) = options.seed {
        s.simulation.seed = seed;
    }
    if let Some(r) = options.replications {
        s.simulation.replications = r.max(1);
    }
    if options.precision && s.simulation.precision.is_none() {
        s.simulation.precision = Some(Precision::default());
    }
    if options.short {
        let sim = &mut s.simulation;
        sim.window = sim.window.min(SimDuration::from_secs(300));
        sim.warmup = sim.warmup.min(SimDuration(sim.window.0 / 5));
        sim.checkpoints = sim.checkpoints.min(4);
        sim.window_at = WindowAt::Peak;
    }
    s
}

/// Runs every checkpoint of `s`, then looks for its wall.
pub fn simulate(s: &Scenario, options: &RunOptions) -> Result<RunReport, Error> {
    simulate_with_progress(s, options, &NoProgress)
}

/// [`simulate`], reporting progress.
pub fn simulate_with_progress(
    s: &Scenario,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunReport, Error> {
    let s = effective_scenario(s, options);
    crate::cost::check_prices(&s)?;
    let run = || -> Result<RunReport, Error> {
        let mut report = run_plan(&s, options, progress)?;
        report.az_loss = az_loss::find(&s, &report, options)?;
        Ok(report)
    };
    in_pool(options.threads, run)?
}

/// Every checkpoint of `s` (already effective) and its wall, without the
/// AZ-loss wall: the AZ-loss probe's own run.
fn simulate_inner(s: &Scenario, options: &RunOptions) -> Result<RunReport, Error> {
    run_plan(s, options, &NoProgress)
}

fn run_plan(
    s: &Scenario,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunReport, Error> {
    guard::check(s, options)?;
    let plan = plan_checkpoints(s);
    let streams = RngStreams::new(s.simulation.seed);
    progress.add_work(plan.len() as u64 * u64::from(s.simulation.replications));
    let checkpoints = plan
        .par_iter()
        .map(|cp| {
            let r = run_checkpoint(s, cp, &streams.child("checkpoint", cp.index as u64));
            progress.done(u64::from(s.simulation.replications));
            r
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let wall = wall::find(s, &checkpoints, &streams, progress)?;
    Ok(RunReport {
        scenario: s.clone(),
        checkpoints,
        wall,
        az_loss: None,
    })
}

/// How checkpoint `cp` is evaluated, and why: as the scenario says, and
/// for `auto`, DES when the window's expected requests fit `des_budget`,
/// fluid beyond. A fluid checkpoint outside the range where the fluid mode
/// is validated against the DES says so (`fluid: outside its validated
/// range`), and the reports warn.
pub fn choose_mode(s: &Scenario, cp: &Checkpoint) -> (Mode, String) {
    match s.simulation.mode {
        Mode::Auto => {
            let expected = RateProfile::new(s, cp).expected_requests(cp.start, cp.window);
            let budget = s.simulation.des_budget as f64;
            if expected <= budget {
                (
                    Mode::Des,
                    format!("des: {expected:.3e} expected requests fit des_budget {budget:.3e}"),
                )
            } else {
                let why =
                    format!("{expected:.3e} expected requests exceed des_budget {budget:.3e}");
                match crate::fluid::outside_validated_range(s, cp) {
                    Some(range) => (Mode::Fluid, format!("{range}; {why}")),
                    None => (Mode::Fluid, format!("fluid: {why}")),
                }
            }
        }
        Mode::Fluid => match crate::fluid::outside_validated_range(s, cp) {
            Some(range) => (Mode::Fluid, format!("{range}; set by simulation.mode")),
            None => (Mode::Fluid, "fluid: set by simulation.mode".to_string()),
        },
        Mode::Des => (Mode::Des, "des: set by simulation.mode".to_string()),
    }
}

/// Replications after `r` when a verdict is still uncertain.
fn more_replications(r: u32, max: u32) -> u32 {
    (r * 2).max(4).min(max)
}

/// Evaluates checkpoint `cp`: `simulation.replications` independent
/// windows, each drawing from `streams.child("replication", r)`, combined;
/// with `simulation.precision`, more while the verdict is uncertain. The
/// same `streams` for two designs give them common random numbers.
pub fn run_checkpoint(
    s: &Scenario,
    cp: &Checkpoint,
    streams: &RngStreams,
) -> Result<CheckpointResult, Error> {
    let (mode, mode_reason) = choose_mode(s, cp);
    let sim = &s.simulation;
    let exact = mode == Mode::Fluid;
    // The fluid mode has no randomness: one evaluation stands for all
    // replications, with confidence intervals of zero.
    let mut want = if exact { 1 } else { sim.replications.max(1) };
    let mut windows: Vec<WindowSummary> = Vec::new();
    let mut events = 0;
    let (judgement, classes) = loop {
        let more = (windows.len() as u32..want)
            .into_par_iter()
            .map(|r| match mode {
                Mode::Fluid => Ok((crate::fluid::evaluate(s, cp), 0)),
                _ => segments::des_segmented(s, cp, &streams.child("replication", u64::from(r))),
            })
            .collect::<Result<Vec<_>, Error>>()?;
        for (w, e) in more {
            windows.push(w);
            events += e;
        }
        let j = judge_with_classes(s, exact, &windows);
        match sim.precision {
            Some(p) if !exact && !j.0.verdict.is_decided() && want < p.max_replications => {
                want = more_replications(want, p.max_replications);
            }
            _ => break j,
        }
    };
    let replications = windows.len() as u32;
    let scale = MonthScale::for_checkpoint(s, cp);
    let bills = windows
        .iter()
        .map(|w| monthly_bill(s, &Usage::from_window_scaled(s, w, &scale)))
        .collect::<Result<Vec<_>, Error>>()?;
    let costs: Vec<f64> = bills
        .iter()
        .map(|b| b.iter().map(|l| l.usd_month).sum())
        .collect();
    let per_run = |f: &dyn Fn(&WindowSummary) -> f64| {
        Estimate::of(&windows.iter().map(f).collect::<Vec<_>>())
    };
    let estimates = Estimates {
        mean_ms: per_run(&|w| w.latency.mean_ms),
        p50_ms: per_run(&|w| w.latency.p50_ms),
        p95_ms: per_run(&|w| w.latency.p95_ms),
        p99_ms: per_run(&|w| w.latency.p99_ms),
        availability: per_run(&|w| availability(w.counts.served, w.counts.finished())),
        cost_usd_month: Estimate::of(&costs),
    };
    let bill = mean_bill(&bills);
    let window = WindowSummary::combine(&windows)
        .ok_or_else(|| Error::Internal("a checkpoint without replications".into()))?;
    let counts = window.counts;
    let peak = peak_rps(s, cp);
    Ok(CheckpointResult {
        serverless_limits: serverless::limit_loads(s, &window, peak),
        edge_limits: edge::limit_loads(s, cp, peak),
        checkpoint: cp.clone(),
        mode,
        mode_reason,
        peak_rps: peak,
        offered_rps: if window.measured_secs > 0.0 {
            counts.requests as f64 / window.measured_secs
        } else {
            0.0
        },
        replications,
        estimates,
        cost_usd_month: estimates.cost_usd_month.mean,
        bill,
        window,
        slo_met: judgement.met,
        judgement,
        events,
        classes,
    })
}

/// The checkpoint's judgement over the scenario's SLO and every class's
/// own: a class objective broken makes the checkpoint miss (its verdict is
/// the worst of all, its point estimates meet only if every one does); and
/// each class judged, against its own objective or the scenario's.
fn judge_with_classes(
    s: &Scenario,
    exact: bool,
    windows: &[WindowSummary],
) -> (Judgement, Vec<Judged>) {
    let sim = &s.simulation;
    let mut j = judge(&sim.slo, sim.confidence(), exact, windows);
    let mut classes = Vec::with_capacity(s.traffic.mix.len());
    for (k, c) in s.traffic.mix.iter().enumerate() {
        let own = c.slo.map(|o| o.as_slo());
        let slo = own.unwrap_or(Slo {
            over: SloOver::Window,
            ..sim.slo
        });
        let Some(cj) = judge_class(&slo, sim.confidence(), exact, windows, k) else {
            continue;
        };
        if own.is_some() {
            j.verdict = j.verdict.max(cj.verdict);
            j.met &= cj.point_met;
        }
        classes.push(cj);
    }
    (j, classes)
}

/// The highest of the traffic profile's per-minute mean rates over the
/// measured part of `cp`'s window.
pub fn peak_rps(s: &Scenario, cp: &Checkpoint) -> f64 {
    const MINUTE: u64 = 60 * crate::time::NANOS_PER_SEC;
    let profile = RateProfile::new(s, cp);
    let end = cp.start + cp.window;
    let mut t = cp.start + cp.warmup;
    let mut peak: f64 = 0.0;
    while t < end {
        let len = SimDuration(MINUTE.min((end - t).as_nanos()));
        peak = peak.max(profile.expected_requests(t, len) / len.as_secs_f64());
        t += len;
    }
    peak
}

/// The line-by-line mean of bills with the same lines.
fn mean_bill(bills: &[Vec<CostLine>]) -> Vec<CostLine> {
    let n = bills.len().max(1) as f64;
    let mut mean = bills.first().cloned().unwrap_or_default();
    for (i, line) in mean.iter_mut().enumerate() {
        line.usd_month = bills
            .iter()
            .filter_map(|b| b.get(i))
            .map(|l| l.usd_month)
            .sum::<f64>()
            / n;
    }
    mean
}

/// Served over finished; 1 when nothing finished (nothing failed either).
pub fn availability(served: u64, finished: u64) -> f64 {
    if finished == 0 {
        1.0
    } else {
        served as f64 / finished as f64
    }
}
