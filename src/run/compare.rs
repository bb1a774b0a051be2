//! Several designs under the same traffic: `simscale compare`.
//!
//! Every design runs with one seed, so checkpoint `k` of each draws the same
//! arrivals (common random numbers). Each design is then evaluated again at
//! a few common loads (user counts, or request rates when no design counts
//! users), replication `r` of every design drawing from the same streams,
//! so the difference of a design's p99 to the first design's is paired
//! replication by replication and gets a confidence interval of its own.

use super::{RunOptions, RunReport, choose_mode, effective_scenario, run_checkpoint, simulate};
use crate::engine::RngStreams;
use crate::error::Error;
use crate::metrics::Estimate;
use crate::spec::{Checkpoint, Load, Mode, Scenario, Users, place_window};
use crate::time::SimTime;
use rayon::prelude::*;

/// How many common loads are chosen when none are given.
pub const COMMON_POINTS: usize = 5;

/// A common load at which every design is evaluated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CommonLoad {
    /// A number of users (designs whose traffic is given in users).
    Users(f64),
    /// Requests per second before the daily cycle (designs given a rate).
    Rate(f64),
}

impl CommonLoad {
    /// The column suffix: `1000` for users, `50rps` for a rate.
    pub fn label(&self) -> String {
        match self {
            CommonLoad::Users(u) => format!("{u:.0}"),
            CommonLoad::Rate(r) => format!("{}rps", trim_number(*r)),
        }
    }

    /// The number itself.
    pub fn value(&self) -> f64 {
        match self {
            CommonLoad::Users(x) | CommonLoad::Rate(x) => *x,
        }
    }
}

/// `12.5` as `12.5`, `50.0` as `50`.
fn trim_number(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// The wall of one design as `compare.csv` reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WallFigures {
    /// The most users found within the SLO; `None` without a wall.
    pub users: Option<f64>,
    /// The bracket's lower end: the wall, or the most users simulated
    /// within the SLO when it held to the end of the horizon.
    pub users_low: Option<f64>,
    /// The bracket's upper end: the fewest users found to miss the SLO.
    pub users_high: Option<f64>,
    /// Peak offered requests per second at the wall's users: the base rate
    /// times the daily cycle's largest factor.
    pub peak_rps: Option<f64>,
    /// The monthly bill at the wall.
    pub cost_usd_month: Option<f64>,
    /// That bill per 1,000 users.
    pub cost_usd_per_1k_users_month: Option<f64>,
    /// The SLO bound that broke: `p99` or `availability`.
    pub reason: Option<&'static str>,
    /// The AZ-loss wall's users.
    pub az_loss_users: Option<f64>,
}

impl WallFigures {
    /// The figures of a run.
    pub fn of(report: &RunReport) -> WallFigures {
        let az_loss_users = report.az_loss.as_ref().and_then(|a| a.users);
        let figures = match &report.wall {
            Some(w) => WallFigures {
                users: Some(w.users),
                users_low: Some(w.users_low),
                users_high: Some(w.users_high),
                peak_rps: Some(w.peak_rps()),
                cost_usd_month: Some(w.cost_usd_month),
                cost_usd_per_1k_users_month: (w.users > 0.0)
                    .then(|| w.cost_usd_month / w.users * 1000.0),
                reason: Some(w.reason),
                az_loss_users: None,
            },
            None => WallFigures {
                users_low: report.most_users_met(),
                ..WallFigures::default()
            },
        };
        WallFigures {
            az_loss_users,
            ..figures
        }
    }
}

/// One design measured at one common load.
#[derive(Clone, Debug, PartialEq)]
pub struct AtLoad {
    /// p99 latency, ms, over replications; `None` when nothing was served.
    pub p99_ms: Option<Estimate>,
    /// Served over finished, over all replications.
    pub availability: f64,
    /// p99 minus the first design's p99 at the same load, paired by
    /// replication; `None` for the first design or when either served nothing.
    pub p99_ms_diff: Option<Estimate>,
    /// How it was evaluated.
    pub mode: Mode,
}

/// One design of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignResult {
    /// Its name in tables: the file stem.
    pub design: String,
    /// The file as given.
    pub file: String,
    /// The full run.
    pub report: RunReport,
    /// Its wall.
    pub wall: WallFigures,
    /// One entry per common load; `None` where the load does not apply
    /// (users for a design given a rate, or the reverse).
    pub at: Vec<Option<AtLoad>>,
}

impl DesignResult {
    /// Its wall over the first design's; `None` when either has none or the
    /// first design's is 0.
    pub fn relative_wall(&self, first: &DesignResult) -> Option<f64> {
        match (self.wall.users, first.wall.users) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        }
    }
}

/// The whole comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The designs, in the order given; the first is the reference.
    pub designs: Vec<DesignResult>,
    /// The common loads, ascending.
    pub loads: Vec<CommonLoad>,
    /// The seed every design ran with.
    pub seed: u64,
    /// Replications per design at each common load.
    pub replications: u32,
}

/// A design to compare: its name, its file as given, the scenario.
#[derive(Clone, Debug)]
pub struct DesignInput {
    /// Name in tables.
    pub design: String,
    /// File as given.
    pub file: String,
    /// The validated scenario.
    pub scenario: Scenario,
}

/// Runs every design with one seed (`options.seed`, else the first
/// design's), then evaluates each at the common loads (`loads`, else
/// [`common_loads`]). A design's `[ladder]` is ignored: its base is compared.
pub fn compare(
    inputs: &[DesignInput],
    loads: Option<Vec<CommonLoad>>,
    options: &RunOptions,
) -> Result<Comparison, Error> {
    let Some(first) = inputs.first() else {
        return Err(Error::Usage {
            message: "compare: no design given".into(),
            help: "write simscale compare A.toml B.toml ...".into(),
        });
    };
    let seed = options.seed.unwrap_or(first.scenario.simulation.seed);
    let inner = RunOptions {
        threads: None,
        seed: Some(seed),
        ..options.clone()
    };
    let scenarios: Vec<Scenario> = inputs
        .iter()
        .map(|d| {
            let mut s = effective_scenario(&d.scenario, &inner);
            s.ladder = None;
            s
        })
        .collect();
    let replications = options.replications.map_or_else(
        || {
            scenarios
                .iter()
                .map(|s| s.simulation.replications)
                .max()
                .unwrap_or(1)
        },
        |r| r.max(1),
    );
    let work = || -> Result<Comparison, Error> {
        let reports = scenarios
            .par_iter()
            .map(|s| simulate(s, &inner))
            .collect::<Result<Vec<_>, Error>>()?;
        let loads = loads.unwrap_or_else(|| common_loads(&reports, COMMON_POINTS));
        let streams = RngStreams::new(seed).child("compare", 0);
        let cells: Vec<(usize, usize)> = (0..scenarios.len())
            .flat_map(|d| (0..loads.len()).map(move |j| (d, j)))
            .collect();
        let runs = cells
            .par_iter()
            .map(|&(d, j)| {
                evaluate_at(
                    &scenarios[d],
                    loads[j],
                    j,
                    replications,
                    &streams.child("load", j as u64),
                )
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut designs = Vec::with_capacity(reports.len());
        for (d, report) in reports.into_iter().enumerate() {
            let at = (0..loads.len())
                .map(|j| {
                    let mine = runs[d * loads.len() + j].as_ref()?;
                    let base = runs[j].as_ref();
                    Some(summarise(mine, if d == 0 { None } else { base }))
                })
                .collect();
            designs.push(DesignResult {
                design: inputs[d].design.clone(),
                file: inputs[d].file.clone(),
                wall: WallFigures::of(&report),
                report,
                at,
            });
        }
        Ok(Comparison {
            designs,
            loads,
            seed,
            replications,
        })
    };
    crate::run::in_pool(options.threads, work)?
}

/// One replication at a common load: p99 (when something was served),
/// served and finished requests.
#[derive(Clone, Copy, Debug)]
struct Sample {
    p99_ms: Option<f64>,
    served: u64,
    finished: u64,
    mode: Mode,
}

fn summarise(mine: &[Sample], base: Option<&Vec<Sample>>) -> AtLoad {
    let p99s: Option<Vec<f64>> = mine.iter().map(|x| x.p99_ms).collect();
    let served: u64 = mine.iter().map(|x| x.served).sum();
    let finished: u64 = mine.iter().map(|x| x.finished).sum();
    let p99_ms_diff = base.and_then(|base| {
        let diffs: Option<Vec<f64>> = mine
            .iter()
            .zip(base)
            .map(|(a, b)| Some(a.p99_ms? - b.p99_ms?))
            .collect();
        diffs.map(|d| Estimate::of(&d))
    });
    AtLoad {
        p99_ms: p99s.map(|p| Estimate::of(&p)),
        availability: super::availability(served, finished),
        p99_ms_diff,
        mode: mine.first().map_or(Mode::Fluid, |x| x.mode),
    }
}

/// `replications` single windows of `s` at `load`, replication `r` drawing
/// from `streams.child("pair", r)`; one window stands for all in fluid mode
/// (it has no randomness). `None` when the load does not apply to `s`.
fn evaluate_at(
    s: &Scenario,
    load: CommonLoad,
    index: usize,
    replications: u32,
    streams: &RngStreams,
) -> Result<Option<Vec<Sample>>, Error> {
    let Some(cp) = checkpoint_at(s, load, index) else {
        return Ok(None);
    };
    let mut one = s.clone();
    one.simulation.replications = 1;
    let (mode, _) = choose_mode(&one, &cp);
    let n = if mode == Mode::Fluid { 1 } else { replications };
    let samples = (0..n)
        .into_par_iter()
        .map(|r| {
            let result = run_checkpoint(&one, &cp, &streams.child("pair", u64::from(r)))?;
            let c = result.window.counts;
            Ok(Sample {
                p99_ms: (c.served > 0).then_some(result.window.latency.p99_ms),
                served: c.served,
                finished: c.finished(),
                mode: result.mode,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    // A fluid value stands for every replication: the pairing still holds.
    let last = samples.last().copied();
    let mut samples = samples;
    if let Some(x) = last {
        samples.resize(replications as usize, x);
    }
    Ok(Some(samples))
}

/// The window of `s` at a common load: for users, where its growth curve
/// reaches them (the horizon's start for a steady state), its windows and
/// warm-up; `None` when `s` gives its traffic the other way.
pub fn checkpoint_at(s: &Scenario, load: CommonLoad, index: usize) -> Option<Checkpoint> {
    let (users, base_rate) = match (&s.traffic.load, load) {
        (Load::Users { .. }, CommonLoad::Users(u)) => (Some(u), s.traffic.base_rate(u)),
        (Load::Rate(_), CommonLoad::Rate(r)) => (None, r),
        _ => return None,
    };
    let at = match (&s.traffic.load, s.simulation.horizon, users) {
        (
            Load::Users {
                users: Users::Growing { start, end, shape },
                ..
            },
            Some(h),
            Some(u),
        ) => {
            let x = shape.fraction_at(*start, *end, u).unwrap_or(1.0);
            SimTime((h.as_nanos() as f64 * x).round() as u64)
        }
        _ => SimTime::ZERO,
    };
    Some(Checkpoint {
        index,
        start: place_window(s, at),
        users,
        base_rate,
        window: s.simulation.window,
        warmup: s.simulation.warmup,
    })
}

/// Common loads for `reports`: when any design counts users, `n` user
/// counts log-spaced from a tenth of the lowest wall (not below the fewest
/// users any design simulated) to the largest wall bracket (or users
/// simulated, for a design without a wall), rounded to two significant
/// figures; otherwise the designs' rates.
pub fn common_loads(reports: &[RunReport], n: usize) -> Vec<CommonLoad> {
    let users: Vec<&RunReport> = reports
        .iter()
        .filter(|r| matches!(r.scenario.traffic.load, Load::Users { .. }))
        .collect();
    if users.is_empty() {
        let mut rates: Vec<f64> = reports
            .iter()
            .filter_map(|r| match r.scenario.traffic.load {
                Load::Rate(x) => Some(x),
                Load::Users { .. } => None,
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        rates.dedup();
        return rates.into_iter().map(CommonLoad::Rate).collect();
    }
    let simulated = |r: &RunReport| {
        r.checkpoints
            .iter()
            .filter_map(|c| c.checkpoint.users)
            .collect::<Vec<_>>()
    };
    // From a tenth of the lowest wall (where every design still copes),
    // but not below the fewest users simulated, to the highest bracket.
    let fewest = users
        .iter()
        .flat_map(|r| simulated(r))
        .fold(f64::INFINITY, f64::min)
        .max(1.0);
    let lowest_wall = users
        .iter()
        .filter_map(|r| r.wall.as_ref())
        .map(|w| w.users.max(w.missed_at / 10.0) / 10.0)
        .fold(f64::INFINITY, f64::min);
    let lo = if lowest_wall.is_finite() {
        fewest.max(lowest_wall)
    } else {
        fewest
    };
    let hi = users
        .iter()
        .map(|r| match &r.wall {
            Some(w) => w.missed_at,
            None => simulated(r).into_iter().fold(0.0, f64::max),
        })
        .fold(lo, f64::max);
    let n = n.max(1);
    let mut out: Vec<f64> = (0..n)
        .map(|k| {
            let f = if n == 1 {
                1.0
            } else {
                k as f64 / (n - 1) as f64
            };
            two_significant(lo * (hi / lo).powf(f))
        })
        .collect();
    out.dedup();
    out.into_iter().map(CommonLoad::Users).collect()
}

/// `x` rounded to two significant figures (at least 1).
fn two_significant(x: f64) -> f64 {
    if x < 10.0 {
        return x.round().max(1.0);
    }
    let scale = 10f64.powi(x.log10().floor() as i32 - 1);
    (x / scale).round() * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_are_named_for_columns() {
        assert_eq!(CommonLoad::Users(1000.0).label(), "1000");
        assert_eq!(CommonLoad::Rate(50.0).label(), "50rps");
        assert_eq!(CommonLoad::Rate(12.5).label(), "12.5rps");
    }

    #[test]
    fn two_significant_figures() {
        assert_eq!(two_significant(0.3), 1.0);
        assert_eq!(two_significant(7.4), 7.0);
        assert_eq!(two_significant(1234.0), 1200.0);
        assert_eq!(two_significant(98_765.0), 99_000.0);
    }
}
