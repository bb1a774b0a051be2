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
}

impl Diurnal {
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
        }
    }

    /// The largest multiplier over the day.
    pub fn max_factor(&self) -> f64 {
        match self {
            Diurnal::Sinusoid { peak_to_mean, .. } => *peak_to_mean,
            Diurnal::Hourly(h) => h.iter().copied().fold(0.0, f64::max),
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
