//! `[database]`'s capacity keys: `max_connections`, `working_set_gb`,
//! `buffer_pool_gb` and `storage`.

use crate::scenario::reader::{Bounds, Got, Table};
use crate::spec::{DEFAULT_IO_LATENCY, DbEngine, Storage, VolumeKind, dbcap};

/// What the capacity keys resolve to.
pub(super) struct DbCapKeys {
    pub(super) max_connections: u32,
    /// `max_connections` as written (it then holds for every server).
    pub(super) max_connections_set: Option<u32>,
    pub(super) working_set_gb: Option<f64>,
    pub(super) cache_gb: f64,
    /// `buffer_pool_gb` as written (it then holds for every server).
    pub(super) cache_gb_set: Option<f64>,
    pub(super) storage: Option<Storage>,
}

/// Reads the keys; `memory_gib` is the RDS class's memory (`None` when
/// colocated or the class is unknown).
pub(super) fn read_dbcap(
    t: &mut Table<'_>,
    engine: DbEngine,
    colocated: bool,
    memory_gib: Option<f64>,
) -> DbCapKeys {
    let default_conns = match memory_gib {
        Some(m) if !colocated => dbcap::rds_max_connections(engine, m),
        _ => dbcap::colocated_max_connections(engine),
    };
    let max_connections_set = t.u32("max_connections", 1).value().copied();
    let max_connections = max_connections_set.unwrap_or(default_conns);
    let working_set_gb = t.num("working_set_gb", Bounds::above(0.0));
    let default_cache = match memory_gib {
        Some(m) if !colocated => m * dbcap::rds_cache_share(engine),
        _ => dbcap::COLOCATED_CACHE_GB,
    };
    let cache_gb_set = t.num("buffer_pool_gb", Bounds::above(0.0)).value().copied();
    let cache_gb = cache_gb_set.unwrap_or(default_cache);
    let mut s = t.table("storage");
    let storage = if s.is_present() {
        let span = s.span();
        let kind = s.choice(
            "type",
            "volume type",
            &[
                ("gp2", VolumeKind::Gp2),
                ("gp3", VolumeKind::Gp3),
                ("io1", VolumeKind::Io1),
            ],
        );
        let size = s.num("size_gb", Bounds::between(20.0, true, 65_536.0, true));
        let iops = s.num("iops", Bounds::between(100.0, true, 256_000.0, true));
        if let (Got::Ok(VolumeKind::Gp2, _), Got::Ok(_, sp)) = (&kind, &iops) {
            s.error(
                "iops",
                "a gp2 volume's IOPS come from its size (3 per GiB), found iops",
                "remove iops, or set type = \"gp3\" or \"io1\" to provision IOPS",
                sp.clone(),
            );
        }
        if let (Got::Ok(VolumeKind::Io1, sp), true) = (&kind, iops.is_absent()) {
            s.error(
                "iops",
                "an io1 volume needs its provisioned IOPS",
                "add iops = 3000 (io1 is billed per provisioned IOPS)",
                sp.clone(),
            );
        }
        if kind.is_absent() {
            s.error(
                "type",
                "a storage volume needs its type",
                "add type = \"gp2\", \"gp3\" or \"io1\"",
                span.clone(),
            );
        }
        if size.is_absent() {
            s.error(
                "size_gb",
                "a storage volume needs its size",
                "add size_gb = 100 (GiB, 20 or more)",
                span.clone(),
            );
        }
        if colocated {
            t.error(
                "storage",
                "a colocated database uses the web instance's root volume, found storage",
                "remove storage (billing.root_volume_gb sizes the root volume), or move the database to an RDS class",
                span.clone(),
            );
        } else if engine.is_aurora() {
            t.error(
                "storage",
                format!(
                    "{} keeps its data on the cluster volume, found storage",
                    engine.code()
                ),
                "remove storage: Aurora's storage and I/Os are billed by use",
                span.clone(),
            );
        }
        let out = match (kind, size) {
            (Got::Ok(kind, _), Got::Ok(size_gb, _)) => Some(Storage {
                kind,
                size_gb,
                iops: iops.value().copied(),
                latency_secs: DEFAULT_IO_LATENCY,
            }),
            _ => None,
        };
        s.finish();
        out
    } else {
        s.finish();
        None
    };
    DbCapKeys {
        max_connections,
        max_connections_set,
        working_set_gb: working_set_gb.value().copied(),
        cache_gb,
        cache_gb_set,
        storage,
    }
}
