//! Service-time and latency distributions, by their moments.

use crate::time::SimDuration;

/// A non-negative random duration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dist {
    /// Exponential with this mean (cv = 1).
    Exponential {
        /// Mean.
        mean: SimDuration,
    },
    /// Always exactly this value (cv = 0).
    Deterministic {
        /// The value.
        value: SimDuration,
    },
    /// Lognormal with this mean and coefficient of variation.
    Lognormal {
        /// Mean.
        mean: SimDuration,
        /// Standard deviation over mean, > 0.
        cv: f64,
    },
    /// Gamma with this mean and coefficient of variation.
    Gamma {
        /// Mean.
        mean: SimDuration,
        /// Standard deviation over mean, > 0.
        cv: f64,
    },
    /// Uniform between two bounds.
    Uniform {
        /// Lower bound.
        min: SimDuration,
        /// Upper bound, >= `min`.
        max: SimDuration,
    },
}

impl Dist {
    /// A fixed duration.
    pub fn constant(value: SimDuration) -> Dist {
        Dist::Deterministic { value }
    }

    /// The mean.
    pub fn mean(&self) -> SimDuration {
        match *self {
            Dist::Exponential { mean }
            | Dist::Lognormal { mean, .. }
            | Dist::Gamma { mean, .. } => mean,
            Dist::Deterministic { value } => value,
            Dist::Uniform { min, max } => SimDuration((min.0 + max.0) / 2),
        }
    }

    /// The coefficient of variation (standard deviation over mean; 0 when the mean is 0).
    pub fn cv(&self) -> f64 {
        match *self {
            Dist::Exponential { .. } => 1.0,
            Dist::Deterministic { .. } => 0.0,
            Dist::Lognormal { cv, .. } | Dist::Gamma { cv, .. } => cv,
            Dist::Uniform { min, max } => {
                let mean = (min.0 + max.0) as f64 / 2.0;
                if mean == 0.0 {
                    0.0
                } else {
                    (max.0 - min.0) as f64 / 12f64.sqrt() / mean
                }
            }
        }
    }

    /// The same shape with every duration divided by `speed` (a faster CPU).
    pub fn scaled(&self, speed: f64) -> Dist {
        let s = |d: SimDuration| SimDuration::from_secs_f64(d.as_secs_f64() / speed);
        match *self {
            Dist::Exponential { mean } => Dist::Exponential { mean: s(mean) },
            Dist::Deterministic { value } => Dist::Deterministic { value: s(value) },
            Dist::Lognormal { mean, cv } => Dist::Lognormal { mean: s(mean), cv },
            Dist::Gamma { mean, cv } => Dist::Gamma { mean: s(mean), cv },
            Dist::Uniform { min, max } => Dist::Uniform {
                min: s(min),
                max: s(max),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_of_each_shape() {
        let ms = SimDuration::from_millis;
        assert_eq!(Dist::Exponential { mean: ms(5) }.cv(), 1.0);
        assert_eq!(Dist::constant(ms(5)).cv(), 0.0);
        let u = Dist::Uniform {
            min: ms(0),
            max: ms(10),
        };
        assert_eq!(u.mean(), ms(5));
        assert!((u.cv() - 1.0 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(
            Dist::Gamma {
                mean: ms(50),
                cv: 2.0
            }
            .scaled(2.0),
            Dist::Gamma {
                mean: ms(25),
                cv: 2.0
            }
        );
    }
}
