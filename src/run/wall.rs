//! The wall: the most users a design carries within its SLO.

use super::{CheckpointResult, Progress, Verdict, run_checkpoint};
use crate::engine::RngStreams;
use crate::error::Error;
use crate::spec::{Checkpoint, Load, Mode, Scenario, Users, place_window};
use crate::time::SimTime;

/// Bisection stops when the bracket is this narrow (upper / lower users).
pub(super) const PRECISION: f64 = 1.02;
/// And after this many extra windows at most.
pub(super) const MAX_PROBES: usize = 10;

/// Where a growing design stops meeting its SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct Wall {
    /// The most users found to meet the SLO on its point estimates (0 if
    /// even the fewest tried miss it).
    pub users: f64,
    /// The fewest users found to miss it, on the point estimates.
    pub missed_at: f64,
    /// The most users whose verdict is a decided `met` (0 if none): the
    /// wall is at least this.
    pub users_low: f64,
    /// The fewest users whose verdict is a decided `missed`: the wall is
    /// below this.
    pub users_high: f64,
    /// The bound that broke at `missed_at`: `p99` or `availability`.
    pub reason: &'static str,
    /// The monthly bill at `users` (at `missed_at` when `users` is 0).
    pub cost_usd_month: f64,
    /// The instance-hours part of it (EC2 and RDS).
    pub instance_cost_usd_month: f64,
    /// Extra windows simulated to narrow it down.
    pub probes: usize,
    /// The evaluation at `users` (at `missed_at` when `users` is 0).
    pub at: Box<CheckpointResult>,
}

impl Wall {
    /// The verdict at the wall's users.
    pub fn verdict(&self) -> Verdict {
        self.at.verdict()
    }

    /// Peak offered requests per second at the wall.
    pub fn peak_rps(&self) -> f64 {
        self.at.peak_rps
    }

    /// Web utilisation in the busiest SLO interval at the wall.
    pub fn peak_web_util(&self) -> f64 {
        self.at.judgement.busiest.web_util
    }

    /// DB utilisation in the busiest SLO interval at the wall.
    pub fn peak_db_util(&self) -> f64 {
        self.at.judgement.busiest.db_util
    }

    /// How the wall's checkpoint was evaluated.
    pub fn mode(&self) -> Mode {
        self.at.mode
    }
}

/// Whether `s`'s users grow along a horizon (so that it can have a wall).
pub(super) fn grows(s: &Scenario) -> bool {
    matches!(
        (&s.traffic.load, s.simulation.horizon),
        (
            Load::Users {
                users: Users::Growing { .. },
                ..
            },
            Some(_)
        )
    )
}

/// Whether a window's result counts as meeting the SLO in a search:
/// decided verdicts as they are, uncertain ones on the point estimates.
pub(super) fn meets(r: &CheckpointResult) -> bool {
    match r.verdict() {
        Verdict::Met => true,
        Verdict::Missed => false,
        Verdict::Uncertain => r.slo_met,
    }
}

/// A probe window of `users`, placed where `s`'s growth curve reaches
/// them, as long as `template`'s; `None` unless the users grow along a
/// horizon.
pub(super) fn probe_at(
    s: &Scenario,
    users: f64,
    index: usize,
    template: &Checkpoint,
) -> Option<Checkpoint> {
    let (
        Load::Users {
            users: Users::Growing { start, end, shape },
            ..
        },
        Some(horizon),
    ) = (&s.traffic.load, s.simulation.horizon)
    else {
        return None;
    };
    let x = shape.fraction_at(*start, *end, users).unwrap_or(1.0);
    Some(Checkpoint {
        index,
        start: place_window(s, SimTime((horizon.as_nanos() as f64 * x).round() as u64)),
        users: Some(users),
        base_rate: s.traffic.base_rate(users),
        window: template.window,
        warmup: template.warmup,
    })
}

/// Finds the wall of a scenario whose users grow along a horizon. There is
/// one when some checkpoint's verdict is a decided `missed` (an uncertain
/// checkpoint alone neither makes nor breaks it). Before that checkpoint,
/// the last one whose point estimates meet the SLO bounds the wall from
/// below and the next one from above. Windows at the
/// geometric middle of the bracket narrow it to 2% (at most 10 of them),
/// following decided verdicts and, for uncertain ones, the point estimates.
/// Each probe window is placed where the growth curve reaches its user
/// count and draws from its own streams (more of them with `precision`).
pub(super) fn find(
    s: &Scenario,
    checkpoints: &[CheckpointResult],
    streams: &RngStreams,
    progress: &dyn Progress,
) -> Result<Option<Wall>, Error> {
    if !grows(s) {
        return Ok(None);
    }
    let Some(k) = checkpoints
        .iter()
        .position(|c| c.verdict() == Verdict::Missed)
    else {
        return Ok(None);
    };
    let users_of = |c: &CheckpointResult| c.checkpoint.users.unwrap_or(0.0);
    // Below it, the last checkpoint whose point estimates meet the SLO, and
    // the one after it: an uncertain miss just before the decided one
    // moves the bracket down, an early one made by noise does not.
    let below = checkpoints[..k].iter().rposition(|c| c.slo_met);
    let (mut lo, mut lo_result) = match below {
        None => (1.0, None),
        Some(i) => (users_of(&checkpoints[i]), Some(checkpoints[i].clone())),
    };
    let above = below.map_or(0, |i| i + 1);
    let mut hi = users_of(&checkpoints[above]);
    let mut hi_result = checkpoints[above].clone();
    let template = &checkpoints[above].checkpoint;
    let mut probes = 0;
    let mut tried: Vec<(f64, Verdict)> = checkpoints
        .iter()
        .map(|c| (users_of(c), c.verdict()))
        .collect();
    while hi / lo > PRECISION && probes < MAX_PROBES {
        let mid = (lo * hi).sqrt();
        let cp = probe_at(s, mid, checkpoints.len() + probes, template)
            .expect("a growing load over a horizon");
        progress.add_work(u64::from(s.simulation.replications));
        let r = run_checkpoint(s, &cp, &streams.child("wall", probes as u64))?;
        progress.done(u64::from(s.simulation.replications));
        probes += 1;
        tried.push((mid, r.verdict()));
        if meets(&r) {
            lo = mid;
            lo_result = Some(r);
        } else {
            hi = mid;
            hi_result = r;
        }
    }
    let users = if lo_result.is_some() { lo } else { 0.0 };
    let users_low = tried
        .iter()
        .filter(|(u, v)| *v == Verdict::Met && *u <= users)
        .map(|(u, _)| *u)
        .fold(0.0, f64::max);
    let users_high = tried
        .iter()
        .filter(|(u, v)| *v == Verdict::Missed && *u > users)
        .map(|(u, _)| *u)
        .fold(f64::INFINITY, f64::min);
    let reason = hi_result.broken_bound(s).unwrap_or("p99");
    let at = lo_result.unwrap_or(hi_result);
    Ok(Some(Wall {
        users,
        missed_at: hi,
        users_low,
        users_high,
        reason,
        cost_usd_month: at.cost_usd_month,
        instance_cost_usd_month: at.instance_cost_usd_month(),
        probes,
        at: Box::new(at),
    }))
}
