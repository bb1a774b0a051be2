//! Drawing durations from a [`Dist`], with parameters worked out once.

use crate::engine::StreamRng;
use crate::spec::Dist;
use crate::time::SimDuration;
use rand::RngExt;
use rand_distr::{Distribution, Exp1, Gamma, LogNormal};

/// A ready-to-draw distribution over nanoseconds.
#[derive(Clone, Debug)]
pub(crate) enum Sampler {
    Constant(u64),
    Exponential { mean_ns: f64 },
    LogNormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Uniform { min: u64, span: u64 },
}

impl Sampler {
    /// The sampler of `dist`. Parameters were range-checked by the scenario
    /// loader; anything degenerate that slips through falls back to the mean.
    pub(crate) fn new(dist: &Dist) -> Sampler {
        let mean = dist.mean().as_nanos() as f64;
        match *dist {
            Dist::Deterministic { value } => Sampler::Constant(value.as_nanos()),
            Dist::Exponential { .. } if mean > 0.0 => Sampler::Exponential { mean_ns: mean },
            Dist::Lognormal { cv, .. } if mean > 0.0 && cv > 0.0 => {
                // Mean m and cv give sigma^2 = ln(1 + cv^2), mu = ln m - sigma^2 / 2.
                let s2 = (1.0 + cv * cv).ln();
                LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt())
                    .map_or(Sampler::Constant(mean as u64), Sampler::LogNormal)
            }
            Dist::Gamma { cv, .. } if mean > 0.0 && cv > 0.0 => {
                // Shape 1/cv^2 and scale m cv^2 give mean m and cv.
                Gamma::new(1.0 / (cv * cv), mean * cv * cv)
                    .map_or(Sampler::Constant(mean as u64), Sampler::Gamma)
            }
            Dist::Uniform { min, max } => Sampler::Uniform {
                min: min.as_nanos(),
                span: max.as_nanos().saturating_sub(min.as_nanos()),
            },
            _ => Sampler::Constant(mean as u64),
        }
    }

    /// One draw.
    #[inline]
    pub(crate) fn sample(&self, rng: &mut StreamRng) -> SimDuration {
        let ns = match self {
            Sampler::Constant(v) => return SimDuration(*v),
            Sampler::Exponential { mean_ns } => {
                let e: f64 = Exp1.sample(rng);
                e * mean_ns
            }
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Uniform { min, span } => {
                return SimDuration(min + (rng.random::<f64>() * (*span as f64)) as u64);
            }
        };
        SimDuration(crate::time::round_nanos(ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn moments(d: Dist) -> (f64, f64) {
        let s = Sampler::new(&d);
        let mut rng = RngStreams::new(7).stream("test");
        let n = 400_000;
        let xs: Vec<f64> = (0..n)
            .map(|_| s.sample(&mut rng).as_nanos() as f64)
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, var.sqrt() / mean)
    }

    #[test]
    fn every_shape_has_the_mean_and_cv_asked_for() {
        let ms = SimDuration::from_millis;
        // 400k draws: the sample mean's relative standard error is cv/sqrt(n),
        // under 0.5% for cv <= 3, so 2% is over four standard errors.
        for (d, cv) in [
            (Dist::Exponential { mean: ms(50) }, 1.0),
            (
                Dist::Lognormal {
                    mean: ms(50),
                    cv: 1.0,
                },
                1.0,
            ),
            (
                Dist::Lognormal {
                    mean: ms(50),
                    cv: 0.5,
                },
                0.5,
            ),
            (
                Dist::Gamma {
                    mean: ms(50),
                    cv: 2.0,
                },
                2.0,
            ),
            (
                Dist::Gamma {
                    mean: ms(50),
                    cv: 0.3,
                },
                0.3,
            ),
            (
                Dist::Uniform {
                    min: ms(10),
                    max: ms(90),
                },
                80.0 / 12f64.sqrt() / 50.0,
            ),
            (Dist::constant(ms(50)), 0.0),
        ] {
            let (mean, got_cv) = moments(d);
            assert!((mean / 50e6 - 1.0).abs() < 0.02, "{d:?}: mean {mean}");
            // The sample cv of heavy-tailed shapes converges slowly; 5% of cv.
            assert!(
                (got_cv - cv).abs() <= 0.05 * cv + 1e-9,
                "{d:?}: cv {got_cv}"
            );
        }
    }
}
