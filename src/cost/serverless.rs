//! The serverless path's bill: API Gateway requests, Lambda requests and
//! GB-seconds (and provisioned concurrency), DynamoDB request units or
//! provisioned capacity and storage, Firehose ingestion, S3 PUTs and storage.

use super::tiers::{Tier, price_tiers};
use super::{
    BYTES_PER_GB, CostLine, GB_PER_TB, HOURS_PER_MONTH, Prices, S3_STORAGE_TIERS, per_use,
};
use crate::error::Error;
use crate::spec::{DynamoMode, Serverless};

/// What the serverless path used in a month.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerlessUsage {
    /// Requests API Gateway passed (throttled ones are not billed).
    pub api_requests: f64,
    /// Invocations of both functions.
    pub lambda_requests: f64,
    /// Billed GB-seconds of both functions.
    pub lambda_gb_seconds: f64,
    /// The part of them run on provisioned-concurrency environments.
    pub lambda_provisioned_gb_seconds: f64,
    /// DynamoDB write units consumed.
    pub write_units: f64,
    /// DynamoDB read units consumed.
    pub read_units: f64,
    /// GB Firehose bills (records rounded up to 5 KB).
    pub firehose_gb: f64,
    /// Objects Firehose put into S3.
    pub s3_puts: f64,
    /// GB delivered to S3 in the month.
    pub s3_gb: f64,
}

const API_TIERS: [Tier; 4] = [
    Tier {
        width: 333e6,
        item: "REST API requests, first 333M/month",
    },
    Tier {
        width: 667e6,
        item: "REST API requests, next 667M/month",
    },
    Tier {
        width: 19e9,
        item: "REST API requests, next 19B/month",
    },
    Tier {
        width: f64::INFINITY,
        item: "REST API requests, over 20B/month",
    },
];

const LAMBDA_TIERS: [Tier; 3] = [
    Tier {
        width: 6e9,
        item: "duration x86, first 6B GB-s/month",
    },
    Tier {
        width: 9e9,
        item: "duration x86, next 9B GB-s/month",
    },
    Tier {
        width: f64::INFINITY,
        item: "duration x86, over 15B GB-s/month",
    },
];

/// Firehose's first tier (500 TB); nothing beyond it is priced.
const FIREHOSE_TIERS: [Tier; 1] = [Tier {
    width: 500.0 * GB_PER_TB,
    item: "Direct PUT ingestion, first 500 TB/month",
}];

pub(super) fn lines(
    p: &Prices<'_>,
    sl: &Serverless,
    u: &ServerlessUsage,
) -> Result<Vec<CostLine>, Error> {
    let mut lines = Vec::new();
    let t = price_tiers(u.api_requests, &API_TIERS, |item| {
        p.get("api_gateway", item).map(|x| x / 1e6)
    })?;
    lines.push(CostLine {
        service: "api_gateway",
        item: "REST API requests (throttled ones not billed)".to_string(),
        quantity: u.api_requests,
        unit: "requests",
        unit_usd: None,
        price: format!("tiered, USD per request: {}", t.describe()),
        usd_month: t.usd,
    });
    lines.push(per_use(
        "lambda",
        "requests (both functions)".to_string(),
        u.lambda_requests,
        "requests",
        || {
            let per_m = p.get("lambda", "requests")?;
            Ok((per_m / 1e6, format!("{per_m} USD per million requests")))
        },
    )?);
    // What ran on provisioned environments is billed at their own
    // duration price, the rest at the on-demand tiers.
    let on_demand = (u.lambda_gb_seconds - u.lambda_provisioned_gb_seconds).max(0.0);
    let t = price_tiers(on_demand, &LAMBDA_TIERS, |item| p.get("lambda", item))?;
    lines.push(CostLine {
        service: "lambda",
        item: format!(
            "duration, x86 ({} MB request function{}; billed per ms, init included)",
            sl.lambda.memory_mb,
            if sl.lambda.provisioned > 0 {
                " on on-demand environments"
            } else {
                ""
            }
        ),
        quantity: on_demand,
        unit: "GB-seconds",
        unit_usd: None,
        price: format!("tiered, USD per GB-second: {}", t.describe()),
        usd_month: t.usd,
    });
    if sl.lambda.provisioned > 0 {
        let gb_s =
            f64::from(sl.lambda.provisioned) * sl.lambda.memory_gb() * HOURS_PER_MONTH * 3600.0;
        let price = p.get("lambda", "provisioned concurrency, x86")?;
        lines.push(CostLine::flat(
            "lambda",
            format!(
                "provisioned concurrency ({} environments x {} MB, all month)",
                sl.lambda.provisioned, sl.lambda.memory_mb
            ),
            gb_s,
            "GB-seconds",
            price,
            format!("{price} USD per GB-second configured"),
        ));
        lines.push(per_use(
            "lambda",
            format!(
                "duration on provisioned environments ({} MB; billed per ms)",
                sl.lambda.memory_mb
            ),
            u.lambda_provisioned_gb_seconds,
            "GB-seconds",
            || {
                let price = p.get("lambda", "duration under provisioned concurrency, x86")?;
                Ok((price, format!("{price} USD per GB-second")))
            },
        )?);
    }
    let d = &sl.dynamodb;
    match d.mode {
        DynamoMode::OnDemand => {
            lines.push(per_use(
                "dynamodb",
                format!("on-demand write request units ({} B items)", d.item_bytes),
                u.write_units,
                "WRU",
                || {
                    let per_m = p.get("dynamodb", "on-demand write request units")?;
                    Ok((per_m / 1e6, format!("{per_m} USD per million WRU")))
                },
            )?);
            lines.push(per_use(
                "dynamodb",
                "on-demand read request units (strongly consistent)".to_string(),
                u.read_units,
                "RRU",
                || {
                    let per_m = p.get("dynamodb", "on-demand read request units")?;
                    Ok((per_m / 1e6, format!("{per_m} USD per million RRU")))
                },
            )?);
        }
        DynamoMode::Provisioned => {
            for (units, item, name) in [
                (d.wcu, "provisioned write capacity", "WCU"),
                (d.rcu, "provisioned read capacity", "RCU"),
            ] {
                if units > 0.0 {
                    let price = p.get("dynamodb", item)?;
                    lines.push(CostLine::flat(
                        "dynamodb",
                        format!("{item} ({units} {name}, all month)"),
                        units * HOURS_PER_MONTH,
                        "unit-hours",
                        price,
                        format!("{price} USD per {name}-hour"),
                    ));
                }
            }
        }
    }
    if d.storage_gb > 0.0 {
        let price = p.get("dynamodb", "storage (Standard table class)")?;
        lines.push(CostLine::flat(
            "dynamodb",
            "table storage (Standard table class)".to_string(),
            d.storage_gb,
            "GB-months",
            price,
            format!("{price} USD per GB-month"),
        ));
    }
    if let Some(pl) = &sl.pipeline {
        let t = price_tiers(u.firehose_gb, &FIREHOSE_TIERS, |item| {
            p.get("firehose", item)
        })?;
        lines.push(CostLine {
            service: "firehose",
            item: format!(
                "Direct PUT ingestion ({} B records billed as {} B)",
                pl.record_bytes,
                pl.billed_record_bytes()
            ),
            quantity: u.firehose_gb,
            unit: "GB",
            unit_usd: None,
            price: format!("USD per GB ingested: {}", t.describe()),
            usd_month: t.usd,
        });
        lines.push(per_use(
            "s3",
            "PUT requests (objects from Firehose)".to_string(),
            u.s3_puts,
            "requests",
            || {
                let per_1k = p.get("s3", "PUT/COPY/POST/LIST requests")?;
                Ok((per_1k / 1e3, format!("{per_1k} USD per 1,000 requests")))
            },
        )?);
        // Objects kept for `retention`: a steady month holds that many
        // days of deliveries.
        let months = pl.retention.as_secs_f64() / (HOURS_PER_MONTH * 3600.0);
        let stored = u.s3_gb * months;
        let t = price_tiers(stored, &S3_STORAGE_TIERS, |item| p.get("s3", item))?;
        lines.push(CostLine {
            service: "s3",
            item: format!(
                "Standard storage of the delivered objects ({:.1} days kept)",
                pl.retention.as_secs_f64() / 86_400.0
            ),
            quantity: stored,
            unit: "GB-months",
            unit_usd: None,
            price: format!("tiered, USD per GB-month: {}", t.describe()),
            usd_month: t.usd,
        });
    }
    Ok(lines)
}

/// Bytes to GB as the bill counts them.
pub(super) fn gb(bytes: f64) -> f64 {
    bytes / BYTES_PER_GB
}
