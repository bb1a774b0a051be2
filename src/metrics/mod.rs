//! Measurement of one window: request fates, latency percentiles, time-weighted
//! utilisation, per-minute series, with the warm-up excluded.
//!
//! A request belongs to the minute in which it arrived, and to the window's
//! totals if it arrived after the warm-up: its fate and latency are counted
//! there whenever it finishes. Requests still inside at the window's end are
//! `in_flight`, so that `requests = served + dropped + timed_out + errors +
//! throttled + in_flight` holds exactly.

mod area;
mod credits;

use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};
use area::Area;
pub use credits::Balance;
use credits::CreditTrack;
use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, up to about 28 hours.
const MAX_LATENCY_US: u64 = 100_000_000_000;
/// One minute.
const MINUTE: u64 = 60 * NANOS_PER_SEC;

/// How a finished request ended (mirrors the model's outcomes, without
/// depending on the model).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Answered in time.
    Served,
    /// Refused for lack of queue room.
    Dropped,
    /// Answered after the timeout.
    TimedOut,
    /// Failed.
    Error,
    /// Rate limited.
    Throttled,
}

/// Request counts by fate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Arrivals.
    pub requests: u64,
    /// Answered in time.
    pub served: u64,
    /// Refused for lack of queue room.
    pub dropped: u64,
    /// Answered after the timeout.
    pub timed_out: u64,
    /// Failed.
    pub errors: u64,
    /// Rate limited.
    pub throttled: u64,
}

impl Counts {
    fn add(&mut self, fate: Fate) {
        match fate {
            Fate::Served => self.served += 1,
            Fate::Dropped => self.dropped += 1,
            Fate::TimedOut => self.timed_out += 1,
            Fate::Error => self.errors += 1,
            Fate::Throttled => self.throttled += 1,
        }
    }

    /// Requests with a fate.
    pub fn finished(&self) -> u64 {
        self.served + self.dropped + self.timed_out + self.errors + self.throttled
    }

    /// Requests without one yet.
    pub fn in_flight(&self) -> u64 {
        self.requests - self.finished()
    }
}

/// Number of routes a request can take (the model's `Route`s, by index).
pub const ROUTES: usize = 4;

/// Requests after the warm-up per request class and route: what the bill
/// is computed from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteCounts {
    /// Arrivals, `[class][route]`.
    pub arrived: Vec<[u64; ROUTES]>,
    /// Served requests, `[class][route]`.
    pub served: Vec<[u64; ROUTES]>,
}

impl RouteCounts {
    fn new(classes: usize) -> Self {
        RouteCounts {
            arrived: vec![[0; ROUTES]; classes],
            served: vec![[0; ROUTES]; classes],
        }
    }

    /// Arrivals on `route` over every class.
    pub fn arrived_on(&self, route: usize) -> u64 {
        self.arrived.iter().map(|c| c[route]).sum()
    }

    /// Served requests on `route` over every class.
    pub fn served_on(&self, route: usize) -> u64 {
        self.served.iter().map(|c| c[route]).sum()
    }
}

/// Latency statistics of served requests, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latency {
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

impl Latency {
    /// The figure-by-figure mean of several latencies (`None` for none).
    pub fn mean_of(all: &[Latency]) -> Option<Latency> {
        if all.is_empty() {
            return None;
        }
        let n = all.len() as f64;
        let avg = |f: fn(&Latency) -> f64| all.iter().map(f).sum::<f64>() / n;
        Some(Latency {
            mean_ms: avg(|l| l.mean_ms),
            p50_ms: avg(|l| l.p50_ms),
            p95_ms: avg(|l| l.p95_ms),
            p99_ms: avg(|l| l.p99_ms),
        })
    }
}

/// One row of the per-minute timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteRow {
    /// Minutes since the window's start.
    pub minute: u64,
    /// Arrivals per second.
    pub offered_rps: f64,
    /// Served requests per second (by arrival minute).
    pub served_rps: f64,
    /// Requests that ended any other way, per second.
    pub error_rps: f64,
    /// Latency of the minute's served requests (`None` if none was served).
    pub latency: Option<Latency>,
    /// Web instances in service (time average).
    pub web_instances: f64,
    /// Busy share of the web fleet's vCPUs.
    pub web_util: f64,
    /// Busy share of the DB servers.
    pub db_util: f64,
    /// Mean CPU credit balance of the burstable web instances at the minute's end.
    pub web_cpu_credits: Option<f64>,
    /// Mean CPU credit balance of the burstable DB instances at the minute's end.
    pub db_cpu_credits: Option<f64>,
}

/// Everything measured over one window.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowSummary {
    /// Counts over requests that arrived after the warm-up.
    pub counts: Counts,
    /// The same requests by class and route.
    pub routes: RouteCounts,
    /// Latency of those that were served.
    pub latency: Latency,
    /// Length of the measured part of the window, in seconds.
    pub measured_secs: f64,
    /// Web instances in service (time average and maximum).
    pub web_instances_mean: f64,
    /// Most web instances in service at once.
    pub web_instances_max: u32,
    /// Busy share of the web fleet's vCPUs after the warm-up.
    pub web_util: f64,
    /// Busy share of the DB servers after the warm-up (0 without a DB).
    pub db_util: f64,
    /// Time-average number of requests inside the origin after the warm-up (L).
    pub mean_in_origin: f64,
    /// Mean time inside the origin of requests admitted after the warm-up,
    /// in seconds (W); with `origin_admitted`, Little's law `L = lambda W`.
    pub mean_origin_secs: f64,
    /// Requests admitted into the origin after the warm-up that finished.
    pub origin_admitted: u64,
    /// Measured requests whose answer was still on its way (outside the
    /// origin) at the window's end.
    pub in_transit: u64,
    /// Surplus CPU credits run up after the warm-up by unlimited-mode web
    /// instances and not earned back by the window's end.
    pub surplus_credits: f64,
    /// The same for unlimited-mode DB instances.
    pub db_surplus_credits: f64,
    /// One row per minute, warm-up included.
    pub timeline: Vec<MinuteRow>,
}

#[derive(Debug, Default)]
struct Minute {
    arrivals: u64,
    served: u64,
    other: u64,
    latency_sum_ns: u128,
    hist: Option<Histogram<u32>>,
}

/// Collects one window's measurements as the model reports them.
#[derive(Debug)]
pub struct WindowCollector {
    start: SimTime,
    measure_from: SimTime,
    end: SimTime,
    counts: Counts,
    routes: RouteCounts,
    latency_sum_ns: u128,
    hist: Histogram<u64>,
    minutes: Vec<Minute>,
    web_busy: Area,
    db_busy: Area,
    in_origin: Area,
    web_credits: CreditTrack,
    db_credits: CreditTrack,
    origin_secs_sum: f64,
    origin_done: u64,
    in_transit: u64,
    web_vcpus: u32,
    db_servers: u32,
    web_instances: u32,
}

fn latency_histogram<T: hdrhistogram::Counter>(sigfig: u8) -> Histogram<T> {
    // Bounds and precision are constants within hdrhistogram's limits.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, sigfig).expect("valid histogram bounds")
}

fn to_micros(d: SimDuration) -> u64 {
    (d.as_nanos() + 500) / 1000
}

fn latency_of(
    sum_ns: u128,
    n: u64,
    hist: Option<&Histogram<impl hdrhistogram::Counter>>,
) -> Latency {
    let Some(h) = hist.filter(|_| n > 0) else {
        return Latency::default();
    };
    // The middle of the bucket that holds the quantile: within half a
    // bucket (0.05% at 3 significant digits) of the exact order statistic.
    let q = |q: f64| h.median_equivalent(h.value_at_quantile(q)) as f64 / 1000.0;
    Latency {
        mean_ms: sum_ns as f64 / n as f64 / 1e6,
        p50_ms: q(0.50),
        p95_ms: q(0.95),
        p99_ms: q(0.99),
    }
}

impl WindowCollector {
    /// A collector for the window `[start, start + window)` whose first
    /// `warmup` is left out of the totals, for `classes` request classes and
    /// a fleet of this size.
    pub fn new(
        start: SimTime,
        window: SimDuration,
        warmup: SimDuration,
        classes: usize,
        web_instances: u32,
        web_vcpus: u32,
        db_servers: u32,
    ) -> Self {
        let end = start + window;
        let measure_from = start + warmup;
        let n_minutes = window.as_nanos().div_ceil(MINUTE) as usize;
        WindowCollector {
            start,
            measure_from,
            end,
            counts: Counts::default(),
            routes: RouteCounts::new(classes),
            latency_sum_ns: 0,
            hist: latency_histogram(3),
            minutes: (0..n_minutes).map(|_| Minute::default()).collect(),
            web_busy: Area::new(start, measure_from, n_minutes),
            db_busy: Area::new(start, measure_from, n_minutes),
            in_origin: Area::new(start, measure_from, 0),
            web_credits: CreditTrack::new(start, end, measure_from, n_minutes),
            db_credits: CreditTrack::new(start, end, measure_from, n_minutes),
            origin_secs_sum: 0.0,
            origin_done: 0,
            in_transit: 0,
            web_vcpus,
            db_servers,
            web_instances,
        }
    }

    #[inline]
    fn minute(&self, t: SimTime) -> usize {
        (((t - self.start).as_nanos() / MINUTE) as usize).min(self.minutes.len().saturating_sub(1))
    }

    /// A request of `class` on `route` arrived.
    #[inline]
    pub fn arrival(&mut self, now: SimTime, class: usize, route: usize) {
        let m = self.minute(now);
        if let Some(minute) = self.minutes.get_mut(m) {
            minute.arrivals += 1;
        }
        if now >= self.measure_from {
            self.counts.requests += 1;
            if let Some(c) = self.routes.arrived.get_mut(class) {
                c[route % ROUTES] += 1;
            }
        }
    }

    /// A request of `class` on `route` that arrived at `arrived` finished at `done`.
    #[inline]
    pub fn finished(
        &mut self,
        arrived: SimTime,
        done: SimTime,
        latency: SimDuration,
        fate: Fate,
        class: usize,
        route: usize,
    ) {
        // A fate decided after the window (a CDN response still on its way)
        // leaves the request in flight.
        if done > self.end {
            if arrived >= self.measure_from {
                self.in_transit += 1;
            }
            return;
        }
        let m = self.minute(arrived);
        let served = fate == Fate::Served;
        if let Some(minute) = self.minutes.get_mut(m) {
            if served {
                minute.served += 1;
                minute.latency_sum_ns += u128::from(latency.as_nanos());
                minute
                    .hist
                    .get_or_insert_with(|| latency_histogram(2))
                    .saturating_record(to_micros(latency));
            } else {
                minute.other += 1;
            }
        }
        if arrived >= self.measure_from {
            self.counts.add(fate);
            if served {
                self.latency_sum_ns += u128::from(latency.as_nanos());
                self.hist.saturating_record(to_micros(latency));
                if let Some(c) = self.routes.served.get_mut(class) {
                    c[route % ROUTES] += 1;
                }
            }
        }
    }

    /// A request entered the origin.
    #[inline]
    pub fn entered_origin(&mut self, now: SimTime) {
        self.in_origin.change(now, 1);
    }

    /// A request that arrived at `arrived` left the origin at `now`.
    #[inline]
    pub fn left_origin(&mut self, arrived: SimTime, now: SimTime) {
        self.in_origin.change(now, -1);
        if arrived >= self.measure_from {
            self.origin_secs_sum += (now - arrived).as_secs_f64();
            self.origin_done += 1;
        }
    }

    /// Busy web vCPUs changed by `delta`.
    #[inline]
    pub fn web_busy(&mut self, now: SimTime, delta: i32) {
        self.web_busy.change(now, delta);
    }

    /// Busy DB servers changed by `delta`.
    #[inline]
    pub fn db_busy(&mut self, now: SimTime, delta: i32) {
        self.db_busy.change(now, delta);
    }

    /// Web instance `i`'s CPU credit balance at `now`.
    pub fn web_credits(&mut self, now: SimTime, i: usize, b: Balance) {
        self.web_credits.observe(now, i, b);
    }

    /// DB instance `i`'s (0 is the primary) CPU credit balance at `now`.
    pub fn db_credits(&mut self, now: SimTime, i: usize, b: Balance) {
        self.db_credits.observe(now, i, b);
    }

    /// Closes the window at its end and summarises it.
    pub fn finish(mut self) -> WindowSummary {
        let end = self.end;
        let (web_credits, web_surplus) = self.web_credits.finish();
        let (db_credits, db_surplus) = self.db_credits.finish();
        self.web_busy.advance(end);
        self.db_busy.advance(end);
        self.in_origin.advance(end);
        let measured = (end - self.measure_from).as_secs_f64();
        let share = |area: f64, secs: f64, servers: u32| {
            if servers == 0 || secs <= 0.0 {
                0.0
            } else {
                area / (secs * f64::from(servers))
            }
        };
        let timeline = self
            .minutes
            .iter()
            .enumerate()
            .map(|(m, minute)| {
                let from = self.start + SimDuration(m as u64 * MINUTE);
                let secs = (end.min(from + SimDuration(MINUTE)) - from).as_secs_f64();
                MinuteRow {
                    minute: m as u64,
                    offered_rps: minute.arrivals as f64 / secs,
                    served_rps: minute.served as f64 / secs,
                    error_rps: minute.other as f64 / secs,
                    latency: (minute.served > 0).then(|| {
                        latency_of(minute.latency_sum_ns, minute.served, minute.hist.as_ref())
                    }),
                    web_instances: f64::from(self.web_instances),
                    web_util: share(self.web_busy.minute(m), secs, self.web_vcpus),
                    db_util: share(self.db_busy.minute(m), secs, self.db_servers),
                    web_cpu_credits: web_credits.get(m).copied().flatten(),
                    db_cpu_credits: db_credits.get(m).copied().flatten(),
                }
            })
            .collect();
        WindowSummary {
            counts: self.counts,
            routes: self.routes,
            latency: latency_of(self.latency_sum_ns, self.counts.served, Some(&self.hist)),
            measured_secs: measured,
            web_instances_mean: f64::from(self.web_instances),
            web_instances_max: self.web_instances,
            web_util: share(self.web_busy.total(), measured, self.web_vcpus),
            db_util: share(self.db_busy.total(), measured, self.db_servers),
            mean_in_origin: if measured > 0.0 {
                self.in_origin.total() / measured
            } else {
                0.0
            },
            mean_origin_secs: if self.origin_done > 0 {
                self.origin_secs_sum / self.origin_done as f64
            } else {
                0.0
            },
            origin_admitted: self.origin_done,
            in_transit: self.in_transit,
            surplus_credits: web_surplus,
            db_surplus_credits: db_surplus,
            timeline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * NANOS_PER_SEC)
    }

    #[test]
    fn counts_latency_and_utilisation_of_a_hand_made_window() {
        // Window of 3 minutes, 1 minute warm-up, 2 vCPUs, no DB.
        let mut c = WindowCollector::new(
            s(0),
            SimDuration::from_secs(180),
            SimDuration::from_secs(60),
            1,
            1,
            2,
            0,
        );
        c.arrival(s(10), 0, 3); // warm-up: in the timeline only
        c.finished(s(10), s(11), SimDuration::from_secs(1), Fate::Served, 0, 3);
        for (t, ms) in [(70, 100), (80, 200), (90, 300)] {
            c.arrival(s(t), 0, 3);
            c.finished(s(t), s(t), SimDuration::from_millis(ms), Fate::Served, 0, 3);
        }
        c.arrival(s(100), 0, 3);
        c.finished(s(100), s(100), SimDuration::ZERO, Fate::Dropped, 0, 3);
        c.arrival(s(170), 0, 3); // still inside at the end
        c.arrival(s(175), 0, 3);
        c.finished(
            s(175),
            s(200),
            SimDuration::from_secs(25),
            Fate::Served,
            0,
            3,
        ); // after the end
        c.web_busy(s(30), 2); // 2 busy from 30 s to 150 s
        c.web_busy(s(150), -2);
        let w = c.finish();
        assert_eq!(w.routes.arrived_on(3), 6);
        assert_eq!(w.routes.served_on(3), 3);
        assert_eq!(
            w.counts,
            Counts {
                requests: 6,
                served: 3,
                dropped: 1,
                timed_out: 0,
                errors: 0,
                throttled: 0
            }
        );
        assert_eq!(w.counts.in_flight(), 2);
        assert!((w.latency.mean_ms - 200.0).abs() < 1e-9);
        assert!((w.latency.p50_ms - 200.0).abs() < 0.2);
        // Busy 2 of 2 vCPUs for 90 of the 120 measured seconds.
        assert!((w.web_util - 0.75).abs() < 1e-12);
        assert_eq!(w.timeline.len(), 3);
        assert!((w.timeline[0].web_util - 0.5).abs() < 1e-12);
        assert!((w.timeline[1].web_util - 1.0).abs() < 1e-12);
        assert!((w.timeline[2].web_util - 0.5).abs() < 1e-12);
        assert!((w.timeline[1].offered_rps - 4.0 / 60.0).abs() < 1e-12);
        assert!((w.timeline[1].error_rps - 1.0 / 60.0).abs() < 1e-12);
        assert!((w.timeline[0].latency.unwrap().mean_ms - 1000.0).abs() < 1e-9);
        assert_eq!(w.timeline[2].latency, None);
    }
}

/// Mean and the half-width of its 95% confidence interval (Student t over
/// independent replications; 0 for a single one).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Mean over replications.
    pub mean: f64,
    /// Half-width of the 95% confidence interval.
    pub ci95: f64,
}

impl Estimate {
    /// The estimate from one value per replication.
    pub fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate::default();
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate { mean, ci95: 0.0 };
        }
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = student_t_975(n - 1);
        Estimate {
            mean,
            ci95: t * (var / n as f64).sqrt(),
        }
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
fn student_t_975(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df as f64).map_or(1.96, |t| t.inverse_cdf(0.975))
}

fn add_routes(into: &mut [[u64; ROUTES]], from: &[[u64; ROUTES]]) {
    for (a, b) in into.iter_mut().zip(from) {
        for (x, y) in a.iter_mut().zip(b) {
            *x += y;
        }
    }
}

impl WindowSummary {
    /// Independent replications of the same window as one: counts and
    /// measured time add up (so rates and availability are over all of
    /// them), everything else is the mean over replications.
    pub fn combine(runs: &[WindowSummary]) -> Option<WindowSummary> {
        let (first, rest) = runs.split_first()?;
        if rest.is_empty() {
            return Some(first.clone());
        }
        let n = runs.len() as f64;
        let mean = |f: &dyn Fn(&WindowSummary) -> f64| runs.iter().map(f).sum::<f64>() / n;
        let mut w = first.clone();
        for r in rest {
            let (a, b) = (&mut w.counts, &r.counts);
            a.requests += b.requests;
            a.served += b.served;
            a.dropped += b.dropped;
            a.timed_out += b.timed_out;
            a.errors += b.errors;
            a.throttled += b.throttled;
            add_routes(&mut w.routes.arrived, &r.routes.arrived);
            add_routes(&mut w.routes.served, &r.routes.served);
            w.origin_admitted += r.origin_admitted;
            w.in_transit += r.in_transit;
            w.measured_secs += r.measured_secs;
            w.web_instances_max = w.web_instances_max.max(r.web_instances_max);
        }
        let latencies: Vec<Latency> = runs.iter().map(|r| r.latency).collect();
        w.latency = Latency::mean_of(&latencies).unwrap_or_default();
        w.web_instances_mean = mean(&|r| r.web_instances_mean);
        w.web_util = mean(&|r| r.web_util);
        w.db_util = mean(&|r| r.db_util);
        w.mean_in_origin = mean(&|r| r.mean_in_origin);
        w.mean_origin_secs = mean(&|r| r.mean_origin_secs);
        w.surplus_credits = mean(&|r| r.surplus_credits);
        w.db_surplus_credits = mean(&|r| r.db_surplus_credits);
        for (m, row) in w.timeline.iter_mut().enumerate() {
            let rows: Vec<&MinuteRow> = runs.iter().filter_map(|r| r.timeline.get(m)).collect();
            let k = rows.len() as f64;
            let avg = |f: &dyn Fn(&MinuteRow) -> f64| rows.iter().map(|r| f(r)).sum::<f64>() / k;
            let avg_opt = |f: &dyn Fn(&MinuteRow) -> Option<f64>| {
                let v: Vec<f64> = rows.iter().filter_map(|r| f(r)).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            };
            row.offered_rps = avg(&|r| r.offered_rps);
            row.served_rps = avg(&|r| r.served_rps);
            row.error_rps = avg(&|r| r.error_rps);
            row.web_instances = avg(&|r| r.web_instances);
            row.web_util = avg(&|r| r.web_util);
            row.db_util = avg(&|r| r.db_util);
            row.web_cpu_credits = avg_opt(&|r| r.web_cpu_credits);
            row.db_cpu_credits = avg_opt(&|r| r.db_cpu_credits);
            let lat: Vec<Latency> = rows.iter().filter_map(|r| r.latency).collect();
            row.latency = Latency::mean_of(&lat);
        }
        Some(w)
    }
}

#[cfg(test)]
mod estimate_tests {
    use super::*;

    #[test]
    fn confidence_interval_uses_student_t() {
        // Values 1..=5: mean 3, sd sqrt(2.5), t(4) = 2.7764.
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(e.mean, 3.0);
        assert!(
            (e.ci95 - 2.776_445 * (2.5f64 / 5.0).sqrt()).abs() < 1e-5,
            "{}",
            e.ci95
        );
        assert_eq!(Estimate::of(&[7.0]).ci95, 0.0);
    }
}
