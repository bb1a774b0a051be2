//! Read replicas of their own RDS class (`database.replica_instance`):
//! their vCPUs, speed and price, in both modes, and the default unchanged.

use crate::cli::{simscale, text};
use crate::support::*;
use simscale::catalog::Catalog;
use simscale::cost::{Usage, monthly_bill};
use simscale::run::{RunOptions, simulate};
use simscale::spec::*;

/// A db.m5.2xlarge primary (8 vCPUs at m5 speed) behind two web
/// instances, `replicas` read replicas of `replica`, and a read-heavy
/// class: 4 reads of 2 ms and one write of 6 ms (lognormal, cv 1, on an
/// m5 vCPU) per request at `rate` requests/s, no network delays, and
/// linear scaling over the vCPUs (MySQL's default fit would make the busy
/// shares depend on how many queries overlap, not only on the work).
fn read_heavy(rate: f64, replicas: u32, replica: &str) -> String {
    format!(
        r#"
name = "small replicas"
[simulation]
window = "20m"
warmup = "2m"
[traffic]
rate = {rate}
[[traffic.mix]]
name = "page"
share = 1.0
web_cpu = "5ms"
db_reads = 4
db_writes = 1
[load_balancer]
latency = "0ms"
[web]
instance = "m5.4xlarge"
count = 2
workers = 256
[database]
instance = "db.m5.2xlarge"
read_replicas = {replicas}
{replica}
network_rtt = {{ same_az = "0ms", cross_az = "0ms" }}
scaling = {{ contention = 0, coherency = 0 }}
"#
    )
}

fn parse(text: &str) -> Scenario {
    simscale::scenario::parse(text, "replicas.toml").unwrap()
}

#[test]
fn small_replicas_saturate_first_at_their_own_vcpus_and_speed() {
    // 1 replica of db.m6g.large (2 vCPUs) under 4 reads of 2 ms per request
    // at 260 req/s: 1,040 reads/s, 2.08 vCPU-seconds a second at m5 speed,
    // over 2 vCPUs at m6g's speed (1.340 of m5's): 0.776 busy. The
    // primary, db.m5.2xlarge, takes the writes only: 260 x 6 ms over 8
    // vCPUs = 0.195. The web tier: 260 x 5 ms over 32 vCPUs = 0.04.
    let speed = Catalog::embedded()
        .rds("db.m6g.large")
        .unwrap()
        .cpu_speed
        .unwrap();
    let rate = 260.0;
    let s = parse(&read_heavy(rate, 1, "replica_instance = \"db.m6g.large\""));
    let replica = s.database.as_ref().unwrap().replica_class().unwrap();
    assert_eq!((replica.vcpus, replica.cpu_speed), (2, speed));
    let want_replica = rate * 4.0 * 0.002 / (1.0 * 2.0 * speed);
    let want_primary = rate * 0.006 / 8.0;
    let [des, fluid] = [Mode::Des, Mode::Fluid].map(|m| run_in(&s, m));
    for r in [&des, &fluid] {
        let st = &r.window.stations;
        assert_eq!(st.db.len(), 2, "{:?}", r.mode);
        // Busy share = throughput x service time: no queueing formula in
        // it, only the DES's sampling noise. Over 18 measured minutes,
        // 1.1M reads of cv 1 and 281k Poisson arrivals give a relative
        // standard deviation of about 0.2%: 1.5% is seven of them. The
        // fluid mode computes it exactly (0.5% for rounding).
        let tol = if r.mode == Mode::Des { 0.015 } else { 0.005 };
        assert!(
            rel(st.db[1], want_replica) < tol,
            "{:?}: replica {} vs {want_replica}",
            r.mode,
            st.db[1]
        );
        assert!(
            rel(st.db[0], want_primary) < tol,
            "{:?}: primary {} vs {want_primary}",
            r.mode,
            st.db[0]
        );
        assert_eq!(r.bottleneck().unwrap().0, "db_replica_1", "{:?}", r.mode);
        let advice = r.bottleneck_advice(&s).unwrap();
        assert!(
            advice.starts_with("read replica 1 (db.m6g.large")
                && advice.contains("`database.replica_instance`"),
            "{advice}"
        );
        // db_util: busy vCPUs over all of them, 2 + 8.
        let db_util = (want_replica * 2.0 + want_primary * 8.0) / 10.0;
        assert!(rel(r.window.db_util, db_util) < tol, "{:?}", r.mode);
    }
    // The two modes agree within the DES's noise (1.5%, as above).
    let (a, b) = (&des.window.stations, &fluid.window.stations);
    assert!(rel(a.db[1], b.db[1]) < 0.015, "{a:?} vs {b:?}");
    assert!(rel(a.db[0], b.db[0]) < 0.015, "{a:?} vs {b:?}");
    // Without the key the replica is a db.m5.2xlarge: the same reads over
    // 8 vCPUs at m5 speed, 0.26 busy (the fluid mode, exact as above).
    let big = parse(&read_heavy(rate, 1, ""));
    let f = run_in(&big, Mode::Fluid);
    let want = rate * 4.0 * 0.002 / 8.0;
    assert!(
        rel(f.window.stations.db[1], want) < 0.005,
        "{:?}",
        f.window.stations
    );
    // checkpoints.csv names the replica.
    let mut des_only = s.clone();
    des_only.simulation.mode = Mode::Des;
    let report = simulate(&des_only, &RunOptions::default()).unwrap();
    let csv = String::from_utf8(simscale::report::checkpoints_csv(&report)).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let col = |n: &str| row[header.iter().position(|h| *h == n).unwrap()];
    assert_eq!(col("bottleneck"), "db_replica_1");
    // report.md names both classes.
    let md = simscale::report::markdown::report_md(&report, &[]);
    assert!(
        md.contains("database db.m5.2xlarge + 1 read replica db.m6g.large"),
        "{md}"
    );
}

#[test]
fn two_small_replicas_share_the_reads_at_their_class() {
    // Two db.m5.large replicas (2 vCPUs at m5 speed): 300 req/s x 4 reads
    // x 2 ms = 2.4 vCPU-seconds a second over 2 x 2 vCPUs: 0.6 each.
    // Round robin gives each every other request: the same 1.5% as above.
    let s = parse(&read_heavy(300.0, 2, "replica_instance = \"db.m5.large\""));
    assert_eq!(
        simscale::model::Capacity::of(&s).db_servers,
        8 + 2 * 2,
        "the primary's vCPUs and the replicas' own"
    );
    for mode in [Mode::Des, Mode::Fluid] {
        let r = run_in(&s, mode);
        let st = &r.window.stations;
        assert_eq!(st.db.len(), 3);
        for k in [1, 2] {
            assert!(rel(st.db[k], 0.6) < 0.015, "{mode:?}: {st:?}");
        }
        assert!(r.bottleneck().unwrap().0.starts_with("db_replica_"));
    }
}

#[test]
fn a_burstable_replica_spends_its_own_credits_beside_a_fixed_primary() {
    // db.t3.medium replicas (2 vCPUs, 20% baseline: they earn 24 credits
    // an hour, 0.4 a minute) beside a db.m5.2xlarge primary, unlimited,
    // starting at 0 credits: reads that keep one replica 30% busy spend
    // 0.6 a minute, so it owes 0.2 more each minute; over the 18 measured
    // minutes 3.6 credits. The primary has none to spend.
    let t3 = Catalog::embedded().rds("db.t3.medium").unwrap();
    let rate = 0.3 * 2.0 * t3.cpu_speed.unwrap() / (4.0 * 0.002);
    let s = parse(&read_heavy(
        rate,
        1,
        "replica_instance = \"db.t3.medium\"\ncredits = \"unlimited\"\ninitial_credits = 0",
    ));
    let d = s.database.as_ref().unwrap();
    assert!(d.primary_class().unwrap().burst.is_none());
    assert!(d.replica_class().unwrap().burst.is_some());
    for mode in [Mode::Des, Mode::Fluid] {
        let r = run_in(&s, mode);
        assert!(rel(r.window.stations.db[1], 0.3) < 0.015, "{mode:?}");
        // The DES within 3% (its busy time is a sum of random services).
        let surplus = r.window.db_surplus_credits;
        assert!(rel(surplus, 3.6) < 0.03, "{mode:?}: {surplus}");
        let line = r
            .bill
            .iter()
            .find(|l| l.item.contains("surplus CPU credits"))
            .expect("a surplus line");
        assert_eq!(line.item, "db.t3.medium unlimited-mode surplus CPU credits");
    }
}

#[test]
fn replicas_are_billed_at_their_own_class() {
    // MySQL in us-east-1: db.m5.2xlarge 0.684 USD/h, db.m6g.large 0.152.
    // Primary 730.56 x 0.684 = 499.70304; replicas 2 x 730.56 x 0.152
    // = 222.09024 (a replica is Single-AZ, even beside a Multi-AZ
    // primary: then 730.56 x 0.684 x 2 = 999.40608).
    let s = parse(&format!(
        "{}multi_az = true\n",
        read_heavy(10.0, 2, "replica_instance = \"db.m6g.large\"")
    ));
    let bill = monthly_bill(&s, &Usage::default()).unwrap();
    let rds: Vec<_> = bill.iter().filter(|l| l.service == "rds").collect();
    assert_eq!(rds.len(), 2, "{rds:?}");
    assert!(rds[0].item.starts_with("db.m5.2xlarge"), "{rds:?}");
    assert!((rds[0].usd_month - 999.40608).abs() < 1e-6, "{rds:?}");
    assert_eq!(
        rds[1].item,
        "2 x db.m6g.large mysql read replica instance-hours"
    );
    assert_eq!(rds[1].unit_usd, Some(0.152));
    assert!((rds[1].usd_month - 222.09024).abs() < 1e-6, "{rds:?}");
    // Aurora MySQL: a db.r6g.large writer (0.26) and one db.t3.medium
    // replica (0.082): 730.56 x 0.082 = 59.90592.
    let aurora = parse(
        "name = \"a\"\n[traffic]\nrate = 10.0\n[web]\ninstance = \"m5.large\"\n\
         [database]\nengine = \"aurora-mysql\"\ninstance = \"db.r6g.large\"\n\
         read_replicas = 1\nreplica_instance = \"db.t3.medium\"\n",
    );
    let bill = monthly_bill(&aurora, &Usage::default()).unwrap();
    let replica = bill
        .iter()
        .find(|l| l.item.contains("replica instance-hours"))
        .unwrap();
    assert_eq!(
        replica.item,
        "1 x db.t3.medium aurora-mysql replica instance-hours"
    );
    assert!((replica.usd_month - 59.90592).abs() < 1e-6, "{replica:?}");
    // The free tier covers the eligible class's hours only: a db.t3.micro
    // replica (0.017) beside a db.m5.large primary, 730.56 h of 750.
    let free = parse(
        "name = \"f\"\n[traffic]\nrate = 10.0\n[web]\ninstance = \"m5.large\"\n\
         [billing]\nfree_tier = true\n[database]\ninstance = \"db.m5.large\"\n\
         read_replicas = 1\nreplica_instance = \"db.t3.micro\"\n",
    );
    let bill = monthly_bill(&free, &Usage::default()).unwrap();
    let deduction: Vec<_> = bill
        .iter()
        .filter(|l| l.service == "rds" && l.usd_month < 0.0)
        .collect();
    assert_eq!(deduction.len(), 1, "{deduction:?}");
    assert!(deduction[0].item.contains("db.t3.micro"));
    assert!((deduction[0].usd_month + 730.56 * 0.017).abs() < 1e-9);
}

#[test]
fn a_replica_class_equal_to_the_primarys_changes_no_byte() {
    // The default (no key) and the key set to the primary's class give the
    // same files, in the DES and the fluid mode.
    let dir = tempfile::tempdir().unwrap();
    for mode in ["des", "fluid"] {
        let mut csvs = Vec::new();
        for (k, extra) in ["", "replica_instance = \"db.m5.2xlarge\""]
            .iter()
            .enumerate()
        {
            let body = read_heavy(150.0, 2, extra).replace(
                "[simulation]\n",
                &format!("[simulation]\nmode = \"{mode}\"\n"),
            );
            let file = dir.path().join(format!("{mode}{k}.toml"));
            std::fs::write(&file, body).unwrap();
            let out = dir.path().join(format!("out-{mode}{k}"));
            let o = simscale(&[
                "run",
                file.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--quiet",
            ]);
            assert!(o.status.success(), "{}", text(&o.stderr));
            csvs.push(
                ["checkpoints.csv", "costs.csv", "timeline.csv"]
                    .map(|f| std::fs::read(out.join(f)).unwrap()),
            );
        }
        assert!(csvs[0] == csvs[1], "{mode}: the outputs differ");
    }
}

#[test]
fn an_unknown_or_misplaced_replica_class_is_a_scenario_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        read_heavy(10.0, 2, "replica_instance = \"db.m5.larg\""),
    )
    .unwrap();
    let o = simscale(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("database.replica_instance")
            && err.contains("unknown RDS instance class 'db.m5.larg'")
            && err.contains("help: did you mean 'db.m5.large'?")
            && err.contains("bad.toml:"),
        "{err}"
    );
    // A colocated database has no replicas.
    let colocated = "name = \"c\"\n[traffic]\nrate = 10.0\n[web]\ninstance = \"m5.large\"\n\
                     [database]\ninstance = \"colocated\"\nreplica_instance = \"db.m5.large\"\n";
    let e = simscale::scenario::parse(colocated, "c.toml").unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("database.replica_instance") && msg.contains("colocated"),
        "{msg}"
    );
    // Without replicas it changes nothing: a warning, not an error (a
    // sweep over read_replicas from 0 keeps its class).
    let (s, warnings) = simscale::scenario::parse_with_warnings(
        &read_heavy(10.0, 0, "replica_instance = \"db.m5.large\""),
        "w.toml",
    )
    .unwrap();
    assert!(s.database.unwrap().distinct_replica_class().is_none());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].key, "database.replica_instance");
}
