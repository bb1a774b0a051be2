//! Simulated time: integer nanoseconds, so that runs are exact and repeatable.
//!
//! Every module that speaks about time uses these two types; none of them
//! depends on anything else in the crate.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant on the simulated clock, in nanoseconds since the clock's origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The clock's origin.
    pub const ZERO: SimTime = SimTime(0);

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the origin.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The time elapsed since `earlier`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A whole number of nanoseconds.
    pub const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }

    /// A whole number of milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000_000)
    }

    /// A whole number of seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * NANOS_PER_SEC)
    }

    /// Seconds as a float, rounded to the nearest nanosecond; negative and
    /// non-finite inputs give zero, huge ones saturate.
    pub fn from_secs_f64(s: f64) -> Self {
        if s.is_nan() || s <= 0.0 {
            return SimDuration::ZERO;
        }
        SimDuration(round_nanos(s * NANOS_PER_SEC as f64))
    }

    /// Nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// Milliseconds as a float.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Whether this is the empty span.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.saturating_since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl fmt::Display for SimDuration {
    /// The form scenario files use, with short units (`1d`, `1h 30m`,
    /// `250ms`): what `humantime` reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 7] = [
            (86_400 * NANOS_PER_SEC, "d"),
            (3_600 * NANOS_PER_SEC, "h"),
            (60 * NANOS_PER_SEC, "m"),
            (NANOS_PER_SEC, "s"),
            (1_000_000, "ms"),
            (1_000, "us"),
            (1, "ns"),
        ];
        if self.0 == 0 {
            return write!(f, "0s");
        }
        let mut left = self.0;
        let mut first = true;
        for (size, unit) in UNITS {
            let n = left / size;
            if n > 0 {
                write!(f, "{}{n}{unit}", if first { "" } else { " " })?;
                first = false;
                left -= n * size;
            }
        }
        Ok(())
    }
}

/// A non-negative count of nanoseconds rounded to the nearest integer, half
/// away from zero, without a call into libm (`f64::round` is not inlined on
/// baseline x86-64, and this sits on every sampled duration). Below 2^52
/// adding one half and truncating is exact; from there on every `f64` is
/// already an integer. `as` saturates beyond `u64::MAX`.
#[inline]
pub(crate) fn round_nanos(x: f64) -> u64 {
    if x < 4_503_599_627_370_496.0 {
        (x + 0.5) as u64
    } else {
        x as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_seconds_round_to_nanoseconds_and_clamp() {
        assert_eq!(
            SimDuration::from_secs_f64(0.05),
            SimDuration::from_millis(50)
        );
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e30).as_nanos(), u64::MAX);
    }

    #[test]
    fn nanos_round_as_f64_round_does() {
        for x in [
            0.0,
            0.4,
            0.5,
            1.5,
            2.5,
            2.4999,
            1e6 + 0.5,
            123_456.789,
            9.007e15,
            4.5e15 + 1.0,
            4_503_599_627_370_497.0,
            1e19,
            1e30,
        ] {
            assert_eq!(round_nanos(x), x.round() as u64, "{x}");
        }
    }

    #[test]
    fn instants_subtract_without_underflow() {
        assert_eq!(SimTime(5) - SimTime(9), SimDuration::ZERO);
        assert_eq!(SimTime(9) - SimTime(5), SimDuration(4));
        assert_eq!(SimTime(u64::MAX) + SimDuration(1), SimTime(u64::MAX));
    }

    #[test]
    fn durations_display_in_humantime_form() {
        assert_eq!(SimDuration::from_secs(5400).to_string(), "1h 30m");
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
    }

    #[test]
    fn durations_print_with_short_units_and_read_back() {
        for (d, text) in [
            (SimDuration::from_secs(86_400), "1d"),
            (SimDuration::from_secs(5_400), "1h 30m"),
            (SimDuration::from_millis(250), "250ms"),
            (SimDuration::ZERO, "0s"),
        ] {
            assert_eq!(d.to_string(), text);
            let back = humantime::parse_duration(text).unwrap();
            assert_eq!(back.as_nanos() as u64, d.as_nanos());
        }
    }
}
