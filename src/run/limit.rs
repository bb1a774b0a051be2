//! What bound a design at a load: the ladder's `limited_by`.

use super::CheckpointResult;
use crate::route::ErrorCause;
use crate::spec::{DbPlacement, Scenario};

impl CheckpointResult {
    /// What bound the design at this checkpoint's load, in the ladder's
    /// words:
    ///
    /// - `db_connections` when requests refused a connection are at least
    ///   half the window's failures;
    /// - otherwise the bottleneck station (highest busy share): `web_cpu`,
    ///   or `credits` when most of the web vCPUs' busy time ran at the
    ///   credit baseline; `web_workers`; an RDS server's vCPUs as `db_cpu`,
    ///   or `db_contention` when the engine's Universal Scalability Law
    ///   leaves its full server under 90% of linear; a volume's IOPS as
    ///   `db_iops`.
    ///
    /// `None` for an idle window.
    pub fn limited_by(&self, s: &Scenario) -> Option<&'static str> {
        let c = &self.window.counts;
        let refused = c.error_causes[ErrorCause::DbConnections.index()];
        let failed = c.errors + c.dropped + c.timed_out;
        if refused > 0 && 2 * refused >= failed {
            return Some("db_connections");
        }
        let (name, _) = self.bottleneck()?;
        Some(match name.as_str() {
            "web_cpu" if self.window.web_throttled > 0.5 => "credits",
            "web_cpu" => "web_cpu",
            "web_workers" => "web_workers",
            n if n.ends_with("_iops") => "db_iops",
            _ => {
                // The bottleneck server's own class: the primary's or the replicas'.
                let k = usize::from(name.starts_with("db_replica_"));
                let contended = s.database.as_ref().is_some_and(|d| match &d.placement {
                    DbPlacement::Rds(_) => d.server_class(k).is_some_and(|i| {
                        let usl = d.scaling.capacity(f64::from(i.vcpus));
                        i.vcpus > 1 && usl < 0.9 * f64::from(i.vcpus)
                    }),
                    DbPlacement::Colocated => false,
                });
                if contended { "db_contention" } else { "db_cpu" }
            }
        })
    }
}
