//! From a validated scenario to measured checkpoints: the library's front door.
//!
//! `simulate` plans the checkpoints, runs each one's window through the DES
//! model on the rayon pool, and judges it against the SLO. It prints nothing
//! and writes no file, so tests and other programs can drive it directly.

use crate::cost::{CostLine, Usage, monthly_bill};
use crate::engine::{RngStreams, Simulation};
use crate::error::Error;
use crate::metrics::{Fate, WindowCollector, WindowSummary};
use crate::model::{Capacity, Observer, Outcome, Route, Tier, WebModel};
use crate::spec::{Checkpoint, Mode, RateProfile, Scenario, plan_checkpoints};
use crate::time::{SimDuration, SimTime};
use rayon::prelude::*;

/// How to run, beyond what the scenario says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunOptions {
    /// Worker threads for checkpoints (`None`: one per core). Results do not
    /// depend on it.
    pub threads: Option<usize>,
    /// A quick look: at most 4 checkpoints of at most 5 minutes each.
    pub short: bool,
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
}

/// What one checkpoint measured.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointResult {
    /// Where and how long.
    pub checkpoint: Checkpoint,
    /// How it was evaluated (`des` for now).
    pub mode: Mode,
    /// Measurements over the window.
    pub window: WindowSummary,
    /// Offered requests per second over the measured part of the window.
    pub offered_rps: f64,
    /// The monthly bill at this checkpoint's usage.
    pub bill: Vec<CostLine>,
    /// The bill's total.
    pub cost_usd_month: f64,
    /// Whether both SLO bounds hold.
    pub slo_met: bool,
    /// DES events handled.
    pub events: u64,
}

/// The result of a whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    /// The scenario as run (after `--short` and `--seed`).
    pub scenario: Scenario,
    /// One result per checkpoint, in order.
    pub checkpoints: Vec<CheckpointResult>,
}

/// The scenario as `options` change it.
pub fn effective_scenario(s: &Scenario, options: &RunOptions) -> Scenario {
    let mut s = s.clone();
    if let Some(seed) = options.seed {
        s.simulation.seed = seed;
    }
    if options.short {
        let sim = &mut s.simulation;
        sim.window = sim.window.min(SimDuration::from_secs(300));
        sim.warmup = sim.warmup.min(SimDuration(sim.window.0 / 5));
        sim.checkpoints = sim.checkpoints.min(4);
    }
    s
}

/// Runs every checkpoint of `s`.
pub fn simulate(s: &Scenario, options: &RunOptions) -> Result<RunReport, Error> {
    let s = effective_scenario(s, options);
    let plan = plan_checkpoints(&s);
    let modes = plan
        .iter()
        .map(|cp| choose_mode(&s, cp))
        .collect::<Result<Vec<_>, _>>()?;
    let streams = RngStreams::new(s.simulation.seed);
    let run_all = || {
        plan.par_iter()
            .zip(modes.par_iter())
            .map(|(cp, &mode)| run_checkpoint(&s, cp, mode, &streams))
            .collect::<Result<Vec<_>, Error>>()
    };
    let checkpoints = match options.threads {
        None => run_all()?,
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| Error::Internal(format!("cannot start {n} threads: {e}")))?
            .install(run_all)?,
    };
    Ok(RunReport {
        scenario: s,
        checkpoints,
    })
}

/// DES for `des` and for `auto` within the request budget.
fn choose_mode(s: &Scenario, cp: &Checkpoint) -> Result<Mode, Error> {
    let expected = RateProfile::new(s, cp).expected_requests(cp.start, cp.window);
    match s.simulation.mode {
        Mode::Des => Ok(Mode::Des),
        Mode::Auto if expected <= s.simulation.des_budget as f64 => Ok(Mode::Des),
        Mode::Auto => Err(Error::Unsupported {
            message: format!(
                "checkpoint {} expects {:.3e} requests in its {} window, above simulation.des_budget ({}), \
                 and the fluid mode that takes over beyond the budget is not supported yet",
                cp.index, expected, cp.window, s.simulation.des_budget
            ),
            help: "raise simulation.des_budget, set simulation.mode = \"des\", or shorten simulation.window"
                .to_string(),
        }),
        Mode::Fluid => Err(Error::Unsupported {
            message: "the fluid mode is not supported yet".to_string(),
            help: "set simulation.mode = \"des\" or \"auto\"".to_string(),
        }),
    }
}

impl Observer for WindowCollector {
    #[inline]
    fn arrival(&mut self, now: SimTime, class: u16, route: Route) {
        WindowCollector::arrival(self, now, usize::from(class), route.index());
    }

    #[inline]
    fn finished(
        &mut self,
        arrived: SimTime,
        done: SimTime,
        latency: SimDuration,
        outcome: Outcome,
        class: u16,
        route: Route,
    ) {
        let fate = match outcome {
            Outcome::Served => Fate::Served,
            Outcome::Dropped => Fate::Dropped,
            Outcome::TimedOut => Fate::TimedOut,
            Outcome::Error => Fate::Error,
            Outcome::Throttled => Fate::Throttled,
        };
        WindowCollector::finished(
            self,
            arrived,
            done,
            latency,
            fate,
            usize::from(class),
            route.index(),
        );
    }

    #[inline]
    fn busy_changed(&mut self, now: SimTime, tier: Tier, delta: i32) {
        match tier {
            Tier::Web => self.web_busy(now, delta),
            Tier::Db => self.db_busy(now, delta),
        }
    }

    #[inline]
    fn entered_origin(&mut self, now: SimTime) {
        WindowCollector::entered_origin(self, now);
    }

    #[inline]
    fn left_origin(&mut self, arrived: SimTime, now: SimTime) {
        WindowCollector::left_origin(self, arrived, now);
    }
}

/// Simulates one checkpoint's window.
pub fn run_checkpoint(
    s: &Scenario,
    cp: &Checkpoint,
    mode: Mode,
    streams: &RngStreams,
) -> Result<CheckpointResult, Error> {
    let streams = streams.child("checkpoint", cp.index as u64);
    let end = cp.start + cp.window;
    let measure_from = cp.start + cp.warmup;
    let capacity = Capacity::of(s);
    let collector = WindowCollector::new(
        cp.start,
        cp.window,
        cp.warmup,
        s.traffic.mix.len(),
        capacity.web_instances,
        capacity.web_vcpus,
        capacity.db_servers,
    );
    let mut model = WebModel::new(s, cp, &streams, collector);
    let first = model.first_arrival();
    let mut sim = Simulation::new(model, cp.start);
    if let Some(t) = first {
        sim.schedule_at(t, crate::model::Event::Arrival);
    }
    sim.run_until(end);
    let events = sim.events_handled();
    let model = sim.into_model();
    let inside = model.inside_since(measure_from);
    let window = model.into_observer().finish();
    let counts = window.counts;
    if inside + window.in_transit != counts.in_flight() {
        return Err(Error::Internal(format!(
            "checkpoint {}: {} requests unaccounted for (arrived {}, finished {}, inside {}, in transit {})",
            cp.index,
            counts.in_flight() as i128 - (inside + window.in_transit) as i128,
            counts.requests,
            counts.finished(),
            inside,
            window.in_transit
        )));
    }
    let bill = monthly_bill(s, &Usage::from_window(s, &window))?;
    let cost_usd_month = bill.iter().map(|l| l.usd_month).sum();
    let slo = s.simulation.slo;
    let finished = counts.finished();
    let availability = availability(counts.served, finished);
    let slo_met =
        window.latency.p99_ms <= slo.p99.as_millis_f64() && availability >= slo.availability;
    Ok(CheckpointResult {
        checkpoint: cp.clone(),
        mode,
        offered_rps: if window.measured_secs > 0.0 {
            counts.requests as f64 / window.measured_secs
        } else {
            0.0
        },
        window,
        bill,
        cost_usd_month,
        slo_met,
        events,
    })
}

/// Served over finished; 1 when nothing finished (nothing failed either).
pub fn availability(served: u64, finished: u64) -> f64 {
    if finished == 0 {
        1.0
    } else {
        served as f64 / finished as f64
    }
}
