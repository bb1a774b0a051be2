//! The intervals an SLO is judged over, and what each one measured.

use super::{Counts, Latency};
use crate::time::{SimDuration, SimTime};

/// The measured part of a window cut at the clock's multiples of a length
/// (every hour on the hour, say). A fragment shorter than half a length at
/// either end joins its neighbour, so that no interval rests on a sliver of
/// time; without a length the whole measured part is one interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intervals {
    /// `len() + 1` increasing instants: interval `i` is `[bounds[i], bounds[i + 1])`.
    bounds: Vec<SimTime>,
}

impl Intervals {
    /// The intervals of `[from, to)` cut every `every` on the clock.
    pub fn new(from: SimTime, to: SimTime, every: Option<SimDuration>) -> Intervals {
        let to = to.max(from);
        let mut bounds = vec![from];
        if let Some(len) = every.map(|d| d.as_nanos()).filter(|&l| l > 0) {
            let half = len / 2;
            let mut cut = (from.0 / len).saturating_add(1).saturating_mul(len);
            if cut - from.0 < half {
                cut = cut.saturating_add(len);
            }
            while cut.saturating_add(half) <= to.0 && cut < to.0 {
                bounds.push(SimTime(cut));
                cut = cut.saturating_add(len);
            }
        }
        bounds.push(to);
        Intervals { bounds }
    }

    /// The whole of `[from, to)` as one interval.
    pub fn whole(from: SimTime, to: SimTime) -> Intervals {
        Intervals::new(from, to, None)
    }

    /// Number of intervals (at least one).
    pub fn len(&self) -> usize {
        self.bounds.len() - 1
    }

    /// Never: there is always one interval.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The interval that holds `t` (the first or last for instants outside).
    #[inline]
    pub fn index(&self, t: SimTime) -> usize {
        let inner = &self.bounds[1..self.bounds.len() - 1];
        inner.partition_point(|b| *b <= t)
    }

    /// Start and end of interval `i`.
    pub fn span(&self, i: usize) -> (SimTime, SimTime) {
        (self.bounds[i], self.bounds[i + 1])
    }

    /// Where interval `i` ends (exclusive).
    pub(crate) fn end_of(&self, i: usize) -> SimTime {
        self.bounds[i + 1]
    }
}

/// What one SLO interval measured: the requests that arrived in it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IntervalSummary {
    /// Start on the horizon's clock.
    pub start: SimTime,
    /// Length in seconds.
    pub secs: f64,
    /// Fates of the requests that arrived in it.
    pub counts: Counts,
    /// Served over finished (1 when nothing finished).
    pub availability: f64,
    /// Latency of those served.
    pub latency: Latency,
    /// Distribution-free bounds on the true p99, ms, at the collector's
    /// confidence (order statistics; the point for the fluid mode). The upper
    /// bound is infinite when too few requests were served to bound it.
    pub p99_bounds: (f64, f64),
    /// Bounds on the true availability at the same confidence (Wilson's,
    /// widened by batch means; the point for the fluid mode).
    pub availability_bounds: (f64, f64),
    /// Offered requests per second (arrivals over its length).
    pub offered_rps: f64,
    /// Web vCPU utilisation as CloudWatch shows it.
    pub web_util: f64,
    /// DB utilisation as CloudWatch shows it.
    pub db_util: f64,
}

impl IntervalSummary {
    /// The same interval over independent replications: counts add up, the
    /// rest is the mean (the p99's bounds too: a display, not a judgement).
    pub fn combine(rows: &[&IntervalSummary]) -> IntervalSummary {
        let Some(first) = rows.first() else {
            return IntervalSummary::default();
        };
        let n = rows.len() as f64;
        let mean = |f: &dyn Fn(&IntervalSummary) -> f64| rows.iter().map(|r| f(r)).sum::<f64>() / n;
        let mut counts = Counts::default();
        for r in rows {
            counts.merge(&r.counts);
        }
        let latencies: Vec<Latency> = rows.iter().map(|r| r.latency).collect();
        IntervalSummary {
            start: first.start,
            secs: first.secs,
            availability: match counts.finished() {
                0 => 1.0,
                f => counts.served as f64 / f as f64,
            },
            counts,
            latency: Latency::mean_of(&latencies).unwrap_or_default(),
            p99_bounds: (mean(&|r| r.p99_bounds.0), mean(&|r| r.p99_bounds.1)),
            availability_bounds: (
                mean(&|r| r.availability_bounds.0),
                mean(&|r| r.availability_bounds.1),
            ),
            offered_rps: mean(&|r| r.offered_rps),
            web_util: mean(&|r| r.web_util),
            db_util: mean(&|r| r.db_util),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> SimTime {
        SimTime(secs * 1_000_000_000)
    }

    fn starts(i: &Intervals) -> Vec<u64> {
        (0..i.len())
            .map(|k| i.span(k).0.0 / 1_000_000_000)
            .collect()
    }

    #[test]
    fn hours_on_the_clock_with_slivers_joined() {
        let hour = Some(SimDuration::from_secs(3600));
        // 00:05 to 03:00: the first piece (55 min) stands on its own.
        let i = Intervals::new(t(300), t(3 * 3600), hour);
        assert_eq!(starts(&i), vec![300, 3600, 7200]);
        // 00:50 to 02:20: the 10-minute head joins the first hour, the
        // 20-minute tail the last.
        let i = Intervals::new(t(3000), t(8400), hour);
        assert_eq!(starts(&i), vec![3000]);
        assert_eq!(i.span(0).1, t(8400));
        let i = Intervals::new(t(3000), t(3 * 3600 + 1200), hour);
        assert_eq!(starts(&i), vec![3000, 7200]);
        assert_eq!(i.index(t(3001)), 0);
        assert_eq!(i.index(t(7199)), 0);
        assert_eq!(i.index(t(7200)), 1);
        assert_eq!(i.index(t(99_999)), 1);
        // Shorter than an interval, or no length: one.
        assert_eq!(Intervals::new(t(10), t(70), hour).len(), 1);
        assert_eq!(Intervals::whole(t(10), t(100_000)).len(), 1);
    }
}
