//! A station of identical servers and the jobs queued at it.

use super::credits::Credits;
use super::{At, Event, Job, Observer, Request, Tier, WebModel};
use crate::engine::Scheduler;
use crate::time::{SimDuration, SimTime};
use std::collections::VecDeque;

/// A station: `servers` identical servers with one FIFO queue.
#[derive(Debug)]
pub(crate) struct Station {
    pub(crate) servers: u32,
    pub(crate) busy: u32,
    pub(crate) queue: VecDeque<u32>,
    pub(crate) credits: Option<Credits>,
}

impl Station {
    pub(crate) fn new(servers: u32) -> Self {
        Station {
            servers,
            busy: 0,
            queue: VecDeque::new(),
            credits: None,
        }
    }

    /// Requests queued or in service.
    pub(crate) fn outstanding(&self) -> usize {
        self.busy as usize + self.queue.len()
    }
}

/// Service start and end at the stations.
impl<O: Observer> WebModel<'_, O> {
    /// Request `id` joins the station `at` for its current job.
    pub(super) fn enter_station(&mut self, id: u32, at: At, sched: &mut Scheduler<Event>) {
        self.requests[id as usize].at = at;
        let st = self.station(at);
        if st.busy < st.servers {
            st.busy += 1;
            self.start_service(id, sched);
        } else {
            st.queue.push_back(id);
        }
    }

    fn start_service(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        let req = self.requests[id as usize];
        let service = match req.job {
            Job::Cpu => self.classes[req.class as usize]
                .web_cpu
                .sample(&mut self.rng.web),
            Job::Read | Job::Write => {
                let db = self.db.as_ref().expect("DB job without a database");
                let s = if req.job == Job::Read {
                    &db.read
                } else {
                    &db.write
                };
                s.sample(&mut self.rng.db)
            }
        };
        let now = sched.now();
        self.busy_changed(now, req, 1);
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

    pub(super) fn on_done(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let req = self.requests[id as usize];
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
                // The server goes straight to the next job: it stays busy.
                self.busy_changed(now, req, -1);
                self.start_service(next, sched);
            }
            None => {
                st.busy -= 1;
                self.busy_changed(now, req, -1);
            }
        }
        self.advance(id, sched);
    }
}
