//! Time integrals of a piecewise-constant level (busy servers, requests inside).

use super::Intervals;
use crate::time::{NANOS_PER_SEC, SimTime};

const MINUTE: u64 = 60 * NANOS_PER_SEC;

/// The integral over time of a level that changes by steps, kept per minute,
/// per SLO interval and over the measured part of the window (after the
/// warm-up), in level-seconds.
#[derive(Debug)]
pub(crate) struct Area {
    start: SimTime,
    measure_from: SimTime,
    last: SimTime,
    level: i64,
    total: f64,
    per_minute: Vec<f64>,
    intervals: Option<Intervals>,
    per_interval: Vec<f64>,
    /// The interval that holds `last` (time only moves forward).
    current: usize,
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
            total: 0.0,
            per_minute: vec![0.0; minutes],
            intervals: None,
            per_interval: Vec::new(),
            current: 0,
            until: SimTime(u64::MAX),
        }
    }

    /// The same, also kept per interval of `intervals` (a single interval
    /// is the measured total).
    pub(crate) fn with_intervals(mut self, intervals: &Intervals) -> Self {
        if intervals.len() > 1 {
            self.per_interval = vec![0.0; intervals.len()];
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
            let level = self.level as f64;
            let from = self.last.max(self.measure_from);
            if now > from {
                self.total += level * (now - from).as_secs_f64();
            }
            if !self.per_minute.is_empty() {
                self.spread(level, now);
            }
            if self.intervals.is_some() {
                self.spread_intervals(level, now);
            }
        }
        self.last = now;
    }

    fn spread(&mut self, level: f64, now: SimTime) {
        let mut t = self.last;
        while t < now {
            let m = ((t - self.start).as_nanos() / MINUTE) as usize;
            let edge = SimTime(self.start.0 + (m as u64 + 1) * MINUTE).min(now);
            if let Some(slot) = self.per_minute.get_mut(m) {
                *slot += level * (edge - t).as_secs_f64();
            }
            t = edge;
        }
    }

    fn spread_intervals(&mut self, level: f64, now: SimTime) {
        let Some(iv) = &self.intervals else {
            return;
        };
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
            self.per_interval[self.current] += level * (edge - t).as_secs_f64();
            t = edge;
        }
    }

    /// Level-seconds in SLO interval `i`.
    pub(crate) fn interval(&self, i: usize) -> f64 {
        match self.intervals {
            None => self.total,
            Some(_) => self.per_interval.get(i).copied().unwrap_or(0.0),
        }
    }

    /// Level-seconds after the warm-up.
    pub(crate) fn total(&self) -> f64 {
        self.total
    }

    /// Level-seconds in minute `m`.
    pub(crate) fn minute(&self, m: usize) -> f64 {
        self.per_minute.get(m).copied().unwrap_or(0.0)
    }
}
