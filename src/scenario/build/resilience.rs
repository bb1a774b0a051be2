//! `[web.autoscaling]` and `[[faults]]`: what changes the fleet while a
//! window runs.

use toml::de::DeValue;

use crate::scenario::reader::{Bounds, Got, Table, duration_of};
use crate::spec::{
    Autoscaling, Fault, FaultAt, FaultKind, ScalingMetric, ScalingPolicy, ScheduledAction,
    StepAdjustment,
};
use crate::time::SimDuration;

/// `[web.autoscaling]`; `Some(None)` for `policy = "none"`, `None` when invalid.
pub(super) fn read_autoscaling(mut t: Table<'_>, count: u32) -> Option<Option<Autoscaling>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        None,
        Target,
        Step,
        Scheduled,
    }
    let kind = t
        .choice(
            "policy",
            "scaling policy",
            &[
                ("target_tracking", Kind::Target),
                ("step", Kind::Step),
                ("scheduled", Kind::Scheduled),
                ("none", Kind::None),
            ],
        )
        .or(Kind::None);
    let metric = t
        .choice(
            "metric",
            "scaling metric",
            &[
                ("cpu", ScalingMetric::Cpu),
                ("requests_per_target", ScalingMetric::RequestsPerTarget),
                ("latency_p99", ScalingMetric::LatencyP99),
            ],
        )
        .or(ScalingMetric::Cpu);
    let target = read_level(&mut t, "target", metric);
    let min = t.u32("min", 0).or(1);
    let max = t.u32("max", 1).or(100);
    let period = t.duration("period", true).or(SimDuration::from_secs(60));
    let evaluation_periods = t.u32("evaluation_periods", 1).or(3);
    let cooldown = t
        .duration("cooldown", false)
        .or(SimDuration::from_secs(300));
    let launch_time = t
        .duration("launch_time", false)
        .or(SimDuration::from_secs(90));
    let warmup = t.duration("warmup", false).or(SimDuration::from_secs(300));
    let deregistration_delay = t
        .duration("deregistration_delay", false)
        .or(SimDuration::from_secs(300));
    let steps = read_steps(&mut t, metric, kind == Kind::Step);
    let schedule = read_schedule(&mut t, kind == Kind::Scheduled);
    let span = t.span();
    let mut ok = true;
    if min > max {
        t.error(
            "min",
            format!("min = {min} is above max = {max}"),
            "set min <= max",
            span.clone(),
        );
        ok = false;
    }
    if kind != Kind::None && !(min..=max).contains(&count) {
        t.error(
            "min",
            format!("web.count = {count} (the group's initial size) is outside min = {min} .. max = {max}"),
            "set web.count between min and max",
            span.clone(),
        );
        ok = false;
    }
    if period.as_secs_f64() % 60.0 != 0.0 {
        t.error(
            "period",
            format!("a metric period of {period} is not whole minutes"),
            "use \"60s\" (detailed monitoring) or \"300s\" (basic), as CloudWatch does",
            span.clone(),
        );
        ok = false;
    }
    t.finish();
    let policy = match kind {
        Kind::None => return Some(None),
        Kind::Target => ScalingPolicy::TargetTracking {
            target: target.or(default_target(metric)),
        },
        Kind::Step => ScalingPolicy::Step { steps: steps? },
        Kind::Scheduled => ScalingPolicy::Scheduled {
            schedule: schedule?,
        },
    };
    ok.then_some(Some(Autoscaling {
        policy,
        metric,
        min,
        max,
        period,
        evaluation_periods,
        cooldown,
        launch_time,
        warmup,
        deregistration_delay,
    }))
}

fn default_target(metric: ScalingMetric) -> f64 {
    match metric {
        ScalingMetric::Cpu => 0.5,
        ScalingMetric::RequestsPerTarget => 1000.0,
        ScalingMetric::LatencyP99 => 0.5,
    }
}

/// A metric level: a share for `cpu`, a count for `requests_per_target`,
/// a duration for `latency_p99` (kept in seconds).
fn read_level(t: &mut Table<'_>, key: &'static str, metric: ScalingMetric) -> Got<f64> {
    match metric {
        ScalingMetric::Cpu => t.num(key, Bounds::between(0.0, false, 1.0, false)),
        ScalingMetric::RequestsPerTarget => t.num(key, Bounds::above(0.0)),
        ScalingMetric::LatencyP99 => t.duration(key, true).map(|d| d.as_secs_f64()),
    }
}

/// `steps = [{ above = 0.75, add = 2 }, { below = 0.2, remove = 1 }]`.
fn read_steps(
    t: &mut Table<'_>,
    metric: ScalingMetric,
    needed: bool,
) -> Option<Vec<StepAdjustment>> {
    let present = t.has("steps");
    let (tables, _) = t.array_of_tables("steps");
    if needed && !present {
        t.missing(
            "steps",
            "add steps = [{ above = 0.75, add = 2 }, { below = 0.20, remove = 1 }]",
        );
        return None;
    }
    let mut out = Some(Vec::new());
    for mut s in tables {
        let above = read_level(&mut s, "above", metric);
        let below = read_level(&mut s, "below", metric);
        let add = s.u32("add", 1);
        let remove = s.u32("remove", 1);
        let span = s.span();
        let change = match (&add, &remove) {
            (Got::Ok(a, _), Got::Absent) => Some(*a as i32),
            (Got::Absent, Got::Ok(r, _)) => Some(-(*r as i32)),
            (Got::Bad, _) | (_, Got::Bad) => None,
            _ => {
                s.error(
                    "add",
                    "a step needs exactly one of add or remove",
                    "write { above = 0.75, add = 2 } or { below = 0.20, remove = 1 }",
                    span.clone(),
                );
                None
            }
        };
        if above.is_absent() && below.is_absent() {
            s.error(
                "above",
                "a step needs a bound: above or below",
                "write { above = 0.75, add = 2 } or { below = 0.20, remove = 1 }",
                span,
            );
            out = None;
        }
        match (change, above, below) {
            (Some(change), a, b) if !a.is_bad() && !b.is_bad() => {
                if let Some(v) = out.as_mut() {
                    v.push(StepAdjustment {
                        above: a.value().copied(),
                        below: b.value().copied(),
                        change,
                    });
                }
            }
            _ => out = None,
        }
        s.finish();
    }
    out
}

/// `schedule = [{ at = "8h", count = 10 }]`, sorted by time of day.
fn read_schedule(t: &mut Table<'_>, needed: bool) -> Option<Vec<ScheduledAction>> {
    let present = t.has("schedule");
    let (tables, _) = t.array_of_tables("schedule");
    if needed && !present {
        t.missing("schedule", "add schedule = [{ at = \"8h\", count = 10 }]");
        return None;
    }
    let mut out = Some(Vec::new());
    for mut a in tables {
        let at = a.duration("at", false);
        let count = a.u32("count", 0);
        if at.is_absent() {
            a.missing("at", "add at = \"8h\" (time of day)");
        }
        if count.is_absent() {
            a.missing("count", "add count = 4");
        }
        match (at, count) {
            (Got::Ok(at, span), Got::Ok(count, _)) => {
                if at >= SimDuration::from_secs(86_400) {
                    a.error(
                        "at",
                        format!("{at} is not a time of day"),
                        "use a time under 24h, e.g. at = \"8h\"",
                        span,
                    );
                    out = None;
                } else if let Some(v) = out.as_mut() {
                    v.push(ScheduledAction { at, count });
                }
            }
            _ => out = None,
        }
        a.finish();
    }
    if let Some(v) = out.as_mut() {
        v.sort_by_key(|a| a.at);
    }
    out
}

/// `[[faults]]`; `None` when any entry is invalid.
pub(super) fn read_faults(
    root: &mut Table<'_>,
    azs: &[String],
    replicas: Option<u32>,
    has_db: bool,
) -> Option<Vec<Fault>> {
    let (tables, _) = root.array_of_tables("faults");
    let mut out = Some(Vec::new());
    for mut f in tables {
        #[derive(Clone, Copy, PartialEq)]
        enum Kind {
            Az,
            Instances,
            Primary,
            Replica,
        }
        let kind = f.choice(
            "kind",
            "fault kind",
            &[
                ("az_outage", Kind::Az),
                ("instance_failures", Kind::Instances),
                ("db_primary_failure", Kind::Primary),
                ("replica_failure", Kind::Replica),
            ],
        );
        if kind.is_absent() {
            f.missing("kind", "add kind = \"az_outage\" (or instance_failures, db_primary_failure, replica_failure)");
        }
        let at = read_at(&mut f);
        let duration = f.duration("duration", true);
        let span = f.span();
        let fault = match kind {
            Got::Ok(Kind::Instances, _) => {
                let mtbf = f.duration("mtbf", true);
                let mttr = f.duration("mttr", true);
                if mtbf.is_absent() {
                    f.missing(
                        "mtbf",
                        "add mtbf = \"30d\" (mean time between failures, per instance)",
                    );
                }
                match (mtbf, mttr.or(SimDuration::from_secs(600))) {
                    (Got::Ok(mtbf, _), mttr) => Some(Fault {
                        kind: FaultKind::InstanceFailures { mtbf, mttr },
                        at: None,
                        duration: SimDuration::ZERO,
                    }),
                    _ => None,
                }
            }
            Got::Ok(k, _) => {
                let kind = match k {
                    Kind::Az => {
                        let az = f.str("az");
                        match az {
                            Got::Ok(az, span) => {
                                if azs.contains(&az) {
                                    Some(FaultKind::AzOutage { az })
                                } else {
                                    f.error(
                                        "az",
                                        format!("AZ '{az}' holds nothing of this design (web.azs = {azs:?})"),
                                        format!("use one of {}", azs.join(", ")),
                                        span,
                                    );
                                    None
                                }
                            }
                            Got::Absent => {
                                f.missing("az", "add az = \"a\"");
                                None
                            }
                            Got::Bad => None,
                        }
                    }
                    Kind::Primary => {
                        if !has_db {
                            f.error(
                                "kind",
                                "a db_primary_failure needs a [database]",
                                "add a [database] section or remove this fault",
                                span.clone(),
                            );
                            None
                        } else {
                            Some(FaultKind::DbPrimaryFailure)
                        }
                    }
                    _ => {
                        let replica = f.u32("replica", 0).or(0);
                        match replicas {
                            Some(n) if replica < n => Some(FaultKind::ReplicaFailure { replica }),
                            n => {
                                f.error(
                                    "replica",
                                    format!(
                                        "replica {replica} does not exist ({} read replicas)",
                                        n.unwrap_or(0)
                                    ),
                                    "replicas count from 0; add database.read_replicas",
                                    span.clone(),
                                );
                                None
                            }
                        }
                    }
                };
                if at.is_absent() {
                    f.missing(
                        "at",
                        "add at = \"peak\" or a time such as at = \"200d 14h\"",
                    );
                }
                if duration.is_absent() {
                    f.missing("duration", "add duration = \"1h\"");
                }
                match (kind, at, duration) {
                    (Some(kind), Got::Ok(at, _), Got::Ok(duration, _)) => Some(Fault {
                        kind,
                        at: Some(at),
                        duration,
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        f.finish();
        match (fault, out.as_mut()) {
            (Some(fault), Some(v)) => v.push(fault),
            _ => out = None,
        }
    }
    out
}

/// `at = "peak"` or a duration since the start.
fn read_at(t: &mut Table<'_>) -> Got<FaultAt> {
    let Some(v) = t.take("at") else {
        return Got::Absent;
    };
    if let DeValue::String(s) = v.get_ref()
        && s.as_ref() == "peak"
    {
        return Got::Ok(FaultAt::Peak, v.span());
    }
    let path = t.key_path("at");
    duration_of(t.sink(), &path, v, false).map(FaultAt::Time)
}
