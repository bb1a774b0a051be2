//! The command line: `simscale run`, `validate`, `catalog`, `compare`, `sweep`, `merge`, `init` and `schema`.

pub mod catalog;
pub mod compare;
pub mod init;
mod progress;
pub mod sweep;

use crate::error::Error;
use crate::report;
use crate::run::{RunOptions, simulate_with_progress};
use crate::scenario;
use clap::{Parser, Subcommand};
use progress::Bar;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Capacity simulator for web platforms on AWS.
#[derive(Debug, Parser)]
#[command(
    name = "simscale",
    version,
    about,
    after_help = "Exit status: 0 success, 1 runtime failure (writing outputs, internal error), 2 invalid scenario or usage (an unreadable scenario file included)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write checkpoints.csv, timeline.csv, costs.csv and summary.csv.
    Run(RunArgs),
    /// Check a scenario without running it.
    Validate {
        /// The scenario file (TOML).
        scenario: PathBuf,
    },
    /// List instance types with vCPUs, memory, cpu_speed and prices per hour and month.
    Catalog {
        /// Only this family (m5, t3, ...).
        #[arg(long)]
        family: Option<String>,
        /// Prices of this region [default: us-east-1].
        #[arg(long)]
        region: Option<String>,
        /// RDS instance classes instead of EC2 types.
        #[arg(long)]
        rds: bool,
        /// Print the data's date and sources instead.
        #[arg(long)]
        sources: bool,
    },
    /// Run several designs under the same traffic and seeds; write compare.csv and compare.md.
    Compare(compare::CompareArgs),
    /// Run a scenario at every point of a grid of key values; write sweep.csv and points/.
    Sweep(sweep::SweepArgs),
    /// Join the folders of a sharded sweep into sweep.csv and points/.
    Merge(sweep::MergeArgs),
    /// Write a commented starter scenario.
    Init(init::InitArgs),
    /// Print the JSON Schema of the scenario format (for editors).
    Schema,
}

/// How the simulations of `run`, `compare` and `sweep` are drawn.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SimArgs {
    /// Replace the scenario's seed (`compare`: every design's; default the first's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: one per core]; results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// A quick look: at most 4 checkpoints with windows of at most 5 minutes.
    #[arg(long)]
    pub short: bool,
    /// Independent replications per checkpoint (95% confidence intervals).
    #[arg(long)]
    pub replications: Option<u32>,
}

impl SimArgs {
    /// The run options these arguments ask for.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            threads: self.threads,
            short: self.short,
            seed: self.seed,
            replications: self.replications,
            ..RunOptions::default()
        }
    }
}

/// Arguments of `simscale run`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Output folder [default: out/<scenario file stem>].
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Seed, threads, --short and replications.
    #[command(flatten)]
    pub sim: SimArgs,
    /// Print every checkpoint's bill line by line: quantity, unit price, amount.
    #[arg(long)]
    pub explain_cost: bool,
    /// Run the scenario once per value of a key and compare their walls,
    /// e.g. `web.instance=t2.micro,m5.large,c5.9xlarge` (replaces the
    /// scenario's [ladder]).
    #[arg(long, value_name = "KEY=V1,V2,...")]
    pub ladder: Option<String>,
    /// Add replications to checkpoints and wall probes whose SLO verdict is
    /// uncertain, until decided (simulation.precision, default 95%
    /// confidence and at most 20 replications).
    #[arg(long)]
    pub precision: bool,
    /// Run even when the DES is expected to take more than ten minutes.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors (and no progress bar).
    #[arg(short, long)]
    pub quiet: bool,
}

/// The default output folder for a scenario file: `out/<stem>`.
pub fn default_out_dir(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    Path::new("out").join(stem)
}

/// Runs one command; messages for the user go to `stdout`.
pub fn run(cli: Cli, stdout: &mut dyn Write) -> Result<(), Error> {
    match cli.command {
        Command::Validate { scenario } => {
            let origin = scenario.display().to_string();
            let text = scenario::read(&scenario)?;
            let (s, mut warnings) = scenario::parse_with_warnings(&text, &origin)
                .map_err(scenario::ScenarioError::Invalid)?;
            crate::cost::check_prices(&s)?;
            warnings.extend(crate::warnings::plausibility(&s));
            let _ = write!(stdout, "{}", report::warnings::warnings_text(&warnings));
            let _ = writeln!(stdout, "{}: valid ({})", scenario.display(), s.name);
            Ok(())
        }
        Command::Run(args) => run_scenario(&args, stdout),
        Command::Compare(args) => compare::run(&args, stdout),
        Command::Sweep(args) => sweep::run(&args, stdout),
        Command::Merge(args) => sweep::merge(&args, stdout),
        Command::Init(args) => init::init(&args, stdout),
        Command::Schema => init::schema(stdout),
        Command::Catalog {
            family,
            region,
            rds,
            sources,
        } => catalog::run(
            &catalog::CatalogQuery {
                family,
                region,
                rds,
                sources,
            },
            stdout,
        ),
    }
}

/// `simscale run`: simulate, write the files, print the summary; once per
/// rung when there is a ladder.
fn run_scenario(args: &RunArgs, stdout: &mut dyn Write) -> Result<(), Error> {
    let origin = args.scenario.display().to_string();
    let text = scenario::read(&args.scenario)?;
    let (s, loader_warnings) =
        scenario::parse_with_warnings(&text, &origin).map_err(scenario::ScenarioError::Invalid)?;
    let ladder = match &args.ladder {
        Some(spec) => Some(parse_ladder(spec)?),
        None => s.ladder.as_ref().map(|l| (l.key.clone(), l.values.clone())),
    };
    let options = RunOptions {
        precision: args.precision,
        force: args.force,
        ..args.sim.options()
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.scenario));
    let bar = Bar::new(!args.quiet);
    // The warnings of a scenario as run: the loader's, then plausibility.
    let warnings_of = |run: &crate::spec::Scenario| {
        let mut w = loader_warnings.clone();
        w.extend(crate::warnings::plausibility(
            &crate::run::effective_scenario(run, &options),
        ));
        w
    };
    let Some((key, values)) = ladder else {
        let warnings = warnings_of(&s);
        if !args.quiet {
            let _ = write!(stdout, "{}", report::warnings::warnings_text(&warnings));
        }
        let result = simulate_with_progress(&s, &options, &bar);
        bar.finish();
        let result = result?;
        {
            let _writing = report::writer::hold_interrupts();
            write_run(&out, &result, &warnings)?;
        }
        if !args.quiet {
            let _ = write!(stdout, "{}", report::terminal_summary(&result));
            let _ = writeln!(
                stdout,
                "wrote {}/: checkpoints, timeline, costs, summary, classes and warnings CSV, charts, report.md",
                out.display()
            );
        }
        if args.explain_cost {
            let _ = write!(stdout, "{}", report::cost::explain_cost(&result));
        }
        return Ok(());
    };
    // A ladder is a one-key sweep: every rung validated before any runs,
    // a bad value reported at its place in the file, rungs in parallel.
    let set = crate::sweep::Set {
        key: key.clone(),
        values: values.clone(),
    };
    let rungs = crate::sweep::plan(&text, &origin, &[set], false)?;
    let rung_warnings: Vec<_> = rungs.iter().map(|p| warnings_of(&p.scenario)).collect();
    if !args.quiet {
        for (p, warnings) in rungs.iter().zip(&rung_warnings) {
            if !warnings.is_empty() {
                let label = p.values.first().cloned().unwrap_or_default();
                let _ = writeln!(stdout, "== {key} = {label}");
                let _ = write!(stdout, "{}", report::warnings::warnings_text(warnings));
            }
        }
    }
    for p in &rungs {
        crate::cost::check_prices(&crate::run::effective_scenario(&p.scenario, &options))?;
    }
    let inner = RunOptions {
        threads: None,
        ..options.clone()
    };
    let work = || -> Result<Vec<(String, crate::run::RunReport)>, Error> {
        use rayon::prelude::*;
        rungs
            .par_iter()
            .map(|p| {
                let label = p.values.first().cloned().unwrap_or_default();
                simulate_with_progress(&p.scenario, &inner, &bar).map(|r| (label, r))
            })
            .collect()
    };
    let results = crate::run::in_pool(options.threads, work)?;
    let results = match results {
        Ok(r) => r,
        Err(e) => {
            bar.finish();
            return Err(e);
        }
    };
    bar.finish();
    let folders: Vec<String> = results
        .iter()
        .map(|(label, _)| folder_name(label))
        .collect();
    let writing = report::writer::hold_interrupts();
    for (((_, result), folder), warnings) in results.iter().zip(&folders).zip(&rung_warnings) {
        write_run(&out.join(folder), result, warnings)?;
    }
    let mut md = report::markdown::ladder_md(&key, &results, &folders);
    md.push_str("\n![ladder.png](ladder.png)\n");
    let cost_png = report::charts::ladder_cost_png(&key, &results).map_err(Error::Internal)?;
    if cost_png.is_some() {
        md.push_str("\n![ladder_cost.png](ladder_cost.png)\n");
    }
    let mut files = vec![
        ("ladder.csv", report::ladder_csv(&key, &results)),
        ("report.md", md.into_bytes()),
        (
            "ladder.png",
            report::charts::ladder_png(&key, &results).map_err(Error::Internal)?,
        ),
    ];
    if let Some(png) = cost_png {
        files.push(("ladder_cost.png", png));
    }
    report::writer::write_files(&out, &files)?;
    drop(writing);
    if !args.quiet {
        for (label, result) in &results {
            let _ = writeln!(stdout, "== {key} = {label}");
            let _ = write!(stdout, "{}", report::terminal_summary(result));
        }
        let _ = write!(stdout, "{}", report::ladder_summary(&key, &results));
        let _ = writeln!(
            stdout,
            "wrote {}/: ladder.csv, ladder.png, report.md and one folder per rung",
            out.display()
        );
    }
    if args.explain_cost {
        for (_, result) in &results {
            let _ = write!(stdout, "{}", report::cost::explain_cost(result));
        }
    }
    Ok(())
}

/// The files of one run: five CSV files, the charts and `report.md`.
pub(crate) fn write_run(
    out: &Path,
    result: &crate::run::RunReport,
    warnings: &[crate::warnings::Warning],
) -> Result<(), Error> {
    let chart_error = |message: String| Error::Internal(message);
    let mut files = vec![
        ("checkpoints.csv", report::checkpoints_csv(result)),
        ("timeline.csv", report::timeline_csv(result)),
        ("costs.csv", report::costs_csv(result)),
        ("summary.csv", report::summary_csv(result)),
        ("classes.csv", report::classes_csv(result)),
        ("warnings.csv", report::warnings::warnings_csv(warnings)),
        (
            "latency.png",
            report::charts::latency_png(result).map_err(chart_error)?,
        ),
    ];
    if let Some(availability) = report::charts::availability_png(result) {
        files.push(("availability.png", availability.map_err(chart_error)?));
    }
    if let Some(cost) = report::charts::cost_png(result) {
        files.push(("cost.png", cost.map_err(chart_error)?));
    }
    let charts: Vec<&str> = files
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| n.ends_with(".png"))
        .collect();
    let md = report::markdown::report_md_with_warnings(result, &charts, warnings).into_bytes();
    files.push(("report.md", md));
    report::writer::write_files(out, &files).map(|_| ())
}

/// `key=v1,v2,...` from the command line.
fn parse_ladder(spec: &str) -> Result<(String, Vec<String>), Error> {
    let usage = |message: String| Error::Usage {
        message,
        help: "write --ladder KEY=V1,V2,..., e.g. --ladder web.instance=t2.micro,m5.large"
            .to_string(),
    };
    let (key, values) = spec
        .split_once('=')
        .ok_or_else(|| usage(format!("--ladder: expected KEY=V1,V2,..., found '{spec}'")))?;
    let values: Vec<String> = values
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    if key.trim().is_empty() || values.is_empty() {
        return Err(usage(format!(
            "--ladder: expected a key and at least one value, found '{spec}'"
        )));
    }
    Ok((key.trim().to_string(), values))
}

/// A rung's value as a folder name: letters, digits, `.`, `-` and `_`.
fn folder_name(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
