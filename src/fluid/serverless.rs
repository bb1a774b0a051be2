//! The serverless path in the fluid mode, minute by minute:
//!
//! - API Gateway's token bucket as a fluid bucket: it passes its rate, and
//!   its burst while the bucket lasts;
//! - Lambda as M/G/c/c with `c` the environments it may have (the
//!   concurrency limit, or fewer while the scaling rate lets the pool grow):
//!   Erlang B throttles (insensitive to the duration's shape), mean
//!   concurrency `lambda (1 - B) S`;
//! - cold starts from the idle-timeout arithmetic: with the most recently
//!   used environment picked first, an arrival that finds `n` busy runs
//!   cold when environment `n + 1` was reclaimed, i.e. when level `n + 1`
//!   was not reached within the last `idle_timeout`; arrivals finding `n`
//!   busy come at rate `lambda pi_n` (PASTA), so that probability is about
//!   `exp(-lambda pi_n T)` and the cold fraction `sum_n pi_n exp(-lambda pi_n T)`
//!   (one environment at a low rate: `exp(-lambda T)`). The `P`
//!   provisioned environments are taken first and never reclaimed, so the
//!   sum starts at `n = P`;
//! - provisioned concurrency as the first group of an ordered hunt: the
//!   `P` environments see every invocation and pass one on when all are
//!   busy, so they carry `1 - B(P, a)` of the invocations (Erlang B on
//!   their own, insensitive to the duration's shape), billed at the
//!   provisioned duration price;
//! - DynamoDB's capacity as a fluid bucket (300 s of burst when
//!   provisioned); a throttled call retried `k` times fails with
//!   probability `p^(k+1)`;
//! - Firehose from its buffer rule: one object per interval while an
//!   interval's bytes stay under the buffer size, else one per buffer
//!   filled plus the interval's remainder; a record waits uniformly over
//!   the interval (or the time to fill the buffer), plus the stream's poll
//!   and the second function.

use super::queue::erlang_b;
use crate::metrics::{ServerlessSummary, Throttles};
use crate::spec::{Dist, STREAM_POLL, Serverless};
use std::collections::VecDeque;

/// One minute of the path, as the window's loop uses it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SlMinute {
    /// Share of the path's arrivals throttled (any service).
    pub(super) p_throttled: f64,
    /// Share of invocations that start cold.
    pub(super) p_cold: f64,
    /// Mean cold start, seconds.
    pub(super) cold_mean: f64,
}

/// A fluid token bucket.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    rate: f64,
    capacity: f64,
    level: f64,
}

impl Bucket {
    /// Passes demand `lambda` per second for `len` seconds: the share passed.
    fn pass(&mut self, lambda: f64, len: f64) -> f64 {
        if lambda <= self.rate {
            self.level = (self.level + (self.rate - lambda) * len).min(self.capacity);
            return 1.0;
        }
        let drain = lambda - self.rate;
        let t_empty = self.level / drain;
        if t_empty >= len {
            self.level -= drain * len;
            return 1.0;
        }
        let passed = lambda * t_empty + self.rate * (len - t_empty);
        self.level = 0.0;
        passed / (lambda * len)
    }
}

/// The path's state and its measured totals.
#[derive(Debug)]
pub(super) struct SlFluid {
    share: f64,
    api: Bucket,
    limit: u32,
    /// Provisioned-concurrency environments (part of `limit`).
    provisioned: u32,
    scale_per_min: f64,
    /// Environments alive at the minute's start.
    envs: f64,
    /// Levels needed over the last `idle_timeout` (minutes), newest last.
    recent: VecDeque<f64>,
    keep_minutes: usize,
    run_mean: f64,
    cold_mean: f64,
    idle_timeout: f64,
    writes: Option<Bucket>,
    reads: Option<Bucket>,
    wcu: f64,
    rcu: f64,
    retries: u32,
    memory_gb: f64,
    pipeline: Option<PipeFluid>,
    sum: ServerlessSummary,
    area: f64,
    /// `(weight, shift, spread)` of each minute's delivery latency:
    /// `shift + U[0, spread]` seconds.
    deliveries: Vec<(f64, f64, f64)>,
    /// S3 objects, fractions kept until the end.
    objects: f64,
    exact: Exact,
}

/// The window's counts so far with their fractions: the summary's whole
/// counts are these rounded, not sums of each minute's rounded share (a
/// minute's 2.7 cold starts would count as 3, a minute's 0.4 throttles as
/// none). The throttles by service share out the window's own count at
/// the end ([`SlFluid::finish`]).
#[derive(Debug, Default)]
struct Exact {
    invocations: f64,
    cold_starts: f64,
    throttled: [f64; 4],
    stream_invocations: f64,
    records: f64,
}

impl Exact {
    fn write(&self, s: &mut ServerlessSummary) {
        let whole = |x: f64| x.round() as u64;
        s.invocations = whole(self.invocations);
        s.cold_starts = whole(self.cold_starts);
        s.stream_invocations = whole(self.stream_invocations);
        s.firehose_records = whole(self.records);
        s.deliveries = whole(self.records);
    }
}

#[derive(Debug)]
struct PipeFluid {
    batch: f64,
    record_bytes: f64,
    billed_record_bytes: f64,
    stream_secs: f64,
    stream_gb: f64,
    buffer_bytes: f64,
    interval: f64,
}

fn mean_secs(d: &Dist) -> f64 {
    d.mean().as_secs_f64()
}

impl SlFluid {
    pub(super) fn new(sl: &Serverless) -> SlFluid {
        let d = &sl.dynamodb;
        let bucket = |rate: f64, needed: bool| {
            (needed && rate > 0.0).then(|| Bucket {
                rate,
                capacity: rate * d.burst_secs(),
                level: rate * d.burst_secs(),
            })
        };
        let idle = sl.lambda.idle_timeout.as_secs_f64();
        SlFluid {
            share: sl.share,
            api: Bucket {
                rate: sl.api_gateway.throttle_rps,
                capacity: sl.api_gateway.burst,
                level: sl.api_gateway.burst,
            },
            limit: sl.lambda.concurrency,
            provisioned: sl.lambda.provisioned,
            scale_per_min: 6.0 * f64::from(sl.lambda.scale_per_10s),
            envs: f64::NAN,
            recent: VecDeque::new(),
            keep_minutes: (idle / 60.0).ceil().max(1.0) as usize,
            run_mean: mean_secs(&sl.lambda.duration) + f64::from(d.calls()) * mean_secs(&d.latency),
            cold_mean: mean_secs(&sl.lambda.cold_start),
            idle_timeout: idle,
            writes: bucket(d.wcu, d.writes_per_request > 0),
            reads: bucket(d.rcu, d.reads_per_request > 0),
            wcu: d.wcu_per_request(),
            rcu: d.rcu_per_request(),
            retries: d.retries,
            memory_gb: sl.lambda.memory_gb(),
            pipeline: sl.pipeline.as_ref().map(|p| PipeFluid {
                batch: f64::from(p.batch_size.max(1)),
                record_bytes: p.record_bytes as f64,
                billed_record_bytes: p.billed_record_bytes() as f64,
                stream_secs: mean_secs(&p.duration),
                stream_gb: f64::from(p.memory_mb) / 1024.0,
                buffer_bytes: p.buffer_bytes.max(1) as f64,
                interval: p.buffer_interval.as_secs_f64(),
            }),
            sum: ServerlessSummary::default(),
            area: 0.0,
            deliveries: Vec::new(),
            objects: 0.0,
            exact: Exact::default(),
        }
    }

    /// One minute of `len` seconds at a total offered `rate`; `measured`
    /// is the share of the minute after the warm-up.
    pub(super) fn step(&mut self, rate: f64, len: f64, measured: f64) -> SlMinute {
        let lambda = rate * self.share;
        let p_api = 1.0 - self.api.pass(lambda, len);
        let la = lambda * (1.0 - p_api);
        // Environments: as many as a steady load needs at the first minute
        // (the DES starts its window the same way), then grown at most by
        // the scaling rate and shrunk once unused for the idle timeout.
        let c = f64::from(self.limit);
        let needed_at = |a: f64| (a + 4.0 * a.sqrt()).ceil();
        let mut p_cold = 0.0;
        let mut a = la * self.run_mean;
        for _ in 0..3 {
            a = la * (self.run_mean + p_cold * self.cold_mean);
            p_cold = cold_fraction(a, la, self.idle_timeout, c as u32, self.provisioned);
        }
        if self.envs.is_nan() {
            self.envs = needed_at(a).min(c);
        }
        let reachable = (self.envs + self.scale_per_min).min(c);
        // While the pool grows it holds, on average over the minute, half
        // of the growth.
        let growing = needed_at(a) > self.envs;
        let c_eff = if growing {
            (self.envs + (reachable - self.envs) / 2.0).max(1.0).min(c)
        } else {
            c
        };
        let b = if a <= 0.0 || c_eff > a + 10.0 * a.sqrt() + 30.0 {
            0.0
        } else {
            erlang_b(c_eff.floor() as u32, a)
        };
        let scaling_bound = c_eff < c;
        let p_lambda = b;
        let ll = la * (1.0 - p_lambda);
        self.recent.push_back(needed_at(a).min(reachable));
        while self.recent.len() > self.keep_minutes {
            self.recent.pop_front();
        }
        let keep = self.recent.iter().copied().fold(0.0, f64::max);
        self.envs = keep.min(reachable);
        // DynamoDB.
        let mut pass = 1.0f64;
        if let Some(w) = &mut self.writes {
            pass = pass.min(w.pass(ll * self.wcu, len));
        }
        if let Some(r) = &mut self.reads {
            pass = pass.min(r.pass(ll * self.rcu, len));
        }
        let p_dyn = (1.0 - pass).powi(self.retries as i32 + 1);
        let served = ll * (1.0 - p_dyn);
        let p_throttled = if lambda > 0.0 {
            1.0 - served / lambda
        } else {
            0.0
        };
        let conc = a * (1.0 - p_lambda);
        self.sum.minute_concurrency.push(conc);
        if measured > 0.0 {
            let t = len * measured;
            let s = &mut self.sum;
            let e = &mut self.exact;
            e.invocations += ll * t;
            e.cold_starts += ll * t * p_cold;
            let by_lambda = la * p_lambda * t;
            e.throttled[0] += lambda * p_api * t;
            e.throttled[if scaling_bound { 2 } else { 1 }] += by_lambda;
            e.throttled[3] += ll * p_dyn * t;
            self.area += conc * t;
            s.concurrency_max = s.concurrency_max.max(needed_at(a).min(c_eff));
            // Billed per ms, rounded up: half a millisecond on average.
            s.lambda_gb_seconds +=
                ll * t * (self.run_mean + p_cold * self.cold_mean + 0.0005) * self.memory_gb;
            if self.provisioned > 0 {
                let on_provisioned = 1.0 - erlang_b(self.provisioned, ll * self.run_mean);
                s.lambda_provisioned_gb_seconds +=
                    ll * t * on_provisioned * (self.run_mean + 0.0005) * self.memory_gb;
            }
            s.wcu += ll * (1.0 - p_dyn) * self.wcu * t;
            s.rcu += ll * (1.0 - p_dyn) * self.rcu * t;
            if let Some(p) = &self.pipeline {
                self.objects += pipeline_minute(p, s, e, &mut self.deliveries, served, t);
            }
        }
        SlMinute {
            p_throttled,
            p_cold,
            cold_mean: self.cold_mean,
        }
    }

    /// The window's figures over `measured_secs`, its `throttled` requests
    /// (the window's whole count) shared among the services that refused
    /// them, so that the services' counts add up to it.
    pub(super) fn finish(mut self, measured_secs: f64, throttled: u64) -> ServerlessSummary {
        let mut s = self.sum;
        self.exact.write(&mut s);
        let by = super::window::apportion(&self.exact.throttled, throttled as f64);
        s.throttled = Throttles {
            api_gateway: by[0],
            lambda_concurrency: by[1],
            lambda_scaling: by[2],
            dynamodb: by[3],
        };
        s.s3_objects = self.objects.round() as u64;
        s.concurrency_mean = if measured_secs > 0.0 {
            self.area / measured_secs
        } else {
            0.0
        };
        if !self.deliveries.is_empty() {
            self.deliveries.retain(|d| d.0 > 0.0);
            s.delivery_p50_s = uniform_mix_quantile(&self.deliveries, 0.5);
            s.delivery_p99_s = uniform_mix_quantile(&self.deliveries, 0.99);
        }
        s
    }
}

/// Records, stream invocations and Firehose bytes of `t` measured seconds
/// at `served` requests per second; the S3 objects delivered.
fn pipeline_minute(
    p: &PipeFluid,
    s: &mut ServerlessSummary,
    exact: &mut Exact,
    deliveries: &mut Vec<(f64, f64, f64)>,
    served: f64,
    t: f64,
) -> f64 {
    if served <= 0.0 {
        return 0.0;
    }
    let poll = STREAM_POLL.as_secs_f64();
    // Records per poll, and invocations per poll: E[ceil(N / batch)] for
    // N Poisson, between P(N > 0) and m / batch + 1/2.
    let m = served * poll;
    let per_poll = (1.0 - (-m).exp()) + (m / p.batch - 0.5).max(0.0);
    let invocations = per_poll / poll * t;
    exact.stream_invocations += invocations;
    s.stream_gb_seconds += invocations * (p.stream_secs + 0.0005) * p.stream_gb;
    let records = served * t;
    exact.records += records;
    s.firehose_billed_bytes += records * p.billed_record_bytes;
    s.s3_bytes += records * p.record_bytes;
    let bytes_per_s = served * p.record_bytes;
    let (objects_per_s, spread) = if p.interval <= 0.0 {
        (served, 0.0)
    } else if bytes_per_s * p.interval < p.buffer_bytes {
        // One object per interval that saw a record.
        (
            (1.0 - (-served * p.interval).exp()) / p.interval,
            p.interval,
        )
    } else {
        let fill = p.buffer_bytes / bytes_per_s;
        let per_interval = (p.interval / fill).floor() + 1.0;
        (per_interval / p.interval, fill)
    };
    deliveries.push((records, poll / 2.0 + p.stream_secs, spread));
    objects_per_s * t
}

/// The `q` quantile of a mixture of `shift + U[0, spread]` with weights.
fn uniform_mix_quantile(parts: &[(f64, f64, f64)], q: f64) -> Option<f64> {
    let total: f64 = parts.iter().map(|p| p.0).sum();
    if total <= 0.0 {
        return None;
    }
    let cdf = |x: f64| {
        parts
            .iter()
            .map(|&(w, shift, spread)| {
                let f = if spread <= 0.0 {
                    if x >= shift { 1.0 } else { 0.0 }
                } else {
                    ((x - shift) / spread).clamp(0.0, 1.0)
                };
                w * f
            })
            .sum::<f64>()
            / total
    };
    let (mut lo, mut hi) = (0.0, parts.iter().map(|p| p.1 + p.2).fold(0.0, f64::max));
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

/// The cold-start fraction of a Lambda function offered `a` Erlangs at
/// `lambda` invocations per second, environments reclaimed after `idle`
/// seconds, at most `c` of them, `provisioned` of which are never
/// reclaimed and taken first (see the module documentation).
pub fn cold_fraction(a: f64, lambda: f64, idle: f64, c: u32, provisioned: u32) -> f64 {
    if a <= 0.0 || lambda <= 0.0 {
        return 0.0;
    }
    let top = ((a + 12.0 * a.sqrt() + 30.0).ceil() as u32).min(c.saturating_sub(1));
    // Poisson(a) truncated at c - 1 (an arrival finding all c busy is
    // throttled, not cold), by log-pmf.
    let ln_a = a.ln();
    let mut ln_p = -a;
    let mut pmf = Vec::with_capacity(top as usize + 1);
    for n in 0..=top {
        if n > 0 {
            ln_p += ln_a - f64::from(n).ln();
        }
        pmf.push(ln_p.exp());
    }
    let mass: f64 = pmf.iter().sum();
    if mass <= 0.0 {
        return 0.0;
    }
    pmf.iter()
        .skip(provisioned as usize)
        .map(|&p| {
            let pi = p / mass;
            pi * (-lambda * pi * idle).exp()
        })
        .sum()
}
