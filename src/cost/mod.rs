//! The monthly bill of a scenario at one checkpoint, line by line.
//!
//! [`Usage`] turns what a checkpoint's window measured into monthly
//! quantities: every count over the measured part of the window is scaled by
//! the month's seconds over the window's measured seconds (a month is 30.44
//! days). [`monthly_bill`] prices those quantities with the facts in
//! `data/` for the scenario's region. A price the bill needs and the catalog
//! does not have for that region is an error ([`Error::MissingPrice`]), never
//! a guess; a price is looked up only when the scenario uses what it prices.
//! See `docs/cost-model.md` for every line, its formula and its sources.

mod check;
mod month;
mod serverless;
mod storage;
pub mod tiers;

pub use check::{check_prices, check_prices_with, usage_bound};
pub use month::MonthScale;
pub use serverless::ServerlessUsage;

use crate::catalog::Catalog;
use crate::error::Error;
use crate::metrics::WindowSummary;
use crate::route::{PerRoute, Route};
use crate::spec::{DbPlacement, LbKind, Region, Scenario, Sessions, StaticOrigin};
use tiers::{Tier, price_tiers};

/// Hours in the month the bill is extrapolated to: 30.44 days x 24.
pub const HOURS_PER_MONTH: f64 = 730.56;
/// Seconds in that month.
pub const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;
/// Bytes in a GB as the bill counts them (2^30; see `docs/cost-model.md`).
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;
/// GB in a TB of a price tier.
pub const GB_PER_TB: f64 = 1024.0;
/// Listener rules per request that do not count towards ALB rule evaluations
/// (`alb, LCU dimension: rule evaluations` notes in `data/services.csv`).
pub const ALB_FREE_RULES: u32 = 10;

// Route indices of `metrics::RouteCounts` (the model's `Route`s).

/// What a checkpoint used, per month (or per second or hour where a price
/// dimension is a rate).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    /// Web instances in service, time average.
    pub web_instances: f64,
    /// Requests CloudFront received (hits and misses), per month.
    pub cdn_requests: f64,
    /// GB CloudFront sent to viewers, per month.
    pub cdn_gb: f64,
    /// GET requests CloudFront sent to S3 (misses of cacheable classes), per month.
    pub s3_get_requests: f64,
    /// GB the origin sent straight to the internet (not through CloudFront), per month.
    pub internet_gb: f64,
    /// Requests through the load balancer, per second.
    pub lb_requests_per_sec: f64,
    /// GB of responses through the load balancer, per hour.
    pub lb_gb_per_hour: f64,
    /// Requests inside the load balancer and web tier, time average (the
    /// active connections of the load balancer).
    pub lb_active_connections: f64,
    /// Session reads from DynamoDB, per month.
    pub session_reads: f64,
    /// GB moved between web instances and database servers in different
    /// AZs, per month.
    pub cross_az_gb: f64,
    /// Surplus CPU credits of unlimited-mode web instances, vCPU-hours per month.
    pub web_surplus_vcpu_hours: f64,
    /// The same for DB instances.
    pub db_surplus_vcpu_hours: f64,
    /// Read queries to the database (served requests' reads), per month.
    pub db_read_queries: f64,
    /// Write queries to the database, per month.
    pub db_write_queries: f64,
    /// The serverless path's use, per month, when the scenario has one.
    pub serverless: Option<ServerlessUsage>,
}

impl Usage {
    /// Monthly quantities from one window. Requests count when they arrive
    /// (every request is billed whatever its fate); bytes count when a
    /// response is served (`bytes` of its class).
    ///
    /// Counts are extrapolated by time ([`MonthScale::by_time`]), which is
    /// right for a window of whole flat days; a checkpoint's bill uses
    /// [`Usage::from_window_scaled`] with [`MonthScale::for_checkpoint`].
    pub fn from_window(s: &Scenario, w: &WindowSummary) -> Usage {
        Usage::from_window_scaled(s, w, &MonthScale::by_time(w.measured_secs))
    }

    /// Monthly quantities from one window, scaled to the month by `scale`:
    /// counts by `scale.per_month`, per-second rates and time-averages
    /// (the load balancer's capacity dimensions) to the day's mean by
    /// `scale.to_daily_mean`. Instance counts are time-based and kept.
    pub fn from_window_scaled(s: &Scenario, w: &WindowSummary, scale: &MonthScale) -> Usage {
        let to_month = scale.per_month;
        let per_sec = if w.measured_secs > 0.0 {
            scale.to_daily_mean / w.measured_secs
        } else {
            0.0
        };
        let arrived =
            |routes: &[Route]| routes.iter().map(|&r| w.routes.arrived_on(r)).sum::<u64>() as f64;
        let served_bytes = |routes: &[Route]| -> f64 {
            w.routes
                .served
                .iter()
                .zip(&s.traffic.mix)
                .map(|(c, class)| {
                    routes.iter().map(|&r| c[r.index()]).sum::<u64>() as f64 * class.bytes as f64
                })
                .sum()
        };
        let session_reads: u64 = w
            .routes
            .served
            .iter()
            .zip(&s.traffic.mix)
            .filter(|(_, class)| class.session)
            .map(|(c, _)| origin_served(c))
            .sum();
        let via_lb: Vec<Route> = Route::ALL
            .into_iter()
            .filter(|r| r.reaches_origin())
            .collect();
        let via_cdn: Vec<Route> = Route::ALL.into_iter().filter(|r| r.via_cdn()).collect();
        let (db_reads, db_writes) = served_queries(s, w);
        Usage {
            web_instances: scale.web_instances.unwrap_or(w.web_billed_mean),
            cdn_requests: arrived(&via_cdn) * to_month,
            cdn_gb: served_bytes(&via_cdn) / BYTES_PER_GB * to_month,
            s3_get_requests: arrived(&[Route::EdgeS3]) * to_month,
            // API Gateway's answers leave the region like the origin's.
            internet_gb: served_bytes(&[Route::Origin, Route::Serverless]) / BYTES_PER_GB
                * to_month,
            lb_requests_per_sec: arrived(&via_lb) * per_sec,
            lb_gb_per_hour: served_bytes(&via_lb) / BYTES_PER_GB * per_sec * 3600.0,
            lb_active_connections: w.mean_in_origin * scale.to_daily_mean,
            session_reads: session_reads as f64 * to_month,
            cross_az_gb: cross_az_bytes(s, w) / BYTES_PER_GB * to_month,
            // A credit is one vCPU-minute.
            web_surplus_vcpu_hours: w.surplus_credits / 60.0 * to_month,
            db_surplus_vcpu_hours: w.db_surplus_credits / 60.0 * to_month,
            db_read_queries: db_reads * to_month,
            db_write_queries: db_writes * to_month,
            serverless: w.serverless.as_ref().map(|sl| {
                let arrived = w.routes.arrived_on(Route::Serverless) as f64;
                ServerlessUsage {
                    api_requests: (arrived - sl.throttled.api_gateway as f64).max(0.0) * to_month,
                    lambda_requests: (sl.invocations + sl.stream_invocations) as f64 * to_month,
                    lambda_gb_seconds: (sl.lambda_gb_seconds + sl.stream_gb_seconds) * to_month,
                    lambda_provisioned_gb_seconds: sl.lambda_provisioned_gb_seconds * to_month,
                    write_units: sl.wcu * to_month,
                    read_units: sl.rcu * to_month,
                    firehose_gb: serverless::gb(sl.firehose_billed_bytes) * to_month,
                    s3_puts: sl.s3_objects as f64 * to_month,
                    s3_gb: serverless::gb(sl.s3_bytes) * to_month,
                }
            }),
        }
    }
}

/// Requests of one class that went through the web tier.
fn origin_served(c: &PerRoute<u64>) -> u64 {
    Route::ALL
        .iter()
        .filter(|r| r.reaches_origin())
        .map(|r| c[r.index()])
        .sum()
}

/// Read and write queries of the requests served through the web tier over
/// the window (they made all their queries).
fn served_queries(s: &Scenario, w: &WindowSummary) -> (f64, f64) {
    w.routes
        .served
        .iter()
        .zip(&s.traffic.mix)
        .map(|(c, class)| {
            let n = origin_served(c) as f64;
            (
                n * f64::from(class.db_reads),
                n * f64::from(class.db_writes),
            )
        })
        .fold((0.0, 0.0), |(r, w), (a, b)| (r + a, w + b))
}

/// Bytes of DB queries between web instances and DB servers in different
/// AZs, over the window: web instance `i` is in `azs[i % n]`, the primary in
/// `azs[0]`, read replica `k` in `azs[k % n]`; the load balancer spreads
/// requests evenly and reads go round-robin over the replicas. Counted for
/// served requests (they made all their queries).
fn cross_az_bytes(s: &Scenario, w: &WindowSummary) -> f64 {
    let Some(db) = &s.database else { return 0.0 };
    if db.placement == DbPlacement::Colocated {
        return 0.0;
    }
    let count = s.web.count.max(1);
    let off_primary = (0..count)
        .filter(|&i| s.web_az(i) != s.db_primary_az())
        .count() as f64
        / f64::from(count);
    let off_replica = if db.read_replicas == 0 {
        off_primary
    } else {
        let pairs = (0..count)
            .flat_map(|i| (0..db.read_replicas).map(move |k| (i, k)))
            .filter(|&(i, k)| s.web_az(i) != s.db_replica_az(k))
            .count();
        pairs as f64 / f64::from(count * db.read_replicas)
    };
    let (reads, writes) = served_queries(s, w);
    (reads * off_replica + writes * off_primary) * db.bytes_per_query as f64
}

/// One line of the bill.
#[derive(Clone, Debug, PartialEq)]
pub struct CostLine {
    /// `ec2`, `rds`, `elb`, `cloudfront`, `s3`, `data_transfer`, `dynamodb`.
    pub service: &'static str,
    /// What is counted, for people.
    pub item: String,
    /// How much of it per month.
    pub quantity: f64,
    /// The quantity's unit.
    pub unit: &'static str,
    /// USD per one unit of `quantity`; `None` for a tiered price.
    pub unit_usd: Option<f64>,
    /// The price as published, or the tiers applied.
    pub price: String,
    /// US dollars per month.
    pub usd_month: f64,
}

impl CostLine {
    fn flat(
        service: &'static str,
        item: String,
        quantity: f64,
        unit: &'static str,
        unit_usd: f64,
        price: String,
    ) -> CostLine {
        CostLine {
            service,
            item,
            quantity,
            unit,
            unit_usd: Some(unit_usd),
            price,
            usd_month: quantity * unit_usd,
        }
    }
}

/// Prices from the catalog for one region.
struct Prices<'a> {
    catalog: &'a Catalog,
    region: &'static str,
}

impl Prices<'_> {
    /// The fact `service`/`item` in the scenario's region.
    fn get(&self, service: &str, item: &str) -> Result<f64, Error> {
        self.catalog
            .service_value_in(service, item, self.region)
            .ok_or_else(|| self.missing(service, item))
    }

    /// The fact `service`/`item` for a CloudFront edge location group.
    fn at_edge(&self, item: &str, edge: &str) -> Result<f64, Error> {
        self.catalog
            .service_value_in("cloudfront", item, edge)
            .ok_or_else(|| self.missing("cloudfront", &format!("{item} ({edge})")))
    }

    /// A free-tier allowance (`free_tier` rows, all regions).
    fn free(&self, item: &str) -> Result<f64, Error> {
        self.get("free_tier", item)
    }

    fn missing(&self, service: &str, item: &str) -> Error {
        Error::MissingPrice {
            what: format!("{service}: {item}"),
            region: self.region.to_string(),
        }
    }
}

const DATA_TRANSFER_TIERS: [Tier; 5] = [
    Tier {
        width: 100.0,
        item: "EC2/region to internet, first 100 GB/month (aggregated across services)",
    },
    Tier {
        width: 10.0 * GB_PER_TB - 100.0,
        item: "EC2/region to internet, up to 10 TB/month",
    },
    Tier {
        width: 40.0 * GB_PER_TB,
        item: "EC2/region to internet, next 40 TB/month",
    },
    Tier {
        width: 100.0 * GB_PER_TB,
        item: "EC2/region to internet, next 100 TB/month",
    },
    Tier {
        width: f64::INFINITY,
        item: "EC2/region to internet, over 150 TB/month",
    },
];

const S3_STORAGE_TIERS: [Tier; 3] = [
    Tier {
        width: 50.0 * GB_PER_TB,
        item: "Standard storage, first 50 TB",
    },
    Tier {
        width: 450.0 * GB_PER_TB,
        item: "Standard storage, next 450 TB",
    },
    Tier {
        width: f64::INFINITY,
        item: "Standard storage, over 500 TB",
    },
];

const CLOUDFRONT_US_TIERS: [Tier; 7] = [
    Tier {
        width: 10.0 * GB_PER_TB,
        item: "data transfer out, US/Mexico/Canada, first 10 TB",
    },
    Tier {
        width: 40.0 * GB_PER_TB,
        item: "data transfer out, US, next 40 TB",
    },
    Tier {
        width: 100.0 * GB_PER_TB,
        item: "data transfer out, US, next 100 TB",
    },
    Tier {
        width: 350.0 * GB_PER_TB,
        item: "data transfer out, US, next 350 TB",
    },
    Tier {
        width: 524.0 * GB_PER_TB,
        item: "data transfer out, US, next 524 TB",
    },
    Tier {
        width: 4.0 * 1024.0 * GB_PER_TB,
        item: "data transfer out, US, next 4 PB",
    },
    Tier {
        width: f64::INFINITY,
        item: "data transfer out, US, over 5 PB",
    },
];

const CLOUDFRONT_EUROPE_TIERS: [Tier; 7] = [
    Tier {
        width: 10.0 * GB_PER_TB,
        item: "data transfer out, Europe, first 10 TB",
    },
    Tier {
        width: 40.0 * GB_PER_TB,
        item: "data transfer out, Europe, next 40 TB",
    },
    Tier {
        width: 100.0 * GB_PER_TB,
        item: "data transfer out, Europe, next 100 TB",
    },
    Tier {
        width: 350.0 * GB_PER_TB,
        item: "data transfer out, Europe, next 350 TB",
    },
    Tier {
        width: 524.0 * GB_PER_TB,
        item: "data transfer out, Europe, next 524 TB",
    },
    Tier {
        width: 4.0 * 1024.0 * GB_PER_TB,
        item: "data transfer out, Europe, next 4 PB",
    },
    Tier {
        width: f64::INFINITY,
        item: "data transfer out, Europe, over 5 PB",
    },
];

/// The CloudFront edge location group whose prices apply to a region's
/// viewers, its transfer tiers and its HTTPS request item.
fn cloudfront_edge(region: Region) -> (&'static str, &'static [Tier], &'static str) {
    match region {
        Region::UsEast1 => ("US edge", &CLOUDFRONT_US_TIERS, "HTTPS requests, US"),
        Region::EuWest1 => (
            "Europe edge",
            &CLOUDFRONT_EUROPE_TIERS,
            "HTTPS requests, Europe",
        ),
    }
}

/// EC2 types whose hours the free tier covers (`data/services.csv`,
/// `free_tier, EC2 t2.micro/t3.micro Linux hours`).
const FREE_TIER_EC2: [&str; 2] = ["t2.micro", "t3.micro"];
/// RDS classes whose Single-AZ MySQL/PostgreSQL hours the free tier covers.
const FREE_TIER_RDS: [&str; 3] = ["db.t2.micro", "db.t3.micro", "db.t4g.micro"];

/// A free-tier deduction: `quantity` of a line's unit at its unit price, taken off.
fn deduction(
    service: &'static str,
    item: String,
    quantity: f64,
    unit: &'static str,
    unit_usd: f64,
) -> CostLine {
    CostLine {
        service,
        item,
        quantity: -quantity,
        unit,
        unit_usd: Some(unit_usd),
        price: format!("{unit_usd} USD per unit, deducted (billing.free_tier = true)"),
        usd_month: -quantity * unit_usd,
    }
}

/// The database's lines: instance-hours (RDS: Multi-AZ at its factor;
/// Aurora: each cluster instance), surplus CPU credits, Aurora I/O, and the
/// free tier.
fn database_lines(
    p: &Prices<'_>,
    s: &Scenario,
    db: &crate::spec::Database,
    i: &crate::spec::InstanceSpec,
    u: &Usage,
) -> Result<Vec<CostLine>, Error> {
    let engine = db.engine.code();
    let mut lines = Vec::new();
    let replica_hours = f64::from(db.read_replicas) * HOURS_PER_MONTH;
    // A replica is billed at its own class's (Single-AZ) price.
    let r = db.replica_class().unwrap_or(i);
    if db.engine.is_aurora() {
        lines.push(CostLine::flat(
            "rds",
            format!("{} {engine} writer instance-hours", i.name),
            HOURS_PER_MONTH,
            "instance-hours",
            i.usd_per_hour,
            format!("{} USD per instance-hour ({engine})", i.usd_per_hour),
        ));
        if db.read_replicas > 0 {
            lines.push(CostLine::flat(
                "rds",
                format!(
                    "{} x {} {engine} replica instance-hours",
                    db.read_replicas, r.name
                ),
                replica_hours,
                "instance-hours",
                r.usd_per_hour,
                format!("{} USD per instance-hour ({engine})", r.usd_per_hour),
            ));
        }
        let ios = u.db_read_queries * s.billing.aurora_ios_per_read
            + u.db_write_queries * s.billing.aurora_ios_per_write;
        lines.push(per_use(
            "rds",
            format!(
                "{engine} I/O requests ({} per read, {} per write query)",
                s.billing.aurora_ios_per_read, s.billing.aurora_ios_per_write
            ),
            ios,
            "I/O requests",
            || {
                let per_million = p.get("aurora", "I/O requests")?;
                Ok((
                    per_million / 1e6,
                    format!("{per_million} USD per million I/O requests (Aurora Standard)"),
                ))
            },
        )?);
        lines.extend(storage::lines(p, db)?);
    } else {
        let (factor, deployment) = if db.multi_az {
            let f = p.get("rds", "Multi-AZ (one standby) price relative to Single-AZ")?;
            (f, format!(" x {f} (Multi-AZ)"))
        } else {
            (1.0, String::new())
        };
        lines.push(CostLine::flat(
            "rds",
            format!(
                "{} {engine} primary{} instance-hours",
                i.name,
                if db.multi_az { " (Multi-AZ)" } else { "" }
            ),
            HOURS_PER_MONTH,
            "instance-hours",
            i.usd_per_hour * factor,
            format!(
                "{} USD per Single-AZ instance-hour{deployment}",
                i.usd_per_hour
            ),
        ));
        if db.read_replicas > 0 {
            lines.push(CostLine::flat(
                "rds",
                format!(
                    "{} x {} {engine} read replica instance-hours",
                    db.read_replicas, r.name
                ),
                replica_hours,
                "instance-hours",
                r.usd_per_hour,
                format!("{} USD per Single-AZ instance-hour", r.usd_per_hour),
            ));
        }
        lines.extend(storage::lines(p, db)?);
        let eligible = |c: &crate::spec::InstanceSpec| FREE_TIER_RDS.contains(&c.name.as_str());
        if s.billing.free_tier && !db.multi_az && r == i && eligible(i) {
            let hours = p.free("RDS db.t2/db.t3/db.t4g.micro Single-AZ hours")?;
            lines.push(deduction(
                "rds",
                format!("free tier: {hours} h of {} Single-AZ a month", i.name),
                (HOURS_PER_MONTH + replica_hours).min(hours),
                "instance-hours",
                i.usd_per_hour,
            ));
        } else if s.billing.free_tier && !db.multi_az && (eligible(i) || eligible(r)) {
            // One allowance a month over the eligible classes' hours, the
            // primary's first.
            let hours = p.free("RDS db.t2/db.t3/db.t4g.micro Single-AZ hours")?;
            let mut left = hours;
            for (class, used) in [(i, HOURS_PER_MONTH), (r, replica_hours)] {
                let taken = used.min(left);
                if eligible(class) && taken > 0.0 {
                    left -= taken;
                    lines.push(deduction(
                        "rds",
                        format!("free tier: {hours} h of {} Single-AZ a month", class.name),
                        taken,
                        "instance-hours",
                        class.usd_per_hour,
                    ));
                }
            }
        }
    }

    // Surplus CPU credits of an unlimited-mode burstable class (the
    // primary's, or the replicas' when only theirs is burstable).
    if u.db_surplus_vcpu_hours > 0.0 {
        let i = if i.burst.is_none() && db.read_replicas > 0 {
            r
        } else {
            i
        };
        let (service, item) = if i.name.starts_with("db.t2.") {
            ("rds", "T2 CPU credits")
        } else if db.engine.is_aurora() {
            ("aurora", "T3/T4g CPU credits (Aurora Standard)")
        } else {
            ("rds", "T3 CPU credits (MySQL/PostgreSQL/MariaDB)")
        };
        let price = p
            .catalog
            .service_value(service, item)
            .ok_or_else(|| p.missing(service, item))?;
        lines.push(CostLine::flat(
            "rds",
            format!("{} unlimited-mode surplus CPU credits", i.name),
            u.db_surplus_vcpu_hours,
            "vCPU-hours",
            price,
            format!("{price} USD per vCPU-hour of surplus credits"),
        ));
    }
    Ok(lines)
}

/// A per-use line: the price is looked up only if something was used.
fn per_use(
    service: &'static str,
    item: String,
    quantity: f64,
    unit: &'static str,
    price: impl FnOnce() -> Result<(f64, String), Error>,
) -> Result<CostLine, Error> {
    if quantity <= 0.0 {
        return Ok(CostLine {
            service,
            item,
            quantity: 0.0,
            unit,
            unit_usd: None,
            price: "nothing used".to_string(),
            usd_month: 0.0,
        });
    }
    let (unit_usd, text) = price()?;
    Ok(CostLine::flat(
        service, item, quantity, unit, unit_usd, text,
    ))
}

/// The bill of `s` for a month of `u`, with the embedded catalog's prices.
pub fn monthly_bill(s: &Scenario, u: &Usage) -> Result<Vec<CostLine>, Error> {
    monthly_bill_with(s, u, Catalog::embedded())
}

/// The bill of `s` for a month of `u`, with `catalog`'s prices.
pub fn monthly_bill_with(
    s: &Scenario,
    u: &Usage,
    catalog: &Catalog,
) -> Result<Vec<CostLine>, Error> {
    let p = Prices {
        catalog,
        region: s.region.code(),
    };
    let mut lines = Vec::new();

    // EC2: the web fleet's instance-hours (none without a fleet).
    let web = &s.web.instance;
    let has_web = s.has_web();
    if has_web {
        lines.push(CostLine::flat(
            "ec2",
            format!(
                "{} instance-hours ({:.3} instances on average)",
                web.name, u.web_instances
            ),
            u.web_instances * HOURS_PER_MONTH,
            "instance-hours",
            web.usd_per_hour,
            format!(
                "{} USD per instance-hour (on-demand Linux)",
                web.usd_per_hour
            ),
        ));
    }

    let free = s.billing.free_tier;
    let web_hours = u.web_instances * HOURS_PER_MONTH;
    if has_web && free && FREE_TIER_EC2.contains(&web.name.as_str()) {
        let hours = p.free("EC2 t2.micro/t3.micro Linux hours")?;
        lines.push(deduction(
            "ec2",
            format!("free tier: {hours} h of {} a month", web.name),
            web_hours.min(hours),
            "instance-hours",
            web.usd_per_hour,
        ));
    }

    // EBS gp3 root volumes of the web instances.
    if has_web && s.billing.root_volume_gb > 0.0 {
        let gb_months = u.web_instances * s.billing.root_volume_gb;
        let gp3 = p.get("ebs", "gp3 storage")?;
        lines.push(CostLine::flat(
            "ebs",
            format!(
                "gp3 root volumes ({} GB x {:.3} instances on average)",
                s.billing.root_volume_gb, u.web_instances
            ),
            gb_months,
            "GB-months",
            gp3,
            format!("{gp3} USD per GB-month"),
        ));
        if free {
            let gb = p.free("EBS General Purpose storage")?;
            lines.push(deduction(
                "ebs",
                format!("free tier: {gb} GB-months of General Purpose storage"),
                gb_months.min(gb),
                "GB-months",
                gp3,
            ));
        }
    }

    // Surplus CPU credits of unlimited-mode burstable instances. The one
    // price found is T3's (and T3a's); it is not region-specific in its source.
    if u.web_surplus_vcpu_hours > 0.0 {
        let item = match web.name.split('.').next() {
            Some("t3" | "t3a") => "T3 Unlimited surplus CPU credits",
            _ => "T2 Unlimited surplus CPU credits",
        };
        let price = catalog
            .service_value("ec2", item)
            .ok_or_else(|| p.missing("ec2", item))?;
        lines.push(CostLine::flat(
            "ec2",
            format!("{} unlimited-mode surplus CPU credits", web.name),
            u.web_surplus_vcpu_hours,
            "vCPU-hours",
            price,
            format!("{price} USD per vCPU-hour of surplus credits"),
        ));
    }

    if let Some(db) = &s.database
        && let DbPlacement::Rds(i) = &db.placement
    {
        lines.extend(database_lines(&p, s, db, i, u)?);
    }

    // Elastic Load Balancing.
    if let Some(lb) = &s.load_balancer {
        lines.extend(load_balancer_lines(&p, lb, u)?);
        if free && lb.kind != LbKind::Nlb {
            let hours = p.get("alb", "free tier")?;
            let (service, name) = match lb.kind {
                LbKind::Alb => ("alb", "ALB"),
                _ => ("clb", "Classic LB"),
            };
            let hour = p.get(service, "load balancer hour")?;
            lines.push(deduction(
                "elb",
                format!("free tier: {hours} {name} hours a month"),
                HOURS_PER_MONTH.min(hours),
                "LB-hours",
                hour,
            ));
        }
    }

    // CloudFront and S3 behind it.
    if let Some(cdn) = &s.cdn {
        let (edge, tier_list, https_item) = cloudfront_edge(s.region);
        let t = price_tiers(u.cdn_gb, tier_list, |item| p.at_edge(item, edge))?;
        lines.push(CostLine {
            service: "cloudfront",
            item: format!("data transfer out to viewers ({edge} prices)"),
            quantity: u.cdn_gb,
            unit: "GB",
            unit_usd: None,
            price: format!("tiered, USD per GB: {}", t.describe()),
            usd_month: t.usd,
        });
        lines.push(per_use(
            "cloudfront",
            "HTTPS requests (hits and misses)".to_string(),
            u.cdn_requests,
            "requests",
            || {
                let per_10k = p.at_edge(https_item, edge)?;
                Ok((
                    per_10k / 10_000.0,
                    format!("{per_10k} USD per 10,000 requests"),
                ))
            },
        )?);
        if free && (u.cdn_gb > 0.0 || u.cdn_requests > 0.0) {
            // 1 TB (1,024 GB) and 10 million requests a month, always free.
            let gb = u.cdn_gb.min(GB_PER_TB);
            if gb > 0.0 {
                let first = p.at_edge(tier_list[0].item, edge)?;
                lines.push(deduction(
                    "cloudfront",
                    "free tier: 1 TB of data transfer out a month".to_string(),
                    gb,
                    "GB",
                    first,
                ));
            }
            let requests = u.cdn_requests.min(10_000_000.0);
            if requests > 0.0 {
                let per_10k = p.at_edge(https_item, edge)?;
                lines.push(deduction(
                    "cloudfront",
                    "free tier: 10 million requests a month".to_string(),
                    requests,
                    "requests",
                    per_10k / 10_000.0,
                ));
            }
        }
        if cdn.static_origin == StaticOrigin::S3 && cdn.s3_storage_gb > 0.0 {
            let t = price_tiers(cdn.s3_storage_gb, &S3_STORAGE_TIERS, |item| {
                p.get("s3", item)
            })?;
            lines.push(CostLine {
                service: "s3",
                item: "Standard storage of the static content".to_string(),
                quantity: cdn.s3_storage_gb,
                unit: "GB-months",
                unit_usd: None,
                price: format!("tiered, USD per GB-month: {}", t.describe()),
                usd_month: t.usd,
            });
            if free {
                let gb = p.free("S3 Standard storage")?;
                let first = p.get("s3", S3_STORAGE_TIERS[0].item)?;
                lines.push(deduction(
                    "s3",
                    format!("free tier: {gb} GB-months of Standard storage"),
                    cdn.s3_storage_gb.min(gb),
                    "GB-months",
                    first,
                ));
            }
        }
        if cdn.static_origin == StaticOrigin::S3 {
            lines.push(per_use(
                "s3",
                "GET requests from CloudFront misses".to_string(),
                u.s3_get_requests,
                "requests",
                || {
                    let per_1k = p.get("s3", "GET/SELECT and other requests")?;
                    Ok((per_1k / 1_000.0, format!("{per_1k} USD per 1,000 requests")))
                },
            )?);
        }
    }

    // Responses that leave the region from the origin, not through CloudFront.
    let t = price_tiers(u.internet_gb, &DATA_TRANSFER_TIERS, |item| {
        p.get("data_transfer", item)
    })?;
    lines.push(CostLine {
        service: "data_transfer",
        item: "origin to internet (responses not served through CloudFront)".to_string(),
        quantity: u.internet_gb,
        unit: "GB",
        unit_usd: None,
        price: format!("tiered, USD per GB: {}", t.describe()),
        usd_month: t.usd,
    });

    // Queries crossing AZs: charged out of one AZ and into the other.
    if u.cross_az_gb > 0.0 {
        let item = "between Availability Zones in the same region, each direction";
        let each = p.get("data_transfer", item)?;
        lines.push(CostLine::flat(
            "data_transfer",
            "cross-AZ web to database (queries, both directions)".to_string(),
            u.cross_az_gb,
            "GB",
            2.0 * each,
            format!("{each} USD per GB out of one AZ + {each} into the other"),
        ));
    }

    // The serverless path.
    if let (Some(sl), Some(su)) = (&s.serverless, &u.serverless) {
        lines.extend(serverless::lines(&p, sl, su)?);
    }

    // DynamoDB session reads.
    if has_web && s.web.sessions == Sessions::Dynamodb {
        lines.push(per_use(
            "dynamodb",
            "session reads (eventually consistent, up to 4 KB), on-demand".to_string(),
            u.session_reads,
            "reads",
            || {
                let rru = p.get(
                    "dynamodb",
                    "read request units per eventually consistent read (item up to 4 KB)",
                )?;
                let per_million = p.get("dynamodb", "on-demand read request units")?;
                Ok((
                    rru * per_million / 1e6,
                    format!("{rru} RRU per read x {per_million} USD per million RRU"),
                ))
            },
        )?);
    }
    Ok(lines)
}

/// The capacity units of a load balancer: each dimension's LCUs and the
/// largest, which is what is billed.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityUnits {
    /// `(dimension, units)` in the order AWS lists them.
    pub dimensions: Vec<(&'static str, f64)>,
}

impl CapacityUnits {
    /// The billed units: the largest dimension (0 when nothing is used).
    pub fn billed(&self) -> f64 {
        self.dimensions.iter().map(|d| d.1).fold(0.0, f64::max)
    }

    fn describe(&self) -> String {
        self.dimensions
            .iter()
            .map(|(d, x)| format!("{d} {x:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn load_balancer_lines(
    p: &Prices<'_>,
    lb: &crate::spec::LoadBalancer,
    u: &Usage,
) -> Result<Vec<CostLine>, Error> {
    let new_connections = u.lb_requests_per_sec / lb.requests_per_connection;
    let (name, service) = match lb.kind {
        LbKind::Alb => ("ALB", "alb"),
        LbKind::Nlb => ("NLB", "nlb"),
        LbKind::Elb => ("Classic LB", "clb"),
    };
    let hour = p.get(service, "load balancer hour")?;
    let mut lines = vec![CostLine::flat(
        "elb",
        format!("{name} hours"),
        HOURS_PER_MONTH,
        "LB-hours",
        hour,
        format!("{hour} USD per {name}-hour"),
    )];
    match lb.kind {
        LbKind::Alb => {
            let dim = |item| p.get("alb", item);
            let evaluated = f64::from(lb.rules.saturating_sub(ALB_FREE_RULES));
            let units = CapacityUnits {
                dimensions: vec![
                    (
                        "new connections",
                        new_connections / dim("LCU dimension: new connections")?,
                    ),
                    (
                        "active connections",
                        u.lb_active_connections / dim("LCU dimension: active connections")?,
                    ),
                    (
                        "processed bytes",
                        u.lb_gb_per_hour
                            / dim("LCU dimension: processed bytes (EC2/IP/container targets)")?,
                    ),
                    (
                        "rule evaluations",
                        u.lb_requests_per_sec * evaluated / dim("LCU dimension: rule evaluations")?,
                    ),
                ],
            };
            let price = p.get("alb", "LCU-hour")?;
            lines.push(CostLine::flat(
                "elb",
                "ALB LCU-hours".to_string(),
                units.billed() * HOURS_PER_MONTH,
                "LCU-hours",
                price,
                format!(
                    "{price} USD per LCU-hour; LCUs = largest of {}",
                    units.describe()
                ),
            ));
        }
        LbKind::Nlb => {
            let dim = |item| p.get("nlb", item);
            let units = CapacityUnits {
                dimensions: vec![
                    (
                        "new connections",
                        new_connections / dim("NLCU dimension: new TCP connections")?,
                    ),
                    (
                        "active connections",
                        u.lb_active_connections / dim("NLCU dimension: active TCP connections")?,
                    ),
                    (
                        "processed bytes",
                        u.lb_gb_per_hour / dim("NLCU dimension: processed bytes (TCP)")?,
                    ),
                ],
            };
            let price = p.get("nlb", "NLCU-hour")?;
            lines.push(CostLine::flat(
                "elb",
                "NLB NLCU-hours".to_string(),
                units.billed() * HOURS_PER_MONTH,
                "NLCU-hours",
                price,
                format!(
                    "{price} USD per NLCU-hour; NLCUs = largest of {}",
                    units.describe()
                ),
            ));
        }
        LbKind::Elb => {
            let gb = u.lb_gb_per_hour * HOURS_PER_MONTH;
            lines.push(per_use(
                "elb",
                "Classic LB data processed".to_string(),
                gb,
                "GB",
                || {
                    let per_gb = p.get("clb", "data processed")?;
                    Ok((per_gb, format!("{per_gb} USD per GB processed")))
                },
            )?);
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests;
