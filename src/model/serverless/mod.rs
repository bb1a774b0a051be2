//! The serverless path in the DES: API Gateway's token bucket, Lambda
//! execution environments, DynamoDB capacity, and the stream through a
//! second function and Firehose to S3 objects.
//!
//! ```text
//!  request ──► API Gateway token bucket ──429──► throttled
//!                 │
//!                 ▼ an idle environment (warm), or a new one (cold start)
//!              Lambda ──concurrency limit / scaling rate──► throttled
//!                 │ duration, then DynamoDB calls (token buckets, retries)
//!                 ▼
//!              answer ◄── environment idle, reclaimed after idle_timeout
//!                 │ (the write lands in the stream)
//!                 ▼ polled every 250 ms, batches of batch_size
//!              second Lambda ──► Firehose buffer ──size or interval──► S3 object
//! ```
//!
//! API Gateway's latency and the client's RTT hold no resource and are added
//! to the response, as the EC2 path does with its network delays.

mod pipeline;

use super::sampler::Sampler;
use super::{Event, Observer, Outcome, Route};
use crate::engine::{RngStreams, Scheduler, StreamRng};
use crate::spec::{API_GATEWAY_TIMEOUT, Checkpoint, RateProfile, Scenario, Serverless};
use crate::time::{SimDuration, SimTime};
use pipeline::PipelineRt;
use rand::RngExt;
use std::collections::VecDeque;

/// Events of the serverless path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlEvent {
    /// Request `.0` makes its DynamoDB calls (again, after a backoff).
    Dynamo(u32),
    /// Request `.0`'s function returns.
    Done(u32),
    /// The stream is polled.
    Poll,
    /// The records of poll batch `.0` reach Firehose.
    Delivered(u32),
    /// Firehose's buffer interval ends.
    Flush,
}

/// The service that refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlService {
    /// API Gateway's throttle (HTTP 429).
    ApiGateway,
    /// Lambda's concurrency limit or scaling rate.
    Lambda,
    /// DynamoDB capacity, after any retries.
    DynamoDb,
}

/// Lambda's two limits, for telling throttles apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LambdaLimit {
    /// The concurrency limit.
    Concurrency,
    /// New environments per 10 seconds.
    ScalingRate,
}

/// What the serverless path reports besides arrivals and fates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SlRecord {
    /// A request that arrived at `arrived` was refused by `service`.
    Throttled {
        /// Arrival time.
        arrived: SimTime,
        /// Who refused it.
        service: SlService,
        /// For Lambda, which limit.
        limit: Option<LambdaLimit>,
    },
    /// An invocation of the request function ended.
    Invocation {
        /// Arrival time of its request.
        arrived: SimTime,
        /// It started a new environment.
        cold: bool,
        /// Billed duration (init included, rounded up to 1 ms).
        billed: SimDuration,
        /// It ran on a provisioned-concurrency environment.
        provisioned: bool,
    },
    /// Capacity units consumed by a request's DynamoDB calls.
    Units {
        /// Write units.
        wcu: f64,
        /// Read units.
        rcu: f64,
    },
    /// One invocation of the stream function.
    StreamInvocation {
        /// Billed duration.
        billed: SimDuration,
    },
    /// A record put into Firehose.
    FirehoseRecord {
        /// Bytes billed (5 KB increments).
        billed_bytes: u64,
    },
}

/// A token bucket refilled at `rate` per second up to `capacity`.
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    capacity: f64,
    level: f64,
    last: SimTime,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub(crate) fn new(rate: f64, capacity: f64, now: SimTime) -> Self {
        TokenBucket {
            rate,
            capacity,
            level: capacity,
            last: now,
        }
    }

    /// Takes `n` tokens at `now` if there are that many.
    pub(crate) fn take(&mut self, now: SimTime, n: f64) -> bool {
        if now > self.last {
            let dt = (now - self.last).as_secs_f64();
            self.level = (self.level + dt * self.rate).min(self.capacity);
            self.last = now;
        }
        if self.level + 1e-9 >= n {
            self.level -= n;
            true
        } else {
            false
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct SlReq {
    arrived: SimTime,
    /// Network delay added to the response (RTT and API Gateway).
    extra: SimDuration,
    /// When the function started (its billed duration runs from here).
    start: SimTime,
    class: u16,
    cold: bool,
    provisioned: bool,
    /// DynamoDB attempts so far.
    attempts: u32,
    live: bool,
}

/// The serverless path's state for one window.
#[derive(Debug)]
pub(crate) struct ServerlessRt {
    share: f64,
    client_rtt: SimDuration,
    api_latency: Sampler,
    api: TokenBucket,
    duration: Sampler,
    cold_start: Sampler,
    idle_timeout: SimDuration,
    limit: u32,
    /// On-demand environments alive (busy or idle), provisioned ones apart.
    envs: u32,
    /// Idle on-demand environments, by the time they became idle (oldest first).
    idle: VecDeque<SimTime>,
    provisioned_idle: u32,
    provisioned: u32,
    busy: u32,
    window_start: SimTime,
    scale_per_10s: u32,
    slot: u64,
    created_in_slot: u32,
    wcu_per_request: f64,
    rcu_per_request: f64,
    writes: Option<TokenBucket>,
    reads: Option<TokenBucket>,
    calls: u32,
    dynamo_latency: Sampler,
    retries: u32,
    backoff: SimDuration,
    memory_mb: u32,
    requests: Vec<SlReq>,
    free: Vec<u32>,
    pipeline: Option<PipelineRt>,
    split: StreamRng,
    service: StreamRng,
}

/// The wait before retry `k` (1-based): `backoff * 2^(k-1)`.
fn doubling(backoff: SimDuration, k: u32) -> SimDuration {
    SimDuration(
        backoff
            .as_nanos()
            .saturating_mul(1u64 << k.saturating_sub(1).min(30)),
    )
}

/// Rounds a billed duration up to the next millisecond.
pub(super) fn billed(d: SimDuration) -> SimDuration {
    SimDuration(d.as_nanos().div_ceil(1_000_000) * 1_000_000)
}

impl ServerlessRt {
    /// The path of `s` (which has one) for checkpoint `cp`, with the
    /// environments a steady load at the window's start keeps warm.
    pub(crate) fn new(
        s: &Scenario,
        sl: &Serverless,
        cp: &Checkpoint,
        streams: &RngStreams,
    ) -> ServerlessRt {
        let start = cp.start;
        let d = &sl.dynamodb;
        let bucket = |rate: f64, needed: bool| {
            (needed && rate > 0.0).then(|| TokenBucket::new(rate, rate * d.burst_secs(), start))
        };
        let writes = bucket(d.wcu, d.writes_per_request > 0);
        let reads = bucket(d.rcu, d.reads_per_request > 0);
        // Environments alive at the window's start: those a steady load at
        // its starting rate keeps (the mean busy plus four standard
        // deviations of the Poisson number busy), so that a window does not
        // start from a cold, unscaled function.
        let rate = RateProfile::new(s, cp).rate(start) * sl.share;
        let busy = rate
            * (sl.lambda.duration.mean().as_secs_f64()
                + f64::from(d.calls()) * d.latency.mean().as_secs_f64());
        let warm = if busy > 0.0 {
            (busy + 4.0 * busy.sqrt()).ceil() as u32
        } else {
            0
        };
        let on_demand_room = sl.lambda.concurrency - sl.lambda.provisioned;
        let warm = warm
            .saturating_sub(sl.lambda.provisioned)
            .min(on_demand_room);
        let pipeline = sl.pipeline.as_ref().map(|p| PipelineRt::new(p, start));
        ServerlessRt {
            share: sl.share,
            client_rtt: s.traffic.client_rtt,
            api_latency: Sampler::new(&sl.api_gateway.latency),
            api: TokenBucket::new(sl.api_gateway.throttle_rps, sl.api_gateway.burst, start),
            duration: Sampler::new(&sl.lambda.duration),
            cold_start: Sampler::new(&sl.lambda.cold_start),
            idle_timeout: sl.lambda.idle_timeout,
            limit: sl.lambda.concurrency,
            envs: warm,
            idle: std::iter::repeat_n(start, warm as usize).collect(),
            provisioned_idle: sl.lambda.provisioned,
            provisioned: sl.lambda.provisioned,
            busy: 0,
            window_start: start,
            scale_per_10s: sl.lambda.scale_per_10s,
            slot: 0,
            created_in_slot: 0,
            wcu_per_request: d.wcu_per_request(),
            rcu_per_request: d.rcu_per_request(),
            writes,
            reads,
            calls: d.calls(),
            dynamo_latency: Sampler::new(&d.latency),
            retries: d.retries,
            backoff: d.backoff,
            memory_mb: sl.lambda.memory_mb,
            requests: Vec::new(),
            free: Vec::new(),
            pipeline,
            split: streams.stream("serverless"),
            service: streams.stream("serverless.service"),
        }
    }

    /// Whether the next request takes this path (drawn from its own stream).
    #[inline]
    pub(crate) fn takes(&mut self) -> bool {
        self.share >= 1.0 || (self.share > 0.0 && self.split.random::<f64>() < self.share)
    }

    /// Requests inside the path right now that arrived at or after `since`.
    pub(crate) fn inside_since(&self, since: SimTime) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.live && r.arrived >= since)
            .count() as u64
    }

    /// Memory of the request function, MB.
    pub(crate) fn memory_mb(&self) -> u32 {
        self.memory_mb
    }

    /// A request of `class` arrives at `now`.
    #[inline(never)]
    pub(crate) fn arrive<O: Observer>(
        &mut self,
        now: SimTime,
        class: u16,
        sched: &mut Scheduler<Event>,
        obs: &mut O,
    ) {
        let extra = self.client_rtt + self.api_latency.sample(&mut self.service);
        if !self.api.take(now, 1.0) {
            return self.refuse(now, now, extra, class, SlService::ApiGateway, None, obs);
        }
        let (cold, provisioned) = match self.acquire(now) {
            Ok(got) => got,
            Err(limit) => {
                return self.refuse(now, now, extra, class, SlService::Lambda, Some(limit), obs);
            }
        };
        self.busy += 1;
        obs.lambda_busy(now, 1);
        let mut run = self.duration.sample(&mut self.service);
        if cold {
            run += self.cold_start.sample(&mut self.service);
        }
        let id = self.insert(SlReq {
            arrived: now,
            extra,
            start: now,
            class,
            cold,
            provisioned,
            attempts: 0,
            live: true,
        });
        let next = if self.calls > 0 {
            SlEvent::Dynamo(id)
        } else {
            SlEvent::Done(id)
        };
        sched.schedule_at(now + run, Event::Serverless(next));
    }

    #[allow(clippy::too_many_arguments)]
    fn refuse<O: Observer>(
        &mut self,
        arrived: SimTime,
        now: SimTime,
        extra: SimDuration,
        class: u16,
        service: SlService,
        limit: Option<LambdaLimit>,
        obs: &mut O,
    ) {
        obs.serverless(
            now,
            SlRecord::Throttled {
                arrived,
                service,
                limit,
            },
        );
        let latency = (now - arrived) + extra;
        obs.finished(
            arrived,
            now + extra,
            latency,
            Outcome::Throttled,
            class,
            Route::Serverless,
        );
    }

    /// An environment for an invocation at `now`: `(cold, provisioned)`, or
    /// the limit that refuses one.
    fn acquire(&mut self, now: SimTime) -> Result<(bool, bool), LambdaLimit> {
        // Reclaim environments idle for `idle_timeout` (lazily, here).
        while let Some(&since) = self.idle.front() {
            if since + self.idle_timeout <= now {
                self.idle.pop_front();
                self.envs -= 1;
            } else {
                break;
            }
        }
        if self.provisioned_idle > 0 {
            self.provisioned_idle -= 1;
            return Ok((false, true));
        }
        // The most recently used idle environment first.
        if self.idle.pop_back().is_some() {
            return Ok((false, false));
        }
        if self.envs + self.provisioned >= self.limit {
            return Err(LambdaLimit::Concurrency);
        }
        let slot = (now - self.window_start).as_nanos() / (10 * crate::time::NANOS_PER_SEC);
        if slot != self.slot {
            self.slot = slot;
            self.created_in_slot = 0;
        }
        if self.created_in_slot >= self.scale_per_10s {
            return Err(LambdaLimit::ScalingRate);
        }
        self.created_in_slot += 1;
        self.envs += 1;
        Ok((true, false))
    }

    fn insert(&mut self, r: SlReq) -> u32 {
        match self.free.pop() {
            Some(id) => {
                self.requests[id as usize] = r;
                id
            }
            None => {
                self.requests.push(r);
                (self.requests.len() - 1) as u32
            }
        }
    }

    /// Handles one of the path's events.
    #[inline(never)]
    pub(crate) fn handle<O: Observer>(
        &mut self,
        event: SlEvent,
        sched: &mut Scheduler<Event>,
        obs: &mut O,
    ) {
        let now = sched.now();
        match event {
            SlEvent::Dynamo(id) => self.dynamo(id, now, sched, obs),
            SlEvent::Done(id) => self.done(id, now, sched, obs, false),
            SlEvent::Poll => {
                if let Some(p) = &mut self.pipeline {
                    p.poll(now, &mut self.service, sched, obs);
                }
            }
            SlEvent::Delivered(slot) => {
                if let Some(p) = &mut self.pipeline {
                    p.delivered(slot, now, sched, obs);
                }
            }
            SlEvent::Flush => {
                if let Some(p) = &mut self.pipeline {
                    p.interval_end(now, obs);
                }
            }
        }
    }

    /// Request `id` makes its DynamoDB calls: all its units at once, or a
    /// throttle (retried after a backoff, or the end of the request).
    fn dynamo<O: Observer>(
        &mut self,
        id: u32,
        now: SimTime,
        sched: &mut Scheduler<Event>,
        obs: &mut O,
    ) {
        let (w, r) = (self.wcu_per_request, self.rcu_per_request);
        let room = |b: &Option<TokenBucket>, n: f64, now: SimTime| {
            b.as_ref().is_none_or(|b| {
                let mut probe = b.clone();
                probe.take(now, n)
            })
        };
        let ok = room(&self.writes, w, now) && room(&self.reads, r, now);
        let mut latency = SimDuration::ZERO;
        for _ in 0..self.calls {
            latency += self.dynamo_latency.sample(&mut self.service);
        }
        if ok {
            if let Some(b) = &mut self.writes {
                b.take(now, w);
            }
            if let Some(b) = &mut self.reads {
                b.take(now, r);
            }
            obs.serverless(now, SlRecord::Units { wcu: w, rcu: r });
            sched.schedule_at(now + latency, Event::Serverless(SlEvent::Done(id)));
            return;
        }
        let req = &mut self.requests[id as usize];
        req.attempts += 1;
        if req.attempts <= self.retries {
            // The throttled call's round trip, then the backoff.
            let wait = latency + doubling(self.backoff, req.attempts);
            sched.schedule_at(now + wait, Event::Serverless(SlEvent::Dynamo(id)));
        } else {
            self.done(id, now + latency, sched, obs, true);
        }
    }

    /// Request `id`'s function returns at `at` (now, or after a failed
    /// call's round trip): its environment goes idle.
    fn done<O: Observer>(
        &mut self,
        id: u32,
        at: SimTime,
        sched: &mut Scheduler<Event>,
        obs: &mut O,
        throttled: bool,
    ) {
        let now = sched.now();
        let req = self.requests[id as usize];
        self.requests[id as usize].live = false;
        self.free.push(id);
        // The environment is released when its function returns; a failed
        // call's round trip is added to the response but, being a few
        // milliseconds, not to the environment's busy time.
        self.busy -= 1;
        obs.lambda_busy(now, -1);
        if req.provisioned {
            self.provisioned_idle += 1;
        } else {
            self.idle.push_back(now);
        }
        obs.serverless(
            now,
            SlRecord::Invocation {
                arrived: req.arrived,
                cold: req.cold,
                billed: billed(at - req.start),
                provisioned: req.provisioned,
            },
        );
        let latency = (at - req.arrived) + req.extra;
        if throttled {
            obs.serverless(
                now,
                SlRecord::Throttled {
                    arrived: req.arrived,
                    service: SlService::DynamoDb,
                    limit: None,
                },
            );
            obs.finished(
                req.arrived,
                at + req.extra,
                latency,
                Outcome::Throttled,
                req.class,
                Route::Serverless,
            );
            return;
        }
        let outcome = if latency > API_GATEWAY_TIMEOUT {
            Outcome::TimedOut
        } else {
            Outcome::Served
        };
        obs.finished(
            req.arrived,
            at + req.extra,
            latency,
            outcome,
            req.class,
            Route::Serverless,
        );
        if let Some(p) = &mut self.pipeline {
            p.record(req.arrived, now, sched);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_passes_its_burst_then_its_rate() {
        let t0 = SimTime::ZERO;
        let mut b = TokenBucket::new(10.0, 5.0, t0);
        // Five at once, then none until a token has been earned.
        assert_eq!((0..8).filter(|_| b.take(t0, 1.0)).count(), 5);
        assert!(!b.take(SimTime(50_000_000), 1.0));
        assert!(b.take(SimTime(100_000_000), 1.0));
        // Over 10 s of asking every millisecond: the rate's 100 tokens.
        let passed = (101..=10_100u64)
            .filter(|ms| b.take(SimTime(ms * 1_000_000), 1.0))
            .count();
        assert_eq!(passed, 100);
    }

    #[test]
    fn billing_rounds_up_to_the_millisecond() {
        assert_eq!(billed(SimDuration(1)), SimDuration::from_millis(1));
        assert_eq!(
            billed(SimDuration::from_millis(40)),
            SimDuration::from_millis(40)
        );
        assert_eq!(
            doubling(SimDuration::from_millis(25), 3),
            SimDuration::from_millis(100)
        );
    }
}
