//! `simscale sweep` and `simscale merge`: a scenario over a grid of key
//! values, in shards across machines, resumable, joined back together.
//!
//! Layout of a sweep folder:
//! - `sweep-points.csv`: every point of the sweep (`point`, one column per
//!   key), the same in every shard;
//! - `points/<point>/`: the point's whole run (`checkpoints.csv`, ...,
//!   `report.md`, charts) and, written last, `point.toml`: the point's
//!   scenario with the options it ran with; a point is complete when its
//!   `point.toml` is there and says the same;
//! - `sweep.csv` and `sweep.png` once every point is done (a shard of
//!   several writes `sweep.<K>-of-<N>.csv` with its own points; `merge`
//!   writes the whole).

use super::SimArgs;
use super::write_run;
use crate::error::Error;
use crate::report;
use crate::report::sweep::PointFiles;
use crate::run::{RunOptions, simulate};
use crate::scenario;
use crate::sweep::{Point, Set, Shard, plan};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `simscale sweep`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A swept key and its values, `KEY=V1,V2,...` (repeatable; the last varies fastest).
    #[arg(long = "set", value_name = "KEY=V1,V2,...", required = true)]
    pub set: Vec<String>,
    /// Pair the i-th values of every --set instead of the grid (equal lengths).
    #[arg(long)]
    pub zip: bool,
    /// Output folder [default: out/<scenario file stem>-sweep].
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Run only shard K of N (`K/N`, K from 1: the points i with i % N == K - 1),
    /// or `auto/N` with K - 1 from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Skip points whose outputs are already complete in the output folder.
    #[arg(long)]
    pub resume: bool,
    /// Seed, threads, --short and replications.
    #[command(flatten)]
    pub sim: SimArgs,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Arguments of `simscale merge`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MergeArgs {
    /// The shard folders of one sweep.
    #[arg(required = true, num_args = 1..)]
    pub dirs: Vec<PathBuf>,
    /// Output folder [default: the first folder].
    #[arg(short, long)]
    pub out: Option<PathBuf>,
}

const PLAN: &str = "sweep-points.csv";
const MARKER: &str = "point.toml";

/// `sweep-points.csv`: every point and its values.
fn plan_csv(keys: &[String], points: &[Point]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["point".to_string()];
    header.extend(keys.iter().cloned());
    let _ = w.write_record(&header);
    for p in points {
        let mut row = vec![p.index.to_string()];
        row.extend(p.values.iter().cloned());
        let _ = w.write_record(&row);
    }
    w.into_inner().unwrap_or_default()
}

/// The `point.toml` of a point run with `options`.
fn marker(keys: &[String], p: &Point, options: &RunOptions) -> String {
    let named: Vec<String> = keys
        .iter()
        .zip(&p.values)
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    let opt = |x: Option<String>| x.unwrap_or_else(|| "as in the file".into());
    format!(
        "# simscale sweep, point {}: {}\n# seed: {}; short: {}; replications: {}\n{}",
        p.index,
        named.join(", "),
        opt(options.seed.map(|s| s.to_string())),
        options.short,
        opt(options.replications.map(|r| r.to_string())),
        p.text
    )
}

fn point_dir(out: &Path, index: usize) -> PathBuf {
    out.join("points").join(index.to_string())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `dir` holds a complete point (its `point.toml` is there, and
/// equal to `expected` when given).
fn complete(dir: &Path, expected: Option<&str>) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join(MARKER)) else {
        return false;
    };
    expected.is_none_or(|e| e == text)
        && dir.join("summary.csv").is_file()
        && dir.join("checkpoints.csv").is_file()
}

fn point_files(dir: &Path, index: usize, values: Vec<String>) -> Result<PointFiles, Error> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| Error::Io { path, source })
    };
    Ok(PointFiles {
        index,
        values,
        summary: read("summary.csv")?,
        checkpoints: read("checkpoints.csv")?,
    })
}

/// `sweep.csv` (or `csv_name`) and `sweep.png` from the points' files.
fn write_table(
    out: &Path,
    csv_name: &str,
    keys: &[String],
    files: &[PointFiles],
) -> Result<(), Error> {
    let csv = report::sweep::sweep_csv(keys, files).map_err(Error::Internal)?;
    let mut outputs = vec![(csv_name, csv)];
    if csv_name == "sweep.csv" {
        outputs.push((
            "sweep.png",
            report::sweep::sweep_png(keys, files).map_err(Error::Internal)?,
        ));
    }
    report::writer::write_files(out, &outputs).map(|_| ())
}

/// `simscale sweep`.
pub fn run(args: &SweepArgs, stdout: &mut dyn Write) -> Result<(), Error> {
    let sets = args
        .set
        .iter()
        .map(|s| Set::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let shard = match &args.shard {
        Some(s) => Some(Shard::parse(s, &|v| std::env::var(v).ok())?),
        None => None,
    };
    let origin = args.scenario.display().to_string();
    let text = scenario::read(&args.scenario)?;
    // Every point is validated before any runs.
    let points = plan(&text, &origin, &sets, args.zip)?;
    let keys: Vec<String> = sets.iter().map(|s| s.key.clone()).collect();
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .scenario
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
        Path::new("out").join(format!("{stem}-sweep"))
    });
    // Points share the pool below: each runs with the pool it is on.
    let options = RunOptions {
        threads: None,
        ..args.sim.options()
    };
    report::writer::write_files(&out, &[(PLAN, plan_csv(&keys, &points))])?;
    let mine: Vec<&Point> = points
        .iter()
        .filter(|p| shard.is_none_or(|s| s.has(p.index)))
        .collect();
    let todo: Vec<&Point> = mine
        .iter()
        .copied()
        .filter(|p| {
            !(args.resume && complete(&point_dir(&out, p.index), Some(&marker(&keys, p, &options))))
        })
        .collect();
    let skipped = mine.len() - todo.len();
    let work = || -> Vec<Result<(), Error>> {
        todo.par_iter()
            .map(|p| {
                let report = simulate(&p.scenario, &options)?;
                let dir = point_dir(&out, p.index);
                let warnings = crate::warnings::plausibility(&report.scenario);
                write_run(&dir, &report, &warnings)?;
                // Written last: the point is complete once this is there.
                report::writer::write_files(
                    &dir,
                    &[(MARKER, marker(&keys, p, &options).into_bytes())],
                )?;
                Ok(())
            })
            .collect()
    };
    let results = crate::run::in_pool(args.sim.threads, work)?;
    // Points that finished keep their outputs; the first failure is reported.
    results.into_iter().collect::<Result<Vec<()>, Error>>()?;
    let files = mine
        .iter()
        .map(|p| point_files(&point_dir(&out, p.index), p.index, p.values.clone()))
        .collect::<Result<Vec<_>, Error>>()?;
    let csv_name = match shard {
        Some(s) if s.count > 1 => format!("sweep.{}-of-{}.csv", s.index + 1, s.count),
        _ => "sweep.csv".to_string(),
    };
    write_table(&out, &csv_name, &keys, &files)?;
    if !args.quiet {
        let _ = writeln!(
            stdout,
            "{} of {} points run{}, {} skipped as complete; wrote {}/{}{}",
            todo.len(),
            points.len(),
            shard.map_or(String::new(), |s| format!(
                " (shard {} of {})",
                s.index + 1,
                s.count
            )),
            skipped,
            out.display(),
            csv_name,
            if csv_name == "sweep.csv" {
                ", sweep.png and points/"
            } else {
                " and points/; join the shards with simscale merge"
            }
        );
    }
    Ok(())
}

/// Copies the files of folder `from` into `to`.
fn copy_dir(from: &Path, to: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(from)
        .map_err(io(from))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    // point.toml last: a copy interrupted half-way is not complete.
    entries.sort_by_key(|p| p.file_name().is_some_and(|n| n == MARKER));
    for path in entries {
        if let Some(name) = path.file_name() {
            let target = to.join(name);
            std::fs::copy(&path, &target).map_err(io(&target))?;
        }
    }
    Ok(())
}

/// `simscale merge`: the shard folders of one sweep into `sweep.csv`,
/// `sweep.png` and `points/`, as one machine would have written them.
pub fn merge(args: &MergeArgs, stdout: &mut dyn Write) -> Result<(), Error> {
    let usage = |message: String| Error::Usage {
        message,
        help:
            "give the output folders of every shard of one sweep, e.g. simscale merge out/shard-*"
                .into(),
    };
    let mut plan: Option<(PathBuf, Vec<u8>)> = None;
    for dir in &args.dirs {
        let path = dir.join(PLAN);
        let bytes = std::fs::read(&path).map_err(|e| {
            usage(format!(
                "{}: not a sweep folder ({PLAN}: {e})",
                dir.display()
            ))
        })?;
        match &plan {
            None => plan = Some((dir.clone(), bytes)),
            Some((first, b)) if *b != bytes => {
                return Err(usage(format!(
                    "{} and {} are not shards of one sweep: their {PLAN} differ",
                    first.display(),
                    dir.display()
                )));
            }
            Some(_) => {}
        }
    }
    let Some((first, plan)) = plan else {
        return Err(usage("merge: no folder given".into()));
    };
    let mut reader = csv::Reader::from_reader(&plan[..]);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| usage(format!("{}: {PLAN}: {e}", first.display())))?
        .iter()
        .map(str::to_string)
        .collect();
    let keys: Vec<String> = header.into_iter().skip(1).collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
        .collect::<Result<_, _>>()
        .map_err(|e| usage(format!("{}: {PLAN}: {e}", first.display())))?;
    let out = args.out.clone().unwrap_or(first);
    let mut missing = Vec::new();
    let mut files = Vec::with_capacity(rows.len());
    for row in rows {
        let index: usize = row
            .first()
            .and_then(|i| i.parse().ok())
            .ok_or_else(|| usage(format!("{PLAN}: a row without a point index: {row:?}")))?;
        let values: Vec<String> = row.into_iter().skip(1).collect();
        let Some(dir) = args
            .dirs
            .iter()
            .map(|d| point_dir(d, index))
            .find(|d| complete(d, None))
        else {
            missing.push(index.to_string());
            continue;
        };
        let target = point_dir(&out, index);
        if std::fs::canonicalize(&dir).ok() != std::fs::canonicalize(&target).ok() {
            copy_dir(&dir, &target)?;
        }
        files.push(point_files(&target, index, values)?);
    }
    if !missing.is_empty() {
        return Err(usage(format!(
            "merge: point{} {} not complete in any folder given",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        )));
    }
    report::writer::write_files(&out, &[(PLAN, plan.clone())])?;
    write_table(&out, "sweep.csv", &keys, &files)?;
    let _ = writeln!(
        stdout,
        "merged {} points from {} folder{}; wrote {}/sweep.csv, sweep.png and points/",
        files.len(),
        args.dirs.len(),
        if args.dirs.len() == 1 { "" } else { "s" },
        out.display()
    );
    Ok(())
}
