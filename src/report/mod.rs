//! Turning a run's results into bytes: the CSV files and the terminal summary.
//!
//! Renderers are pure (`&RunReport -> Vec<u8>` or `String`); only
//! [`writer`] touches the file system.

pub mod charts;
pub mod compare;
pub mod cost;
pub mod markdown;
pub mod serverless;
pub mod sweep;
pub mod warnings;
pub mod writer;

use crate::metrics::Latency;
use crate::run::{CheckpointResult, RunReport, Verdict, availability};

/// Columns of `checkpoints.csv`, in the order the format specifies.
pub const CHECKPOINT_COLUMNS: [&str; 58] = [
    "checkpoint",
    "time_s",
    "users",
    "offered_rps",
    "requests",
    "served",
    "dropped",
    "timed_out",
    "errors",
    "throttled",
    "in_flight",
    "availability",
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "web_instances_mean",
    "web_instances_max",
    "web_util",
    "db_util",
    "cost_usd_month",
    "cost_usd_per_1k_users_month",
    "slo_met",
    "mode",
    "web_cpu_credits_min",
    "surplus_credits",
    "headroom_users",
    "replications",
    "slo_verdict",
    "worst_p99_ms",
    "worst_p99_low_ms",
    "worst_p99_high_ms",
    "worst_availability",
    "worst_availability_low",
    "worst_availability_high",
    "worst_interval_start_s",
    "peak_rps",
    "over_capacity",
    "web_throttled",
    "mode_reason",
    "web_cpu_busy",
    "web_workers_util",
    "db_primary_util",
    "db_replica_max_util",
    "db_replica_utils",
    "bottleneck",
    "bottleneck_util",
    "web_worker_queue_mean",
    "error_instance_down",
    "error_db_down",
    "error_db_connections",
    "sessions_lost",
    "web_instances_billed",
    "db_connections",
    "db_storage_util",
    "replica_lag_ms",
    "cdn_origin_util",
    "lb_scaling_load",
];

/// Columns that gain a `<column>_ci95` companion with replications.
pub const CI95_COLUMNS: [&str; 7] = [
    "availability",
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "cost_usd_month",
    "cost_usd_per_1k_users_month",
];

/// Columns of `summary.csv`.
pub const SUMMARY_COLUMNS: [&str; 18] = [
    "scenario",
    "wall_users",
    "wall_reason",
    "cost_usd_month_at_wall",
    "max_users_simulated",
    "slo_p99_ms",
    "slo_availability",
    "wall_missed_at_users",
    "cost_usd_per_1k_users_month_at_wall",
    "wall_probes",
    "slo_verdict_at_wall",
    "wall_users_low",
    "wall_users_high",
    "wall_peak_rps",
    "wall_peak_web_util",
    "wall_peak_db_util",
    "wall_mode",
    "wall_users_az_loss",
];

/// Columns of `timeline.csv`.
pub const TIMELINE_COLUMNS: [&str; 20] = [
    "checkpoint",
    "minute",
    "offered_rps",
    "served_rps",
    "error_rps",
    "mean_ms",
    "p50_ms",
    "p99_ms",
    "web_instances",
    "web_util",
    "db_util",
    "lambda_concurrency",
    "web_cpu_credits",
    "db_cpu_credits",
    "web_in_service",
    "web_launching",
    "web_draining",
    "error_instance_down",
    "error_db_down",
    "error_db_connections",
];

/// Columns of `classes.csv`: the contract's, then the other fates and the
/// objective each class was judged against.
pub const CLASS_COLUMNS: [&str; 18] = [
    "checkpoint",
    "class",
    "requests",
    "served",
    "availability",
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "slo_verdict",
    "dropped",
    "timed_out",
    "errors",
    "throttled",
    "in_flight",
    "slo_p99_ms",
    "slo_availability",
    "slo_own",
];

/// `classes.csv`: one row per checkpoint and request class, over the
/// measured window (replications: counts summed, latency averaged).
pub fn classes_csv(report: &RunReport) -> Vec<u8> {
    let s = &report.scenario;
    let mut rows = Vec::new();
    for r in &report.checkpoints {
        for (k, class) in s.traffic.mix.iter().enumerate() {
            let Some(w) = r.window.classes.get(k) else {
                continue;
            };
            let c = &w.counts;
            let slo = class.slo.map_or(s.simulation.slo, |o| o.as_slo());
            let mut row = vec![
                r.checkpoint.index.to_string(),
                class.name.clone(),
                c.requests.to_string(),
                c.served.to_string(),
                fixed(availability(c.served, c.finished()), 6),
            ];
            row.extend(latency_cells((c.served > 0).then_some(&w.latency), true));
            row.extend([
                r.classes
                    .get(k)
                    .map_or(String::new(), |j| j.verdict.name().to_string()),
                c.dropped.to_string(),
                c.timed_out.to_string(),
                c.errors.to_string(),
                c.throttled.to_string(),
                c.in_flight().to_string(),
                match class.slo {
                    Some(o) => o.p99.map_or(String::new(), |d| fixed(d.as_millis_f64(), 3)),
                    None => fixed(slo.p99.as_millis_f64(), 3),
                },
                match class.slo {
                    Some(o) => o.availability.map_or(String::new(), |a| fixed(a, 6)),
                    None => fixed(slo.availability, 6),
                },
                class.slo.is_some().to_string(),
            ]);
            rows.push(row);
        }
    }
    csv_bytes(&CLASS_COLUMNS, rows)
}

/// Columns of `costs.csv` (the contract's; `simscale run --explain-cost`
/// prints the lines behind each amount).
pub const COST_COLUMNS: [&str; 3] = ["checkpoint", "service", "usd_month"];

fn csv_bytes<I>(header: &[&str], rows: I) -> Vec<u8>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(header);
    for row in rows {
        let _ = w.write_record(&row);
    }
    w.into_inner().unwrap_or_default()
}

/// `x` with `digits` decimals.
fn fixed(x: f64, digits: usize) -> String {
    // A value that rounds to zero is written "0.00", never "-0.00".
    let s = format!("{x:.digits$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => s,
    }
}

/// Latency cells; empty when nothing was served (there is no latency to show).
fn latency_cells(l: Option<&Latency>, with_p95: bool) -> Vec<String> {
    let Some(l) = l else {
        return vec![String::new(); if with_p95 { 4 } else { 3 }];
    };
    let mut v = vec![fixed(l.mean_ms, 3), fixed(l.p50_ms, 3)];
    if with_p95 {
        v.push(fixed(l.p95_ms, 3));
    }
    v.push(fixed(l.p99_ms, 3));
    v
}

fn checkpoint_row(report: &RunReport, i: usize, r: &CheckpointResult) -> Vec<String> {
    let c = &r.window.counts;
    let cp = &r.checkpoint;
    let mut row = vec![
        cp.index.to_string(),
        fixed(cp.start.as_secs_f64(), 0),
        cp.users.map_or(String::new(), |u| fixed(u, 0)),
        fixed(r.offered_rps, 3),
        c.requests.to_string(),
        c.served.to_string(),
        c.dropped.to_string(),
        c.timed_out.to_string(),
        c.errors.to_string(),
        c.throttled.to_string(),
        c.in_flight().to_string(),
        fixed(availability(c.served, c.finished()), 6),
    ];
    row.extend(latency_cells(
        (c.served > 0).then_some(&r.window.latency),
        true,
    ));
    row.extend([
        fixed(r.window.web_instances_mean, 3),
        r.window.web_instances_max.to_string(),
        fixed(r.window.web_util, 4),
        fixed(r.window.db_util, 4),
        fixed(r.cost_usd_month, 2),
        cp.users
            .filter(|u| *u > 0.0)
            .map_or(String::new(), |u| fixed(r.cost_usd_month / u * 1000.0, 4)),
        r.slo_met.to_string(),
        r.mode.name().to_string(),
        lowest_credits(r).map_or(String::new(), |c| fixed(c, 2)),
        fixed(r.window.surplus_credits + r.window.db_surplus_credits, 2),
        report
            .headroom_users(i)
            .map_or(String::new(), |h| fixed(h, 0)),
        r.replications.to_string(),
    ]);
    let w = &r.judgement.worst;
    let ms = |x: f64| {
        if x.is_finite() {
            fixed(x, 3)
        } else {
            "inf".to_string()
        }
    };
    let served = w.served > 0;
    let lat = |x: f64| if served { ms(x) } else { String::new() };
    row.extend([
        r.verdict().name().to_string(),
        lat(w.p99_ms),
        lat(w.p99_range.0),
        lat(w.p99_range.1),
        fixed(w.availability, 6),
        fixed(w.availability_range.0, 6),
        fixed(w.availability_range.1, 6),
        fixed(w.start_s, 0),
        fixed(r.peak_rps, 3),
        report.over_capacity(i).to_string(),
        fixed(r.window.web_throttled, 4),
        r.mode_reason.clone(),
    ]);
    let st = &r.window.stations;
    let bottleneck = r.bottleneck();
    row.extend([
        fixed(st.web_cpu, 4),
        fixed(st.web_workers, 4),
        st.db.first().map_or(String::new(), |u| fixed(*u, 4)),
        if st.db.len() > 1 {
            fixed(st.db_replica_max(), 4)
        } else {
            String::new()
        },
        st.db
            .iter()
            .skip(1)
            .map(|u| fixed(*u, 4))
            .collect::<Vec<_>>()
            .join(";"),
        bottleneck.as_ref().map_or(String::new(), |b| b.0.clone()),
        bottleneck.as_ref().map_or(String::new(), |b| fixed(b.1, 4)),
        fixed(st.web_worker_queue, 3),
    ]);
    row.extend(c.error_causes.iter().map(|n| n.to_string()));
    row.push(fixed(r.window.sessions_lost, 0));
    row.push(fixed(r.window.web_billed_mean, 3));
    // Mean connections open (time average over the window), and the
    // busiest volume's share of its IOPS limit.
    row.push(fixed(st.db_connections, 2));
    row.push(if st.db_storage.is_empty() {
        String::new()
    } else {
        fixed(st.db_storage.iter().copied().fold(0.0, f64::max), 4)
    });
    // Replication lag (reported only): empty without replicas, `inf` past
    // the replica's applier capacity.
    row.push(
        r.replica_lag_ms(&report.scenario)
            .map_or(String::new(), |l| fixed(l, 3)),
    );
    // The limits in front of the web tier: empty without a CDN on S3 or a
    // load balancer.
    for name in ["cdn_origin", "load_balancer"] {
        row.push(
            r.edge_limits
                .iter()
                .find(|l| l.name == name)
                .map_or(String::new(), |l| fixed(l.load, 4)),
        );
    }
    // The serverless columns come after these (as in the header).
    row.extend(serverless::cells(r));
    if report.scenario.simulation.replications > 1 {
        let e = &r.estimates;
        let per_1k = |x: f64| {
            cp.users
                .filter(|u| *u > 0.0)
                .map_or(String::new(), |u| fixed(x / u * 1000.0, 4))
        };
        let served = c.served > 0;
        let lat = |x: f64| if served { fixed(x, 3) } else { String::new() };
        row.extend([
            fixed(e.availability.ci95, 6),
            lat(e.mean_ms.ci95),
            lat(e.p50_ms.ci95),
            lat(e.p95_ms.ci95),
            lat(e.p99_ms.ci95),
            fixed(e.cost_usd_month.ci95, 2),
            per_1k(e.cost_usd_month.ci95),
        ]);
    }
    row
}

/// The lowest per-minute mean credit balance of the web fleet after the warm-up.
fn lowest_credits(r: &CheckpointResult) -> Option<f64> {
    let first = r.checkpoint.warmup.as_nanos().div_ceil(60_000_000_000) as usize;
    r.window
        .timeline
        .iter()
        .skip(first)
        .filter_map(|m| m.web_cpu_credits)
        .reduce(f64::min)
}

/// `checkpoints.csv`.
pub fn checkpoints_csv(report: &RunReport) -> Vec<u8> {
    let mut header: Vec<String> = CHECKPOINT_COLUMNS
        .iter()
        .chain(serverless::SERVERLESS_COLUMNS.iter())
        .map(|c| c.to_string())
        .collect();
    if report.scenario.simulation.replications > 1 {
        header.extend(CI95_COLUMNS.iter().map(|c| format!("{c}_ci95")));
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    csv_bytes(
        &header,
        report
            .checkpoints
            .iter()
            .enumerate()
            .map(|(i, r)| checkpoint_row(report, i, r)),
    )
}

/// `summary.csv`: one row for the scenario, with its wall.
pub fn summary_csv(report: &RunReport) -> Vec<u8> {
    let s = &report.scenario;
    let max_users = report
        .checkpoints
        .iter()
        .filter_map(|c| c.checkpoint.users)
        .reduce(f64::max);
    let w = report.wall.as_ref();
    let row = vec![
        s.name.clone(),
        w.map_or(String::new(), |w| fixed(w.users, 0)),
        w.map_or(String::new(), |w| w.reason.to_string()),
        w.map_or(String::new(), |w| fixed(w.cost_usd_month, 2)),
        max_users.map_or(String::new(), |u| fixed(u, 0)),
        fixed(s.simulation.slo.p99.as_millis_f64(), 3),
        s.simulation.slo.availability.to_string(),
        w.map_or(String::new(), |w| fixed(w.missed_at, 0)),
        w.filter(|w| w.users > 0.0).map_or(String::new(), |w| {
            fixed(w.cost_usd_month / w.users * 1000.0, 4)
        }),
        w.map_or(String::new(), |w| w.probes.to_string()),
        w.map_or(String::new(), |w| w.verdict().name().to_string()),
        w.map_or(String::new(), |w| fixed(w.users_low, 0)),
        w.map_or(String::new(), |w| fixed(w.users_high, 0)),
        w.map_or(String::new(), |w| fixed(w.peak_rps(), 3)),
        w.map_or(String::new(), |w| fixed(w.peak_web_util(), 4)),
        w.map_or(String::new(), |w| fixed(w.peak_db_util(), 4)),
        w.map_or(String::new(), |w| w.mode().name().to_string()),
        report
            .az_loss
            .as_ref()
            .and_then(|a| a.users)
            .map_or(String::new(), |u| fixed(u, 0)),
    ];
    csv_bytes(&SUMMARY_COLUMNS, [row])
}

/// `timeline.csv`.
pub fn timeline_csv(report: &RunReport) -> Vec<u8> {
    let rows = report.checkpoints.iter().flat_map(|r| {
        r.window.timeline.iter().map(move |m| {
            let mut row = vec![
                r.checkpoint.index.to_string(),
                m.minute.to_string(),
                fixed(m.offered_rps, 3),
                fixed(m.served_rps, 3),
                fixed(m.error_rps, 3),
            ];
            row.extend(latency_cells(m.latency.as_ref(), false));
            row.extend([
                fixed(m.web_instances, 3),
                fixed(m.web_util, 4),
                fixed(m.db_util, 4),
                serverless::minute_concurrency(r, m.minute as usize),
                m.web_cpu_credits.map_or(String::new(), |c| fixed(c, 2)),
                m.db_cpu_credits.map_or(String::new(), |c| fixed(c, 2)),
                fixed(m.web_instances, 3),
                fixed(m.web_launching, 3),
                fixed(m.web_draining, 3),
            ]);
            row.extend(m.errors_by_cause.iter().map(|n| n.to_string()));
            row
        })
    });
    csv_bytes(&TIMELINE_COLUMNS, rows)
}

/// `costs.csv`: the bill of each checkpoint, one row per service (its lines
/// summed, in the order the bill lists them).
pub fn costs_csv(report: &RunReport) -> Vec<u8> {
    let rows = report.checkpoints.iter().flat_map(|r| {
        let mut services: Vec<&str> = Vec::new();
        for line in &r.bill {
            if !services.contains(&line.service) {
                services.push(line.service);
            }
        }
        services.into_iter().map(move |service| {
            let usd: f64 = r
                .bill
                .iter()
                .filter(|l| l.service == service)
                .map(|l| l.usd_month)
                .sum();
            vec![
                r.checkpoint.index.to_string(),
                service.to_string(),
                fixed(usd, 2),
            ]
        })
    });
    csv_bytes(&COST_COLUMNS, rows)
}

/// A short table for the terminal: one line per checkpoint.
pub fn terminal_summary(report: &RunReport) -> String {
    let s = &report.scenario;
    let mut out = format!(
        "{}: {} checkpoint{}, seed {}, SLO p99 <= {} and availability >= {}\n",
        s.name,
        report.checkpoints.len(),
        if report.checkpoints.len() == 1 {
            ""
        } else {
            "s"
        },
        s.simulation.seed,
        s.simulation.slo.p99,
        s.simulation.slo.availability,
    );
    // With replications, p99 and availability show their 95% half-width.
    let ci = s.simulation.replications > 1;
    let (wp, wa) = if ci { (16, 16) } else { (9, 9) };
    out.push_str(&format!(
        "{:>3} {:>10} {:>10} {:>9} {:>wp$} {:>9} {:>wa$} {:>8} {:>8} {:>8} {:>6} {:>6} {:>11} {:>9}\n",
        "cp",
        "users",
        "req/s",
        "p50 ms",
        if ci { "p99 ms ±95%" } else { "p99 ms" },
        worst_heading(s),
        if ci { "avail % ±95%" } else { "avail %" },
        "dropped",
        "timeout",
        "errors",
        "web %",
        "db %",
        "$/month",
        "SLO"
    ));
    for (i, r) in report.checkpoints.iter().enumerate() {
        let c = &r.window.counts;
        let (p50, p99) = if c.served == 0 {
            ("-".to_string(), "-".to_string())
        } else {
            (
                fixed(r.window.latency.p50_ms, 1),
                if ci {
                    format!(
                        "{:.1}±{:.1}",
                        r.window.latency.p99_ms, r.estimates.p99_ms.ci95
                    )
                } else {
                    fixed(r.window.latency.p99_ms, 1)
                },
            )
        };
        let avail = 100.0 * availability(c.served, c.finished());
        let avail = if ci {
            format!("{avail:.3}±{:.3}", 100.0 * r.estimates.availability.ci95)
        } else {
            format!("{avail:.3}")
        };
        let worst = if r.judgement.worst.served == 0 {
            "-".to_string()
        } else {
            fixed(r.judgement.worst.p99_ms, 1)
        };
        out.push_str(&format!(
            "{:>3} {:>10} {:>10.1} {:>9} {:>wp$} {:>9} {:>wa$} {:>8} {:>8} {:>8} {:>6.1} {:>6.1} {:>11.2} {:>9}\n",
            r.checkpoint.index,
            r.checkpoint.users.map_or("-".to_string(), |u| fixed(u, 0)),
            r.offered_rps,
            p50,
            p99,
            worst,
            avail,
            c.dropped,
            c.timed_out,
            c.errors + c.throttled,
            100.0 * r.window.web_util,
            100.0 * r.window.db_util,
            r.cost_usd_month,
            verdict_cell(report, i, r),
        ));
    }
    let max_users = report
        .checkpoints
        .iter()
        .filter_map(|c| c.checkpoint.users)
        .reduce(f64::max);
    if let Some(w) = unvalidated_fluid(report) {
        out.push_str(&format!("warning: {w}\n"));
    }
    let advice = report.wall.as_ref().and_then(|w| w.at.bottleneck_advice(s));
    match (&report.wall, max_users) {
        (Some(w), _) if w.users > 0.0 => out.push_str(&format!(
            "wall: {:.0} users ({} breaks at {:.0}; decided between {:.0} and {:.0}), {:.1} req/s at the peak, web {:.1}% db {:.1}% in the busiest interval ({}), ${:.2}/month there, ${:.4} per 1k users\n",
            w.users,
            w.reason,
            w.missed_at,
            w.users_low,
            w.users_high,
            w.peak_rps(),
            100.0 * w.peak_web_util(),
            100.0 * w.peak_db_util(),
            w.mode().name(),
            w.cost_usd_month,
            w.cost_usd_month / w.users * 1000.0
        )),
        (Some(w), _) => out.push_str(&format!(
            "wall: below {:.0} users ({} misses the SLO even there)\n",
            w.missed_at, w.reason
        )),
        (None, _) => {
            // No wall searched (steady state): the bottleneck of the
            // checkpoints that miss.
            for r in report.checkpoints.iter().filter(|c| c.verdict() == Verdict::Missed) {
                if let Some(a) = r.bottleneck_advice(s) {
                    out.push_str(&format!(
                        "checkpoint {} misses the SLO; its bottleneck is {a}\n",
                        r.checkpoint.index
                    ));
                }
            }
        }
    }
    if let Some(a) = advice {
        out.push_str(&format!("the wall is {a}\n"));
    }
    if let Some(p) = serverless::paragraph(report) {
        out.push_str(&p);
    }
    match (&report.wall, max_users) {
        (Some(_), _) => {}
        (None, Some(u)) if s.simulation.horizon.is_some() => {
            out.push_str(&format!("no wall: the SLO holds up to {u:.0} users\n"))
        }
        _ => {}
    }
    for line in [scaling_limit_line(report), az_loss_line(report)]
        .into_iter()
        .flatten()
    {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The checkpoints where the auto scaling group sat at its `max` with its
/// web tier saturated (a minute with every instance in service and the
/// vCPUs over 90% busy).
pub fn scaling_limit_line(report: &RunReport) -> Option<String> {
    let max = report.scenario.web.autoscaling.as_ref()?.max;
    let capped: Vec<String> = report
        .checkpoints
        .iter()
        .filter(|c| {
            c.window
                .timeline
                .iter()
                .any(|m| m.web_instances >= f64::from(max) - 1e-9 && m.web_util > 0.9)
        })
        .map(|c| c.checkpoint.index.to_string())
        .collect();
    (!capped.is_empty()).then(|| {
        format!(
            "the auto scaling group reached its max of {max} instances with the web tier saturated at checkpoint {}: raise web.autoscaling.max",
            capped.join(", ")
        )
    })
}

/// The AZ-loss wall in a sentence, and which checkpoints survive it.
pub fn az_loss_line(report: &RunReport) -> Option<String> {
    let a = report.az_loss.as_ref()?;
    let Some(users) = a.users else {
        return Some(format!("AZ-loss wall: {}", a.basis));
    };
    let survive: Vec<String> = report
        .checkpoints
        .iter()
        .filter_map(|c| Some((c.checkpoint.index, c.checkpoint.users?)))
        .map(|(i, u)| format!("{i}: {}", if u <= users { "yes" } else { "no" }))
        .collect();
    Some(format!(
        "AZ-loss wall: {users:.0} users ({}). Survives the loss, by checkpoint: {}",
        a.basis,
        survive.join(", ")
    ))
}

/// A warning when fluid checkpoints fall outside the fluid mode's
/// validated range (their figures are approximations not checked there).
pub fn unvalidated_fluid(report: &RunReport) -> Option<String> {
    let outside: Vec<String> = report
        .checkpoints
        .iter()
        .filter(|c| c.mode_reason.contains("outside its validated range"))
        .map(|c| c.checkpoint.index.to_string())
        .collect();
    (!outside.is_empty()).then(|| {
        format!(
            "checkpoint{} {} ran in the fluid mode outside its validated range (see mode_reason in checkpoints.csv and docs/modeling-notes.md); near saturation its latency can be off by more than 10%: set simulation.mode = \"des\" or raise des_budget to check them",
            if outside.len() == 1 { "" } else { "s" },
            outside.join(", ")
        )
    })
}

/// The heading of the worst-interval p99 column: `hour p99`, `5m p99`, ...
pub(crate) fn worst_heading(s: &crate::spec::Scenario) -> String {
    match s.simulation.slo.over.every() {
        None => "win p99".to_string(),
        Some(d) if d.as_nanos() == 3_600_000_000_000 => "hour p99".to_string(),
        Some(d) => format!("{d} p99"),
    }
}

/// The terminal's SLO cell: the verdict, and `over` past the wall.
fn verdict_cell(report: &RunReport, i: usize, r: &CheckpointResult) -> String {
    let v = match r.verdict() {
        crate::run::Verdict::Met => "met",
        crate::run::Verdict::Missed => "MISS",
        crate::run::Verdict::Uncertain => "unsure",
    };
    if report.over_capacity(i) {
        format!("{v} over")
    } else {
        v.to_string()
    }
}

/// Columns of `ladder.csv`.
pub const LADDER_COLUMNS: [&str; 13] = [
    "key",
    "value",
    "wall_users",
    "wall_reason",
    "users_within_slo",
    "cost_usd_month",
    "cost_usd_per_1k_users_month",
    "instance_cost_usd_month",
    "instance_cost_usd_per_1k_users_month",
    "max_users_simulated",
    "slo_met_throughout",
    "slo_verdict",
    "limited_by",
];

/// One rung of a ladder: the most users known to meet the SLO (the wall, or
/// the most users among checkpoints that meet it when there is no wall) and
/// the bill there, with the verdicts of the rung's own checkpoints.
pub(crate) struct Rung {
    pub(crate) wall: Option<f64>,
    pub(crate) reason: &'static str,
    pub(crate) users: Option<f64>,
    pub(crate) cost: f64,
    pub(crate) instance_cost: f64,
    pub(crate) max_users: Option<f64>,
    /// The fewest users at a checkpoint whose verdict is `missed`.
    pub(crate) missed_at: Option<f64>,
    /// Every checkpoint's point estimates meet the SLO.
    pub(crate) met_throughout: bool,
    /// The worst of the checkpoints' verdicts (missed over uncertain over met).
    pub(crate) verdict: Verdict,
    /// What bound it at the wall (`CheckpointResult::limited_by`).
    pub(crate) limited_by: &'static str,
}

impl Rung {
    pub(crate) fn per_1k(&self, cost: f64) -> Option<f64> {
        self.users.filter(|u| *u > 0.0).map(|u| cost / u * 1000.0)
    }

    /// The terminal's and report.md's wall cell: the wall, `> N` when
    /// every checkpoint met the SLO up to N users, `< N` when a checkpoint
    /// at N users missed it without a wall being found (steady-state
    /// files), `? N` when the verdict is uncertain.
    pub(crate) fn wall_cell(&self) -> String {
        match (self.wall, self.verdict, self.missed_at, self.max_users) {
            (Some(u), _, _, _) => fixed(u, 0),
            (None, Verdict::Missed, Some(m), _) => format!("< {}", fixed(m, 0)),
            (None, Verdict::Missed, None, _) => "missed".to_string(),
            (None, Verdict::Uncertain, _, Some(m)) => format!("? {}", fixed(m, 0)),
            (None, _, _, Some(m)) => format!("> {}", fixed(m, 0)),
            (None, _, _, None) => "-".to_string(),
        }
    }
}

/// A rung's figures from its run: the same verdicts as the rung's own
/// report (`CheckpointResult::verdict` and `slo_met`), never inferred from
/// the absence of a wall alone.
pub(crate) fn rung(r: &RunReport) -> Rung {
    let max_users = r
        .checkpoints
        .iter()
        .filter_map(|c| c.checkpoint.users)
        .reduce(f64::max);
    let verdict = r
        .checkpoints
        .iter()
        .map(|c| c.verdict())
        .max()
        .unwrap_or(Verdict::Met);
    let met_throughout = r.checkpoints.iter().all(|c| c.slo_met);
    let missed_at = r
        .checkpoints
        .iter()
        .filter(|c| c.verdict() == Verdict::Missed)
        .filter_map(|c| c.checkpoint.users)
        .reduce(f64::min);
    match &r.wall {
        Some(w) => Rung {
            wall: Some(w.users),
            reason: w.reason,
            users: Some(w.users),
            cost: w.cost_usd_month,
            instance_cost: w.instance_cost_usd_month,
            max_users,
            missed_at: Some(w.missed_at),
            met_throughout,
            verdict: verdict.max(Verdict::Missed),
            limited_by: w.at.limited_by(&r.scenario).unwrap_or(""),
        },
        None => {
            // The checkpoint that stands for the rung: the one with the
            // most users among those that meet the SLO, else the last.
            let within = r
                .checkpoints
                .iter()
                .filter(|c| c.slo_met && c.verdict() != Verdict::Missed)
                .max_by(|a, b| {
                    a.checkpoint
                        .users
                        .unwrap_or(0.0)
                        .total_cmp(&b.checkpoint.users.unwrap_or(0.0))
                });
            let shown = within.or(r.checkpoints.last());
            let broken = r
                .checkpoints
                .iter()
                .find(|c| c.verdict() == Verdict::Missed)
                .and_then(|c| c.broken_bound(&r.scenario))
                .unwrap_or("");
            Rung {
                wall: None,
                reason: broken,
                users: within.and_then(|c| c.checkpoint.users),
                cost: shown.map_or(0.0, |c| c.cost_usd_month),
                instance_cost: shown.map_or(0.0, |c| c.instance_cost_usd_month()),
                max_users,
                missed_at,
                met_throughout,
                verdict,
                limited_by: shown.and_then(|c| c.limited_by(&r.scenario)).unwrap_or(""),
            }
        }
    }
}

/// `ladder.csv`: per rung, the wall and the cost per user there.
pub fn ladder_csv(key: &str, rungs: &[(String, RunReport)]) -> Vec<u8> {
    let rows = rungs.iter().map(|(value, r)| {
        let g = rung(r);
        vec![
            key.to_string(),
            value.clone(),
            g.wall.map_or(String::new(), |u| fixed(u, 0)),
            g.reason.to_string(),
            g.users.map_or(String::new(), |u| fixed(u, 0)),
            fixed(g.cost, 2),
            g.per_1k(g.cost).map_or(String::new(), |c| fixed(c, 4)),
            fixed(g.instance_cost, 2),
            g.per_1k(g.instance_cost)
                .map_or(String::new(), |c| fixed(c, 4)),
            g.max_users.map_or(String::new(), |u| fixed(u, 0)),
            g.met_throughout.to_string(),
            g.verdict.name().to_string(),
            g.limited_by.to_string(),
        ]
    });
    csv_bytes(&LADDER_COLUMNS, rows)
}

/// The ladder as a table for the terminal.
pub fn ladder_summary(key: &str, rungs: &[(String, RunReport)]) -> String {
    let mut out = format!(
        "\n{:<16} {:>12} {:>14} {:>12} {:>14} {:>16} {:>14} {:>9} {:>15}\n",
        key,
        "wall users",
        "breaks on",
        "$/month",
        "$/1k users/mo",
        "instances $/mo",
        "inst $/1k u/mo",
        "SLO",
        "limited by"
    );
    for (value, r) in rungs {
        let g = rung(r);
        let wall = g.wall_cell();
        let per_1k = |c: f64| g.per_1k(c).map_or("-".to_string(), |x| fixed(x, 4));
        out.push_str(&format!(
            "{:<16} {:>12} {:>14} {:>12.2} {:>14} {:>16.2} {:>14} {:>9} {:>15}\n",
            value,
            wall,
            if g.reason.is_empty() { "-" } else { g.reason },
            g.cost,
            per_1k(g.cost),
            g.instance_cost,
            per_1k(g.instance_cost),
            g.verdict.name(),
            if g.limited_by.is_empty() {
                "-"
            } else {
                g.limited_by
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fixed;

    #[test]
    fn zero_is_never_written_negative() {
        assert_eq!(fixed(-0.0, 2), "0.00");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-0.005_1, 2), "-0.01");
        assert_eq!(fixed(-12.5, 1), "-12.5");
        assert_eq!(fixed(1.23456, 3), "1.235");
        assert_eq!(fixed(-0.4, 0), "0");
    }
}
