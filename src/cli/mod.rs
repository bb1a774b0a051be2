//! The command line: `simscale run`, `simscale validate` and `simscale catalog`.

pub mod catalog;

use crate::error::Error;
use crate::report;
use crate::run::{RunOptions, simulate};
use crate::scenario;
use clap::{Arg, ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Capacity simulator for web platforms on AWS.
#[derive(Debug, Parser)]
#[command(
    name = "simscale",
    version,
    about,
    after_help = "Exit status: 0 success, 1 runtime failure (I/O, internal error), 2 invalid scenario or usage."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write checkpoints.csv, timeline.csv and costs.csv.
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Output folder [default: out/<scenario file stem>].
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Replace the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads [default: one per core]; results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// A quick look: at most 4 checkpoints with windows of at most 5 minutes.
        #[arg(long)]
        short: bool,
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
    },
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
}

/// The default output folder for a scenario file: `out/<stem>`.
pub fn default_out_dir(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    Path::new("out").join(stem)
}

/// Options of `simscale run` beyond the fields of [`Command::Run`] (kept
/// apart so that code building a `Command::Run` keeps compiling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunExtras {
    /// `--explain-cost`: print every checkpoint's bill line by line.
    pub explain_cost: bool,
}

/// Parses the process's arguments: [`Cli`], plus `run --explain-cost`.
/// Exits with clap's message and status on a usage error.
pub fn parse() -> (Cli, RunExtras) {
    let matches = Cli::command()
        .mut_subcommand("run", |c| {
            c.arg(
                Arg::new("explain_cost")
                    .long("explain-cost")
                    .action(ArgAction::SetTrue)
                    .help(
                        "Print every checkpoint's bill line by line: quantity, unit price, amount",
                    ),
            )
        })
        .get_matches();
    let extras = RunExtras {
        explain_cost: matches
            .subcommand_matches("run")
            .is_some_and(|m| m.get_flag("explain_cost")),
    };
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    (cli, extras)
}

/// Runs one command; messages for the user go to `stdout`.
pub fn run(cli: Cli, stdout: &mut dyn Write) -> Result<(), Error> {
    run_with(cli, RunExtras::default(), stdout)
}

/// [`run`] with the options of `run` that [`Command::Run`] does not carry.
pub fn run_with(cli: Cli, extras: RunExtras, stdout: &mut dyn Write) -> Result<(), Error> {
    match cli.command {
        Command::Validate { scenario } => {
            let s = scenario::load(&scenario)?;
            let _ = writeln!(stdout, "{}: valid ({})", scenario.display(), s.name);
            Ok(())
        }
        Command::Run {
            scenario,
            out,
            seed,
            threads,
            short,
            quiet,
        } => {
            let s = scenario::load(&scenario)?;
            let options = RunOptions {
                threads,
                short,
                seed,
            };
            let result = simulate(&s, &options)?;
            let out = out.unwrap_or_else(|| default_out_dir(&scenario));
            let files = [
                ("checkpoints.csv", report::checkpoints_csv(&result)),
                ("timeline.csv", report::timeline_csv(&result)),
                ("costs.csv", report::costs_csv(&result)),
            ];
            report::writer::write_files(&out, &files)?;
            if !quiet {
                let _ = write!(stdout, "{}", report::terminal_summary(&result));
                let _ = writeln!(
                    stdout,
                    "wrote {}/{{checkpoints,timeline,costs}}.csv",
                    out.display()
                );
            }
            if extras.explain_cost {
                let _ = write!(stdout, "{}", report::cost::explain_cost(&result));
            }
            Ok(())
        }
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
