//! The serverless path in the reports: its `checkpoints.csv` columns, its
//! timeline column and its paragraph of `report.md` and the terminal.

use super::fixed;
use crate::run::{CheckpointResult, RunReport, serverless::first_binding};

/// Columns of `checkpoints.csv` for the serverless path (empty cells without one).
pub const SERVERLESS_COLUMNS: [&str; 11] = [
    "lambda_concurrency_mean",
    "lambda_concurrency_max",
    "s3_objects_per_hour",
    "cold_start_fraction",
    "delivery_p50_s",
    "delivery_p99_s",
    "serverless_requests",
    "throttled_api_gateway",
    "throttled_lambda",
    "throttled_lambda_scaling",
    "throttled_dynamodb",
];

/// The serverless cells of one checkpoint's row.
pub(super) fn cells(r: &CheckpointResult) -> Vec<String> {
    let Some(m) = &r.window.serverless else {
        return vec![String::new(); SERVERLESS_COLUMNS.len()];
    };
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| fixed(v, 3));
    let t = &m.throttled;
    vec![
        fixed(m.concurrency_mean, 3),
        fixed(m.concurrency_max, 0),
        fixed(m.s3_objects_per_hour(r.window.measured_secs), 3),
        fixed(m.cold_start_fraction(), 6),
        opt(m.delivery_p50_s),
        opt(m.delivery_p99_s),
        m.requests.to_string(),
        t.api_gateway.to_string(),
        t.lambda().to_string(),
        t.lambda_scaling.to_string(),
        t.dynamodb.to_string(),
    ]
}

/// Busy Lambda environments in minute `m` of a checkpoint (0 without the path).
pub(super) fn minute_concurrency(r: &CheckpointResult, m: usize) -> String {
    let c = r
        .window
        .serverless
        .as_ref()
        .and_then(|s| s.minute_concurrency.get(m).copied())
        .unwrap_or(0.0);
    fixed(c, 3)
}

/// A paragraph on the serverless path: cold starts, S3 objects, delivery,
/// throttles, and the limit that binds first. `None` without the path.
pub fn paragraph(report: &RunReport) -> Option<String> {
    let sl = report.scenario.serverless.as_ref()?;
    let last = report.checkpoints.last()?;
    let m = last.window.serverless.as_ref()?;
    let mut out = format!(
        "Serverless path ({:.0}% of requests): at checkpoint {}, Lambda concurrency {:.1} on average, {:.0} at most (limit {}); cold starts {:.3}% of invocations; ",
        100.0 * sl.share,
        last.checkpoint.index,
        m.concurrency_mean,
        m.concurrency_max,
        sl.lambda.concurrency,
        100.0 * m.cold_start_fraction()
    );
    if sl.pipeline.is_some() {
        out.push_str(&format!(
            "{:.1} S3 objects an hour, delivered {} s (p50) and {} s (p99) after the request; ",
            m.s3_objects_per_hour(last.window.measured_secs),
            m.delivery_p50_s
                .map_or("-".to_string(), |x| format!("{x:.1}")),
            m.delivery_p99_s
                .map_or("-".to_string(), |x| format!("{x:.1}")),
        ));
    }
    let t = &m.throttled;
    out.push_str(&format!(
        "throttled: API Gateway {}, Lambda {} ({} by the scaling rate), DynamoDB {}.\n",
        t.api_gateway,
        t.lambda(),
        t.lambda_scaling,
        t.dynamodb
    ));
    if let Some((name, i, load, binds)) = first_binding(&report.checkpoints) {
        let at = &report.checkpoints[i];
        let users = at
            .checkpoint
            .users
            .map_or(String::new(), |u| format!(" ({u:.0} users)"));
        if binds {
            out.push_str(&format!(
                "First limit to bind: {name} at checkpoint {}{users}, load {load:.2}.\n",
                at.checkpoint.index
            ));
        } else {
            out.push_str(&format!(
                "No serverless limit binds; the closest is {name} at {:.0}% of it (checkpoint {}{users}).\n",
                100.0 * load,
                at.checkpoint.index
            ));
        }
    }
    Some(out)
}
