//! A station of identical servers and the jobs queued at it.
//!
//! A plain station (servers that each work at full speed, FCFS) schedules
//! each job's completion when it starts. A station whose speed depends on
//! how many of its servers are busy (hyperthreads, the Universal
//! Scalability Law) or that shares them among every job present
//! (processor sharing) is [`Shared`]: the jobs in service all progress at
//! one rate, so it keeps one clock of work done per job since it opened,
//! each job's finish on that clock, and one scheduled completion (the
//! earliest finish), moved whenever the number in service changes: it
//! waits in the station's own timer of the calendar, which a move
//! overwrites.

use super::credits::Credits;
use super::{At, Event, Job, Observer, Request, Tier, WebModel};
use crate::engine::Scheduler;
use crate::spec::Curve;
use crate::time::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// The state of a station whose jobs in service share one rate.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The curve's `throughput(m)` for `m` busy servers, 0 to all of them.
    throughput: Vec<f64>,
    /// Processor sharing: every job present is in service.
    ps: bool,
    /// `(finish on the work clock as f64 bits, request)`: the jobs in service.
    jobs: BinaryHeap<Reverse<(u64, u32)>>,
    /// Work done by each job in service since the station opened, seconds.
    work: f64,
    /// Work per second of each job in service now.
    rate: f64,
    last: SimTime,
    /// DB queries among the jobs in service (a colocated database).
    queries: u32,
    /// The request whose completion is scheduled.
    pending: Option<u32>,
    /// Reported to the observer: busy web threads, busy DB threads, and the
    /// same two running at the credit baseline.
    shown: [u32; 4],
}

/// A station: `servers` identical servers with one FIFO queue.
#[derive(Debug)]
pub(crate) struct Station {
    pub(crate) servers: u32,
    pub(crate) busy: u32,
    pub(crate) queue: VecDeque<u32>,
    pub(crate) credits: Option<Credits>,
    /// `Some` when the jobs in service share one rate (see the module).
    pub(crate) shared: Option<Box<Shared>>,
}

impl Station {
    /// A station of `curve.servers` servers: plain when its curve is linear
    /// and it is FCFS, shared otherwise.
    pub(crate) fn shared(curve: Curve, ps: bool) -> Self {
        let shared = (ps || !curve.is_linear()).then(|| {
            Box::new(Shared {
                throughput: (0..=curve.servers).map(|m| curve.throughput(m)).collect(),
                ps,
                jobs: BinaryHeap::new(),
                work: 0.0,
                rate: 0.0,
                last: SimTime::ZERO,
                queries: 0,
                pending: None,
                shown: [0; 4],
            })
        });
        Station {
            servers: curve.servers,
            busy: 0,
            queue: VecDeque::new(),
            credits: None,
            shared,
        }
    }
}

/// Service start and end at the stations.
impl<O: Observer> WebModel<'_, O> {
    /// Request `id` joins the station `at` for its current job.
    #[inline]
    pub(super) fn enter_station(&mut self, id: u32, at: At, sched: &mut Scheduler<Event>) {
        self.requests[id as usize].at = at;
        if self.fleet.track_cpu
            && let At::Instance(i) = at
        {
            self.instances[i as usize].count_busy(sched.now());
        }
        if self.station(at).shared.is_some() {
            return self.enter_shared(id, at, sched);
        }
        let st = self.station(at);
        if st.busy < st.servers {
            st.busy += 1;
            self.start_service(id, sched);
        } else {
            st.queue.push_back(id);
        }
    }

    /// A service time for request `id`'s current job.
    #[inline]
    fn sample_service(&mut self, id: u32) -> SimDuration {
        let req = self.requests[id as usize];
        match req.job {
            Job::Cpu => self.classes[req.class as usize]
                .web_cpu
                .sample(&mut self.rng.web),
            Job::Read | Job::Write => {
                let db = self.db.as_ref().expect("DB job without a database");
                let s = match (req.job, req.at) {
                    (Job::Read, At::Db(k)) if k > 0 => &db.replica_read,
                    (Job::Read, _) => &db.read,
                    _ => &db.write,
                };
                s.sample(&mut self.rng.db)
            }
        }
    }

    #[inline]
    fn start_service(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        self.start_job(id, sched, true);
    }

    /// Request `id` takes a server; `newly_busy` when the server was not
    /// busy with a job that counts for the same tiers just before.
    #[inline]
    fn start_job(&mut self, id: u32, sched: &mut Scheduler<Event>, newly_busy: bool) {
        let req = self.requests[id as usize];
        let service = self.sample_service(id);
        let now = sched.now();
        if newly_busy {
            self.busy_changed(now, req, 1);
        }
        let service = match &mut self.station(req.at).credits {
            None => service,
            Some(c) => {
                let share = c.start_service(now);
                self.requests[id as usize].share = share;
                self.report_credits(now, req.at);
                if share < 1.0 {
                    self.throttled_changed(now, req, 1);
                    SimDuration::from_secs_f64(service.as_secs_f64() / share)
                } else {
                    service
                }
            }
        };
        if let At::Db(k) = req.at {
            self.observer.db_server_service(now, k, service);
        }
        let generation = self.requests[id as usize].generation;
        sched.schedule_in(service, Event::Done(id, generation));
    }

    #[inline]
    fn busy_changed(&mut self, now: SimTime, req: Request, delta: i32) {
        match req.at {
            At::Instance(_) => {
                self.observer.busy_changed(now, Tier::Web, delta);
                if req.job != Job::Cpu {
                    self.observer.busy_changed(now, Tier::Db, delta);
                }
            }
            At::Db(_) => self.observer.busy_changed(now, Tier::Db, delta),
        }
    }

    #[inline]
    fn throttled_changed(&mut self, now: SimTime, req: Request, delta: i32) {
        match req.at {
            At::Instance(_) => {
                self.observer.throttled_changed(now, Tier::Web, delta);
                if req.job != Job::Cpu {
                    self.observer.throttled_changed(now, Tier::Db, delta);
                }
            }
            At::Db(_) => self.observer.throttled_changed(now, Tier::Db, delta),
        }
    }

    #[inline]
    pub(super) fn on_done(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let req = self.requests[id as usize];
        if self.fleet.track_cpu
            && let At::Instance(i) = req.at
        {
            self.instances[i as usize].count_busy(now);
        }
        if self.station(req.at).shared.is_some() {
            return self.done_shared(id, req.at, sched);
        }
        let st = self.station(req.at);
        if let Some(c) = &mut st.credits {
            c.end_service(now, req.share);
            self.report_credits(now, req.at);
            if req.share < 1.0 {
                self.throttled_changed(now, req, -1);
            }
        }
        let st = self.station(req.at);
        match st.queue.pop_front() {
            Some(next) => {
                // The server goes straight to the next job: it stays busy,
                // and the tiers it counts for change only when a colocated
                // query follows a page's CPU or the other way round.
                let carried = self.requests[next as usize].job == req.job
                    || (req.job != Job::Cpu && self.requests[next as usize].job != Job::Cpu);
                if !carried {
                    self.busy_changed(now, req, -1);
                }
                self.start_job(next, sched, !carried);
            }
            None => {
                st.busy -= 1;
                self.busy_changed(now, req, -1);
            }
        }
        self.advance(id, sched);
    }

    /// Station `at` loses every job at `now` (its instance or DB server
    /// died); `in_service` are those its servers were running. What the
    /// observer was told of them is taken back; their completions are
    /// left to be ignored.
    pub(super) fn clear_station(&mut self, at: At, now: SimTime, in_service: &[u32]) {
        if self.station(at).shared.is_some() {
            self.sync(at, now);
            let st = self.station(at);
            if let Some(c) = &mut st.credits {
                c.set_threads(now, 0);
            }
            let sh = st.shared.as_mut().expect("a shared station");
            let shown = std::mem::take(&mut sh.shown);
            sh.jobs.clear();
            sh.queries = 0;
            sh.pending = None;
            sh.rate = 0.0;
            for (k, tier, throttled) in [
                (0, Tier::Web, false),
                (1, Tier::Db, false),
                (2, Tier::Web, true),
                (3, Tier::Db, true),
            ] {
                let delta = -(shown[k] as i32);
                if delta != 0 {
                    if throttled {
                        self.observer.throttled_changed(now, tier, delta);
                    } else {
                        self.observer.busy_changed(now, tier, delta);
                    }
                }
            }
            self.report_credits(now, at);
        } else {
            for &id in in_service {
                let req = self.requests[id as usize];
                if let Some(c) = &mut self.station(at).credits {
                    c.end_service(now, req.share);
                    if req.share < 1.0 {
                        self.throttled_changed(now, req, -1);
                    }
                    self.report_credits(now, at);
                }
                self.busy_changed(now, req, -1);
            }
        }
        let st = self.station(at);
        st.busy = 0;
        st.queue.clear();
    }

    /// Brings the work clock of shared station `at` up to `now`.
    fn sync(&mut self, at: At, now: SimTime) {
        let st = self.station(at);
        let servers = st.servers;
        let busy = st.busy.min(servers);
        let Some(sh) = st.shared.as_mut() else {
            return;
        };
        let span = now - sh.last;
        sh.work += sh.rate * span.as_secs_f64();
        let from = sh.last;
        sh.last = now;
        if let At::Db(k) = at
            && busy > 0
            && span > SimDuration::ZERO
        {
            self.observer.db_server_busy(from, k, span, busy);
        }
    }

    /// Puts request `id` in service at shared station `at`.
    fn start_shared(&mut self, id: u32, at: At) {
        let service = self.sample_service(id).as_secs_f64();
        let is_query = self.requests[id as usize].job != Job::Cpu;
        let st = self.station(at);
        st.busy += 1;
        let sh = st.shared.as_mut().expect("a shared station");
        let finish = sh.work + service;
        sh.jobs.push(Reverse((finish.to_bits(), id)));
        if is_query {
            sh.queries += 1;
        }
    }

    fn enter_shared(&mut self, id: u32, at: At, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        self.sync(at, now);
        let st = self.station(at);
        let ps = st.shared.as_ref().is_some_and(|sh| sh.ps);
        if ps || st.busy < st.servers {
            self.start_shared(id, at);
            self.reschedule(at, sched);
        } else {
            // Every server stays on its job at its rate: nothing to move.
            st.queue.push_back(id);
        }
    }

    fn done_shared(&mut self, id: u32, at: At, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        self.sync(at, now);
        let is_query = self.requests[id as usize].job != Job::Cpu;
        let st = self.station(at);
        st.busy -= 1;
        let sh = st.shared.as_mut().expect("a shared station");
        let first = sh.jobs.pop();
        debug_assert_eq!(first.map(|Reverse((_, j))| j), Some(id));
        sh.pending = None;
        if is_query {
            sh.queries -= 1;
        }
        if !sh.ps
            && let Some(next) = st.queue.pop_front()
        {
            self.start_shared(next, at);
        }
        self.reschedule(at, sched);
        self.advance(id, sched);
    }

    /// Sets shared station `at`'s rate for the jobs now in service, tells
    /// the observer what changed, and schedules the earliest completion.
    fn reschedule(&mut self, at: At, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let st = self.station(at);
        let n = st.busy;
        let m = n.min(st.servers);
        let share = match &mut st.credits {
            Some(c) => c.set_threads(now, m),
            None => 1.0,
        };
        let has_credits = st.credits.is_some();
        let sh = st.shared.as_mut().expect("a shared station");
        sh.rate = if n > 0 {
            sh.throughput[m as usize] / f64::from(n) * share
        } else {
            0.0
        };
        let (web, db) = match at {
            At::Instance(_) => {
                // A colocated database's share of the busy threads.
                let q = if n > 0 {
                    (f64::from(m) * f64::from(sh.queries) / f64::from(n)).round() as u32
                } else {
                    0
                };
                (m, q)
            }
            At::Db(_) => (0, m),
        };
        let throttled = share < 1.0;
        let want = [
            web,
            db,
            if throttled { web } else { 0 },
            if throttled { db } else { 0 },
        ];
        let shown = sh.shown;
        sh.shown = want;
        let stale = sh.pending.take();
        let next = sh.jobs.peek().map(|&Reverse((f, j))| {
            let left = (f64::from_bits(f) - sh.work).max(0.0);
            (j, left / sh.rate)
        });
        if let Some((j, _)) = next {
            sh.pending = Some(j);
        }
        for (k, tier, throttled) in [
            (0, Tier::Web, false),
            (1, Tier::Db, false),
            (2, Tier::Web, true),
            (3, Tier::Db, true),
        ] {
            let delta = want[k] as i32 - shown[k] as i32;
            if delta != 0 {
                if throttled {
                    self.observer.throttled_changed(now, tier, delta);
                } else {
                    self.observer.busy_changed(now, tier, delta);
                }
            }
        }
        if has_credits {
            self.report_credits(now, at);
        }
        if let Some(p) = stale {
            let r = &mut self.requests[p as usize];
            r.generation = r.generation.wrapping_add(1);
        }
        // The station's timer holds its one pending completion: moving it
        // leaves no stale event in the calendar.
        let timer = self.timer_of(at);
        match next {
            Some((j, secs)) => {
                let generation = self.requests[j as usize].generation;
                let wait = SimDuration::from_secs_f64(secs.min(1e9));
                sched.set_timer_in(timer, wait, Event::Done(j, generation));
            }
            None => sched.cancel_timer(timer),
        }
    }
}
