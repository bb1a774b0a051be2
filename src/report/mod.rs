//! Turning a run's results into bytes: the CSV files and the terminal summary.
//!
//! Renderers are pure (`&RunReport -> Vec<u8>` or `String`); only
//! [`writer`] touches the file system.

pub mod cost;
pub mod writer;

use crate::metrics::Latency;
use crate::run::{CheckpointResult, RunReport, availability};

/// Columns of `checkpoints.csv`, in the order the format specifies.
pub const CHECKPOINT_COLUMNS: [&str; 24] = [
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
];

/// Columns of `timeline.csv`.
pub const TIMELINE_COLUMNS: [&str; 12] = [
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
];

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
    format!("{x:.digits$}")
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

fn checkpoint_row(r: &CheckpointResult) -> Vec<String> {
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
    ]);
    row
}

/// `checkpoints.csv`.
pub fn checkpoints_csv(report: &RunReport) -> Vec<u8> {
    csv_bytes(
        &CHECKPOINT_COLUMNS,
        report.checkpoints.iter().map(checkpoint_row),
    )
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
                "0".to_string(),
            ]);
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
    out.push_str(&format!(
        "{:>3} {:>10} {:>10} {:>9} {:>9} {:>9} {:>8} {:>6} {:>6} {:>11} {:>4}\n",
        "cp",
        "users",
        "req/s",
        "p50 ms",
        "p99 ms",
        "avail %",
        "dropped",
        "web %",
        "db %",
        "$/month",
        "SLO"
    ));
    for r in &report.checkpoints {
        let c = &r.window.counts;
        let (p50, p99) = if c.served == 0 {
            ("-".to_string(), "-".to_string())
        } else {
            (
                fixed(r.window.latency.p50_ms, 1),
                fixed(r.window.latency.p99_ms, 1),
            )
        };
        out.push_str(&format!(
            "{:>3} {:>10} {:>10.1} {:>9} {:>9} {:>9.3} {:>8} {:>6.1} {:>6.1} {:>11.2} {:>4}\n",
            r.checkpoint.index,
            r.checkpoint.users.map_or("-".to_string(), |u| fixed(u, 0)),
            r.offered_rps,
            p50,
            p99,
            100.0 * availability(c.served, c.finished()),
            c.dropped + c.timed_out + c.errors + c.throttled,
            100.0 * r.window.web_util,
            100.0 * r.window.db_util,
            r.cost_usd_month,
            if r.slo_met { "met" } else { "MISS" },
        ));
    }
    out
}
