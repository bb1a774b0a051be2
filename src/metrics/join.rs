//! One window from its segments: a long DES window simulated as
//! consecutive segments in parallel, each with its own warm-up, joined as
//! if it had run in one piece.
//!
//! Segments meet at SLO interval edges, so every interval lies in one
//! segment, except in a window judged as one interval: each segment
//! measures a part of it and keeps its measured minutes, from which the
//! interval's batch-means bounds are taken again. Counts add up; the
//! window's and each class's latencies come from their merged histograms;
//! time averages are weighted by each segment's measured seconds.

use super::bounds::{interval_bounds, p99_bounds};
use super::collector::{Minute, latency_of};
use super::confidence::wilson;
use super::{Counts, IntervalSummary, MinuteRow, RouteCounts, Stations, WindowSummary};
use hdrhistogram::Histogram;

/// What a segment keeps for the join: its latency histograms and sums.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinParts {
    /// A window judged as one interval: its measured minutes, in order.
    pub(super) minutes: Vec<Minute>,
    /// Served latencies over the measured part, microseconds.
    pub window: Option<Histogram<u64>>,
    /// The same per class (`None` with one class: the window's).
    pub classes: Vec<Option<Histogram<u64>>>,
    /// Sum of the served latencies, nanoseconds.
    pub latency_sum_ns: u128,
    /// The same per class.
    pub class_latency_sum_ns: Vec<u128>,
}

fn merge(hists: impl Iterator<Item = Option<Histogram<u64>>>) -> Option<Histogram<u64>> {
    let mut all: Option<Histogram<u64>> = None;
    for h in hists.flatten() {
        match &mut all {
            None => all = Some(h),
            // Histograms of one configuration always add.
            Some(a) => {
                let _ = a.add(&h);
            }
        }
    }
    all
}

impl WindowSummary {
    /// The window whose measured part the `parts` (in time order, each from
    /// a collector made `draining`) cover one after another, with the
    /// `timeline` already spliced from theirs; p99 bounds at `confidence`.
    pub fn join(
        parts: Vec<WindowSummary>,
        timeline: Vec<MinuteRow>,
        confidence: f64,
    ) -> WindowSummary {
        let secs: f64 = parts.iter().map(|p| p.measured_secs).sum();
        let weight = |p: &WindowSummary| {
            if secs > 0.0 {
                p.measured_secs / secs
            } else {
                0.0
            }
        };
        let mean =
            |f: &dyn Fn(&WindowSummary) -> f64| parts.iter().map(|p| f(p) * weight(p)).sum::<f64>();
        let mut counts = Counts::default();
        let classes_n = parts.first().map_or(0, |p| p.routes.arrived.len());
        let mut routes = RouteCounts::new(classes_n);
        let mut intervals: Vec<IntervalSummary> = Vec::new();
        for p in &parts {
            counts.merge(&p.counts);
            for (a, b) in routes.arrived.iter_mut().zip(&p.routes.arrived) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
            for (a, b) in routes.served.iter_mut().zip(&p.routes.served) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
            intervals.extend(p.intervals.iter().cloned());
        }
        let joins: Vec<&JoinParts> = parts.iter().filter_map(|p| p.join.as_deref()).collect();
        let window_hist = merge(joins.iter().map(|j| j.window.clone()));
        let sum_ns: u128 = joins.iter().map(|j| j.latency_sum_ns).sum();
        let latency = latency_of(sum_ns, counts.served, window_hist.as_ref());
        // One interval measured in parts: put back together.
        let one_interval = parts.len() > 1
            && parts.iter().all(|p| {
                p.intervals.len() == 1 && p.join.as_ref().is_some_and(|j| !j.minutes.is_empty())
            });
        if one_interval {
            let minutes: Vec<&Minute> = joins.iter().flat_map(|j| j.minutes.iter()).collect();
            let mut c = Counts::default();
            for p in &parts {
                c.merge(&p.intervals[0].counts);
            }
            let secs_iv: f64 = parts.iter().map(|p| p.intervals[0].secs).sum();
            let by_secs = |f: &dyn Fn(&IntervalSummary) -> f64| {
                if secs_iv > 0.0 {
                    parts
                        .iter()
                        .map(|p| f(&p.intervals[0]) * p.intervals[0].secs)
                        .sum::<f64>()
                        / secs_iv
                } else {
                    0.0
                }
            };
            let (p99_bounds, availability_bounds) =
                interval_bounds(window_hist.as_ref(), &c, &minutes, confidence);
            intervals = vec![IntervalSummary {
                start: parts[0].intervals[0].start,
                secs: secs_iv,
                counts: c,
                availability: match c.finished() {
                    0 => 1.0,
                    n => c.served as f64 / n as f64,
                },
                latency,
                p99_bounds,
                availability_bounds,
                offered_rps: if secs_iv > 0.0 {
                    c.requests as f64 / secs_iv
                } else {
                    0.0
                },
                web_util: by_secs(&|i| i.web_util),
                db_util: by_secs(&|i| i.db_util),
            }];
        }
        let origin_admitted: u64 = parts.iter().map(|p| p.origin_admitted).sum();
        let mean_origin_secs = if origin_admitted > 0 {
            parts
                .iter()
                .map(|p| p.mean_origin_secs * p.origin_admitted as f64)
                .sum::<f64>()
                / origin_admitted as f64
        } else {
            0.0
        };
        let stations = Stations::weighted_mean_of(
            &parts
                .iter()
                .map(|p| (&p.stations, weight(p)))
                .collect::<Vec<_>>(),
        );
        let web_util = mean(&|p| p.web_util);
        let db_util = mean(&|p| p.db_util);
        // Classes: counts add up, latencies from the merged histograms.
        let n_classes = parts.first().map_or(0, |p| p.classes.len());
        let classes = (0..n_classes)
            .map(|k| {
                let rows: Vec<&IntervalSummary> =
                    parts.iter().filter_map(|p| p.classes.get(k)).collect();
                let mut c = Counts::default();
                for r in &rows {
                    c.merge(&r.counts);
                }
                let hist = if n_classes > 1 {
                    merge(joins.iter().map(|j| j.classes.get(k).cloned().flatten()))
                } else {
                    window_hist.clone()
                };
                let sum: u128 = if n_classes > 1 {
                    joins
                        .iter()
                        .map(|j| j.class_latency_sum_ns.get(k).copied().unwrap_or(0))
                        .sum()
                } else {
                    sum_ns
                };
                let finished = c.finished();
                IntervalSummary {
                    start: rows.first().map_or_else(Default::default, |r| r.start),
                    secs,
                    counts: c,
                    availability: match finished {
                        0 => 1.0,
                        n => c.served as f64 / n as f64,
                    },
                    latency: latency_of(sum, c.served, hist.as_ref()),
                    p99_bounds: hist.as_ref().map_or((0.0, f64::INFINITY), |h| {
                        p99_bounds(h, c.served, &[], confidence)
                    }),
                    availability_bounds: wilson(c.served, finished, confidence),
                    offered_rps: if secs > 0.0 {
                        c.requests as f64 / secs
                    } else {
                        0.0
                    },
                    web_util,
                    db_util,
                }
            })
            .collect();
        WindowSummary {
            counts,
            routes,
            latency,
            measured_secs: secs,
            web_instances_mean: mean(&|p| p.web_instances_mean),
            web_instances_max: parts.iter().map(|p| p.web_instances_max).max().unwrap_or(0),
            web_billed_mean: mean(&|p| p.web_billed_mean),
            sessions_lost: parts.iter().map(|p| p.sessions_lost).sum(),
            web_util,
            // A share of busy vCPU time: weighted by each part's busy time.
            web_throttled: {
                let busy = |p: &WindowSummary| p.stations.web_cpu * p.measured_secs;
                let total: f64 = parts.iter().map(busy).sum();
                if total > 0.0 {
                    parts.iter().map(|p| p.web_throttled * busy(p)).sum::<f64>() / total
                } else {
                    0.0
                }
            },
            db_util,
            mean_in_origin: mean(&|p| p.mean_in_origin),
            mean_origin_secs,
            origin_admitted,
            in_transit: parts.iter().map(|p| p.in_transit).sum(),
            surplus_credits: parts.iter().map(|p| p.surplus_credits).sum(),
            db_surplus_credits: parts.iter().map(|p| p.db_surplus_credits).sum(),
            timeline,
            intervals,
            stations,
            classes,
            serverless: None,
            join: None,
        }
    }
}
