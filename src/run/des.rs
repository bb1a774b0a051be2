//! One window through the discrete-event model.

use crate::engine::{RngStreams, Simulation};
use crate::error::Error;
use crate::metrics::{
    Balance, Fate, Frame, Intervals, ThrottledBy, WindowCollector, WindowSummary,
};
use crate::model::{
    Capacity, CreditReading, Event, FleetLevels, LambdaLimit, Observer, Outcome, Route, SlRecord,
    SlService, Tier, WebModel,
};
use crate::spec::{Checkpoint, CreditMode, DbPlacement, InstanceSpec, Scenario};
use crate::time::{SimDuration, SimTime};

impl Observer for WindowCollector {
    #[inline(always)]
    fn arrival(&mut self, now: SimTime, class: u16, route: Route) {
        WindowCollector::arrival(self, now, usize::from(class), route);
    }

    #[inline(always)]
    fn finished(
        &mut self,
        arrived: SimTime,
        done: SimTime,
        latency: SimDuration,
        outcome: Outcome,
        class: u16,
        route: Route,
    ) {
        let fate = match outcome {
            Outcome::Served => Fate::Served,
            Outcome::Dropped => Fate::Dropped,
            Outcome::TimedOut => Fate::TimedOut,
            Outcome::Error(cause) => Fate::Error(cause),
            Outcome::Throttled => Fate::Throttled,
        };
        WindowCollector::finished(
            self,
            arrived,
            done,
            latency,
            fate,
            usize::from(class),
            route,
        );
    }

    #[inline]
    fn busy_changed(&mut self, now: SimTime, tier: Tier, delta: i32) {
        match tier {
            Tier::Web => self.web_busy(now, delta),
            Tier::Db => self.db_busy(now, delta),
        }
    }

    fn credits(&mut self, now: SimTime, tier: Tier, index: u32, r: CreditReading) {
        let b = Balance {
            credits: r.balance,
            net_per_sec: r.net_per_sec,
            min: r.min,
            max: r.max,
        };
        match tier {
            Tier::Web => self.web_credits(now, index as usize, b),
            Tier::Db => self.db_credits(now, index as usize, b),
        }
    }

    #[inline]
    fn throttled_changed(&mut self, now: SimTime, tier: Tier, delta: i32) {
        match tier {
            Tier::Web => self.web_throttled(now, delta),
            Tier::Db => self.db_throttled(now, delta),
        }
    }

    #[inline]
    fn entered_origin(&mut self, now: SimTime) {
        WindowCollector::entered_origin(self, now);
    }

    #[inline]
    fn left_origin(&mut self, arrived: SimTime, now: SimTime) {
        WindowCollector::left_origin(self, arrived, now);
    }

    #[inline]
    fn worker_queue_changed(&mut self, now: SimTime, delta: i32) {
        self.worker_queue(now, delta);
    }

    #[inline]
    fn connections_changed(&mut self, now: SimTime, delta: i32) {
        self.connections(now, delta);
    }

    #[inline]
    fn storage_io(&mut self, now: SimTime, server: u32, service: SimDuration) {
        WindowCollector::storage_io(self, now, server as usize, service);
    }

    #[inline]
    fn db_server_service(&mut self, now: SimTime, server: u32, service: SimDuration) {
        self.db_server_service(now, server as usize, service);
    }

    fn fleet(&mut self, now: SimTime, l: FleetLevels) {
        WindowCollector::fleet(
            self,
            now,
            [
                l.in_service,
                l.launching,
                l.draining,
                l.serving,
                l.db_servers,
            ],
        );
    }

    fn sessions_lost(&mut self, now: SimTime, sessions: f64) {
        WindowCollector::sessions_lost(self, now, sessions);
    }

    #[inline]
    fn db_server_busy(&mut self, from: SimTime, server: u32, span: SimDuration, threads: u32) {
        self.db_server_threads(from, server as usize, span, threads);
    }

    #[inline]
    fn lambda_busy(&mut self, now: SimTime, delta: i32) {
        if let Some(t) = self.serverless_mut() {
            t.busy(now, delta);
        }
    }

    fn serverless(&mut self, now: SimTime, record: SlRecord) {
        let Some(t) = self.serverless_mut() else {
            return;
        };
        match record {
            SlRecord::Throttled {
                arrived,
                service,
                limit,
            } => {
                let by = match (service, limit) {
                    (SlService::ApiGateway, _) => ThrottledBy::ApiGateway,
                    (SlService::Lambda, Some(LambdaLimit::ScalingRate)) => {
                        ThrottledBy::LambdaScaling
                    }
                    (SlService::Lambda, _) => ThrottledBy::LambdaConcurrency,
                    (SlService::DynamoDb, _) => ThrottledBy::DynamoDb,
                };
                t.throttled(arrived, by);
            }
            SlRecord::Invocation {
                arrived,
                cold,
                billed,
                provisioned,
            } => t.invocation(arrived, cold, billed, provisioned),
            SlRecord::Units { wcu, rcu } => t.units(now, wcu, rcu),
            SlRecord::StreamInvocation { billed } => t.stream_invocation(now, billed),
            SlRecord::FirehoseRecord { billed_bytes } => t.firehose_record(now, billed_bytes),
        }
    }

    fn s3_object(&mut self, now: SimTime, arrivals: &[SimTime], bytes: u64) {
        if let Some(t) = self.serverless_mut() {
            t.s3_object(now, arrivals, bytes);
        }
    }
}

/// Simulates one window of `cp` with `streams`; the second value is the
/// number of events handled.
pub(crate) fn des_window(
    s: &Scenario,
    cp: &Checkpoint,
    streams: &RngStreams,
) -> Result<(WindowSummary, u64), Error> {
    let end = cp.start + cp.window;
    let measure_from = cp.start + cp.warmup;
    let mut collector = WindowCollector::new(cp.start, cp.window, cp.warmup, frame(s, cp));
    if let Some(sl) = &s.serverless {
        let stream_mb = sl.pipeline.as_ref().map_or(128, |p| p.memory_mb);
        collector = collector.with_serverless(sl.lambda.memory_mb, stream_mb);
    }
    let mut model = WebModel::new(s, cp, streams, collector);
    let first = model.start(cp.start);
    let fleet_events = model.fleet_events();
    let mut sim = Simulation::new(model, cp.start);
    if let Some(t) = first {
        sim.schedule_at(t, Event::Arrival);
    }
    for (t, e) in fleet_events {
        sim.schedule_at(t, e);
    }
    sim.run_until(end);
    let events = sim.events_handled();
    let model = sim.into_model();
    let inside = model.inside_since(measure_from);
    let window = model.into_observer().finish();
    let counts = window.counts;
    if inside + window.in_transit != counts.in_flight() {
        return Err(Error::Internal(format!(
            "checkpoint {}: {} requests unaccounted for (arrived {}, finished {}, inside {}, in transit {})",
            cp.index,
            counts.in_flight() as i128 - (inside + window.in_transit) as i128,
            counts.requests,
            counts.finished(),
            inside,
            window.in_transit
        )));
    }
    Ok((window, events))
}

/// What the DES measures checkpoint `cp` against.
pub fn frame(s: &Scenario, cp: &Checkpoint) -> Frame {
    let capacity = Capacity::opening(s, cp);
    let baseline = |i: &InstanceSpec| {
        i.burst
            .filter(|b| b.mode == CreditMode::Standard)
            .map_or(1.0, |b| b.baseline)
    };
    let db = s.database.as_ref();
    let (db_stations, db_station_vcpus, db_replica_vcpus) =
        match db.and_then(|d| d.primary_class().zip(d.replica_class())) {
            Some((p, r)) => (1 + db.map_or(0, |d| d.read_replicas), p.vcpus, r.vcpus),
            None => (0, 0, 0),
        };
    Frame {
        classes: s.traffic.mix.len(),
        web_workers: s.web.workers.saturating_mul(capacity.web_instances),
        db_stations,
        db_station_vcpus,
        db_replica_vcpus,
        web_instances: capacity.web_instances,
        web_vcpus: capacity.web_vcpus,
        db_servers: capacity.db_servers,
        web_baseline: baseline(&s.web.instance),
        // The throttled servers' baseline: the primary's class's, or the
        // replicas' when only theirs is burstable.
        db_baseline: match s.database.as_ref().map(|d| &d.placement) {
            Some(DbPlacement::Rds(i)) => match db.and_then(|d| d.distinct_replica_class()) {
                Some(r) if baseline(i) >= 1.0 => baseline(r),
                _ => baseline(i),
            },
            Some(DbPlacement::Colocated) => baseline(&s.web.instance),
            None => 1.0,
        },
        intervals: Intervals::new(
            cp.start + cp.warmup,
            cp.start + cp.window,
            s.simulation.slo.over.every(),
        ),
        confidence: s.simulation.confidence(),
    }
}
