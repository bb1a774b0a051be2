//! The fluid mode's SLO intervals: each minute's expected fates and
//! responses gathered into the interval that holds the minute's measured
//! part (by its midpoint, so an interval edge off the minute grid moves by
//! less than a minute).

use super::MERGE_TOL;
use super::dist::{Mixture, Response};
use crate::metrics::{Counts, IntervalSummary, Intervals, Latency};
use crate::route::ErrorCause;
use crate::time::{SimDuration, SimTime};

/// One interval's expected requests and responses.
#[derive(Clone, Debug)]
pub(super) struct Slot {
    pub(super) requests: f64,
    pub(super) served: f64,
    pub(super) dropped: f64,
    pub(super) timed_out: f64,
    pub(super) errors: f64,
    pub(super) throttled: f64,
    pub(super) latency_sum: f64,
    /// Utilisation-seconds.
    pub(super) web_area: f64,
    pub(super) db_area: f64,
    mix: Mixture,
    /// Least and greatest minute p50, p95, p99 inside, seconds.
    brackets: [(f64, f64); 3],
}

impl Default for Slot {
    fn default() -> Self {
        Slot {
            requests: 0.0,
            served: 0.0,
            dropped: 0.0,
            timed_out: 0.0,
            errors: 0.0,
            throttled: 0.0,
            latency_sum: 0.0,
            web_area: 0.0,
            db_area: 0.0,
            mix: Mixture::default(),
            brackets: [(f64::INFINITY, f64::NEG_INFINITY); 3],
        }
    }
}

impl Slot {
    /// `weight` served requests answered like `r`.
    pub(super) fn served_like(&mut self, weight: f64, r: Response, timeout: f64) {
        self.mix.push(weight, r, timeout, MERGE_TOL);
    }

    /// A minute inside had latency `l`.
    pub(super) fn minute(&mut self, l: Latency) {
        for (b, q) in self.brackets.iter_mut().zip([l.p50_ms, l.p95_ms, l.p99_ms]) {
            *b = (b.0.min(q / 1e3), b.1.max(q / 1e3));
        }
    }
}

/// The intervals of one window, when there are several.
pub(super) struct Slots {
    intervals: Intervals,
    start: SimTime,
    slots: Vec<Slot>,
}

impl Slots {
    /// Slots for `intervals` of a window starting at `start`.
    pub(super) fn new(intervals: Intervals, start: SimTime) -> Self {
        let slots = vec![Slot::default(); intervals.len()];
        Slots {
            intervals,
            start,
            slots,
        }
    }

    /// The slot of the stretch `[from, to)` seconds into the window.
    pub(super) fn at(&mut self, from: f64, to: f64) -> &mut Slot {
        let mid = self.start + SimDuration::from_secs_f64((from + to) / 2.0);
        let i = self.intervals.index(mid);
        &mut self.slots[i]
    }

    /// What each interval measured; responses slower than `timeout` are
    /// not served.
    pub(super) fn finish(self, timeout: f64) -> Vec<IntervalSummary> {
        self.slots
            .into_iter()
            .enumerate()
            .map(|(i, slot)| {
                let (from, to) = self.intervals.span(i);
                let secs = (to - from).as_secs_f64();
                let latency = if slot.served > 0.0 && !slot.mix.is_empty() {
                    let br = slot.brackets;
                    let brackets = (br[0].0 <= br[0].1)
                        .then(|| br.map(|(lo, hi)| (lo * (1.0 - 2e-3), hi * (1.0 + 2e-3))));
                    let [p50, p95, p99] =
                        slot.mix
                            .quantiles_within([0.5, 0.95, 0.99], timeout, 1e-7, brackets);
                    Latency {
                        mean_ms: slot.latency_sum / slot.served * 1e3,
                        p50_ms: p50 * 1e3,
                        p95_ms: p95 * 1e3,
                        p99_ms: p99 * 1e3,
                    }
                } else {
                    Latency::default()
                };
                let finished =
                    slot.served + slot.dropped + slot.timed_out + slot.errors + slot.throttled;
                let round = |x: f64| x.round() as u64;
                let availability = if finished > 0.0 {
                    slot.served / finished
                } else {
                    1.0
                };
                IntervalSummary {
                    start: from,
                    secs,
                    counts: Counts {
                        requests: round(slot.requests),
                        served: round(slot.served),
                        dropped: round(slot.dropped),
                        timed_out: round(slot.timed_out),
                        errors: round(slot.errors),
                        error_causes: ErrorCause::only(
                            ErrorCause::DbConnections,
                            round(slot.errors),
                        ),
                        throttled: round(slot.throttled),
                    },
                    availability,
                    availability_bounds: (availability, availability),
                    latency,
                    p99_bounds: (latency.p99_ms, latency.p99_ms),
                    offered_rps: if secs > 0.0 {
                        slot.requests / secs
                    } else {
                        0.0
                    },
                    web_util: if secs > 0.0 {
                        slot.web_area / secs
                    } else {
                        0.0
                    },
                    db_util: if secs > 0.0 { slot.db_area / secs } else { 0.0 },
                }
            })
            .collect()
    }
}
