//! The database's capacity beyond its CPUs, in the DES: the connections
//! web workers hold, and the storage volume behind each RDS server.
//!
//! A request whose class queries the database opens its connections when
//! it gets a worker and holds them until it leaves: one to the primary
//! when it writes (or reads with no replica up), one to a read replica
//! (chosen round robin, and its reads go there) when it reads and a
//! replica is up; a colocated database takes one. A server already at
//! `max_connections` refuses, and the request fails at once as
//! `ErrorCause::DbConnections`.
//!
//! A read that misses the cache, and every write, makes one I/O on its
//! server's volume: a single FIFO server of deterministic service `1 /
//! IOPS` (the volume's rate limit, gp2's burst while its credits last)
//! followed by the I/O's latency, which holds nothing. FIFO with a
//! deterministic service needs no event of its own for the server: the
//! I/O starts at `max(now, free_at)`.

use super::{At, DbRt, Event, Job, Observer, WebModel};
use crate::engine::{Scheduler, StreamRng};
use crate::spec::{Database, DbPlacement, IoCredits, Storage};
use crate::time::{SimDuration, SimTime};
use rand::RngExt;

/// Connections a request holds (bits).
pub(super) const CONN_PRIMARY: u8 = 1;
pub(super) const CONN_REPLICA: u8 = 2;

/// One server's volume.
#[derive(Debug)]
pub(super) struct Volume {
    baseline: f64,
    burst: f64,
    credits: Option<IoCredits>,
    /// When the volume's rate limiter is next free.
    free_at: SimTime,
    /// Credits counted up to.
    last: SimTime,
    latency: SimDuration,
}

impl Volume {
    fn new(s: &Storage, start: SimTime) -> Volume {
        Volume {
            baseline: s.baseline_iops(),
            burst: s.burst_iops().unwrap_or(s.baseline_iops()),
            credits: IoCredits::of(s),
            free_at: start,
            last: start,
            latency: SimDuration::from_secs_f64(s.latency_secs),
        }
    }

    /// One I/O arriving at `now`: when it completes, and how long it held
    /// the volume.
    fn io(&mut self, now: SimTime) -> (SimTime, SimDuration) {
        let start = if self.free_at > now {
            self.free_at
        } else {
            now
        };
        let rate = match &mut self.credits {
            Some(c) => {
                // Earned since the last I/O; this one spends a credit.
                let secs = (start - self.last).as_secs_f64();
                c.advance(0.0, secs);
                self.last = start;
                if c.balance >= 1.0 {
                    c.balance -= 1.0;
                    self.burst
                } else {
                    self.baseline
                }
            }
            None => self.baseline,
        };
        let service = SimDuration::from_secs_f64(1.0 / rate);
        self.free_at = start + service;
        (self.free_at + self.latency, service)
    }
}

/// The database's connections and volumes for one window.
#[derive(Debug)]
pub(super) struct DbCap {
    /// Connections open at each server (one entry when colocated).
    pub(super) open: Vec<u32>,
    /// Connections each server accepts (primary first).
    pub(super) limits: Vec<u32>,
    /// Share of reads answered from each server's cache (primary first).
    hit: Vec<f64>,
    /// One per RDS server, when the storage is modelled.
    volumes: Vec<Volume>,
    next_replica: u32,
    rng: StreamRng,
}

impl DbCap {
    pub(super) fn new(d: &Database, servers: usize, start: SimTime, rng: StreamRng) -> DbCap {
        let volumes = match (&d.placement, d.storage_model()) {
            (DbPlacement::Rds(_), Some((_, s))) => {
                (0..servers).map(|_| Volume::new(&s, start)).collect()
            }
            (DbPlacement::Colocated, Some((_, s))) => vec![Volume::new(&s, start)],
            _ => Vec::new(),
        };
        let n = servers.max(1);
        let primary_hit = d.storage_model().map_or(1.0, |(h, _)| h);
        let replica_hit = d.replica_storage_model().map_or(1.0, |(h, _)| h);
        DbCap {
            open: vec![0; n],
            limits: (0..n)
                .map(|k| {
                    if k == 0 {
                        d.max_connections
                    } else {
                        d.replica_max_connections()
                    }
                })
                .collect(),
            hit: (0..n)
                .map(|k| if k == 0 { primary_hit } else { replica_hit })
                .collect(),
            volumes,
            next_replica: 0,
            rng,
        }
    }
}

impl<O: Observer> WebModel<'_, O> {
    /// Opens request `id`'s connections; `false` (nothing opened) when a
    /// server it needs is at its limit.
    pub(super) fn connect(&mut self, id: u32, now: SimTime) -> bool {
        let req = self.requests[id as usize];
        let (reads, writes) = (req.reads_left, req.writes_left);
        let Some(db) = &mut self.db else { return true };
        if reads + writes == 0 {
            return true;
        }
        let (mut want, mut replica) = (0u8, None);
        if db.colocated {
            want = CONN_PRIMARY;
        } else {
            let replicas = db.servers.len() as u32 - 1;
            if reads > 0 && replicas > 0 && !super::network::reads_to_primary(&db.net, writes) {
                let start = db.cap.next_replica;
                replica = (0..replicas)
                    .map(|j| (start + j) % replicas)
                    .find(|&r| db.up[1 + r as usize]);
            }
            if writes > 0 || (reads > 0 && replica.is_none()) {
                want |= CONN_PRIMARY;
            }
            if replica.is_some() {
                want |= CONN_REPLICA;
            }
        }
        let full = |k: usize| db.cap.open[k] >= db.cap.limits[k];
        if (want & CONN_PRIMARY != 0 && full(0)) || replica.is_some_and(|r| full(1 + r as usize)) {
            return false;
        }
        let mut opened = 0;
        if want & CONN_PRIMARY != 0 {
            db.cap.open[0] += 1;
            opened += 1;
        }
        if let Some(r) = replica {
            let replicas = db.servers.len() as u32 - 1;
            db.cap.next_replica = (r + 1) % replicas;
            db.cap.open[1 + r as usize] += 1;
            opened += 1;
        }
        let req = &mut self.requests[id as usize];
        req.conns = want;
        req.replica = replica.map_or(0, |r| r + 1);
        self.observer.connections_changed(now, opened);
        true
    }

    /// Closes request `id`'s connections (idempotent).
    pub(super) fn disconnect(&mut self, id: u32, now: SimTime) {
        let req = &mut self.requests[id as usize];
        let (conns, replica) = (req.conns, req.replica);
        req.conns = 0;
        let Some(db) = &mut self.db else { return };
        let mut closed = 0;
        if conns & CONN_PRIMARY != 0 {
            db.cap.open[0] -= 1;
            closed += 1;
        }
        if conns & CONN_REPLICA != 0 && replica > 0 {
            db.cap.open[replica as usize] -= 1;
            closed += 1;
        }
        if closed > 0 {
            self.observer.connections_changed(now, -closed);
        }
    }

    /// A request refused a connection leaves at once, without a worker.
    pub(super) fn refuse(&mut self, id: u32, now: SimTime) {
        let req = self.requests[id as usize];
        self.free(id);
        self.observer.left_origin(req.arrived, now);
        self.instances[req.instance as usize].outstanding -= 1;
        let latency = req.extra;
        self.fleet.note_latency(latency);
        let outcome = super::Outcome::Error(super::ErrorCause::DbConnections);
        self.observer
            .finished(req.arrived, now, latency, outcome, req.class, req.route);
    }

    /// After its query's CPU service at `at`: whether request `id` makes an
    /// I/O there, and if so, schedules its end and returns `true`.
    pub(super) fn storage_io(&mut self, id: u32, at: At, sched: &mut Scheduler<Event>) -> bool {
        let req = self.requests[id as usize];
        let Some(db) = &mut self.db else { return false };
        if db.cap.volumes.is_empty() || req.job == Job::Cpu {
            return false;
        }
        let k = match at {
            At::Db(k) => k as usize,
            At::Instance(_) => 0,
        };
        let miss = req.job == Job::Write || db.cap.rng.random::<f64>() >= db.cap.hit[k];
        if !miss {
            return false;
        }
        let now = sched.now();
        let (done, service) = db.cap.volumes[k].io(now);
        self.observer.storage_io(now, k as u32, service);
        self.requests[id as usize].io = true;
        let generation = self.requests[id as usize].generation;
        sched.schedule_at(done, Event::IoDone(id, generation));
        true
    }
}

/// Reads of a request with a replica connection go to that replica while
/// it is up.
pub(super) fn sticky_replica(db: &DbRt, replica: u32) -> Option<u32> {
    (replica > 0 && db.up.get(replica as usize).copied().unwrap_or(false)).then_some(replica - 1)
}
