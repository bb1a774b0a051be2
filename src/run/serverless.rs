//! Which of the serverless path's limits binds: each limit's load (demand
//! over capacity) at a checkpoint, and the first to reach it along a run.

use super::CheckpointResult;
use crate::metrics::WindowSummary;
use crate::spec::Scenario;

/// A limit of the serverless path and its load at one checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitLoad {
    /// `api_gateway_throttle`, `lambda_concurrency`, `lambda_scaling_rate`
    /// or `dynamodb_capacity`.
    pub name: &'static str,
    /// Demand over capacity; 1 or more binds (requests are throttled).
    pub load: f64,
    /// The load is a share of a capacity, which competes with the stations'
    /// busy shares for the bottleneck at any level; `false` for a rate of
    /// change (a scaling rate), which competes only once it binds.
    pub share: bool,
}

impl LimitLoad {
    /// Whether it competes for the bottleneck at its load.
    pub fn competes(&self) -> bool {
        self.load > 0.0 && (self.share || self.load >= 1.0)
    }
}

/// The loads of the path's limits at a checkpoint whose busiest minute
/// offered `peak_rps`: API Gateway's rate over its throttle, the most
/// environments busy over the concurrency limit, DynamoDB's units per
/// second over its capacity; a limit that throttled requests is at least 1
/// (1 plus the share of the path's requests it refused).
pub fn limit_loads(s: &Scenario, w: &WindowSummary, peak_rps: f64) -> Vec<LimitLoad> {
    let (Some(sl), Some(m)) = (&s.serverless, &w.serverless) else {
        return Vec::new();
    };
    let rate = peak_rps * sl.share;
    let arrived = w.routes.arrived_on(crate::route::Route::Serverless).max(1) as f64;
    let bound = |load: f64, throttled: u64| {
        if throttled > 0 {
            load.max(1.0 + throttled as f64 / arrived)
        } else {
            load
        }
    };
    let d = &sl.dynamodb;
    let mut dynamo: f64 = 0.0;
    if d.writes_per_request > 0 && d.wcu > 0.0 {
        dynamo = dynamo.max(rate * d.wcu_per_request() / d.wcu);
    }
    if d.reads_per_request > 0 && d.rcu > 0.0 {
        dynamo = dynamo.max(rate * d.rcu_per_request() / d.rcu);
    }
    let t = &m.throttled;
    vec![
        LimitLoad {
            name: "api_gateway_throttle",
            share: true,
            load: bound(rate / sl.api_gateway.throttle_rps, t.api_gateway),
        },
        LimitLoad {
            name: "lambda_concurrency",
            share: true,
            load: bound(
                m.concurrency_max / f64::from(sl.lambda.concurrency.max(1)),
                t.lambda_concurrency,
            ),
        },
        LimitLoad {
            name: "lambda_scaling_rate",
            share: false,
            load: if t.lambda_scaling > 0 {
                1.0 + t.lambda_scaling as f64 / arrived
            } else {
                0.0
            },
        },
        LimitLoad {
            name: "dynamodb_capacity",
            share: true,
            load: bound(dynamo, t.dynamodb),
        },
    ]
}

/// The serverless limit that binds first along a run: the first checkpoint
/// (in order) where a limit's load reaches 1, the most loaded there; when
/// none does, the most loaded at the last checkpoint, which binds first as
/// load grows. `(limit, checkpoint index, load, binds)`.
pub fn first_binding(checkpoints: &[CheckpointResult]) -> Option<(&'static str, usize, f64, bool)> {
    let most = |c: &CheckpointResult| {
        c.serverless_limits
            .iter()
            .max_by(|a, b| a.load.total_cmp(&b.load))
            .map(|l| (l.name, l.load))
    };
    for (i, c) in checkpoints.iter().enumerate() {
        if let Some((name, load)) = most(c)
            && load >= 1.0
        {
            return Some((name, i, load, true));
        }
    }
    let (i, last) = checkpoints.iter().enumerate().next_back()?;
    most(last).map(|(name, load)| (name, i, load, false))
}
