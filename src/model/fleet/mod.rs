//! Instances that come and go while requests are in flight: the auto
//! scaling group, faults (AZ outages, random instance failures, the DB
//! primary and replicas), the load balancer's health checks and RDS
//! Multi-AZ failover.
//!
//! An instance's life: `Launching` (billed, not yet serving) → `InService`
//! → `Draining` (deregistered, finishing its own requests) → `Gone`; or
//! `Down` when it fails, from which it restarts (a fixed fleet) or is
//! replaced (auto scaling). The load balancer routes to instances it has
//! registered and seen healthy: a dead one keeps receiving requests until
//! `unhealthy_threshold` checks in a row fail, a restarted one waits for
//! `healthy_threshold` passes. With no healthy target it fails open and
//! sends to every registered one, as ALB does.

mod faults;
mod scaling;

use super::{At, Event, Instance, Outcome, Station, WebModel};
use crate::engine::{RngStreams, Scheduler, StreamRng};
use crate::route::ErrorCause;
use crate::spec::{
    Autoscaling, Checkpoint, DbPlacement, FaultKind, HealthCheck, RateProfile, ScalingMetric,
    Scenario, Scheduling, Sessions,
};
use crate::time::{SimDuration, SimTime};
use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use std::collections::VecDeque;

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Life {
    /// Requested, booting: billed, not serving.
    Launching,
    /// Serving (when the load balancer routes to it).
    InService,
    /// Deregistered: finishes its requests, takes no new ones.
    Draining,
    /// Failed.
    Down,
    /// Terminated: the slot is unused.
    Gone,
}

/// Fleet events. Those naming an instance carry its incarnation: one left
/// over from an earlier life of the slot is ignored.
#[derive(Clone, Copy, Debug)]
pub enum FleetEvent {
    /// A metric period ends: the scaling policy decides.
    Tick,
    /// A launched instance comes into service.
    InService(u32, u32),
    /// The load balancer's checks have marked a dead instance unhealthy.
    HealthDown(u32, u32),
    /// The load balancer's checks have marked a restarted instance healthy.
    HealthUp(u32, u32),
    /// A draining instance's deregistration delay is over.
    DrainEnd(u32, u32),
    /// A random instance failure.
    Fail(u32, u32),
    /// A failed instance of a fixed fleet is back.
    Repair(u32, u32),
    /// Fault `.0` of the scenario starts.
    FaultStart(u16),
    /// Fault `.0` ends.
    FaultEnd(u16),
    /// The Multi-AZ standby has taken over as primary.
    Failover,
}

/// The fleet as the metrics see it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FleetLevels {
    /// Instances in service (serving or able to, not draining).
    pub in_service: u32,
    /// Instances launching.
    pub launching: u32,
    /// Instances draining.
    pub draining: u32,
    /// Instances alive and holding requests (in service or draining, not down).
    pub serving: u32,
    /// DB servers up (vCPUs of the primary and replicas; 0 colocated or without a DB).
    pub db_servers: u32,
}

/// What changes the fleet during one window.
#[derive(Debug)]
pub(super) struct Fleet<'a> {
    s: &'a Scenario,
    profile: RateProfile<'a>,
    users: Option<f64>,
    start: SimTime,
    end: SimTime,
    az_down: Vec<bool>,
    health: Option<HealthCheck>,
    scaling: Option<&'a Autoscaling>,
    /// The metric's values, one per period with a warm instance.
    history: Vec<f64>,
    /// The group's desired capacity: losses leave it, the policy moves it.
    pub(super) desired: u32,
    /// Instances launched to rebalance the AZs, each with one to drain
    /// once it is in service.
    pub(super) rebalancing: u32,
    cooling_until: SimTime,
    period_start: SimTime,
    /// Latencies of the period's responses, log buckets (latency metric only).
    latencies: Vec<u32>,
    /// Faults with their absolute start and end in this window.
    faults: Vec<(SimTime, SimTime, &'a FaultKind)>,
    /// Random instance failures: mean time between failures and to repair.
    failures: Option<(SimDuration, SimDuration)>,
    rng_faults: StreamRng,
    rng_health: StreamRng,
    /// The AZ (index) of the primary and of the standby (Multi-AZ).
    primary_az: u16,
    standby_az: Option<u16>,
    replica_az: Vec<u16>,
    /// The primary is down and the standby is taking over.
    failing_over: bool,
    /// Busy vCPU time is counted per instance (the CPU metric).
    pub(super) track_cpu: bool,
}

/// Log buckets of the latency metric: 4% wide from 10 microseconds.
const BUCKETS: usize = 512;
const BUCKET_BASE: f64 = 1e-5;
const BUCKET_RATIO: f64 = 1.04;

fn bucket_of(secs: f64) -> usize {
    if secs <= BUCKET_BASE {
        return 0;
    }
    ((secs / BUCKET_BASE).ln() / BUCKET_RATIO.ln())
        .ceil()
        .min((BUCKETS - 1) as f64) as usize
}

impl<'a> Fleet<'a> {
    pub(super) fn new(
        s: &'a Scenario,
        cp: &Checkpoint,
        streams: &RngStreams,
        opening: u32,
    ) -> Self {
        let az_index = |name: &str| -> u16 { s.az_index(name) as u16 };
        let profile = RateProfile::new(s, cp);
        let end = cp.start + cp.window;
        let faults = s
            .fault_spans(cp)
            .into_iter()
            .map(|f| (f.from, f.until, f.kind))
            .collect();
        let failures = s.instance_failures();
        let (multi_az, replicas) = s
            .database
            .as_ref()
            .map_or((false, 0), |d| (d.multi_az, d.read_replicas));
        let scaling = s.web.autoscaling.as_ref();
        Fleet {
            s,
            profile,
            users: cp.users,
            start: cp.start,
            end,
            az_down: vec![false; s.web.azs.len().max(1)],
            health: s.load_balancer.as_ref().map(|lb| lb.health_check),
            scaling,
            history: Vec::new(),
            desired: opening,
            rebalancing: 0,
            cooling_until: cp.start,
            period_start: cp.start,
            latencies: if scaling.is_some_and(|a| a.metric == ScalingMetric::LatencyP99) {
                vec![0; BUCKETS]
            } else {
                Vec::new()
            },
            faults,
            failures,
            rng_faults: streams.stream("faults"),
            rng_health: streams.stream("load_balancer.health_check"),
            primary_az: az_index(s.db_primary_az()),
            standby_az: multi_az.then(|| az_index(s.db_standby_az())),
            replica_az: (0..replicas)
                .map(|k| az_index(s.db_replica_az(k)))
                .collect(),
            failing_over: false,
            track_cpu: scaling.is_some_and(|a| a.metric == ScalingMetric::Cpu),
        }
    }

    /// Notes a response's latency for the latency metric.
    #[inline]
    pub(super) fn note_latency(&mut self, latency: SimDuration) {
        if !self.latencies.is_empty() {
            self.latencies[bucket_of(latency.as_secs_f64())] += 1;
        }
    }

    fn latency_p99(&mut self) -> Option<f64> {
        let n: u64 = self.latencies.iter().map(|&c| u64::from(c)).sum();
        if n == 0 {
            return None;
        }
        let rank = (0.99 * n as f64).ceil() as u64;
        let mut seen = 0;
        let mut out = None;
        for (b, c) in self.latencies.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                out = Some(BUCKET_BASE * BUCKET_RATIO.powi(b as i32));
                break;
            }
        }
        self.latencies.iter_mut().for_each(|c| *c = 0);
        out
    }

    /// Users with a local session right now, over the whole fleet.
    fn sessions(&self, now: SimTime) -> f64 {
        let Some(users) = self.users.filter(|u| *u > 0.0) else {
            return 0.0;
        };
        if self.s.web.sessions != Sessions::Local {
            return 0.0;
        }
        crate::spec::logged_in(users, self.profile.rate(now))
    }

    /// The next health check of an instance at or after `t`: each instance
    /// is checked every `interval` from a phase of its own.
    fn next_check(&mut self, t: SimTime, interval: SimDuration) -> SimTime {
        let phase = self.rng_health.random_range(0..interval.0.max(1));
        let since = t.0.saturating_sub(self.start.0 + phase);
        let k = since.div_ceil(interval.0.max(1));
        SimTime(self.start.0 + phase + k * interval.0)
    }
}

impl Instance {
    pub(super) fn new(s: &Scenario, az: u16, life: Life, now: SimTime) -> Instance {
        Instance {
            free_workers: s.web.workers,
            waiting: VecDeque::new(),
            cpu: Station::shared(
                s.web.instance.curve(s.web.scaling),
                s.web.cpu_scheduling == Scheduling::ProcessorSharing,
            ),
            outstanding: 0,
            life,
            az,
            routed: life == Life::InService,
            incarnation: 0,
            warm_at: now,
            busy_ns: 0,
            busy_since: now,
            period_requests: 0,
        }
    }

    /// Counts busy vCPU time up to `now` (before its busy count changes).
    #[inline]
    pub(super) fn count_busy(&mut self, now: SimTime) {
        let busy = self.cpu.busy.min(self.cpu.servers);
        self.busy_ns += u128::from(busy) * u128::from((now - self.busy_since).0);
        self.busy_since = now;
    }
}

impl<O: super::Observer> WebModel<'_, O> {
    /// The fleet events to schedule before the first arrival.
    pub fn fleet_events(&mut self) -> Vec<(SimTime, Event)> {
        let mut out = Vec::new();
        if let Some(a) = self.fleet.scaling {
            out.push((self.fleet.start + a.period, Event::Fleet(FleetEvent::Tick)));
        }
        for (k, (at, until, _)) in self.fleet.faults.iter().enumerate() {
            out.push((*at, Event::Fleet(FleetEvent::FaultStart(k as u16))));
            out.push((*until, Event::Fleet(FleetEvent::FaultEnd(k as u16))));
        }
        for i in 0..self.instances.len() as u32 {
            if let Some(e) = self.draw_failure(i, self.fleet.start) {
                out.push(e);
            }
        }
        self.report_fleet(self.fleet.start);
        out
    }

    /// A random failure of instance `i` after `now`, if it falls in the window.
    fn draw_failure(&mut self, i: u32, now: SimTime) -> Option<(SimTime, Event)> {
        let (mtbf, _) = self.fleet.failures?;
        let gap: f64 = Exp1.sample(&mut self.fleet.rng_faults);
        let at = now + SimDuration::from_secs_f64(gap * mtbf.as_secs_f64());
        let inc = self.instances[i as usize].incarnation;
        (at < self.fleet.end).then_some((at, Event::Fleet(FleetEvent::Fail(i, inc))))
    }

    /// Recomputes the load balancer's targets and tells the observer.
    pub(super) fn fleet_changed(&mut self, now: SimTime) {
        self.targets.clear();
        if self.lb.is_none() {
            // No load balancer: requests go to the one instance whatever its state.
            self.targets.extend(
                (0..self.instances.len() as u32)
                    .filter(|&i| self.instances[i as usize].life != Life::Gone)
                    .take(1),
            );
        } else {
            // Registered: in service, or dead without the group knowing.
            let registered = |i: &Instance| matches!(i.life, Life::InService | Life::Down);
            // Healthy as the checks last saw it (a dead one until detected).
            let healthy = |i: &Instance| i.routed && registered(i);
            let any_healthy = self.instances.iter().any(healthy);
            // Fail open: with no healthy target, every registered one.
            for (k, inst) in self.instances.iter().enumerate() {
                if (any_healthy && healthy(inst)) || (!any_healthy && registered(inst)) {
                    self.targets.push(k as u32);
                }
            }
        }
        if self.next_instance as usize >= self.targets.len() {
            self.next_instance = 0;
        }
        self.report_fleet(now);
    }

    fn report_fleet(&mut self, now: SimTime) {
        let mut l = FleetLevels::default();
        for i in &self.instances {
            match i.life {
                Life::InService => {
                    l.in_service += 1;
                    l.serving += 1;
                }
                Life::Launching => l.launching += 1,
                Life::Draining => {
                    l.draining += 1;
                    l.serving += 1;
                }
                Life::Down | Life::Gone => {}
            }
        }
        l.db_servers = match (
            &self.db,
            self.fleet.s.database.as_ref().map(|d| &d.placement),
        ) {
            (Some(db), Some(DbPlacement::Rds(_))) => {
                let d = self.fleet.s.database.as_ref();
                db.up
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| **u)
                    .filter_map(|(k, _)| d.and_then(|d| d.server_class(k)))
                    .map(|c| c.vcpus)
                    .sum()
            }
            (Some(_), Some(DbPlacement::Colocated)) => l.serving * self.fleet.s.web.instance.vcpus,
            _ => 0,
        };
        self.observer.fleet(now, l);
    }

    /// Handles a fleet event.
    #[inline(never)]
    pub(super) fn on_fleet(&mut self, e: FleetEvent, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        // The life of instance `i` if the event is for its current incarnation.
        let life = |m: &Self, i: u32, inc: u32| {
            m.instances
                .get(i as usize)
                .filter(|x| x.incarnation == inc)
                .map(|x| x.life)
        };
        match e {
            FleetEvent::Tick => self.on_tick(sched),
            FleetEvent::InService(i, inc) if life(self, i, inc) == Some(Life::Launching) => {
                let warmup = self.fleet.scaling.map_or(SimDuration::ZERO, |a| a.warmup);
                let inst = &mut self.instances[i as usize];
                inst.life = Life::InService;
                inst.routed = true;
                inst.warm_at = now + warmup;
                inst.busy_since = now;
                if let Some(e) = self.draw_failure(i, now) {
                    sched.schedule_at(e.0, e.1);
                }
                self.fleet_changed(now);
                if self.fleet.rebalancing > 0
                    && let Some(a) = self.fleet.scaling
                {
                    // Rebalancing: the new one serves, an old one goes.
                    self.fleet.rebalancing -= 1;
                    self.drain_fullest(now, a, sched);
                }
            }
            FleetEvent::HealthDown(i, inc) if life(self, i, inc) == Some(Life::Down) => {
                self.instances[i as usize].routed = false;
                if self.fleet.scaling.is_some() {
                    // The group replaces an unhealthy instance.
                    self.instances[i as usize].life = Life::Gone;
                    self.instances[i as usize].incarnation += 1;
                    self.fleet_changed(now);
                    self.reconcile(now, sched);
                } else {
                    self.fleet_changed(now);
                }
            }
            FleetEvent::HealthUp(i, inc) if life(self, i, inc) == Some(Life::InService) => {
                self.instances[i as usize].routed = true;
                self.fleet_changed(now);
            }
            FleetEvent::DrainEnd(i, inc) if life(self, i, inc) == Some(Life::Draining) => {
                // Whatever is still running is cut off.
                self.kill(i, now, sched);
                self.retire(i, now);
            }
            FleetEvent::Fail(i, inc) if life(self, i, inc) == Some(Life::InService) => {
                self.kill(i, now, sched);
                if self.fleet.scaling.is_none()
                    && let Some((_, mttr)) = self.fleet.failures
                {
                    let inc = self.instances[i as usize].incarnation;
                    sched.schedule_at(now + mttr, Event::Fleet(FleetEvent::Repair(i, inc)));
                }
            }
            FleetEvent::Repair(i, inc)
                if life(self, i, inc) == Some(Life::Down)
                    && !self.fleet.az_down[self.instances[i as usize].az as usize] =>
            {
                self.restart(i, now, sched);
            }
            FleetEvent::FaultStart(k) => self.fault_start(k as usize, sched),
            FleetEvent::FaultEnd(k) => self.fault_end(k as usize, sched),
            FleetEvent::Failover if self.fleet.failing_over => {
                self.fleet.failing_over = false;
                if let Some(standby) = self.fleet.standby_az {
                    // The old primary's AZ holds the new standby.
                    let old = self.fleet.primary_az;
                    self.fleet.primary_az = standby;
                    self.fleet.standby_az = Some(old);
                }
                self.set_db_up(0, true, now);
            }
            _ => {}
        }
    }

    /// Instance `i` dies at `now`: its requests fail, its sessions are lost.
    pub(super) fn kill(&mut self, i: u32, now: SimTime, sched: &mut Scheduler<Event>) {
        let idx = i as usize;
        if !matches!(
            self.instances[idx].life,
            Life::InService | Life::Draining | Life::Launching
        ) {
            return;
        }
        let was_serving = self.instances[idx].life != Life::Launching;
        self.instances[idx].count_busy(now);
        let queued: Vec<u32> = self.instances[idx].cpu.queue.iter().copied().collect();
        let waiting = self.instances[idx].waiting.len() as i32;
        if waiting > 0 {
            self.observer.worker_queue_changed(now, -waiting);
        }
        // Its requests, in one pass: those waiting for a worker, queued at
        // its vCPUs, in service there, or away at the database.
        let waiting: Vec<u32> = self.instances[idx].waiting.iter().copied().collect();
        let mut in_service = Vec::new();
        let mut victims = Vec::new();
        for id in 0..self.requests.len() as u32 {
            let req = self.requests[id as usize];
            if !req.live || req.orphan || req.instance != i {
                continue;
            }
            let held = waiting.contains(&id);
            // In service on this instance's vCPUs: the server stops.
            if req.at == At::Instance(i) && !req.io && !held && !queued.contains(&id) {
                in_service.push(id);
            }
            victims.push((id, held));
        }
        self.clear_station(At::Instance(i), now, &in_service);
        for (id, held) in victims {
            let req = self.requests[id as usize];
            self.disconnect(id, now);
            self.observer.left_origin(req.arrived, now);
            self.observer.finished(
                req.arrived,
                now,
                SimDuration::ZERO,
                Outcome::Error(ErrorCause::InstanceDown),
                req.class,
                req.route,
            );
            if matches!(req.at, At::Db(_)) && !held {
                // Its query finishes on the database, then it vanishes.
                self.requests[id as usize].orphan = true;
            } else {
                self.free(id);
            }
        }
        let s = self.fleet.s;
        let inst = &mut self.instances[idx];
        inst.waiting.clear();
        inst.free_workers = s.web.workers;
        inst.outstanding = 0;
        inst.life = Life::Down;
        inst.incarnation += 1;
        if was_serving {
            self.lose_sessions(now);
        }
        if let (Some(h), true) = (self.fleet.health, self.instances[idx].routed) {
            let first = self.fleet.next_check(now, h.interval);
            let at = first + SimDuration(h.interval.0 * u64::from(h.unhealthy_threshold - 1));
            let inc = self.instances[idx].incarnation;
            sched.schedule_at(at, Event::Fleet(FleetEvent::HealthDown(i, inc)));
        }
        self.fleet_changed(now);
    }

    /// Frees request slot `id`; a completion still scheduled for it is stale.
    pub(super) fn free(&mut self, id: u32) {
        let r = &mut self.requests[id as usize];
        r.live = false;
        r.orphan = false;
        r.generation = r.generation.wrapping_add(1);
        self.free_slots.push(id);
    }

    /// Local sessions on one of the serving instances are lost.
    fn lose_sessions(&mut self, now: SimTime) {
        let serving = self
            .instances
            .iter()
            .filter(|i| matches!(i.life, Life::InService | Life::Draining))
            .count()
            + 1;
        let lost = self.fleet.sessions(now) / serving as f64;
        if lost > 0.0 {
            self.observer.sessions_lost(now, lost);
        }
    }

    /// A failed instance boots again (in service; the load balancer routes
    /// to it again after `healthy_threshold` passed checks).
    fn restart(&mut self, i: u32, now: SimTime, sched: &mut Scheduler<Event>) {
        let idx = i as usize;
        let inst = &mut self.instances[idx];
        inst.life = Life::InService;
        inst.incarnation += 1;
        inst.busy_since = now;
        inst.warm_at = now;
        if let Some(c) = &mut inst.cpu.credits {
            c.update(now);
        }
        if !inst.routed
            && let Some(h) = self.fleet.health
        {
            let first = self.fleet.next_check(now, h.interval);
            let at = first + SimDuration(h.interval.0 * u64::from(h.healthy_threshold - 1));
            let inc = self.instances[idx].incarnation;
            sched.schedule_at(at, Event::Fleet(FleetEvent::HealthUp(i, inc)));
        }
        if let Some(e) = self.draw_failure(i, now) {
            sched.schedule_at(e.0, e.1);
        }
        self.fleet_changed(now);
    }

    /// Instance `i` is terminated: it stops costing money.
    pub(super) fn retire(&mut self, i: u32, now: SimTime) {
        let inst = &mut self.instances[i as usize];
        let serving = matches!(inst.life, Life::InService | Life::Draining);
        inst.life = Life::Gone;
        inst.routed = false;
        inst.incarnation += 1;
        if serving {
            self.lose_sessions(now);
        }
        self.fleet_changed(now);
    }

    /// A draining instance with nothing left to do is terminated.
    pub(super) fn drained(&mut self, i: u32, now: SimTime) {
        let inst = &self.instances[i as usize];
        if inst.life == Life::Draining && inst.outstanding == 0 {
            self.retire(i, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CreditReading, Observer, Outcome, Tier};
    use super::*;
    use crate::engine::Simulation;
    use crate::route::Route;
    use crate::spec::plan_checkpoints;

    struct Quiet;

    impl Observer for Quiet {
        fn arrival(&mut self, _: SimTime, _: u16, _: Route) {}
        fn finished(
            &mut self,
            _: SimTime,
            _: SimTime,
            _: SimDuration,
            _: Outcome,
            _: u16,
            _: Route,
        ) {
        }
        fn busy_changed(&mut self, _: SimTime, _: Tier, _: i32) {}
        fn throttled_changed(&mut self, _: SimTime, _: Tier, _: i32) {}
        fn credits(&mut self, _: SimTime, _: Tier, _: u32, _: CreditReading) {}
        fn entered_origin(&mut self, _: SimTime) {}
        fn left_origin(&mut self, _: SimTime, _: SimTime) {}
    }

    #[test]
    fn a_group_replaces_an_az_and_rebalances_when_it_comes_back() {
        // Nine instances over three AZs; AZ a is down from 10 to 30 minutes.
        let s = crate::scenario::parse(
            r#"
name = "rebalance"
[simulation]
window = "1h"
warmup = "1m"
[traffic]
rate = 90
[[traffic.mix]]
name = "page"
share = 1.0
web_cpu = "10ms"
[load_balancer]
health_check = { interval = "10s" }
[web]
instance = "m5.large"
count = 9
azs = ["a", "b", "c"]
[web.autoscaling]
policy = "scheduled"
schedule = [{ at = "0h", count = 9 }]
min = 1
max = 20
[[faults]]
kind = "az_outage"
az = "a"
at = "10m"
duration = "20m"
"#,
            "rebalance.toml",
        )
        .unwrap();
        let cp = &plan_checkpoints(&s)[0];
        let streams = RngStreams::new(1);
        let mut model = WebModel::new(&s, cp, &streams, Quiet);
        let first = model.start(cp.start);
        let events = model.fleet_events();
        let mut sim = Simulation::new(model, cp.start);
        if let Some(t) = first {
            sim.schedule_at(t, Event::Arrival);
        }
        for (t, e) in events {
            sim.schedule_at(t, e);
        }
        let per_az = |m: &WebModel<'_, Quiet>| {
            let mut n = [0u32; 3];
            for i in &m.instances {
                if i.life == Life::InService {
                    n[i.az as usize] += 1;
                }
            }
            n
        };
        sim.run_until(cp.start + SimDuration::from_secs(25 * 60));
        // The three in AZ a were replaced in b and c.
        assert_eq!(per_az(sim.model()), [0, 5, 4]);
        sim.run_until(cp.start + SimDuration::from_secs(45 * 60));
        // Back: launched in a first, then drained in b and c.
        assert_eq!(per_az(sim.model()), [3, 3, 3]);
        assert_eq!(sim.model().fleet.rebalancing, 0);
    }
}
