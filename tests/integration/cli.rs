//! The real binary: exit codes, files written, messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn simscale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simscale"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("simscale runs")
}

pub fn repo(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .display()
        .to_string()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A small steady-state scenario in a temporary folder.
pub fn small_scenario(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("small.toml");
    std::fs::write(&path, body).unwrap();
    path
}

pub const SMALL: &str = r#"
name = "small"
[simulation]
window = "3m"
warmup = "30s"
[traffic]
rate = 50.0
[web]
instance = "m5.large"
"#;

/// The contract's columns come first; more may follow them.
fn assert_starts(header: &str, contract: &str) {
    assert!(
        header.starts_with(contract),
        "{header}\n does not start with\n{contract}"
    );
}

#[test]
fn run_writes_every_contract_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = small_scenario(dir.path(), SMALL);
    let out = dir.path().join("out");
    let o = simscale(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("small: 1 checkpoint"),
        "{}",
        text(&o.stdout)
    );
    let header = |f: &str| {
        let s = std::fs::read_to_string(out.join(f)).unwrap();
        s.lines().next().unwrap().to_string()
    };
    assert_starts(
        &header("checkpoints.csv"),
        "checkpoint,time_s,users,offered_rps,requests,served,dropped,timed_out,errors,throttled,in_flight,\
         availability,mean_ms,p50_ms,p95_ms,p99_ms,web_instances_mean,web_instances_max,web_util,db_util,\
         cost_usd_month,cost_usd_per_1k_users_month,slo_met,mode",
    );
    assert_starts(
        &header("timeline.csv"),
        "checkpoint,minute,offered_rps,served_rps,error_rps,mean_ms,p50_ms,p99_ms,web_instances,web_util,db_util,lambda_concurrency",
    );
    assert_eq!(header("costs.csv"), "checkpoint,service,usd_month");
    assert_starts(
        &header("classes.csv"),
        "checkpoint,class,requests,served,availability,mean_ms,p50_ms,p95_ms,p99_ms,slo_verdict",
    );
    let classes = std::fs::read_to_string(out.join("classes.csv")).unwrap();
    assert_eq!(classes.lines().count(), 2, "{classes}");
    assert!(classes.lines().nth(1).unwrap().starts_with("0,default,"));
    // The report and its chart: a page, and a real PNG.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.starts_with("# small\n")
            && md.contains("## Verdict")
            && md.contains("![latency.png](latency.png)"),
        "{md}"
    );
    let png = std::fs::read(out.join("latency.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5_000);
    let timeline = std::fs::read_to_string(out.join("timeline.csv")).unwrap();
    assert_eq!(timeline.lines().count(), 1 + 3, "one row per minute");
    // One m5.large for a 30.44-day month at $0.096/h.
    let costs = std::fs::read_to_string(out.join("costs.csv")).unwrap();
    assert!(costs.contains("0,ec2,70.13"), "{costs}");
}

#[test]
fn checkpoints_csv_conserves_requests() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = simscale(&[
        "run",
        &repo("scenarios/04-multi-az.toml"),
        "--short",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
    let mut r = csv::Reader::from_path(out.join("checkpoints.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let n = |name: &str| rec[col(name)].parse::<u64>().unwrap();
        let sum = [
            "served",
            "dropped",
            "timed_out",
            "errors",
            "throttled",
            "in_flight",
        ]
        .map(n)
        .iter()
        .sum::<u64>();
        assert_eq!(n("requests"), sum);
        let avail: f64 = rec[col("availability")].parse().unwrap();
        let finished = n("requests") - n("in_flight");
        assert!((avail - n("served") as f64 / finished as f64).abs() < 1e-6);
        rows += 1;
    }
    assert_eq!(rows, 4, "--short keeps four checkpoints");
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str, seed: &str| {
        let out = dir.path().join(format!("t{threads}-s{seed}"));
        let o = simscale(&[
            "run",
            &repo("scenarios/05-scale-out.toml"),
            "--short",
            "--quiet",
            "--threads",
            threads,
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        ["checkpoints.csv", "timeline.csv", "costs.csv"]
            .map(|f| std::fs::read(out.join(f)).unwrap())
    };
    let one = run("1", "7");
    assert_eq!(one, run("2", "7"));
    assert_eq!(one, run("2", "7"));
    assert_ne!(one[0], run("2", "8")[0], "another seed gives other numbers");
}

#[test]
fn invalid_scenario_exits_2_with_location_and_help() {
    let o = simscale(&["run", "tests/data/invalid/unknown-instance-type.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("tests/data/invalid/unknown-instance-type.toml:7:12"),
        "{err}"
    );
    assert!(err.contains("help: did you mean 'm5.large'?"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn every_invalid_scenario_is_rejected_cleanly() {
    // Exit 2 and a message for each, never a panic (exit 101).
    for entry in std::fs::read_dir(repo("tests/data/invalid")).unwrap() {
        let path = entry.unwrap().path();
        let o = simscale(&["validate", path.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}: {}",
            path.display(),
            text(&o.stderr)
        );
        assert!(text(&o.stderr).contains("error: "), "{}", path.display());
    }
}

#[test]
fn missing_file_and_usage_errors() {
    let o = simscale(&["run", "no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot read scenario 'no/such/file.toml'"));
    let o = simscale(&["run"]);
    assert_eq!(o.status.code(), Some(2), "clap usage errors exit 2");
    let o = simscale(&["--help"]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("Exit status"));
}

#[test]
fn a_failed_run_leaves_old_files_alone() {
    // eu-west-1 has no RDS io1 storage price in the catalog: the run stops
    // at the bill and writes nothing.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("checkpoints.csv"), "earlier run").unwrap();
    let file = small_scenario(
        dir.path(),
        &format!(
            "region = \"eu-west-1\"\n{SMALL}\n[database]\ninstance = \"db.m5.large\"\n\
             storage = {{ type = \"io1\", size_gb = 100, iops = 1000 }}\n"
        ),
    );
    let o = simscale(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("eu-west-1") && err.contains("help:"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("checkpoints.csv")).unwrap(),
        "earlier run"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "no other file appeared"
    );
}

#[test]
fn auto_runs_des_within_the_budget_and_fluid_beyond() {
    let dir = tempfile::tempdir().unwrap();
    let modes = |budget: &str| {
        let out = dir.path().join(budget);
        let file = small_scenario(
            dir.path(),
            &SMALL.replace(
                "window = \"3m\"",
                &format!("window = \"3m\"\ndes_budget = {budget}"),
            ),
        );
        let o = simscale(&[
            "run",
            file.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let csv = std::fs::read_to_string(out.join("checkpoints.csv")).unwrap();
        csv.lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(23)
            .unwrap()
            .to_string()
    };
    // 3 minutes at 50/s: 9,000 requests expected.
    assert_eq!(modes("1000"), "fluid");
    assert_eq!(modes("100000"), "des");
}

#[test]
fn an_unwritable_output_is_a_runtime_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = small_scenario(dir.path(), SMALL);
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let o = simscale(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        blocker.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        let o = simscale(&["validate", path.to_str().unwrap()]);
        assert!(
            o.status.success(),
            "{}: {}",
            path.display(),
            text(&o.stderr)
        );
    }
}

#[test]
fn default_output_folder_is_out_slash_stem() {
    assert_eq!(
        simscale::cli::default_out_dir(Path::new("scenarios/01-day-one.toml")),
        Path::new("out/01-day-one")
    );
}

#[test]
fn a_ladder_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = small_scenario(dir.path(), SMALL);
    let out = dir.path().join("out");
    let o = simscale(&[
        "run",
        file.to_str().unwrap(),
        "--ladder",
        "web.instance=m5.large,m5.xlarge",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("== web.instance = m5.xlarge"));
    let ladder = std::fs::read_to_string(out.join("ladder.csv")).unwrap();
    assert_eq!(ladder.lines().count(), 3, "{ladder}");
    let page = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        page.contains("[m5.xlarge/report.md](m5.xlarge/report.md)"),
        "{page}"
    );
    assert!(out.join("m5.large/checkpoints.csv").exists());
    // A bad rung is a scenario error naming it; a bad flag a usage error.
    let o = simscale(&[
        "run",
        file.to_str().unwrap(),
        "--ladder",
        "web.instance=m5.larg",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("with web.instance = m5.larg"),
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stderr).contains("did you mean 'm5.large'?"));
    let o = simscale(&["run", file.to_str().unwrap(), "--ladder", "web.instance"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--ladder"));
}

#[test]
fn fluid_runs_are_byte_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let fluid = std::fs::read_to_string(repo("scenarios/05-scale-out.toml"))
        .unwrap()
        .replace("[simulation]\n", "[simulation]\nmode = \"fluid\"\n");
    let file = small_scenario(dir.path(), &fluid);
    let run = |threads: &str| {
        let out = dir.path().join(format!("t{threads}"));
        let o = simscale(&[
            "run",
            file.to_str().unwrap(),
            "--quiet",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        [
            "checkpoints.csv",
            "timeline.csv",
            "costs.csv",
            "summary.csv",
            "classes.csv",
        ]
        .map(|f| std::fs::read(out.join(f)).unwrap())
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let checkpoints = String::from_utf8(one[0].clone()).unwrap();
    assert_eq!(checkpoints.lines().count(), 26);
    assert!(checkpoints.lines().skip(1).all(|l| l.contains(",fluid,")));
}

#[test]
fn a_class_objective_is_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let body = SMALL.replace(
        "rate = 50.0\n",
        "rate = 50.0\n[[traffic.mix]]\nname = \"page\"\nshare = 0.5\nslo = { p99 = \"2s\", availability = 0.99 }\n\
         [[traffic.mix]]\nname = \"api\"\nshare = 0.5\nslo = { p99 = \"300ms\" }\n",
    );
    let s = simscale::scenario::parse(&body, "small.toml").unwrap();
    assert_eq!(
        s.traffic.mix[0].slo,
        Some(simscale::spec::ClassSlo {
            p99: Some(simscale::time::SimDuration::from_secs(2)),
            availability: Some(0.99),
        })
    );
    assert_eq!(s.traffic.mix[1].slo.unwrap().availability, None);
    let file = small_scenario(dir.path(), &body.replace("\"300ms\"", "\"-1s\""));
    let o = simscale(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("p99"), "{}", text(&o.stderr));
    let file = small_scenario(
        dir.path(),
        &body.replace("p99 = \"300ms\"", "p99s = \"300ms\""),
    );
    let o = simscale(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("p99s"), "{}", text(&o.stderr));
}
