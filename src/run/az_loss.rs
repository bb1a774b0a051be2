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

use super::{RunOptions, RunReport, simulate_inner};
use crate::error::Error;
use crate::spec::{DbPlacement, Fault, FaultAt, FaultKind, Load, Scenario, Users, WindowAt};
use crate::time::SimDuration;

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
    let lead = detection.max(failover);
    // The measured part is the busiest hour (in the short mode, the short
    // window's measured part), the outage starts `lead` before it, and the
    // warm-up before that fills the queues.
    let sim = &mut probe.simulation;
    let measured = if options.short {
        SimDuration(sim.window.0.saturating_sub(sim.warmup.0))
    } else {
        SimDuration::from_secs(3600)
    };
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
    let inner = simulate_inner(&probe, options)?;
    let users = inner.users_carried();
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
            "AZ {az} down from {lead} before the busiest hour (the balancer has marked its targets down) through it{db}{scaling}"
        ),
    }))
}
