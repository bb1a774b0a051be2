//! Offered load: users or a fixed rate, the daily cycle, flash crowds, request classes.

use super::Dist;
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};

/// Traffic offered to the architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    /// Base load.
    pub load: Load,
    /// Daily cycle; `None` is flat.
    pub diurnal: Option<Diurnal>,
    /// Round trip to the origin region, added to every response not served by the CDN.
    pub client_rtt: SimDuration,
    /// Flash crowds and campaigns on top of the base rate.
    pub events: Vec<TrafficEvent>,
    /// Request classes; shares sum to one.
    pub mix: Vec<RequestClass>,
}

/// The base load, before the daily cycle and events.
#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    /// A constant request rate, per second.
    Rate(f64),
    /// A user population and how much each user asks for.
    Users {
        /// Users over the horizon.
        users: Users,
        /// Requests one user sends per day.
        requests_per_user_per_day: f64,
    },
}

/// A user population.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Users {
    /// The same number throughout.
    Constant(f64),
    /// Growing from `start` to `end` over the horizon.
    Growing {
        /// Users at time zero.
        start: f64,
        /// Users at the end of the horizon.
        end: f64,
        /// How they grow in between.
        shape: GrowthShape,
    },
}

/// How a growing population moves from start to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrowthShape {
    /// A straight line.
    Linear,
    /// A constant growth rate (a straight line in log scale).
    Exponential,
    /// An S-curve: slow, fast, slow.
    Logistic,
}

/// Steepness of the logistic curve over the horizon (x from -6 to +6).
const LOGISTIC_STEEPNESS: f64 = 12.0;

impl GrowthShape {
    /// Users at fraction `x` (0 to 1) of the horizon.
    pub fn users_at(self, start: f64, end: f64, x: f64) -> f64 {
        let x = x.clamp(0.0, 1.0);
        match self {
            GrowthShape::Linear => start + (end - start) * x,
            GrowthShape::Exponential => start * (end / start).powf(x),
            GrowthShape::Logistic => {
                let l = |x: f64| 1.0 / (1.0 + (-LOGISTIC_STEEPNESS * (x - 0.5)).exp());
                let (l0, l1) = (l(0.0), l(1.0));
                start + (end - start) * (l(x) - l0) / (l1 - l0)
            }
        }
    }

    /// The fraction of the horizon at which the population reaches `users`
    /// (the inverse of [`GrowthShape::users_at`]); `None` if it never does.
    pub fn fraction_at(self, start: f64, end: f64, users: f64) -> Option<f64> {
        let (lo, hi) = if start <= end {
            (start, end)
        } else {
            (end, start)
        };
        if users < lo * (1.0 - 1e-12) || users > hi * (1.0 + 1e-12) {
            return None;
        }
        if start == end {
            return Some(0.0);
        }
        let x = match self {
            GrowthShape::Linear => (users - start) / (end - start),
            GrowthShape::Exponential => (users / start).ln() / (end / start).ln(),
            GrowthShape::Logistic => {
                let l = |x: f64| 1.0 / (1.0 + (-LOGISTIC_STEEPNESS * (x - 0.5)).exp());
                let (l0, l1) = (l(0.0), l(1.0));
                let target = l0 + (users - start) / (end - start) * (l1 - l0);
                0.5 - (1.0 / target - 1.0).ln() / LOGISTIC_STEEPNESS
            }
        };
        Some(x.clamp(0.0, 1.0))
    }
}

/// The daily cycle, a multiplier with mean one over 24 hours.
#[derive(Clone, Debug, PartialEq)]
pub enum Diurnal {
    /// A sinusoid: `1 + (peak_to_mean - 1) cos(2 pi (hour - peak_hour) / 24)`.
    Sinusoid {
        /// Peak over mean, 1 to 2.
        peak_to_mean: f64,
        /// Hour of day of the peak, 0 to 24.
        peak_hour: f64,
    },
    /// 24 hourly multipliers, hour 0 first, each held for its whole hour.
    Hourly(Vec<f64>),
    /// A smooth day with a given peak, trough and mean 1 (see
    /// [`Diurnal::peak_trough`]).
    PeakTrough {
        /// Peak over mean, >= 1.
        peak_to_mean: f64,
        /// Trough over mean, <= 1.
        trough_to_mean: f64,
        /// Hour of day of the peak, 0 to 24; the trough is 12 hours away.
        peak_hour: f64,
        /// The exponent `k` that makes the mean 1.
        power: f64,
        /// `true`: `trough + (peak - trough) c^k` (a peak narrower than the
        /// trough); `false`: `peak - (peak - trough) (1 - c)^k`.
        narrow_peak: bool,
    },
}

/// ln Gamma(x) for x > 0 (Lanczos, g = 7, nine terms; about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The mean over a day of `c^k` with `c = (1 + cos phi) / 2`, phi uniform:
/// Gamma(k + 1/2) / (sqrt(pi) Gamma(k + 1)); 1/2 at k = 1, falling to 0.
fn mean_of_power(k: f64) -> f64 {
    (ln_gamma(k + 0.5) - ln_gamma(k + 1.0)).exp() / std::f64::consts::PI.sqrt()
}

impl Diurnal {
    /// A smooth day with peak `peak_to_mean` at `peak_hour`, trough
    /// `trough_to_mean` twelve hours away, and mean 1, for
    /// `trough_to_mean < 1 < peak_to_mean` (both 1: flat). With
    /// `c = (1 + cos(2 pi (hour - peak_hour) / 24)) / 2` (1 at the peak, 0
    /// at the trough), the day is `trough + (peak - trough) c^k` when the
    /// `(1 - trough) / (peak - trough) <= 1/2` (a narrow peak over a broad
    /// trough, the usual web day), else `peak - (peak - trough) (1 - c)^k`
    /// (a broad plateau with a narrow trough). `k >= 1` is solved so the
    /// mean is 1, which keeps the curve smooth; `k = 1` is the sinusoid
    /// (`trough = 2 - peak`).
    pub fn peak_trough(peak_to_mean: f64, trough_to_mean: f64, peak_hour: f64) -> Diurnal {
        let span = peak_to_mean - trough_to_mean;
        let (target, narrow_peak) = if span <= 0.0 {
            (0.5, true)
        } else {
            let r = (1.0 - trough_to_mean) / span;
            if r <= 0.5 {
                (r, true)
            } else {
                (1.0 - r, false)
            }
        };
        // mean_of_power falls from 1/2 at k = 1: bisect in log k.
        let (mut lo, mut hi) = (0.0_f64, 40.0_f64);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mean_of_power(mid.exp()) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Diurnal::PeakTrough {
            peak_to_mean,
            trough_to_mean,
            peak_hour,
            power: (0.5 * (lo + hi)).exp(),
            narrow_peak,
        }
    }

    /// The multiplier at a time of day, given as nanoseconds since midnight of day 0.
    pub fn factor(&self, t: SimTime) -> f64 {
        const DAY: u64 = 86_400 * NANOS_PER_SEC;
        let of_day = t.0 % DAY;
        match self {
            Diurnal::Sinusoid {
                peak_to_mean,
                peak_hour,
            } => {
                let hour = of_day as f64 / (3600.0 * NANOS_PER_SEC as f64);
                let phase = 2.0 * std::f64::consts::PI * (hour - peak_hour) / 24.0;
                1.0 + (peak_to_mean - 1.0) * phase.cos()
            }
            Diurnal::Hourly(h) => h[(of_day / (3600 * NANOS_PER_SEC)) as usize % h.len()],
            Diurnal::PeakTrough {
                peak_to_mean,
                trough_to_mean,
                peak_hour,
                power,
                narrow_peak,
            } => {
                let hour = of_day as f64 / (3600.0 * NANOS_PER_SEC as f64);
                let phase = 2.0 * std::f64::consts::PI * (hour - peak_hour) / 24.0;
                let c = (0.5 * (1.0 + phase.cos())).clamp(0.0, 1.0);
                let span = peak_to_mean - trough_to_mean;
                if *narrow_peak {
                    trough_to_mean + span * c.powf(*power)
                } else {
                    peak_to_mean - span * (1.0 - c).powf(*power)
                }
            }
        }
    }

    /// The integral of the multiplier over `[a, b)`, in multiplier-seconds,
    /// in closed form; `None` for the peak-trough day, which has none.
    pub fn integral(&self, a: SimTime, b: SimTime) -> Option<f64> {
        const DAY: u64 = 86_400 * NANOS_PER_SEC;
        const HOUR: u64 = 3_600 * NANOS_PER_SEC;
        let secs = |ns: u64| ns as f64 / NANOS_PER_SEC as f64;
        match self {
            Diurnal::Sinusoid {
                peak_to_mean,
                peak_hour,
            } => {
                // d/dt sin(w t - phi) / w = cos(w t - phi), t in seconds of
                // the day (the cycle repeats daily, so `a`'s day is dropped).
                let w = 2.0 * std::f64::consts::PI / 86_400.0;
                let phi = 2.0 * std::f64::consts::PI * peak_hour / 24.0;
                let ta = secs(a.0 % DAY);
                let tb = ta + secs(b.0 - a.0);
                let wave = ((w * tb - phi).sin() - (w * ta - phi).sin()) / w;
                Some(secs(b.0 - a.0) + (peak_to_mean - 1.0) * wave)
            }
            Diurnal::Hourly(h) => {
                let mut sum = 0.0;
                let mut t = a.0;
                while t < b.0 {
                    let next = ((t / HOUR + 1) * HOUR).min(b.0);
                    sum += h[((t % DAY) / HOUR) as usize % h.len()] * secs(next - t);
                    t = next;
                }
                Some(sum)
            }
            Diurnal::PeakTrough { .. } => None,
        }
    }

    /// The largest multiplier over the day.
    pub fn max_factor(&self) -> f64 {
        match self {
            Diurnal::Sinusoid { peak_to_mean, .. } => *peak_to_mean,
            Diurnal::Hourly(h) => h.iter().copied().fold(0.0, f64::max),
            Diurnal::PeakTrough { peak_to_mean, .. } => *peak_to_mean,
        }
    }

    /// The smallest factor over the day (at the trough).
    pub fn min_factor(&self) -> f64 {
        match self {
            Diurnal::Sinusoid { peak_to_mean, .. } => 2.0 - peak_to_mean,
            Diurnal::Hourly(h) => h.iter().copied().fold(f64::INFINITY, f64::min),
            Diurnal::PeakTrough { trough_to_mean, .. } => *trough_to_mean,
        }
    }
}

/// A flash crowd or campaign: the rate is multiplied while it lasts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrafficEvent {
    /// Start, since the start of each window (steady state) or of the horizon (growth).
    pub at: SimDuration,
    /// How long it lasts.
    pub duration: SimDuration,
    /// Rate multiplier while it lasts.
    pub multiplier: f64,
}

/// A class of requests.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestClass {
    /// Name, unique within the mix.
    pub name: String,
    /// Fraction of requests.
    pub share: f64,
    /// Response size in bytes.
    pub bytes: u64,
    /// May be served by the CDN.
    pub cacheable: bool,
    /// CPU time on a reference (m5) vCPU.
    pub web_cpu: Dist,
    /// DB reads per request, one after another.
    pub db_reads: u32,
    /// DB writes per request, after the reads.
    pub db_writes: u32,
    /// Reads the user's session.
    pub session: bool,
    /// The class's own objective, judged over the measured window.
    pub slo: Option<ClassSlo>,
}

/// A request class's own objective (`[[traffic.mix]] slo = { p99 = "2s",
/// availability = 0.99 }`): each bound given is judged like the
/// scenario's, over the class's requests in the whole measured window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassSlo {
    /// Bound on the class's client-view 99th percentile.
    pub p99: Option<SimDuration>,
    /// Least fraction of the class's finished requests that must be served.
    pub availability: Option<f64>,
}

impl ClassSlo {
    /// As a scenario objective over the window: a bound not given cannot
    /// break (p99 unbounded, availability 0).
    pub fn as_slo(&self) -> super::Slo {
        super::Slo {
            p99: self.p99.unwrap_or(SimDuration(u64::MAX / 2)),
            availability: self.availability.unwrap_or(0.0),
            over: super::SloOver::Window,
        }
    }
}

impl RequestClass {
    /// The class used when a scenario gives no mix.
    pub fn default_class() -> RequestClass {
        RequestClass {
            name: "default".to_string(),
            share: 1.0,
            bytes: 10_000,
            cacheable: false,
            web_cpu: Dist::Lognormal {
                mean: SimDuration::from_millis(50),
                cv: 1.0,
            },
            db_reads: 0,
            db_writes: 0,
            session: true,
            slo: None,
        }
    }
}

impl Traffic {
    /// Requests per second before the daily cycle and events, for a user count
    /// (ignored for a fixed rate).
    pub fn base_rate(&self, users: f64) -> f64 {
        match &self.load {
            Load::Rate(r) => *r,
            Load::Users {
                requests_per_user_per_day,
                ..
            } => users * requests_per_user_per_day / 86_400.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_hour(h: f64) -> SimTime {
        SimTime((h * 3600.0 * NANOS_PER_SEC as f64) as u64)
    }

    #[test]
    fn a_peak_trough_day_has_its_peak_its_trough_and_mean_one() {
        for (p, t) in [(3.0, 0.3), (1.5, 0.2), (1.3, 0.9), (2.0, 0.0), (1.8, 0.6)] {
            let d = Diurnal::peak_trough(p, t, 19.0);
            let n = 86_400;
            let mean: f64 = (0..n)
                .map(|s| d.factor(SimTime((s * 2 + 1) * NANOS_PER_SEC / 2)))
                .sum::<f64>()
                / n as f64;
            assert!((mean - 1.0).abs() < 1e-6, "{p} {t}: mean {mean}");
            assert!((d.factor(at_hour(19.0)) - p).abs() < 1e-9);
            assert!((d.factor(at_hour(7.0)) - t).abs() < 1e-9);
            assert!((0..n).all(|s| d.factor(SimTime(s * NANOS_PER_SEC)) >= t - 1e-12));
            assert_eq!(d.max_factor(), p);
        }
        // Trough 2 - peak is the sinusoid.
        let Diurnal::PeakTrough { power, .. } = Diurnal::peak_trough(1.6, 0.4, 20.0) else {
            unreachable!()
        };
        assert!((power - 1.0).abs() < 1e-9, "{power}");
    }

    #[test]
    fn ln_gamma_matches_known_values() {
        assert!(ln_gamma(1.0).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(10.0) - 362_880.0_f64.ln()).abs() < 1e-10);
    }
}
