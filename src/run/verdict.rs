//! Verdicts: every SLO bound judged over every interval, with the
//! uncertainty of its estimate.
//!
//! With one replication, a DES interval's p99 is bounded by order
//! statistics (distribution-free) and its availability by Wilson's
//! interval; with several, by Student's t over the replications (the
//! availability's interval never narrower than Wilson's over the pooled
//! requests, so that replications that all serve everything still say how
//! few requests that rests on). The fluid mode has no sampling noise: its
//! intervals are points. A bound is met when its whole interval is on the
//! right side, missed when its whole interval is on the wrong side, and
//! uncertain otherwise; it counts only where the interval holds enough
//! requests to show it met, unless it misses for sure. An interval is missed when any bound is, met when
//! all are; a checkpoint's verdict is its worst interval's.
//!
//! Order statistics and Wilson's interval treat requests as independent.
//! Near saturation consecutive responses are correlated, so those intervals
//! are too narrow there; replications (or `precision`) give honest ones.

use crate::metrics::confidence::{quantile_ranks, t_of, wilson};
use crate::metrics::{IntervalSummary, WindowSummary};
use crate::spec::Slo;
use crate::time::NANOS_PER_SEC;

/// How a checkpoint stands against its SLO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Every bound holds with the stated confidence.
    Met,
    /// Neither met nor missed with confidence.
    Uncertain,
    /// Some bound is broken with the stated confidence.
    Missed,
}

impl Verdict {
    /// The `slo_verdict` column's word.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Uncertain => "uncertain",
            Verdict::Missed => "missed",
        }
    }

    /// Decided: met or missed.
    pub fn is_decided(self) -> bool {
        self != Verdict::Uncertain
    }
}

/// One interval's figures and how they stand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judged {
    /// Start on the horizon's clock, seconds.
    pub start_s: f64,
    /// Length, seconds.
    pub secs: f64,
    /// Served requests (over replications): without any, there is no p99.
    pub served: u64,
    /// Point estimate of the p99, ms.
    pub p99_ms: f64,
    /// Its interval, ms (the upper end infinite when unbounded).
    pub p99_range: (f64, f64),
    /// Point estimate of the availability.
    pub availability: f64,
    /// Its interval.
    pub availability_range: (f64, f64),
    /// Offered requests per second.
    pub offered_rps: f64,
    /// Web and DB utilisation (CloudWatch's view).
    pub web_util: f64,
    /// DB utilisation.
    pub db_util: f64,
    /// How it stands (a bound it holds too few requests to judge counts as
    /// met unless it misses for sure).
    pub verdict: Verdict,
    /// Its p99 bound counts: missed for sure, or enough requests to judge.
    pub p99_judged: bool,
    /// Its availability bound counts, the same way.
    pub availability_judged: bool,
    /// Its point estimates meet both bounds.
    pub point_met: bool,
    /// How far the worse point estimate is from its bound (1 at the bound).
    pub badness: f64,
}

impl Judged {
    /// The bound its point estimates break: `availability` first, then `p99`.
    pub fn broken_bound(&self, slo: &Slo) -> Option<&'static str> {
        if self.availability < slo.availability {
            Some("availability")
        } else if self.p99_ms > slo.p99.as_millis_f64() {
            Some("p99")
        } else {
            None
        }
    }
}

/// A checkpoint's verdict and the interval that decided it.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// The worst interval's verdict.
    pub verdict: Verdict,
    /// Every interval's point estimates meet the SLO.
    pub met: bool,
    /// The interval that decided: the most severe verdict, and among those
    /// the furthest over (or nearest to) its bounds.
    pub worst: Judged,
    /// The busiest interval (most offered requests per second).
    pub busiest: Judged,
    /// Intervals judged.
    pub intervals: usize,
}

/// Judges replications of one window against `slo` at `confidence`;
/// `exact` windows (the fluid mode) carry no sampling noise.
pub fn judge(slo: &Slo, confidence: f64, exact: bool, runs: &[WindowSummary]) -> Judgement {
    let n = runs.iter().map(|w| w.intervals.len()).min().unwrap_or(0);
    let judged: Vec<Judged> = (0..n)
        .map(|i| {
            let rows: Vec<&IntervalSummary> = runs.iter().map(|w| &w.intervals[i]).collect();
            judge_interval(slo, confidence, exact, &rows)
        })
        .collect();
    let key = |j: &Judged| {
        (
            j.verdict,
            u8::from(j.p99_judged) + u8::from(j.availability_judged),
            j.badness,
        )
    };
    let worst = judged
        .iter()
        .copied()
        .reduce(|a, b| if key(&b) > key(&a) { b } else { a })
        .unwrap_or_else(|| vacuous(slo));
    let busiest = judged
        .iter()
        .copied()
        .reduce(|a, b| if b.offered_rps > a.offered_rps { b } else { a })
        .unwrap_or(worst);
    // Met needs each bound judged somewhere: a window too quiet to show
    // either stays uncertain.
    let shown = judged.iter().any(|j| j.p99_judged) && judged.iter().any(|j| j.availability_judged);
    let verdict = match worst.verdict {
        Verdict::Met if !shown => Verdict::Uncertain,
        v => v,
    };
    // With nothing judged anywhere, the busiest interval stands for them.
    let worst = if worst.p99_judged || worst.availability_judged {
        worst
    } else {
        busiest
    };
    Judgement {
        verdict,
        met: judged.iter().all(|j| j.point_met),
        worst,
        busiest,
        intervals: n,
    }
}

/// Judges request class `k` of replications of one window against `slo`
/// over the whole measured window (the class's figures are not split by
/// interval): order statistics and Wilson's interval with one replication,
/// Student's t over several, points for the fluid mode, as for an
/// interval. `None` when a window has no such class.
pub fn judge_class(
    slo: &Slo,
    confidence: f64,
    exact: bool,
    runs: &[WindowSummary],
    k: usize,
) -> Option<Judged> {
    let rows: Vec<&IntervalSummary> = runs
        .iter()
        .map(|w| w.classes.get(k))
        .collect::<Option<Vec<_>>>()?;
    (!rows.is_empty()).then(|| judge_interval(slo, confidence, exact, &rows))
}

/// An interval with nothing in it: nothing broke.
fn vacuous(slo: &Slo) -> Judged {
    Judged {
        start_s: 0.0,
        secs: 0.0,
        served: 0,
        p99_ms: 0.0,
        p99_range: (0.0, 0.0),
        availability: 1.0,
        availability_range: (1.0, 1.0),
        offered_rps: 0.0,
        web_util: 0.0,
        db_util: 0.0,
        verdict: Verdict::Met,
        p99_judged: false,
        availability_judged: false,
        point_met: true,
        badness: badness(slo, 0.0, 1.0),
    }
}

/// How far the worse of `p99_ms` and `availability` is from its bound: 1
/// at the bound, above 1 past it.
fn badness(slo: &Slo, p99_ms: f64, availability: f64) -> f64 {
    let bound = slo.p99.as_millis_f64();
    let lat = if bound > 0.0 {
        p99_ms / bound
    } else {
        f64::INFINITY
    };
    let budget = 1.0 - slo.availability;
    let avail = if budget > 0.0 {
        (1.0 - availability) / budget
    } else if availability < 1.0 {
        f64::INFINITY
    } else {
        0.0
    };
    lat.max(avail)
}

/// Mean and half-width of Student's t interval.
fn t_interval(xs: &[f64], confidence: f64) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, t_of(xs.len() - 1, confidence) * (var / n).sqrt())
}

fn judge_interval(slo: &Slo, confidence: f64, exact: bool, rows: &[&IntervalSummary]) -> Judged {
    let first = rows[0];
    let served: u64 = rows.iter().map(|r| r.counts.served).sum();
    let finished: u64 = rows.iter().map(|r| r.counts.finished()).sum();
    let avail_points: Vec<f64> = rows.iter().map(|r| r.availability).collect();
    let p99_points: Vec<f64> = rows
        .iter()
        .filter(|r| r.counts.served > 0 || exact)
        .map(|r| r.latency.p99_ms)
        .collect();
    let mean = |xs: &[f64]| {
        if xs.is_empty() {
            0.0
        } else {
            xs.iter().sum::<f64>() / xs.len() as f64
        }
    };
    let p99 = mean(&p99_points);
    let availability = mean(&avail_points);
    let (p99_range, availability_range) = if exact {
        ((p99, p99), (availability, availability))
    } else if rows.len() == 1 {
        (first.p99_bounds, first.availability_bounds)
    } else {
        let p = if p99_points.len() >= 2 {
            let (m, h) = t_interval(&p99_points, confidence);
            ((m - h).max(0.0), m + h)
        } else {
            (0.0, f64::INFINITY)
        };
        let (m, h) = t_interval(&avail_points, confidence);
        let (wl, wh) = wilson(served, finished, confidence);
        (p, ((m - h).min(wl).max(0.0), (m + h).max(wh).min(1.0)))
    };
    let bound = slo.p99.as_millis_f64();
    // A bound is judged only where the interval holds enough requests to
    // show it met: a served count whose p99 has an upper bound at all, a
    // finished count whose Wilson bound could reach the availability
    // asked for (3,838 requests for 99.9% at 95%). A quieter interval
    // counts only when it misses for sure.
    let p99_judged = exact || quantile_ranks(served, 0.99, confidence).1 <= served;
    let avail_judged = exact || wilson(finished, finished, confidence).0 >= slo.availability;
    let p99 = if served == 0 && !exact { 0.0 } else { p99 };
    let p99_status = status(p99_range.1 <= bound, p99_range.0 > bound, p99_judged);
    let avail_status = status(
        availability_range.0 >= slo.availability,
        availability_range.1 < slo.availability,
        avail_judged,
    );
    let verdict = p99_status.0.max(avail_status.0);
    let counts = |(_, judged): (Verdict, bool)| judged;
    let n = rows.len() as f64;
    Judged {
        start_s: first.start.0 as f64 / NANOS_PER_SEC as f64,
        secs: first.secs,
        served,
        p99_ms: p99,
        p99_range,
        availability,
        availability_range,
        offered_rps: rows.iter().map(|r| r.offered_rps).sum::<f64>() / n,
        web_util: rows.iter().map(|r| r.web_util).sum::<f64>() / n,
        db_util: rows.iter().map(|r| r.db_util).sum::<f64>() / n,
        verdict,
        p99_judged: counts(p99_status),
        availability_judged: counts(avail_status),
        point_met: (!counts(p99_status) || p99 <= bound)
            && (!counts(avail_status) || availability >= slo.availability),
        badness: badness(
            slo,
            if counts(p99_status) { p99 } else { 0.0 },
            if counts(avail_status) {
                availability
            } else {
                1.0
            },
        ),
    }
}

/// A bound's standing and whether it counts: missed always counts; met or
/// uncertain only where the interval could show it met.
fn status(met: bool, missed: bool, judged: bool) -> (Verdict, bool) {
    if missed {
        (Verdict::Missed, true)
    } else if !judged {
        (Verdict::Met, false)
    } else if met {
        (Verdict::Met, true)
    } else {
        (Verdict::Uncertain, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Counts, Latency};
    use crate::spec::SloOver;
    use crate::time::{SimDuration, SimTime};

    fn slo() -> Slo {
        Slo {
            p99: SimDuration::from_millis(500),
            availability: 0.999,
            over: SloOver::Window,
        }
    }

    fn interval(served: u64, failed: u64, p99: f64, bounds: (f64, f64)) -> IntervalSummary {
        IntervalSummary {
            start: SimTime::ZERO,
            secs: 3600.0,
            counts: Counts {
                requests: served + failed,
                served,
                dropped: failed,
                ..Counts::default()
            },
            availability: served as f64 / (served + failed).max(1) as f64,
            latency: Latency {
                p99_ms: p99,
                ..Latency::default()
            },
            p99_bounds: bounds,
            availability_bounds: wilson(served, served + failed, 0.95),
            offered_rps: (served + failed) as f64 / 3600.0,
            web_util: 0.5,
            db_util: 0.1,
        }
    }

    fn window(rows: Vec<IntervalSummary>) -> WindowSummary {
        WindowSummary {
            intervals: rows,
            ..WindowSummary::default()
        }
    }

    #[test]
    fn the_worst_hour_decides_and_noise_makes_uncertain() {
        let slo = slo();
        // A quiet hour well inside, a busy hour over the bound for sure.
        let w = window(vec![
            interval(1_000_000, 0, 300.0, (295.0, 305.0)),
            interval(2_000_000, 0, 700.0, (690.0, 710.0)),
        ]);
        let j = judge(&slo, 0.95, false, &[w]);
        assert_eq!(j.verdict, Verdict::Missed);
        assert!(!j.met);
        assert_eq!(j.worst.p99_ms, 700.0);
        assert_eq!(j.busiest.p99_ms, 700.0);
        // A p99 whose interval straddles the bound.
        let w = window(vec![interval(1_000_000, 0, 495.0, (480.0, 510.0))]);
        let j = judge(&slo, 0.95, false, &[w]);
        assert_eq!(j.verdict, Verdict::Uncertain);
        assert!(j.met, "the point estimate meets");
        // Few requests, all served: 99.9% cannot be shown (Wilson's lower
        // bound for 1000 of 1000 is 0.9962).
        let w = window(vec![interval(1000, 0, 100.0, (90.0, 120.0))]);
        assert_eq!(judge(&slo, 0.95, false, &[w]).verdict, Verdict::Uncertain);
        // The same figures from the fluid mode are exact.
        let w = window(vec![interval(1000, 0, 100.0, (100.0, 100.0))]);
        assert_eq!(judge(&slo, 0.95, true, &[w]).verdict, Verdict::Met);
        // Plenty of requests and failures well past the budget.
        let w = window(vec![interval(990_000, 10_000, 100.0, (95.0, 105.0))]);
        let j = judge(&slo, 0.95, false, &[w]);
        assert_eq!(j.verdict, Verdict::Missed);
        assert_eq!(j.worst.broken_bound(&slo), Some("availability"));
    }

    #[test]
    fn replications_give_a_t_interval() {
        let slo = slo();
        let runs: Vec<WindowSummary> = [480.0, 490.0, 470.0, 485.0]
            .iter()
            .map(|&p| window(vec![interval(5_000_000, 0, p, (p - 1.0, p + 1.0))]))
            .collect();
        // Mean 481.25, sd 8.54, t(3) = 3.182: 481.25 +- 13.6, under 500.
        let j = judge(&slo, 0.95, false, &runs);
        assert!((j.worst.p99_range.1 - (481.25 + 3.182 * 8.539 / 2.0)).abs() < 0.05);
        assert_eq!(j.verdict, Verdict::Met);
    }
}
