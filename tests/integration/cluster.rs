//! The recipes of docs/cluster.md, run through the variables each scheduler sets.

use crate::cli::text;
use crate::sweep::simscale_env;
use std::path::Path;
use std::process::Command;

const DOC: &str = include_str!("../../docs/cluster.md");

/// A quick design with a load balancer and read replicas, so both swept keys apply.
const DESIGN: &str = r#"name = "cluster"
[simulation]
window = "2m"
warmup = "20s"
[traffic]
rate = 30.0
[load_balancer]
kind = "alb"
[web]
instance = "m5.large"
count = 2
[database]
instance = "db.m5.large"
read_replicas = 1
"#;

/// The fenced block of `lang` after `heading`.
fn block(heading: &str, lang: &str) -> String {
    let after = &DOC[DOC.find(heading).expect(heading)..];
    let start = after.find(&format!("```{lang}\n")).unwrap() + lang.len() + 4;
    let len = after[start..].find("```").unwrap();
    after[start..start + len].to_string()
}

/// The sweep that one machine runs, for comparison.
fn unsharded(scenario: &Path, out: &Path) -> Vec<u8> {
    let o = simscale_env(
        &[
            "sweep",
            scenario.to_str().unwrap(),
            "--set",
            "web.count=4,8,16",
            "--set",
            "database.read_replicas=0,2,4",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::read(out.join("sweep.csv")).unwrap()
}

fn merge(dir: &Path, out: &Path) -> Vec<u8> {
    let o = simscale_env(
        &[
            "merge",
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::read(out.join("sweep.csv")).unwrap()
}

#[test]
fn the_slurm_array_script_runs_and_merges() {
    let script = block("## Slurm", "bash");
    assert!(script.contains("#SBATCH --array=0-3") && script.contains("--shard auto/4"));
    assert!(script.contains("--set web.count=4,8,16 --set database.read_replicas=0,2,4"));
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("design.toml");
    std::fs::write(&scenario, DESIGN).unwrap();
    let file = dir.path().join("sweep.sbatch");
    std::fs::write(&file, &script).unwrap();
    let out = dir.path().join("shared");
    // Slurm runs the script once per array index, with these set.
    for task in 0..4 {
        let o = Command::new("bash")
            .arg(&file)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_CPUS_PER_TASK", "2")
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
            .env("SCENARIO", &scenario)
            .env("OUT", &out)
            .env("SIMSCALE", env!("CARGO_BIN_EXE_simscale"))
            .output()
            .unwrap();
        assert!(o.status.success(), "task {task}: {}", text(&o.stderr));
        assert!(out.join(format!("sweep.{}-of-4.csv", task + 1)).is_file());
    }
    let merged = merge(&out, &dir.path().join("merged"));
    assert_eq!(merged, unsharded(&scenario, &dir.path().join("whole")));
}

#[test]
fn the_kubernetes_indexed_job_runs_and_merges() {
    let manifest = block("## Kubernetes", "yaml");
    assert!(manifest.contains("completionMode: Indexed") && manifest.contains("completions: 4"));
    let line = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("command: "))
        .unwrap();
    // A flow sequence of strings reads as a TOML array.
    let command: Vec<String> = toml::from_str::<toml::Table>(&format!("v = {line}")).unwrap()["v"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(command[0], "simscale");
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("scenario.toml"), DESIGN).unwrap();
    // The volume mounted at /work is the temporary folder here.
    let args: Vec<String> = command[1..]
        .iter()
        .map(|a| a.replace("/work", work.to_str().unwrap()))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    for index in 0..4 {
        let i = index.to_string();
        let o = simscale_env(&args, &[("JOB_COMPLETION_INDEX", &i)]);
        assert!(o.status.success(), "index {index}: {}", text(&o.stderr));
    }
    let merged = merge(&work.join("out"), &dir.path().join("merged"));
    assert_eq!(
        merged,
        unsharded(&work.join("scenario.toml"), &dir.path().join("whole"))
    );
}
