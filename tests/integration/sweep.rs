//! `simscale sweep` and `simscale merge`: grids, shards, resuming, merging.

use crate::cli::text;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A quick steady-state scenario.
pub const STEADY: &str = r#"name = "steady"
[simulation]
window = "2m"
warmup = "20s"
[traffic]
rate = 20.0
[web]
instance = "m5.large"
"#;

/// The sweep arguments every test uses: 3 x 3 = 9 points.
pub const SETS: [&str; 4] = [
    "--set",
    "web.instance=m5.large,m5.xlarge,c5.large",
    "--set",
    "traffic.rate=20,40,60",
];

/// simscale with no scheduler variable set but those in `env`.
pub fn simscale_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_simscale"));
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for v in simscale::sweep::SHARD_VARIABLES {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("simscale runs")
}

fn sweep(scenario: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["sweep", scenario.to_str().unwrap()];
    args.extend(SETS);
    args.extend(["--out", out.to_str().unwrap(), "--quiet"]);
    args.extend(extra);
    let o = simscale_env(&args, env);
    assert!(o.status.success(), "{}", text(&o.stderr));
    o
}

fn merge(dirs: &[PathBuf], out: &Path) {
    let mut args = vec!["merge".to_string()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    args.extend(["--out".to_string(), out.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = simscale_env(&args, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

/// Every file under `dir`, relative path and bytes, sorted.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("steady.toml");
    std::fs::write(&file, STEADY).unwrap();
    (dir, file)
}

#[test]
fn a_grid_sweep_writes_sweep_csv_and_every_point() {
    let (dir, file) = setup();
    let out = dir.path().join("whole");
    sweep(&file, &out, &["--threads", "2"], &[]);
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    // point, the keys, then summary.csv's columns as it writes them.
    let summary = std::fs::read_to_string(out.join("points/0/summary.csv")).unwrap();
    assert_eq!(
        header,
        format!(
            "point,web.instance,traffic.rate,{}",
            summary.lines().next().unwrap()
        )
    );
    assert_eq!(csv.lines().count(), 10);
    // Grid order: the last --set varies fastest.
    assert!(csv.lines().nth(1).unwrap().starts_with("0,m5.large,20,"));
    assert!(csv.lines().nth(2).unwrap().starts_with("1,m5.large,40,"));
    assert!(csv.lines().nth(4).unwrap().starts_with("3,m5.xlarge,20,"));
    for i in 0..9 {
        assert!(out.join(format!("points/{i}/point.toml")).is_file());
        assert!(out.join(format!("points/{i}/checkpoints.csv")).is_file());
    }
    assert!(out.join("sweep.png").is_file());
    // The same bytes with one thread.
    let one = dir.path().join("one");
    sweep(&file, &one, &["--threads", "1"], &[]);
    assert_eq!(tree(&out), tree(&one));
    insta::assert_snapshot!("sweep_csv", csv);
}

#[test]
fn shards_merged_equal_the_unsharded_sweep_byte_for_byte() {
    let (dir, file) = setup();
    let whole = dir.path().join("whole");
    sweep(&file, &whole, &[], &[]);
    let expected = tree(&whole);
    for n in [1usize, 3, 7] {
        let shards: Vec<PathBuf> = (1..=n)
            .map(|k| {
                let out = dir.path().join(format!("n{n}-shard{k}"));
                sweep(&file, &out, &["--shard", &format!("{k}/{n}")], &[]);
                out
            })
            .collect();
        // Each shard ran only its own points.
        if n == 3 {
            let points: Vec<String> = std::fs::read_dir(shards[1].join("points"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            let mut points = points;
            points.sort();
            assert_eq!(points, ["1", "4", "7"]);
            assert!(shards[1].join("sweep.2-of-3.csv").is_file());
        }
        let merged = dir.path().join(format!("merged-{n}"));
        merge(&shards, &merged);
        assert_eq!(tree(&merged), expected, "N = {n}");
    }
}

#[test]
fn shard_auto_reads_each_schedulers_variable() {
    let (dir, file) = setup();
    let whole = dir.path().join("whole");
    sweep(&file, &whole, &[], &[]);
    for var in simscale::sweep::SHARD_VARIABLES {
        let shards: Vec<PathBuf> = (0..3)
            .map(|i| {
                let out = dir.path().join(format!("{var}-{i}"));
                let index = i.to_string();
                sweep(&file, &out, &["--shard", "auto/3"], &[(var, &index)]);
                assert!(out.join(format!("sweep.{}-of-3.csv", i + 1)).is_file());
                out
            })
            .collect();
        let merged = dir.path().join(format!("{var}-merged"));
        merge(&shards, &merged);
        assert_eq!(
            std::fs::read(merged.join("sweep.csv")).unwrap(),
            std::fs::read(whole.join("sweep.csv")).unwrap(),
            "{var}"
        );
    }
    // Without any of them: a usage error naming them.
    let mut args = vec!["sweep", file.to_str().unwrap()];
    args.extend(SETS);
    args.extend(["--shard", "auto/3"]);
    let o = simscale_env(&args, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("SLURM_ARRAY_TASK_ID"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn resume_skips_complete_points_and_reruns_the_rest() {
    let (dir, file) = setup();
    let out = dir.path().join("out");
    sweep(&file, &out, &[], &[]);
    let before = tree(&out);
    // An interrupted sweep: one point never finished, another half-written.
    std::fs::remove_dir_all(out.join("points/4")).unwrap();
    std::fs::remove_file(out.join("points/7/point.toml")).unwrap();
    std::fs::remove_file(out.join("sweep.csv")).unwrap();
    let mut args = vec!["sweep", file.to_str().unwrap()];
    args.extend(SETS);
    args.extend(["--out", out.to_str().unwrap(), "--resume"]);
    let o = simscale_env(&args, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("2 of 9 points run, 7 skipped as complete"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(tree(&out), before);
    // Other options make other points: nothing is skipped.
    args.extend(["--seed", "5"]);
    let o = simscale_env(&args, &[]);
    assert!(
        text(&o.stdout).contains("9 of 9 points run"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn bad_sweeps_are_refused_before_anything_runs() {
    let (dir, file) = setup();
    let out = dir.path().join("out");
    let f = file.to_str().unwrap();
    let o_ = out.to_str().unwrap();
    // A bad value in the second point: nothing runs, the message points
    // at the line in the user's file.
    let o = simscale_env(
        &[
            "sweep",
            f,
            "--set",
            "web.instance=m5.large,m5.larg",
            "--out",
            o_,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("with web.instance = m5.larg"), "{err}");
    assert!(
        err.contains("steady.toml with web.instance = m5.larg:8:12"),
        "{err}"
    );
    assert!(err.contains("did you mean 'm5.large'?"), "{err}");
    assert!(!out.exists());
    // --zip with unequal lengths.
    let o = simscale_env(
        &[
            "sweep",
            f,
            "--zip",
            "--set",
            "web.instance=m5.large,m5.xlarge",
            "--set",
            "traffic.rate=1",
            "--out",
            o_,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--zip"), "{}", text(&o.stderr));
    // --zip pairs values.
    let o = simscale_env(
        &[
            "sweep",
            f,
            "--zip",
            "--set",
            "web.instance=m5.large,m5.xlarge",
            "--set",
            "traffic.rate=10,30",
            "--out",
            o_,
            "-q",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(
        csv.lines().nth(2).unwrap().starts_with("1,m5.xlarge,30,"),
        "{csv}"
    );
    // Bad shard specs and missing shards.
    let o = simscale_env(
        &["sweep", f, "--set", "traffic.rate=1,2", "--shard", "3/2"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let shard = dir.path().join("shard1");
    let o = simscale_env(
        &[
            "sweep",
            f,
            "--set",
            "traffic.rate=10,20,30",
            "--shard",
            "1/2",
            "--out",
            shard.to_str().unwrap(),
            "-q",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = simscale_env(&["merge", shard.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("point 1 not complete"),
        "{}",
        text(&o.stderr)
    );
    let o = simscale_env(&["merge", dir.path().to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("not a sweep folder"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_ladder_is_a_one_key_sweep_with_errors_in_the_users_file() {
    let (dir, file) = setup();
    let out = dir.path().join("ladder");
    let f = file.to_str().unwrap();
    let o = simscale_env(
        &[
            "run",
            f,
            "--ladder",
            "web.instance=m5.large,m5.larg",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("steady.toml with web.instance = m5.larg:8:12"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists(), "nothing ran");
    // Its rungs, run in parallel, give the bytes of the sweep's points.
    let o = simscale_env(
        &[
            "run",
            f,
            "--ladder",
            "web.instance=m5.large,c5.large",
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--threads",
            "2",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let sw = dir.path().join("sweep");
    let o = simscale_env(
        &[
            "sweep",
            f,
            "--set",
            "web.instance=m5.large,c5.large",
            "--out",
            sw.to_str().unwrap(),
            "-q",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    for (rung, point) in [("m5.large", "0"), ("c5.large", "1")] {
        for file in ["checkpoints.csv", "summary.csv", "timeline.csv"] {
            assert_eq!(
                std::fs::read(out.join(rung).join(file)).unwrap(),
                std::fs::read(sw.join("points").join(point).join(file)).unwrap(),
                "{rung} {file}"
            );
        }
    }
    assert!(out.join("ladder.png").is_file());
    assert!(out.join("ladder.csv").is_file());
}
