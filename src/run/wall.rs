//! The wall: the most users a design carries within its SLO.

use super::{CheckpointResult, Progress, run_checkpoint};
use crate::engine::RngStreams;
use crate::error::Error;
use crate::spec::{Checkpoint, Load, Scenario, Users, place_window};
use crate::time::SimTime;

/// Bisection stops when the bracket is this narrow (upper / lower users).
const PRECISION: f64 = 1.02;
/// And after this many extra windows at most.
const MAX_PROBES: usize = 10;

/// Where a growing design stops meeting its SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct Wall {
    /// The most users found to meet the SLO (0 if even the fewest tried miss it).
    pub users: f64,
    /// The fewest users found to miss it.
    pub missed_at: f64,
    /// The bound that broke at `missed_at`: `p99` or `availability`.
    pub reason: &'static str,
    /// The monthly bill at `users` (at `missed_at` when `users` is 0).
    pub cost_usd_month: f64,
    /// The instance-hours part of it (EC2 and RDS).
    pub instance_cost_usd_month: f64,
    /// Extra windows simulated to narrow it down.
    pub probes: usize,
}

/// Finds the wall of a scenario whose users grow along a horizon, from its
/// checkpoints: the first checkpoint that misses the SLO and the one before
/// it bracket the wall, and windows at the geometric middle of the bracket
/// narrow it to 2% (at most 10 of them). Each probe window is placed where
/// the growth curve reaches its user count and draws from its own streams.
pub(super) fn find(
    s: &Scenario,
    checkpoints: &[CheckpointResult],
    streams: &RngStreams,
    progress: &dyn Progress,
) -> Result<Option<Wall>, Error> {
    let (
        Load::Users {
            users: Users::Growing { start, end, shape },
            ..
        },
        Some(horizon),
    ) = (&s.traffic.load, s.simulation.horizon)
    else {
        return Ok(None);
    };
    let Some(k) = checkpoints.iter().position(|c| !c.slo_met) else {
        return Ok(None);
    };
    let users_of = |c: &CheckpointResult| c.checkpoint.users.unwrap_or(0.0);
    let (mut lo, mut lo_result) = match k {
        0 => (1.0, None),
        _ => (
            users_of(&checkpoints[k - 1]),
            Some(checkpoints[k - 1].clone()),
        ),
    };
    let mut hi = users_of(&checkpoints[k]);
    let mut hi_result = checkpoints[k].clone();
    let template = &checkpoints[k].checkpoint;
    let mut probes = 0;
    while hi / lo > PRECISION && probes < MAX_PROBES {
        let mid = (lo * hi).sqrt();
        let x = shape.fraction_at(*start, *end, mid).unwrap_or(1.0);
        let cp = Checkpoint {
            index: checkpoints.len() + probes,
            start: place_window(s, SimTime((horizon.as_nanos() as f64 * x).round() as u64)),
            users: Some(mid),
            base_rate: s.traffic.base_rate(mid),
            window: template.window,
            warmup: template.warmup,
        };
        progress.add_work(u64::from(s.simulation.replications));
        let r = run_checkpoint(s, &cp, &streams.child("wall", probes as u64))?;
        progress.done(u64::from(s.simulation.replications));
        probes += 1;
        if r.slo_met {
            lo = mid;
            lo_result = Some(r);
        } else {
            hi = mid;
            hi_result = r;
        }
    }
    let reason = hi_result.broken_bound(s).unwrap_or("p99");
    Ok(Some(match lo_result {
        Some(r) => Wall {
            users: lo,
            missed_at: hi,
            reason,
            cost_usd_month: r.cost_usd_month,
            instance_cost_usd_month: r.instance_cost_usd_month(),
            probes,
        },
        None => Wall {
            users: 0.0,
            missed_at: hi,
            reason,
            cost_usd_month: hi_result.cost_usd_month,
            instance_cost_usd_month: hi_result.instance_cost_usd_month(),
            probes,
        },
    }))
}
