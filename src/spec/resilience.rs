//! What makes the fleet change while a window runs: auto scaling and
//! faults. Pure descriptions; the scaling decision itself is a pure
//! function here too, so the DES and the fluid mode take the same one.

use super::{Checkpoint, RateProfile, Scenario, StationWork};
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};

/// The metric a scaling policy watches (CloudWatch's, per `period`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalingMetric {
    /// Average CPU utilisation of the warm instances in service (0 to 1).
    Cpu,
    /// Requests per in-service target per minute (ALBRequestCountPerTarget).
    RequestsPerTarget,
    /// The 99th percentile of the period's responses, seconds.
    LatencyP99,
}

impl ScalingMetric {
    /// The name in the scenario.
    pub fn name(self) -> &'static str {
        match self {
            ScalingMetric::Cpu => "cpu",
            ScalingMetric::RequestsPerTarget => "requests_per_target",
            ScalingMetric::LatencyP99 => "latency_p99",
        }
    }
}

/// One step of a step scaling policy: when the metric is above (or below)
/// the bound for `evaluation_periods`, change the desired count by `change`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepAdjustment {
    /// Acts when the metric is above this.
    pub above: Option<f64>,
    /// Acts when the metric is below this.
    pub below: Option<f64>,
    /// Instances to add (positive) or remove (negative).
    pub change: i32,
}

/// A scheduled action: at this time of day (every day), set the desired count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScheduledAction {
    /// Time of day.
    pub at: SimDuration,
    /// Desired count from then on.
    pub count: u32,
}

/// How the group decides its desired count.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalingPolicy {
    /// Keep the metric near `target`.
    TargetTracking {
        /// Set point (0.5 = 50% CPU; requests per target per minute; seconds of p99).
        target: f64,
    },
    /// Add or remove instances when the metric crosses bounds.
    Step {
        /// The adjustments, checked in order; the first that holds acts.
        steps: Vec<StepAdjustment>,
    },
    /// Desired counts by time of day.
    Scheduled {
        /// In time-of-day order.
        schedule: Vec<ScheduledAction>,
    },
}

/// `[web.autoscaling]`: an auto scaling group for the web tier.
#[derive(Clone, Debug, PartialEq)]
pub struct Autoscaling {
    /// The policy.
    pub policy: ScalingPolicy,
    /// What it watches.
    pub metric: ScalingMetric,
    /// Fewest instances.
    pub min: u32,
    /// Most instances.
    pub max: u32,
    /// The metric's period.
    pub period: SimDuration,
    /// Periods a condition must hold before the policy acts.
    pub evaluation_periods: u32,
    /// Wait after a scaling action before the next.
    pub cooldown: SimDuration,
    /// From the launch request to in service.
    pub launch_time: SimDuration,
    /// After coming into service, time excluded from the metric.
    pub warmup: SimDuration,
    /// A removed instance finishes its requests for at most this long
    /// (the target group's deregistration delay).
    pub deregistration_delay: SimDuration,
}

/// Periods of low metric target tracking waits for before it scales in:
/// AWS's target tracking scales in "more gradually" than out (its low
/// alarm watches 15 one-minute datapoints against 3 for the high one).
const SCALE_IN_PERIODS_FACTOR: u32 = 5;

/// Below this share of the target, target tracking may scale in (the low
/// alarm sits under the target so the group does not flap around it).
const SCALE_IN_MARGIN: f64 = 0.9;

impl Autoscaling {
    /// The desired count after a period ends at time of day `time_of_day`,
    /// given the metric's values over the last periods (`history`, newest
    /// last, periods with no warm instance left out), the instances counted
    /// now (`current`: in service and launching) and whether the group is
    /// cooling down. The same function decides in the DES and the fluid mode.
    pub fn desired(
        &self,
        history: &[f64],
        current: u32,
        cooling: bool,
        time_of_day: SimDuration,
    ) -> u32 {
        let clamp = |n: i64| n.clamp(i64::from(self.min), i64::from(self.max)) as u32;
        let n = i64::from(current);
        let last = |k: u32| {
            let k = k as usize;
            (history.len() >= k).then(|| &history[history.len() - k..])
        };
        match &self.policy {
            ScalingPolicy::Scheduled { schedule } => {
                // The most recent action of the day (yesterday's last before the first).
                let now = schedule
                    .iter()
                    .rev()
                    .find(|a| a.at <= time_of_day)
                    .or(schedule.last());
                clamp(now.map_or(n, |a| i64::from(a.count)))
            }
            _ if cooling => clamp(n),
            ScalingPolicy::TargetTracking { target } => {
                let Some(recent) = last(self.evaluation_periods) else {
                    return clamp(n);
                };
                let now = recent[recent.len() - 1];
                if recent.iter().all(|m| *m > *target) {
                    // Out: enough instances to bring the metric to the target.
                    let want = (n as f64 * now / target).ceil() as i64;
                    return clamp(want.max(n + 1));
                }
                let long = self.evaluation_periods * SCALE_IN_PERIODS_FACTOR;
                if let Some(low) = last(long)
                    && low.iter().all(|m| *m < target * SCALE_IN_MARGIN)
                {
                    // In, gradually: at most a tenth of the group (one at least),
                    // and never below what the target needs.
                    let need = (n as f64 * now / target).ceil() as i64;
                    let step = (n / 10).max(1);
                    return clamp(need.max(n - step));
                }
                clamp(n)
            }
            ScalingPolicy::Step { steps } => {
                let Some(recent) = last(self.evaluation_periods) else {
                    return clamp(n);
                };
                for s in steps {
                    let holds =
                        |m: &f64| s.above.is_none_or(|a| *m > a) && s.below.is_none_or(|b| *m < b);
                    if recent.iter().all(holds) {
                        return clamp(n + i64::from(s.change));
                    }
                }
                clamp(n)
            }
        }
    }
}

impl Autoscaling {
    /// The size the group settles at under a steady load of `busy` vCPUs
    /// and `rps` requests per second at the load balancer, on instances of
    /// `vcpus`, at time of day `time_of_day` (`fallback` where the policy
    /// watches the latency, which no formula here predicts).
    pub fn settled(
        &self,
        busy: f64,
        rps: f64,
        vcpus: u32,
        time_of_day: SimDuration,
        fallback: u32,
    ) -> u32 {
        let cap = f64::from(vcpus.max(1));
        // The fewest instances that keep the metric at or under `level`.
        let under = |level: f64| -> u32 {
            let need = match self.metric {
                ScalingMetric::Cpu => busy / (cap * level),
                ScalingMetric::RequestsPerTarget => rps * 60.0 / level,
                ScalingMetric::LatencyP99 => return fallback,
            };
            need.ceil().min(f64::from(u32::MAX)) as u32
        };
        let n = match &self.policy {
            ScalingPolicy::TargetTracking { target } => under(*target),
            // Just under the lowest bound that adds instances.
            ScalingPolicy::Step { steps } => steps
                .iter()
                .filter(|s| s.change > 0)
                .filter_map(|s| s.above)
                .reduce(f64::min)
                .map_or(fallback, |a| under(a).max(1)),
            ScalingPolicy::Scheduled { .. } => {
                return self.desired(&[], fallback, false, time_of_day);
            }
        };
        n.clamp(self.min, self.max)
    }
}

/// A fault as it falls in one checkpoint's window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultSpan<'a> {
    /// Its start, at the window's start at the earliest.
    pub from: SimTime,
    /// Its end (it may lie past the window's).
    pub until: SimTime,
    /// What fails.
    pub kind: &'a FaultKind,
}

/// The busiest moment of `cp`'s measured window (the first, at minute
/// resolution): where a fault `at = "peak"` strikes.
pub fn busiest_moment(s: &Scenario, cp: &Checkpoint) -> SimTime {
    let profile = RateProfile::new(s, cp);
    let from = cp.start + cp.warmup;
    let end = cp.start + cp.window;
    let step = 60 * NANOS_PER_SEC;
    let mut best = (from, f64::NEG_INFINITY);
    let mut t = from;
    while t < end {
        let r = profile.rate(t);
        if r > best.1 + 1e-12 {
            best = (t, r);
        }
        t = SimTime(t.0 + step);
    }
    best.0
}

impl Scenario {
    /// When fault `f` starts on checkpoint `cp`'s clock (`None` for the
    /// untimed: instance failures at random).
    fn fault_start(&self, f: &Fault, cp: &Checkpoint) -> Option<SimTime> {
        Some(match f.at? {
            FaultAt::Time(t) => SimTime(t.0),
            FaultAt::Peak => busiest_moment(self, cp),
            // `lead` before the measured part, which the AZ-loss probe
            // places on the busiest hour.
            FaultAt::BusiestHour { lead } => {
                SimTime((cp.start + cp.warmup).0.saturating_sub(lead.0))
            }
        })
    }

    /// This scenario with its timed faults at the times they have in
    /// checkpoint `cp`'s window: the segments of a window, each a window of
    /// its own, keep the whole window's busiest moment.
    pub fn faults_fixed_in(&self, cp: &Checkpoint) -> Scenario {
        let mut s = self.clone();
        for f in &mut s.faults {
            if let Some(at) = self.fault_start(f, cp) {
                f.at = Some(FaultAt::Time(SimDuration(at.0)));
            }
        }
        s
    }

    /// The timed faults that overlap checkpoint `cp`'s window, in file order.
    pub fn fault_spans(&self, cp: &Checkpoint) -> Vec<FaultSpan<'_>> {
        let end = cp.start + cp.window;
        self.faults
            .iter()
            .filter_map(|f| {
                let at = self.fault_start(f, cp)?;
                let until = at + f.duration;
                (until > cp.start && at < end).then_some(FaultSpan {
                    from: at.max(cp.start),
                    until,
                    kind: &f.kind,
                })
            })
            .collect()
    }

    /// Random instance failures: mean time between failures and to repair.
    pub fn instance_failures(&self) -> Option<(SimDuration, SimDuration)> {
        self.faults.iter().find_map(|f| match f.kind {
            FaultKind::InstanceFailures { mtbf, mttr } => Some((mtbf, mttr)),
            _ => None,
        })
    }

    /// Whether the fleet can change during a window (auto scaling or
    /// faults): only the DES models that.
    pub fn fleet_changes(&self) -> bool {
        self.web.autoscaling.is_some() || !self.faults.is_empty()
    }

    /// Web instances in service at `t` on checkpoint `cp`'s day: `web.count`,
    /// or with auto scaling the size its policy settles at for the load then.
    pub fn settled_fleet(&self, cp: &Checkpoint, t: SimTime) -> u32 {
        let Some(a) = &self.web.autoscaling else {
            return self.web.count;
        };
        let work = StationWork::of(self);
        let rate = work.demand(self, cp, 1.0)(t);
        let busy = rate * work.web * f64::from(self.web.count);
        let day = SimDuration(t.0 % (86_400 * NANOS_PER_SEC));
        a.settled(
            busy,
            rate * work.origin,
            self.web.instance.vcpus,
            day,
            self.web.count,
        )
    }
}

/// When a fault starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FaultAt {
    /// At this time (since the start of the horizon, or of the window
    /// without one), like traffic events.
    Time(SimDuration),
    /// At the busiest moment of every checkpoint's window.
    Peak,
    /// `lead` before the measured part of every checkpoint's window, which
    /// the AZ-loss wall's probe places on the busiest hour (not a scenario
    /// key).
    BusiestHour {
        /// How long before the hour.
        lead: SimDuration,
    },
}

/// What fails.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Everything in this AZ is gone.
    AzOutage {
        /// The AZ letter.
        az: String,
    },
    /// Each web instance fails at random, exponentially with mean `mtbf`.
    InstanceFailures {
        /// Mean time between failures, per instance.
        mtbf: SimDuration,
        /// Time to replace a failed instance (auto scaling: its launch time).
        mttr: SimDuration,
    },
    /// The DB primary fails (Multi-AZ: the standby takes over after
    /// `failover_time`; else it is down for the fault's duration).
    DbPrimaryFailure,
    /// Read replica `replica` (from 0) fails.
    ReplicaFailure {
        /// Which replica.
        replica: u32,
    },
}

/// A `[[faults]]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// What fails.
    pub kind: FaultKind,
    /// When (none for random instance failures).
    pub at: Option<FaultAt>,
    /// How long it lasts (random instance failures: unused).
    pub duration: SimDuration,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(policy: ScalingPolicy) -> Autoscaling {
        Autoscaling {
            policy,
            metric: ScalingMetric::Cpu,
            min: 2,
            max: 10,
            period: SimDuration::from_secs(60),
            evaluation_periods: 3,
            cooldown: SimDuration::from_secs(300),
            launch_time: SimDuration::from_secs(90),
            warmup: SimDuration::from_secs(300),
            deregistration_delay: SimDuration::from_secs(300),
        }
    }

    #[test]
    fn target_tracking_scales_out_to_the_target_and_in_gradually() {
        let g = group(ScalingPolicy::TargetTracking { target: 0.5 });
        let day = SimDuration::ZERO;
        // Two periods above the target are not enough; three are.
        assert_eq!(g.desired(&[0.9, 0.9], 2, false, day), 2);
        assert_eq!(g.desired(&[0.9, 0.9, 0.9], 2, false, day), 4);
        assert_eq!(g.desired(&[0.9, 0.9, 0.9], 8, false, day), 10, "max");
        assert_eq!(g.desired(&[0.9, 0.9, 0.9], 4, true, day), 4, "cooling");
        // In only after 15 low periods, one at a time, never under min.
        assert_eq!(g.desired(&[0.1; 14], 6, false, day), 6);
        assert_eq!(g.desired(&[0.1; 15], 6, false, day), 5);
        assert_eq!(g.desired(&[0.1; 15], 2, false, day), 2);
        assert_eq!(
            g.desired(&[0.48; 15], 6, false, day),
            6,
            "inside the margin"
        );
    }

    #[test]
    fn step_and_scheduled_policies() {
        let g = group(ScalingPolicy::Step {
            steps: vec![
                StepAdjustment {
                    above: Some(0.75),
                    below: None,
                    change: 2,
                },
                StepAdjustment {
                    above: None,
                    below: Some(0.2),
                    change: -1,
                },
            ],
        });
        let day = SimDuration::ZERO;
        assert_eq!(g.desired(&[0.8, 0.8, 0.8], 3, false, day), 5);
        assert_eq!(g.desired(&[0.8, 0.7, 0.8], 3, false, day), 3);
        assert_eq!(g.desired(&[0.1, 0.1, 0.1], 3, false, day), 2);
        let g = group(ScalingPolicy::Scheduled {
            schedule: vec![
                ScheduledAction {
                    at: SimDuration::from_secs(8 * 3600),
                    count: 6,
                },
                ScheduledAction {
                    at: SimDuration::from_secs(20 * 3600),
                    count: 3,
                },
            ],
        });
        assert_eq!(
            g.desired(&[], 2, false, SimDuration::from_secs(9 * 3600)),
            6
        );
        assert_eq!(
            g.desired(&[], 6, false, SimDuration::from_secs(21 * 3600)),
            3
        );
        assert_eq!(
            g.desired(&[], 6, false, SimDuration::from_secs(3600)),
            3,
            "yesterday's last"
        );
    }
}
