//! Replication lag at a checkpoint's load: `checkpoints.csv`'s
//! `replica_lag_ms`, a reported figure (the model does not delay what a
//! replica sees).

use super::CheckpointResult;
use crate::route::Route;
use crate::spec::{DbPlacement, Scenario, network};

impl CheckpointResult {
    /// The read replicas' lag in milliseconds by
    /// `spec::network::replica_lag`: the primary's writes per second over
    /// the measured window (served origin requests times their class's
    /// writes), a write's mean time on the replicas' RDS class, the busiest
    /// replica's utilisation, and half a round trip from the primary to
    /// it. `None` without replicas; infinite past the applier's capacity.
    pub fn replica_lag_ms(&self, s: &Scenario) -> Option<f64> {
        let d = s.database.as_ref()?;
        let DbPlacement::Rds(_) = &d.placement else {
            return None;
        };
        // The applier runs on a replica: its class's speed.
        let i = d.replica_class()?;
        let w = &self.window;
        let utils = w.stations.db.get(1..).filter(|u| !u.is_empty())?;
        let (k, util) = utils
            .iter()
            .copied()
            .enumerate()
            .fold((0, 0.0), |b, (k, u)| if u > b.1 { (k, u) } else { b });
        let writes: f64 = w
            .routes
            .served
            .iter()
            .zip(&s.traffic.mix)
            .map(|(c, class)| {
                let origin: u64 = Route::ALL
                    .iter()
                    .filter(|r| r.reaches_origin())
                    .map(|r| c[r.index()])
                    .sum();
                origin as f64 * f64::from(class.db_writes)
            })
            .sum();
        let rate = if w.measured_secs > 0.0 {
            writes / w.measured_secs
        } else {
            0.0
        };
        let write = d.write_time.scaled(i.cpu_speed).mean().as_secs_f64();
        let same = s.db_replica_az(k as u32) == s.db_primary_az();
        let one_way = d.network.rtt(same) / 2.0;
        Some(network::replica_lag(rate, write, util, one_way).map_or(f64::INFINITY, |l| l * 1000.0))
    }
}
