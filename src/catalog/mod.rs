//! AWS instance types, prices and service facts, embedded from `data/`.
//!
//! The CSV files under `data/` are compiled into the binary as they are, with
//! `data/SOURCES.md` saying where each value comes from and how old it is.
//! Missing facts stay missing (`None`): nothing here is estimated.
//!
//! `cpu_speed` is the one derived value: the speed of one vCPU whose core is
//! fully busy, relative to m5's, from `data/ec2-coremark.csv` (every thread
//! the guest sees busy): the score per thread, the family's median, over
//! m5's. A t2 guest sees each vCPU as a core of its own, but it is one
//! hyperthread of the host's core whose sibling the benchmark left idle
//! (t2.medium's two threads score twice one), so its score is taken at
//! `smt_pair / 2` of it, as with its sibling busy. RDS families take the
//! speed of the EC2 family they are built on (`db.m5` runs on m5), and its
//! threads per core.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// `data/SOURCES.md`: where every value comes from, and its date.
pub const SOURCES: &str = include_str!("../../data/SOURCES.md");
const EC2_CSV: &str = include_str!("../../data/ec2-instances.csv");
const RDS_CSV: &str = include_str!("../../data/rds-instances.csv");
const COREMARK_CSV: &str = include_str!("../../data/ec2-coremark.csv");
const SERVICES_CSV: &str = include_str!("../../data/services.csv");
const BEHAVIOUR_CSV: &str = include_str!("../../data/behaviour.csv");

/// The family every `cpu_speed` is relative to.
pub const REFERENCE_FAMILY: &str = "m5";

/// Regions with prices in the catalog.
pub const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// An EC2 instance type.
#[derive(Clone, Debug, PartialEq)]
pub struct Ec2Type {
    /// `m5.large`.
    pub name: String,
    /// `m5`.
    pub family: String,
    /// Virtual CPUs.
    pub vcpu: u32,
    /// Memory in GiB.
    pub memory_gib: f64,
    /// A burstable (CPU credit) type.
    pub burstable: bool,
    /// Baseline utilisation per vCPU, percent (burstable types).
    pub baseline_cpu_pct: Option<f64>,
    /// CPU credits earned per hour (burstable types).
    pub cpu_credits_per_hour: Option<f64>,
    /// Work per second of one vCPU alone on its core, relative to m5's;
    /// `None` when the family has no benchmark.
    pub cpu_speed: Option<f64>,
    /// Hardware threads per core (2 with hyperthreading).
    pub threads_per_core: u32,
    prices: [Option<f64>; 2],
}

/// Database engines with prices in `data/rds-instances.csv`, as the
/// scenario names them.
pub const RDS_ENGINES: [&str; 4] = ["mysql", "postgres", "aurora-mysql", "aurora-postgresql"];

/// An RDS instance class with its Single-AZ (or Aurora cluster-instance)
/// price per engine.
#[derive(Clone, Debug, PartialEq)]
pub struct RdsType {
    /// `db.m5.large`.
    pub name: String,
    /// `m5`: the EC2 family it runs on.
    pub family: String,
    /// Virtual CPUs.
    pub vcpu: u32,
    /// Memory in GiB.
    pub memory_gib: f64,
    /// Work per second of one vCPU alone on its core, relative to m5's.
    pub cpu_speed: Option<f64>,
    /// Hardware threads per core (2 with hyperthreading).
    pub threads_per_core: u32,
    /// `(engine, [us-east-1, eu-west-1])`, in [`RDS_ENGINES`] order.
    prices: Vec<(String, [Option<f64>; 2])>,
}

impl Ec2Type {
    /// On-demand Linux USD per hour in `region`, if known.
    pub fn usd_per_hour(&self, region: &str) -> Option<f64> {
        price_in(&self.prices, region)
    }
}

impl RdsType {
    /// On-demand USD per instance-hour of `engine` in `region`, if known:
    /// Single-AZ for MySQL and PostgreSQL, one cluster instance for Aurora.
    pub fn usd_per_hour(&self, engine: &str, region: &str) -> Option<f64> {
        self.prices
            .iter()
            .find(|(e, _)| e == engine)
            .and_then(|(_, p)| price_in(p, region))
    }

    /// The engines this class has a row for (in some region).
    pub fn engines(&self) -> impl Iterator<Item = &str> {
        self.prices.iter().map(|(e, _)| e.as_str())
    }
}

fn price_in(prices: &[Option<f64>; 2], region: &str) -> Option<f64> {
    REGIONS
        .iter()
        .position(|r| *r == region)
        .and_then(|i| prices[i])
}

/// One row of `data/services.csv`: a price or behaviour of a managed service.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ServiceFact {
    /// `alb`, `rds`, `cloudfront`, ...
    pub service: String,
    /// What the value is.
    pub item: String,
    /// The value as published (may be a range or empty).
    pub value: String,
    /// Its unit.
    pub unit: String,
    /// Region it applies to.
    pub region: String,
    /// Date of the source.
    pub as_of: String,
    /// Where it comes from.
    pub source: String,
    /// Caveats.
    pub notes: String,
}

/// One row of `data/behaviour.csv`: how a service behaves (limits, timings).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BehaviourFact {
    /// Identifier, `burstable_credit_accrual_limit`.
    pub fact: String,
    /// The value as published (may be a range, a word or empty).
    pub value: String,
    /// Its unit and context.
    pub unit: String,
    /// Where it comes from.
    pub source: String,
}

/// CPU credit facts of a burstable type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurstFacts {
    /// Baseline utilisation per vCPU, as a share (0.1 for 10%).
    pub baseline: f64,
    /// Credits (vCPU-minutes at 100%) earned per hour by the instance.
    pub credits_per_hour: f64,
    /// Credits at launch in standard mode.
    pub launch_credits: f64,
    /// Most credits the instance can hold.
    pub max_credits: f64,
    /// Whether it launches in unlimited mode by default.
    pub unlimited_by_default: bool,
}

/// Every embedded fact.
#[derive(Debug)]
pub struct Catalog {
    ec2: Vec<Ec2Type>,
    rds: Vec<RdsType>,
    services: Vec<ServiceFact>,
    behaviour: Vec<BehaviourFact>,
}

#[derive(Deserialize)]
struct Ec2Row {
    name: String,
    family: String,
    vcpu: u32,
    memory_gib: f64,
    burstable: bool,
    baseline_cpu_pct: Option<f64>,
    cpu_credits_per_hour: Option<f64>,
    usd_per_hour_us_east_1: Option<f64>,
    usd_per_hour_eu_west_1: Option<f64>,
}

#[derive(Deserialize)]
struct RdsRow {
    name: String,
    vcpu: u32,
    memory_gib: f64,
    engine: String,
    deployment: String,
    usd_per_hour_us_east_1: Option<f64>,
    usd_per_hour_eu_west_1: Option<f64>,
}

#[derive(Deserialize)]
struct CoremarkRow {
    name: String,
    threads_seen: u32,
    coremark_iterations_per_sec: f64,
}

fn rows<T: for<'de> Deserialize<'de>>(csv_text: &str) -> Vec<T> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        // The data is compiled in and checked by the unit tests below, so a
        // failure here is a build defect, not a user error.
        .expect("embedded catalog CSV is well-formed")
}

fn family_of(name: &str) -> String {
    let name = name.strip_prefix("db.").unwrap_or(name);
    name.split('.').next().unwrap_or(name).to_string()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// `smt_pair` from `data/behaviour.csv`: a core with both threads busy
/// does this many times the work of one thread alone.
pub fn smt_pair_throughput() -> f64 {
    static H: OnceLock<f64> = OnceLock::new();
    *H.get_or_init(|| behaviour_number("cpu_smt_pair_throughput").unwrap_or(2.0))
}

fn behaviour_number(fact: &str) -> Option<f64> {
    rows::<BehaviourFact>(BEHAVIOUR_CSV)
        .into_iter()
        .find(|f| f.fact == fact)
        .and_then(|f| f.value.parse().ok())
}

/// Hardware threads per core of `family` (`data/behaviour.csv`): Graviton
/// has none to share, a t2 guest sees each vCPU as a core, the other x86
/// families run two threads per core.
pub fn threads_per_core(family: &str) -> u32 {
    let graviton = family
        .strip_suffix('g')
        .is_some_and(|f| f.ends_with(|c: char| c.is_ascii_digit()));
    let fact = if graviton {
        "cpu_threads_per_core_graviton"
    } else if family == "t2" {
        "cpu_threads_per_core_t2"
    } else {
        "cpu_threads_per_core_x86"
    };
    behaviour_number(fact).map_or(1, |n| n as u32)
}

/// Per-family `cpu_speed`: CoreMark per thread with every thread of its core
/// busy, median over the family, m5 = 1.0.
fn family_speeds() -> BTreeMap<String, f64> {
    let h = smt_pair_throughput();
    let mut per_vcpu: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in rows::<CoremarkRow>(COREMARK_CSV) {
        if r.threads_seen > 0 {
            let family = family_of(&r.name);
            let per_thread = r.coremark_iterations_per_sec / f64::from(r.threads_seen);
            // A t2 vCPU ran without a busy sibling: a pair does `h`
            // threads' work alone, so one loaded thread does `h / 2`.
            let loaded = if family == "t2" {
                per_thread * h / 2.0
            } else {
                per_thread
            };
            per_vcpu.entry(family).or_default().push(loaded);
        }
    }
    let medians: BTreeMap<String, f64> = per_vcpu
        .into_iter()
        .filter_map(|(f, v)| median(v).map(|m| (f, m)))
        .collect();
    let reference = medians[REFERENCE_FAMILY];
    medians
        .into_iter()
        .map(|(f, m)| (f, m / reference))
        .collect()
}

impl Catalog {
    /// The catalog compiled into the binary (parsed once).
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(Catalog::parse)
    }

    fn parse() -> Catalog {
        let speeds = family_speeds();
        let ec2 = rows::<Ec2Row>(EC2_CSV)
            .into_iter()
            .map(|r| Ec2Type {
                cpu_speed: speeds.get(&r.family).copied(),
                threads_per_core: threads_per_core(&r.family),
                name: r.name,
                family: r.family,
                vcpu: r.vcpu,
                memory_gib: r.memory_gib,
                burstable: r.burstable,
                baseline_cpu_pct: r.baseline_cpu_pct,
                cpu_credits_per_hour: r.cpu_credits_per_hour,
                prices: [r.usd_per_hour_us_east_1, r.usd_per_hour_eu_west_1],
            })
            .collect();
        let mut rds: Vec<RdsType> = Vec::new();
        for r in rows::<RdsRow>(RDS_CSV) {
            // Multi-AZ rows carry no price (see data/SOURCES.md).
            if r.deployment == "multi-az" {
                continue;
            }
            let prices = [r.usd_per_hour_us_east_1, r.usd_per_hour_eu_west_1];
            match rds.iter_mut().find(|t| t.name == r.name) {
                Some(t) => t.prices.push((r.engine, prices)),
                None => {
                    let family = family_of(&r.name);
                    rds.push(RdsType {
                        cpu_speed: speeds.get(&family).copied(),
                        threads_per_core: threads_per_core(&family),
                        family,
                        name: r.name,
                        vcpu: r.vcpu,
                        memory_gib: r.memory_gib,
                        prices: vec![(r.engine, prices)],
                    });
                }
            }
        }
        for t in &mut rds {
            t.prices
                .sort_by_key(|(e, _)| RDS_ENGINES.iter().position(|x| x == e));
        }
        Catalog {
            ec2,
            rds,
            services: rows(SERVICES_CSV),
            behaviour: rows(BEHAVIOUR_CSV),
        }
    }

    /// Every EC2 type, in the data file's order.
    pub fn ec2_types(&self) -> &[Ec2Type] {
        &self.ec2
    }

    /// Every RDS class, in the data file's order.
    pub fn rds_types(&self) -> &[RdsType] {
        &self.rds
    }

    /// Every service fact.
    pub fn services(&self) -> &[ServiceFact] {
        &self.services
    }

    /// The EC2 type called `name`.
    pub fn ec2(&self, name: &str) -> Option<&Ec2Type> {
        self.ec2.iter().find(|t| t.name == name)
    }

    /// The RDS class called `name`.
    pub fn rds(&self, name: &str) -> Option<&RdsType> {
        self.rds.iter().find(|t| t.name == name)
    }

    /// A numeric service fact, by service and exact item text.
    pub fn service_value(&self, service: &str, item: &str) -> Option<f64> {
        self.services
            .iter()
            .find(|f| f.service == service && f.item == item)
            .and_then(|f| f.value.parse().ok())
    }

    /// A numeric behaviour fact by its identifier.
    pub fn behaviour_value(&self, fact: &str) -> Option<f64> {
        self.behaviour
            .iter()
            .find(|f| f.fact == fact)
            .and_then(|f| f.value.parse().ok())
    }

    /// Every behaviour fact.
    pub fn behaviour(&self) -> &[BehaviourFact] {
        &self.behaviour
    }

    /// CPU credit facts of a burstable EC2 type, or of an RDS class by the
    /// EC2 type it runs on (`db.t3.micro` earns what `t3.micro` earns).
    /// `None` for types that do not burst, or whose facts are missing.
    pub fn burst(&self, name: &str) -> Option<BurstFacts> {
        let ec2 = self.ec2(name.strip_prefix("db.").unwrap_or(name))?;
        if !ec2.burstable {
            return None;
        }
        let baseline = ec2.baseline_cpu_pct? / 100.0;
        let credits_per_hour = ec2.cpu_credits_per_hour?;
        let accrual_hours = self.behaviour_value("burstable_credit_accrual_limit")?;
        let t2 = ec2.family == "t2";
        let launch_credits = if t2 {
            self.behaviour_value("burstable_t2_standard_launch_credits_per_vcpu")?
                * f64::from(ec2.vcpu)
        } else {
            self.behaviour_value("burstable_t3_t3a_standard_launch_credits")?
        };
        Some(BurstFacts {
            baseline,
            credits_per_hour,
            launch_credits,
            max_credits: accrual_hours * credits_per_hour,
            unlimited_by_default: !t2,
        })
    }

    /// A numeric service fact that applies in `region`: a row for exactly
    /// that region, or one marked `all`, `all regions` or `global`. `None`
    /// when there is no such row or its value is empty (not found).
    pub fn service_value_in(&self, service: &str, item: &str, region: &str) -> Option<f64> {
        let applies = |r: &str| r == region || matches!(r, "all" | "all regions" | "global");
        self.services
            .iter()
            .filter(|f| f.service == service && f.item == item && applies(&f.region))
            .find_map(|f| f.value.parse().ok())
    }

    /// Price of a Multi-AZ RDS deployment relative to Single-AZ.
    pub fn rds_multi_az_factor(&self) -> Option<f64> {
        self.service_value("rds", "Multi-AZ (one standby) price relative to Single-AZ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_m5_is_the_reference() {
        let c = Catalog::embedded();
        assert_eq!(c.ec2_types().len(), 76);
        assert_eq!(c.rds_types().len(), 38);
        for t in c.rds_types() {
            for e in t.engines() {
                assert!(RDS_ENGINES.contains(&e), "{}: {e}", t.name);
            }
        }
        assert_eq!(c.ec2("m5.large").unwrap().cpu_speed, Some(1.0));
        assert_eq!(c.rds("db.m5.large").unwrap().cpu_speed, Some(1.0));
        assert_eq!(c.rds_multi_az_factor(), Some(2.0));
    }

    #[test]
    fn service_values_by_region() {
        let c = Catalog::embedded();
        assert_eq!(
            c.service_value_in("alb", "load balancer hour", "us-east-1"),
            Some(0.0225)
        );
        assert_eq!(
            c.service_value_in("alb", "load balancer hour", "eu-west-1"),
            Some(0.0252)
        );
        // The eu-west-1 row exists but is empty: not found.
        assert_eq!(
            c.service_value_in(
                "firehose",
                "Direct PUT ingestion, first 500 TB/month",
                "eu-west-1"
            ),
            None
        );
        assert_eq!(
            c.service_value_in("aurora", "Standard storage", "eu-west-1"),
            Some(0.11)
        );
        assert_eq!(
            c.service_value_in("aurora", "I/O requests", "eu-west-1"),
            Some(0.22)
        );
        // Rows marked "all" apply everywhere.
        assert_eq!(
            c.service_value_in("alb", "LCU dimension: new connections", "eu-west-1"),
            Some(25.0)
        );
    }

    #[test]
    fn speeds_follow_coremark_per_vcpu() {
        let c = Catalog::embedded();
        // c5 per-vCPU CoreMark is ~13% above m5 (median 16.4k vs 14.5k).
        let c5 = c.ec2("c5.large").unwrap().cpu_speed.unwrap();
        assert!((1.05..1.25).contains(&c5), "{c5}");
        // Graviton3 (m7g) runs one thread per core: per vCPU it is well
        // above a loaded m5 thread.
        let m7g = c.ec2("m7g.large").unwrap().cpu_speed.unwrap();
        assert!(m7g > 1.5, "{m7g}");
        assert_eq!(c.ec2("m7g.large").unwrap().threads_per_core, 1);
        assert_eq!(c.ec2("m5.large").unwrap().threads_per_core, 2);
        assert_eq!(c.ec2("t2.micro").unwrap().threads_per_core, 1);
        // t2's benchmark ran one thread per core, t3's two: on the same
        // basis (a thread beside a busy sibling) they are within 10%.
        let t2 = c.ec2("t2.micro").unwrap().cpu_speed.unwrap();
        let t3 = c.ec2("t3.micro").unwrap().cpu_speed.unwrap();
        assert!((t2 / t3 - 1.0).abs() < 0.1, "t2 {t2}, t3 {t3}");
        for t in c.ec2_types() {
            assert!(t.cpu_speed.is_some(), "{} has no benchmark", t.name);
        }
    }

    #[test]
    fn burst_facts_follow_the_credit_table() {
        let c = Catalog::embedded();
        let micro = c.burst("t2.micro").unwrap();
        assert_eq!(micro.baseline, 0.1);
        assert_eq!(micro.credits_per_hour, 6.0);
        assert_eq!(micro.launch_credits, 30.0);
        assert_eq!(micro.max_credits, 144.0);
        assert!(!micro.unlimited_by_default);
        let t3 = c.burst("db.t3.micro").unwrap();
        assert_eq!(
            (t3.credits_per_hour, t3.max_credits, t3.launch_credits),
            (12.0, 288.0, 0.0)
        );
        assert!(t3.unlimited_by_default);
        // Earned credits are the baseline share of every vCPU-minute.
        for t in c.ec2_types().iter().filter(|t| t.burstable) {
            let b = c.burst(&t.name).unwrap();
            let earned = b.baseline * f64::from(t.vcpu) * 60.0;
            assert!(
                (earned - b.credits_per_hour).abs() < 1e-9,
                "{}: {earned}",
                t.name
            );
        }
        assert_eq!(c.burst("m5.large"), None);
    }

    #[test]
    fn prices_by_region_and_gaps_stay_gaps() {
        let c = Catalog::embedded();
        let m5 = c.ec2("m5.large").unwrap();
        assert_eq!(m5.usd_per_hour("us-east-1"), Some(0.096));
        assert_eq!(m5.usd_per_hour("eu-west-1"), Some(0.107));
        assert_eq!(m5.usd_per_hour("mars-north-1"), None);
        assert_eq!(
            c.ec2("c7g.large").unwrap().usd_per_hour("eu-west-1"),
            Some(0.0775)
        );
        // No row at all for RDS io1 storage: not found.
        assert_eq!(
            c.service_value_in("rds", "io1 storage, Single-AZ", "eu-west-1"),
            None
        );
        assert_eq!(
            c.service_value_in("rds", "gp3/gp2 storage, Single-AZ", "eu-west-1"),
            Some(0.127)
        );
        let r5 = c.rds("db.r5.large").unwrap();
        assert_eq!(r5.usd_per_hour("mysql", "us-east-1"), Some(0.24));
        assert_eq!(r5.usd_per_hour("postgres", "us-east-1"), Some(0.25));
        assert_eq!(r5.usd_per_hour("aurora-mysql", "eu-west-1"), Some(0.32));
        assert_eq!(
            r5.usd_per_hour("aurora-postgresql", "us-east-1"),
            Some(0.29)
        );
        // Aurora does not run on db.m5.
        let m5 = c.rds("db.m5.large").unwrap();
        assert_eq!(m5.usd_per_hour("aurora-mysql", "us-east-1"), None);
        assert_eq!(m5.usd_per_hour("postgres", "eu-west-1"), Some(0.197));
        // Graviton classes, with their own CoreMark speed.
        let r6g = c.rds("db.r6g.large").unwrap();
        assert_eq!(r6g.usd_per_hour("mysql", "us-east-1"), Some(0.215));
        assert_eq!(
            r6g.usd_per_hour("aurora-postgresql", "eu-west-1"),
            Some(0.286)
        );
        assert!(r6g.cpu_speed.unwrap() > 1.2);
        assert_eq!(r6g.threads_per_core, 1);
        let m6g = c.ec2("m6g.large").unwrap();
        assert_eq!(m6g.usd_per_hour("us-east-1"), Some(0.077));
        assert_eq!(m6g.usd_per_hour("eu-west-1"), Some(0.086));
    }
}
