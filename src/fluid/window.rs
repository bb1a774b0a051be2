//! The window: minute by minute through the checkpoint, warm-up included,
//! into one `WindowSummary`.

use super::dist::{Mixture, Response};
use super::fleet::{FleetMinute, FluidFleet};
use super::slo;
use super::{Credits, MERGE_TOL, MINUTE_NS, Model, Parts, RATE_SAMPLES, Throttle};
use crate::metrics::{
    Counts, IntervalSummary, Intervals, Latency, MinuteRow, RouteCounts, Stations, WindowSummary,
};
use crate::route::{ErrorCause, PerRoute, Route};
use crate::spec::{Checkpoint, DbPlacement, RateProfile, StationWork};
use crate::time::SimTime;

impl Model<'_> {
    pub(super) fn run(&mut self, cp: &Checkpoint) -> WindowSummary {
        let s = self.s;
        let profile = RateProfile::new(s, cp);
        // Burstable stations: each balance moves minute by minute with the
        // station's busy vCPUs; a standard-mode station whose balance is
        // spent runs the next minute at its baseline share. One balance
        // stands for all web instances, one for all read replicas.
        let work = StationWork::of(s);
        let mut web_credits = s.web.instance.burst.map(|b| {
            let demand = work.demand(s, cp, work.web);
            Credits::new(&b, s.web.instance.vcpus, cp, demand)
        });
        // Each RDS server's class: the primary's, the replicas'.
        let rds = s.database.as_ref().filter(|d| d.primary_class().is_some());
        let replicas = rds.map_or(0.0, |d| f64::from(d.read_replicas));
        let burst =
            |i: Option<&crate::spec::InstanceSpec>| i.and_then(|i| i.burst.map(|b| (b, i.vcpus)));
        let mut primary_credits = burst(rds.and_then(|d| d.primary_class()))
            .map(|(b, vcpus)| Credits::new(&b, vcpus, cp, work.demand(s, cp, work.primary)));
        let mut replica_credits = burst(
            rds.filter(|d| d.read_replicas > 0)
                .and_then(|d| d.replica_class()),
        )
        .map(|(b, vcpus)| Credits::new(&b, vcpus, cp, work.demand(s, cp, work.replica)));
        // Burstable replicas (their balances enter the mean).
        let burst_replicas = if replica_credits.is_some() {
            replicas
        } else {
            0.0
        };
        let rds_burstable = primary_credits.is_some() || replica_credits.is_some();
        let window_ns = cp.window.as_nanos();
        let n_minutes = window_ns.div_ceil(MINUTE_NS) as usize;
        let end = window_ns as f64 / 1e9;
        let measure_from = cp.warmup.as_nanos().min(window_ns) as f64 / 1e9;
        let measured_secs = end - measure_from;
        let timeout = s.web.timeout.as_secs_f64();
        let n_cls = self.classes.len();
        let n_paths = self.paths.len();

        let mut arrived = vec![[0.0f64; Route::COUNT]; n_cls];
        let mut served_cells = vec![[0.0f64; Route::COUNT]; n_cls];
        let (mut served, mut dropped, mut timed_out, mut errors, mut in_flight) =
            (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut throttled_sum = 0.0;
        let mut requests = 0.0;
        let mut latency_sum = 0.0;
        let (mut web_area, mut db_area) = (0.0, 0.0);
        let (mut origin_done, mut origin_secs_sum) = (0.0, 0.0);
        let mut window_mix: Vec<Mixture> = vec![Mixture::default(); n_paths];
        // Per class over the measured part: requests, served, dropped,
        // timed out, errors, in flight, the served latency sum, throttled.
        let mut per_class = vec![[0.0f64; 8]; n_cls];
        let mut timeline = Vec::with_capacity(n_minutes);
        let mut prev: Option<(Parts, Option<Latency>)> = None;
        // Least and greatest p50, p95, p99 over the measured minutes, seconds.
        let mut minute_brackets = [(f64::INFINITY, f64::NEG_INFINITY); 3];
        let mut responses: Vec<(f64, Response)> = Vec::with_capacity(n_paths);
        let mut rates = vec![0.0; n_cls];
        let mut origin_rates = vec![0.0; n_cls];
        let intervals = Intervals::new(
            cp.start + cp.warmup,
            cp.start + cp.window,
            s.simulation.slo.over.every(),
        );
        let mut slots = (intervals.len() > 1).then(|| slo::Slots::new(intervals, cp.start));
        let (mut busy_area, mut throttled_area) = (0.0, 0.0);
        // Busy shares per station over the measured part: web vCPUs, web
        // workers, the RDS primary and each (alike) read replica.
        let (mut workers_area, mut primary_area, mut replica_area) = (0.0, 0.0, 0.0);
        let mut worker_queue_area = 0.0;
        // The fleet as a per-minute input, when it can change.
        let mut fleet = s.fleet_changes().then(|| FluidFleet::new(s, cp));
        if s.web.autoscaling.is_some() {
            self.set_fleet(f64::from(s.settled_fleet(cp, cp.start)));
        }
        // Which classes need the primary (a write, or a read with no
        // replica), for the minutes it is down.
        let needs_primary: Vec<(bool, bool)> = self
            .classes
            .iter()
            .map(|c| (c.writes > 0.0, c.reads > 0.0))
            .collect();
        // Errors by cause over the measured part, and per class.
        let mut err_by = [0.0f64; ErrorCause::COUNT];
        let mut class_err_by = vec![[0.0f64; ErrorCause::COUNT]; n_cls];
        let (mut in_service_area, mut billed_area, mut sessions_lost) = (0.0, 0.0, 0.0);
        let mut in_service_max: f64 = 0.0;
        let (mut conn_area, mut primary_io_area, mut replica_io_area) = (0.0, 0.0, 0.0);

        for m in 0..n_minutes {
            let t0_ns = m as u64 * MINUTE_NS;
            let t1_ns = ((m as u64 + 1) * MINUTE_NS).min(window_ns);
            let len_ns = t1_ns - t0_ns;
            let len = len_ns as f64 / 1e9;
            let (t0, t1) = (t0_ns as f64 / 1e9, t1_ns as f64 / 1e9);
            // Mean offered rate over the minute.
            let rate = (0..RATE_SAMPLES)
                .map(|i| {
                    let at = cp.start.0 + t0_ns + (2 * i + 1) * len_ns / (2 * RATE_SAMPLES);
                    profile.rate(SimTime(at))
                })
                .sum::<f64>()
                / RATE_SAMPLES as f64;
            let fm = match &mut fleet {
                Some(f) => {
                    let fm = f.minute(t0_ns as f64 / 1e9, t1_ns as f64 / 1e9);
                    self.set_fleet(fm.serving);
                    self.replicas_up = Some(fm.replicas_up);
                    fm
                }
                None => FleetMinute {
                    serving: self.fleet,
                    in_service: self.fleet,
                    ..FleetMinute::default()
                },
            };
            for (k, c) in self.classes.iter().enumerate() {
                rates[k] = rate * c.share;
                // What reaches a live instance.
                origin_rates[k] = rates[k] * c.origin * (1.0 - fm.p_instance_down);
            }
            let throttled = |c: &Option<Credits>| c.as_ref().is_some_and(Credits::throttled);
            let stretch = self.stretch_at(rate);
            self.full = self.full_at(rate, stretch);
            self.set_variant(
                Throttle {
                    web: throttled(&web_credits),
                    primary: throttled(&primary_credits),
                    replica: throttled(&replica_credits),
                },
                stretch,
            );
            if t0 >= measure_from {
                for c in [&mut web_credits, &mut primary_credits, &mut replica_credits]
                    .into_iter()
                    .flatten()
                {
                    c.mark();
                }
            }
            let step = self.step(&origin_rates, len);
            let th = self.throttle;
            if let Some(c) = &mut web_credits {
                // Busy vCPUs of one instance.
                let busy = step.web_busy * f64::from(s.web.instance.vcpus) / f64::from(self.vcpus);
                c.spend(busy, th.web, len);
            }
            if let Some(c) = &mut primary_credits {
                c.spend(step.primary_busy, th.primary, len);
            }
            if let Some(c) = &mut replica_credits {
                c.spend(step.replica_busy, th.replica, len);
            }
            let measured = ((t1 - measure_from.max(t0)) / len).clamp(0.0, 1.0);
            let sl_min = self
                .serverless
                .as_mut()
                .map(|f| f.step(rate, len, measured))
                .unwrap_or_default();
            let near_end = |r: &Response| t1 + r.upper() > end && r.cdf(end - t1) < 1.0 - 1e-12;

            responses.clear();
            let mut slot = slots
                .as_mut()
                .filter(|_| measured > 0.0)
                .map(|sl| sl.at(measure_from.max(t0), t1));
            let (mut m_arr, mut m_served, mut m_other) = (0.0, 0.0, 0.0);
            let mut m_err_by = [0.0f64; ErrorCause::COUNT];
            let readers_up = fm.replicas_up > 0;
            for (pi, path) in self.paths.iter().enumerate() {
                let k = path.class;
                let a = rates[k] * path.share * len;
                let origin = path.route.reaches_origin();
                let (p_drop, p_thr, p_err, resp) = if origin {
                    let (p, cond, cv2) = step.wait[k];
                    (
                        step.p_drop,
                        0.0,
                        step.p_err[k],
                        Response::new(&path.fit, step.backlog_wait[k], p, cond, cv2),
                    )
                } else if path.route == Route::Serverless {
                    // A cold start is a wait that some invocations have.
                    let m = sl_min;
                    let cold = Response::new(&path.fit, 0.0, m.p_cold, m.cold_mean, 1.0);
                    (0.0, m.p_throttled, 0.0, cold)
                } else {
                    (0.0, 0.0, 0.0, Response::new(&path.fit, 0.0, 0.0, 0.0, 1.0))
                };
                // Sent to a dead instance; then refused; then failed at the
                // DB for want of a connection, or for its primary being down.
                let p_inst = if origin { fm.p_instance_down } else { 0.0 };
                let (writes, reads) = needs_primary[k];
                let p_dbd = if origin && (writes || (reads && !readers_up)) {
                    fm.primary_down
                } else {
                    0.0
                };
                let live = a * (1.0 - p_inst);
                let drop_n = live * p_drop;
                let err_n = [
                    a * p_inst,
                    live * (1.0 - p_drop) * (1.0 - p_err) * p_dbd,
                    live * (1.0 - p_drop) * p_err,
                ];
                let err_total: f64 = err_n.iter().sum();
                let thr_n = live * p_thr;
                let answered =
                    live * (1.0 - p_drop) * (1.0 - p_thr) * (1.0 - p_err) * (1.0 - p_dbd);
                let f_timeout = resp.cdf(timeout);
                // Fates by arrival time within the minute (in flight at the end).
                let (fs, ft, fi) = if near_end(&resp) {
                    let n = 8;
                    let (mut fs, mut ft, mut fi) = (0.0, 0.0, 0.0);
                    for i in 0..n {
                        let t = t0 + len * (i as f64 + 0.5) / n as f64;
                        let left = end - t;
                        let f_end = resp.cdf(left);
                        fs += resp.cdf(left.min(timeout));
                        ft += (f_end - f_timeout).max(0.0);
                        fi += 1.0 - f_end;
                    }
                    (fs / n as f64, ft / n as f64, fi / n as f64)
                } else {
                    (f_timeout, 1.0 - f_timeout, 0.0)
                };
                let sv = answered * fs;
                m_arr += a;
                m_served += sv;
                m_other += a - answered + answered * ft;
                for (e, n) in m_err_by.iter_mut().zip(err_n) {
                    *e += n;
                }
                responses.push((sv, resp));
                if measured > 0.0 {
                    let am = a * measured;
                    requests += am;
                    arrived[k][path.route.index()] += am;
                    served_cells[k][path.route.index()] += sv * measured;
                    served += sv * measured;
                    timed_out += answered * ft * measured;
                    in_flight += answered * fi * measured;
                    dropped += drop_n * measured;
                    errors += err_total * measured;
                    for (c, n) in err_n.iter().enumerate() {
                        err_by[c] += n * measured;
                        class_err_by[k][c] += n * measured;
                    }
                    throttled_sum += thr_n * measured;
                    latency_sum += sv * measured * resp.truncated_mean(timeout);
                    let pc = &mut per_class[k];
                    pc[0] += am;
                    pc[1] += sv * measured;
                    pc[2] += drop_n * measured;
                    pc[3] += answered * ft * measured;
                    pc[4] += err_total * measured;
                    pc[5] += answered * fi * measured;
                    pc[6] += sv * measured * resp.truncated_mean(timeout);
                    pc[7] += a * p_thr * measured;
                    window_mix[pi].push(sv * measured, resp, timeout, MERGE_TOL);
                    if let Some(sl) = slot.as_deref_mut() {
                        sl.requests += am;
                        sl.served += sv * measured;
                        sl.timed_out += answered * ft * measured;
                        sl.dropped += drop_n * measured;
                        sl.errors += err_total * measured;
                        sl.throttled += thr_n * measured;
                        sl.latency_sum += sv * measured * resp.truncated_mean(timeout);
                        sl.served_like(sv * measured, resp, timeout);
                    }
                    if origin {
                        let adm = live * (1.0 - p_drop) * (1.0 - fi) * measured;
                        origin_done += adm;
                        origin_secs_sum += adm * step.origin_secs[k];
                    }
                }
            }
            // Work done over capacity at full speed, as CloudWatch shows it:
            // a throttled vCPU is busy longer but does its baseline's work.
            let speed = |c: &Option<Credits>, on: bool| match c {
                Some(c) if on => c.baseline,
                _ => 1.0,
            };
            let web_speed = speed(&web_credits, th.web);
            let web_util = step.web_busy * web_speed / f64::from(self.vcpus);
            let db_work = if rds_burstable {
                step.primary_busy * speed(&primary_credits, th.primary)
                    + replicas * step.replica_busy * speed(&replica_credits, th.replica)
            } else {
                step.db_busy * web_speed
            };
            let db_util = if self.db_servers > 0.0 {
                db_work / self.db_servers
            } else {
                0.0
            };
            if measured > 0.0 {
                web_area += web_util * len * measured;
                db_area += db_util * len * measured;
                // Busy shares over the stations of this minute's fleet.
                busy_area += step.web_busy / f64::from(self.vcpus) * len * measured;
                workers_area += step.workers_busy / f64::from(self.workers.max(1)) * len * measured;
                worker_queue_area += step.worker_queue * self.instances * len * measured;
                conn_area += step.db_connections * len * measured;
                primary_io_area += step.primary_io * len * measured;
                replica_io_area += step.replica_io * len * measured;
                primary_area += step.primary_busy * len * measured;
                replica_area += step.replica_busy * len * measured;
                if th.web {
                    throttled_area += step.web_busy / f64::from(self.vcpus) * len * measured;
                }
            }
            if let Some(sl) = slot.as_deref_mut() {
                sl.web_area += web_util * len * measured;
                sl.db_area += db_util * len * measured;
            }
            // The minute's latency (reused when nothing changed).
            let latency = match &prev {
                Some((r, l)) if *r == responses => *l,
                _ => {
                    let hint = prev.as_ref().and_then(|p| p.1);
                    let l = minute_latency(&responses, timeout, hint);
                    prev = Some((responses.clone(), l));
                    l
                }
            };
            if let (Some(l), Some(sl)) = (latency, slot) {
                sl.minute(l);
            }
            if let (Some(l), true) = (latency, measured > 0.0) {
                for (b, q) in minute_brackets
                    .iter_mut()
                    .zip([l.p50_ms, l.p95_ms, l.p99_ms])
                {
                    *b = (b.0.min(q / 1e3), b.1.max(q / 1e3));
                }
            }
            if let Some(f) = &mut fleet {
                let origin_rps: f64 = origin_rates.iter().sum();
                f.decide(t1, web_util, origin_rps, latency.map(|l| l.p99_ms / 1e3));
            }
            if measured > 0.0 {
                in_service_area += fm.in_service * len * measured;
                billed_area += (fm.in_service + fm.launching + fm.draining) * len * measured;
                in_service_max = in_service_max.max(fm.in_service);
                sessions_lost += fm.sessions_lost;
            }
            timeline.push(MinuteRow {
                minute: m as u64,
                offered_rps: m_arr / len,
                served_rps: m_served / len,
                error_rps: m_other / len,
                latency,
                web_instances: fm.in_service,
                web_launching: fm.launching,
                web_draining: fm.draining,
                errors_by_cause: m_err_by.map(|e| e.round() as u64),
                web_util,
                db_util,
                web_cpu_credits: web_credits.map(|c| c.balance()),
                // The mean over the primary and its replicas, as the DES's.
                db_cpu_credits: match (&primary_credits, &replica_credits) {
                    (Some(p), r) => {
                        let r = r.map_or(0.0, |r| r.balance());
                        Some((p.balance() + burst_replicas * r) / (1.0 + burst_replicas))
                    }
                    (None, Some(r)) => Some(r.balance()),
                    (None, None) => None,
                },
            });
        }

        // Integer counts that add up exactly.
        let total = requests.round();
        let fates = apportion(
            &[served, dropped, timed_out, errors, throttled_sum, in_flight],
            total,
        );
        let counts = Counts {
            requests: total as u64,
            served: fates[0],
            dropped: fates[1],
            timed_out: fates[2],
            errors: fates[3],
            error_causes: causes_of(&err_by, fates[3]),
            throttled: fates[4],
        };
        let routes = RouteCounts {
            arrived: apportion_cells(&arrived, counts.requests),
            served: apportion_cells(&served_cells, counts.served),
        };
        // Each class's mixture of its paths' responses; with one class,
        // the window's own figures below.
        let class_mix: Vec<Mixture> = if n_cls > 1 {
            (0..n_cls)
                .map(|k| {
                    let mut m = Mixture::default();
                    for (pi, path) in self.paths.iter().enumerate() {
                        if path.class == k {
                            m.extend(window_mix[pi].clone());
                        }
                    }
                    m
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut all = Mixture::default();
        for mix in window_mix {
            all.extend(mix);
        }
        let latency = if served > 0.0 && !all.is_empty() {
            // Each quantile of the day lies between the least and the
            // greatest of the minutes' (a mixture's quantile is bounded by
            // its parts'), a tight start for the root finder.
            // (The minutes' own quantiles are to 1e-3: widen by 2e-3.)
            let brackets = minute_brackets.map(|(lo, hi)| (lo * (1.0 - 2e-3), hi * (1.0 + 2e-3)));
            let [p50, p95, p99] = all.quantiles_within(
                [0.5, 0.95, 0.99],
                timeout,
                1e-7,
                (brackets[0].0 <= brackets[0].1).then_some(brackets),
            );
            Latency {
                mean_ms: latency_sum / served * 1e3,
                p50_ms: p50 * 1e3,
                p95_ms: p95 * 1e3,
                p99_ms: p99 * 1e3,
            }
        } else {
            Latency::default()
        };
        let origin_admitted = origin_done.round() as u64;
        let mean_origin_secs = if origin_done > 0.0 {
            origin_secs_sum / origin_done
        } else {
            0.0
        };
        let share = |area: f64| {
            if measured_secs > 0.0 {
                area / measured_secs
            } else {
                0.0
            }
        };
        let finished = served + dropped + timed_out + errors + throttled_sum;
        let availability = if finished > 0.0 {
            served / finished
        } else {
            1.0
        };
        let intervals = match slots {
            Some(sl) => sl.finish(timeout),
            None => vec![IntervalSummary {
                start: cp.start + cp.warmup,
                secs: measured_secs,
                counts,
                availability,
                latency,
                p99_bounds: (latency.p99_ms, latency.p99_ms),
                availability_bounds: (availability, availability),
                offered_rps: if measured_secs > 0.0 {
                    requests / measured_secs
                } else {
                    0.0
                },
                web_util: share(web_area),
                db_util: share(db_area),
            }],
        };
        // Busy vCPUs over each server's own vCPUs.
        let rds_vcpus = s.database.as_ref().and_then(|d| {
            let (p, r) = d.primary_class().zip(d.replica_class())?;
            Some((
                f64::from(p.vcpus.max(1)),
                f64::from(r.vcpus.max(1)),
                d.read_replicas as usize,
            ))
        });
        let stations = Stations {
            web_cpu: share(busy_area),
            web_workers: share(workers_area),
            web_worker_queue: share(worker_queue_area),
            db: rds_vcpus.map_or_else(Vec::new, |(v, rv, n)| {
                std::iter::once(share(primary_area) / v)
                    .chain(std::iter::repeat_n(share(replica_area) / rv, n))
                    .collect()
            }),
            db_connections: share(conn_area),
            db_storage: match (&self.volumes, s.database.as_ref()) {
                (Some(_), Some(d)) => {
                    let n = match d.placement {
                        DbPlacement::Rds(_) => d.read_replicas as usize,
                        DbPlacement::Colocated => 0,
                    };
                    std::iter::once(share(primary_io_area))
                        .chain(std::iter::repeat_n(share(replica_io_area), n))
                        .collect()
                }
                _ => Vec::new(),
            },
        };
        // Classes: their requests apportioned to the window's, their fates
        // to their own requests (each class adds up; over classes, the
        // fates match the window's within rounding).
        let class_requests = apportion(
            &per_class.iter().map(|c| c[0]).collect::<Vec<_>>(),
            counts.requests as f64,
        );
        let classes = per_class
            .iter()
            .enumerate()
            .map(|(k, pc)| {
                let n = class_requests[k];
                let f = apportion(&[pc[1], pc[2], pc[3], pc[4], pc[7], pc[5]], n as f64);
                let c = Counts {
                    requests: n,
                    served: f[0],
                    dropped: f[1],
                    timed_out: f[2],
                    errors: f[3],
                    error_causes: causes_of(&class_err_by[k], f[3]),
                    throttled: f[4],
                };
                let finished = pc[1] + pc[2] + pc[3] + pc[4] + pc[7];
                let avail = if finished > 0.0 {
                    pc[1] / finished
                } else {
                    1.0
                };
                let lat = if n_cls == 1 {
                    latency
                } else if pc[1] > 0.0 && !class_mix[k].is_empty() {
                    let [p50, p95, p99] =
                        class_mix[k].quantiles_within([0.5, 0.95, 0.99], timeout, 1e-7, None);
                    Latency {
                        mean_ms: pc[6] / pc[1] * 1e3,
                        p50_ms: p50 * 1e3,
                        p95_ms: p95 * 1e3,
                        p99_ms: p99 * 1e3,
                    }
                } else {
                    Latency::default()
                };
                IntervalSummary {
                    start: cp.start + cp.warmup,
                    secs: measured_secs,
                    counts: c,
                    availability: avail,
                    latency: lat,
                    p99_bounds: (lat.p99_ms, lat.p99_ms),
                    availability_bounds: (avail, avail),
                    offered_rps: if measured_secs > 0.0 {
                        pc[0] / measured_secs
                    } else {
                        0.0
                    },
                    web_util: share(web_area),
                    db_util: share(db_area),
                }
            })
            .collect();
        WindowSummary {
            join: None,
            serverless: self.serverless.take().map(|f| {
                let mut s = f.finish(measured_secs, counts.throttled);
                s.requests = routes.arrived_on(Route::Serverless);
                s
            }),
            classes,
            stations,
            intervals,
            web_throttled: if busy_area > 0.0 {
                throttled_area / busy_area
            } else {
                0.0
            },
            counts,
            routes,
            latency,
            measured_secs,
            web_instances_mean: share(in_service_area),
            web_billed_mean: share(billed_area),
            sessions_lost,
            web_instances_max: in_service_max.round() as u32,
            web_util: share(web_area),
            db_util: share(db_area),
            mean_in_origin: if measured_secs > 0.0 {
                origin_admitted as f64 / measured_secs * mean_origin_secs
            } else {
                0.0
            },
            mean_origin_secs,
            origin_admitted,
            in_transit: 0,
            // Summed over the instances, as the DES's.
            surplus_credits: web_credits.map_or(0.0, |c| c.surplus() * self.fleet),
            db_surplus_credits: primary_credits.map_or(0.0, |c| c.surplus())
                + replica_credits.map_or(0.0, |c| c.surplus() * replicas),
            timeline,
        }
    }
}

/// `total` errors apportioned over the causes in the proportions of `by`.
fn causes_of(by: &[f64; ErrorCause::COUNT], total: u64) -> [u64; ErrorCause::COUNT] {
    let f = apportion(by, total as f64);
    [f[0], f[1], f[2]]
}

/// Latency of one minute's served requests, `None` if hardly any.
/// The latency of one minute's served requests. Percentiles are to 0.1%
/// (the DES's per-minute histograms keep two digits), starting from a
/// bracket around the previous minute's, which moves little from one minute
/// to the next.
fn minute_latency(
    parts: &[(f64, Response)],
    timeout: f64,
    hint: Option<Latency>,
) -> Option<Latency> {
    let total: f64 = parts.iter().map(|p| p.0).sum();
    if total < 0.5 {
        return None;
    }
    let mut mix = Mixture::default();
    let mut sum = 0.0;
    for (w, r) in parts {
        mix.push(*w, *r, timeout, 0.0);
        sum += w * r.truncated_mean(timeout);
    }
    let brackets =
        hint.map(|h| [h.p50_ms, h.p95_ms, h.p99_ms].map(|q| (q / 1e3 * 0.99, q / 1e3 * 1.01)));
    let [p50, p95, p99] = mix.quantiles_within([0.5, 0.95, 0.99], timeout, 1e-3, brackets);
    Some(Latency {
        mean_ms: sum / total * 1e3,
        p50_ms: p50 * 1e3,
        p95_ms: p95 * 1e3,
        p99_ms: p99 * 1e3,
    })
}

/// Integers that sum to `total`, nearest to `xs` (largest remainder).
pub(super) fn apportion(xs: &[f64], total: f64) -> Vec<u64> {
    let sum: f64 = xs.iter().sum();
    let scale = if sum > 0.0 { total / sum } else { 0.0 };
    let mut out: Vec<u64> = xs.iter().map(|x| (x * scale).floor() as u64).collect();
    let given: u64 = out.iter().sum();
    let mut rest = (total as u64).saturating_sub(given);
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = xs[a] * scale - (xs[a] * scale).floor();
        let fb = xs[b] * scale - (xs[b] * scale).floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for i in order {
        if rest == 0 {
            break;
        }
        if xs[i] > 0.0 {
            out[i] += 1;
            rest -= 1;
        }
    }
    out
}

fn apportion_cells(cells: &[PerRoute<f64>], total: u64) -> Vec<PerRoute<u64>> {
    let flat: Vec<f64> = cells.iter().flatten().copied().collect();
    let ints = apportion(&flat, total as f64);
    ints.chunks(Route::COUNT)
        .map(|c| {
            let mut a = [0u64; Route::COUNT];
            a.copy_from_slice(c);
            a
        })
        .collect()
}
