//! The serverless path: API Gateway -> Lambda -> DynamoDB, and optionally
//! the DynamoDB stream -> a second Lambda -> Firehose -> S3.

use super::Dist;
use crate::time::SimDuration;

/// Memory at which a Lambda function gets one full vCPU (AWS: "at 1,769 MB,
/// a function has the equivalent of one vCPU"); CPU share grows in
/// proportion to memory up to it. Single-threaded code gains nothing beyond.
pub const LAMBDA_MB_PER_VCPU: f64 = 1769.0;

/// New execution environments a function may start per 10 seconds
/// (`data/behaviour.csv`, `lambda_scaling_rate_current`).
pub const LAMBDA_SCALE_PER_10S: u32 = 1000;

/// API Gateway's integration timeout: a response slower than this is a 504
/// (counted as timed out).
pub const API_GATEWAY_TIMEOUT: SimDuration = SimDuration::from_secs(29);

/// How often Lambda polls a DynamoDB stream shard (4 times a second).
pub const STREAM_POLL: SimDuration = SimDuration::from_millis(250);

/// Seconds of unused provisioned capacity DynamoDB keeps as burst capacity.
pub const DYNAMODB_BURST_SECS: f64 = 300.0;

/// Default most write (and read) request units per second of an on-demand
/// table (the per-table throughput quota).
pub const DYNAMODB_ON_DEMAND_TABLE_MAX: f64 = 40_000.0;

/// Firehose bills Direct PUT ingestion in 5 KB increments per record.
pub const FIREHOSE_RECORD_ROUNDING: u64 = 5 * 1024;

/// `[serverless]`: the share of traffic on the path and its services.
#[derive(Clone, Debug, PartialEq)]
pub struct Serverless {
    /// Fraction of requests on this path (the rest take the EC2 path).
    pub share: f64,
    /// The REST API in front.
    pub api_gateway: ApiGateway,
    /// The function behind it.
    pub lambda: Lambda,
    /// The table the function writes to.
    pub dynamodb: DynamoDb,
    /// The stream, its function, Firehose and S3, if configured.
    pub pipeline: Option<Pipeline>,
}

/// API Gateway (REST API) with its account throttle.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiGateway {
    /// Latency it adds to every request.
    pub latency: Dist,
    /// Steady-state requests per second the token bucket refills at.
    pub throttle_rps: f64,
    /// Bucket size: requests it can pass at once.
    pub burst: f64,
}

/// A Lambda function and its account limits.
#[derive(Clone, Debug, PartialEq)]
pub struct Lambda {
    /// Configured memory, MB (the GB-seconds billed).
    pub memory_mb: u32,
    /// Duration of one invocation at `memory_mb`, DynamoDB calls excluded.
    pub duration: Dist,
    /// Most environments busy at once; above, requests are throttled.
    pub concurrency: u32,
    /// Time an invocation that starts a new environment adds.
    pub cold_start: Dist,
    /// An environment idle this long is reclaimed.
    pub idle_timeout: SimDuration,
    /// Environments kept warm (and billed) whether used or not.
    pub provisioned: u32,
    /// New environments per 10 seconds.
    pub scale_per_10s: u32,
}

impl Lambda {
    /// GB of configured memory.
    pub fn memory_gb(&self) -> f64 {
        f64::from(self.memory_mb) / 1024.0
    }

    /// The CPU speed at `memory_mb` relative to `reference_mb`: CPU is
    /// allotted in proportion to memory up to one vCPU at 1,769 MB.
    pub fn speed_vs(memory_mb: u32, reference_mb: u32) -> f64 {
        let m = f64::from(memory_mb).min(LAMBDA_MB_PER_VCPU);
        let r = f64::from(reference_mb).min(LAMBDA_MB_PER_VCPU);
        if r > 0.0 { m / r } else { 1.0 }
    }
}

/// DynamoDB capacity mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DynamoMode {
    /// Pay per request unit, up to the table's maximum throughput.
    OnDemand,
    /// Pay per provisioned unit-hour; above capacity (and burst), throttled.
    Provisioned,
}

/// The DynamoDB table.
#[derive(Clone, Debug, PartialEq)]
pub struct DynamoDb {
    /// On-demand or provisioned.
    pub mode: DynamoMode,
    /// Latency of one call.
    pub latency: Dist,
    /// Writes (PutItem) per request, one after another.
    pub writes_per_request: u32,
    /// Strongly consistent reads per request, before the writes.
    pub reads_per_request: u32,
    /// Write capacity units per second (provisioned) or the table's
    /// maximum write throughput (on-demand).
    pub wcu: f64,
    /// Read capacity units per second, the same way.
    pub rcu: f64,
    /// Item size, bytes (units per call).
    pub item_bytes: u64,
    /// Retries of a throttled call (SDK style), 0 for none.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: SimDuration,
    /// Table size for the storage bill, GB.
    pub storage_gb: f64,
}

impl DynamoDb {
    /// Write units one write of an item takes (1 per KB, rounded up).
    pub fn wcu_per_write(&self) -> f64 {
        self.item_bytes.div_ceil(1024).max(1) as f64
    }

    /// Read units one strongly consistent read takes (1 per 4 KB, rounded up).
    pub fn rcu_per_read(&self) -> f64 {
        self.item_bytes.div_ceil(4096).max(1) as f64
    }

    /// Write units per request.
    pub fn wcu_per_request(&self) -> f64 {
        f64::from(self.writes_per_request) * self.wcu_per_write()
    }

    /// Read units per request.
    pub fn rcu_per_request(&self) -> f64 {
        f64::from(self.reads_per_request) * self.rcu_per_read()
    }

    /// Seconds of unused capacity kept as burst: 300 provisioned, 1 on-demand.
    pub fn burst_secs(&self) -> f64 {
        match self.mode {
            DynamoMode::Provisioned => DYNAMODB_BURST_SECS,
            DynamoMode::OnDemand => 1.0,
        }
    }

    /// Calls per request.
    pub fn calls(&self) -> u32 {
        self.writes_per_request + self.reads_per_request
    }
}

/// DynamoDB stream -> second Lambda -> Firehose -> S3.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// Most stream records per invocation of the second function.
    pub batch_size: u32,
    /// Bytes each request puts into Firehose.
    pub record_bytes: u64,
    /// Duration of one invocation of the second function.
    pub duration: Dist,
    /// Memory of the second function, MB.
    pub memory_mb: u32,
    /// Firehose delivers when its buffer holds this many bytes...
    pub buffer_bytes: u64,
    /// ...or at the end of every interval of this length, whichever first.
    pub buffer_interval: SimDuration,
    /// How long objects stay in S3 (storage bill).
    pub retention: SimDuration,
}

impl Pipeline {
    /// Bytes Firehose bills for one record (rounded up to 5 KB).
    pub fn billed_record_bytes(&self) -> u64 {
        self.record_bytes.div_ceil(FIREHOSE_RECORD_ROUNDING) * FIREHOSE_RECORD_ROUNDING
    }
}
