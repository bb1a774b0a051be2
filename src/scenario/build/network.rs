//! `[database]`'s network keys: `network_rtt` and `read_after_write`.

use crate::scenario::reader::Table;
use crate::spec::{DbNetwork, ReadAfterWrite};

/// Reads `network_rtt = { same_az, cross_az }` (each optional, defaulting
/// to the published figures) and `read_after_write`.
pub(super) fn read_network(t: &mut Table<'_>) -> (DbNetwork, ReadAfterWrite) {
    let mut n = t.table("network_rtt");
    let mut network = DbNetwork::MEASURED;
    if n.is_present() {
        if let Some(d) = n.duration("same_az", false).value() {
            network.same_az = d.as_secs_f64();
        }
        if let Some(d) = n.duration("cross_az", false).value() {
            network.cross_az = d.as_secs_f64();
        }
    }
    n.finish();
    let raw = t
        .choice(
            "read_after_write",
            "read-after-write routing",
            &[
                ("replica", ReadAfterWrite::Replica),
                ("primary", ReadAfterWrite::Primary),
            ],
        )
        .or(ReadAfterWrite::Replica);
    (network, raw)
}
