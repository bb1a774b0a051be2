//! Time integrals of a piecewise-constant level (busy servers, requests inside).

use super::Intervals;
use crate::time::{NANOS_PER_SEC, SimTime};

const MINUTE: u64 = 60 * NANOS_PER_SEC;

/// The integral over time of a level that changes by steps, kept per minute,
/// per SLO interval and over the measured part of the window (after the
/// warm-up), in level-seconds.
///
/// Kept exactly, in level-nanoseconds: a level changes on every service
/// start and end, and most changes fall in the same minute and interval as
/// the one before, so those cost one multiplication and three additions
/// (`fast_until` bounds where that holds); crossing an edge takes the
/// general path.
#[derive(Debug)]
pub(crate) struct Area {
    start: SimTime,
    measure_from: SimTime,
    last: SimTime,
    level: i64,
    total: i128,
    per_minute: Vec<i128>,
    intervals: Option<Intervals>,
    per_interval: Vec<i128>,
    /// The minute that holds `last`, and the interval (time only moves
    /// forward); `slot` is `current`, or past the end after the last
    /// interval.
    minute: usize,
    current: usize,
    slot: usize,
    /// Up to here, a step from `last` stays in `minute` and `current`
    /// and after the warm-up.
    fast_until: SimTime,
    /// Nothing is integrated past this (a segment's measured end).
    until: SimTime,
}

impl Area {
    /// An integral from `start`, with `minutes` per-minute slots (0 for none).
    pub(crate) fn new(start: SimTime, measure_from: SimTime, minutes: usize) -> Self {
        Area {
            start,
            measure_from,
            last: start,
            level: 0,
            total: 0,
            per_minute: vec![0; minutes],
            intervals: None,
            per_interval: Vec::new(),
            minute: 0,
            current: 0,
            slot: 0,
            fast_until: start,
            until: SimTime(u64::MAX),
        }
    }

    /// The same, also kept per interval of `intervals` (a single interval
    /// is the measured total).
    pub(crate) fn with_intervals(mut self, intervals: &Intervals) -> Self {
        if intervals.len() > 1 {
            self.per_interval = vec![0; intervals.len()];
            self.intervals = Some(intervals.clone());
        }
        self
    }

    /// Integrates nothing past `until`.
    pub(crate) fn until(mut self, until: SimTime) -> Self {
        self.until = until;
        self
    }

    /// The level becomes `level` at `now`.
    pub(crate) fn set(&mut self, now: SimTime, level: i64) {
        self.advance(now);
        self.level = level;
    }

    /// The level changes by `delta` at `now`.
    #[inline]
    pub(crate) fn change(&mut self, now: SimTime, delta: i32) {
        self.advance(now);
        self.level += i64::from(delta);
    }

    /// Integrates up to `now`.
    #[inline]
    pub(crate) fn advance(&mut self, now: SimTime) {
        let now = now.min(self.until);
        if now <= self.last {
            return;
        }
        if self.level != 0 {
            if now <= self.fast_until {
                let area = i128::from(self.level) * i128::from(now.0 - self.last.0);
                self.total += area;
                if let Some(slot) = self.per_minute.get_mut(self.minute) {
                    *slot += area;
                }
                if let Some(slot) = self.per_interval.get_mut(self.slot) {
                    *slot += area;
                }
            } else {
                self.spread(now);
            }
        }
        self.last = now;
    }

    /// The general step from `last` to `now`, across minute and interval
    /// edges; it leaves `minute`, `current` and `fast_until` set for `now`.
    #[inline(never)]
    fn spread(&mut self, now: SimTime) {
        let level = i128::from(self.level);
        let from = self.last.max(self.measure_from);
        if now > from {
            self.total += level * i128::from(now.0 - from.0);
        }
        let mut t = self.last;
        while t < now && !self.per_minute.is_empty() {
            let m = ((t - self.start).as_nanos() / MINUTE) as usize;
            let edge = SimTime(self.start.0 + (m as u64 + 1) * MINUTE).min(now);
            if let Some(slot) = self.per_minute.get_mut(m) {
                *slot += level * i128::from(edge.0 - t.0);
            }
            t = edge;
        }
        if let Some(iv) = &self.intervals {
            let last = iv.len() - 1;
            let mut t = self.last.max(self.measure_from);
            while t < now {
                while self.current < last && iv.end_of(self.current) <= t {
                    self.current += 1;
                }
                let edge = iv.end_of(self.current).min(now);
                if edge <= t {
                    break;
                }
                self.per_interval[self.current] += level * i128::from(edge.0 - t.0);
                t = edge;
            }
        }
        self.settle(now);
    }

    /// Points `minute` and `current` at the ones a step from `now` starts
    /// in, and `fast_until` at the first edge after it.
    fn settle(&mut self, now: SimTime) {
        if now < self.measure_from {
            self.fast_until = now;
            return;
        }
        let mut until = SimTime(u64::MAX);
        if !self.per_minute.is_empty() {
            let m = (now - self.start).as_nanos() / MINUTE;
            self.minute = m as usize;
            // Past the last slot the step adds nothing per minute.
            if self.minute < self.per_minute.len() {
                until = until.min(SimTime(self.start.0 + (m + 1) * MINUTE));
            }
        }
        if let Some(iv) = &self.intervals {
            let last = iv.len() - 1;
            while self.current < last && iv.end_of(self.current) <= now {
                self.current += 1;
            }
            if iv.end_of(self.current) > now {
                until = until.min(iv.end_of(self.current));
                self.slot = self.current;
            } else {
                // After the last interval: nothing more is kept per interval.
                self.slot = usize::MAX;
            }
        }
        self.fast_until = until;
    }

    /// Level-seconds in SLO interval `i`.
    pub(crate) fn interval(&self, i: usize) -> f64 {
        match self.intervals {
            None => self.total(),
            Some(_) => seconds(self.per_interval.get(i).copied().unwrap_or(0)),
        }
    }

    /// Level-seconds after the warm-up.
    pub(crate) fn total(&self) -> f64 {
        seconds(self.total)
    }

    /// Level-seconds in minute `m`.
    pub(crate) fn minute(&self, m: usize) -> f64 {
        seconds(self.per_minute.get(m).copied().unwrap_or(0))
    }
}

/// Level-nanoseconds as level-seconds.
fn seconds(level_ns: i128) -> f64 {
    level_ns as f64 / NANOS_PER_SEC as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    /// The area step by step, nanosecond by nanosecond in effect: every
    /// piece of a constant level is cut at every minute and interval edge.
    fn reference(
        steps: &[(u64, i32)],
        start: u64,
        measure_from: u64,
        end: u64,
        iv: &Intervals,
    ) -> (f64, Vec<f64>, Vec<f64>) {
        let minutes = ((end - start) / MINUTE + 1) as usize;
        let (mut total, mut per_minute, mut per_iv) =
            (0.0, vec![0.0; minutes], vec![0.0; iv.len()]);
        let mut level = 0i64;
        let mut t = start;
        let mut all = steps.to_vec();
        all.push((end, 0));
        for &(at, delta) in &all {
            // Cut [t, at) at every edge: one second's grid is fine enough.
            let mut u = t;
            while u < at {
                let next = (u / NANOS_PER_SEC + 1) * NANOS_PER_SEC;
                let next = next.min(at);
                let a = level as f64 * (next - u) as f64 / 1e9;
                if u >= measure_from {
                    total += a;
                    for (i, slot) in per_iv.iter_mut().enumerate() {
                        let (x, y) = iv.span(i);
                        if u >= x.0 && u < y.0 {
                            *slot += a;
                        }
                    }
                }
                per_minute[((u - start) / MINUTE) as usize] += a;
                u = next;
            }
            t = at;
            level += i64::from(delta);
        }
        (total, per_minute, per_iv)
    }

    #[test]
    fn kept_per_minute_and_interval_as_cut_by_hand() {
        let s = NANOS_PER_SEC;
        let (start, from, end) = (0, 90 * s, 600 * s);
        let iv = Intervals::new(
            SimTime(from),
            SimTime(end - 50 * s),
            Some(SimDuration::from_secs(100)),
        );
        let mut a = Area::new(SimTime(start), SimTime(from), 11).with_intervals(&iv);
        // The intervals end before the window: nothing is kept per interval
        // after them. Levels that rise and fall across edges, with long idle spells and
        // several changes at one instant, all on whole seconds.
        let mut steps = Vec::new();
        let mut x: u64 = 12345;
        let mut t = 0;
        let mut level = 0i64;
        while t < end - 10 * s {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            t += (x >> 33) % 40 * s;
            let up = !(x >> 20).is_multiple_of(3) || level == 0;
            let delta = if up { 1 } else { -1 };
            level += i64::from(delta);
            if t < end {
                steps.push((t, delta));
            }
        }
        for &(at, delta) in &steps {
            a.change(SimTime(at), delta);
        }
        a.advance(SimTime(end));
        let (total, per_minute, per_iv) = reference(&steps, start, from, end, &iv);
        assert!((a.total() - total).abs() < 1e-6, "{} vs {total}", a.total());
        for (m, want) in per_minute.iter().enumerate().take(10) {
            assert!((a.minute(m) - want).abs() < 1e-6, "minute {m}");
        }
        for (i, want) in per_iv.iter().enumerate() {
            assert!((a.interval(i) - want).abs() < 1e-6, "interval {i}");
        }
    }
}
