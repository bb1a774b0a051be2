//! The DES side: a window's measurements collected as the model reports them.

use super::area::Area;
use super::credits::{Balance, CreditTrack};
use super::{Counts, Fate, Latency, MinuteRow, ROUTES, RouteCounts, WindowSummary};
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};
use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, up to about 28 hours.
const MAX_LATENCY_US: u64 = 100_000_000_000;
/// One minute.
const MINUTE: u64 = 60 * NANOS_PER_SEC;

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
