//! The network between the web tier and the database, Multi-AZ commits
//! and replication lag: one formula each, shared by the DES and the fluid
//! mode.
//!
//! A query from a web instance to a DB server pays one round trip, the
//! same-AZ figure when both are in one AZ (`spec::placement`), the cross-AZ
//! one otherwise. A write on a Multi-AZ primary also waits for the
//! synchronous commit to its standby: one round trip between their AZs.
//! Both are pure delays: they hold the request's worker and connections,
//! not a DB server.

use super::Scenario;

/// Same-AZ round trip between EC2 instances, seconds: the mean of a 10-ping
/// test within us-east-1b, 0.446 ms (`data/behaviour.csv`,
/// `ec2_rtt_same_az`).
pub const SAME_AZ_RTT: f64 = 0.000_446;
/// Cross-AZ round trip, seconds: the mean of the two cross-AZ pairs of the
/// same test (1.328 and 2.112 ms), 1.72 ms (`ec2_rtt_cross_az`).
pub const CROSS_AZ_RTT: f64 = 0.001_72;

/// `database.network_rtt`: the round trip of one query, seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DbNetwork {
    /// Web instance and DB server in one AZ.
    pub same_az: f64,
    /// In different AZs.
    pub cross_az: f64,
}

impl DbNetwork {
    /// The published figures (the default).
    pub const MEASURED: DbNetwork = DbNetwork {
        same_az: SAME_AZ_RTT,
        cross_az: CROSS_AZ_RTT,
    };
    /// No network time (hand-built scenarios of the theory tests).
    pub const ZERO: DbNetwork = DbNetwork {
        same_az: 0.0,
        cross_az: 0.0,
    };

    /// One round trip between two AZs.
    pub fn rtt(&self, same_az: bool) -> f64 {
        if same_az { self.same_az } else { self.cross_az }
    }
}

/// `database.read_after_write`: where a user's reads go after a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAfterWrite {
    /// To the replicas as any other read (they may see stale data).
    Replica,
    /// To the primary: approximated per class, the reads of a class that
    /// writes go to the primary.
    Primary,
}

/// Mean network time per query of each kind, seconds, for the fluid mode.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueryNetwork {
    /// A read served by the primary.
    pub read_primary: f64,
    /// A read served by a replica (round robin over the first `replicas`).
    pub read_replica: f64,
    /// A write (the primary, plus the Multi-AZ commit).
    pub write: f64,
}

impl Scenario {
    /// The round trip of a query from a web instance in `web.azs[az]` to DB
    /// server `server` (0 the primary, then the replicas), seconds; 0 for a
    /// colocated database or none.
    pub fn query_rtt(&self, az: usize, server: u32) -> f64 {
        let Some(d) = &self.database else { return 0.0 };
        if matches!(d.placement, super::DbPlacement::Colocated) {
            return 0.0;
        }
        let web = self.web_az(az as u32);
        let db = match server {
            0 => self.db_primary_az(),
            k => self.db_replica_az(k - 1),
        };
        d.network.rtt(web == db)
    }

    /// The synchronous commit a write on the primary waits for, seconds:
    /// one round trip to the Multi-AZ standby, 0 without one.
    pub fn commit_secs(&self) -> f64 {
        match &self.database {
            Some(d) if d.multi_az => d.network.rtt(self.db_standby_az() == self.db_primary_az()),
            _ => 0.0,
        }
    }

    /// The mean network time of a query over `instances` web instances
    /// spread round robin over `web.azs` (each query from an instance
    /// taken at random), with `replicas` replicas serving reads.
    pub fn query_network(&self, instances: u32, replicas: u32) -> QueryNetwork {
        let n = instances.max(1);
        let mean_to = |server: u32| -> f64 {
            (0..n)
                .map(|i| self.query_rtt(i as usize, server))
                .sum::<f64>()
                / f64::from(n)
        };
        let primary = mean_to(0);
        let read_replica = if replicas == 0 {
            primary
        } else {
            (1..=replicas).map(mean_to).sum::<f64>() / f64::from(replicas)
        };
        QueryNetwork {
            read_primary: primary,
            read_replica,
            write: primary + self.commit_secs(),
        }
    }
}

/// Replication lag, seconds: the replica applies the primary's writes one
/// at a time (MySQL's default single applier thread) as an M/M/1 queue
/// whose service is a write's time stretched by the replica's busy vCPUs
/// (the applier gets `1 - util` of a vCPU, as under processor sharing),
/// after the one-way trip from the primary. `None` past saturation (the
/// lag grows without bound).
pub fn replica_lag(
    writes_per_sec: f64,
    write_secs: f64,
    replica_util: f64,
    one_way: f64,
) -> Option<f64> {
    let s = write_secs / (1.0 - replica_util.clamp(0.0, 0.999_999));
    let rho = writes_per_sec * s;
    (rho < 1.0).then(|| one_way + s / (1.0 - rho))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_an_mm1_response() {
        // 100 writes/s of 6 ms on an idle replica: rho 0.6, 15 ms.
        let l = replica_lag(100.0, 0.006, 0.0, 0.0).unwrap();
        assert!((l - 0.015).abs() < 1e-12);
        // Half busy: 12 ms each, rho 1.2: unbounded.
        assert!(replica_lag(100.0, 0.006, 0.5, 0.0).is_none());
        assert_eq!(replica_lag(0.0, 0.006, 0.0, 0.001), Some(0.007));
    }
}
