//! The AZ-loss wall: the most users a design carries within its SLO while
//! its largest AZ is down through the busiest hour.
//!
//! The AZ fails just long enough before the busiest hour for the load
//! balancer to have marked its targets down (`unhealthy_threshold x
//! interval`) and, when the DB primary lived there, for Multi-AZ to have
//! failed over: the hour measures what the survivors carry, with auto
//! scaling (if any) launching replacements on detection, in service
//! `launch_time` later. What the failure's first moments cost (requests
//! sent to dead targets, writes during failover) shows in a run with an
//! `az_outage` fault of its own. A design in one AZ has nothing left: its
//! AZ-loss wall is zero users.

use super::{RunOptions, RunReport, run_checkpoint, simulate_inner, wall};
use crate::engine::RngStreams;
use crate::error::Error;
use crate::spec::{
    DbPlacement, Fault, FaultAt, FaultKind, Load, Mode, Scenario, Users, WindowAt, plan_checkpoints,
};
use crate::time::SimDuration;
use rayon::prelude::*;

/// The AZ-loss wall of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct AzLoss {
    /// The most users carried within the SLO with the AZ down (0 when
    /// nothing is left, or when even the fewest users tried miss it;
    /// `None` when the probe would take too long to simulate).
    pub users: Option<f64>,
    /// The AZ taken down.
    pub az: String,
    /// Why the figure is what it is, for people.
    pub basis: String,
}

/// The AZ with the most web instances (the first of equals).
fn largest_az(s: &Scenario) -> String {
    let mut best = (0, s.web_az(0).to_string());
    for az in &s.web.azs {
        let n = (0..s.web.count).filter(|&i| s.web_az(i) == az).count();
        if n > best.0 {
            best = (n, az.clone());
        }
    }
    best.1
}

/// The AZ-loss wall of `s`, whose own run is `report`; `None` when its
/// traffic is not given in users.
pub(super) fn find(
    s: &Scenario,
    report: &RunReport,
    options: &RunOptions,
) -> Result<Option<AzLoss>, Error> {
    let Load::Users { users, .. } = &s.traffic.load else {
        return Ok(None);
    };
    let az = largest_az(s);
    if s.web.count == 0 && s.web.autoscaling.is_none() {
        // Every request serverless: the managed services span the region's AZs.
        return Ok(Some(AzLoss {
            users: Some(report.users_carried()),
            az,
            basis: "the serverless path's services (API Gateway, Lambda, DynamoDB, Firehose, S3) span the region's AZs: losing one leaves the design's own wall".to_string(),
        }));
    }
    let azs_used = {
        let mut v: Vec<&str> = (0..s.web.count.max(1)).map(|i| s.web_az(i)).collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    if azs_used <= 1 && s.web.autoscaling.is_none() || s.web.azs.len() <= 1 {
        return Ok(Some(AzLoss {
            users: Some(0.0),
            az: az.clone(),
            basis: format!(
                "every web instance lives in AZ {az}: with it down nothing is left to serve"
            ),
        }));
    }
    // The most users worth trying: the design's own wall bounds it.
    let cap = match &report.wall {
        Some(w) => w.users_high.max(w.users),
        None => report
            .checkpoints
            .iter()
            .filter_map(|c| c.checkpoint.users)
            .fold(0.0, f64::max),
    };
    let start = match users {
        Users::Constant(u) => *u,
        Users::Growing { start, .. } => *start,
    };
    if report.wall.as_ref().is_some_and(|w| w.users <= 0.0) || cap <= 0.0 {
        return Ok(Some(AzLoss {
            users: Some(0.0),
            az,
            basis: "the design misses its SLO at its first checkpoint even with every AZ up"
                .to_string(),
        }));
    }
    let mut probe = s.clone();
    if let Load::Users { users, .. } = &mut probe.traffic.load
        && let Users::Growing { end, .. } = users
    {
        *end = cap.max(start);
    }
    // The lead: detection, and the failover when the primary was there.
    let detection = s.load_balancer.as_ref().map_or(SimDuration::ZERO, |lb| {
        SimDuration(lb.health_check.interval.0 * u64::from(lb.health_check.unhealthy_threshold))
    });
    let primary_there = s
        .database
        .as_ref()
        .is_some_and(|d| d.placement != DbPlacement::Colocated && s.db_primary_az() == az);
    let failover = match &s.database {
        Some(d) if primary_there && d.multi_az => d.failover_time,
        _ => SimDuration::ZERO,
    };
    // The measured part is the busiest hour (in the short mode, the short
    // window's measured part), the outage starts at least `lead` before it,
    // and the warm-up before that fills the queues. The measured part
    // starts on a whole minute of the window, where the fluid mode's steps
    // begin: a failover that ends inside the measured part's first minute
    // would be spread over all of it there.
    let sim = &mut probe.simulation;
    let measured = if options.short {
        SimDuration(sim.window.0.saturating_sub(sim.warmup.0))
    } else {
        SimDuration::from_secs(3600)
    };
    const MINUTE: u64 = 60_000_000_000;
    let lead = SimDuration(
        (sim.warmup.0 + detection.max(failover).0).div_ceil(MINUTE) * MINUTE - sim.warmup.0,
    );
    sim.window_at = WindowAt::Peak;
    sim.warmup = SimDuration(sim.warmup.0 + lead.0);
    sim.window = SimDuration(sim.warmup.0 + measured.0);
    let hour = measured;
    probe.faults.push(Fault {
        kind: FaultKind::AzOutage { az: az.clone() },
        at: Some(FaultAt::BusiestHour { lead }),
        duration: SimDuration(lead.0 + hour.0),
    });
    if let Err(Error::Usage { message, .. }) = super::guard::check(&probe, options) {
        return Ok(Some(AzLoss {
            users: None,
            az,
            basis: format!("not simulated: {message}"),
        }));
    }
    let (users, searched) = search(&probe, cap, options)?;
    let db = if primary_there {
        match &s.database {
            Some(d) if d.multi_az => format!(
                "; the DB primary was there and failed over to its standby ({})",
                d.failover_time
            ),
            _ => "; the DB primary was there, without a Multi-AZ standby".to_string(),
        }
    } else {
        String::new()
    };
    let scaling = match &s.web.autoscaling {
        Some(a) => format!(
            "; auto scaling launches replacements on detection, in service {} later",
            a.launch_time
        ),
        None => "; the fixed fleet is not replaced".to_string(),
    };
    Ok(Some(AzLoss {
        users: Some(users),
        az: az.clone(),
        basis: format!(
            "AZ {az} down from {lead} before the busiest hour (the balancer has marked its targets down) through it{db}{scaling}{searched}"
        ),
    }))
}

/// The first step out of a bracket's end that did not hold (the two modes
/// agree within a few percent); it doubles in log each round after.
const STEP: f64 = 1.04;
/// Rounds of steps out before the fluid mode's bracket is given up for a
/// search of the DES's own (two steps out: 27%).
const STEPS_OUT: u32 = 2;

/// The AZ-loss wall of `probe` (its windows already carry the outage),
/// at most `cap` users, and how it was found.
///
/// The fluid mode runs the probe's whole plan and its wall search, which
/// takes milliseconds. In the DES (or `auto`) the fluid mode's bracket,
/// the most users it found to meet and the fewest to miss, only seeds the
/// search: the bracket's two ends are simulated together, and when both
/// hold (the usual case: the two modes agree within a few percent), the
/// DES has decided the wall to the fluid search's 2% in one round on two
/// cores. An end that does not hold moves the bracket out by growing
/// steps, then windows at its thirds narrow it to 2%, two at a time. When
/// two rounds of steps out do not find the other end, the fluid mode's
/// estimate is set aside and the DES runs the probe's whole plan and wall
/// search. Every probe is a window of its own streams, so the result does
/// not depend on the thread count. The search assumes the SLO, once
/// missed, stays missed with more users: of a round's windows, those above
/// the first to miss are not used.
fn search(probe: &Scenario, cap: f64, options: &RunOptions) -> Result<(f64, String), Error> {
    let mut fluid = probe.clone();
    fluid.simulation.mode = Mode::Fluid;
    let estimate = simulate_inner(&fluid, options)?;
    if probe.simulation.mode == Mode::Fluid {
        return Ok((estimate.users_carried(), String::new()));
    }
    let whole_plan = |why: String| -> Result<(f64, String), Error> {
        Ok((simulate_inner(probe, options)?.users_carried(), why))
    };
    if !wall::grows(probe) {
        return whole_plan(String::new());
    }
    // The fewest users a wall search tries (`wall::find`'s lower end).
    let floor = 1.0;
    let mut points = match &estimate.wall {
        Some(w) if w.users > 0.0 => vec![w.users, w.missed_at],
        Some(w) => vec![w.missed_at],
        None => vec![estimate.most_users_met().unwrap_or(floor).min(cap)],
    };
    let template = plan_checkpoints(probe)
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("a plan without checkpoints".into()))?;
    let streams = RngStreams::new(probe.simulation.seed).child("az_loss", 0);
    let (mut lo, mut hi): (Option<f64>, Option<f64>) = (None, None);
    let (mut probes, mut des, mut steps_out) = (0, 0, 0u32);
    let fluid_users = estimate.users_carried();
    while !points.is_empty() && probes < wall::MAX_PROBES {
        let results = points
            .par_iter()
            .enumerate()
            .map(|(j, &users)| {
                let index = probes + j;
                let cp = wall::probe_at(probe, users, index, &template)
                    .expect("a growing load over a horizon");
                run_checkpoint(probe, &cp, &streams.child("probe", index as u64))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        probes += points.len();
        des += results.iter().filter(|r| r.mode != Mode::Fluid).count();
        for (&users, r) in points.iter().zip(&results) {
            if wall::meets(r) {
                lo = Some(lo.map_or(users, |l: f64| l.max(users)));
            } else {
                hi = Some(hi.map_or(users, |h: f64| h.min(users)));
                break;
            }
        }
        let one_side = lo.is_none() || hi.is_none();
        points = next_points(lo, hi, floor, cap, STEP.powi(1 << steps_out));
        if one_side && !points.is_empty() {
            if steps_out == STEPS_OUT {
                return whole_plan(format!(
                    "; the fluid mode put it at {fluid_users:.0} users, more than a quarter off the DES's {des} windows around it, so the DES searched the whole plan"
                ));
            }
            steps_out += 1;
        }
    }
    let users = lo.unwrap_or(0.0);
    let searched = if des == 0 {
        String::new()
    } else {
        format!(
            "; the fluid mode put it at {fluid_users:.0} users, {des} DES window{} decided it",
            if des == 1 { "" } else { "s" }
        )
    };
    Ok((users, searched))
}

/// The users to simulate next: the thirds of the bracket `lo..hi` (its
/// middle when one window narrows it to [`wall::PRECISION`]), or, while
/// one side is still unknown, two steps of `step` out from the other,
/// within `floor..=cap`. None when the search is done.
fn next_points(lo: Option<f64>, hi: Option<f64>, floor: f64, cap: f64, step: f64) -> Vec<f64> {
    let mut points = match (lo, hi) {
        (Some(l), Some(h)) => {
            let r = h / l;
            if r <= wall::PRECISION {
                vec![]
            } else if r <= wall::PRECISION * wall::PRECISION {
                vec![(l * h).sqrt()]
            } else {
                vec![l * r.powf(1.0 / 3.0), l * r.powf(2.0 / 3.0)]
            }
        }
        (Some(l), None) if l < cap => vec![(l * step).min(cap), (l * step * step).min(cap)],
        (None, Some(h)) if h > floor => vec![(h / step / step).max(floor), (h / step).max(floor)],
        _ => vec![],
    };
    points.dedup();
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_narrows_a_bracket_by_thirds_then_by_its_middle() {
        let p = next_points(Some(100.0), Some(121.0), 1.0, 1e6, STEP);
        assert_eq!(p.len(), 2);
        assert!((p[0] - 100.0 * 1.21f64.powf(1.0 / 3.0)).abs() < 1e-9);
        assert!((p[1] - 100.0 * 1.21f64.powf(2.0 / 3.0)).abs() < 1e-9);
        // Within 2% squared, one window at the middle reaches 2%.
        assert_eq!(
            next_points(Some(100.0), Some(104.0), 1.0, 1e6, STEP),
            vec![(100.0f64 * 104.0).sqrt()]
        );
        assert!(next_points(Some(100.0), Some(102.0), 1.0, 1e6, STEP).is_empty());
    }

    #[test]
    fn a_missing_end_is_looked_for_by_steps_within_the_floor_and_the_cap() {
        // The fluid mode's upper end met in the DES: two steps up.
        assert_eq!(
            next_points(Some(100.0), None, 1.0, 1e6, 1.25),
            vec![125.0, 156.25]
        );
        // Its lower end missed: two steps down, nearest last.
        assert_eq!(
            next_points(None, Some(100.0), 1.0, 1e6, 1.25),
            vec![64.0, 80.0]
        );
        // Never past the cap or under the floor, never twice the same.
        assert_eq!(
            next_points(Some(100.0), None, 1.0, 110.0, 1.25),
            vec![110.0]
        );
        assert_eq!(next_points(None, Some(1.2), 1.0, 1e6, 1.25), vec![1.0]);
        // Met at the cap, or missed at the floor: done.
        assert!(next_points(Some(110.0), None, 1.0, 110.0, 1.25).is_empty());
        assert!(next_points(None, Some(1.0), 1.0, 1e6, 1.25).is_empty());
    }
}
