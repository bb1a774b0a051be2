//! The `[serverless]` tables of the schema.

use super::{DistSpec, Duration};
use schemars::JsonSchema;
use serde::Deserialize;

/// `[serverless]`.
#[derive(Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Serverless {
    /// Fraction of requests on this path [default: 1.0].
    #[schemars(range(min = 0.0, max = 1.0))]
    pub share: Option<f64>,
    /// `[serverless.api_gateway]`.
    pub api_gateway: Option<ApiGateway>,
    /// `[serverless.lambda]`.
    pub lambda: Option<Lambda>,
    /// `[serverless.dynamodb]`.
    pub dynamodb: Option<DynamoDb>,
    /// `[serverless.stream]`: DynamoDB stream -> Lambda -> Firehose -> S3.
    pub stream: Option<Stream>,
    /// `[serverless.firehose]` (needs `[serverless.stream]`).
    pub firehose: Option<Firehose>,
}

/// `[serverless.api_gateway]`.
#[derive(Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ApiGateway {
    /// Added to every request [default: 10ms].
    pub latency: Option<DistSpec>,
    /// Steady requests per second before 429s [default: 10000].
    #[schemars(range(min = 0.0))]
    pub throttle_rps: Option<f64>,
    /// Token bucket size [default: 5000].
    #[schemars(range(min = 1.0))]
    pub burst: Option<f64>,
}

/// `[serverless.lambda]`.
#[derive(Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Lambda {
    /// Memory, MB [default: 128].
    #[schemars(range(min = 128, max = 10240))]
    pub memory_mb: Option<u32>,
    /// Duration at memory_mb (or at reference_memory_mb) [default: 40ms].
    pub duration: Option<DistSpec>,
    /// The memory the duration was measured at.
    #[schemars(range(min = 128, max = 10240))]
    pub reference_memory_mb: Option<u32>,
    /// Most environments at once [default: 1000].
    #[schemars(range(min = 1))]
    pub concurrency: Option<u32>,
    /// Added to an invocation that starts an environment [default: 300ms].
    pub cold_start: Option<DistSpec>,
    /// Idle environments are reclaimed after this [default: 10m].
    pub idle_timeout: Option<Duration>,
    /// Environments kept warm and billed [default: 0].
    #[schemars(range(min = 0))]
    pub provisioned: Option<u32>,
    /// New environments per 10 seconds [default: 1000].
    #[schemars(range(min = 1))]
    pub scale_per_10s: Option<u32>,
}

/// `[serverless.dynamodb]`.
#[derive(Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DynamoDb {
    /// Capacity mode [default: on_demand].
    pub mode: Option<DynamoMode>,
    /// Latency of one call [default: 5ms].
    pub latency: Option<DistSpec>,
    /// Writes per request [default: 1].
    #[schemars(range(min = 0))]
    pub writes_per_request: Option<u32>,
    /// Strongly consistent reads per request [default: 0].
    #[schemars(range(min = 0))]
    pub reads_per_request: Option<u32>,
    /// Write capacity units per second (provisioned) or the table's maximum (on-demand) [default: 40000 on-demand].
    #[schemars(range(min = 0.0))]
    pub wcu: Option<f64>,
    /// Read capacity units per second, the same way.
    #[schemars(range(min = 0.0))]
    pub rcu: Option<f64>,
    /// Item size, bytes [default: 1000].
    #[schemars(range(min = 1))]
    pub item_bytes: Option<u64>,
    /// Retries of a throttled call [default: 0].
    #[schemars(range(min = 0, max = 20))]
    pub retries: Option<u32>,
    /// Wait before the first retry, doubled each time [default: 25ms].
    pub backoff: Option<Duration>,
    /// Table size for the bill, GB [default: 0].
    #[schemars(range(min = 0.0))]
    pub storage_gb: Option<f64>,
}

/// DynamoDB capacity mode.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DynamoMode {
    /// Pay per request.
    OnDemand,
    /// Pay per provisioned unit-hour.
    Provisioned,
}

/// `[serverless.stream]`.
#[derive(Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Stream {
    /// Records per invocation of the second function [default: 100].
    #[schemars(range(min = 1, max = 10000))]
    pub batch_size: Option<u32>,
    /// Bytes each request puts into Firehose [default: 1000].
    #[schemars(range(min = 1))]
    pub record_bytes: Option<u64>,
    /// Duration of the second function [default: 20ms].
    pub duration: Option<DistSpec>,
    /// Memory of the second function, MB [default: 128].
    #[schemars(range(min = 128, max = 10240))]
    pub memory_mb: Option<u32>,
}

/// `[serverless.firehose]`.
#[derive(Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Firehose {
    /// Buffer size, MiB [default: 5].
    #[schemars(range(min = 1.0, max = 128.0))]
    pub buffer_mb: Option<f64>,
    /// Buffer interval, up to 900s [default: 300s].
    pub buffer_interval: Option<Duration>,
    /// How long objects stay in S3 (storage bill) [default: 30d].
    pub s3_retention: Option<Duration>,
}
