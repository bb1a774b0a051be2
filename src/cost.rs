//! The monthly bill of a scenario, line by line, from catalog prices.
//!
//! For now the bill holds instance-hours: the EC2 fleet and the RDS
//! instances, at on-demand prices in the scenario's region.

use crate::spec::{DbPlacement, Scenario};

/// Hours in the month the bill is extrapolated to (30.44 days).
pub const HOURS_PER_MONTH: f64 = 30.44 * 24.0;

/// One line of the bill.
#[derive(Clone, Debug, PartialEq)]
pub struct CostLine {
    /// `ec2`, `rds`, ...
    pub service: &'static str,
    /// What is counted, for people.
    pub what: String,
    /// US dollars per month.
    pub usd_month: f64,
}

/// The bill for running `web_instances` (time average) of `s`'s fleet for a
/// month; `multi_az_factor` is the price of Multi-AZ RDS relative to Single-AZ.
pub fn monthly_bill(s: &Scenario, web_instances: f64, multi_az_factor: f64) -> Vec<CostLine> {
    let mut lines = vec![CostLine {
        service: "ec2",
        what: format!("{web_instances} x {} instance-hours", s.web.instance.name),
        usd_month: web_instances * s.web.instance.usd_per_hour * HOURS_PER_MONTH,
    }];
    if let Some(db) = &s.database
        && let DbPlacement::Rds(i) = &db.placement
    {
        let primary = if db.multi_az { multi_az_factor } else { 1.0 };
        let instances = primary + f64::from(db.read_replicas);
        lines.push(CostLine {
            service: "rds",
            what: format!(
                "{} ({}primary + {} read replicas) instance-hours",
                i.name,
                if db.multi_az { "Multi-AZ " } else { "" },
                db.read_replicas
            ),
            usd_month: instances * i.usd_per_hour * HOURS_PER_MONTH,
        });
    }
    lines
}
