//! Where along the horizon the simulator looks, and the offered rate there.

use super::{Diurnal, Load, Scenario, TrafficEvent, Users, WindowAt};
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};

/// One simulated window along the horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// Position in the run, from 0.
    pub index: usize,
    /// Start of the window on the horizon's clock (0 for steady state).
    pub start: SimTime,
    /// Users during the window; `None` when traffic is a fixed rate.
    pub users: Option<f64>,
    /// Requests per second before the daily cycle and events.
    pub base_rate: f64,
    /// Simulated time, warm-up included.
    pub window: SimDuration,
    /// Start of the window excluded from statistics.
    pub warmup: SimDuration,
}

/// The checkpoints of a scenario: one window for a steady-state study, or
/// `checkpoints` windows along the horizon, log-spaced in users when the
/// population grows and evenly spaced in time otherwise, plus one window on
/// every traffic event that starts within the horizon and whose span no
/// planned window measures (see [`event_window`]). Checkpoints are in time
/// order and numbered in that order.
pub fn plan_checkpoints(s: &Scenario) -> Vec<Checkpoint> {
    let sim = &s.simulation;
    let make = |index: usize, start: SimTime, users: Option<f64>| Checkpoint {
        index,
        start: place_window(s, start),
        users,
        base_rate: s.traffic.base_rate(users.unwrap_or(0.0)),
        window: sim.window,
        warmup: sim.warmup,
    };
    let growth = match &s.traffic.load {
        Load::Rate(_) => None,
        Load::Users { users, .. } => Some(*users),
    };
    let Some(horizon) = sim.horizon else {
        let users = match growth {
            Some(Users::Constant(u)) => Some(u),
            Some(Users::Growing { start, .. }) => Some(start),
            None => None,
        };
        return vec![make(0, SimTime::ZERO, users)];
    };
    let n = sim.checkpoints.max(1) as usize;
    // Fraction of the way along, 0 to 1; a single checkpoint sits at the end.
    let frac = |k: usize| {
        if n == 1 {
            1.0
        } else {
            k as f64 / (n - 1) as f64
        }
    };
    let at = |x: f64| SimTime((horizon.0 as f64 * x).round() as u64);
    let mut plan: Vec<Checkpoint> = (0..n)
        .map(|k| match growth {
            Some(Users::Growing { start, end, shape }) => {
                let users = start * (end / start).powf(frac(k));
                let x = shape.fraction_at(start, end, users).unwrap_or(frac(k));
                make(k, at(x), Some(users))
            }
            Some(Users::Constant(u)) => make(k, at(frac(k)), Some(u)),
            None => make(k, at(frac(k)), None),
        })
        .collect();
    for e in &s.traffic.events {
        if e.at.0 >= horizon.0 || plan.iter().any(|cp| measures(cp, e)) {
            continue;
        }
        let start = event_window(s, e);
        let users = match growth {
            Some(Users::Growing {
                start: u0,
                end,
                shape,
            }) => Some(shape.users_at(u0, end, start.0 as f64 / horizon.0 as f64)),
            Some(Users::Constant(u)) => Some(u),
            None => None,
        };
        plan.push(Checkpoint {
            start,
            ..make(0, start, users)
        });
    }
    // Stable: planned windows keep their order among equal starts.
    plan.sort_by_key(|cp| cp.start);
    for (k, cp) in plan.iter_mut().enumerate() {
        cp.index = k;
    }
    plan
}

/// The measured part of `cp`'s window overlaps event `e`.
pub fn measures(cp: &Checkpoint, e: &TrafficEvent) -> bool {
    let from = (cp.start + cp.warmup).0;
    let to = (cp.start + cp.window).0;
    let end = e.at.0.saturating_add(e.duration.0);
    from < end && e.at.0 < to
}

/// Where the window of an event's checkpoint starts: the usual placement on
/// the event's first day (centred on the daily peak with `window_at =
/// "peak"`) when its measured part overlaps the event; otherwise the
/// measured part centred on the event's first `window - warmup` (so that an
/// event shorter than the measured part lies wholly inside it, and a longer
/// one fills it), never before the horizon's start.
pub fn event_window(s: &Scenario, e: &TrafficEvent) -> SimTime {
    let sim = &s.simulation;
    let placed = place_window(s, SimTime(e.at.0));
    let probe = Checkpoint {
        index: 0,
        start: placed,
        users: None,
        base_rate: 0.0,
        window: sim.window,
        warmup: sim.warmup,
    };
    if measures(&probe, e) {
        return placed;
    }
    let measured = sim.window.0.saturating_sub(sim.warmup.0);
    let covered = e.duration.0.min(measured);
    let centre = e.at.0.saturating_add(covered / 2);
    SimTime(
        centre
            .saturating_sub(measured / 2)
            .saturating_sub(sim.warmup.0),
    )
}

/// A stretch of time over which the rate stays under one bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    /// The largest rate over the segment.
    pub peak: f64,
    /// A rate the segment never goes below (a hair under its smallest, so
    /// that rounding in the daily cycle's cosine cannot cross it).
    pub floor: f64,
    /// Where the segment ends (exclusive).
    pub until: SimTime,
    /// The rate equals `peak` throughout.
    pub flat: bool,
}

/// Where the window of a checkpoint at `t` starts: at `t`, or centred on
/// the daily peak of `t`'s day (the next day's if that would start before
/// the horizon).
pub fn place_window(s: &Scenario, t: SimTime) -> SimTime {
    const DAY: u64 = 86_400 * NANOS_PER_SEC;
    let peak = match (s.simulation.window_at, &s.traffic.diurnal) {
        (WindowAt::Peak, Some(d)) => peak_of_day(d),
        _ => return t,
    };
    let half = s.simulation.window.0 / 2;
    let day = t.0 / DAY * DAY;
    let start = day + peak.0;
    SimTime(if start >= half {
        start - half
    } else {
        start + DAY - half
    })
}

/// The time of day of the daily cycle's peak (the middle of the busiest
/// hour for hourly multipliers).
pub fn peak_of_day(d: &Diurnal) -> SimDuration {
    match d {
        Diurnal::Sinusoid { peak_hour, .. } | Diurnal::PeakTrough { peak_hour, .. } => {
            SimDuration::from_secs_f64(peak_hour * 3600.0)
        }
        Diurnal::Hourly(h) => {
            let busiest = h
                .iter()
                .enumerate()
                .fold(
                    (0, f64::MIN),
                    |best, (i, &x)| if x > best.1 { (i, x) } else { best },
                )
                .0;
            SimDuration::from_secs(busiest as u64 * 3600 + 1800)
        }
    }
}

/// The offered request rate over one window: base rate x daily cycle x events.
#[derive(Clone, Debug)]
pub struct RateProfile<'a> {
    base: f64,
    diurnal: Option<&'a Diurnal>,
    events: &'a [TrafficEvent],
}

const HOUR: u64 = 3600 * NANOS_PER_SEC;

impl<'a> RateProfile<'a> {
    /// The profile of a checkpoint of `s`.
    pub fn new(s: &'a Scenario, cp: &Checkpoint) -> Self {
        RateProfile {
            base: cp.base_rate,
            diurnal: s.traffic.diurnal.as_ref(),
            events: &s.traffic.events,
        }
    }

    /// The same profile without its traffic events: the base rate and the
    /// daily cycle alone.
    pub fn cycle_only(&self) -> RateProfile<'a> {
        RateProfile {
            events: &[],
            ..self.clone()
        }
    }

    /// Requests per second at horizon time `t`.
    pub fn rate(&self, t: SimTime) -> f64 {
        let d = self.diurnal.map_or(1.0, |d| d.factor(t));
        self.base * d * self.event_factor(t)
    }

    /// Where the traffic events start and end, nanoseconds.
    fn event_edges(&self) -> impl Iterator<Item = u64> + '_ {
        self.events
            .iter()
            .flat_map(|e| [e.at.0, e.at.0.saturating_add(e.duration.0)])
    }

    fn event_factor(&self, t: SimTime) -> f64 {
        self.events
            .iter()
            .filter(|e| e.at.0 <= t.0 && t.0 < e.at.0.saturating_add(e.duration.0))
            .map(|e| e.multiplier)
            .product()
    }

    /// The segment that starts at `from`: it ends at the next hour boundary
    /// or event edge, and `peak` bounds the rate over it, tightly enough that
    /// thinning against it rejects few candidates.
    pub fn segment(&self, from: SimTime) -> Segment {
        let hour_end = (from.0 / HOUR + 1) * HOUR;
        let until = SimTime(
            self.event_edges()
                .filter(|&edge| edge > from.0)
                .fold(hour_end, u64::min),
        );
        let (diurnal, low, flat) = self.cycle_bounds(from, until);
        let scale = self.base * self.event_factor(from);
        Segment {
            peak: scale * diurnal,
            floor: scale * low * (1.0 - 1e-9),
            until,
            flat,
        }
    }

    /// A floor of the rate over `[from, until)`, which must not cross a
    /// traffic event's edge: a hair under its smallest value there. Used
    /// on spans shorter than a segment, it is a tighter squeeze for the
    /// thinning (fewer candidates whose rate must be worked out; the same
    /// candidates kept).
    pub fn floor_over(&self, from: SimTime, until: SimTime) -> f64 {
        let (_, low, _) = self.cycle_bounds(from, until);
        self.base * self.event_factor(from) * low * (1.0 - 1e-9)
    }

    /// The daily cycle's largest and smallest factor over `[from, until)`
    /// (a span within one day's hour or less), and whether it is flat there.
    fn cycle_bounds(&self, from: SimTime, until: SimTime) -> (f64, f64, bool) {
        match self.diurnal {
            None => (1.0, 1.0, true),
            Some(d @ Diurnal::Hourly(_)) => (d.factor(from), d.factor(from), true),
            Some(
                d @ (Diurnal::Sinusoid { peak_hour, .. } | Diurnal::PeakTrough { peak_hour, .. }),
            ) => {
                // Within one hour the sinusoid (and the peak-trough day,
                // monotone between its peak and trough) peaks at an end of the
                // interval unless its peak hour falls inside.
                // The same holds for its trough, twelve hours away.
                let hour_of = |t: SimTime| (t.0 % (24 * HOUR)) as f64 / HOUR as f64;
                let (a, b) = (hour_of(from), hour_of(SimTime(until.0 - 1)));
                let inside = |h: f64| {
                    if a <= b {
                        (a..=b).contains(&h)
                    } else {
                        h >= a || h <= b
                    }
                };
                let ends = [d.factor(from), d.factor(SimTime(until.0 - 1))];
                let peak = if inside(*peak_hour) {
                    d.max_factor()
                } else {
                    ends[0].max(ends[1])
                };
                let low = if inside((peak_hour + 12.0) % 24.0) {
                    d.min_factor()
                } else {
                    ends[0].min(ends[1])
                };
                (peak, low, false)
            }
        }
    }

    /// Expected requests over `[start, start + len)`: the rate's integral,
    /// in closed form between the traffic events' edges (the peak-trough
    /// day by the midpoint rule on one-second steps).
    pub fn expected_requests(&self, start: SimTime, len: SimDuration) -> f64 {
        let end = start.0 + len.0;
        let cycle = |a: u64, b: u64| match self.diurnal {
            None => Some((b - a) as f64 / NANOS_PER_SEC as f64),
            Some(d) => d.integral(SimTime(a), SimTime(b)),
        };
        if cycle(start.0, start.0).is_none() {
            return self.expected_by_seconds(start, len);
        }
        let mut edges: Vec<u64> = self
            .event_edges()
            .filter(|&t| t > start.0 && t < end)
            .collect();
        edges.push(end);
        edges.sort_unstable();
        let mut sum = 0.0;
        let mut a = start.0;
        for b in edges {
            if b > a {
                sum += self.base * self.event_factor(SimTime(a)) * cycle(a, b).unwrap_or(0.0);
                a = b;
            }
        }
        sum
    }

    /// [`RateProfile::expected_requests`] by the midpoint rule on
    /// one-second steps.
    fn expected_by_seconds(&self, start: SimTime, len: SimDuration) -> f64 {
        let secs = len.0 / NANOS_PER_SEC;
        let whole: f64 = (0..secs)
            .map(|i| self.rate(SimTime(start.0 + i * NANOS_PER_SEC + NANOS_PER_SEC / 2)))
            .sum();
        let rest = len.0 % NANOS_PER_SEC;
        let tail = self.rate(SimTime(start.0 + secs * NANOS_PER_SEC + rest / 2)) * rest as f64
            / NANOS_PER_SEC as f64;
        whole + tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::GrowthShape;

    #[test]
    fn growth_shapes_invert() {
        for shape in [
            GrowthShape::Linear,
            GrowthShape::Exponential,
            GrowthShape::Logistic,
        ] {
            for x in [0.0, 0.1, 0.5, 0.77, 1.0] {
                let u = shape.users_at(10.0, 1e6, x);
                let back = shape.fraction_at(10.0, 1e6, u).unwrap();
                assert!((back - x).abs() < 1e-9, "{shape:?} {x} -> {u} -> {back}");
            }
            assert_eq!(shape.users_at(10.0, 1e6, 0.0), 10.0);
            assert!((shape.users_at(10.0, 1e6, 1.0) - 1e6).abs() < 1e-6);
        }
    }

    #[test]
    fn expected_requests_in_closed_form_match_the_per_second_sum() {
        // Each shape with a flash crowd that starts and ends inside a
        // second: the closed form against one-second midpoints. The
        // midpoint rule's error on the sinusoid is (w h)^2 / 24 of it, w h
        // = 7.3e-5 rad: 2e-10; an edge inside a second costs at most one
        // second's share of the extra rate (1 part in 10^4 of a 3-hour span
        // at 2x), so the two are held to 2e-4 there and 1e-9 without one.
        let events = [TrafficEvent {
            at: SimDuration::from_millis(5_000_300),
            duration: SimDuration::from_millis(60_500),
            multiplier: 2.0,
        }];
        let shapes = [
            Diurnal::Sinusoid {
                peak_to_mean: 1.8,
                peak_hour: 20.5,
            },
            Diurnal::Hourly((0..24).map(|h| 0.5 + f64::from(h) / 23.0).collect()),
        ];
        for d in &shapes {
            for (events, tol) in [(&events[..], 2e-4), (&[][..], 1e-9)] {
                let p = profile(12.5, Some(d), events);
                for (start, len) in [(0, 86_400), (4_000, 10_800), (80_000, 30_000), (3_599, 2)] {
                    let (start, len) =
                        (SimTime(start * NANOS_PER_SEC), SimDuration::from_secs(len));
                    let exact = p.expected_requests(start, len);
                    let sum = p.expected_by_seconds(start, len);
                    assert!(
                        (exact - sum).abs() <= tol * sum,
                        "{d:?} {start:?} {len:?}: {exact} vs {sum}"
                    );
                }
            }
        }
        // Flat traffic: rate times length, to the request.
        let p = profile(12.5, None, &events);
        let got = p.expected_requests(SimTime::ZERO, SimDuration::from_secs(86_400));
        assert!(
            (got - (12.5 * 86_400.0 + 12.5 * 60.5)).abs() < 1e-6,
            "{got}"
        );
    }

    fn profile<'a>(
        base: f64,
        diurnal: Option<&'a Diurnal>,
        events: &'a [TrafficEvent],
    ) -> RateProfile<'a> {
        RateProfile {
            base,
            diurnal,
            events,
        }
    }

    /// The sinusoid day (peak 2x at 20:00, trough 0 at 08:00) and a
    /// flash crowd of 100 s at 3x from `at` seconds.
    fn day_and_crowd(at: u64) -> (Diurnal, [TrafficEvent; 1]) {
        (
            Diurnal::Sinusoid {
                peak_to_mean: 2.0,
                peak_hour: 20.0,
            },
            [TrafficEvent {
                at: SimDuration::from_secs(at),
                duration: SimDuration::from_secs(100),
                multiplier: 3.0,
            }],
        )
    }

    #[test]
    fn a_minute_floor_stays_under_the_rate() {
        // The arrivals' squeeze: any span of a minute or less that crosses
        // no event edge (the trough inside one, an edge at the end of
        // one) has its floor under the rate at every point of it.
        let (d, events) = day_and_crowd(28_830);
        let p = profile(10.0, Some(&d), &events);
        let minute = 60 * NANOS_PER_SEC;
        let edges = [28_830 * NANOS_PER_SEC, 28_930 * NANOS_PER_SEC];
        let mut spans = Vec::new();
        for m in 0..1440 {
            let (mut from, end) = (m * minute, (m + 1) * minute);
            for e in edges {
                if e > from && e < end {
                    spans.push((from, e));
                    from = e;
                }
            }
            spans.push((from, end));
        }
        assert_eq!(spans.len(), 1442);
        for (from, until) in spans {
            let (from, until) = (SimTime(from), SimTime(until));
            let floor = p.floor_over(from, until);
            let mut t = from;
            let mut least = f64::INFINITY;
            while t < until {
                assert!(p.rate(t) >= floor, "{from:?}: {} < {floor}", p.rate(t));
                least = least.min(p.rate(t));
                t = SimTime(t.0 + 997_000_000);
            }
            // And tight: within the rate's change over a second of the
            // least value seen (at most 3 x 10 x 2 pi / 86,400 = 0.0022).
            assert!(floor >= least - 0.003, "{from:?}: {floor} vs {least}");
        }
    }

    #[test]
    fn sinusoid_bound_covers_the_rate_and_is_tight() {
        let (d, events) = day_and_crowd(5000);
        let p = profile(10.0, Some(&d), &events);
        let mut t = SimTime::ZERO;
        while t.0 < 86_400 * NANOS_PER_SEC {
            let Segment {
                peak: b,
                floor,
                until,
                ..
            } = p.segment(t);
            assert!(until > t);
            // The floor is close under the rate: the segment's ends or the
            // trough (2 - 2 = 0 at 08:00).
            assert!(floor >= 0.0 && floor <= b);
            let mut s = t;
            while s < until {
                assert!(p.rate(s) <= b * (1.0 + 1e-12), "rate above bound at {s:?}");
                assert!(p.rate(s) >= floor, "rate under floor at {s:?}");
                s = SimTime(s.0 + 7 * NANOS_PER_SEC);
            }
            t = until;
        }
        // The event's edges split segments.
        assert_eq!(p.segment(SimTime::ZERO).until, SimTime(HOUR));
        assert_eq!(
            p.segment(SimTime(HOUR)).until,
            SimTime(5000 * NANOS_PER_SEC)
        );
        assert!(!p.segment(SimTime::ZERO).flat);
        // A flat day of 10/s with a 3x event of 100 s.
        let flat = profile(10.0, None, &events);
        let n = flat.expected_requests(SimTime::ZERO, SimDuration::from_secs(86_400));
        assert!((n - (864_000.0 + 2000.0)).abs() < 1e-6);
        let n = p.expected_requests(SimTime::ZERO, SimDuration::from_secs(86_400));
        assert!((n / 866_000.0 - 1.0).abs() < 0.01, "{n}");
    }
}

#[cfg(test)]
mod placement_tests {
    use super::*;

    #[test]
    fn peak_windows_are_centred_on_the_daily_peak() {
        let hourly: Vec<f64> = (0..24).map(|h| if h == 19 { 3.0 } else { 1.0 }).collect();
        assert_eq!(
            peak_of_day(&Diurnal::Hourly(hourly)),
            SimDuration::from_secs(19 * 3600 + 1800)
        );
        let d = Diurnal::Sinusoid {
            peak_to_mean: 2.0,
            peak_hour: 20.0,
        };
        assert_eq!(peak_of_day(&d), SimDuration::from_secs(20 * 3600));
    }
}
