//! Every price a scenario's bill could need, checked before anything runs.

use super::{BYTES_PER_GB, Usage, monthly_bill_with};
use crate::catalog::Catalog;
use crate::error::Error;
use crate::spec::{CreditMode, DbPlacement, Scenario, Sessions, StaticOrigin, plan_checkpoints};
use crate::time::{SimDuration, SimTime};

/// Checks that the embedded catalog has every price the bill of `s` could
/// need, so that a scenario that validates does not stop for a missing
/// price after simulating: [`Error::MissingPrice`], the error the bill
/// itself gives. See [`usage_bound`] for what "could need" means.
pub fn check_prices(s: &Scenario) -> Result<(), Error> {
    check_prices_with(s, Catalog::embedded())
}

/// [`check_prices`] with `catalog`'s prices.
pub fn check_prices_with(s: &Scenario, catalog: &Catalog) -> Result<(), Error> {
    monthly_bill_with(s, &usage_bound(s), catalog).map(|_| ())
}

/// The most a month of `s` could use: at the busiest checkpoint's users,
/// every request served, cacheable classes through CloudFront (and S3 for
/// every miss), the rest from the origin to the internet; surplus credits
/// for every burstable instance in unlimited mode; DB queries (Aurora
/// I/O) whenever the mix has any; a cross-AZ query
/// whenever web instances and an RDS database span more than one AZ. So
/// every flat price the scenario could use is looked up, and every tier its
/// volume could reach.
pub fn usage_bound(s: &Scenario) -> Usage {
    let day = SimDuration::from_secs(86_400);
    let per_day = plan_checkpoints(s)
        .iter()
        .map(|cp| {
            crate::spec::RateProfile::new(s, cp)
                .cycle_only()
                .expected_requests(SimTime::ZERO, day)
        })
        .fold(0.0, f64::max);
    let requests = per_day * super::HOURS_PER_MONTH / 24.0;
    let mix = &s.traffic.mix;
    let share = |cacheable: bool| -> f64 {
        mix.iter()
            .filter(|c| c.cacheable == cacheable)
            .map(|c| c.share)
            .sum()
    };
    let bytes = |cacheable: bool| -> f64 {
        mix.iter()
            .filter(|c| c.cacheable == cacheable)
            .map(|c| c.share * c.bytes as f64)
            .sum::<f64>()
            * requests
            / BYTES_PER_GB
    };
    let (cdn_requests, cdn_gb, s3_gets, internet_gb, lb_share) = match &s.cdn {
        Some(cdn) => {
            let to_s3 = cdn.static_origin == StaticOrigin::S3;
            (
                requests * share(true),
                bytes(true),
                if to_s3 { requests * share(true) } else { 0.0 },
                bytes(false),
                if to_s3 { share(false) } else { 1.0 },
            )
        }
        None => (0.0, 0.0, 0.0, bytes(true) + bytes(false), 1.0),
    };
    let lb_gb = if s.cdn.is_some() {
        bytes(false) + if lb_share >= 1.0 { bytes(true) } else { 0.0 }
    } else {
        internet_gb
    };
    let unlimited = |i: &crate::spec::InstanceSpec| {
        i.burst
            .as_ref()
            .is_some_and(|b| b.mode == CreditMode::Unlimited)
    };
    let db = s.database.as_ref();
    let db_rds = db.and_then(|d| match &d.placement {
        DbPlacement::Rds(i) => Some(i),
        DbPlacement::Colocated => None,
    });
    let queries = mix.iter().any(|c| c.db_reads + c.db_writes > 0);
    Usage {
        web_instances: f64::from(s.web.count),
        cdn_requests,
        cdn_gb,
        s3_get_requests: s3_gets,
        internet_gb,
        lb_requests_per_sec: requests * lb_share / (super::SECONDS_PER_MONTH),
        lb_gb_per_hour: lb_gb / super::HOURS_PER_MONTH,
        lb_active_connections: 1.0,
        session_reads: if s.web.sessions == Sessions::Dynamodb {
            requests
        } else {
            0.0
        },
        cross_az_gb: if db_rds.is_some() && queries && s.web.azs.len() > 1 {
            1.0
        } else {
            0.0
        },
        web_surplus_vcpu_hours: if unlimited(&s.web.instance) { 1.0 } else { 0.0 },
        db_surplus_vcpu_hours: if db_rds.is_some_and(unlimited)
            || db.is_some_and(|d| d.distinct_replica_class().is_some_and(unlimited))
        {
            1.0
        } else {
            0.0
        },
        db_read_queries: if db_rds.is_some() && queries {
            requests
        } else {
            0.0
        },
        db_write_queries: if db_rds.is_some() && queries {
            requests
        } else {
            0.0
        },
        serverless: s.serverless.as_ref().map(|sl| {
            let n = requests * sl.share;
            // Every invocation cold and twice its mean length: a bound.
            let d = &sl.dynamodb;
            let secs = sl.lambda.duration.mean().as_secs_f64()
                + sl.lambda.cold_start.mean().as_secs_f64()
                + f64::from(d.calls()) * d.latency.mean().as_secs_f64();
            let gb_s = 2.0 * secs * sl.lambda.memory_gb();
            let record = sl
                .pipeline
                .as_ref()
                .map_or(0.0, |p| p.billed_record_bytes() as f64);
            super::ServerlessUsage {
                api_requests: n,
                lambda_requests: n,
                lambda_gb_seconds: n * gb_s,
                lambda_provisioned_gb_seconds: if sl.lambda.provisioned > 0 {
                    n * gb_s
                } else {
                    0.0
                },
                write_units: n * sl.dynamodb.wcu_per_request(),
                read_units: n * sl.dynamodb.rcu_per_request(),
                firehose_gb: n * record / BYTES_PER_GB,
                s3_puts: n,
                s3_gb: n * record / BYTES_PER_GB,
            }
        }),
    }
}
