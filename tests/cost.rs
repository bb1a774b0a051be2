//! The bill through the real binary: `simscale catalog`, `--explain-cost`,
//! `costs.csv`, and missing prices.

use std::path::Path;
use std::process::{Command, Output};

fn simscale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simscale"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("simscale runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, body: &str) -> String {
    let path = dir.join("bill.toml");
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

/// A one-minute steady state at 20 requests/s, with `rest` appended.
fn scenario(region: &str, rest: &str) -> String {
    format!(
        "name = \"bill\"\nregion = \"{region}\"\n[simulation]\nwindow = \"2m\"\nwarmup = \"20s\"\n\
         [traffic]\nrate = 20.0\n{rest}"
    )
}

#[test]
fn catalog_lists_a_family_with_prices_per_hour_and_month() {
    let o = simscale(&["catalog", "--family", "m5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let header = out.lines().nth(1).unwrap();
    for col in ["vCPU", "memory GiB", "cpu_speed", "USD/hour", "USD/month"] {
        assert!(header.contains(col), "{header}");
    }
    // m5.large: 2 vCPU, 8 GiB, speed 1.000, 0.096 USD/h, 0.096 x 730.56 = 70.13 per month.
    let line = out.lines().find(|l| l.starts_with("m5.large ")).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells, ["m5.large", "2", "8", "1.000", "0.096", "70.13"]);
    assert!(out.lines().skip(2).all(|l| l.starts_with("m5.")), "{out}");
}

#[test]
fn catalog_shows_missing_prices_as_dashes_and_lists_rds() {
    // Every EC2 type now has an eu-west-1 price: c7g.large's is 0.0775 USD/h.
    let o = simscale(&["catalog", "--family", "c7g", "--region", "eu-west-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let line = out.lines().find(|l| l.starts_with("c7g.large ")).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cells[4..], ["0.0775", "56.62"], "{line}");

    let o = simscale(&[
        "catalog",
        "--rds",
        "--family",
        "db.r5",
        "--region",
        "eu-west-1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("db.r5.large"), "{}", stdout(&o));
}

#[test]
fn catalog_rejects_unknown_names_with_a_suggestion() {
    let o = simscale(&["catalog", "--family", "m55"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown family 'm55'"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("did you mean 'm5'?"), "{}", stderr(&o));
    let o = simscale(&["catalog", "--region", "us-east-2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean 'us-east-1'?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn catalog_sources_prints_the_date_and_sources() {
    let o = simscale(&["catalog", "--sources"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("Compiled 2026-07"), "{out}");
    assert!(out.contains("KARPENTER"), "{out}");
}

#[test]
fn explain_cost_prints_every_line_and_costs_csv_sums_them_per_service() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &scenario(
            "us-east-1",
            "[load_balancer]\n[web]\ninstance = \"m5.large\"\ncount = 2\n\
             [database]\ninstance = \"db.m5.large\"\nmulti_az = true\n",
        ),
    );
    let out_dir = dir.path().join("out");
    let o = simscale(&[
        "run",
        &path,
        "--quiet",
        "--explain-cost",
        "--out",
        &out_dir.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    // Two m5.large for the whole month: 2 x 730.56 h = 1461.12 instance-hours
    // x 0.096 = 140.27.
    let ec2 = text.lines().find(|l| l.contains("ec2 ")).unwrap();
    assert!(
        ec2.contains("1461.120 instance-hours") && ec2.ends_with("140.27"),
        "{ec2}"
    );
    assert!(text.contains("at 0.096 USD per instance-hour"), "{text}");
    // Multi-AZ db.m5.large: 0.171 x 2 x 730.56 = 249.85.
    assert!(text.contains("x 2 (Multi-AZ)"), "{text}");
    assert!(
        text.contains("ALB hours") && text.contains("ALB LCU-hours"),
        "{text}"
    );
    assert!(text.contains("LCUs = largest of new connections"), "{text}");
    assert!(text.contains("data_transfer"), "{text}");
    assert!(text.contains("\n  total "), "{text}");

    let costs = std::fs::read_to_string(out_dir.join("costs.csv")).unwrap();
    let rows: Vec<&str> = costs.lines().collect();
    assert_eq!(rows[0], "checkpoint,service,usd_month");
    let services: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(services, ["ec2", "ebs", "rds", "elb", "data_transfer"]);
    assert!(costs.contains("0,ec2,140.27"), "{costs}");
    // checkpoints.csv's cost is the sum of the rows.
    let sum: f64 = rows[1..]
        .iter()
        .map(|r| r.split(',').nth(2).unwrap().parse::<f64>().unwrap())
        .sum();
    let cps = std::fs::read_to_string(out_dir.join("checkpoints.csv")).unwrap();
    let header: Vec<&str> = cps.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = cps.lines().nth(1).unwrap().split(',').collect();
    let at = header.iter().position(|c| *c == "cost_usd_month").unwrap();
    let cost: f64 = row[at].parse().unwrap();
    assert!((cost - sum).abs() < 0.011, "{cost} vs {sum}");
}

#[test]
fn a_missing_regional_price_names_the_service_and_region() {
    let dir = tempfile::tempdir().unwrap();
    // eu-west-1 has no RDS io1 storage price in the catalog.
    let path = write(
        dir.path(),
        &scenario(
            "eu-west-1",
            "[web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.m5.large\"\n\
             storage = { type = \"io1\", size_gb = 100, iops = 1000 }\n",
        ),
    );
    let o = simscale(&[
        "run",
        &path,
        "--quiet",
        "--out",
        &dir.path().display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no price for rds: io1 storage, Single-AZ in eu-west-1"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("costs.csv").exists());
    // validate gives the same error, before anything is simulated.
    let v = simscale(&["validate", &path]);
    assert_eq!(v.status.code(), Some(2), "{}", stdout(&v));
    assert_eq!(stderr(&v), stderr(&o));

    // The same region without a load balancer runs: 20 req/s x 10 kB is
    // about 490 GB a month to the internet, so make the responses small
    // enough (1 kB: about 49 GB) to stay in the free 100 GB.
    let path = write(
        dir.path(),
        &scenario(
            "eu-west-1",
            "[[traffic.mix]]\nname = \"api\"\nshare = 1.0\nbytes = 1000\n[web]\ninstance = \"m5.large\"\n",
        ),
    );
    let o = simscale(&[
        "run",
        &path,
        "--quiet",
        "--explain-cost",
        "--out",
        &dir.path().display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // m5.large in eu-west-1: 0.107 x 730.56 = 78.17.
    assert!(stdout(&o).contains("78.17"), "{}", stdout(&o));
}

/// A design with a daily cycle, a load balancer and a CDN, at a constant
/// 200,000 users, evaluated by the fluid mode (no sampling noise).
fn cycle_design(window: &str, window_at: &str) -> simscale::spec::Scenario {
    let text = format!(
        "name = \"month\"\n[simulation]\nmode = \"fluid\"\nwindow = \"{window}\"\nwindow_at = \"{window_at}\"\n\
         [traffic]\nusers = 200000\nrequests_per_user_per_day = 100\n\
         diurnal = {{ peak_to_mean = 2.0, peak_hour = 20 }}\n\
         [[traffic.mix]]\nname = \"page\"\nshare = 0.7\nbytes = 60000\nweb_cpu = \"20ms\"\n\
         [[traffic.mix]]\nname = \"asset\"\nshare = 0.3\nbytes = 200000\ncacheable = true\n\
         [cdn]\n[load_balancer]\n[web]\ninstance = \"m5.large\"\ncount = 4\nazs = [\"a\", \"b\"]\n"
    );
    simscale::scenario::parse(&text, "month.toml").unwrap()
}

fn bill_of(
    s: &simscale::spec::Scenario,
    short: bool,
) -> (f64, Vec<simscale::cost::CostLine>, String) {
    let options = simscale::run::RunOptions {
        short,
        ..Default::default()
    };
    let report = simscale::run::simulate(s, &options).unwrap();
    let cp = &report.checkpoints[0];
    let basis = simscale::cost::MonthScale::for_checkpoint(&report.scenario, &cp.checkpoint).basis;
    (cp.cost_usd_month, cp.bill.clone(), basis)
}

#[test]
fn the_bill_integrates_the_daily_profile_whatever_the_window() {
    let (day, day_lines, day_basis) = bill_of(&cycle_design("24h", "start"), false);
    let (hour, hour_lines, hour_basis) = bill_of(&cycle_design("1h", "peak"), false);
    let (short, short_lines, short_basis) = bill_of(&cycle_design("24h", "start"), true);
    for (what, x) in [("1-hour peak", hour), ("5-minute --short", short)] {
        assert!(
            (x / day - 1.0).abs() < 0.02,
            "{what} window bills {x:.2}, the whole day {day:.2}"
        );
    }
    // Line by line too: data out and requests are volumes, scaled by the
    // profile, not by the window's own rate.
    for lines in [&hour_lines, &short_lines] {
        for (a, b) in lines.iter().zip(&day_lines) {
            assert_eq!(a.item.split('(').next(), b.item.split('(').next());
            assert!(
                (a.usd_month - b.usd_month).abs() <= 0.02 * b.usd_month.max(1.0),
                "{}: {} vs {}",
                a.item,
                a.usd_month,
                b.usd_month
            );
        }
    }
    assert!(day_basis.contains("23h 55m window"), "{day_basis}");
    assert!(
        hour_basis.contains("scaled from a 55-minute peak window by the daily profile"),
        "{hour_basis}"
    );
    assert!(
        short_basis.contains("scaled from a 4-minute peak window by the daily profile"),
        "{short_basis}"
    );
}

#[test]
fn validate_checks_surplus_credit_prices_of_unlimited_burstable_classes() {
    let dir = tempfile::tempdir().unwrap();
    // db.t3 runs unlimited by default and has its RDS surplus price: valid.
    let path = write(
        dir.path(),
        &scenario(
            "us-east-1",
            "[web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.t3.medium\"\n",
        ),
    );
    let v = simscale(&["validate", &path]);
    assert!(v.status.success(), "{}", stderr(&v));
    // db.t2 in unlimited mode: no price was found for its surplus credits.
    let path = write(
        dir.path(),
        &scenario(
            "us-east-1",
            "[web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.t2.medium\"\ncredits = \"unlimited\"\n",
        ),
    );
    let v = simscale(&["validate", &path]);
    assert_eq!(v.status.code(), Some(2), "{}", stdout(&v));
    assert!(
        stderr(&v).contains("no price for rds: T2 CPU credits in us-east-1"),
        "{}",
        stderr(&v)
    );
    // In standard mode it needs no surplus price.
    let path = write(
        dir.path(),
        &scenario(
            "us-east-1",
            "[web]\ninstance = \"m5.large\"\n[database]\ninstance = \"db.t3.medium\"\ncredits = \"standard\"\n",
        ),
    );
    let v = simscale(&["validate", &path]);
    assert!(v.status.success(), "{}", stderr(&v));
    // A t3 web instance (unlimited) has its T3 price: valid.
    let path = write(
        dir.path(),
        &scenario("us-east-1", "[web]\ninstance = \"t3.micro\"\n"),
    );
    assert!(simscale(&["validate", &path]).status.success());
}

#[test]
fn warnings_print_and_go_to_warnings_csv_and_report_md() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // rate 38 on an m5.large at 50 ms: a 20 s warm-up is short of the
    // web tier's relaxation time (about 39 s).
    let path = write(
        dir.path(),
        &scenario("us-east-1", "[web]\ninstance = \"m5.large\"\n")
            .replace("rate = 20.0", "rate = 38.0"),
    );
    let o = simscale(&["run", &path, "--out", &out.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = "warning: checkpoint 0: simulation.warmup: the warm-up (20s) is shorter";
    assert!(stdout(&o).contains(line), "{}", stdout(&o));
    let csv = std::fs::read_to_string(out.join("warnings.csv")).unwrap();
    assert!(
        csv.starts_with("checkpoint,key,message\n0,simulation.warmup,\"the warm-up (20s)"),
        "{csv}"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("## Warnings\n\n- checkpoint 0: `simulation.warmup`: the warm-up"),
        "{md}"
    );
    let v = simscale(&["validate", &path]);
    assert!(stdout(&v).contains(line), "{}", stdout(&v));
    // Silenced: the file keeps its header, the report has no section.
    let quiet = std::fs::read_to_string(&path).unwrap().replace(
        "warmup = \"20s\"",
        "warmup = \"20s\"\nquiet_warnings = [\"simulation\"]",
    );
    std::fs::write(&path, quiet).unwrap();
    let o = simscale(&["run", &path, "--out", &out.display().to_string()]);
    assert!(!stdout(&o).contains("warning:"), "{}", stdout(&o));
    let csv = std::fs::read_to_string(out.join("warnings.csv")).unwrap();
    assert_eq!(csv, "checkpoint,key,message\n");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!md.contains("## Warnings"), "{md}");
}

#[test]
fn the_terminal_shows_timeouts_apart_from_drops() {
    let dir = tempfile::tempdir().unwrap();
    // Every request takes 200 ms of CPU against a 100 ms timeout: all
    // time out, none is dropped.
    let path = write(
        dir.path(),
        &scenario(
            "us-east-1",
            "[[traffic.mix]]\nname = \"slow\"\nshare = 1.0\nweb_cpu = { mean = \"200ms\", dist = \"deterministic\" }\n\
             [web]\ninstance = \"m5.large\"\ntimeout = \"100ms\"\n",
        )
        .replace("rate = 20.0", "rate = 1.0"),
    );
    let out_dir = dir.path().join("o").display().to_string();
    let o = simscale(&["run", &path, "--out", &out_dir]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("avail %  dropped  timeout   errors"), "{out}");
    let row: Vec<&str> = out
        .lines()
        .find(|l| l.trim_start().starts_with("0 "))
        .unwrap()
        .split_whitespace()
        .collect();
    // cp, users, req/s, p50, p99, hour p99, avail, dropped, timeout, errors, ...
    assert_eq!(row[7], "0", "{out}");
    assert!(row[8].parse::<u64>().unwrap() > 50, "{out}");
    assert_eq!(row[9], "0", "{out}");
}

#[test]
fn an_alb_in_eu_west_1_runs_and_is_billed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &scenario(
            "eu-west-1",
            "[[traffic.mix]]\nname = \"api\"\nshare = 1.0\nbytes = 1000\n\
             [load_balancer]\n[web]\ninstance = \"m6g.large\"\ncount = 2\n",
        ),
    );
    let o = simscale(&[
        "run",
        &path,
        "--quiet",
        "--explain-cost",
        "--out",
        &dir.path().display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    // ALB hours: 730.56 x 0.0252 = 18.41.
    let hours = text.lines().find(|l| l.contains("ALB hours")).unwrap();
    assert!(hours.ends_with("18.41"), "{hours}");
    // Two m6g.large at 0.086: 1461.12 h x 0.086 = 125.66.
    let ec2 = text
        .lines()
        .find(|l| l.contains("m6g.large instance-hours"))
        .unwrap();
    assert!(ec2.ends_with("125.66"), "{ec2}");
    // Root volumes: 2 x 8 GB x 0.088 = 1.41.
    let ebs = text
        .lines()
        .find(|l| l.contains("gp3 root volumes"))
        .unwrap();
    assert!(ebs.ends_with("1.41"), "{ebs}");
}

#[test]
fn the_free_tier_shows_as_deductions_in_explain_cost() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &scenario(
            "us-east-1",
            "[[traffic.mix]]\nname = \"api\"\nshare = 1.0\nbytes = 1000\n\
             [web]\ninstance = \"t2.micro\"\n[billing]\nfree_tier = true\n",
        ),
    );
    let o = simscale(&[
        "run",
        &path,
        "--quiet",
        "--explain-cost",
        "--out",
        &dir.path().display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    // 730.56 h of t2.micro at 0.0116 = 8.47, all inside the 750 free hours.
    let free = text
        .lines()
        .find(|l| l.contains("free tier: 750 h of t2.micro"))
        .unwrap();
    assert!(
        free.contains("-730.560") && free.ends_with("-8.47"),
        "{free}"
    );
    // 8 GB of root volume inside the 30 free GB-months: -8 x 0.08 = -0.64.
    let ebs = text
        .lines()
        .find(|l| l.contains("free tier: 30 GB-months"))
        .unwrap();
    assert!(ebs.ends_with("-0.64"), "{ebs}");
    assert!(
        text.contains("deducted (billing.free_tier = true)"),
        "{text}"
    );
    let costs = std::fs::read_to_string(dir.path().join("costs.csv")).unwrap();
    assert!(costs.contains("0,ec2,0.00"), "{costs}");
    assert!(costs.contains("0,ebs,0.00"), "{costs}");
}

#[test]
fn engines_and_billing_keys_are_checked_with_help() {
    let dir = tempfile::tempdir().unwrap();
    let check = |rest: &str| -> String {
        let path = write(dir.path(), &scenario("us-east-1", rest));
        let v = simscale(&["validate", &path]);
        assert_eq!(v.status.code(), Some(2), "{}", stdout(&v));
        stderr(&v)
    };
    let web = "[web]\ninstance = \"m5.large\"\n";
    let e = check(&format!(
        "{web}[database]\nengine = \"oracle\"\ninstance = \"db.m5.large\"\n"
    ));
    assert!(e.contains("aurora-postgresql"), "{e}");
    // Aurora does not run on db.m5: the error lists what it runs on.
    let e = check(&format!(
        "{web}[database]\nengine = \"aurora-mysql\"\ninstance = \"db.m5.large\"\n"
    ));
    assert!(
        e.contains("no us-east-1 price for 'db.m5.large' with engine = \"aurora-mysql\""),
        "{e}"
    );
    assert!(e.contains("db.r6g.large"), "{e}");
    // Aurora has replicas, not a Multi-AZ standby.
    let e = check(&format!(
        "{web}[database]\nengine = \"aurora-postgresql\"\ninstance = \"db.r6g.large\"\nmulti_az = true\n"
    ));
    assert!(
        e.contains("aurora-postgresql has no Multi-AZ standby"),
        "{e}"
    );
    assert!(e.contains("read_replicas = 1"), "{e}");
    let e = check(&format!(
        "{web}[database]\nengine = \"aurora-mysql\"\ninstance = \"colocated\"\n"
    ));
    assert!(
        e.contains("a colocated database cannot be aurora-mysql"),
        "{e}"
    );
    // [billing] keys are checked like every section's.
    let e = check(&format!("{web}[billing]\nfree_teir = true\n"));
    assert!(e.contains("did you mean 'free_tier'?"), "{e}");
    let e = check(&format!("{web}[billing]\nroot_volume_gb = -1\n"));
    assert!(e.contains("root_volume_gb"), "{e}");
    // Every engine validates with a class it is priced for.
    for engine in ["mysql", "postgres", "aurora-mysql", "aurora-postgresql"] {
        let path = write(
            dir.path(),
            &scenario(
                "us-east-1",
                &format!("{web}[database]\nengine = \"{engine}\"\ninstance = \"db.r6g.large\"\n"),
            ),
        );
        let v = simscale(&["validate", &path]);
        assert!(v.status.success(), "{engine}: {}", stderr(&v));
    }
}

#[test]
fn catalog_lists_graviton_types_and_rds_prices_per_engine() {
    let o = simscale(&["catalog", "--family", "m6g", "--region", "eu-west-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // m6g.large: 2 vCPU, 8 GiB, 0.086 USD/h in eu-west-1 = 62.83 a month.
    let line = stdout(&o)
        .lines()
        .find(|l| l.starts_with("m6g.large "))
        .unwrap()
        .to_string();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[..3], ["m6g.large", "2", "8"]);
    assert_eq!(cells[4..], ["0.086", "62.83"]);
    let o = simscale(&["catalog", "--rds", "--family", "db.r5"]);
    let out = stdout(&o);
    let line = out.lines().find(|l| l.starts_with("db.r5.large ")).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[4..], ["0.24", "0.25", "0.29", "0.29"], "{line}");
}

#[test]
fn instances_and_replicas_are_spread_round_robin_over_the_azs() {
    let text = r#"
name = "x"
[traffic]
rate = 1.0
[load_balancer]
[web]
instance = "m5.large"
count = 4
azs = ["a", "b", "c"]
"#;
    let s = simscale::scenario::parse(text, "x").unwrap();
    let web: Vec<&str> = (0..4).map(|i| s.web_az(i)).collect();
    assert_eq!(web, ["a", "b", "c", "a"]);
    assert_eq!(s.db_primary_az(), "a");
    assert_eq!(s.db_standby_az(), "b");
    assert_eq!(s.db_replica_az(1), "b");
}
