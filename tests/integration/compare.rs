//! `simscale compare`: common random numbers, the table, its files.

use crate::cli::{simscale, text};
use simscale::report::compare::{compare_csv, compare_md};
use simscale::run::RunOptions;
use simscale::run::compare::{CommonLoad, DesignInput, compare};
use simscale::scenario::parse;

/// A small growing design: `web` instances of `instance`, 20 to 20,000 users.
pub fn growing(name: &str, instance: &str, count: u32) -> String {
    format!(
        r#"
name = "{name}"
[simulation]
horizon = "30d"
checkpoints = 4
window = "4m"
warmup = "1m"
[traffic]
users = {{ start = 20, end = 20000, shape = "exponential" }}
requests_per_user_per_day = 400
[web]
instance = "{instance}"
count = {count}
{lb}
"#,
        lb = if count > 1 {
            "[load_balancer]\nkind = \"alb\""
        } else {
            ""
        }
    )
}

fn design(name: &str, text: &str) -> DesignInput {
    DesignInput {
        design: name.into(),
        file: format!("{name}.toml"),
        scenario: parse(text, name).unwrap(),
    }
}

fn two_designs() -> Vec<DesignInput> {
    vec![
        design("small", &growing("small", "m5.large", 1)),
        design("big", &growing("big", "m5.large", 2)),
    ]
}

fn options(replications: u32) -> RunOptions {
    RunOptions {
        replications: Some(replications),
        ..RunOptions::default()
    }
}

#[test]
fn compare_csv_has_the_contract_columns_in_order() {
    let c = compare(&two_designs(), None, &options(1)).unwrap();
    let csv = String::from_utf8(compare_csv(&c)).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with(
            "design,file,wall_users,wall_users_low,wall_users_high,wall_peak_rps,\
             wall_users_az_loss,cost_usd_month_at_wall,cost_usd_per_1k_users_month_at_wall,relative_wall,p99_ms_at_"
        ),
        "{header}"
    );
    for l in &c.loads {
        let p = format!("p99_ms_at_{0},availability_at_{0}", l.label());
        assert!(header.contains(&p), "{header} lacks {p}");
    }
    assert_eq!(csv.lines().count(), 3);
    // The bigger box carries more, and the first design is the reference.
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows[0][9], "1.000");
    let small: f64 = rows[0][2].parse().unwrap();
    let big: f64 = rows[1][2].parse().unwrap();
    assert!(big > small, "{csv}");
    // Low and high bracket the wall; peak rps is the wall's users times
    // 400 requests a day, without a daily cycle.
    let (low, high): (f64, f64) = (rows[0][3].parse().unwrap(), rows[0][4].parse().unwrap());
    assert!(low <= small && small < high, "{csv}");
    let peak: f64 = rows[0][5].parse().unwrap();
    assert!((peak - small * 400.0 / 86_400.0).abs() < 0.01, "{csv}");
    // Every instance in one AZ: with it down, nothing is left.
    assert_eq!(rows[0][6], "0");
}

#[test]
fn a_design_compared_with_itself_differs_by_nothing() {
    let text = growing("same", "m5.large", 1);
    let designs = vec![design("a", &text), design("b", &text)];
    let c = compare(&designs, None, &options(3)).unwrap();
    let b = &c.designs[1];
    assert_eq!(b.relative_wall(&c.designs[0]), Some(1.0));
    for at in b.at.iter().flatten() {
        if let Some(d) = at.p99_ms_diff {
            assert_eq!(d.mean, 0.0);
            assert_eq!(d.ci95, 0.0);
        }
    }
    // With replications, each difference has a confidence column.
    let csv = String::from_utf8(compare_csv(&c)).unwrap();
    assert!(csv.lines().next().unwrap().contains("p99_ms_diff_ci95_at_"));
}

#[test]
fn paired_differences_have_confidence_intervals() {
    let c = compare(
        &two_designs(),
        Some(vec![CommonLoad::Users(2000.0), CommonLoad::Users(8000.0)]),
        &options(4),
    )
    .unwrap();
    let at = c.designs[1].at[0].as_ref().unwrap();
    let d = at.p99_ms_diff.unwrap();
    // The same arrivals through a faster box: p99 falls, and the interval
    // is finite and positive.
    assert!(d.mean < 0.0, "{d:?}");
    assert!(d.ci95 > 0.0 && d.ci95.is_finite(), "{d:?}");
    assert!(c.designs[0].at[0].as_ref().unwrap().p99_ms_diff.is_none());
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let run = |threads| {
        let o = RunOptions {
            threads: Some(threads),
            replications: Some(2),
            ..RunOptions::default()
        };
        let c = compare(&two_designs(), None, &o).unwrap();
        (compare_csv(&c), compare_md(&c, &[]))
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn steady_rate_designs_compare_at_their_rates() {
    let rate = |name: &str, instance: &str, rps: f64| {
        format!(
            "name = \"{name}\"\n[simulation]\nwindow = \"3m\"\nwarmup = \"30s\"\n[traffic]\nrate = {rps}\n[web]\ninstance = \"{instance}\"\n"
        )
    };
    let designs = vec![
        design("a", &rate("a", "m5.large", 20.0)),
        design("b", &rate("b", "m5.xlarge", 40.0)),
    ];
    let c = compare(&designs, None, &options(1)).unwrap();
    assert_eq!(
        c.loads,
        vec![CommonLoad::Rate(20.0), CommonLoad::Rate(40.0)]
    );
    let csv = String::from_utf8(compare_csv(&c)).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("p99_ms_at_20rps,availability_at_20rps"),
        "{header}"
    );
    // No users, no wall: the wall cells are empty, the latency ones are not.
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert!(row[2..10].iter().all(|c| c.is_empty()), "{csv}");
    assert!(!row[10].is_empty(), "{csv}");
    // A design given in users next to them: its rate cells stay empty.
    let mixed = vec![
        design("users", &growing("users", "m5.large", 1)),
        design("rate", &rate("rate", "m5.large", 20.0)),
    ];
    let c = compare(&mixed, Some(vec![CommonLoad::Users(1000.0)]), &options(1)).unwrap();
    assert!(c.designs[0].at[0].is_some());
    assert!(c.designs[1].at[0].is_none());
}

#[test]
fn compare_renderers_snapshot() {
    let c = compare(
        &two_designs(),
        Some(vec![CommonLoad::Users(500.0), CommonLoad::Users(5000.0)]),
        &options(2),
    )
    .unwrap();
    insta::assert_snapshot!("compare_csv", String::from_utf8(compare_csv(&c)).unwrap());
    insta::assert_snapshot!("compare_md", compare_md(&c, &["compare_latency.png"]));
}

#[test]
fn compare_command_writes_its_files_and_reports_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    std::fs::write(&a, growing("a", "m5.large", 1)).unwrap();
    std::fs::write(&b, growing("b", "m5.large", 2)).unwrap();
    let out = dir.path().join("out");
    let o = simscale(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--short",
        "--threads",
        "2",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("wall users"),
        "{}",
        text(&o.stdout)
    );
    for f in [
        "compare.csv",
        "compare.md",
        "compare_latency.png",
        "compare_availability.png",
        "compare_cost.png",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(
        md.contains("![compare_latency.png](compare_latency.png)"),
        "{md}"
    );
    // An invalid design stops everything before anything runs: exit 2.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"bad\"\n[traffic]\nrate = 1.0\n[web]\ninstance = \"m5.larg\"\n",
    )
    .unwrap();
    let o = simscale(&["compare", a.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("did you mean 'm5.large'?"),
        "{}",
        text(&o.stderr)
    );
    // A bad --at is a usage error.
    let o = simscale(&["compare", a.to_str().unwrap(), "--at", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn steady_user_counts_compare_at_their_counts() {
    let steady = |name: &str, instance: &str| {
        format!(
            "name = \"{name}\"\n[simulation]\nwindow = \"3m\"\nwarmup = \"30s\"\n[traffic]\nusers = 3000\nrequests_per_user_per_day = 400\n[web]\ninstance = \"{instance}\"\n"
        )
    };
    let designs = vec![
        design("a", &steady("a", "m5.large")),
        design("b", &steady("b", "m5.xlarge")),
    ];
    let c = compare(&designs, None, &options(2)).unwrap();
    // One window each, no horizon: no wall, one common load at their users.
    assert_eq!(c.loads, vec![CommonLoad::Users(3000.0)]);
    for d in &c.designs {
        assert_eq!(d.wall.users, None);
        assert_eq!(d.wall.users_low, Some(3000.0));
        assert!(d.at[0].as_ref().unwrap().p99_ms.is_some());
    }
    assert!(c.designs[1].at[0].as_ref().unwrap().p99_ms_diff.is_some());
    let md = compare_md(&c, &[]);
    assert!(md.contains("| a | > 3,000 |"), "{md}");
}
