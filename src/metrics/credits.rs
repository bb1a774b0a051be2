//! The CPU credit balances of burstable instances, minute by minute.

use crate::time::{NANOS_PER_SEC, SimTime};

const MINUTE: u64 = 60 * NANOS_PER_SEC;

/// A credit balance and where it is heading until the next reading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Balance {
    /// Credits (negative: surplus owed).
    pub credits: f64,
    /// Change per second.
    pub net_per_sec: f64,
    /// Lowest possible balance.
    pub min: f64,
    /// Highest possible balance.
    pub max: f64,
}

/// A balance read at `t`.
#[derive(Clone, Copy, Debug)]
struct Reading {
    t: SimTime,
    b: Balance,
}

impl Reading {
    fn at(&self, t: SimTime) -> f64 {
        let dt = (t - self.t).as_secs_f64();
        (self.b.credits + self.b.net_per_sec * dt).clamp(self.b.min, self.b.max)
    }
}

/// Balances of one tier's instances: between readings a balance moves in a
/// straight line, so its value at every minute's end is exact.
#[derive(Debug)]
pub(crate) struct CreditTrack {
    start: SimTime,
    end: SimTime,
    measure_from: SimTime,
    last: Vec<Option<Reading>>,
    /// Next minute whose end each instance still has to contribute.
    filled: Vec<usize>,
    at_measure: Vec<Option<f64>>,
    sum: Vec<f64>,
}

impl CreditTrack {
    pub(crate) fn new(start: SimTime, end: SimTime, measure_from: SimTime, minutes: usize) -> Self {
        CreditTrack {
            start,
            end,
            measure_from,
            last: Vec::new(),
            filled: Vec::new(),
            at_measure: Vec::new(),
            sum: vec![0.0; minutes],
        }
    }

    fn minute_end(&self, m: usize) -> SimTime {
        SimTime(self.start.0 + (m as u64 + 1) * MINUTE).min(self.end)
    }

    /// Contributes instance `i`'s balance at every minute end up to `now`.
    fn fill(&mut self, i: usize, now: SimTime) {
        let Some(r) = self.last[i] else { return };
        let mut m = self.filled[i];
        while m < self.sum.len() && self.minute_end(m) <= now {
            self.sum[m] += r.at(self.minute_end(m));
            m += 1;
        }
        self.filled[i] = m;
        if self.at_measure[i].is_none() && r.t <= self.measure_from && self.measure_from <= now {
            self.at_measure[i] = Some(r.at(self.measure_from));
        }
    }

    /// Instance `i`'s balance is `balance` at `now`, moving at `net` per second.
    pub(crate) fn observe(&mut self, now: SimTime, i: usize, b: Balance) {
        if i >= self.last.len() {
            self.last.resize(i + 1, None);
            self.filled.resize(i + 1, 0);
            self.at_measure.resize(i + 1, None);
        }
        self.fill(i, now);
        self.last[i] = Some(Reading { t: now, b });
    }

    /// Mean balance per instance at each minute's end (`None` without
    /// burstable instances), and the surplus credits run up after the
    /// warm-up (unlimited mode: the growth of what is owed).
    pub(crate) fn finish(mut self) -> (Vec<Option<f64>>, f64) {
        let n = self.last.iter().filter(|r| r.is_some()).count();
        let end = self.end;
        let mut surplus = 0.0;
        for i in 0..self.last.len() {
            self.fill(i, end);
            if let (Some(r), Some(from)) = (self.last[i], self.at_measure[i]) {
                let owed = |b: f64| (-b).max(0.0);
                surplus += (owed(r.at(end)) - owed(from)).max(0.0);
            }
        }
        let means = self
            .sum
            .iter()
            .map(|s| (n > 0).then(|| s / n as f64))
            .collect();
        (means, surplus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * NANOS_PER_SEC)
    }

    #[test]
    fn minute_ends_follow_the_straight_line_between_readings() {
        let mut t = CreditTrack::new(s(0), s(180), s(60), 3);
        // Instance 0: 30 credits falling 0.1/s from 0 s, then flat from 90 s.
        t.observe(
            s(0),
            0,
            Balance {
                credits: 30.0,
                net_per_sec: -0.1,
                min: 0.0,
                max: 144.0,
            },
        );
        t.observe(
            s(90),
            0,
            Balance {
                credits: 21.0,
                net_per_sec: 0.0,
                min: 0.0,
                max: 144.0,
            },
        );
        // Instance 1: unlimited, 0 and falling 0.05/s from 30 s.
        t.observe(
            s(30),
            1,
            Balance {
                credits: 0.0,
                net_per_sec: -0.05,
                min: f64::NEG_INFINITY,
                max: 144.0,
            },
        );
        let (means, surplus) = t.finish();
        // Minute 0 ends at 60 s: (24 + -1.5) / 2; minute 1 at 120 s: (21 + -4.5) / 2.
        // Instance 1 was first read at 30 s and counts from its first minute end.
        assert!((means[0].unwrap() - 22.5 / 2.0).abs() < 1e-9, "{means:?}");
        assert!((means[1].unwrap() - 16.5 / 2.0).abs() < 1e-9);
        assert!((means[2].unwrap() - (21.0 - 7.5) / 2.0).abs() < 1e-9);
        // Owed grew from 1.5 at 60 s to 7.5 at 180 s.
        assert!((surplus - 6.0).abs() < 1e-9);
    }
}
