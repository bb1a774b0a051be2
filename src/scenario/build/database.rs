//! `[database]`: RDS or colocated, replicas, Multi-AZ and credits.

use crate::catalog::Catalog;
use crate::scenario::reader::{Got, Table};
use crate::spec::{Database, DbEngine, DbPlacement, InstanceSpec, Region, ReplicaClass, dbcap};
use crate::suggest::did_you_mean;
use crate::time::SimDuration;

use super::*;

/// The Universal Scalability Law an RDS engine follows over its busy
/// vCPUs unless `database.scaling` says otherwise: the published fits in
/// `data/behaviour.csv` (MySQL: Schwartz's 2015 example data, threads 1 to
/// 32; PostgreSQL 9.1: Gunther's 2012 fit of Haas's 1 to 32 clients);
/// linear for Aurora, for which no fit was found
/// (`docs/modeling-notes.md`).
pub(crate) fn engine_scaling(catalog: &Catalog, engine: DbEngine) -> crate::spec::Usl {
    let fit = |stem: &str| {
        Some(crate::spec::Usl {
            contention: catalog.behaviour_value(&format!("{stem}_sigma"))?,
            coherency: catalog.behaviour_value(&format!("{stem}_kappa"))?,
        })
    };
    match engine {
        DbEngine::Mysql => fit("usl_mysql_cisco"),
        DbEngine::Postgres => fit("usl_postgresql_9_1"),
        DbEngine::AuroraMysql | DbEngine::AuroraPostgresql => None,
    }
    .unwrap_or(crate::spec::Usl::LINEAR)
}

/// The database; `None` when invalid.
pub(super) fn read_database(
    mut t: Table<'_>,
    region: Region,
    web_count: Got<u32>,
) -> Option<Database> {
    let catalog = Catalog::embedded();
    let engine = t
        .choice(
            "engine",
            "engine",
            &[
                ("mysql", DbEngine::Mysql),
                ("postgres", DbEngine::Postgres),
                ("aurora-mysql", DbEngine::AuroraMysql),
                ("aurora-postgresql", DbEngine::AuroraPostgresql),
            ],
        )
        .or(DbEngine::Mysql);
    let instance = t.required_str(
        "instance",
        "add instance = \"db.m5.large\" (an RDS class) or instance = \"colocated\"",
    );
    let instance_span = instance.span();
    let placement = match instance {
        Got::Ok(name, _) if name == "colocated" => Some(DbPlacement::Colocated),
        Got::Ok(name, span) => {
            rds_class(&t, "instance", &name, span, engine, region).map(DbPlacement::Rds)
        }
        _ => None,
    };
    let replica_instance = t.str("replica_instance");
    let replica_class = match &replica_instance {
        Got::Ok(name, span) if placement != Some(DbPlacement::Colocated) => {
            rds_class(&t, "replica_instance", name, span.clone(), engine, region)
        }
        _ => None,
    };
    let rds_name = match &placement {
        Some(DbPlacement::Rds(i)) => Some(i.name.clone()),
        _ => None,
    };
    // `credits` and `initial_credits` apply to every burstable server: the
    // primary's class or the replicas' may be the burstable one.
    let credit_keys = read_credit_keys(&mut t);
    let replica_burstable = replica_class
        .as_ref()
        .is_some_and(|r| Catalog::embedded().burst(&r.name).is_some());
    let burst = burst_of(&t, rds_name.as_deref(), &credit_keys, !replica_burstable);
    let replica_burst = match (&replica_class, &burst) {
        (Some(r), Ok(_)) => burst_of(&t, Some(&r.name), &credit_keys, false),
        _ => Ok(None),
    };
    let placement = match (placement, burst) {
        (Some(DbPlacement::Rds(i)), Ok(burst)) => {
            Some(DbPlacement::Rds(InstanceSpec { burst, ..i }))
        }
        (Some(DbPlacement::Rds(_)), Err(())) => None,
        (p, _) => p,
    };
    let replica_class = match (replica_class, replica_burst) {
        (Some(i), Ok(burst)) => Some(InstanceSpec { burst, ..i }),
        _ => None,
    };
    let multi_az = t.bool("multi_az");
    let read_replicas = t
        .int("read_replicas", 0, 15)
        .map(|n| u32::try_from(n).unwrap_or(0));
    let read_time = read_dist(
        &mut t,
        "read_time",
        SimDuration::from_millis(2),
        Shape::Service,
    );
    let write_time = read_dist(
        &mut t,
        "write_time",
        SimDuration::from_millis(6),
        Shape::Service,
    );
    let memory = rds_name
        .as_deref()
        .and_then(|n| catalog.rds(n))
        .map(|r| r.memory_gib);
    let cap = super::dbcap::read_dbcap(
        &mut t,
        engine,
        placement == Some(DbPlacement::Colocated),
        memory,
    );
    // The replicas' connections and cache follow their class's memory
    // unless the keys set them for every server.
    let replica_cap = replica_class.as_ref().and_then(|r| {
        let memory = catalog.rds(&r.name)?.memory_gib;
        Some((
            cap.max_connections_set
                .unwrap_or(dbcap::rds_max_connections(engine, memory)),
            cap.cache_gb_set
                .unwrap_or(memory * dbcap::rds_cache_share(engine)),
        ))
    });
    let bytes_per_query = t.u64("bytes_per_query", 0).or(2_000);
    let scaling = read_scaling(&mut t, engine_scaling(catalog, engine));
    let mut rds = match &placement {
        Some(DbPlacement::Rds(i)) => Some(i.clone()),
        _ => None,
    };
    let hyperthreads = read_hyperthreads(&mut t, &mut rds);
    let replica_class = replica_class.map(|mut r| {
        if hyperthreads {
            r.smt_pair = crate::catalog::smt_pair_throughput();
        }
        r
    });
    let placement = match (placement, rds) {
        (Some(DbPlacement::Rds(_)), Some(i)) => Some(DbPlacement::Rds(i)),
        (p, _) => p,
    };
    let failover_time = t
        .duration("failover_time", false)
        .or(SimDuration::from_secs(90));
    let replica_lag = t
        .duration("replica_lag", false)
        .or(SimDuration::from_millis(100));
    let (network, read_after_write) = super::network::read_network(&mut t);
    if engine.is_aurora()
        && let Got::Ok(true, span) = &multi_az
    {
        t.error(
            "multi_az",
            format!(
                "{} has no Multi-AZ standby, found multi_az = true",
                engine.code()
            ),
            "Aurora keeps its storage in three AZs and fails over to a replica: remove multi_az and set read_replicas = 1 (or more)",
            span.clone(),
        );
    }
    if engine.is_aurora() && placement == Some(DbPlacement::Colocated) {
        t.error(
            "engine",
            format!("a colocated database cannot be {}", engine.code()),
            "set engine = \"mysql\" or \"postgres\", or set instance to an Aurora class such as 'db.r6g.large'",
            instance_span.clone().unwrap_or(0..0),
        );
    }
    if placement == Some(DbPlacement::Colocated) {
        if let Got::Ok(true, span) = &multi_az {
            t.error(
                "multi_az",
                "a colocated database has no standby, found multi_az = true",
                "set instance to an RDS class such as 'db.m5.large', or remove multi_az",
                span.clone(),
            );
        }
        if let Got::Ok(n, span) = &read_replicas
            && *n > 0
        {
            t.error(
                "read_replicas",
                format!("a colocated database has no replicas, found read_replicas = {n}"),
                "set instance to an RDS class such as 'db.m5.large', or set read_replicas = 0",
                span.clone(),
            );
        }
        if let Got::Ok(_, span) = &replica_instance {
            t.error(
                "replica_instance",
                "a colocated database has no replicas, found replica_instance",
                "set instance to an RDS class such as 'db.m5.large', or remove replica_instance",
                span.clone(),
            );
        }
        if let (Got::Ok(n, _), Some(span)) = (&web_count, instance_span)
            && *n > 1
        {
            t.error(
                "instance",
                format!(
                    "a colocated database lives on the one web instance, found web.count = {n}"
                ),
                "set web.count = 1, or move the database to an RDS class such as 'db.m5.large'",
                span,
            );
        }
    }
    if let (Got::Ok(name, _), Some(DbPlacement::Rds(_)), Got::Ok(0, _) | Got::Absent) =
        (&replica_instance, &placement, &read_replicas)
    {
        // A dormant class, as a sweep over read_replicas from 0 meets it.
        t.sink().warn(
            t.key_path("replica_instance"),
            format!(
                "replica_instance = '{name}' has no read replica to run on (read_replicas = 0), so it changes nothing; set read_replicas = 1 (or more), or remove replica_instance"
            ),
        );
    }
    if replica_instance.is_bad() || (replica_instance.value().is_some() && replica_class.is_none())
    {
        // Already reported.
        t.finish();
        return None;
    }
    // A replica class equal to the primary's is the default.
    let replica = match (&placement, replica_class, replica_cap) {
        (Some(DbPlacement::Rds(p)), Some(r), Some((max_connections, cache_gb)))
            if r != *p || max_connections != cap.max_connections || cache_gb != cap.cache_gb =>
        {
            Some(ReplicaClass {
                instance: r,
                max_connections,
                cache_gb,
            })
        }
        _ => None,
    };
    t.finish();
    Some(Database {
        engine,
        placement: placement?,
        multi_az: multi_az.or(false),
        read_replicas: read_replicas.or(0),
        replica,
        read_time: read_time?,
        write_time: write_time?,
        max_connections: cap.max_connections,
        working_set_gb: cap.working_set_gb,
        cache_gb: cap.cache_gb,
        storage: cap.storage,
        failover_time,
        replica_lag,
        network,
        read_after_write,
        bytes_per_query,
        scaling,
    })
}

/// RDS class `name` from the catalog, priced for `engine` in `region`;
/// reports an unknown or unpriced class against `key` (`instance` or
/// `replica_instance`).
fn rds_class(
    t: &Table<'_>,
    key: &str,
    name: &str,
    span: std::ops::Range<usize>,
    engine: DbEngine,
    region: Region,
) -> Option<InstanceSpec> {
    let catalog = Catalog::embedded();
    match catalog.rds(name) {
        Some(ty) if ty.usd_per_hour(engine.code(), region.code()).is_none() => {
            let priced: Vec<&str> = catalog
                .rds_types()
                .iter()
                .filter(|r| r.usd_per_hour(engine.code(), region.code()).is_some())
                .map(|r| r.name.as_str())
                .collect();
            t.error(
                key,
                format!(
                    "no {} price for '{name}' with engine = \"{}\" in the catalog",
                    region.code(),
                    engine.code()
                ),
                format!(
                    "classes priced for {} in {}: {}; see data/SOURCES.md",
                    engine.code(),
                    region.code(),
                    priced.join(", ")
                ),
                span,
            );
            None
        }
        Some(ty) => resolve_instance(
            t,
            key,
            name,
            (ty.vcpu, ty.cpu_speed, ty.threads_per_core),
            ty.usd_per_hour(engine.code(), region.code()),
            region,
            span,
        ),
        None => {
            // The primary may also be colocated; a replica is an RDS class.
            let colocated = (key == "instance").then_some("colocated");
            let names = catalog
                .rds_types()
                .iter()
                .map(|r| r.name.as_str())
                .chain(colocated);
            let help = match (did_you_mean(name, names), colocated) {
                (Some(s), _) => format!("did you mean '{s}'?"),
                (None, Some(_)) => "pick an RDS class from data/rds-instances.csv, e.g. 'db.m5.large', or \"colocated\"".to_string(),
                (None, None) => "pick an RDS class from data/rds-instances.csv, e.g. 'db.m5.large'".to_string(),
            };
            t.error(
                key,
                format!("unknown RDS instance class '{name}'"),
                help,
                span,
            );
            None
        }
    }
}
