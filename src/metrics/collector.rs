//! The DES side: a window's measurements collected as the model reports them.

use super::area::Area;
use super::bounds::{interval_bounds, p99_bounds};
use super::confidence::wilson;
use super::credits::{Balance, CreditTrack};
use super::{
    Counts, Fate, IntervalSummary, Intervals, Latency, MinuteRow, RouteCounts, ServerlessTrack,
    Stations, WindowSummary,
};
use crate::route::{ErrorCause, Route};
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};
use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, up to about 28 hours.
const MAX_LATENCY_US: u64 = 100_000_000_000;
/// One minute.
const MINUTE: u64 = 60 * NANOS_PER_SEC;

#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Minute {
    arrivals: u64,
    pub(super) served: u64,
    /// Finished any other way.
    pub(super) other: u64,
    errors: [u64; ErrorCause::COUNT],
    latency_sum_ns: u128,
    pub(super) hist: Option<Histogram<u32>>,
}

/// What a window is measured against: the fleet's size and speed, and the
/// intervals its SLO is judged over.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Request classes.
    pub classes: usize,
    /// Workers over the whole web fleet.
    pub web_workers: u32,
    /// RDS servers (primary and read replicas; 0 colocated or without a DB).
    pub db_stations: u32,
    /// vCPUs of the primary.
    pub db_station_vcpus: u32,
    /// vCPUs of each read replica (its own class's).
    pub db_replica_vcpus: u32,
    /// Web instances in service.
    pub web_instances: u32,
    /// vCPUs of the whole web fleet.
    pub web_vcpus: u32,
    /// DB servers (vCPUs of the primary and replicas, or of the colocated fleet).
    pub db_servers: u32,
    /// Share of full speed a throttled web vCPU runs at (1 without credits).
    pub web_baseline: f64,
    /// The same for the DB servers.
    pub db_baseline: f64,
    /// The SLO's intervals over the measured part of the window.
    pub intervals: Intervals,
    /// Confidence of the bounds on each interval's p99.
    pub confidence: f64,
}

/// One SLO interval's requests, as they finish.
#[derive(Debug, Default)]
struct Slot {
    counts: Counts,
    latency_sum_ns: u128,
    /// Latencies of its served requests (the window's is their sum).
    hist: Option<Histogram<u64>>,
}

/// One request class's requests over the measured window.
#[derive(Debug, Default)]
struct ClassSlot {
    counts: Counts,
    latency_sum_ns: u128,
    /// Only with more than one class (else the window's histogram serves).
    hist: Option<Histogram<u64>>,
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
    minutes: Vec<Minute>,
    web_busy: Area,
    db_busy: Area,
    web_throttled: Area,
    db_throttled: Area,
    in_origin: Area,
    worker_queue: Area,
    /// DB connections open.
    connections: Area,
    /// Busy nanoseconds of each DB server's volume after the warm-up.
    storage_busy: Vec<u64>,
    /// The fleet: instances in service, launching, draining, alive and
    /// holding requests (in service or draining), and DB servers up.
    in_service: Area,
    launching: Area,
    draining: Area,
    serving: Area,
    db_up: Area,
    in_service_max: u32,
    sessions_lost: f64,
    /// Busy vCPU-nanoseconds of each RDS server after the warm-up.
    db_servers_busy: Vec<u64>,
    class_slots: Vec<ClassSlot>,
    slots: Vec<Slot>,
    web_credits: CreditTrack,
    db_credits: CreditTrack,
    origin_secs_sum: f64,
    origin_done: u64,
    in_transit: u64,
    frame: Frame,
    serverless: Option<ServerlessTrack>,
    /// One segment of a longer window: the model runs past `end` so that
    /// the requests that arrived before it finish; those that arrive after
    /// are not this collector's.
    drain: bool,
    /// Keep the histograms for a join (every segment, the last included).
    keep_join: bool,
    /// And the measured minutes: the window is judged as one interval, of
    /// which this segment measures a part.
    keep_minutes: bool,
}

pub(super) fn latency_histogram<T: hdrhistogram::Counter>(sigfig: u8) -> Histogram<T> {
    // Bounds and precision are constants within hdrhistogram's limits.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, sigfig).expect("valid histogram bounds")
}

fn to_micros(d: SimDuration) -> u64 {
    (d.as_nanos() + 500) / 1000
}

pub(super) fn latency_of(
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
    /// `warmup` is left out of the totals, measured against `frame`.
    pub fn new(start: SimTime, window: SimDuration, warmup: SimDuration, frame: Frame) -> Self {
        let end = start + window;
        let measure_from = start + warmup;
        let n_minutes = window.as_nanos().div_ceil(MINUTE) as usize;
        let iv = &frame.intervals;
        let area = |minutes| Area::new(start, measure_from, minutes).with_intervals(iv);
        // A level that starts at `n` (the fleet as the frame has it).
        let level = |minutes, n: u32| {
            let mut a = area(minutes);
            a.set(start, i64::from(n));
            a
        };
        WindowCollector {
            start,
            measure_from,
            end,
            counts: Counts::default(),
            routes: RouteCounts::new(frame.classes),
            latency_sum_ns: 0,
            minutes: (0..n_minutes).map(|_| Minute::default()).collect(),
            web_busy: area(n_minutes),
            db_busy: area(n_minutes),
            web_throttled: area(n_minutes),
            db_throttled: area(n_minutes),
            in_origin: Area::new(start, measure_from, 0),
            worker_queue: Area::new(start, measure_from, 0),
            connections: Area::new(start, measure_from, 0),
            storage_busy: Vec::new(),
            in_service: level(n_minutes, frame.web_instances),
            launching: area(n_minutes),
            draining: area(n_minutes),
            serving: level(n_minutes, frame.web_instances),
            db_up: level(n_minutes, frame.db_servers),
            in_service_max: frame.web_instances,
            sessions_lost: 0.0,
            db_servers_busy: vec![0; frame.db_stations as usize],
            // Histograms sized like the window's, made once here.
            class_slots: (0..frame.classes.max(1))
                .map(|_| ClassSlot {
                    hist: (frame.classes > 1).then(|| latency_histogram(3)),
                    ..ClassSlot::default()
                })
                .collect(),
            slots: (0..iv.len()).map(|_| Slot::default()).collect(),
            web_credits: CreditTrack::new(start, end, measure_from, n_minutes),
            db_credits: CreditTrack::new(start, end, measure_from, n_minutes),
            origin_secs_sum: 0.0,
            origin_done: 0,
            in_transit: 0,
            frame,
            serverless: None,
            drain: false,
            keep_join: false,
            keep_minutes: false,
        }
    }

    /// The last segment of a window: measured as usual, its histograms
    /// kept for the join.
    pub fn joinable(mut self) -> Self {
        self.keep_join = true;
        self
    }

    /// Every time integral the collector keeps.
    fn areas(&mut self) -> [&mut Area; 12] {
        [
            &mut self.web_busy,
            &mut self.db_busy,
            &mut self.web_throttled,
            &mut self.db_throttled,
            &mut self.in_origin,
            &mut self.worker_queue,
            &mut self.connections,
            &mut self.in_service,
            &mut self.launching,
            &mut self.draining,
            &mut self.serving,
            &mut self.db_up,
        ]
    }

    /// A segment of a window judged as one interval: its measured minutes
    /// are kept too, so that the join can take the interval's batch-means
    /// bounds again.
    pub fn keeping_minutes(mut self) -> Self {
        self.keep_minutes = true;
        self
    }

    /// Measures one segment of a longer window: the model runs on past the
    /// window's end until the requests that arrived in it have finished
    /// (they count as they finish); later arrivals and time are not
    /// counted, and the summary keeps the latency histograms so that the
    /// segments can be joined ([`WindowSummary::join`]).
    pub fn draining(mut self) -> Self {
        self.drain = true;
        self.keep_join = true;
        let end = self.end;
        for a in self.areas() {
            let taken = std::mem::replace(a, Area::new(end, end, 0));
            *a = taken.until(end);
        }
        self
    }

    /// Measures the serverless path too, for functions of `memory_mb` and
    /// `stream_memory_mb`.
    pub fn with_serverless(mut self, memory_mb: u32, stream_memory_mb: u32) -> Self {
        self.serverless = Some(ServerlessTrack::new(
            self.start,
            self.measure_from,
            self.end,
            self.minutes.len(),
            memory_mb,
            stream_memory_mb,
        ));
        self
    }

    /// The serverless path's track, if measured.
    #[inline]
    pub fn serverless_mut(&mut self) -> Option<&mut ServerlessTrack> {
        self.serverless.as_mut()
    }

    #[inline]
    fn minute(&self, t: SimTime) -> usize {
        (((t - self.start).as_nanos() / MINUTE) as usize).min(self.minutes.len().saturating_sub(1))
    }

    /// A request of `class` on `route` arrived.
    #[inline(always)]
    pub fn arrival(&mut self, now: SimTime, class: usize, route: Route) {
        if now >= self.end {
            // Past a segment's end: not this collector's.
            return;
        }
        let m = self.minute(now);
        if let Some(minute) = self.minutes.get_mut(m) {
            minute.arrivals += 1;
        }
        if now >= self.measure_from {
            self.counts.requests += 1;
            let i = self.frame.intervals.index(now);
            self.slots[i].counts.requests += 1;
            if let Some(c) = self.routes.arrived.get_mut(class) {
                c[route.index()] += 1;
            }
            if let Some(c) = self.class_slots.get_mut(class) {
                c.counts.requests += 1;
            }
        }
    }

    /// A request of `class` on `route` that arrived at `arrived` finished at `done`.
    #[inline(always)]
    pub fn finished(
        &mut self,
        arrived: SimTime,
        done: SimTime,
        latency: SimDuration,
        fate: Fate,
        class: usize,
        route: Route,
    ) {
        // A fate decided after the window (a CDN response still on its way)
        // leaves the request in flight.
        if done > self.end && (!self.drain || arrived >= self.end) {
            if !self.drain && arrived >= self.measure_from {
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
                if let Fate::Error(cause) = fate {
                    minute.errors[cause.index()] += 1;
                }
            }
        }
        if arrived >= self.measure_from {
            self.counts.add(fate);
            self.class_finished(class, fate, latency);
            let slot = &mut self.slots[self.frame.intervals.index(arrived)];
            slot.counts.add(fate);
            if served {
                slot.latency_sum_ns += u128::from(latency.as_nanos());
                slot.hist
                    .get_or_insert_with(|| latency_histogram(3))
                    .saturating_record(to_micros(latency));
                self.latency_sum_ns += u128::from(latency.as_nanos());
                if let Some(c) = self.routes.served.get_mut(class) {
                    c[route.index()] += 1;
                }
            }
        }
    }

    /// A measured request of `class` finished with `fate` after `latency`.
    /// Out of line: it keeps `finished`, inlined into the model's event
    /// loop, small.
    #[inline(never)]
    fn class_finished(&mut self, class: usize, fate: Fate, latency: SimDuration) {
        if let Some(c) = self.class_slots.get_mut(class) {
            c.counts.add(fate);
            if fate == Fate::Served {
                c.latency_sum_ns += u128::from(latency.as_nanos());
                if let Some(h) = &mut c.hist {
                    h.saturating_record(to_micros(latency));
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
        if arrived >= self.measure_from && arrived < self.end {
            self.origin_secs_sum += (now - arrived).as_secs_f64();
            self.origin_done += 1;
        }
    }

    /// From `now` on the fleet has `in_service`, `launching` and
    /// `draining` web instances, `serving` of them alive and holding
    /// requests (in service or draining), and `db_servers` DB servers up.
    pub fn fleet(
        &mut self,
        now: SimTime,
        [in_service, launching, draining, serving, db_servers]: [u32; 5],
    ) {
        self.in_service.set(now, i64::from(in_service));
        self.launching.set(now, i64::from(launching));
        self.draining.set(now, i64::from(draining));
        self.serving.set(now, i64::from(serving));
        self.db_up.set(now, i64::from(db_servers));
        if now <= self.measure_from {
            // The window's maximum counts from the warm-up's end.
            self.in_service_max = in_service;
        } else if now <= self.end {
            self.in_service_max = self.in_service_max.max(in_service);
        }
    }

    /// `sessions` users lost their local session at `now`.
    pub fn sessions_lost(&mut self, now: SimTime, sessions: f64) {
        if now >= self.measure_from && now <= self.end {
            self.sessions_lost += sessions;
        }
    }

    /// Busy web vCPUs changed by `delta`.
    #[inline]
    pub fn web_busy(&mut self, now: SimTime, delta: i32) {
        self.web_busy.change(now, delta);
    }

    /// Requests waiting for a web worker changed by `delta` (busy workers
    /// are the requests inside the origin less those).
    #[inline]
    pub fn worker_queue(&mut self, now: SimTime, delta: i32) {
        self.worker_queue.change(now, delta);
    }

    /// Open DB connections changed by `delta`.
    #[inline]
    pub fn connections(&mut self, now: SimTime, delta: i32) {
        self.connections.change(now, delta);
    }

    /// DB server `k`'s volume holds its rate limit from `now` for `service`.
    pub fn storage_io(&mut self, now: SimTime, k: usize, service: SimDuration) {
        let from = now.0.max(self.measure_from.0);
        let to = now.0.saturating_add(service.0).min(self.end.0);
        if to > from {
            if self.storage_busy.len() <= k {
                self.storage_busy.resize(k + 1, 0);
            }
            self.storage_busy[k] += to - from;
        }
    }

    /// A vCPU of RDS server `k` (0 is the primary) is busy from `now` for
    /// `service`: the part after the warm-up and before the window's end
    /// counts.
    #[inline]
    pub fn db_server_service(&mut self, now: SimTime, k: usize, service: SimDuration) {
        let from = now.0.max(self.measure_from.0);
        let to = now.0.saturating_add(service.0).min(self.end.0);
        if to > from
            && let Some(b) = self.db_servers_busy.get_mut(k)
        {
            *b += to - from;
        }
    }

    /// `threads` vCPUs of RDS server `k` busy from `from` for `span`.
    pub fn db_server_threads(&mut self, from: SimTime, k: usize, span: SimDuration, threads: u32) {
        let lo = from.0.max(self.measure_from.0);
        let hi = from.0.saturating_add(span.0).min(self.end.0);
        if hi > lo
            && let Some(b) = self.db_servers_busy.get_mut(k)
        {
            *b += (hi - lo) * u64::from(threads);
        }
    }

    /// Busy DB servers changed by `delta`.
    #[inline]
    pub fn db_busy(&mut self, now: SimTime, delta: i32) {
        self.db_busy.change(now, delta);
    }

    /// Busy web vCPUs running at their credit baseline changed by `delta`.
    #[inline]
    pub fn web_throttled(&mut self, now: SimTime, delta: i32) {
        self.web_throttled.change(now, delta);
    }

    /// Busy DB servers running at their credit baseline changed by `delta`.
    #[inline]
    pub fn db_throttled(&mut self, now: SimTime, delta: i32) {
        self.db_throttled.change(now, delta);
    }

    /// Web instance `i`'s CPU credit balance at `now`.
    pub fn web_credits(&mut self, now: SimTime, i: usize, b: Balance) {
        if now > self.end {
            return;
        }
        self.web_credits.observe(now, i, b);
    }

    /// DB instance `i`'s (0 is the primary) CPU credit balance at `now`.
    pub fn db_credits(&mut self, now: SimTime, i: usize, b: Balance) {
        if now > self.end {
            return;
        }
        self.db_credits.observe(now, i, b);
    }

    /// Closes the window at its end and summarises it.
    pub fn finish(mut self) -> WindowSummary {
        let end = self.end;
        for a in self.areas() {
            a.advance(end);
        }
        let (web_credits, web_surplus) = self.web_credits.finish();
        let (db_credits, db_surplus) = self.db_credits.finish();

        let measured = (end - self.measure_from).as_secs_f64();
        let per_sec = |area: f64| if measured > 0.0 { area / measured } else { 0.0 };
        let f = &self.frame;
        // Work done over capacity at full speed, as CloudWatch shows it: a
        // vCPU throttled to its baseline is busy longer but does less.
        // Over the capacity present at each moment: the vCPUs of the
        // instances alive, the DB servers up.
        let vcpus_each = f64::from(f.web_vcpus) / f64::from(f.web_instances.max(1));
        let workers_each = f64::from(f.web_workers) / f64::from(f.web_instances.max(1));
        let web = |busy: f64, throttled: f64, serving: f64| {
            ratio(
                busy - throttled * (1.0 - f.web_baseline),
                serving * vcpus_each,
            )
        };
        let db = |busy: f64, throttled: f64, up: f64| {
            ratio(busy - throttled * (1.0 - f.db_baseline), up)
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
                    web_instances: self.in_service.minute(m) / secs,
                    web_launching: self.launching.minute(m) / secs,
                    web_draining: self.draining.minute(m) / secs,
                    errors_by_cause: minute.errors,
                    web_util: web(
                        self.web_busy.minute(m),
                        self.web_throttled.minute(m),
                        self.serving.minute(m),
                    ),
                    db_util: db(
                        self.db_busy.minute(m),
                        self.db_throttled.minute(m),
                        self.db_up.minute(m),
                    ),
                    web_cpu_credits: web_credits.get(m).copied().flatten(),
                    db_cpu_credits: db_credits.get(m).copied().flatten(),
                }
            })
            .collect();
        // The window's latencies: its intervals' together.
        let merged;
        let window_hist = match &self.slots[..] {
            [only] => only.hist.as_ref(),
            slots => {
                let mut all = latency_histogram::<u64>(3);
                for h in slots.iter().filter_map(|s| s.hist.as_ref()) {
                    // Histograms of one configuration always add.
                    let _ = all.add(h);
                }
                merged = all;
                Some(&merged)
            }
        };
        // Each interval's measured minutes, the batches of its batch means.
        let mut minutes_of: Vec<Vec<&Minute>> = vec![Vec::new(); self.slots.len()];
        for (m, minute) in self.minutes.iter().enumerate() {
            let from = self.start + SimDuration(m as u64 * MINUTE);
            if from >= self.measure_from {
                minutes_of[f.intervals.index(from)].push(minute);
            }
        }
        let intervals = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let (from, to) = f.intervals.span(i);
                let secs = (to - from).as_secs_f64();
                let hist = slot.hist.as_ref();
                let served = slot.counts.served;
                let (p99_bounds, availability_bounds) =
                    interval_bounds(hist, &slot.counts, &minutes_of[i], f.confidence);
                IntervalSummary {
                    start: from,
                    secs,
                    counts: slot.counts,
                    availability: match slot.counts.finished() {
                        0 => 1.0,
                        n => served as f64 / n as f64,
                    },
                    latency: latency_of(slot.latency_sum_ns, served, hist),
                    p99_bounds,
                    availability_bounds,
                    offered_rps: if secs > 0.0 {
                        slot.counts.requests as f64 / secs
                    } else {
                        0.0
                    },
                    web_util: web(
                        self.web_busy.interval(i),
                        self.web_throttled.interval(i),
                        self.serving.interval(i),
                    ),
                    db_util: db(
                        self.db_busy.interval(i),
                        self.db_throttled.interval(i),
                        self.db_up.interval(i),
                    ),
                }
            })
            .collect();
        let busy = self.web_busy.total();
        let stations = Stations {
            web_cpu: ratio(busy, self.serving.total() * vcpus_each),
            web_workers: ratio(
                self.in_origin.total() - self.worker_queue.total(),
                self.serving.total() * workers_each,
            ),
            web_worker_queue: if measured > 0.0 {
                self.worker_queue.total() / measured
            } else {
                0.0
            },
            db: self
                .db_servers_busy
                .iter()
                .enumerate()
                .map(|(k, &ns)| {
                    let vcpus = if k == 0 {
                        f.db_station_vcpus
                    } else {
                        f.db_replica_vcpus
                    };
                    share(ns as f64 / NANOS_PER_SEC as f64, measured, vcpus)
                })
                .collect(),
            db_connections: if measured > 0.0 {
                self.connections.total() / measured
            } else {
                0.0
            },
            db_storage: self
                .storage_busy
                .iter()
                .map(|&ns| share(ns as f64 / NANOS_PER_SEC as f64, measured, 1))
                .collect(),
        };
        let classes = self
            .class_slots
            .iter()
            .map(|c| {
                let hist = c.hist.as_ref().or(window_hist);
                let served = c.counts.served;
                let finished = c.counts.finished();
                IntervalSummary {
                    start: self.measure_from,
                    secs: measured,
                    counts: c.counts,
                    availability: match finished {
                        0 => 1.0,
                        n => served as f64 / n as f64,
                    },
                    latency: latency_of(c.latency_sum_ns, served, hist),
                    // Order statistics and Wilson's interval: the class's
                    // requests are not batched by minute.
                    p99_bounds: hist.map_or((0.0, f64::INFINITY), |h| {
                        p99_bounds(h, served, &[], f.confidence)
                    }),
                    availability_bounds: wilson(served, finished, f.confidence),
                    offered_rps: if measured > 0.0 {
                        c.counts.requests as f64 / measured
                    } else {
                        0.0
                    },
                    web_util: web(busy, self.web_throttled.total(), self.serving.total()),
                    db_util: db(
                        self.db_busy.total(),
                        self.db_throttled.total(),
                        self.db_up.total(),
                    ),
                }
            })
            .collect();
        // A segment of a window judged as one interval keeps its measured
        // minutes for the join, which puts the interval back together.
        let minutes = if self.keep_join && self.keep_minutes {
            let skip = ((self.measure_from - self.start).as_nanos()).div_ceil(MINUTE) as usize;
            std::mem::take(&mut self.minutes)
                .into_iter()
                .skip(skip)
                .collect()
        } else {
            Vec::new()
        };
        let join = self.keep_join.then(|| {
            Box::new(super::JoinParts {
                minutes,
                window: window_hist.cloned(),
                classes: self.class_slots.iter().map(|c| c.hist.clone()).collect(),
                latency_sum_ns: self.latency_sum_ns,
                class_latency_sum_ns: self.class_slots.iter().map(|c| c.latency_sum_ns).collect(),
            })
        });
        WindowSummary {
            join,
            serverless: self.serverless.map(|t| {
                let mut s = t.finish();
                s.requests = self.routes.arrived_on(Route::Serverless);
                s
            }),
            classes,
            stations,
            counts: self.counts,
            routes: self.routes,
            latency: latency_of(self.latency_sum_ns, self.counts.served, window_hist),
            measured_secs: measured,
            web_instances_mean: per_sec(self.in_service.total()),
            web_instances_max: self.in_service_max,
            web_billed_mean: per_sec(
                self.in_service.total() + self.launching.total() + self.draining.total(),
            ),
            sessions_lost: self.sessions_lost,
            web_util: web(busy, self.web_throttled.total(), self.serving.total()),
            web_throttled: if busy > 0.0 {
                self.web_throttled.total() / busy
            } else {
                0.0
            },
            db_util: db(
                self.db_busy.total(),
                self.db_throttled.total(),
                self.db_up.total(),
            ),
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
            intervals,
        }
    }
}

/// `area` over `capacity` (both level-seconds); 0 without capacity.
fn ratio(area: f64, capacity: f64) -> f64 {
    if capacity > 0.0 { area / capacity } else { 0.0 }
}

/// `area` level-seconds over `secs` seconds of `servers` servers.
fn share(area: f64, secs: f64, servers: u32) -> f64 {
    if servers == 0 || secs <= 0.0 {
        0.0
    } else {
        (area / (secs * f64::from(servers))).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const O: Route = Route::Origin;

    fn s(x: u64) -> SimTime {
        SimTime(x * NANOS_PER_SEC)
    }

    #[test]
    fn counts_latency_and_utilisation_of_a_hand_made_window() {
        // Window of 3 minutes, 1 minute warm-up, 2 vCPUs, no DB.
        let frame = Frame {
            classes: 1,
            web_workers: 8,
            db_stations: 0,
            db_station_vcpus: 0,
            db_replica_vcpus: 0,
            web_instances: 1,
            web_vcpus: 2,
            db_servers: 0,
            web_baseline: 1.0,
            db_baseline: 1.0,
            // Two 1-minute SLO intervals: [60, 120) and [120, 180).
            intervals: Intervals::new(s(60), s(180), Some(SimDuration::from_secs(60))),
            confidence: 0.95,
        };
        let mut c = WindowCollector::new(
            s(0),
            SimDuration::from_secs(180),
            SimDuration::from_secs(60),
            frame,
        );
        c.arrival(s(10), 0, O); // warm-up: in the timeline only
        c.finished(s(10), s(11), SimDuration::from_secs(1), Fate::Served, 0, O);
        for (t, ms) in [(70, 100), (80, 200), (90, 300)] {
            c.arrival(s(t), 0, O);
            c.finished(s(t), s(t), SimDuration::from_millis(ms), Fate::Served, 0, O);
        }
        c.arrival(s(100), 0, O);
        c.finished(s(100), s(100), SimDuration::ZERO, Fate::Dropped, 0, O);
        c.arrival(s(170), 0, O); // still inside at the end
        c.arrival(s(175), 0, O);
        c.finished(
            s(175),
            s(200),
            SimDuration::from_secs(25),
            Fate::Served,
            0,
            O,
        ); // after the end
        c.web_busy(s(30), 2); // 2 busy from 30 s to 150 s
        c.web_busy(s(150), -2);
        let w = c.finish();
        assert_eq!(w.routes.arrived_on(O), 6);
        assert_eq!(w.routes.served_on(O), 3);
        assert_eq!(
            w.counts,
            Counts {
                requests: 6,
                served: 3,
                dropped: 1,
                timed_out: 0,
                errors: 0,
                error_causes: [0; 3],
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
        // The SLO intervals: 4 arrivals then 2, the second with one in
        // flight and one in transit; busy 2 of 2 for 30 s of the second.
        let [a, b] = &w.intervals[..] else {
            panic!("two intervals expected, got {}", w.intervals.len())
        };
        assert_eq!(
            (a.counts.requests, a.counts.served, a.counts.dropped),
            (4, 3, 1)
        );
        assert_eq!((b.counts.requests, b.counts.finished()), (2, 0));
        assert!((a.latency.p50_ms - 200.0).abs() < 1.0);
        assert!((a.web_util - 1.0).abs() < 1e-12);
        assert!((b.web_util - 0.5).abs() < 1e-12);
        // Three served: too few to bound a p99 from above.
        assert_eq!(a.p99_bounds.1, f64::INFINITY);
    }

    #[test]
    fn a_throttled_vcpu_counts_at_its_baseline() {
        // One vCPU busy all window, throttled to 10% for its second half:
        // CloudWatch shows 55%, and half the busy time ran at the baseline.
        let frame = Frame {
            classes: 1,
            web_workers: 8,
            db_stations: 0,
            db_station_vcpus: 0,
            db_replica_vcpus: 0,
            web_instances: 1,
            web_vcpus: 1,
            db_servers: 0,
            web_baseline: 0.1,
            db_baseline: 1.0,
            intervals: Intervals::whole(s(0), s(100)),
            confidence: 0.95,
        };
        let mut c =
            WindowCollector::new(s(0), SimDuration::from_secs(100), SimDuration::ZERO, frame);
        c.web_busy(s(0), 1);
        c.web_throttled(s(50), 1);
        let w = c.finish();
        assert!((w.web_util - 0.55).abs() < 1e-12, "{}", w.web_util);
        assert!((w.web_throttled - 0.5).abs() < 1e-12);
        assert!((w.intervals[0].web_util - 0.55).abs() < 1e-12);
    }
}
