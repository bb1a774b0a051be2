//! RDS storage: the volume under each MySQL or PostgreSQL server, billed
//! per GB-month and (io1, gp3 above its included IOPS) per provisioned
//! IOPS-month. A Multi-AZ standby has a volume of its own (the Multi-AZ
//! price is twice the Single-AZ one), and so does each read replica.

use super::{CostLine, Prices};
use crate::error::Error;
use crate::spec::{Database, VolumeKind};

/// The storage lines of `db` (none without a volume to bill). Aurora's
/// cluster volume holds the data once for the writer and every replica,
/// billed per GB-month stored: the working set (`working_set_gb`), the
/// data the scenario says it has (an Aurora scenario has no `storage`).
pub(super) fn lines(p: &Prices<'_>, db: &Database) -> Result<Vec<CostLine>, Error> {
    if db.engine.is_aurora() {
        let Some(gb) = db.working_set_gb else {
            return Ok(Vec::new());
        };
        let per_gb = p.get("aurora", "Standard storage")?;
        return Ok(vec![CostLine::flat(
            "rds",
            format!(
                "{} cluster storage ({gb} GB, shared by its instances)",
                db.engine.code()
            ),
            gb,
            "GB-months",
            per_gb,
            format!("{per_gb} USD per GB-month (Aurora Standard)"),
        )]);
    }
    let Some(v) = db.storage_model().map(|(_, s)| s).or(db.storage) else {
        return Ok(Vec::new());
    };
    let volumes = 1.0 + f64::from(u8::from(db.multi_az)) + f64::from(db.read_replicas);
    let item = match v.kind {
        VolumeKind::Gp2 | VolumeKind::Gp3 => "gp3/gp2 storage, Single-AZ",
        VolumeKind::Io1 => "io1 storage, Single-AZ",
    };
    let per_gb = p.get("rds", item)?;
    let mut out = vec![CostLine::flat(
        "rds",
        format!(
            "{} storage ({} GB x {volumes} volumes{})",
            v.kind.code(),
            v.size_gb,
            if db.multi_az {
                ", Multi-AZ standby included"
            } else {
                ""
            }
        ),
        v.size_gb * volumes,
        "GB-months",
        per_gb,
        format!("{per_gb} USD per GB-month"),
    )];
    let iops = v.billed_iops();
    if iops > 0.0 {
        let item = match v.kind {
            VolumeKind::Io1 => "io1 provisioned IOPS",
            _ => "gp3 provisioned IOPS above the included baseline",
        };
        let per_iops = p.get("rds", item)?;
        out.push(CostLine::flat(
            "rds",
            format!(
                "{} provisioned IOPS ({iops} x {volumes} volumes)",
                v.kind.code()
            ),
            iops * volumes,
            "IOPS-months",
            per_iops,
            format!("{per_iops} USD per IOPS-month"),
        ));
    }
    Ok(out)
}
