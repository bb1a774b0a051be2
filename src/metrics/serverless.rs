//! The serverless path's measurements: Lambda concurrency and cold starts,
//! throttles by service, the units and bytes the bill counts, S3 objects and
//! the delivery latency from request to object.

use super::area::Area;
use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};
use hdrhistogram::Histogram;

/// Delivery latencies are recorded in milliseconds, up to about 11 days.
const MAX_DELIVERY_MS: u64 = 1_000_000_000;

/// Throttled requests by the service that refused them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Throttles {
    /// API Gateway's token bucket (HTTP 429).
    pub api_gateway: u64,
    /// Lambda's concurrency limit.
    pub lambda_concurrency: u64,
    /// Lambda's scaling rate (new environments per 10 s).
    pub lambda_scaling: u64,
    /// DynamoDB capacity, after retries.
    pub dynamodb: u64,
}

impl Throttles {
    /// Every throttled request.
    pub fn total(&self) -> u64 {
        self.api_gateway + self.lambda() + self.dynamodb
    }

    /// Lambda's, either limit.
    pub fn lambda(&self) -> u64 {
        self.lambda_concurrency + self.lambda_scaling
    }

    fn merge(&mut self, o: &Throttles) {
        self.api_gateway += o.api_gateway;
        self.lambda_concurrency += o.lambda_concurrency;
        self.lambda_scaling += o.lambda_scaling;
        self.dynamodb += o.dynamodb;
    }
}

/// What the serverless path did over the measured part of a window.
/// Counts of requests are over those that arrived after the warm-up;
/// units, records and objects over what happened after it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerlessSummary {
    /// Requests that took the path.
    pub requests: u64,
    /// Invocations of the request function (requests that got an environment and finished).
    pub invocations: u64,
    /// Of those, the ones that started a new environment.
    pub cold_starts: u64,
    /// Throttled requests by service.
    pub throttled: Throttles,
    /// Busy environments, time average.
    pub concurrency_mean: f64,
    /// Most environments busy at once.
    pub concurrency_max: f64,
    /// Busy environments per minute (time average), warm-up included.
    pub minute_concurrency: Vec<f64>,
    /// Billed GB-seconds of the request function.
    pub lambda_gb_seconds: f64,
    /// The part of them run on provisioned-concurrency environments
    /// (billed at the provisioned duration price).
    pub lambda_provisioned_gb_seconds: f64,
    /// Invocations of the stream function.
    pub stream_invocations: u64,
    /// Its billed GB-seconds.
    pub stream_gb_seconds: f64,
    /// DynamoDB write units consumed.
    pub wcu: f64,
    /// DynamoDB read units consumed.
    pub rcu: f64,
    /// Records put into Firehose.
    pub firehose_records: u64,
    /// Bytes Firehose bills for them (5 KB increments).
    pub firehose_billed_bytes: f64,
    /// Objects delivered to S3.
    pub s3_objects: u64,
    /// Their bytes.
    pub s3_bytes: f64,
    /// Records delivered whose requests arrived after the warm-up.
    pub deliveries: u64,
    /// Median time from request to S3 object, seconds.
    pub delivery_p50_s: Option<f64>,
    /// 99th percentile of it, seconds.
    pub delivery_p99_s: Option<f64>,
}

impl ServerlessSummary {
    /// Invocations that started a new environment, over invocations.
    pub fn cold_start_fraction(&self) -> f64 {
        if self.invocations == 0 {
            0.0
        } else {
            self.cold_starts as f64 / self.invocations as f64
        }
    }

    /// S3 objects per hour over `measured_secs`.
    pub fn s3_objects_per_hour(&self, measured_secs: f64) -> f64 {
        if measured_secs > 0.0 {
            self.s3_objects as f64 * 3600.0 / measured_secs
        } else {
            0.0
        }
    }

    /// Replications as one: counts add up, the rest is averaged (the
    /// maximum is the largest).
    pub fn combine(all: &[&ServerlessSummary]) -> Option<ServerlessSummary> {
        let (first, rest) = all.split_first()?;
        let mut s = (*first).clone();
        if rest.is_empty() {
            return Some(s);
        }
        let n = all.len() as f64;
        let mean =
            |f: &dyn Fn(&ServerlessSummary) -> f64| all.iter().map(|x| f(x)).sum::<f64>() / n;
        let mean_opt = |f: &dyn Fn(&ServerlessSummary) -> Option<f64>| {
            let v: Vec<f64> = all.iter().filter_map(|x| f(x)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        for r in rest {
            s.requests += r.requests;
            s.invocations += r.invocations;
            s.cold_starts += r.cold_starts;
            s.throttled.merge(&r.throttled);
            s.lambda_gb_seconds += r.lambda_gb_seconds;
            s.lambda_provisioned_gb_seconds += r.lambda_provisioned_gb_seconds;
            s.stream_invocations += r.stream_invocations;
            s.stream_gb_seconds += r.stream_gb_seconds;
            s.wcu += r.wcu;
            s.rcu += r.rcu;
            s.firehose_records += r.firehose_records;
            s.firehose_billed_bytes += r.firehose_billed_bytes;
            s.s3_objects += r.s3_objects;
            s.s3_bytes += r.s3_bytes;
            s.deliveries += r.deliveries;
            s.concurrency_max = s.concurrency_max.max(r.concurrency_max);
        }
        s.concurrency_mean = mean(&|x| x.concurrency_mean);
        s.delivery_p50_s = mean_opt(&|x| x.delivery_p50_s);
        s.delivery_p99_s = mean_opt(&|x| x.delivery_p99_s);
        for (m, v) in s.minute_concurrency.iter_mut().enumerate() {
            *v = all
                .iter()
                .filter_map(|x| x.minute_concurrency.get(m))
                .sum::<f64>()
                / n;
        }
        Some(s)
    }
}

/// Collects the serverless path's measurements as the model reports them.
#[derive(Debug)]
pub struct ServerlessTrack {
    start: SimTime,
    measure_from: SimTime,
    end: SimTime,
    memory_gb: f64,
    stream_memory_gb: f64,
    busy: Area,
    level: i64,
    max_level: i64,
    summary: ServerlessSummary,
    delivery: Histogram<u64>,
}

impl ServerlessTrack {
    /// A track of the window `[start, end)` measured from `measure_from`
    /// over `minutes` minutes, for functions of `memory_mb` and
    /// `stream_memory_mb`.
    pub fn new(
        start: SimTime,
        measure_from: SimTime,
        end: SimTime,
        minutes: usize,
        memory_mb: u32,
        stream_memory_mb: u32,
    ) -> Self {
        ServerlessTrack {
            start,
            measure_from,
            end,
            memory_gb: f64::from(memory_mb) / 1024.0,
            stream_memory_gb: f64::from(stream_memory_mb) / 1024.0,
            busy: Area::new(start, measure_from, minutes),
            level: 0,
            max_level: 0,
            summary: ServerlessSummary::default(),
            // Bounds and precision are constants within hdrhistogram's limits.
            delivery: Histogram::new_with_bounds(1, MAX_DELIVERY_MS, 3)
                .expect("valid histogram bounds"),
        }
    }

    fn measured(&self, t: SimTime) -> bool {
        t >= self.measure_from
    }

    /// Busy environments changed by `delta`.
    pub fn busy(&mut self, now: SimTime, delta: i32) {
        self.busy.change(now, delta);
        if now >= self.measure_from {
            // The level just before counts too: it held at the warm-up's end.
            self.max_level = self.max_level.max(self.level);
        }
        self.level += i64::from(delta);
        if now >= self.measure_from {
            self.max_level = self.max_level.max(self.level);
        }
    }

    /// A throttled request that arrived at `arrived`.
    pub fn throttled(&mut self, arrived: SimTime, by: ThrottledBy) {
        if !self.measured(arrived) {
            return;
        }
        let t = &mut self.summary.throttled;
        match by {
            ThrottledBy::ApiGateway => t.api_gateway += 1,
            ThrottledBy::LambdaConcurrency => t.lambda_concurrency += 1,
            ThrottledBy::LambdaScaling => t.lambda_scaling += 1,
            ThrottledBy::DynamoDb => t.dynamodb += 1,
        }
    }

    /// An invocation of the request function ended.
    pub fn invocation(
        &mut self,
        arrived: SimTime,
        cold: bool,
        billed: SimDuration,
        provisioned: bool,
    ) {
        if self.measured(arrived) {
            self.summary.invocations += 1;
            self.summary.cold_starts += u64::from(cold);
            let gb_s = billed.as_secs_f64() * self.memory_gb;
            self.summary.lambda_gb_seconds += gb_s;
            if provisioned {
                self.summary.lambda_provisioned_gb_seconds += gb_s;
            }
        }
    }

    /// Capacity units consumed at `now`.
    pub fn units(&mut self, now: SimTime, wcu: f64, rcu: f64) {
        if self.measured(now) {
            self.summary.wcu += wcu;
            self.summary.rcu += rcu;
        }
    }

    /// An invocation of the stream function at `now`.
    pub fn stream_invocation(&mut self, now: SimTime, billed: SimDuration) {
        if self.measured(now) {
            self.summary.stream_invocations += 1;
            self.summary.stream_gb_seconds += billed.as_secs_f64() * self.stream_memory_gb;
        }
    }

    /// A record put into Firehose at `now`.
    pub fn firehose_record(&mut self, now: SimTime, billed_bytes: u64) {
        if self.measured(now) {
            self.summary.firehose_records += 1;
            self.summary.firehose_billed_bytes += billed_bytes as f64;
        }
    }

    /// An S3 object delivered at `now` with the records of requests that
    /// arrived at `arrivals`.
    pub fn s3_object(&mut self, now: SimTime, arrivals: &[SimTime], bytes: u64) {
        if now > self.end {
            return;
        }
        if self.measured(now) {
            self.summary.s3_objects += 1;
            self.summary.s3_bytes += bytes as f64;
        }
        for &a in arrivals.iter().filter(|&&a| a >= self.measure_from) {
            let ms = (now - a).as_nanos().div_ceil(1_000_000).max(1);
            self.delivery.saturating_record(ms);
            self.summary.deliveries += 1;
        }
    }

    /// Closes the track at the window's end.
    pub fn finish(mut self) -> ServerlessSummary {
        self.busy.advance(self.end);
        let measured = (self.end - self.measure_from).as_secs_f64();
        let mut s = self.summary;
        s.concurrency_mean = if measured > 0.0 {
            self.busy.total() / measured
        } else {
            0.0
        };
        s.concurrency_max = self.max_level.max(self.level) as f64;
        let n_minutes = (self.end.0.saturating_sub(self.start.0)).div_ceil(60 * NANOS_PER_SEC);
        s.minute_concurrency = (0..n_minutes as usize)
            .map(|m| {
                let from = self.start.0 + m as u64 * 60 * NANOS_PER_SEC;
                let to = (from + 60 * NANOS_PER_SEC).min(self.end.0);
                let secs = (to - from) as f64 / NANOS_PER_SEC as f64;
                if secs > 0.0 {
                    self.busy.minute(m) / secs
                } else {
                    0.0
                }
            })
            .collect();
        if !self.delivery.is_empty() {
            let q = |q: f64| {
                self.delivery
                    .median_equivalent(self.delivery.value_at_quantile(q)) as f64
                    / 1000.0
            };
            s.delivery_p50_s = Some(q(0.5));
            s.delivery_p99_s = Some(q(0.99));
        }
        s
    }
}

/// Who refused a request, as the track counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottledBy {
    /// API Gateway.
    ApiGateway,
    /// Lambda's concurrency limit.
    LambdaConcurrency,
    /// Lambda's scaling rate.
    LambdaScaling,
    /// DynamoDB.
    DynamoDb,
}
