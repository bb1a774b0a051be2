//! The database's capacity beyond its CPUs: connections, the buffer pool
//! and the storage volume. One formula each, shared by the DES, the fluid
//! mode, the bill and the ladder's `limited_by`.

use super::DbEngine;

/// Bytes in a GiB (RDS's `DBInstanceClassMemory` is in bytes).
const GIB: f64 = 1_073_741_824.0;

/// RDS's default `max_connections` for an instance of `memory_gib`, by the
/// engine's parameter-group formula (AWS RDS User Guide, "Maximum number of
/// database connections", read 2026-12): MySQL
/// `{DBInstanceClassMemory/12582880}`, PostgreSQL and Aurora PostgreSQL
/// `LEAST({DBInstanceClassMemory/9531392},5000)`, Aurora MySQL
/// `GREATEST({log(DBInstanceClassMemory/805306368)*45},{log(DBInstanceClassMemory/8187281408)*1000})`
/// (log base 2). `DBInstanceClassMemory` is taken as the class's whole
/// memory; AWS subtracts what the OS and RDS processes reserve, so the
/// real default is a few percent lower (a db.t2.medium PostgreSQL shows
/// 413 where 4 GiB gives 450).
pub fn rds_max_connections(engine: DbEngine, memory_gib: f64) -> u32 {
    let mem = memory_gib * GIB;
    let n = match engine {
        DbEngine::Mysql => mem / 12_582_880.0,
        DbEngine::Postgres | DbEngine::AuroraPostgresql => (mem / 9_531_392.0).min(5000.0),
        DbEngine::AuroraMysql => {
            let a = (mem / 805_306_368.0).log2() * 45.0;
            let b = (mem / 8_187_281_408.0).log2() * 1000.0;
            a.max(b)
        }
    };
    (n.floor() as u32).max(1)
}

/// A self-managed server's compiled-in default `max_connections` (a
/// database colocated on the web instance): MySQL 151 (MySQL 8.0 Reference
/// Manual, "Server System Variables"), PostgreSQL 100 (PostgreSQL
/// documentation, "Connections and Authentication").
pub fn colocated_max_connections(engine: DbEngine) -> u32 {
    match engine {
        DbEngine::Postgres | DbEngine::AuroraPostgresql => 100,
        DbEngine::Mysql | DbEngine::AuroraMysql => 151,
    }
}

/// The share of an RDS instance's memory that caches data pages by the
/// engine's default parameter group: MySQL and Aurora MySQL
/// `innodb_buffer_pool_size = {DBInstanceClassMemory*3/4}`; PostgreSQL's
/// `effective_cache_size = {DBInstanceClassMemory/16384}` pages of 8 KiB
/// (half the memory: shared buffers plus the OS page cache); Aurora
/// PostgreSQL's `shared_buffers = {DBInstanceClassMemory/12038}` pages of
/// 8 KiB (Aurora has no OS file cache).
pub fn rds_cache_share(engine: DbEngine) -> f64 {
    match engine {
        DbEngine::Mysql | DbEngine::AuroraMysql => 0.75,
        DbEngine::Postgres => 8192.0 / 16384.0,
        DbEngine::AuroraPostgresql => 8192.0 / 12038.0,
    }
}

/// A self-managed server's default cache (colocated): MySQL's
/// `innodb_buffer_pool_size` default of 128 MiB; PostgreSQL's
/// `shared_buffers` default of 128 MB (the OS page cache comes on top and
/// is not counted).
pub const COLOCATED_CACHE_GB: f64 = 0.125;

/// The share of reads answered from the cache: pages accessed uniformly
/// over the working set, so `min(1, cache / working set)`. Uniform access
/// is the pessimistic end; skewed (hot-row) access hits more for the same
/// cache.
pub fn hit_ratio(cache_gb: f64, working_set_gb: f64) -> f64 {
    if working_set_gb <= 0.0 {
        1.0
    } else {
        (cache_gb / working_set_gb).clamp(0.0, 1.0)
    }
}

/// Storage I/Os per second a load implies: every read that misses the cache
/// reads one page, every write flushes its redo/WAL record once at commit
/// (no group commit assumed).
pub fn iops_of(reads_per_sec: f64, writes_per_sec: f64, hit: f64) -> f64 {
    reads_per_sec * (1.0 - hit) + writes_per_sec
}

/// The EBS volume type under the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeKind {
    /// General Purpose SSD, IOPS from size with a burst bucket.
    Gp2,
    /// General Purpose SSD, 3,000 IOPS baseline (12,000 from 400 GiB on RDS).
    Gp3,
    /// Provisioned IOPS SSD.
    Io1,
}

impl VolumeKind {
    /// The name in the scenario.
    pub fn code(self) -> &'static str {
        match self {
            VolumeKind::Gp2 => "gp2",
            VolumeKind::Gp3 => "gp3",
            VolumeKind::Io1 => "io1",
        }
    }
}

/// gp2's I/O credit bucket: the most credits it holds and what a new
/// volume starts with (EBS User Guide, "General Purpose SSD volumes").
pub const GP2_BUCKET: f64 = 5_400_000.0;
/// gp2's burst rate, IOPS.
pub const GP2_BURST_IOPS: f64 = 3_000.0;

/// The volume under the database.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Storage {
    /// Volume type.
    pub kind: VolumeKind,
    /// Allocated size, GiB.
    pub size_gb: f64,
    /// Provisioned IOPS (gp3 above its baseline, io1), if set.
    pub iops: Option<f64>,
    /// One I/O's service latency (EBS SSD: "single-digit milliseconds").
    pub latency_secs: f64,
}

impl Storage {
    /// The IOPS the volume sustains: gp2 3 per GiB, at least 100, at most
    /// 16,000; gp3 3,000 (RDS stripes 400 GiB and more for 12,000) or its
    /// provisioned IOPS; io1 its provisioned IOPS.
    pub fn baseline_iops(&self) -> f64 {
        match self.kind {
            VolumeKind::Gp2 => (3.0 * self.size_gb).clamp(100.0, 16_000.0),
            VolumeKind::Gp3 => {
                let included = if self.size_gb >= 400.0 {
                    12_000.0
                } else {
                    3_000.0
                };
                self.iops.unwrap_or(included).max(included)
            }
            VolumeKind::Io1 => self.iops.unwrap_or(1_000.0),
        }
    }

    /// The burst rate while credits last (gp2 under 1,000 GiB only).
    pub fn burst_iops(&self) -> Option<f64> {
        (self.kind == VolumeKind::Gp2 && self.baseline_iops() < GP2_BURST_IOPS)
            .then_some(GP2_BURST_IOPS)
    }

    /// Provisioned IOPS billed apart (io1 all of them, gp3 those above the
    /// included baseline).
    pub fn billed_iops(&self) -> f64 {
        match self.kind {
            VolumeKind::Gp2 => 0.0,
            VolumeKind::Gp3 => {
                let included = if self.size_gb >= 400.0 {
                    12_000.0
                } else {
                    3_000.0
                };
                (self.iops.unwrap_or(included) - included).max(0.0)
            }
            VolumeKind::Io1 => self.baseline_iops(),
        }
    }
}

/// A gp2 volume's I/O credit balance (one credit is one I/O): earned at
/// the baseline rate all the time, spent one per I/O, capped at the
/// bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IoCredits {
    /// Credits now.
    pub balance: f64,
    /// Earned per second (the baseline IOPS).
    pub earn: f64,
}

impl IoCredits {
    /// A full bucket for `s` (a gp2 volume that bursts), else `None`.
    pub fn of(s: &Storage) -> Option<IoCredits> {
        s.burst_iops().map(|_| IoCredits {
            balance: GP2_BUCKET,
            earn: s.baseline_iops(),
        })
    }

    /// The balance after `secs` of I/O at `iops` (the bucket's arithmetic).
    pub fn advance(&mut self, iops: f64, secs: f64) {
        self.balance = (self.balance + (self.earn - iops) * secs).clamp(0.0, GP2_BUCKET);
    }

    /// Seconds a full bucket lasts at a steady `iops` above the baseline
    /// (`None` at or below it): `bucket / (iops - baseline)`.
    pub fn seconds_to_empty(&self, iops: f64) -> Option<f64> {
        (iops > self.earn).then(|| self.balance / (iops - self.earn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_connections_by_engine() {
        // db.m5.large, 8 GiB: 8 * 2^30 / 12582880 = 682.7.
        assert_eq!(rds_max_connections(DbEngine::Mysql, 8.0), 682);
        // PostgreSQL: 8 * 2^30 / 9531392 = 901.2; 5,000 from 44.4 GiB.
        assert_eq!(rds_max_connections(DbEngine::Postgres, 8.0), 901);
        assert_eq!(rds_max_connections(DbEngine::Postgres, 256.0), 5000);
        // Aurora MySQL, 16 GiB: log2(2.098) * 1000 = 1069.
        assert_eq!(rds_max_connections(DbEngine::AuroraMysql, 16.0), 1069);
        assert_eq!(colocated_max_connections(DbEngine::Mysql), 151);
    }

    #[test]
    fn buffer_pool_arithmetic_gives_the_iops_a_working_set_implies() {
        // db.r5.large (16 GiB): a 12 GiB InnoDB pool over a 48 GiB working
        // set hits 1 read in 4; 1,000 reads/s and 100 writes/s need
        // 750 + 100 = 850 IOPS.
        let pool = 16.0 * rds_cache_share(DbEngine::Mysql);
        let hit = hit_ratio(pool, 48.0);
        assert!((hit - 0.25).abs() < 1e-12);
        assert!((iops_of(1000.0, 100.0, hit) - 850.0).abs() < 1e-9);
        assert_eq!(hit_ratio(pool, 10.0), 1.0);
    }

    #[test]
    fn gp2_runs_out_of_burst_when_its_balance_says() {
        let s = Storage {
            kind: VolumeKind::Gp2,
            size_gb: 100.0,
            iops: None,
            latency_secs: 0.001,
        };
        assert_eq!(s.baseline_iops(), 300.0);
        assert_eq!(s.burst_iops(), Some(3000.0));
        let mut c = IoCredits::of(&s).unwrap();
        // 5.4M credits at 3,000 - 300 net: 2,000 s.
        assert!((c.seconds_to_empty(3000.0).unwrap() - 2000.0).abs() < 1e-9);
        c.advance(3000.0, 1999.0);
        assert!(c.balance > 0.0);
        c.advance(3000.0, 1.0);
        assert!(c.balance.abs() < 1e-6);
        // 20 GiB: 100 IOPS minimum; 1 TiB and up never bursts.
        let small = Storage { size_gb: 20.0, ..s };
        assert_eq!(small.baseline_iops(), 100.0);
        let big = Storage {
            size_gb: 1000.0,
            ..s
        };
        assert_eq!(big.burst_iops(), None);
    }
}
