//! `[serverless]`: API Gateway, Lambda, DynamoDB, and the stream to S3.

use crate::scenario::reader::{Bounds, Got, Table};
use crate::spec::{
    ApiGateway, DYNAMODB_ON_DEMAND_TABLE_MAX, DynamoDb, DynamoMode, LAMBDA_SCALE_PER_10S, Lambda,
    Pipeline, Serverless,
};
use crate::time::SimDuration;

use super::*;

/// Lambda's memory range, MB (`data/services.csv`, `lambda, memory range`).
const LAMBDA_MEMORY: (u32, u32) = (128, 10_240);
/// Firehose buffer size range, MiB, and interval range, seconds
/// (`data/services.csv`, `firehose, buffer size range / buffer interval range`).
const FIREHOSE_MB: (f64, f64) = (1.0, 128.0);
const FIREHOSE_INTERVAL_S: u64 = 900;
/// Largest batch a DynamoDB stream event source mapping takes.
const STREAM_MAX_BATCH: u32 = 10_000;

/// The `[serverless]` section (`None` when something was reported), and
/// its share as written (1 when absent or invalid).
pub(super) fn read_serverless(mut t: Table<'_>) -> (Option<Serverless>, f64) {
    let share = t
        .num("share", Bounds::between(0.0, true, 1.0, true))
        .or(1.0);
    (read_services(t, share), share)
}

fn read_services(mut t: Table<'_>, share: f64) -> Option<Serverless> {
    let api = read_api(t.table("api_gateway"));
    let lambda = read_lambda(t.table("lambda"));
    let dynamodb = read_dynamodb(t.table("dynamodb"));
    let stream_t = t.table("stream");
    let firehose_t = t.table("firehose");
    let pipeline = if stream_t.is_present() {
        read_pipeline(stream_t, firehose_t)
    } else {
        if firehose_t.is_present() {
            let span = firehose_t.span();
            let sink = firehose_t.sink();
            let path = firehose_t.path().to_string();
            // Its keys are still checked.
            let _ = read_pipeline(stream_t, firehose_t);
            sink.error(
                path,
                "a Firehose needs the DynamoDB stream that feeds it, found no [serverless.stream]",
                Some(
                    "add a [serverless.stream] section (batch_size = 100), or remove [serverless.firehose]"
                        .to_string(),
                ),
                span,
            );
            t.finish();
            return None;
        }
        stream_t.finish();
        firehose_t.finish();
        Some(None)
    };
    t.finish();
    Some(Serverless {
        share,
        api_gateway: api?,
        lambda: lambda?,
        dynamodb: dynamodb?,
        pipeline: pipeline?,
    })
}

fn read_api(mut t: Table<'_>) -> Option<ApiGateway> {
    let latency = read_dist(
        &mut t,
        "latency",
        SimDuration::from_millis(10),
        Shape::Network,
    );
    // The account-level defaults: 10,000 requests per second, burst 5,000.
    let throttle_rps = t.num("throttle_rps", Bounds::above(0.0)).or(10_000.0);
    let burst = t.num("burst", Bounds::at_least(1.0)).or(5_000.0);
    t.finish();
    Some(ApiGateway {
        latency: latency?,
        throttle_rps,
        burst,
    })
}

fn read_lambda(mut t: Table<'_>) -> Option<Lambda> {
    let memory = t.int(
        "memory_mb",
        i64::from(LAMBDA_MEMORY.0),
        i64::from(LAMBDA_MEMORY.1),
    );
    let memory_mb = memory.clone().or(128) as u32;
    let duration = read_dist(
        &mut t,
        "duration",
        SimDuration::from_millis(40),
        Shape::Service,
    );
    let reference = t.int(
        "reference_memory_mb",
        i64::from(LAMBDA_MEMORY.0),
        i64::from(LAMBDA_MEMORY.1),
    );
    let concurrency = t.u32("concurrency", 1).or(1000);
    let cold_start = read_dist(
        &mut t,
        "cold_start",
        SimDuration::from_millis(300),
        Shape::Network,
    );
    let idle_timeout = t
        .duration("idle_timeout", true)
        .or(SimDuration::from_secs(600));
    let provisioned = t.u32("provisioned", 0);
    let scale_per_10s = t.u32("scale_per_10s", 1).or(LAMBDA_SCALE_PER_10S);
    if let Got::Ok(p, span) = &provisioned
        && *p > concurrency
    {
        t.error(
            "provisioned",
            format!("{p} provisioned environments exceed the concurrency limit of {concurrency}"),
            "lower provisioned, or raise serverless.lambda.concurrency",
            span.clone(),
        );
    }
    let bad = provisioned.is_bad()
        || matches!(&provisioned, Got::Ok(p, _) if *p > concurrency)
        || memory.is_bad()
        || reference.is_bad();
    t.finish();
    if bad {
        return None;
    }
    // Duration is given at `reference_memory_mb` when set: scale it to the
    // configured memory, CPU being allotted in proportion to memory.
    let speed = match reference {
        Got::Ok(r, _) => Lambda::speed_vs(memory_mb, r as u32),
        _ => 1.0,
    };
    Some(Lambda {
        memory_mb,
        duration: duration?.scaled(speed),
        concurrency,
        cold_start: cold_start?,
        idle_timeout,
        provisioned: provisioned.or(0),
        scale_per_10s,
    })
}

fn read_dynamodb(mut t: Table<'_>) -> Option<DynamoDb> {
    let mode = t
        .choice(
            "mode",
            "capacity mode",
            &[
                ("on_demand", DynamoMode::OnDemand),
                ("provisioned", DynamoMode::Provisioned),
            ],
        )
        .or(DynamoMode::OnDemand);
    let latency = read_dist(
        &mut t,
        "latency",
        SimDuration::from_millis(5),
        Shape::Network,
    );
    let writes_per_request = t.u32("writes_per_request", 0).or(1);
    let reads_per_request = t.u32("reads_per_request", 0).or(0);
    let wcu = t.num("wcu", Bounds::above(0.0));
    let rcu = t.num("rcu", Bounds::above(0.0));
    let item_bytes = t.u64("item_bytes", 1).or(1000);
    let retries = t.int("retries", 0, 20).or(0) as u32;
    let backoff = t.duration("backoff", true).or(SimDuration::from_millis(25));
    let storage_gb = t.num("storage_gb", Bounds::at_least(0.0)).or(0.0);
    let mut ok = !wcu.is_bad() && !rcu.is_bad();
    if mode == DynamoMode::Provisioned {
        if wcu.is_absent() && writes_per_request > 0 {
            t.missing(
                "wcu",
                "provisioned mode needs wcu = <write capacity units per second>, e.g. wcu = 100",
            );
            ok = false;
        }
        if rcu.is_absent() && reads_per_request > 0 {
            t.missing(
                "rcu",
                "provisioned mode needs rcu = <read capacity units per second>, e.g. rcu = 100",
            );
            ok = false;
        }
    }
    t.finish();
    if !ok {
        return None;
    }
    // Provisioned without reads (or writes) needs no capacity for them;
    // on-demand tables default to the per-table throughput quota.
    let default_units = match mode {
        DynamoMode::OnDemand => DYNAMODB_ON_DEMAND_TABLE_MAX,
        DynamoMode::Provisioned => 0.0,
    };
    Some(DynamoDb {
        mode,
        latency: latency?,
        writes_per_request,
        reads_per_request,
        wcu: wcu.or(default_units),
        rcu: rcu.or(default_units),
        item_bytes,
        retries,
        backoff,
        storage_gb,
    })
}

fn read_pipeline(mut s: Table<'_>, mut f: Table<'_>) -> Option<Option<Pipeline>> {
    let batch_size = s.int("batch_size", 1, i64::from(STREAM_MAX_BATCH)).or(100) as u32;
    let record_bytes = s.u64("record_bytes", 1).or(1000);
    let duration = read_dist(
        &mut s,
        "duration",
        SimDuration::from_millis(20),
        Shape::Service,
    );
    let memory_mb = s
        .int(
            "memory_mb",
            i64::from(LAMBDA_MEMORY.0),
            i64::from(LAMBDA_MEMORY.1),
        )
        .or(128) as u32;
    s.finish();
    let buffer_mb = f
        .num(
            "buffer_mb",
            Bounds::between(FIREHOSE_MB.0, true, FIREHOSE_MB.1, true),
        )
        .or(5.0);
    let interval = f.duration("buffer_interval", false);
    if let Got::Ok(d, span) = &interval
        && *d > SimDuration::from_secs(FIREHOSE_INTERVAL_S)
    {
        f.error(
            "buffer_interval",
            format!(
                "expected at most 900s, found {}",
                crate::scenario::reader::show_duration(*d)
            ),
            "Firehose buffers for 0 to 900 seconds; use a value in that range",
            span.clone(),
        );
    }
    let interval_bad = interval.is_bad()
        || matches!(&interval, Got::Ok(d, _) if *d > SimDuration::from_secs(FIREHOSE_INTERVAL_S));
    let retention = f
        .duration("s3_retention", false)
        .or(SimDuration::from_secs(30 * 86_400));
    f.finish();
    if interval_bad {
        return None;
    }
    Some(Some(Pipeline {
        batch_size,
        record_bytes,
        duration: duration?,
        memory_mb,
        // Firehose buffer sizes are in MiB.
        buffer_bytes: (buffer_mb * 1_048_576.0).round() as u64,
        buffer_interval: interval.or(SimDuration::from_secs(300)),
        retention,
    }))
}
